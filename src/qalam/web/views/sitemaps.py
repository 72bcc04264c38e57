"""Sitemap and robots.txt views (docs/feeds.md); the XML is written by news/sitemaps.py."""

from __future__ import annotations

from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse

from qalam.news.feeds import MAX_AGE, site_base
from qalam.news.sitemaps import (
    DISALLOW,
    NewsSitemap,
    absolute_url,
    is_news_site,
    sitemaps_for,
    write_news_urlset,
    write_sitemap_index,
    write_urlset,
)
from qalam.web.views.page import dispatch


def _xml(write, *args) -> HttpResponse:
    response = HttpResponse(content_type="application/xml; charset=utf-8")
    write(response, *args)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def sitemap_index(request: HttpRequest) -> HttpResponse:
    site = request.site
    base = site_base(site, request)
    entries = []
    for sitemap in sitemaps_for(site):
        lastmod = sitemap.get_latest_lastmod()
        for number in sitemap.paginator.page_range:
            entries.append((absolute_url(base, sitemap.file_path(number)), lastmod))
    return _xml(write_sitemap_index, entries)


def sitemap_section(request: HttpRequest, name: str, number: str | None = None) -> HttpResponse:
    """``/sitemap-<name>.xml`` and its further files ``/sitemap-<name>-<n>.xml`` (n >= 2)."""
    site = request.site
    sitemap = next((s for s in sitemaps_for(site) if s.name == name.lower()), None)
    n = int(number) if number else 1
    if sitemap is None or number == "1" or request.path != sitemap.file_path(n):
        return dispatch(request)
    base = site_base(site, request)
    try:
        if isinstance(sitemap, NewsSitemap):
            return _xml(write_news_urlset, sitemap.publication(), sitemap.entries(base, n))
        return _xml(write_urlset, sitemap.urls_for(base, n))
    except EmptyPage:
        return dispatch(request)


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Everything allowed but the API and the preview; ``Sitemap:`` lines with absolute URLs.

    Disallow lines come before ``Allow: /`` because crawlers that take the first matching rule
    (the original robots.txt convention) would otherwise never see them; Google and Yandex take
    the longest match, where the order does not matter.
    """
    site = request.site
    base = site_base(site, request)
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOW), "Allow: /", ""]
    lines.append(f"Sitemap: {absolute_url(base, '/sitemap.xml')}")
    if is_news_site(site):
        lines.append(f"Sitemap: {absolute_url(base, '/sitemap-news.xml')}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
