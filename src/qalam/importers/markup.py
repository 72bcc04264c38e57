"""Text and HTML into page bodies: Markdown escaping, nh3 sanitising, HTML -> Markdown.

* :func:`escape_markdown` makes a line of plain text safe to put in a Markdown body: it
  renders to exactly that text in Qalam and in Grav (Parsedown), so that ``*``, ``_``,
  ``[``, ``<b>``, a leading ``1.`` or ``#`` in an article stay text.
* :func:`sanitize_html` keeps the tags and attributes an article body can use (nh3, the
  Ammonia sanitiser): no scripts, styles, event handlers, ``javascript:`` URLs, iframes.
* :func:`html_to_markdown` converts sanitised HTML block by block.  Each block that the
  converter handles (paragraphs, headings, lists, quotes, code, rules, simple tables,
  images, links, bold/italic) is rendered back with Qalam's Markdown renderer and
  compared with the HTML it came from (text, links, images).  A block that would come
  out different — a table with merged cells, superscripts, a nested structure the
  converter does not handle — is kept as sanitised HTML, which Markdown passes through.
  So the result always shows what the original showed.
"""

from __future__ import annotations

import html as html_mod
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import nh3
from lxml import etree
from lxml import html as lxml_html

__all__ = [
    "MEDIA",
    "escape_markdown",
    "sanitize_html",
    "html_to_markdown",
    "Conversion",
    "parse_fragment",
    "fragment_to_html",
    "text_signature",
]

#: ``src`` prefix of an image copied into the page folder.  In Markdown it becomes the plain
#: file name (Grav resolves it beside the page); in a block kept as HTML the writer replaces it
#: with the page folder's media URL (``/user/pages/...``), which raw HTML needs.
MEDIA = "qalam-media:"

# ---------------------------------------------------------------------------------------
# Plain text -> Markdown

_INLINE_ESCAPES = str.maketrans({
    "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "~": "\\~",
})  # fmt: skip
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_RULE_LIKE = re.compile(r"^[=\-_*+ \t]+$")


def escape_markdown(line: str) -> str:
    """One paragraph of plain text as Markdown that renders to the same text (see module doc)."""
    text = line.strip()
    if not text:
        return ""
    text = text.translate(_INLINE_ESCAPES)
    text = _ENTITY.sub("&amp;", text)
    # Every "<": Parsedown-style HTML blocks start at "<" + a word character ("<0>" too), and
    # a reader must see the text exactly as written.
    text = text.replace("<", "&lt;")
    if text[0] in "#>+-|!":  # "!" starts a notice block (markdown-notices)
        text = "\\" + text
    elif text[0] in "=:":
        # '===' is the summary divider, ': x' a definition (Markdown Extra): an entity keeps them text.
        text = f"&#{ord(text[0])};" + text[1:]
    m = _LIST_NUMBER.match(text)
    if m:
        text = m.group(1) + "\\" + m.group(2) + text[m.end():]
    return text


# ---------------------------------------------------------------------------------------
# Sanitising

ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del", "strike",
    "sub", "sup", "blockquote", "ul", "ol", "li", "a", "img", "figure", "figcaption", "table", "thead",
    "tbody", "tfoot", "tr", "th", "td", "caption", "pre", "code", "hr", "span", "div", "abbr", "cite",
    "q", "small", "mark", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitize_html(markup: str) -> str:
    """Only the tags, attributes and URL schemes an article body needs (nh3/Ammonia)."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        clean_content_tags={"script", "style", "iframe", "noscript", "template", "object", "svg", "math"},
    )


def parse_fragment(markup: str) -> etree._Element:
    """A ``<div>`` holding the parsed fragment."""
    return lxml_html.fragment_fromstring(markup or "", create_parent="div")


def fragment_to_html(root: etree._Element) -> str:
    """The children of ``root`` (text included) as HTML."""
    out = [html_mod.escape(root.text, quote=False)] if root.text else []
    out.extend(lxml_html.tostring(child, encoding="unicode", with_tail=True) for child in root)
    return "".join(out)


# ---------------------------------------------------------------------------------------
# HTML -> Markdown

_BLOCK = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "hr", "table", "figure",
          "div", "dl", "li", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "figcaption", "dt", "dd"}
_INLINE_OK = {"strong", "b", "em", "i", "a", "img", "code", "br", "span", "del", "s", "strike", "small", "cite", "q",
              "mark", "abbr", "u", "sub", "sup"}
_WS = re.compile(r"[ \t\r\n\f]+")


class _Unsupported(Exception):
    pass


@dataclass
class Conversion:
    parts: list[str] = field(default_factory=list)  # Markdown blocks (a block kept as HTML is one part)
    kinds: list[str] = field(default_factory=list)  # per part: "p" (a paragraph), "html", or the tag
    html_blocks: int = 0  # blocks kept as HTML
    notes: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.parts)

    @property
    def fully_markdown(self) -> bool:
        return self.html_blocks == 0


def _inline_text(text: str) -> str:
    """Text inside an inline run: whitespace collapsed, Markdown characters escaped."""
    text = _WS.sub(" ", text)
    text = text.translate(_INLINE_ESCAPES)
    text = _ENTITY.sub("&amp;", text)
    # Every "<": Parsedown-style HTML blocks start at "<" + a word character ("<0>" too), and
    # a reader must see the text exactly as written.
    text = text.replace("<", "&lt;")
    return text


def _url(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise _Unsupported("empty URL")
    if re.search(r"[\s()<>]", value):
        return "<" + value.replace(">", "%3E").replace("<", "%3C") + ">"
    return value


def _title_part(title: str | None) -> str:
    if not title:
        return ""
    if '"' in title:
        raise _Unsupported("title with quotes")
    return f' "{title}"'


def _inline(el: etree._Element) -> str:
    """Markdown of an element's content (text and inline children)."""
    parts = [_inline_text(el.text or "")]
    for child in el:
        if not isinstance(child.tag, str):  # comments, processing instructions
            parts.append(_inline_text(child.tail or ""))
            continue
        tag = child.tag.lower()
        if tag in _BLOCK or tag not in _INLINE_OK:
            raise _Unsupported(tag)
        parts.append(_inline_element(child, tag))
        tail = _inline_text(child.tail or "")
        parts.append(tail.lstrip() if tag == "br" else tail)
    return "".join(parts)


def _wrap(inner: str, mark: str) -> str:
    stripped = inner.strip()
    if not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _inline_element(el: etree._Element, tag: str) -> str:
    if tag in ("strong", "b"):
        return _wrap(_inline(el), "**")
    if tag in ("em", "i", "cite"):
        return _wrap(_inline(el), "*")
    if tag in ("del", "s", "strike"):
        return _wrap(_inline(el), "~~")
    if tag == "code":
        text = "".join(el.itertext())
        if "`" in text or len(el):
            raise _Unsupported("code with backticks")
        return f"`{text}`"
    if tag == "br":
        return "  \n"
    if tag == "a":
        href = el.get("href")
        if not href:
            return _inline(el)
        return f"[{_inline(el)}]({_url(href)}{_title_part(el.get('title'))})"
    if tag == "img":
        src = el.get("src")
        if not src:
            return ""
        if src.startswith(MEDIA):
            src = src[len(MEDIA):]
        if el.get("width") or el.get("height"):
            raise _Unsupported("sized image")
        alt = _WS.sub(" ", el.get("alt") or "").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({_url(src)}{_title_part(el.get('title'))})"
    if tag in ("span", "small", "mark", "abbr", "q"):
        if tag == "q":
            raise _Unsupported("q")
        if tag == "abbr" and el.get("title"):
            raise _Unsupported("abbr")
        return _inline(el)
    raise _Unsupported(tag)  # u, sub, sup: no Markdown for them


def _list(el: etree._Element, depth: int) -> str:
    ordered = el.tag.lower() == "ol"
    start = int(el.get("start") or 1) if ordered and (el.get("start") or "1").isdigit() else 1
    if el.text and el.text.strip():
        raise _Unsupported("text directly in a list")
    lines = []
    for n, li in enumerate(el, start):
        if not isinstance(li.tag, str):
            continue
        if li.tag.lower() != "li":
            raise _Unsupported("list child")
        marker = f"{n}. " if ordered else "- "
        indent = " " * len(marker)
        nested = [c for c in li if isinstance(c.tag, str) and c.tag.lower() in ("ul", "ol")]
        if any(isinstance(c.tag, str) and c.tag.lower() in _BLOCK - {"ul", "ol"} for c in li):
            raise _Unsupported("blocks in a list item")
        if nested:
            if depth >= 3:
                raise _Unsupported("deep list")
            # Text before the nested list, then the nested list(s).
            head = etree.Element("span")
            head.text = li.text
            for c in li:
                if c in nested:
                    break
                head.append(_copy(c))
            text = _inline(head).strip()
            body = "\n".join(_list(c, depth + 1) for c in nested)
            lines.append(marker + text)
            lines.extend(indent + ln if ln else "" for ln in body.split("\n"))
        else:
            text = _inline(li).strip()
            if "\n" in text.replace("  \n", ""):
                raise _Unsupported("multi-line item")
            lines.append(marker + text.replace("  \n", "  \n" + indent))
    return "\n".join(lines)


def _copy(el: etree._Element) -> etree._Element:
    from copy import deepcopy

    c = deepcopy(el)
    c.tail = el.tail
    return c


def _table(el: etree._Element) -> str:
    rows = el.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    if not rows or el.xpath(".//td[@colspan or @rowspan]|.//th[@colspan or @rowspan]|./caption|.//table"):
        raise _Unsupported("complex table")
    grid = []
    for tr in rows:
        cells = [c for c in tr if isinstance(c.tag, str)]
        if any(c.tag.lower() not in ("td", "th") for c in cells):
            raise _Unsupported("table row")
        grid.append([_inline(c).strip().replace("|", "\\|") for c in cells])
    width = max(len(r) for r in grid)
    if width == 0 or any("\n" in cell for row in grid for cell in row):
        raise _Unsupported("table cells")
    grid = [r + [""] * (width - len(r)) for r in grid]
    first = rows[0]
    if not all(isinstance(c.tag, str) and c.tag.lower() == "th" for c in first):
        raise _Unsupported("table without a header row")
    out = ["| " + " | ".join(grid[0]) + " |", "|" + "|".join(["---"] * width) + "|"]
    out.extend("| " + " | ".join(r) + " |" for r in grid[1:])
    return "\n".join(out)


def _block(el: etree._Element) -> str:
    tag = el.tag.lower()
    if tag == "p":
        text = _inline(el).strip()
        return _protect_start(text) if text else ""
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        text = _inline(el).strip().replace("  \n", " ")
        return "#" * int(tag[1]) + " " + text if text else ""
    if tag in ("ul", "ol"):
        return _list(el, 1)
    if tag == "blockquote":
        inner = _blocks_of(el)
        return "\n".join(("> " + ln) if ln else ">" for ln in inner.split("\n"))
    if tag == "pre":
        text = "".join(el.itertext())
        if "```" in text:
            raise _Unsupported("fence in code")
        return "```\n" + text.strip("\n") + "\n```"
    if tag == "hr":
        return "---"
    if tag == "table":
        return _table(el)
    if tag == "figure":
        imgs = [c for c in el.iter("img")]
        caps = [c for c in el if isinstance(c.tag, str) and c.tag.lower() == "figcaption"]
        others = [c for c in el if isinstance(c.tag, str) and c.tag.lower() not in ("img", "figcaption", "a")]
        if len(imgs) != 1 or len(caps) > 1 or others:
            raise _Unsupported("figure")
        image = _inline_element(imgs[0], "img")
        parent = imgs[0].getparent()
        if parent is not el and parent.tag.lower() == "a" and parent.get("href"):
            image = f"[{image}]({_url(parent.get('href'))})"
        if caps:
            caption = _inline(caps[0]).strip()
            return image + ("\n\n" + _protect_start(caption) if caption else "")
        return image
    if tag == "div":
        return _blocks_of(el)
    raise _Unsupported(tag)


_NOTICE_LIKE = re.compile(r"^!{1,4}\s")  # markdown-notices; "![...](...)" is an image and stays


def _protect_start(text: str) -> str:
    """A paragraph must not start like another block."""
    if not text:
        return text
    if text[0] in "#>+-=|:" or _RULE_LIKE.match(text) or _NOTICE_LIKE.match(text):
        return f"&#{ord(text[0])};" + text[1:]
    m = _LIST_NUMBER.match(text)
    if m:
        return m.group(1) + "\\" + m.group(2) + text[m.end():]
    return text


def _blocks_of(container: etree._Element) -> str:
    """Markdown of a container's children; loose inline content becomes paragraphs."""
    out: list[str] = []
    run = etree.Element("p")
    run.text = container.text

    def flush() -> None:
        nonlocal run
        if (run.text and run.text.strip()) or len(run):
            md = _block(run)
            if md:
                out.append(md)
        run = etree.Element("p")

    for child in container:
        if isinstance(child.tag, str) and child.tag.lower() in _BLOCK:
            flush()
            md = _block(child)
            if md:
                out.append(md)
            run.text = child.tail
        else:
            run.append(_copy(child))
    flush()
    return "\n\n".join(out)


def text_signature(markup: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What a reader gets from HTML: its text (whitespace collapsed), link targets, image sources."""
    root = parse_fragment(markup)
    for br in root.iter("br"):
        br.tail = " " + (br.tail or "")
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK | {"img"}:
            el.tail = " " + (el.tail or "")
            el.text = " " + (el.text or "")
    text = _WS.sub(" ", root.text_content()).strip()
    links = tuple(unquote(a.get("href")) for a in root.iter("a") if a.get("href"))
    images = tuple(unquote((i.get("src") or "").removeprefix(MEDIA)) for i in root.iter("img"))
    return text, links, images


def _render(md: str) -> str:
    from qalam.content.markdown import MarkdownOptions, render_markdown

    return render_markdown(md, MarkdownOptions(extra=True))


def _block_html(el: etree._Element) -> str:
    markup = lxml_html.tostring(el, encoding="unicode", with_tail=False)
    # A raw HTML block in Markdown ends at a blank line: keep it on consecutive lines.
    return re.sub(r"\n\s*\n", "\n", markup).strip()


def html_to_markdown(markup: str) -> Conversion:
    """Sanitised HTML -> Markdown, block by block, HTML kept where Markdown would differ."""
    root = parse_fragment(markup)
    # Loose inline content at the top becomes paragraphs.
    blocks: list[etree._Element] = []
    run: etree._Element | None = None

    def start_run(text: str | None) -> etree._Element:
        p = etree.Element("p")
        p.text = text
        return p

    run = start_run(root.text)
    for child in list(root):
        if isinstance(child.tag, str) and child.tag.lower() in _BLOCK:
            if (run.text and run.text.strip()) or len(run):
                blocks.append(run)
            blocks.append(child)
            run = start_run(child.tail)
            child.tail = None
        elif isinstance(child.tag, str):
            run.append(_copy(child))
        elif child.tail:
            run.text = (run.text or "") + child.tail  # a comment: keep the text after it
    if (run.text and run.text.strip()) or len(run):
        blocks.append(run)

    conv = Conversion()
    for el in blocks:
        original = _block_html(el)
        if not original:
            continue
        try:
            md = _block(el)
        except (_Unsupported, ValueError) as err:
            md = None
            reason = str(err)
        else:
            reason = "renders differently"
            if md and text_signature(_render(md)) != text_signature(original):
                md = None
        if md is None:
            if not text_signature(original)[0] and not text_signature(original)[2]:
                continue  # an empty block
            conv.parts.append(original)
            conv.kinds.append("html")
            conv.html_blocks += 1
            conv.notes.append(f"<{el.tag}> kept as HTML ({reason})")
        elif md:
            conv.parts.append(md)
            tag = el.tag.lower()
            # A paragraph that only holds images is not a text paragraph (not a summary).
            conv.kinds.append("img" if tag == "p" and not "".join(el.itertext()).strip() else tag)
    return conv
