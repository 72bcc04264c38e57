"""Page summaries as Grav computes them (``Page::content`` / ``Page::summary``).

* :func:`split_divider` finds and removes the ``<p>===</p>`` marker in rendered HTML.
* :func:`make_summary` applies ``site.summary`` (merged with the page header's
  ``summary``): the HTML before the divider, or a truncated copy of the content.
* :func:`truncate_html` is Grav's ``Utils::truncateHtml`` (``Truncator::truncateLetters``)
  rebuilt on :mod:`html.parser`.

Differences from Grav, on purpose:

* **Length.** ``truncate_html(html, n)`` keeps exactly ``n`` characters of text, as
  Grav's own unit tests state (``'<p>This...</p>'`` for 4). Grav's code actually keeps
  ``n + 1`` and counts one extra position at the end of every text node (a
  ``DOMLettersIterator`` quirk), so its summaries are a few letters off.
* **Characters, not display width.** Sizes count Unicode code points, like Grav's
  ``Truncator`` (``/./u``). ``mb_strwidth`` (CJK = 2 columns) is used by Grav only for
  ``summary(size, textOnly=true)`` and for summaries set with ``setSummary()``; page
  summaries from content never use it, so Qalam does not either.
* **Entities.** Grav serialises the truncated DOM with numeric entities for every
  non-ASCII letter and then runs ``html_entity_decode`` on the whole summary, which
  also turns ``&lt;script&gt;`` typed in text into a real tag and breaks attributes
  holding ``&quot;``. Qalam decodes entities in text only and re-escapes ``&``,
  ``<`` and ``>`` there; attribute values are left exactly as written.
* **Ellipsis placement.** Grav appends ``...`` to the text node where the cut falls,
  even a whitespace-only node between two blocks (giving ``<p>a</p>...``). Qalam
  appends it to the last kept text that is not blank (trailing whitespace removed),
  and drops what follows. As in Grav, when that text sits directly in ``a``,
  ``strong``, ``em`` or ``h1``-``h5``, the ellipsis goes right after that element.
* **Short summaries** (divider found, ``format: short``) are stripped of trailing
  whitespace, so the newline after the first paragraph does not end the summary.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from qalam.lang.htmlparser import SafeHTMLParser

__all__ = ["split_divider", "make_summary", "truncate_html"]

_VOID = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr command".split()
)
_RAW_TEXT = frozenset(("script", "style"))
# Truncator::insertEllipsis: put the ellipsis after these elements, not inside them.
_AVOID = frozenset(("a", "strong", "em", "h1", "h2", "h3", "h4", "h5"))


def split_divider(html: str, delimiter: str = "===") -> tuple[str, int | None]:
    """Find the literal ``'<p>' + delimiter + '</p>'`` in rendered HTML.

    Grav (``Page::content``) stores the character offset of the first marker and
    removes every marker from the content. The newline that follows a marker is
    removed too, so the content has no stray blank line. A delimiter holding
    ``&``, ``<`` or ``>`` is also looked for in its HTML-escaped form, since the
    renderer escapes those in text.

    Returns ``(html without the marker, offset)`` or ``(html, None)``.
    """
    for candidate in dict.fromkeys((delimiter, escape(delimiter, quote=False))):
        marker = f"<p>{candidate}</p>"
        offset = html.find(marker)
        if offset < 0:
            continue
        content = html.replace(marker + "\n", "").replace(marker, "")
        return content, offset
    return html, None


def _php_truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)


def make_summary(
    content: str,
    divider_offset: int | None,
    *,
    enabled: Any = True,
    format: Any = "short",
    size: Any = 300,
) -> str:
    """Grav ``Page::summary()`` for a page without a custom summary.

    * ``enabled`` falsy (PHP rules: ``false``, ``0``, ``''``, ``'0'``, ``None``) -> the content.
    * ``format`` not ``short``/``long`` -> the content.
    * ``short`` and a divider -> ``content[:divider_offset]``, trailing whitespace removed.
    * Otherwise (``long``, or no divider): ``size`` 0 -> the content; non-numeric or
      negative -> 300; else :func:`truncate_html` with ``...``. Grav then runs
      ``html_entity_decode``; here the truncation already outputs text with entities
      decoded (only ``&amp; &lt; &gt;`` remain, so the result stays valid HTML), and when
      nothing was cut the content's text entities are decoded the same way.

    ``size`` counts Unicode characters (code points), not display width: Grav's
    ``mb_strwidth`` (CJK = 2) applies only to ``summary(size, textOnly)`` and to
    custom summaries, never to summaries cut from the content.
    """
    if not _php_truthy(enabled):
        return content
    if format not in ("short", "long"):
        return content
    if format == "short" and divider_offset is not None:
        return content[:divider_offset].rstrip()
    limit = _summary_size(size)
    if limit == 0:
        return content
    return _Truncator(content, limit, "...", decode_only_if_short=True).result


def _summary_size(size: Any) -> int:
    if isinstance(size, bool):
        return 300
    if isinstance(size, int):
        return 300 if size < 0 else size
    try:
        number = float(str(size).strip())
    except ValueError:
        return 300
    if math.isnan(number) or number < 0:
        return 300
    if math.isinf(number):
        return 0
    return math.ceil(number)


def truncate_html(html: str, size: int, ellipsis: str = "...") -> str:
    """Cut HTML after ``size`` characters of text, keeping tags balanced.

    Counts the characters of text nodes as they are (entities count as one
    character; whitespace, including newlines between blocks, counts, as in Grav's
    DOM-based counter; ``script``/``style`` content and comments do not count).
    If the text is not longer than ``size`` -- or ``size <= 0`` -- the HTML is returned
    unchanged. Otherwise the text is cut, the ellipsis is appended to the last kept
    non-blank text (see the module notes for ``a``/``strong``/``em``/``h1``-``h5``),
    everything after is dropped and all open elements are closed. Void elements
    (``img``, ``br``, ``hr`` ...) are not closed. Text in the result is re-escaped
    minimally (``&amp; &lt; &gt;``); tags keep their original attribute text.
    """
    if size <= 0:
        return html
    return _Truncator(html, size, ellipsis).result


class _Truncator(SafeHTMLParser):
    def __init__(self, html: str, size: int, ellipsis: str, decode_only_if_short: bool = False):
        super().__init__(convert_charrefs=True)
        self.size = size
        self.ellipsis = ellipsis
        # Output pieces; text pieces are recorded with the open-element stack.
        self.out: list[str] = []
        self.stack: list[str] = []
        self.texts: list[tuple[int, tuple[str, ...], str]] = []  # (out index, stack, text)
        self.count = 0
        self.cut = False
        self.feed(html)
        self.close()
        if not self.cut:
            self.result = self._serialize_all() if decode_only_if_short else html
        else:
            self.result = self._finish()

    # -- parser callbacks -------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        self.out.append(self.get_starttag_text() or f"<{tag} />")

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if tag not in self.stack:
            return  # stray end tag: dropped so that the output stays balanced
        while self.stack:
            open_tag = self.stack.pop()
            self.out.append(f"</{open_tag}>")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.cut:
            return
        if self.stack and self.stack[-1] in _RAW_TEXT:
            self.out.append(data)
            return
        room = self.size - self.count
        if len(data) <= room:
            self.count += len(data)
            self._text(data)
            return
        self._text(data[:room])
        self.count = self.size
        self.cut = True

    def handle_comment(self, data: str) -> None:
        if not self.cut:
            self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        if not self.cut:
            self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        if not self.cut:
            self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        if not self.cut:
            self.out.append(f"<![{data}]>")

    # -- output ------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        self.texts.append((len(self.out), tuple(self.stack), text))
        self.out.append(escape(text, quote=False))

    def _serialize_all(self) -> str:
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.stack))

    def _finish(self) -> str:
        target = None
        for entry in reversed(self.texts):
            if entry[2].strip():
                target = entry
                break
        if target is None:
            target = self.texts[-1]
        index, stack, text = target
        out = self.out[: index + 1]
        kept = escape(text.rstrip(), quote=False)
        if stack and stack[-1] in _AVOID:
            out[index] = kept
            closing = [f"</{stack[-1]}>", escape(self.ellipsis, quote=False)]
            closing += [f"</{t}>" for t in reversed(stack[:-1])]
        else:
            out[index] = kept + escape(self.ellipsis, quote=False)
            closing = [f"</{t}>" for t in reversed(stack)]
        return "".join(out) + "".join(closing)
