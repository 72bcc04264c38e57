"""The search JSON API (``/api/search``); the results page is rendered by render/generated.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from qalam.render.generated import BadQuery, search_query
from qalam.search.service import for_site


def api_search(request: HttpRequest) -> HttpResponse:
    """GET /api/search?q=...&lang=kk&section=news&from=2024-01-01&to=2024-12-31&page=1&per_page=10"""
    try:
        query = search_query(request.site, request.GET, None)
    except BadQuery as err:
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
