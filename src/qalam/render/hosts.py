"""Which hosts a request may name, and the policy headers of every answer (docs/security.md).

A forged ``Host`` header must never reach a page: canonical, hreflang, Open Graph, JSON-LD, feed
and sitemap URLs are built from the configured base URL (``site.base_url`` / ``qalam.site_url``,
or ``qalam serve --base-url``); without one, from the request, but only for loopback and the
host names the site lists (``qalam.hosts``): anything else is answered 400 before any view runs
or any cache is touched. Forwarded headers are believed only from configured proxies (uvicorn's
``--proxy-headers``/``--forwarded-allow-ips``), never to widen this.

No Django here: the page cache in front of Django (serve/hotpath.py) applies the same rules; the
Django side is web/middleware.py; it lives beside the render pipeline, which sets VALID_UNTIL. Absolute URLs are built by content/urlpaths.py.
"""

from __future__ import annotations

#: Response header set by the page view: the Unix time the response stops being valid, or
#: ``never`` (until the content changes). The page cache (serve/hotpath.py) reads and removes it.
VALID_UNTIL = "X-Qalam-Valid-Until"

#: The answer to a request naming a host the site does not answer to (the page cache and the host middleware).
BAD_HOST_BODY = b"400 Bad Request: this site does not answer to that host name. The site's operator can set site.base_url or list the name in qalam.hosts (docs/security.md).\n"


def host_name(host: bytes | str) -> str:
    """``Example.KZ:8000`` -> ``example.kz``; ``[::1]:8000`` -> ``[::1]``."""
    text = (host.decode("latin-1") if isinstance(host, bytes) else host).strip().lower()
    if text.startswith("["):
        return text.split("]", 1)[0] + "]"
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def host_allowed(site, host: str) -> bool:
    return host_name(host) in site.config.hosts


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


#: Headers every answer carries (Django's settings in web/app.py are these values).
REFERRER_POLICY = "strict-origin-when-cross-origin"
FRAME_OPTIONS = "SAMEORIGIN"
OPENER_POLICY = "same-origin"


def add_policy_headers(site, reply) -> None:
    """What the server's middleware adds to a public answer, for answers that skip Django (the page
    cache renders misses through the pipeline directly): the same headers, byte for byte
    (tests/serve/test_direct_render.py compares them for pages, feeds, redirects, assets and 404s)."""
    import hashlib

    if not reply.content_type:
        reply["Content-Type"] = "text/html; charset=utf-8"  # Django's default, on redirects too
    if reply.content_type.startswith("text/html") and "Content-Security-Policy" not in reply:
        csp = page_csp(site)
        if csp:
            reply["Content-Security-Policy"] = csp
    for name, value in (("X-Frame-Options", FRAME_OPTIONS), ("X-Content-Type-Options", "nosniff"),
                        ("Referrer-Policy", REFERRER_POLICY), ("Cross-Origin-Opener-Policy", OPENER_POLICY)):
        if name not in reply:
            reply[name] = value
    if reply.file is None:
        # ConditionalGetMiddleware's entity tag for answers without one (feeds, sitemaps, search).
        if "ETag" not in reply and reply.body and "no-store" not in (reply.get("Cache-Control") or "").lower():
            reply["ETag"] = '"%s"' % hashlib.md5(reply.body, usedforsecurity=False).hexdigest()
        reply["Content-Length"] = str(len(reply.body))
