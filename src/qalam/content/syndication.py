"""What feeds and sitemaps list, decided over a :class:`~qalam.content.site.Site` (never imports Django).

- Feeds list *articles* (:attr:`Article.is_article`: dated ``item`` pages) of one language that are
  routable and published now, newest first; optionally of one section (top-level folder) or tag.
- Language sitemaps list every page a search engine should index, with its hreflang alternates.
- The news sitemap lists articles of every language dated within the last two days (Google News).

Only pages whose file is in the tree's own language (or a plain ``.md``) count: a page shown through
the language fallback chain is another language's text under this language's URL, and listing it
would announce duplicate content (the HTML head's hreflang links follow the same rule,
``Site.translations``).
"""

from __future__ import annotations

import urllib.parse
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from qalam.lang.normalize import fold_case, normalize

from .article import Article
from .config import truthy

if TYPE_CHECKING:  # pragma: no cover
    from .pages import Page
    from .site import Site

#: Google News: "include only articles published in the last two days".
NEWS_WINDOW = timedelta(days=2)
#: Google News: at most 1,000 <url> entries in one news sitemap file.
NEWS_SITEMAP_LIMIT = 1000


def own_language(page: Page) -> bool:
    """The page has a file of its tree's language (or a language-less ``.md``), not a fallback."""
    return page.has_file and page.file_lang in (page.lang, "")


def section_of(page: Page) -> Page | None:
    """The top-level page a page sits under (its *section*, as :func:`article` names it), or None."""
    top = page.node.rel.split("/", 1)[0]
    top_page = page.tree.pages.get(top)
    return top_page if top_page is not None and top_page is not page else None


def is_listed_article(page: Page, now: datetime) -> bool:
    """An article a feed may list: published and routable now, a real page, not hidden from lists."""
    return (
        own_language(page)
        and Article(page).is_article
        and page.routable(now)
        and not page.redirect
        and not page.external_url
        and not truthy(page.header.get("hide_from_post_list", False))
    )


def sections(site: Site, lang: str) -> dict[str, Page]:
    """Top-level pages of a language by slug: what ``/<lang>/<section>/feed.rss`` may name."""
    return {p.slug: p for p in site.tree(lang).root.children if not p.is_module}


def tag_key(value: str, lang: str) -> str:
    """How tags compare: NFC, look-alike letters repaired, case folded (Kazakh I/ı)."""
    return fold_case(normalize(str(value)).strip(), lang or "kk")


def articles(
    site: Site,
    lang: str,
    *,
    now: datetime | None = None,
    section: str | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> list[Page]:
    """Articles of ``lang`` (of one section slug / one tag if given), newest first."""
    now = site.now() if now is None else now
    wanted_tag = tag_key(tag, lang) if tag is not None else None
    out = []
    for page in _listed(site, lang, now):
        if section is not None:
            top = section_of(page)
            if top is None or top.slug != section:
                continue
        if wanted_tag is not None and wanted_tag not in {tag_key(t, lang) for t in page.taxonomy.get("tag", [])}:
            continue
        out.append(page)
    return out[:limit] if limit is not None else out


_per_version_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _listed(site: Site, lang: str, now: datetime) -> list[Page]:
    """Every listed article of ``lang``, newest first: computed once per content version and
    kept until the next scheduled publish/unpublish (the RSS, Atom, JSON and full-text feeds, the
    sections' and tags' feeds and the sitemaps of one version all read the same list; on 10,000
    articles recomputing it for each cost a quarter of a second per rebuild)."""
    return per_version(site, ("listed", lang), now, lambda: sorted(
        (p for p in site.tree(lang).iter_pages() if is_listed_article(p, now)),
        key=lambda p: (p.date, p.route), reverse=True))


def per_version(site: Site, key: tuple, now: datetime, compute) -> list[Page]:
    """``compute()`` once per content version and key, kept until the next scheduled
    publish/unpublish of any page of the site (when the answer may change by the clock alone)."""
    per_site = _per_version_cache.setdefault(site, {})
    full_key = (site.version, *key)
    hit = per_site.get(full_key)
    if hit is not None and hit[1] <= now and (hit[2] is None or now < hit[2]):
        return hit[0]
    pages = compute()
    if any(k[0] != site.version for k in per_site):
        per_site.clear()  # an older content version: never asked for again
    changes = [c for c in (site.tree(code).next_change(now) for code in site.language_codes) if c is not None]
    per_site[full_key] = (pages, now, min(changes) if changes else None)
    return pages


def find_tag(site: Site, lang: str, value: str, *, now: datetime | None = None) -> str | None:
    """The tag as the newest listed article of ``lang`` spells it, if any article carries it."""
    key = tag_key(value, lang)
    for page in articles(site, lang, now=now):
        for tag in page.taxonomy.get("tag", []):
            if tag_key(tag, lang) == key:
                return tag
    return None


def feed_limit(site: Site) -> int:
    """``qalam.feeds.limit`` (20 when unset or not a positive number)."""
    try:
        value = int(site.config.get("qalam.feeds.limit") or 20)
    except (TypeError, ValueError):
        return 20
    return value if value > 0 else 20


def updated(page: Page, now: datetime) -> datetime:
    """The last moment the page changed for a reader: edited, dated, or (scheduled) published."""
    page.site.depends_on(page)
    moments = [page.modified, page.date]
    if page.publish_date is not None and page.publish_date <= now:
        moments.append(page.publish_date)
    return max(moments)


# --- sitemaps ----------------------------------------------------------------------------------
def indexable(page: Page, now: datetime) -> bool:
    """A page the language sitemap lists: routable now, a page of its own, not excluded by its header.

    Excluded as in Grav's sitemap plugin: ``sitemap: {ignore: true}``; also ``metadata: {robots:
    noindex}`` (a page asking not to be indexed has no place in a sitemap).
    """
    if not own_language(page) or page.is_module or not page.routable(now):
        return False
    if page.redirect or page.external_url:
        return False
    sm = page.header.get("sitemap")
    if isinstance(sm, dict) and truthy(sm.get("ignore", False)):
        return False
    meta = page.header.get("metadata")
    if isinstance(meta, dict) and "noindex" in str(meta.get("robots", "")).lower():
        return False
    return True


def sitemap_pages(site: Site, lang: str, *, now: datetime | None = None) -> list[Page]:
    """Every indexable page of ``lang``, home first, then by URL."""
    now = site.now() if now is None else now
    return list(per_version(site, ("sitemap", lang), now, lambda: sorted(
        (p for p in site.tree(lang).iter_pages() if indexable(p, now)), key=lambda p: (not p.is_home, p.url()))))


@dataclass(frozen=True)
class Alternate:
    hreflang: str  # kk, ru, en, kk-Latn, x-default
    url: str  # path, e.g. /kk/news/x


def alternates(site: Site, page: Page, *, now: datetime | None = None) -> list[Alternate]:
    """hreflang alternates of a page: each language it is written in, the Latin edition, x-default.

    The same set as the ``<link rel="alternate" hreflang>`` of the page's HTML head (the sitemap and
    the page must agree, or search engines ignore both); x-default is the default language's page.
    Empty for a site without languages.
    """
    if not site.languages.enabled:
        return []
    now = site.now() if now is None else now
    translations = {code: p for code, p in site.translations(page).items() if p.routable(now)}
    out = [Alternate(code, p.url()) for code, p in translations.items()]
    for code, p in translations.items():
        if site.latin_edition(code):
            out.append(Alternate(f"{code}-Latn", site.latin_url(p.url(), code)))
    default = translations.get(site.default_lang)
    if default is not None and out:
        out.append(Alternate("x-default", default.url()))
    return out


def news_articles(site: Site, *, now: datetime | None = None) -> list[Page]:
    """Articles of every language dated within :data:`NEWS_WINDOW` before ``now``, newest first.

    The article's ``date`` is its publication time; an article dated in the future (shown early
    because it has no ``publish_date``) is not news yet.
    """
    now = site.now() if now is None else now
    since = now - NEWS_WINDOW
    out = [
        page
        for lang in site.language_codes
        for page in site.tree(lang).iter_pages()
        if is_listed_article(page, now) and since < page.date <= now
    ]
    order = {code: i for i, code in enumerate(site.language_codes)}
    out.sort(key=lambda p: (-p.date.timestamp(), order.get(p.lang, 0), p.route))  # then languages in site order
    return out


def feed_path(site: Site, lang: str | None = None, *, section: str | None = None, tag: str | None = None,
              fmt: str = "rss", full_text: bool = False) -> str:
    """The path of a feed: ``/kk/feed.rss``, ``/kk/news/feed.atom``, ``/kk/tag/x/feed.json``, ``/kk/feed-full.rss``.

    A tag's feed has one URL whatever the spelling of the tag in articles: the lower-cased
    (:func:`~qalam.content.syndication.tag_key`) tag, so it stays put when a newer article
    capitalises it differently.
    """
    lang = site.default_lang if lang is None else lang
    prefix = site.languages.prefix(lang) if site.languages.enabled else ""
    if full_text:
        return f"{prefix}/feed-full.rss"
    if tag is not None:
        return f"{prefix}/tag/{urllib.parse.quote(tag_key(tag, lang), safe='')}/feed.{fmt}"
    if section is not None:
        return f"{prefix}/{section}/feed.{fmt}"
    return f"{prefix}/feed.{fmt}"


def register_feed_url(env, site: Site) -> None:
    """Jinja globals: ``feed_url(lang, section=None, tag=None, fmt='rss')`` (a path)."""

    def feed_url(lang: str | None = None, section: str | None = None, tag: str | None = None, fmt: str = "rss") -> str:
        return feed_path(site, lang or None, section=section, tag=tag, fmt=fmt)

    env.globals["feed_url"] = feed_url
