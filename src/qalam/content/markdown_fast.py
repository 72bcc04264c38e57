"""The fast Markdown path: a compiled CommonMark parser for pages that need nothing else.

Qalam's Markdown renderer (``markdown.py``) follows Parsedown and ParsedownExtra, Grav's
parsers, and stays the reference. Most news text uses only paragraphs, headings, emphasis,
lists, links and images, which the reference renders as CommonMark does; for such a page
pyromark (pulldown-cmark, compiled) gives the same HTML about 50 times faster. A page takes
this path only when :func:`eligible` finds none of the constructs where the two differ or
that only the reference knows (raw HTML, Twig, notices, tables, code, entities and escapes,
setext headings, reference links, Markdown Extra syntax, links with query attributes or
titles, ...). Links and images are then resolved the Grav way by the same resolver, in the
same order, with the same attributes. ``tests/content/test_markdown_fast.py`` renders every
page body of the fixture sites both ways and requires identical HTML wherever this path is
chosen.

Set ``QALAM_MARKDOWN=reference`` in the environment to render every page with the reference.
"""

from __future__ import annotations

import html
import os
import re
from typing import TYPE_CHECKING

import pyromark

if TYPE_CHECKING:
    from .markdown import MarkdownOptions, UrlResolver

#: Characters whose Markdown or HTML meaning differs between the parsers, or that only the
#: reference handles: raw HTML and autolinks, entities, backslash escapes, code, tables,
#: Twig and attribute lists, strikethrough, tabs and carriage returns.
_UNSAFE_CHARS = "<>&\\`|{}~\t\r\x00"
#: Lines the parsers read differently (matched after a newline; the text is searched with one
#: put in front): headings other than "# text" (Parsedown needs no space and keeps closing
#: hashes), notices ("! note"), empty list items, lines of one or two hyphens, reference definitions, Extra's definitions,
#: abbreviations and footnotes, and any line indented by four spaces or more (code, or
#: a deeper list the parsers may nest differently), also after a list marker.
_UNSAFE_LINES = re.compile(
    # after any list markers: the same rules apply at the start of a list item's text
    r"\n(?:[ ]*(?:[-*+]|\d{1,9}[.)])[ ]+)*[ ]*"
    r"(?:#(?!#{0,5} [^ #\n])|#+[^#\n]+#|!(?!\[)|(?:--?|[*+]|\d{1,9}[.)])[ ]*(?=\n|\Z)|\[[^\n]*\]:|[:*]\[|:)"
    r"|\n[ ]{4,}\S"
)
#: A list marker followed by five spaces or more: the item starts with indented code.
_WIDE_MARKER = re.compile(r"(?:[-*+]|\d[.)])[ ]{5,}\S")
#: A line of = or - (checked: right under a line of text it makes a setext heading; after a
#: blank line "===" is Grav's summary marker, a paragraph, and "---" a rule, in both).
_RULE_LINE = re.compile(r"\n[ ]*[=-]+[ ]*(?=\n|\Z)")
#: A link or image as the fast path takes it: a label without brackets, a URL of safe ASCII
#: characters (written as Grav keeps it: no query attributes, no title, no spaces or
#: parentheses). An image's label is its alt text, which Parsedown keeps as written
#: (``a *b*``): no emphasis there.
_SIMPLE_LINK = re.compile(r"\[[^\[\]\n]*\]\([A-Za-z0-9/._~:#%+=@,;-]*\)")
_IMAGE_EMPHASIS = re.compile(r"!\[[^\]\n]*[*_]")
_FOOTNOTE = "[^"

#: In pyromark's output (raw HTML never gets there): links and images in document order.
_OUT_LINK = re.compile(r'<a href="([^"]*)">|<img src="([^"]*)" alt="([^"]*)" />')

ENABLED = os.environ.get("QALAM_MARKDOWN", "").strip().lower() != "reference"


def eligible(text: str, options: MarkdownOptions) -> bool:
    """Whether ``text`` renders the same with pyromark as with the reference renderer."""
    if options.auto_line_breaks or options.escape_markup:
        return False
    if any(ch in text for ch in _UNSAFE_CHARS) or _FOOTNOTE in text:
        return False
    lines = "\n" + text
    if _UNSAFE_LINES.search(lines) or ("     " in text and _WIDE_MARKER.search(text)):
        return False
    for m in _RULE_LINE.finditer(lines):
        start = m.start()
        if start and lines[lines.rfind("\n", 0, start) + 1:start].strip():
            return False  # right under a line of text: a setext heading
    if options.auto_url_links and ("://" in text or "www." in text):
        return False
    if "[" in text or "]" in text:
        links = len(_SIMPLE_LINK.findall(text))
        if text.count("[") != links or text.count("]") != links or text.count("](") != links \
                or _IMAGE_EMPHASIS.search(text):
            return False
    return True


def render(text: str, resolve_url: UrlResolver | None = None) -> str:
    """pyromark's HTML with links and images resolved as the reference resolves them."""
    out = pyromark.html(text)
    if "<a " in out or "<img " in out:
        out = _OUT_LINK.sub(lambda m: _resolve(m, resolve_url), out)
    return out.strip("\n")


def _attr(name: str, value: str) -> str:
    return f' {name}="{html.escape(value, quote=True)}"'.replace("&#x27;", "'")


def _resolve(m: re.Match[str], resolve_url: UrlResolver | None) -> str:
    """One link or image written again as the reference writes it (attributes escaped as
    markdown-it escapes them: ``'`` stays), resolved the Grav way."""
    if m.group(1) is not None:  # a link: href, then the resolver's attributes
        url = html.unescape(m.group(1))
        resolved = resolve_url(url, "link") if resolve_url is not None else None
        if resolved is None:
            return f"<a{_attr('href', url)}>"
        extra = "".join(_attr(k, v) for k, v in resolved.attrs.items() if k != "href")
        return f"<a{_attr('href', resolved.url)}{extra}>"
    url, alt = html.unescape(m.group(2)), html.unescape(m.group(3))
    resolved = resolve_url(url, "image") if resolve_url is not None else None
    if resolved is None:
        return f"<img{_attr('src', url)}{_attr('alt', alt)} />"
    if not alt:
        alt = resolved.attrs.get("alt", "")
    extra = "".join(_attr(k, v) for k, v in resolved.attrs.items() if k not in ("src", "alt"))
    return f"<img{_attr('src', resolved.url)}{_attr('alt', alt)}{extra} />"
