"""Django middleware of the site: the host check and the page policy header (docs/security.md)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from qalam.web.app import current_site
from qalam.render.hosts import BAD_HOST_BODY, host_allowed, page_csp


def bad_host_response() -> HttpResponse:
    return HttpResponse(BAD_HOST_BODY, status=400,
                        content_type="text/plain; charset=utf-8")


class HostMiddleware:
    """400 for a ``Host`` the site does not answer to (before any view, cache or session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        site = request.site = current_site()  # views take the site from the request
        if not host_allowed(site, host):
            return bad_host_response()
        response = self.get_response(request)
        # Every HTML answer carries the page policy (cached with it by the page cache).
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            csp = page_csp(site)
            if csp:
                response["Content-Security-Policy"] = csp
        return response


#: Paths whose views use accounts; any request carrying a session or token uses them too.
_ACCOUNT_PATHS = ("/editor", "/api/v1")


class DatabaseMiddleware:
    """Migrate the site's database before the first request that needs it (docs/editor.md).

    A reader's page view never needs it: only the editor, the API and requests of people who
    are logged in (a session cookie or an ``Authorization`` header) do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from django.conf import settings

        if (request.path.startswith(_ACCOUNT_PATHS) or settings.SESSION_COOKIE_NAME in request.COOKIES
                or "HTTP_AUTHORIZATION" in request.META):
            from qalam.web.app import ensure_database

            ensure_database(request.site)
        return self.get_response(request)
