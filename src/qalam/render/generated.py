"""Pages Qalam makes itself where the site has none: search, most read and author pages.

In the Latin edition they are the Cyrillic page transliterated, like every other page. Each
answers a :class:`~qalam.render.reply.Request` with a :class:`~qalam.render.reply.Reply` (or
``None``: not such a page); no web framework.
"""

from __future__ import annotations

import math
import re
import threading
import urllib.parse
from datetime import date

from qalam.content.article import article, item_for
from qalam.content.collections import Listing
from qalam.content.urlpaths import absolute_for
from qalam.render.context import language_links, menu, script_links
from qalam.render.latin import latin_edition
from qalam.render.reply import HTML, Reply, Request
from qalam.render.strings import ui_string
from qalam.render.theme import environment

#: How many pages the most-read page lists per window.
POPULAR_LIMIT = 20
#: The longest search query read (characters).
MAX_QUERY = 200


def generated_page(site, request: Request, res) -> Reply | None:
    """The generated page at ``request.path`` (resolved as ``res``, which found no page), or None."""
    path = request.path
    latin = res.script == "latn"
    if latin:
        path = site.languages.prefix(res.lang) + path[len(f"/{res.lang}-latn"):]
    if _is_popular_path(site, request.path):
        return popular_page(site, request, res.lang, res.script)
    reply = None
    if _is_search_path(site, path):
        reply = search_page(site, request, res.lang)
    else:
        found = author_match(site, path)
        if found is not None:
            reply = author_page(site, request, *found)
    if reply is not None and latin and reply.content_type.startswith("text/html"):
        html = latin_edition(site, reply.text, res.lang)
        html = html.replace(f'<html lang="{site.html_lang(res.lang)}">', f'<html lang="{site.html_lang(res.lang)}-Latn">', 1)
        reply.body = html.encode("utf-8")
        reply["Content-Language"] = f"{res.lang}-Latn"
    return reply


def may_generate(site, path: str, res) -> bool:
    """Whether :func:`generated_page` may answer ``path`` (cheap: nothing is rendered)."""
    if res.script == "latn":
        path = site.languages.prefix(res.lang) + path[len(f"/{res.lang}-latn"):]
    if _is_popular_path(site, path) or _is_search_path(site, path):
        return True
    return author_match(site, path) is not None


def _is_search_path(site, path: str) -> bool:
    """`/<lang>/search` (or `/search`) unless the site has a page there."""
    return path in {site.languages.prefix(code) + "/search" for code in site.language_codes}


def _is_popular_path(site, path: str) -> bool:
    """`/<lang>/popular` (and `/kk-latn/popular`) unless the site has a page there."""
    prefixes = [site.languages.prefix(code) for code in site.language_codes]
    prefixes += [f"/{code}-latn" for code in site.language_codes if site.latin_edition(code)]
    return path in {prefix + "/popular" for prefix in prefixes}


def _home_url(site, lang: str) -> str:
    tree = site.tree(lang)
    return tree.home.url() if tree.home else (site.languages.prefix(lang) or "/")


# --- search ---------------------------------------------------------------------------------
class BadQuery(ValueError):
    """A search query the reader has to fix (the message says how)."""


def search_query(site, args, lang: str | None):
    """The :class:`~qalam.search.backend.SearchQuery` of a query string (``q``, ``lang``,
    ``section``, ``from``, ``to``, ``page``, ``per_page``); :class:`BadQuery` names what is wrong."""
    from qalam.search.backend import SearchQuery

    q = (args.get("q") or "").strip()[:MAX_QUERY]
    lang = args.get("lang") or lang
    if lang and site.languages.enabled and lang not in site.languages.supported:
        raise BadQuery(f"unknown language {lang!r}; this site has: {', '.join(site.languages.supported)}")

    def day(name: str) -> date | None:
        value = args.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise BadQuery(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None

    def number(name: str, default: int) -> int:
        value = args.get(name)
        if value in (None, ""):
            return default
        if not str(value).isdigit() or int(value) < 1:
            raise BadQuery(f"{name}: {value!r} must be a positive whole number")
        return int(value)

    return SearchQuery(
        q=q, lang=lang or None, section=args.get("section") or None,
        date_from=day("from"), date_to=day("to"), page=number("page", 1), per_page=min(number("per_page", 10), 50),
    )


def search_page(site, request: Request, lang: str | None = None) -> Reply:
    from qalam.search.backend import SearchQuery
    from qalam.search.service import for_site

    lang = lang if lang in site.languages.supported else site.default_lang
    try:
        query = search_query(site, request.args, lang)
        error = None
    except BadQuery as err:
        query, error = SearchQuery(q="", lang=lang), str(err)
    results = for_site(site).search(query) if query.q else None
    switcher, _alts = language_links(site, None, lang, absolute_for(site, request))
    qs = ("?q=" + urllib.parse.quote_plus(query.q)) if query.q else ""
    for entry in switcher:
        entry["url"] = site.languages.prefix(entry["code"]) + "/search" + qs
    # The Cyrillic/Latin switch, as on every other page (the Latin page is this one transliterated).
    script = "latn" if request.path.startswith(f"/{lang}-latn/") else ""
    scripts = script_links(site, lang, site.languages.prefix(lang) + "/search", script)
    for entry in scripts:
        entry["url"] += qs
    html = environment(site).get_template("search.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=ui_string("search", lang, site=site), q=query.q, results=results, error=error, query=query,
        search_url=site.languages.prefix(lang) + "/search", home_url=_home_url(site, lang),
        menu=menu(site, lang, None), languages=switcher, alternates=[], metadata=[{"attr": "name", "key": "robots", "value": "noindex"}],
        body_classes="search", show_sidebar=False, scripts=scripts,
    )
    return Reply(html, status=400 if error else 200, content_type=HTML, headers={"Cache-Control": "public, max-age=60"})


# --- most read ------------------------------------------------------------------------------
def popular_page(site, request: Request, lang: str, script: str = "") -> Reply:
    """The most-read pages of the last 24 hours and 7 days in ``lang``."""
    from qalam.news import counter

    lang = lang if lang in site.language_codes else site.default_lang
    switcher, _alts = language_links(site, None, lang, absolute_for(site, request))
    for entry in switcher:
        entry["url"] = counter.popular_url(site, entry["code"])
    url = counter.popular_url(site, lang)
    title = ui_string("most_read", lang, site=site)
    html = environment(site).get_template("popular.html").render(
        site=site, site_title=site.config.title, lang=lang,
        html_lang=f"{site.html_lang(lang)}-Latn" if script == "latn" else site.html_lang(lang),
        title=title, script=script,
        windows=[
            {"id": "day", "title": ui_string("last_24_hours", lang, site=site),
             "items": counter.most_read_pages(site, lang, counter.DAY, POPULAR_LIMIT)},
            {"id": "week", "title": ui_string("last_7_days", lang, site=site),
             "items": counter.most_read_pages(site, lang, counter.WEEK, POPULAR_LIMIT)},
        ],
        home_url=_home_url(site, lang),
        menu=menu(site, lang, None), languages=switcher, alternates=[],
        metadata=[{"attr": "name", "key": "generator", "value": "Qalam"}],
        body_classes="popular", show_sidebar=False, scripts=script_links(site, lang, url, script),
    )
    if script == "latn":
        html = latin_edition(site, html, lang)
    return Reply(html, content_type=HTML, headers={
        "Cache-Control": "public, max-age=60",  # the lists change with every flush
        "Content-Language": site.html_lang(lang),
        "Link": f'<{absolute_for(site, request)(url)}>; rel="canonical"',
    })


# --- authors --------------------------------------------------------------------------------
_authors: dict = {}
_authors_lock = threading.Lock()


def authors_index(site, lang: str) -> dict[str, tuple[str, list]]:
    """slug -> (name, [pages]) for a language, rebuilt when the content changes."""
    key = (id(site), site.version, lang)
    hit = _authors.get(key)
    if hit is None:
        index: dict[str, tuple[str, list]] = {}
        for page in site.tree(lang).iter_pages():
            if not page.has_file or page.template_name != "item":
                continue
            for author in article(page).authors:
                index.setdefault(author.slug, (author.name, []))[1].append(page)
        with _authors_lock:
            _authors.clear()
            _authors[key] = index
        hit = index
    return hit


def author_match(site, path: str):
    """(lang, slug, page number) when `path` is an author page URL, else None."""
    for code in site.language_codes:
        prefix = re.escape(site.languages.prefix(code))
        m = re.match(rf"^{prefix}/author/([a-z0-9-]+)(?:/page:(\d+))?$", path)
        if m:
            return code, m.group(1), int(m.group(2) or 1)
    return None


def author_page(site, request: Request, lang: str, slug: str, page_no: int) -> Reply | None:
    """`/<lang>/author/<slug>`: an author's articles, newest first (None: no such author)."""
    entry = authors_index(site, lang).get(slug)
    if entry is None:
        return None
    name, pages = entry
    now = site.now()
    pages = sorted((p for p in pages if p.routable(now)), key=lambda p: p.date, reverse=True)
    if not pages:
        return None
    per_page = int(site.config.get("qalam.page_size") or 10)
    count = max(1, math.ceil(len(pages) / per_page))
    if page_no > count:
        return None
    base = f"{site.languages.prefix(lang)}/author/{slug}"
    listing = Listing(
        items=pages[(page_no - 1) * per_page: page_no * per_page], total=len(pages), page_no=page_no,
        pages_count=count, limit=per_page, base_url=base, params={"page": str(page_no)} if page_no > 1 else {},
    )
    switcher, _alts = language_links(site, None, lang, absolute_for(site, request))
    html = environment(site).get_template("author.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=f"{ui_string('author_page', lang, site=site)}: {name}", author=name, listing=listing,
        items=[item_for(site, p) for p in listing.items], home_url=_home_url(site, lang),
        menu=menu(site, lang, None), languages=switcher, alternates=[], metadata=[], body_classes="author",
        show_sidebar=False, canonical=absolute_for(site, request)(base),
        scripts=script_links(site, lang, base, "latn" if request.path.startswith(f"/{lang}-latn/") else ""),
    )
    return Reply(html, content_type=HTML,
                 headers={"Cache-Control": f"public, max-age={int(site.config.get('qalam.cache.max_age') or 0)}"})
