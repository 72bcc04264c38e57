"""The one catch-all view: everything public is answered by the render pipeline.

Django adds only what needs the server: the session that lets an account read a page with
Grav ``access:`` rules (docs/editor.md). Pages, media, feeds, sitemaps, renditions and theme
assets are rendered by render/pipeline.py, which the static export calls too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from qalam.render import pipeline
from qalam.web.replies import request_of, response_of


@csrf_exempt  # reads only: anything but GET and HEAD is a 405, never a state change
def dispatch(request: HttpRequest) -> HttpResponse:
    return response_of(pipeline.answer(request.site, request_of(request), may_read=_reader(request)))


def _reader(request: HttpRequest):
    """Who may read a private page: a logged-in account whose role meets its rules (else nobody)."""
    from django.conf import settings

    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session: no database query for an anonymous reader

    def may_read(access) -> bool:
        from qalam.web.accounts import may_read_private

        return may_read_private(request.user, access)

    return may_read
