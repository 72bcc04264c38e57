"""Pages as answers: a resolved path -> a :class:`~qalam.render.reply.Reply` (no web framework).

:func:`page_reply` is what every public page goes through — the server (web/views/page.py via
render/pipeline.py), its page cache and the static export (build/export.py) — so that what is
served and what is exported cannot differ. Pages Qalam makes itself where the site has none
(search, most read, author pages) are in render/generated.py.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os

from qalam.content.collections import content_spec
from qalam.content.urlpaths import absolute_for
from qalam.render.context import page_context
from qalam.render.latin import latin_edition
from qalam.render.reply import HTML, Reply, Request, http_date, redirect
from qalam.render.strings import ui_string
from qalam.render.theme import environment, page_template
from qalam.render.hosts import MEDIA_SANDBOX_CSP, VALID_UNTIL

log = logging.getLogger("qalam.web")

#: Media up to this size are answered in one piece; larger ones as an open file, streamed.
SMALL_MEDIUM = 4 * 1024 * 1024


def page_reply(site, request: Request, res) -> Reply:
    """The answer for a resolved path (``site.resolve``)."""
    if res.kind == "redirect":
        return redirect(site.latin_url(res.location, res.lang) if res.script == "latn" else res.location, res.status)
    if res.kind == "media":
        return media_reply(site, res.file)
    if res.kind == "not_found":
        from qalam.render.generated import generated_page

        try:
            generated = generated_page(site, request, res)
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
    return with_cache_headers(site, Reply(html, content_type=HTML), page, listing)


def private_reply(site, request: Request, res) -> Reply:
    """A page with Grav ``access:`` rules, for an account allowed to read it: never cached by anyone."""
    res.kind, res.page, res.status = "page", res.private, 200
    reply = page_reply(site, request, res)
    reply.pop(VALID_UNTIL)
    reply.pop("ETag")
    reply["Cache-Control"] = "private, no-store"
    reply["Vary"] = "Cookie"
    return reply


def with_cache_headers(site, reply: Reply, page, listing) -> Reply:
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
    reply["Cache-Control"] = f"public, max-age={max_age}"
    # For the server's page cache (serve/hotpath.py, which strips it): valid until the next
    # scheduled change, or until the content changes.
    reply[VALID_UNTIL] = str(int(min(changes).timestamp())) if changes else "never"
    modified = max([page.modified] + [p.modified for p in (listing.items if listing else [])])
    reply["Last-Modified"] = http_date(modified.timestamp())
    reply["ETag"] = '"%s"' % hashlib.sha1(reply.body + str(site.version).encode()).hexdigest()[:20]
    reply["Content-Language"] = site.html_lang(page.lang)
    return reply


def media_reply(site, path, root=None) -> Reply:
    """A medium of a page: a regular file inside the pages folder (or ``root``: a theme's static
    folder) (safefs), opened without blocking; anything that could carry script is sandboxed."""
    from qalam.content.safefs import UnsafeFile, open_regular

    ctype, _ = mimetypes.guess_type(str(path))
    ctype = ctype or "application/octet-stream"
    try:
        fh = open_regular(path, root if root is not None else site.pages_dir)
    except (UnsafeFile, OSError):
        return not_found(site, "")
    st = os.fstat(fh.fileno())
    if st.st_size <= SMALL_MEDIUM:
        with fh:  # small files in one piece: no synchronous streaming under ASGI
            reply = Reply(fh.read(), content_type=ctype)
    else:
        reply = Reply(content_type=ctype, file=fh)
        reply["Content-Length"] = str(st.st_size)
    reply["Last-Modified"] = http_date(st.st_mtime)
    reply["ETag"] = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    reply["Cache-Control"] = "public, max-age=86400"
    if not _inert(ctype):
        # SVG, XML, HTML ... can carry script: never let it run in our origin.
        reply["Content-Security-Policy"] = MEDIA_SANDBOX_CSP
    return reply


def _inert(ctype: str | None) -> bool:
    """Media types a browser never runs script in (raster images, sound, video, fonts, PDF)."""
    if not ctype:
        return False
    main = ctype.split(";", 1)[0].strip().lower()
    if main == "image/svg+xml":
        return False
    return main.startswith(("image/", "audio/", "video/", "font/")) or main in (
        "application/pdf", "application/zip", "application/octet-stream")


def not_found(site, lang: str) -> Reply:
    lang = lang or site.default_lang
    tree = site.tree(lang)
    html = environment(site).get_template("error.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=ui_string("not_found_title", lang, site=site), status=404,
        home_url=tree.home.url() if tree.home else (site.languages.prefix(lang) or "/"),
        menu=[], languages=[], alternates=[], metadata=[], body_classes="",
    )
    return Reply(html, status=404, content_type=HTML)


def server_error(site, lang: str) -> Reply:
    lang = lang or site.default_lang
    html = environment(site).get_template("error.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title="500", status=500, home_url="/", menu=[], languages=[], alternates=[], metadata=[], body_classes="",
    )
    return Reply(html, status=500, content_type=HTML)
