"""`/<key>.txt`: the IndexNow key file (https://www.indexnow.org/documentation, "key file").

Search engines fetch it to check that the site itself sent a notification. Any other
`/<name>.txt` falls through to the page dispatcher (media of the home page, routes, 404).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from qalam.news.distribution import indexnow_key
from qalam.web.views import page


def indexnow_key_file(request: HttpRequest, key: str) -> HttpResponse:
    site = request.site
    if request.method in ("GET", "HEAD") and indexnow_key(site) == key:
        response = HttpResponse(key, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "public, max-age=3600"
        return response
    return page.dispatch(request)
