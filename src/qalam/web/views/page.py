"""The one catch-all view: ask the site what the path is, hand it to a template."""

from __future__ import annotations

import hashlib
import logging
import mimetypes

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from qalam.content.collections import content_spec
from qalam.content.urlpaths import absolute_for
from qalam.render.context import page_context
from qalam.render.latin import latin_edition
from qalam.render.strings import ui_string
from qalam.render.theme import environment, page_template
from qalam.web.hosts import VALID_UNTIL

log = logging.getLogger("qalam.web")


@csrf_exempt  # reads only: anything but GET and HEAD is a 405, never a state change
def dispatch(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    site = request.site
    res = site.resolve(request.path, accept_language=request.headers.get("Accept-Language"))
    if res.private is not None:
        return private_page(request, site, res)
    return respond(request, site, res)


def private_page(request: HttpRequest, site, res) -> HttpResponse:
    """A page with Grav `access:` rules: shown to a logged-in account whose role meets them
    (docs/editor.md), never cached by anyone; everyone else gets the same 404 as for no page."""
    from django.conf import settings

    page = res.private
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        from qalam.web.accounts import may_read_private

        if may_read_private(request.user, page.access):
            res.kind, res.page, res.status = "page", page, 200
            response = respond(request, site, res)
            response.headers.pop(VALID_UNTIL, None)
            response["Cache-Control"] = "private, no-store"
            response.headers.pop("ETag", None)
            response["Vary"] = "Cookie"
            return response
    res.private = None
    return respond(request, site, res)


def respond(request: HttpRequest, site, res) -> HttpResponse:
    """The answer for a resolved path (the static export calls this directly)."""
    if res.kind == "redirect":
        response = HttpResponse(status=res.status)
        response["Location"] = site.latin_url(res.location, res.lang) if res.script == "latn" else res.location
        return response
    if res.kind == "media":
        return media_response(site, res.file)
    if res.kind == "not_found":
        try:
            generated = generated_page(request, site, res)
        except Exception:  # one broken page never takes the site down
            log.exception("cannot render the generated page %s", request.path)
            return server_error(site, res.lang)
        return generated or not_found(site, res.lang)
    page = res.page
    listing = None
    try:
        if content_spec(page) is not None:
            listing = site.listing(page, res.params)
            if listing.page_no > listing.pages_count:
                return not_found(site, res.lang)
        ctx = page_context(site, page, res.lang, listing, absolute_for(site, request), res.script)
        html = page_template(site, page.template_name).render(ctx)
        if res.script == "latn":
            html = latin_edition(site, html, res.lang)
    except Exception:  # one broken page never takes the site down
        log.exception("cannot render %s", page.file_rel)
        return server_error(site, res.lang)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    return with_cache_headers(site, response, page, listing)


def generated_page(request: HttpRequest, site, res) -> HttpResponse | None:
    """Pages Qalam makes itself where the site has none: search, most read, author pages.

    In the Latin edition they are the Cyrillic page transliterated, like every other page.
    """
    path = request.path
    latin = res.script == "latn"
    if latin:
        path = site.languages.prefix(res.lang) + path[len(f"/{res.lang}-latn"):]
    if _is_popular_path(site, request.path):
        from qalam.web.views.counter import popular_page

        return popular_page(request, res.lang, res.script)
    response = None
    if _is_search_path(site, path):
        from qalam.web.views.search import search_page

        response = search_page(request, res.lang)
    else:
        from qalam.web.views import author

        found = author.match(site, path)
        if found is not None:
            response = author.author_page(request, *found)
    if response is not None and latin and response.get("Content-Type", "").startswith("text/html"):
        html = latin_edition(site, response.content.decode("utf-8"), res.lang)
        html = html.replace(f'<html lang="{site.html_lang(res.lang)}">', f'<html lang="{site.html_lang(res.lang)}-Latn">', 1)
        response.content = html.encode("utf-8")
        response["Content-Language"] = f"{res.lang}-Latn"
    return response


def may_generate(site, path: str, res) -> bool:
    """Whether :func:`generated_page` may answer ``path`` (cheap: nothing is rendered)."""
    if res.script == "latn":
        path = site.languages.prefix(res.lang) + path[len(f"/{res.lang}-latn"):]
    if _is_popular_path(site, path) or _is_search_path(site, path):
        return True
    from qalam.web.views import author

    return author.match(site, path) is not None


def _is_search_path(site, path: str) -> bool:
    """`/<lang>/search` (or `/search`) unless the site has a page there."""
    return path in {site.languages.prefix(code) + "/search" for code in site.language_codes}


def _is_popular_path(site, path: str) -> bool:
    """`/<lang>/popular` (and `/kk-latn/popular`) unless the site has a page there."""
    prefixes = [site.languages.prefix(code) for code in site.language_codes]
    prefixes += [f"/{code}-latn" for code in site.language_codes if site.latin_edition(code)]
    return path in {prefix + "/popular" for prefix in prefixes}


def with_cache_headers(site, response: HttpResponse, page, listing) -> HttpResponse:
    now = site.now()
    max_age = int(site.config.get("qalam.cache.max_age") or 0)
    # A scheduled publish/unpublish bounds how long anyone may reuse the response.
    changes = [c for c in [page.next_change(now)] + [p.next_change(now) for p in (listing.items if listing else [])] if c]
    if listing is not None:
        # Members not on this page may become published and move into it.
        if (c := page.tree.next_change(now)) is not None:
            changes.append(c)
    if changes:
        max_age = max(0, min(max_age, int((min(changes) - now).total_seconds())))
    response["Cache-Control"] = f"public, max-age={max_age}"
    # For the server's page cache (serve/hotpath.py, which strips it): valid until the next
    # scheduled change, or until the content changes.
    response[VALID_UNTIL] = str(int(min(changes).timestamp())) if changes else "never"
    modified = max([page.modified] + [p.modified for p in (listing.items if listing else [])])
    response["Last-Modified"] = http_date(modified.timestamp())
    response["ETag"] = '"%s"' % hashlib.sha1(response.content + str(site.version).encode()).hexdigest()[:20]
    response["Content-Language"] = site.html_lang(page.lang)
    return response


def media_response(site, path, root=None) -> HttpResponse:
    """A medium of a page: a regular file inside the pages folder (or ``root``: a theme's static
    folder) (safefs), opened without blocking; anything that could carry script is sandboxed."""
    import os

    from qalam.content.safefs import UnsafeFile, open_regular
    from qalam.web.hosts import MEDIA_SANDBOX_CSP

    ctype, _ = mimetypes.guess_type(str(path))
    try:
        fh = open_regular(path, root if root is not None else site.pages_dir)
    except (UnsafeFile, OSError):
        return not_found(site, "")
    st = os.fstat(fh.fileno())
    if st.st_size <= 4 * 1024 * 1024:
        # Small files in one piece: no synchronous streaming under ASGI.
        with fh:
            response = HttpResponse(fh.read(), content_type=ctype or "application/octet-stream")
    else:
        response = FileResponse(fh, content_type=ctype or "application/octet-stream")
    response["Last-Modified"] = http_date(st.st_mtime)
    response["ETag"] = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    response["Cache-Control"] = "public, max-age=86400"
    if not _inert(ctype):
        # SVG, XML, HTML ... can carry script: never let it run in our origin.
        response["Content-Security-Policy"] = MEDIA_SANDBOX_CSP
    return response


def _inert(ctype: str | None) -> bool:
    """Media types a browser never runs script in (raster images, sound, video, fonts, PDF)."""
    if not ctype:
        return False
    main = ctype.split(";", 1)[0].strip().lower()
    if main == "image/svg+xml":
        return False
    return main.startswith(("image/", "audio/", "video/", "font/")) or main in (
        "application/pdf", "application/zip", "application/octet-stream")


def not_found(site, lang: str) -> HttpResponse:
    lang = lang or site.default_lang
    env = environment(site)
    tree = site.tree(lang)
    html = env.get_template("error.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=ui_string("not_found_title", lang, site=site), status=404,
        home_url=tree.home.url() if tree.home else (site.languages.prefix(lang) or "/"),
        menu=[], languages=[], alternates=[], metadata=[], body_classes="",
    )
    return HttpResponse(html, status=404, content_type="text/html; charset=utf-8")


def server_error(site, lang: str) -> HttpResponse:
    lang = lang or site.default_lang
    html = environment(site).get_template("error.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title="500", status=500, home_url="/", menu=[], languages=[], alternates=[], metadata=[], body_classes="",
    )
    return HttpResponse(html, status=500, content_type="text/html; charset=utf-8")
