"""Search: the results page in the theme and the JSON API, both over the site's search service."""

from __future__ import annotations

import urllib.parse
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse

from qalam.content.urlpaths import absolute_for
from qalam.render.context import language_links, menu, script_links
from qalam.render.strings import ui_string
from qalam.render.theme import environment
from qalam.search.backend import SearchQuery
from qalam.search.service import for_site

MAX_QUERY = 200


class BadRequest(ValueError):
    pass


def _query(request: HttpRequest, lang: str | None) -> SearchQuery:
    site = request.site
    q = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    lang = request.GET.get("lang") or lang
    if lang and site.languages.enabled and lang not in site.languages.supported:
        raise BadRequest(f"unknown language {lang!r}; this site has: {', '.join(site.languages.supported)}")

    def day(name: str) -> date | None:
        value = request.GET.get(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None

    def number(name: str, default: int) -> int:
        value = request.GET.get(name)
        if value in (None, ""):
            return default
        if not str(value).isdigit() or int(value) < 1:
            raise BadRequest(f"{name}: {value!r} must be a positive whole number")
        return int(value)

    return SearchQuery(
        q=q, lang=lang or None, section=request.GET.get("section") or None,
        date_from=day("from"), date_to=day("to"), page=number("page", 1), per_page=min(number("per_page", 10), 50),
    )


def api_search(request: HttpRequest) -> HttpResponse:
    """GET /api/search?q=...&lang=kk&section=news&from=2024-01-01&to=2024-12-31&page=1&per_page=10"""
    try:
        query = _query(request, None)
    except BadRequest as err:
        return JsonResponse({"error": str(err)}, status=400)
    if not query.q:
        return JsonResponse({"error": "q: give some words to search for"}, status=400)
    results = for_site(request.site).search(query)
    response = JsonResponse(
        {
            "query": query.q, "lang": query.lang, "total": results.total, "page": query.page,
            "pages": results.pages, "per_page": query.per_page,
            "results": [
                {"url": h.url, "title": h.title, "lang": h.lang, "section": h.section,
                 "date": h.date.isoformat() if h.date else None, "snippet": h.snippet, "score": round(h.score, 4)}
                for h in results.hits
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


def search_page(request: HttpRequest, lang: str | None = None) -> HttpResponse:
    site = request.site
    lang = lang if lang in site.languages.supported else site.default_lang
    try:
        query = _query(request, lang)
        error = None
    except BadRequest as err:
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
    tree = site.tree(lang)
    html = environment(site).get_template("search.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=ui_string("search", lang, site=site), q=query.q, results=results, error=error, query=query,
        search_url=site.languages.prefix(lang) + "/search",
        home_url=tree.home.url() if tree.home else (site.languages.prefix(lang) or "/"),
        menu=menu(site, lang, None), languages=switcher, alternates=[], metadata=[{"attr": "name", "key": "robots", "value": "noindex"}],
        body_classes="search", show_sidebar=False, scripts=scripts,
    )
    response = HttpResponse(html, status=400 if error else 200, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"
    return response
