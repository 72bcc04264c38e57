"""Kazakh text hygiene for the editor: the typing slips a reader notices and search trips over.

``check(text, lang)`` returns one :class:`Finding` per slip, each with its exact place and the
text that fixes it, so the editor can offer one click per finding (``apply`` makes the change
only where the text is still what was found):

* **mixed** — a word that mixes Cyrillic and Latin look-alike letters (``Қaзақстан`` with a
  Latin ``a``; ``бiлiм`` with Latin ``i``; ``əкім`` with the IPA ``ə`` U+0259). Fixed to the
  script the rest of the word is in, by the rules of :mod:`qalam.lang.normalize`.
* **letter** — a Kazakh letter typed as a look-alike from another alphabet (Bashkir ``ҡ`` for
  ``қ``, ``ɵ`` or the old fita ``ѳ`` for ``ө``, ``к̧`` with a combining cedilla for ``қ``, ...).
* **quotes** — straight ``"…"`` quotes in Kazakh and Russian text, where «…» belong.
* **dash** — a hyphen (or ``--``) between spaces used as a dash, where an em dash ``—`` belongs.
* **invisible** — a soft hyphen or zero-width character inside a word (it breaks search).

Markdown code (```` ``` ```` blocks and `inline`), link targets, HTML tags, URLs and e-mail
addresses are left alone, and so are list bullets (``- item``) and number ranges (``1990-2000``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from .normalize import normalize

__all__ = ["Finding", "check", "apply", "fix_all"]


@dataclass(frozen=True)
class Finding:
    kind: str  # mixed, letter, quotes, dash, invisible
    start: int  # offsets in the text as given (Python str indices)
    end: int
    found: str
    fix: str

    def as_dict(self) -> dict:
        return asdict(self)


#: Spans never looked into: fenced and inline code, HTML tags and comments, link targets,
#: URLs, e-mail addresses, Twig/Grav shortcodes.
_SKIP = re.compile(
    r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`"
    r"|<!--.*?-->|<[A-Za-z/!][^>\n]*>"
    r"|\]\([^)\n]*\)|^\s*\[[^\]\n]+\]:\s*\S+"
    r"|\b(?:https?|ftp|mailto):[^\s)>\]]+|www\.[^\s)>\]]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\{\{.*?\}\}|\{%.*?%\}|\[[a-z-]+(?:\s[^\]\n]*)?\]",
    re.S | re.M,
)
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489\u00ad\u200b-\u200d\u2060\ufeff])+")
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_FOREIGN = set("ҡҠӄӃҟҞҝҜӈӇҥҤӻӺɵƟѳѲɏɎ") | {"\u0326", "\u0327", "\u0328", "\u0335", "\u0336"}
#: "…" pairs on one line (the opening quote after a space, bracket or line start).
_QUOTES = re.compile(r'(?<![\w"])"(?=\S)([^"\n]{1,400}?)(?<=\S)"(?![\w"])')
#: A hyphen or two between spaces, between words (not a list bullet at a line start).
_DASH = re.compile(r"(?<=[^\s\-])([ \u00a0])(--?)(?= )")


def _skipped(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SKIP.finditer(text)]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


def check(text: str, lang: str = "kk") -> list[Finding]:
    """Every slip in ``text`` (Markdown or plain), in order; empty when the text is clean."""
    if not text:
        return []
    skip = _skipped(text)
    found: list[Finding] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isascii() or _inside(skip, m.start(), m.end()):
            continue
        fixed = normalize(word)
        if fixed == word:
            continue
        if any(ch in _INVISIBLE for ch in word) and fixed == "".join(ch for ch in word if ch not in _INVISIBLE):
            kind = "invisible"
        elif any(ch in _FOREIGN for ch in unicodedata.normalize("NFD", word)) or any(ch in _FOREIGN for ch in word):
            kind = "letter"
        else:
            kind = "mixed"
        found.append(Finding(kind, m.start(), m.end(), word, fixed))
    if lang in ("kk", "ru"):
        for m in _QUOTES.finditer(text):
            if _inside(skip, m.start(), m.end()):
                continue
            found.append(Finding("quotes", m.start(), m.end(), m.group(0), f"«{m.group(1)}»"))
        for m in _DASH.finditer(text):
            start, end = m.start(2), m.end(2)
            if _inside(skip, start, end):
                continue
            found.append(Finding("dash", m.start(1), end, m.group(0), "\u00a0—"))
    found.sort(key=lambda f: f.start)
    return found


def apply(text: str, finding: Finding | dict) -> str:
    """``text`` with one finding fixed, if the text at its place is still what was found."""
    f = finding if isinstance(finding, Finding) else Finding(**{k: finding[k] for k in Finding.__dataclass_fields__})
    if text[f.start:f.end] != f.found:
        return text
    return text[:f.start] + f.fix + text[f.end:]


def fix_all(text: str, lang: str = "kk") -> str:
    """``text`` with every finding fixed (from the end, so earlier places do not move)."""
    for f in sorted(check(text, lang), key=lambda f: f.start, reverse=True):
        text = apply(text, f)
    return text
