"""The public URL space of a site, from path to bytes, without a web framework.

:func:`answer` is the one entry point for everything a reader can fetch: pages (Grav's routes,
listings, the Latin edition, generated pages), page media, theme assets, image renditions,
feeds, sitemaps, ``robots.txt`` and the IndexNow key file. The server's Django view
(web/views/page.py) and the static export (build/export.py) both call it, so they cannot
disagree; Django keeps what needs a session or a form (editor, API, beacon, private pages'
permission check, which it passes in as ``may_read``).

The table below is in match order; feed and sitemap patterns are deliberately loose (a
language, a section or a tag segment): their handlers check what the segments name and hand
anything else to the page resolver, so only paths that really are feeds shadow pages.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

from qalam.render.answers import media_reply, not_found, page_reply, private_reply
from qalam.render.reply import TEXT, XML, Reply, Request, http_date, not_allowed, redirect

SEG = r"[^/]+"
FMT = r"(?P<fmt>rss|atom|json)"

#: A theme asset, an image rendition, feeds, sitemaps, robots.txt, the IndexNow key; else a page.
ROUTES: list[tuple[str, re.Pattern]] = [
    ("static", re.compile(r"^/_qalam/static/(?P<name>.+)$")),
    ("robots", re.compile(r"^/robots\.txt$")),
    ("sitemap_index", re.compile(r"^/sitemap\.xml$")),
    ("sitemap", re.compile(r"^/sitemap-(?P<name>[^/]+?)(?:-(?P<number>[0-9]+))?\.xml$")),
    # /tag/x/feed.rss before the section form, which would read it as language "tag", section "x".
    ("feed", re.compile(rf"^/(?:(?P<first>{SEG})/)?tag/(?P<tag>{SEG})/feed\.{FMT}$")),
    ("feed", re.compile(rf"^/(?:(?P<first>{SEG})/)?(?:(?P<second>{SEG})/)?feed\.{FMT}$")),
    ("feed_full", re.compile(rf"^/(?:(?P<first>{SEG})/)?feed-full\.rss$")),
    ("rendition", re.compile(r"^/_qalam/img/(?P<width>[0-9]+)/(?P<fmt>[^/]+)/(?P<rel>.+)$")),
    ("indexnow", re.compile(r"^/(?P<key>[A-Za-z0-9-]{8,128})\.txt$")),
]

#: Who may read a page with ``access:`` rules: ``may_read(page.access) -> bool`` (the server's sessions).
MayRead = Callable[[dict], bool]


def answer(site, request: Request, *, may_read: MayRead | None = None, render_missing: bool = True) -> Reply | None:
    """What ``site`` answers for ``request``.

    ``render_missing=False`` (the export) gives ``None`` instead of rendering a 404 page for a
    path where nothing is: the crawl only needs to know, and the link check reports it.
    """
    if request.method not in ("GET", "HEAD"):
        return not_allowed("GET", "HEAD")  # reads only: never a state change
    path = request.path
    for kind, pattern in ROUTES:
        m = pattern.match(path)
        if m is not None:
            reply = _HANDLERS[kind](site, request, **{k: v for k, v in m.groupdict().items() if v is not None})
            if reply is not None:
                return reply
            break  # not what the pattern looked like: perhaps a page lives there
    return page(site, request, may_read=may_read, render_missing=render_missing)


def page(site, request: Request, *, may_read: MayRead | None = None, render_missing: bool = True) -> Reply | None:
    """A page, a page's medium, a redirect or a generated page (search, most read, authors)."""
    res = site.resolve(request.path, accept_language=request.accept_language)
    if res.private is not None:
        if may_read is not None and may_read(res.private.access):
            return private_reply(site, request, res)
        res.private = None  # the same 404 as for no page at all
    if not render_missing and res.kind == "not_found":
        from qalam.render.generated import may_generate

        if not may_generate(site, request.path, res):
            return None
    return page_reply(site, request, res)


# --- handlers (None: the path names nothing of the kind, the page resolver answers) --------------
def _static(site, request: Request, name: str) -> Reply | None:
    from qalam.render.theme import static_file

    path = static_file(site, name)
    if path is None:
        return not_found(site, "")
    reply = media_reply(site, path, root=path.parent)
    reply["Cache-Control"] = "public, max-age=3600"
    return reply


def _robots(site, request: Request) -> Reply:
    from qalam.news.feeds import site_base
    from qalam.news.sitemaps import robots_txt

    return _syndication(robots_txt(site, site_base(site, request)), TEXT)


def _sitemap_index(site, request: Request) -> Reply:
    from qalam.news.feeds import site_base
    from qalam.news.sitemaps import sitemap_index_xml

    return _syndication(sitemap_index_xml(site, site_base(site, request)), XML)


def _sitemap(site, request: Request, name: str, number: str | None = None) -> Reply | None:
    from qalam.news.feeds import site_base
    from qalam.news.sitemaps import sitemap_xml

    data = sitemap_xml(site, request.path, site_base(site, request), name, number)
    return _syndication(data, XML) if data is not None else None


def _syndication(data: bytes, content_type: str) -> Reply:
    from qalam.news.feeds import MAX_AGE

    return Reply(data, content_type=content_type, headers={"Cache-Control": f"public, max-age={MAX_AGE}"})


def _feed(site, request: Request, fmt: str = "rss", first: str | None = None, second: str | None = None,
          tag: str | None = None, full_text: bool = False) -> Reply | None:
    from qalam.content.urlpaths import local_location
    from qalam.news import feeds

    scope = feeds.resolve_scope(site, request, first, second, tag=tag, fmt=fmt, full_text=full_text)
    if scope is None:
        return None
    if request.path != scope.path and urllib.parse.unquote(scope.path) != request.path:
        return redirect(local_location(scope.path))  # e.g. /feed.rss -> /kk/feed.rss, /KK/ -> /kk/
    data, content_type, latest = feeds.feed_bytes(scope)
    reply = _syndication(data, content_type)
    reply["Last-Modified"] = http_date(latest.timestamp())
    return reply


def _feed_full(site, request: Request, first: str | None = None) -> Reply | None:
    return _feed(site, request, "rss", first, full_text=True)


#: A rendition URL whose ``v`` matches the file version never changes content.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Without (or with an old) ``v``: the content follows the file, so not for long.
UNVERSIONED = "public, max-age=3600"
#: The original served in place of a rendition that cannot be made.
FALLBACK = "public, max-age=300"


def _rendition(site, request: Request, width: str, fmt: str, rel: str) -> Reply:
    """``/_qalam/img/<width>/<format>/<folder path>/<file>`` (docs/images.md).

    Only configured widths (``qalam.images.widths``) and the formats a file has (its own, plus
    ``webp`` when ``qalam.images.webp`` is on) exist; anything else is a 404, so the URL space
    cannot be used to make the server resize images at will. When a file cannot have renditions
    (too many pixels, truncated, corrupt, animated) the original is served with a short cache
    lifetime, so a page never shows a broken image for it.
    """
    from qalam.content.images import CONTENT_TYPES, EXT_FORMAT, renditions_for

    renditions = renditions_for(site)
    out_fmt = EXT_FORMAT.get(fmt)
    if out_fmt is None or int(width) not in renditions.widths:
        return not_found(site, "")
    source = renditions.source(rel)
    if source is None or out_fmt not in renditions.formats(source):
        return not_found(site, "")
    path = renditions.rendition(source, int(width), out_fmt)
    if path is None:
        reply = media_reply(site, source.path)
        reply["Cache-Control"] = FALLBACK
        return reply
    return Reply(path.read_bytes(), content_type=CONTENT_TYPES[out_fmt], headers={
        "ETag": f'"{path.stem[:32]}"',
        "Last-Modified": http_date(source.mtime_ns / 1e9),
        "Cache-Control": IMMUTABLE if request.args.get("v") == renditions.version(source) else UNVERSIONED,
    })


def _indexnow(site, request: Request, key: str) -> Reply | None:
    """``/<key>.txt``: the IndexNow key file (https://www.indexnow.org/documentation, "key file").

    Search engines fetch it to check that the site itself sent a notification. Any other
    ``/<name>.txt`` is a page path (media of the home page, routes, 404).
    """
    from qalam.news.distribution import indexnow_key

    if indexnow_key(site) != key:
        return None
    return Reply(key, content_type=TEXT, headers={"Cache-Control": "public, max-age=3600"})


_HANDLERS = {
    "static": _static, "robots": _robots, "sitemap_index": _sitemap_index, "sitemap": _sitemap,
    "feed": _feed, "feed_full": _feed_full, "rendition": _rendition, "indexnow": _indexnow,
}
