"""RSS 2.0, Atom, JSON Feed 1.1 and a Yandex full-text RSS of a site's articles (docs/feeds.md).

Django's syndication framework does the work: one :class:`ArticleFeed` (a
``django.contrib.syndication.views.Feed`` with overridable attributes) and a subclass per format.
The two formats Django lacks are feed generators in the shape of ``django.utils.feedgenerator``,
free of web code: :class:`JSONFeed` and :class:`YandexFullTextRss`.

Which pages a feed lists is decided in the content layer (:mod:`qalam.content.syndication`).
"""

from __future__ import annotations

import json
import mimetypes
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils import feedgenerator

from qalam.content import syndication
from qalam.content.syndication import feed_path  # noqa: F401 — where feed URLs are made (no Django)
from qalam.content.syndication import register_feed_url as register  # noqa: F401
from qalam.content.article import Article, article, item_for
from qalam.content.pages import Page
from qalam.content.site import Site
from qalam.search.text import html_to_text

#: How long browsers, proxies and feed readers may reuse a feed or sitemap (seconds).
MAX_AGE = 300
FORMATS = ("rss", "atom", "json")


# --- generators (no web code) ---------------------------------------------------------------
class YandexFullTextRss(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with ``<yandex:full-text>`` (the article as plain text) and ``<yandex:genre>``.

    Yandex News reads the whole text from the feed instead of scraping the page. Items carry
    ``full_text`` and ``genre`` (``message``, ``article``, ``interview`` or ``lenta``).
    """

    namespace = "http://news.yandex.ru"

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:yandex": self.namespace}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("genre"):
            handler.addQuickElement("yandex:genre", item["genre"])
        if item.get("full_text"):
            handler.addQuickElement("yandex:full-text", item["full_text"])


class JSONFeed(feedgenerator.SyndicationFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from the same feed and item dicts.

    Items may carry ``authors`` (a list of names), ``image`` (URL) and ``language``; the
    description is the item's ``content_html``.
    """

    content_type = "application/feed+json; charset=utf-8"
    version = "https://jsonfeed.org/version/1.1"

    def write(self, outfile, encoding):
        outfile.write(json.dumps(self.as_dict(), ensure_ascii=False, indent=1))

    def as_dict(self) -> dict:
        feed = self.feed
        out = {
            "version": self.version,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
        }
        if feed["author_name"]:
            out["authors"] = [_json_author(feed["author_name"], feed["author_link"])]
        out = {k: v for k, v in out.items() if v not in (None, "")}
        out["items"] = [self.item_dict(item) for item in self.items]
        return out

    def item_dict(self, item: dict) -> dict:
        names = item.get("authors") or ([item["author_name"]] if item["author_name"] else [])
        out = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_html": item["description"] or "",
            "image": item.get("image"),
            "date_published": _rfc3339(item["pubdate"]),
            "date_modified": _rfc3339(item["updateddate"]),
            "authors": [{"name": n} for n in names] or None,
            "tags": list(item["categories"]) or None,
            "language": item.get("language"),
        }
        return {k: v for k, v in out.items() if v not in (None, "")}


def _rfc3339(value: datetime | None) -> str | None:
    return feedgenerator.rfc3339_date(value) if value is not None else None


def _json_author(name: str, link: str | None) -> dict:
    return {"name": name, "url": link} if link else {"name": name}


# --- what a feed URL names ------------------------------------------------------------------
@dataclass
class FeedScope:
    """One feed: a language, optionally one section or one tag, in one format."""

    site: Site
    lang: str
    base: str  # absolute site address without the trailing slash
    section: Page | None = None
    tag: str | None = None
    fmt: str = "rss"
    full_text: bool = False

    @property
    def path(self) -> str:
        return feed_path(self.site, self.lang, section=self.section.slug if self.section else None,
                         tag=self.tag, fmt=self.fmt, full_text=self.full_text)

    def absolute(self, path: str) -> str:
        return absolute_url(self.base, path)


def site_base(site: Site, request: HttpRequest) -> str:
    """The base URL when configured, else the scheme and (allowed) host the request came to."""
    from qalam.content.urlpaths import origin

    return origin(site, request)


from qalam.content.urlpaths import absolute_url  # noqa: E402 — one definition


def resolve_scope(site: Site, request: HttpRequest, first: str | None, second: str | None, *,
                  tag: str | None, fmt: str, full_text: bool) -> FeedScope | None:
    """The feed a URL names, or None when it names none (then the page dispatcher answers)."""
    parts = [p for p in (first, second) if p]
    codes = {c.lower(): c for c in site.languages.supported}
    if parts and parts[0].lower() in codes:
        lang = codes[parts.pop(0).lower()]
    elif not site.languages.enabled:
        lang = ""
    else:
        lang = site.default_lang  # no prefix: the default language (redirected if it has one)
    if len(parts) > (0 if tag is not None or full_text else 1):
        return None
    scope = FeedScope(site, lang, site_base(site, request), fmt=fmt, full_text=full_text)
    if parts:
        wanted = parts[0].lower()
        scope.section = next((p for slug, p in syndication.sections(site, lang).items() if slug.lower() == wanted), None)
        if scope.section is None:
            return None
    if tag is not None:
        scope.tag = syndication.find_tag(site, lang, tag)
        if scope.tag is None:
            return None
    return scope


# --- Django feeds ---------------------------------------------------------------------------
@dataclass
class Entry:
    """An article as a feed item: what every ``item_*`` method needs, without request state."""

    page: Page
    article: Article
    scope: FeedScope

    @property
    def link(self) -> str:
        return self.scope.absolute(self.page.url())


_ROOT_RELATIVE = re.compile(r'(\s(?:href|src|poster)=")(/(?!/))')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')
_SRCSET_URL = re.compile(r"(^|,\s*)/(?!/)")


def absolute_links(html: str, base: str) -> str:
    """Root-relative links and images (``srcset`` too) made absolute: feed readers show the HTML off-site."""
    html = _ROOT_RELATIVE.sub(lambda m: m.group(1) + base + "/", html)
    return _SRCSET.sub(lambda m: m.group(1) + _SRCSET_URL.sub(lambda u: u.group(1) + base + "/", m.group(2)) + m.group(3), html)


class ArticleFeed(Feed):
    """RSS 2.0 of a scope's articles: newest first, ``qalam.feeds.limit`` of them."""

    feed_type = feedgenerator.Rss201rev2Feed
    item_guid_is_permalink = True

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response

    def get_object(self, request, scope: FeedScope):
        return scope

    def get_feed(self, obj: FeedScope, request):
        feed = super().get_feed(obj, request)
        feed.feed["language"] = obj.site.html_lang(obj.lang)  # Django would use its own LANGUAGE_CODE
        return feed

    # feed
    def title(self, scope: FeedScope) -> str:
        name = scope.site.config.title
        if scope.section is not None:
            return f"{name} — {scope.section.title}"
        if scope.tag is not None:
            return f"{name} — #{scope.tag}"
        return name

    def description(self, scope: FeedScope) -> str:
        meta = scope.site.config.get("site.metadata") or {}
        text = meta.get("description") if isinstance(meta, dict) else None
        return str(text or self.title(scope))

    subtitle = description  # Atom's <subtitle>

    def link(self, scope: FeedScope) -> str:
        if scope.section is not None and scope.section.routable(scope.site.now()):
            return scope.absolute(scope.section.url())
        home = scope.site.tree(scope.lang).home
        return scope.absolute(home.url() if home is not None else (scope.site.languages.prefix(scope.lang) or "/"))

    def feed_url(self, scope: FeedScope) -> str:
        return scope.absolute(scope.path)

    def author_name(self, scope: FeedScope) -> str | None:
        return str(scope.site.config.get("site.author.name") or "") or None

    def items(self, scope: FeedScope) -> list[Entry]:
        site = scope.site
        pages = syndication.articles(
            site, scope.lang, section=scope.section.slug if scope.section else None, tag=scope.tag,
            limit=syndication.feed_limit(site),
        )
        return [Entry(p, article(p), scope) for p in pages]

    # items
    def item_title(self, entry: Entry) -> str:
        return entry.page.title

    def item_link(self, entry: Entry) -> str:
        return entry.link

    def item_guid(self, entry: Entry) -> str:
        return entry.link

    def item_description(self, entry: Entry) -> str:
        return absolute_links(item_for(entry.scope.site, entry.page).summary, entry.scope.base)

    def item_pubdate(self, entry: Entry) -> datetime:
        return entry.page.date

    def item_updateddate(self, entry: Entry) -> datetime:
        return syndication.updated(entry.page, entry.scope.site.now())

    def item_author_name(self, entry: Entry) -> str | None:
        return ", ".join(a.name for a in entry.article.authors) or None

    def item_categories(self, entry: Entry) -> list[str]:
        a = entry.article
        out: list[str] = []
        for value in [a.section_title, *a.categories, *a.tags]:
            if value and value not in out:
                out.append(value)
        return out

    def item_enclosures(self, entry: Entry) -> list[feedgenerator.Enclosure]:
        lead = entry.article.lead_image
        if lead is None or not lead.url:
            return []
        path = entry.scope.site.safe_media_path(entry.page.node.file_rel(lead.file))
        if path is None:
            return []
        mime = mimetypes.guess_type(lead.file)[0] or "application/octet-stream"
        return [feedgenerator.Enclosure(entry.scope.absolute(lead.url), str(path.stat().st_size), mime)]

    def item_extra_kwargs(self, entry: Entry) -> dict:
        lead = entry.article.lead_image
        return {
            "authors": [a.name for a in entry.article.authors],
            "image": entry.scope.absolute(lead.url) if lead is not None and lead.url else None,
            "language": entry.scope.site.html_lang(entry.page.lang),
        }


class AtomFeed(ArticleFeed):
    feed_type = feedgenerator.Atom1Feed


class JSONArticleFeed(ArticleFeed):
    feed_type = JSONFeed


class FullTextFeed(ArticleFeed):
    """RSS 2.0 for Yandex News: each item also carries the whole article as plain text."""

    feed_type = YandexFullTextRss
    genre = "message"

    def item_extra_kwargs(self, entry: Entry) -> dict:
        text = html_to_text(entry.scope.site.content(entry.page).html)
        return {**super().item_extra_kwargs(entry), "full_text": text, "genre": self.genre}


FEEDS: dict[str, ArticleFeed] = {"rss": ArticleFeed(), "atom": AtomFeed(), "json": JSONArticleFeed()}
FULL_TEXT = FullTextFeed()


# --- theme ----------------------------------------------------------------------------------
