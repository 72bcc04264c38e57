"""Transliterate the text of an HTML document, leaving markup, URLs and code alone.

Used for the Latin-script edition of Kazakh pages: text nodes and the human-readable
attributes (``title``, ``alt``, ``placeholder``, ``aria-label``, ``content`` of
descriptive ``<meta>``) are converted; tags, other attributes, entities, comments and
the content of ``code``, ``pre``, ``kbd``, ``samp``, ``script``, ``style`` and
``textarea`` are copied byte for byte. Links can be rewritten by a callback (to keep a
reader inside the Latin edition); an element with ``data-no-rewrite`` keeps its link.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from .htmlparser import SafeHTMLParser

VERBATIM = {"code", "pre", "kbd", "samp", "script", "style", "textarea", "var"}
TEXT_ATTRS = {"title", "alt", "placeholder", "aria-label", "aria-description"}
META_TEXT = {"description", "og:title", "og:description", "twitter:title", "twitter:description", "keywords"}
URL_ATTRS = {"href", "action"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Transliterator(SafeHTMLParser):
    def __init__(self, convert: Callable[[str], str], rewrite_url: Callable[[str], str] | None):
        super().__init__(convert_charrefs=False)
        self.convert = convert
        self.rewrite_url = rewrite_url
        self.out: list[str] = []
        self.verbatim: list[str] = []  # stack of open verbatim elements
        self.notranslate: list[str] = []

    # Tags ------------------------------------------------------------------------------
    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        raw = self.get_starttag_text() or ""
        skip_text = bool(self.verbatim or self.notranslate)
        changed = False
        new_attrs = []
        attr_map = {k: v for k, v in attrs}
        is_meta_text = tag == "meta" and (
            (attr_map.get("name") or "").lower() in META_TEXT or (attr_map.get("property") or "").lower() in META_TEXT
        )
        keep_urls = "data-no-rewrite" in attr_map
        for name, value in attrs:
            if value is not None:
                if name in URL_ATTRS and self.rewrite_url is not None and not keep_urls:
                    new = self.rewrite_url(value)
                    changed |= new != value
                    value = new
                elif not skip_text and (name in TEXT_ATTRS or (is_meta_text and name == "content")):
                    new = self.convert(value)
                    changed |= new != value
                    value = new
            new_attrs.append((name, value))
        if not changed:
            self.out.append(raw)
            return
        parts = [tag]
        for name, value in new_attrs:
            parts.append(name if value is None else f'{name}="{html.escape(value, quote=True)}"')
        self.out.append("<" + " ".join(parts) + (" />" if closing else ">"))

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, closing=False)
        if tag in VERBATIM:
            self.verbatim.append(tag)
        elif dict(attrs).get("translate") == "no" and tag not in VOID:
            self.notranslate.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, closing=True)

    def handle_endtag(self, tag):
        if self.verbatim and self.verbatim[-1] == tag:
            self.verbatim.pop()
        elif self.notranslate and self.notranslate[-1] == tag:
            self.notranslate.pop()
        self.out.append(f"</{tag}>")

    # Text ------------------------------------------------------------------------------
    def handle_data(self, data):
        if self.verbatim or self.notranslate or not data.strip():
            self.out.append(data)
        else:
            # The parser hands back text with `<`/`&` already decoded only when
            # convert_charrefs is on; it is off, so `data` is raw and safe to convert.
            self.out.append(self.convert(data))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def transliterate_html(
    markup: str, convert: Callable[[str], str], rewrite_url: Callable[[str], str] | None = None
) -> str:
    """``markup`` with its text converted by ``convert`` and link targets by ``rewrite_url``."""
    parser = _Transliterator(convert, rewrite_url)
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
