"""Feed views (docs/feeds.md): the path names a feed, or the page dispatcher answers it."""

from __future__ import annotations

import urllib.parse

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from qalam.content.urlpaths import local_location
from qalam.news import feeds
from qalam.web.views.page import dispatch


def feed_view(request: HttpRequest, fmt: str = "rss", first: str | None = None, second: str | None = None,
              tag: str | None = None, full_text: bool = False) -> HttpResponse:
    """A feed; the page dispatcher answers paths that name no feed (a page may live there)."""
    site = request.site
    scope = feeds.resolve_scope(site, request, first, second, tag=tag, fmt=fmt, full_text=full_text)
    if scope is None or request.method not in ("GET", "HEAD"):
        return dispatch(request)
    if request.path != scope.path and urllib.parse.unquote(scope.path) != request.path:
        return HttpResponseRedirect(local_location(scope.path))  # e.g. /feed.rss -> /kk/feed.rss, /KK/ -> /kk/
    return (feeds.FULL_TEXT if full_text else feeds.FEEDS[fmt])(request, scope)


def full_text_view(request: HttpRequest, first: str | None = None) -> HttpResponse:
    return feed_view(request, "rss", first, full_text=True)
