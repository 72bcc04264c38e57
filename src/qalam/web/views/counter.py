"""The view beacon (``POST /_qalam/view``); the most-read page is render/generated.py's.

The beacon needs no CSRF token: it reads and sets no cookie or session and changes nothing
that belongs to a user — it adds one to a public counter, which any client could do anyway.
What CSRF would stop, other sites making their readers' browsers send it, is refused by the
``Sec-Fetch-Site``/``Origin`` check in :func:`qalam.news.counter.handle_beacon`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from qalam.news import counter


@csrf_exempt
def view_beacon(request: HttpRequest) -> HttpResponse:
    """POST /_qalam/view with the page path as the body (or ``?p=``): 204, no body."""
    site = request.site
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > counter.MAX_BODY:
        status = 413
    else:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in request.META.items() if k.startswith("HTTP_")}
        headers["host"] = request.get_host()
        body = request.body if request.method == "POST" else b""
        status = counter.handle_beacon(
            site, method=request.method, query=request.META.get("QUERY_STRING", ""), body=body, headers=headers,
        )
    response = HttpResponse(status=status)
    response["Cache-Control"] = "no-store"
    if status == 405:
        response["Allow"] = "POST"
    return response


urlpatterns = [
    path(counter.BEACON_PATH.lstrip("/"), view_beacon, name="view-beacon"),
]
