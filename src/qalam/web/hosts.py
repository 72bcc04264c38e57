"""Which hosts a request may name, and the origin absolute URLs are built from (docs/security.md).

A forged ``Host`` header must never reach a page: canonical, hreflang, Open Graph, JSON-LD, feed
and sitemap URLs are built from the configured base URL (``site.base_url`` / ``qalam.site_url``,
or ``qalam serve --base-url``); without one, from the request, but only for loopback and the
host names the site lists (``qalam.hosts``): anything else is answered 400 before any view runs
or any cache is touched. Forwarded headers are believed only from configured proxies (uvicorn's
``--proxy-headers``/``--forwarded-allow-ips``), never to widen this.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.encoding import iri_to_uri

from .app import current_site
from .hotpath import BAD_HOST_BODY, host_name


def host_allowed(site, host: str) -> bool:
    return host_name(host) in site.config.hosts


def origin(site, request: HttpRequest) -> str:
    """Scheme and host (no trailing slash) of every absolute URL in a response to ``request``."""
    base = site.config.base_url
    if base:
        return base
    return f"{request.scheme}://{request.get_host()}"


def absolute_url(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return iri_to_uri(path)
    return iri_to_uri(base + (path if path.startswith("/") else "/" + path))


def absolute_for(site, request: HttpRequest) -> Callable[[str], str]:
    """``path -> absolute URL`` for templates (what ``request.build_absolute_uri`` was, minus the Host)."""
    base = origin(site, request)
    return lambda path: absolute_url(base, path)




def bad_host_response() -> HttpResponse:
    return HttpResponse(BAD_HOST_BODY, status=400,
                        content_type="text/plain; charset=utf-8")


#: The Content-Security-Policy of HTML pages unless ``qalam.csp`` says otherwise. The default theme
#: passes it (no inline script: the view beacon is static/beacon.js). Content that embeds other
#: sites' players or scripts needs a wider policy in ``qalam.csp`` (docs/security.md).
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "media-src 'self' https:; frame-src 'self' https:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
#: What a medium that could carry script (SVG, XML, HTML) is served with: it runs nothing, in a
#: sandbox of its own, whatever the page that links it.
MEDIA_SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox"


def page_csp(site) -> str | None:
    value = site.config.get("qalam.csp")
    if value is None or str(value).strip() == "default":
        return DEFAULT_CSP
    if value is False or str(value).strip() in ("", "false", "off", "none"):
        return None
    return " ".join(str(value).split())


class HostMiddleware:
    """400 for a ``Host`` the site does not answer to (before any view, cache or session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        site = current_site()
        if not host_allowed(site, host):
            return bad_host_response()
        response = self.get_response(request)
        # Every HTML answer carries the page policy (cached with it by the page cache).
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            csp = page_csp(site)
            if csp:
                response["Content-Security-Policy"] = csp
        return response
