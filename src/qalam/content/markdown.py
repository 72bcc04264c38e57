"""Markdown rendering compatible with Grav's Parsedown 1.7.4 / ParsedownExtra 0.8.1.

Grav renders page bodies with erusev/parsedown 1.7.4 (plus parsedown-extra 0.8.1 when
``system.pages.markdown.extra`` is on), wrapped in its own ``ParsedownGravTrait``
(``system/src/Grav/Common/Markdown/``) and ``Excerpts`` (``Page/Markdown/Excerpts.php``).
This module rebuilds that behaviour on top of markdown-it-py (CommonMark) with a few
block rules of our own where Parsedown and CommonMark disagree in ways that change
real Grav pages:

* ATX headings do not need a space after the hashes (``##Title`` is an ``<h2>``);
  a lone ``#`` is a paragraph.
* HTML blocks follow Parsedown: a block starts with a non text-level tag at the
  beginning of a line (it may interrupt a paragraph) and runs until the matching
  closing tag at the end of a line, blank lines and indented lines included.
  An unclosed block runs to the end of the document, as in Grav.
* ``! text`` ... ``!!!! text`` lines are markdown-notices blocks
  (``<div class="notices yellow|red|blue|green">``), continued by following lines
  that start with ``!``.
* Lines that start with ``{`` and hold a Twig tag (``{{ }}``, ``{% %}``, ``{# #}``)
  are passed through untouched, without a ``<p>`` (Grav's ``blockTwigTag``).
* Setext underlines must be only ``=`` or ``-`` (``text\n===   `` is a paragraph).
* Table body rows end at the first line without ``|``.
* Link reference definitions: the last one wins, and one may end a paragraph.
* ``~~x~~`` renders ``<del>``; fenced code gets ``class="language-x"``; table
  alignment uses ``style="text-align: left;"``; code blocks have no trailing
  newline before ``</code>``; text keeps ``"`` unescaped and HTML entities written
  by the author (``&nbsp;``) are kept as written; an image's ``alt`` is its label
  as written (``![a *b*](x)`` -> ``alt="a *b*"``).
* Link and image URLs are not percent-encoded or validated (Parsedown without safe
  mode); with ``escape_markup`` markdown-it's scheme check (no ``javascript:``) is kept.

With ``extra``: footnotes (ParsedownExtra markup), definition lists (Parsedown
rules: every line of the preceding paragraph is a ``<dt>``), abbreviations,
``{#id .class}`` on headings, links and images, and ``markdown="1"`` on HTML
blocks.

Grav's link/image query attributes (``?target=_blank&classes=a,b``) are applied
to markdown links and images, Grav media actions are removed from local image
URLs, and an optional resolver can rewrite every markdown link/image URL.

Known differences that remain (CommonMark rules win): emphasis flanking rules
(``_x_`` next to punctuation, CJK), list indentation and lazy continuation,
multi-line link titles; with ``extra`` ParsedownExtra re-serialises every HTML
block through libxml (closing unclosed tags, rewriting entities) -- Qalam passes
HTML through as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt, rules_block
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from . import markdown_fast

__all__ = [
    "MarkdownOptions",
    "ResolvedUrl",
    "UrlResolver",
    "render_markdown",
]


@dataclass(frozen=True)
class MarkdownOptions:
    """Grav's ``system.pages.markdown`` settings."""

    extra: bool = False
    auto_line_breaks: bool = False
    auto_url_links: bool = False
    escape_markup: bool = False
    valid_link_attributes: tuple[str, ...] = ("rel", "target", "id", "class", "classes")

    def __post_init__(self) -> None:
        # Accept any iterable (YAML gives lists) but keep the options hashable.
        if not isinstance(self.valid_link_attributes, tuple):
            object.__setattr__(
                self, "valid_link_attributes", tuple(self.valid_link_attributes or ())
            )


@dataclass
class ResolvedUrl:
    url: str
    attrs: dict[str, str] = field(default_factory=dict)


UrlResolver = Callable[[str, str], "ResolvedUrl | None"]

_RESOLVER_KEY = "qalam.resolve_url"
_ABBR_KEY = "qalam.abbreviations"
_DEPTH_KEY = "qalam.depth"
# Notices, markdown="1" and block definitions parse their content recursively;
# beyond this depth they are left as text so that no input can exhaust the stack.
_MAX_DEPTH = 16

# --------------------------------------------------------------------------------------
# Parsedown tables and patterns

# Parsedown::$textLevelElements: tags that never start an HTML block.
_TEXT_LEVEL = frozenset(
    """a br bdo abbr blink nextid acronym basefont b em big cite small spacer listing
    i rp del code strike marquee q rt ins font strong s tt kbd mark u xm sub nobr
    sup ruby var span wbr time""".split()
)
# Parsedown::$voidElements (compared case-sensitively, as Parsedown does).
_VOID = frozenset(
    "area base br col command embed hr img input link meta param source".split()
)
# Parsedown::$regexHtmlAttribute, made possessive so that a failing match cannot
# backtrack exponentially (PCRE gives up at its backtrack limit; Python would hang).
_ATTR = r"""(?>[a-zA-Z_:][\w:.-]*+)(?:\s*+=\s*+(?:[^"'=<>`\s]++|"[^"]*+"|'[^']*+'))?"""
_BLOCK_OPEN_RE = re.compile(r"<(\w[\w-]*+)(?:[ ]*+" + _ATTR + r")*+[ ]*+(/)?>", re.ASCII)


@functools.lru_cache(maxsize=256)
def _element_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    esc = re.escape(name)
    open_re = re.compile(r"<" + esc + r"(?:[ ]*+" + _ATTR + r")*+[ ]*+>", re.ASCII | re.I)
    close_re = re.compile(r"</" + esc + r">[ ]*$", re.ASCII | re.I)
    return open_re, close_re


_TWIG_LINE_RE = re.compile(r"(?:\{\{|\{%|\{#)(.*)(?:\}\}|%\}|#\})")
_NOTICE_START_RE = re.compile(r"(!{1,4})[ ]+(.*)")
_NOTICE_CONT_RE = re.compile(r"(!{1,4})(.*)")
_NOTICE_CLASSES = ("yellow", "red", "blue", "green")
_ABBR_DEF_RE = re.compile(r"\*\[(.+?)\]:[ ]*(.+?)[ ]*$")
# ParsedownExtra::$regexAttribute is '(?:[#.][-\w]+[ ]*)' without the /u flag: ASCII.
_ATTR_LIST = r"((?:[#.][-\w]+[ ]*)+)"
_HEADING_ATTR_RE = re.compile(r"[ #]*\{" + _ATTR_LIST + r"\}[ ]*$", re.ASCII)
_SETEXT_ATTR_RE = re.compile(r"[ ]*\{" + _ATTR_LIST + r"\}[ ]*$", re.ASCII)
_INLINE_ATTR_RE = re.compile(r"[ ]*\{" + _ATTR_LIST + r"\}", re.ASCII)
_URL_TAIL_RE = re.compile(r"//[^\s<]+\b/*")
_SCHEME_TAIL_RE = re.compile(r"(?<![\w])(https?)$", re.I)
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")

# Grav media actions (Excerpts::processMediaActions -> Medium/ImageMedium methods).
# Qalam serves originals for now, so these are removed from local image URLs.
_MEDIA_ACTIONS = frozenset(
    a.lower()
    for a in """resize forceResize cropResize crop cropZoom zoomCrop quality format negate
    brightness contrast grayscale emboss smooth sharp edge colorize sepia gaussianBlur
    rotate flip fixOrientation lightbox cache sizes derivatives width height""".split()
)
# Media actions that become <img> attributes ('auto' adds nothing).
_MEDIA_HINT_ATTRS = ("loading", "decoding", "fetchpriority")
_MEDIA_PLAIN_ATTRS = {"classes": "class", "id": "id", "style": "style"}
_EXTERNAL_SCHEMES = frozenset(("http", "https", "ftp", "ftps", "data", "mailto", "tel"))


def _esc_text(s: str) -> str:
    # Parsedown escapes element text with ENT_NOQUOTES: quotes stay as typed.
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def _php_trim(s: str) -> str:
    return s.strip(" \t\n\r\0\x0b")


# --------------------------------------------------------------------------------------
# Block rules


def _parse_nested(state: StateBlock, text: str) -> None:
    """Parse ``text`` as blocks into the current token stream (shared env)."""
    env = state.env
    env[_DEPTH_KEY] = env.get(_DEPTH_KEY, 0) + 1
    try:
        state.md.block.parse(text, state.md, env, state.tokens)
    finally:
        env[_DEPTH_KEY] -= 1


def _too_deep(state: StateBlock) -> bool:
    return int(state.env.get(_DEPTH_KEY, 0)) >= _MAX_DEPTH


def _line(state: StateBlock, line: int) -> str:
    """Text of a line after its indentation (Parsedown's ``$Line['text']``)."""
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _heading(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """Parsedown::blockHeader: ``#`` plus at least one more character; no space needed."""
    if state.is_code_block(startLine):
        return False
    text = _line(state, startLine)
    if len(text) < 2 or text[0] != "#":
        return False
    level = len(text) - len(text.lstrip("#"))
    if level > 6:
        return False
    if silent:
        return True
    state.line = startLine + 1
    token = state.push("heading_open", f"h{level}", 1)
    token.markup = "#" * level
    token.map = [startLine, state.line]
    token = state.push("inline", "", 0)
    token.content = text.strip("# ")
    token.map = [startLine, state.line]
    token.children = []
    token = state.push("heading_close", f"h{level}", -1)
    token.markup = "#" * level
    return True


def _setext_heading(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """Setext headings with Parsedown's underline test (blockSetextHeader).

    The underline must be made only of ``=`` (or only of ``-``) after its
    indentation: ``===   `` with trailing spaces is not an underline in Parsedown,
    so ``text\n===   `` stays one paragraph (and is no summary divider either).
    """
    if state.is_code_block(startLine):
        return False
    terminators = state.md.block.ruler.getRules("paragraph")
    old_parent = state.parentType
    state.parentType = "paragraph"
    level = 0
    marker = ""
    next_line = startLine + 1
    try:
        while next_line < endLine and not state.isEmpty(next_line):
            if state.sCount[next_line] - state.blkIndent > 3:
                next_line += 1  # lazy continuation line
                continue
            if state.sCount[next_line] >= state.blkIndent:
                text = _line(state, next_line)
                if text and text[0] in "=-" and text.strip(text[0]) == "":
                    marker = text[0]
                    level = 1 if marker == "=" else 2
                    break
            if state.sCount[next_line] < 0:
                next_line += 1
                continue
            if any(rule(state, next_line, endLine, True) for rule in terminators):
                break
            next_line += 1
    finally:
        state.parentType = old_parent
    if not level:
        return False
    if silent:
        return True
    content = state.getLines(startLine, next_line, state.blkIndent, False).strip()
    state.line = next_line + 1
    token = state.push("heading_open", f"h{level}", 1)
    token.markup = marker
    token.map = [startLine, state.line]
    token = state.push("inline", "", 0)
    token.content = content
    token.map = [startLine, state.line - 1]
    token.children = []
    token = state.push("heading_close", f"h{level}", -1)
    token.markup = marker
    return True


def _wrap_table(original: Callable[..., bool]) -> Callable[[StateBlock, int, int, bool], bool]:
    """GFM tables, but body rows end at the first line without ``|``
    (Parsedown::blockTableContinue) instead of running to the next blank line."""

    def table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
        last = startLine + 2
        while last < endLine and "|" in _line(state, last):
            last += 1
        return bool(original(state, startLine, min(endLine, last), silent))

    return table


def _wrap_reference(original: Callable[..., bool]) -> Callable[[StateBlock, int, int, bool], bool]:
    """Link reference definitions where the last one wins, as in Parsedown
    (CommonMark keeps the first). Registered so that a definition may also end a
    paragraph without a blank line (a Parsedown block can interrupt a paragraph)."""

    def reference(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
        saved = state.env.get("references")
        if silent or not saved:
            return bool(original(state, startLine, endLine, silent))
        state.env["references"] = {}
        try:
            return bool(original(state, startLine, endLine, silent))
        finally:
            new = state.env.get("references") or {}
            saved.update(new)
            state.env["references"] = saved

    return reference


def _twig_line(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """Grav's blockTwigTag: a line starting with '{' holding a Twig tag stays raw."""
    if state.is_code_block(startLine):
        return False
    pos = state.bMarks[startLine] + state.tShift[startLine]
    if state.src[pos] != "{":
        return False
    body = state.src[state.bMarks[startLine] : state.eMarks[startLine]]
    if not _TWIG_LINE_RE.search(body):
        return False
    if silent:
        return True
    state.line = startLine + 1
    token = state.push("html_block", "", 0)
    token.map = [startLine, state.line]
    token.content = body + "\n"
    return True


def _notices(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """grav-plugin-markdown-notices: ``! text`` (yellow) to ``!!!! text`` (green)."""
    if state.is_code_block(startLine):
        return False
    text = _line(state, startLine)
    if not text.startswith("!"):
        return False
    m = _NOTICE_START_RE.match(text)
    if not m or _too_deep(state):
        return False
    if silent:
        return True
    lines = [m.group(2)]
    next_line = startLine + 1
    while next_line < endLine:
        if state.isEmpty(next_line) or state.sCount[next_line] < state.blkIndent:
            break
        m2 = _NOTICE_CONT_RE.match(_line(state, next_line))
        if not m2:
            break
        lines.append(m2.group(2).lstrip(" \t\n\r\0\x0b"))
        next_line += 1
    token = state.push("notices_open", "div", 1)
    token.attrs = {"class": "notices " + _NOTICE_CLASSES[len(m.group(1)) - 1]}
    token.map = [startLine, next_line]
    _parse_nested(state, "\n".join(lines))
    state.push("notices_close", "div", -1)
    state.line = next_line
    return True


def _make_html_block(extra: bool) -> Callable[[StateBlock, int, int, bool], bool]:
    def html_block(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
        """Parsedown::blockComment / blockMarkup (+ ParsedownExtra markdown="1")."""
        if not state.md.options.get("html"):
            return False
        if state.is_code_block(startLine):
            return False
        text = _line(state, startLine)
        if not text.startswith("<"):
            return False

        closed = False
        is_comment = text.startswith("<!--")
        if is_comment:
            closed = text.rstrip().endswith("-->")
        else:
            m = _BLOCK_OPEN_RE.match(text)
            if not m:
                return False
            name = m.group(1)
            if name.lower() in _TEXT_LEVEL:
                return False
            remainder = text[m.end() :]
            self_closing = m.group(2) is not None or name in _VOID
            if _php_trim(remainder) == "":
                closed = self_closing
            else:
                if self_closing:
                    return False
                closed = _element_patterns(name)[1].search(remainder) is not None
        if silent:
            return True

        depth = 0
        last = startLine
        next_line = startLine + 1
        if not is_comment:
            open_re, close_re = _element_patterns(name)
        while not closed and next_line < endLine:
            if state.isEmpty(next_line):
                next_line += 1
                continue
            if state.sCount[next_line] < state.blkIndent:
                break
            ltext = _line(state, next_line)
            if is_comment:
                closed = ltext.rstrip().endswith("-->")
            else:
                if open_re.match(ltext):
                    depth += 1
                if close_re.search(ltext):
                    if depth > 0:
                        depth -= 1
                    else:
                        closed = True
            last = next_line
            next_line += 1
        end = last + 1
        content = text + "\n"
        if end > startLine + 1:
            content += state.getLines(startLine + 1, end, state.blkIndent, True)
        state.line = end
        if extra and not is_comment and "markdown" in content and not _too_deep(state):
            _push_markdown_html(state, content, [startLine, end])
        else:
            token = state.push("html_block", "", 0)
            token.map = [startLine, end]
            token.content = content
        return True

    return html_block


_TAG_RE = re.compile(
    r"""<(/?)([A-Za-z][\w:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(/?)>""",
    re.ASCII,
)
_MD_ATTR_RE = re.compile(r"""\s+markdown\s*=\s*(?:"1"|'1'|1(?=[\s/>]|$))""", re.ASCII | re.I)


def _split_markdown_regions(markup: str) -> list[tuple[str, str]]:
    """Split an HTML block into raw parts and ``markdown="1"`` element contents.

    Mirrors ParsedownExtra::processTag: an element (not text-level) whose
    ``markdown`` attribute is ``1`` loses the attribute and its content is parsed
    as markdown. Nested elements are found by the recursive markdown parse.
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    search_from = 0
    while True:
        m = _TAG_RE.search(markup, search_from)
        if not m:
            break
        search_from = m.end()
        if m.group(1) or m.group(4):
            continue
        name = m.group(2)
        attr_m = _MD_ATTR_RE.search(m.group(3))
        if not attr_m or name.lower() in _TEXT_LEVEL:
            continue
        attrs = m.group(3)
        tag = f"<{name}{attrs[: attr_m.start()]}{attrs[attr_m.end() :]}>"
        # Find the matching closing tag.
        depth = 0
        inner_end = len(markup)
        resume = len(markup)
        lname = name.lower()
        for t in _TAG_RE.finditer(markup, m.end()):
            if t.group(2).lower() != lname:
                continue
            if t.group(1):
                if depth == 0:
                    inner_end = t.start()
                    resume = t.start()
                    break
                depth -= 1
            elif not t.group(4):
                depth += 1
        parts.append(("html", markup[pos : m.start()] + tag))
        parts.append(("md", markup[m.end() : inner_end]))
        pos = resume
        search_from = resume
    parts.append(("html", markup[pos:]))
    return parts


def _push_markdown_html(state: StateBlock, markup: str, line_map: list[int]) -> None:
    for kind, text in _split_markdown_regions(markup):
        if kind == "md":
            _parse_nested(state, text)
            continue
        if not text.strip():
            continue
        token = state.push("html_block", "", 0)
        token.map = line_map
        token.content = text if text.endswith("\n") else text + "\n"


def _abbr_def(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """ParsedownExtra::blockAbbreviation: ``*[HTML]: Hyper Text Markup Language``."""
    if state.is_code_block(startLine):
        return False
    text = _line(state, startLine)
    if not text.startswith("*["):
        return False
    m = _ABBR_DEF_RE.match(text)
    if not m:
        return False
    if silent:
        return True
    state.env.setdefault(_ABBR_KEY, {})[m.group(1)] = m.group(2)
    state.line = startLine + 1
    return True


def _deflist(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """ParsedownExtra::blockDefinitionList: ``: definition`` after a paragraph.

    Every line of the preceding paragraph becomes a ``<dt>`` (a blank line between
    is allowed). A definition continues on following lines; after a blank line it
    continues only if indented, and then its content is parsed as blocks.
    Consecutive lists are merged, as ParsedownExtra::text does.
    """
    text = _line(state, startLine)
    if not text.startswith(":"):
        return False
    if silent:
        # Only the paragraph rule asks (alt chain): end the paragraph here; the
        # non-silent call then checks that a paragraph really precedes.
        return True
    toks = state.tokens
    if (
        len(toks) < 3
        or toks[-1].type != "paragraph_close"
        or toks[-3].type != "paragraph_open"
        or toks[-1].level != state.level
    ):
        return False
    inline = toks[-2]
    del toks[-3:]
    if toks and toks[-1].type == "dl_close" and toks[-1].level == state.level:
        toks.pop()
        state.level += 1
    else:
        token = state.push("dl_open", "dl", 1)
        token.map = [startLine, startLine]

    for term in inline.content.split("\n"):
        state.push("dt_open", "dt", 1)
        token = state.push("inline", "", 0)
        token.content = term.strip()
        token.map = inline.map
        token.children = []
        state.push("dt_close", "dt", -1)

    items: list[list[Any]] = []  # [text, block_mode, first_line]
    interrupted = False
    line = startLine
    last = startLine
    while line < endLine:
        if state.isEmpty(line):
            interrupted = True
            line += 1
            continue
        if state.sCount[line] < state.blkIndent:
            break
        ltext = _line(state, line)
        if ltext.startswith(":"):
            items.append([_php_trim(ltext[1:]), interrupted, line])
            interrupted = False
        else:
            indent = state.sCount[line] - state.blkIndent
            if interrupted and indent == 0:
                break
            if interrupted:
                items[-1][1] = True
                items[-1][0] += "\n\n"
                interrupted = False
            raw = state.src[state.bMarks[line] : state.eMarks[line]]
            lead = len(raw) - len(raw.lstrip(" "))
            items[-1][0] += "\n" + raw[min(lead, state.blkIndent + min(indent, 4)) :]
        last = line
        line += 1

    for dd_text, block_mode, first in items:
        token = state.push("dd_open", "dd", 1)
        token.map = [first, first + 1]
        if block_mode and not _too_deep(state):
            _parse_nested(state, dd_text)
        else:
            token = state.push("inline", "", 0)
            token.content = dd_text
            token.map = [first, first + 1]
            token.children = []
        state.push("dd_close", "dd", -1)
    state.push("dl_close", "dl", -1)
    state.line = last + 1
    return True


# --------------------------------------------------------------------------------------
# Inline rule


# markdown-it's text rule, with a regex instead of a per-character loop
# (same terminator characters as markdown_it.rules_inline.text).
_TEXT_RUN_RE = re.compile(r"[^\n!#$%&*+\-:<=>@\[\\\]^_`{}~]+")


def _text(state: StateInline, silent: bool) -> bool:
    m = _TEXT_RUN_RE.match(state.src, state.pos, state.posMax)
    if not m:
        return False
    if not silent:
        state.pending += m.group(0)
    state.pos = m.end()
    return True


def _bare_url(state: StateInline, silent: bool) -> bool:
    """Parsedown::inlineUrl (``auto_url_links``): ``\\bhttps?://[^\\s<]+\\b/*``."""
    pos = state.pos
    src = state.src
    if src[pos] != ":" or state.linkLevel > 0:
        return False
    m = _SCHEME_TAIL_RE.search(state.pending[-6:])
    if not m:
        return False
    proto = m.group(1)
    start = pos - len(proto)
    if start > 0 and (src[start - 1].isalnum() or src[start - 1] == "_"):
        return False
    tail = _URL_TAIL_RE.match(src, pos + 1, state.posMax)
    if not tail:
        return False
    url = proto + ":" + tail.group(0)
    if not silent:
        state.pending = state.pending[: -len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": url}
        token.markup = "linkify"
        token.info = "auto"
        token = state.push("text", "", 0)
        token.content = url
        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"
    state.pos = tail.end()
    return True


# --------------------------------------------------------------------------------------
# Core rules


def _keep_entities(state: StateCore) -> None:
    """Keep entities as the author wrote them (Grav's inlineSpecialCharacter)."""
    for tok in state.tokens:
        if tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "text_special" and child.info == "entity":
                    child.type = "html_inline"
                    child.content = child.markup


def _table_align(state: StateCore) -> None:
    for tok in state.tokens:
        if tok.type in ("th_open", "td_open") and tok.attrs:
            style = tok.attrs.get("style")
            if isinstance(style, str) and style.startswith("text-align:"):
                tok.attrs["style"] = "text-align: " + style[len("text-align:") :] + ";"


def _parse_attr_list(spec: str) -> dict[str, str]:
    """ParsedownExtra::parseAttributeData: ``#id .a .b`` -> {id, class}."""
    attrs: dict[str, str] = {}
    classes: list[str] = []
    for part in spec.split():
        if part.startswith("#"):
            attrs["id"] = part[1:]
        elif part.startswith("."):
            classes.append(part[1:])
    if classes:
        attrs["class"] = " ".join(classes)
    return attrs


def _heading_attrs(state: StateCore) -> None:
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        if "{" not in inline.content:
            continue
        pattern = _SETEXT_ATTR_RE if tok.markup in ("=", "-") else _HEADING_ATTR_RE
        m = pattern.search(inline.content)
        if m:
            for key, value in _parse_attr_list(m.group(1)).items():
                tok.attrSet(key, value)
            inline.content = inline.content[: m.start()]


def _inline_attrs(children: list[Token]) -> None:
    """ParsedownExtra::inlineLink: ``[t](u){#id .c}`` / ``![a](u){.c}``."""
    open_links: list[Token] = []
    for i, child in enumerate(children):
        if child.type == "link_open":
            open_links.append(child)
            continue
        if child.type == "link_close":
            target = open_links.pop() if open_links else None
        elif child.type == "image":
            target = child
        else:
            continue
        if target is None or i + 1 >= len(children):
            continue
        nxt = children[i + 1]
        if nxt.type != "text" or "{" not in nxt.content[:64]:
            continue
        m = _INLINE_ATTR_RE.match(nxt.content)
        if not m:
            continue
        for key, value in _parse_attr_list(m.group(1)).items():
            if target.attrGet(key) is None:  # PHP '+=': existing keys win
                target.attrSet(key, value)
        nxt.content = nxt.content[m.end() :]


def _abbreviate(children: list[Token], pattern: re.Pattern[str], table: dict[str, str]) -> list[Token]:
    out: list[Token] = []
    for child in children:
        if child.type != "text" or not pattern.search(child.content):
            out.append(child)
            continue
        pos = 0
        for m in pattern.finditer(child.content):
            if m.start() > pos:
                out.append(_text_token(child.content[pos : m.start()]))
            abbr = m.group(0)
            out.append(_html_token(f'<abbr title="{escapeHtml(table[abbr])}">'))
            out.append(_text_token(abbr))
            out.append(_html_token("</abbr>"))
            pos = m.end()
        if pos < len(child.content):
            out.append(_text_token(child.content[pos:]))
    return out


def _text_token(content: str) -> Token:
    tok = Token("text", "", 0)
    tok.content = content
    return tok


def _html_token(content: str) -> Token:
    tok = Token("html_inline", "", 0)
    tok.content = content
    return tok


def _query_attributes(
    url: str, kind: str, valid: Sequence[str]
) -> tuple[str, dict[str, str]]:
    """Grav Excerpts: turn ``?key=value`` link parameters into HTML attributes.

    Returns the URL without the consumed parameters, and the attributes.
    Parameters that are not consumed stay in the query string exactly as written.
    """
    hash_pos = url.find("#")
    fragment = url[hash_pos:] if hash_pos >= 0 else ""
    base = url[:hash_pos] if hash_pos >= 0 else url
    q_pos = base.find("?")
    if q_pos < 0:
        return url, {}
    path, query = base[:q_pos], base[q_pos + 1 :]
    items: list[tuple[str, str | None, str]] = []
    for raw in query.split("&"):
        if raw == "":
            continue
        key, eq, value = raw.partition("=")
        items.append((unquote(key), value if eq else None, raw))

    skip_all = False
    skip: set[str] = set()
    if any(key == "noprocess" for key, _, _ in items):
        value = [v for k, v, _ in items if k == "noprocess"][-1]
        if value is None:
            skip_all = True  # Grav: a bare `noprocess` skips every key
        else:
            skip = set(unquote(value).split(","))
        items = [it for it in items if it[0] != "noprocess"]

    attrs: dict[str, str] = {}
    kept: list[tuple[str, str | None, str]] = []
    for key, value, raw in items:
        if not skip_all and key not in skip and key in valid:
            name = "class" if key == "classes" else key
            attrs[name] = "1" if value is None else unquote(value).replace(",", " ")
        else:
            kept.append((key, value, raw))

    if kind == "image" and _is_local(path):
        rest: list[tuple[str, str | None, str]] = []
        for key, value, raw in kept:
            lkey = key.lower()
            if lkey in _MEDIA_ACTIONS:
                continue
            if lkey in _MEDIA_HINT_ATTRS:
                if value and unquote(value).lower() != "auto":
                    attrs[lkey] = unquote(value)
                continue
            if lkey in _MEDIA_PLAIN_ATTRS:
                if value is not None:
                    text = unquote(value)
                    attrs[_MEDIA_PLAIN_ATTRS[lkey]] = (
                        text.replace(",", " ") if lkey == "classes" else text
                    )
                continue
            rest.append((key, value, raw))
        kept = rest

    new_url = path + ("?" + "&".join(raw for _, _, raw in kept) if kept else "") + fragment
    return new_url, attrs


def _is_local(path: str) -> bool:
    if path.startswith("//"):
        return False
    m = _SCHEME_RE.match(path)
    return not (m and m.group(1).lower() in _EXTERNAL_SCHEMES)


def _alt_text(token: Token) -> str:
    """Parsedown uses the image label as written (``![a *b*](x)`` -> ``a *b*``);
    entities and backslash escapes in it are decoded."""
    return unescapeAll(token.content)


def _apply_resolved(token: Token, resolved: ResolvedUrl) -> None:
    """Resolver attributes fill attributes the markdown left empty; classes merge."""
    for key, value in resolved.attrs.items():
        current = token.attrGet(key)
        if key == "class" and current:
            have = str(current).split()
            extra = [c for c in str(value).split() if c not in have]
            if extra:
                token.attrSet("class", " ".join(have + extra))
        elif key == "alt" and token.type == "image":
            if not _alt_text(token):
                token.meta = dict(token.meta or {}, qalam_alt=value)
        elif current is None or current == "":
            token.attrSet(key, value)


def _process_url(token: Token, attr: str, kind: str, valid: Sequence[str], resolver: Any) -> None:
    url = token.attrGet(attr)
    url = "" if url is None else str(url)
    clean, attrs = _query_attributes(url, kind, valid)
    for key, value in attrs.items():
        if key not in (attr, "alt"):
            token.attrSet(key, value)
    if resolver is not None:
        resolved = resolver(clean, kind)
        if resolved is not None:
            clean = resolved.url
            _apply_resolved(token, resolved)
    token.attrSet(attr, clean)


def _make_inline_post(options: MarkdownOptions) -> Callable[[StateCore], None]:
    valid = options.valid_link_attributes
    extra = options.extra

    def inline_post(state: StateCore) -> None:
        resolver = state.env.get(_RESOLVER_KEY)
        abbr_table = state.env.get(_ABBR_KEY) if extra else None
        abbr_re = None
        if abbr_table:
            alternatives = sorted(abbr_table, key=len, reverse=True)
            abbr_re = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + r")\b")
        for tok in state.tokens:
            if tok.type != "inline" or not tok.children:
                continue
            children = tok.children
            if extra:
                _inline_attrs(children)
            for child in children:
                if child.type == "link_open":
                    if child.markup not in ("autolink", "linkify"):
                        _process_url(child, "href", "link", valid, resolver)
                elif child.type == "image":
                    _process_url(child, "src", "image", valid, resolver)
            if abbr_re is not None:
                tok.children = _abbreviate(children, abbr_re, abbr_table)

    return inline_post


# --------------------------------------------------------------------------------------
# Renderer rules (signature: self, tokens, idx, options, env)


def _r_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return _esc_text(tokens[idx].content)


def _r_code_inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return "<code" + self.renderAttrs(token) + ">" + _esc_text(token.content) + "</code>"


def _r_code_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    content = token.content[:-1] if token.content.endswith("\n") else token.content
    return "<pre" + self.renderAttrs(token) + "><code>" + _esc_text(content) + "</code></pre>\n"


def _r_fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip() if token.info else ""
    lang = info.split(maxsplit=1)[0] if info else ""
    cls = f' class="language-{escapeHtml(lang)}"' if lang else ""
    content = token.content[:-1] if token.content.endswith("\n") else token.content
    return f"<pre><code{cls}>{_esc_text(content)}</code></pre>\n"


def _r_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = _alt_text(token)
    if not alt and token.meta:
        alt = str(token.meta.get("qalam_alt", ""))
    token.attrSet("alt", alt)
    return self.renderToken(tokens, idx, options, env)


def _r_del_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "<del>"


def _r_del_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</del>"


def _fn_label(token: Token) -> str:
    meta = token.meta or {}
    label = meta.get("label")
    return escapeHtml(str(label if label is not None else meta.get("id", 0) + 1))


def _r_fn_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    label = _fn_label(token)
    number = token.meta["id"] + 1
    count = token.meta.get("subId", 0) + 1
    return (
        f'<sup id="fnref{count}:{label}"><a href="#fn:{label}" class="footnote-ref">'
        f"{number}</a></sup>"
    )


def _r_fn_block_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return '<div class="footnotes">\n<hr />\n<ol>\n'


def _r_fn_block_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</ol>\n</div>\n"


def _r_fn_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return f'<li id="fn:{_fn_label(tokens[idx])}">\n'


def _r_fn_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return "</li>\n"


def _r_fn_anchor(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    link = (
        f'<a href="#fnref{token.meta.get("subId", 0) + 1}:{_fn_label(token)}" '
        'rev="footnote" class="footnote-backref">&#8617;</a>'
    )
    first = tokens[idx - 1].type != "footnote_anchor"
    end = idx
    while end + 1 < len(tokens) and tokens[end + 1].type == "footnote_anchor":
        end += 1
    in_paragraph = end + 1 < len(tokens) and tokens[end + 1].type == "paragraph_close"
    if in_paragraph:
        return ("&#160;" if first else " ") + link
    out = ("<p>" if first else " ") + link
    if end == idx:
        out += "</p>\n"
    return out


# --------------------------------------------------------------------------------------
# Building and rendering


@functools.lru_cache(maxsize=32)
def _build(options: MarkdownOptions) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            "html": not options.escape_markup,
            "breaks": options.auto_line_breaks,
            "xhtmlOut": True,
            "linkify": False,
            "typographer": False,
        },
    )
    md.enable(["table", "strikethrough"])
    # Parsedown prints URLs as written: no percent-encoding, no punycode.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda url: url  # type: ignore[method-assign]
    if not options.escape_markup:
        # Parsedown without safe mode accepts every scheme; the content is trusted.
        md.validateLink = lambda url: True  # type: ignore[method-assign]

    alt = {"alt": ["paragraph", "reference", "blockquote"]}
    md.block.ruler.at("heading", _heading, alt)
    md.block.ruler.at("lheading", _setext_heading)
    md.block.ruler.at(
        "table", _wrap_table(rules_block.table), {"alt": ["paragraph", "reference"]}
    )
    # Parsedown lets a reference definition interrupt a paragraph.
    md.block.ruler.at("reference", _wrap_reference(rules_block.reference), {"alt": ["paragraph"]})
    md.block.ruler.at("html_block", _make_html_block(options.extra), alt)
    md.block.ruler.before("html_block", "grav_twig_line", _twig_line, alt)
    md.block.ruler.before("paragraph", "grav_notices", _notices, alt)

    if options.extra:
        footnote_plugin(md, inline=False)
        md.block.ruler.before("reference", "grav_abbr", _abbr_def, {"alt": ["paragraph", "reference"]})
        md.block.ruler.before("paragraph", "grav_deflist", _deflist, {"alt": ["paragraph"]})
        md.core.ruler.after("block", "grav_heading_attrs", _heading_attrs)
        md.add_render_rule("footnote_ref", _r_fn_ref)
        md.add_render_rule("footnote_block_open", _r_fn_block_open)
        md.add_render_rule("footnote_block_close", _r_fn_block_close)
        md.add_render_rule("footnote_open", _r_fn_open)
        md.add_render_rule("footnote_close", _r_fn_close)
        md.add_render_rule("footnote_anchor", _r_fn_anchor)

    md.inline.ruler.at("text", _text)
    if options.auto_url_links:
        md.inline.ruler.after("text", "grav_bare_url", _bare_url)

    md.core.ruler.after("block", "grav_table_align", _table_align)
    md.core.ruler.before("text_join", "grav_entities", _keep_entities)
    md.core.ruler.push("grav_inline_post", _make_inline_post(options))

    md.add_render_rule("text", _r_text)
    md.add_render_rule("code_inline", _r_code_inline)
    md.add_render_rule("code_block", _r_code_block)
    md.add_render_rule("fence", _r_fence)
    md.add_render_rule("image", _r_image)
    md.add_render_rule("s_open", _r_del_open)
    md.add_render_rule("s_close", _r_del_close)
    return md


def render_markdown(
    text: str,
    options: MarkdownOptions = MarkdownOptions(),
    *,
    resolve_url: UrlResolver | None = None,
    fast: bool = True,
) -> str:
    """Render a Grav page body (front matter already removed) to HTML.

    ``resolve_url(url, kind)`` is called for every markdown link (``kind="link"``)
    and image (``kind="image"``) -- not for autolinks or raw HTML -- with the URL as
    written in the markdown (percent-escapes kept) minus the query parameters that
    became attributes (and, for local images, minus Grav media actions). If it
    returns a :class:`ResolvedUrl`, its ``url`` replaces the URL and its ``attrs``
    fill attributes that are missing or empty (``class`` values are appended).

    The output has no trailing newline (Parsedown trims the result).

    Pages that use nothing but what CommonMark and Grav render alike take the compiled
    fast path (``markdown_fast``), with the same HTML; ``fast=False`` forces this reference.
    """
    if fast and markdown_fast.ENABLED and markdown_fast.eligible(text, options):
        return markdown_fast.render(text, resolve_url)
    md = _build(options)
    env: dict[str, Any] = {}
    if resolve_url is not None:
        env[_RESOLVER_KEY] = resolve_url
    return md.render(text, env).strip("\n")
