"""Page content pipeline (rule book §8): Markdown -> Twig (sandbox) -> summary split.

Links and image paths are resolved the Grav way (relative to the page route, folder
paths with prefixes accepted, media to ``/user/pages/...`` URLs, links keep the
language prefix). Rendered content is cached per (language, file, index version).
"""

from __future__ import annotations

import logging
import posixpath
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import deep_merge, truthy
from .markdown import MarkdownOptions, ResolvedUrl, render_markdown
from .summary import make_summary, split_divider
from .twig import TwigDict, TwigRenderer

if TYPE_CHECKING:  # pragma: no cover
    from .pages import Page
    from .site import Site

log = logging.getLogger("qalam.render")

IMAGE_EXTS = {"jpg", "jpeg", "png", "gif", "webp", "svg", "avif", "bmp"}
_PREFIX = re.compile(r"^\d+\.")


#: The notice readers see in place of a page whose file cannot be read (broken header, too big,
#: refused by safefs); `qalam check` and the log say which file and why.
UNAVAILABLE = {
    "kk": "Бұл беттің мазмұнын қазір көрсету мүмкін емес.",
    "ru": "Содержимое этой страницы сейчас недоступно.",
    "en": "The content of this page cannot be shown right now.",
}


@dataclass
class RenderedContent:
    html: str  # the page content, divider removed
    summary_offset: int | None  # where the `===` divider was, or None
    warnings: list[str] = field(default_factory=list)
    _summaries: dict = field(default_factory=dict, repr=False, compare=False)

    def summary(self, *, enabled=True, format="short", size=300) -> str:
        """The summary (computed once per setting: a page is summarised in every listing it is in)."""
        key = (enabled, format, size)
        out = self._summaries.get(key)
        if out is None:
            out = self._summaries[key] = make_summary(self.html, self.summary_offset, enabled=enabled,
                                                      format=format, size=size)
        return out


class Renderer:
    def __init__(self, site: Site):
        self.site = site
        self._cache: dict[tuple, RenderedContent] = {}
        self._lock = threading.Lock()
        self.twig = TwigRenderer(logger=logging.getLogger("qalam.twig"))

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def content(self, page: Page) -> RenderedContent:
        if page.preview_body is not None:
            return self._render(page)  # an unsaved version: never cached
        key = (page.lang, page.file_rel, self.site.version)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        rendered = self._render(page)
        if truthy(page.header.get("cache_enable", True)) and not truthy(page.header.get("never_cache_twig", False)):
            with self._lock:
                self._cache[key] = rendered
        return rendered

    # --- pipeline --------------------------------------------------------------------
    def _render(self, page: Page) -> RenderedContent:
        site = self.site
        warnings: list[str] = []
        if page.error:
            # Readers get a neutral notice in the page's language; the file, line and problem
            # go to the log and to `qalam check` (never the server's paths to a reader).
            where = f"pages/{page.file_rel}:{page.error.get('line') or '?'}"
            msg = f"{where}: {page.error['message']}"
            log.error("pages/%s cannot be shown: %s", page.file_rel, msg)
            lang = (page.lang or site.default_lang or "en").split("-")[0]
            text = UNAVAILABLE.get(lang, UNAVAILABLE["en"])
            return RenderedContent(f'<div class="qalam-error" role="alert"><p>{text}</p></div>', None, [msg])
        if page.preview_body is not None:
            body = page.preview_body
        else:
            body = site.index.body(page.file_rel) if page.filename else ""
        process = deep_merge(site.config.get("system.pages.process") or {}, page.header.get("process") or {}) \
            if isinstance(page.header.get("process"), dict) else (site.config.get("system.pages.process") or {})
        html = body
        # Imported archives are untrusted (docs/security.md): Twig never runs on an imported page,
        # whatever `process.twig` says, until an editor marks it `import: {trusted: true}`.
        twig = truthy(process.get("twig", False)) and not untrusted_import(page.header)
        twig_first = truthy(page.header.get("twig_first", site.config.get("system.pages.twig_first", False)))
        if twig and twig_first:
            html = self._twig(page, html)
        if truthy(process.get("markdown", True)):
            html = render_markdown(html, self._markdown_options(page), resolve_url=self._resolver(page, warnings))
        if twig and not twig_first:
            html = self._twig(page, html)
        delimiter = str(site.config.get("site.summary.delimiter") or "===")
        html, offset = split_divider(html, delimiter)
        for w in warnings:
            log.warning("pages/%s: %s", page.file_rel, w)
        return RenderedContent(html, offset, warnings)

    def _markdown_options(self, page: Page) -> MarkdownOptions:
        cfg = dict(self.site.config.get("system.pages.markdown") or {})
        if self.site.config.get("system.pages.markdown_extra") is not None:  # Grav's old key
            cfg.setdefault("extra", self.site.config.get("system.pages.markdown_extra"))
        if isinstance(page.header.get("markdown"), dict):
            cfg = deep_merge(cfg, page.header["markdown"])
        if "markdown_extra" in page.header:
            cfg["extra"] = page.header["markdown_extra"]
        attrs = cfg.get("valid_link_attributes") or ["rel", "target", "id", "class", "classes"]
        return MarkdownOptions(
            extra=truthy(cfg.get("extra", False)),
            auto_line_breaks=truthy(cfg.get("auto_line_breaks", False)),
            auto_url_links=truthy(cfg.get("auto_url_links", False)),
            escape_markup=truthy(cfg.get("escape_markup", False)),
            valid_link_attributes=tuple(str(a) for a in attrs),
        )

    def _twig(self, page: Page, source: str) -> str:
        site = self.site
        config = TwigDict.wrap({**site.config.data})
        context = {
            "page": page_context(page),
            "header": TwigDict.wrap(page.header),
            "site": config.get("site"),
            "system": config.get("system"),
            "config": config,
            "theme": TwigDict.wrap(site.config.get(f"themes.{site.theme_name}") or {}),
            "media": TwigDict.wrap({n: {"url": site.media_url(page, n), "filename": n} for n in page.node.media}),
            "uri": TwigDict.wrap({"path": page.url()}),
            "base_url": "",
            "base_url_relative": "",
            "base_url_absolute": "",
            "language": page.lang,
        }
        return self.twig.render(source, context, name=f"pages/{page.file_rel}", lang=page.lang or "en")

    # --- links and media -----------------------------------------------------------------
    def _resolver(self, page: Page, warnings: list[str]):
        site = self.site
        media_types = {str(k).lower() for k in (site.config.get("media.types") or {})}

        def resolve(url: str, kind: str) -> ResolvedUrl | None:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("#") or not parts.path:
                return None
            path = urllib.parse.unquote(parts.path)
            name = path.rsplit("/", 1)[-1]
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            suffix = (("?" + parts.query) if parts.query else "") + (("#" + parts.fragment) if parts.fragment else "")
            if kind == "image" or (ext and ext in media_types):
                target_page, target_name = self._locate_media(page, path)
                if target_page is not None and target_name in target_page.node.media:
                    attrs: dict[str, str] = {}
                    if kind == "image":
                        # Responsive images (docs/images.md): srcset/sizes of the renditions, the
                        # original's width/height, loading="lazy", decoding="async"; src stays.
                        from .images import markdown_image_attrs

                        attrs = markdown_image_attrs(target_page, target_name)
                    return ResolvedUrl(site.media_url(target_page, target_name) + suffix, attrs)
                warnings.append(
                    f"missing media file {url!r} (looked for {path!r} beside the page); add the file or fix the link"
                )
                # Grav leaves a missing medium as a page-route URL.
                base = self._join(page, path)
                if kind == "image":
                    return ResolvedUrl(urllib.parse.quote(base) + suffix)
                return ResolvedUrl(site.languages.prefix(page.lang) + urllib.parse.quote(base) + suffix)
            target = self._find_page(page, path)
            if target is not None:
                return ResolvedUrl(urllib.parse.quote(target.url(), safe="/:%") + suffix)
            joined = self._join(page, path)
            return ResolvedUrl(site.languages.prefix(page.lang) + urllib.parse.quote(joined, safe="/:%") + suffix)

        return resolve

    @staticmethod
    def _join(page: Page, path: str) -> str:
        if path.startswith("/"):
            joined = path
        else:
            joined = posixpath.join(page.route if page.node.rel else "/", path)
        joined = posixpath.normpath(joined)
        return "/" if joined in (".", "") else joined

    def _find_page(self, page: Page, path: str) -> Page | None:
        tree = page.tree
        joined = self._join(page, path)
        found = tree.find(joined)
        if found is None:
            # Links written as folder paths with numeric prefixes resolve too.
            stripped = "/".join(_PREFIX.sub("", seg) for seg in joined.split("/"))
            found = tree.find(stripped.lower()) or tree.find(stripped)
        if found is None and path.startswith("/") and joined == "/" and tree.home:
            found = tree.home
        return found

    def _locate_media(self, page: Page, path: str):
        dirname, _, name = path.rpartition("/")
        if not dirname and not path.startswith("/"):
            return page, name
        target = self._find_page(page, dirname or "/") if (dirname or path.startswith("/")) else page
        if target is None and path.startswith("/user/pages/"):
            node_rel = dirname[len("/user/pages/"):]
            target = page.tree.pages.get(node_rel)
        return target, name


def untrusted_import(header: dict) -> bool:
    """Whether a page header marks imported, untrusted content (the importers' `import:` block)."""
    imp = header.get("import")
    if imp is None:
        return False
    return not (isinstance(imp, dict) and imp.get("trusted") is True)


def first_image(page: Page) -> str | None:
    """The page's header image: the first image among its media (``media_order`` first)."""
    if page.header.get("header_image") is False or str(page.header.get("header_image", "")).lower() == "false":
        return None
    names = list(page.node.media)
    order = page.header.get("media_order")
    if isinstance(order, str) and order.strip():
        wanted = [n.strip() for n in order.split(",") if n.strip()]
        names = [n for n in wanted if n in page.node.media] + [n for n in names if n not in wanted]
    for name in names:
        if name.rsplit(".", 1)[-1].lower() in IMAGE_EXTS and "@2x." not in name and ".thumb." not in name:
            return name
    return None


def page_context(page: Page) -> TwigDict:
    """The `page` object Twig-in-content sees (a read-only snapshot)."""
    return TwigDict.wrap(
        {
            "title": page.title,
            "menu": page.menu,
            "slug": page.slug,
            "route": page.route,
            "url": page.url(),
            "template": page.template_name,
            "language": page.lang,
            "date": page.date,
            "modified": page.modified,
            "header": page.header,
            "taxonomy": page.taxonomy,
            "media": {n: {"url": page.site.media_url(page, n), "filename": n} for n in page.node.media},
            "folder": page.folder_slug,
        }
    )
