"""The one text-analysis pipeline of Qalam: search indexing and search queries both use it.

``analyze(text, lang) -> list[Token]``::

    find words in the original text -> normalise -> fold case -> stem -> script key

* **Words** are runs of letters and digits of any script (Kazakh letters in both
  scripts included), with combining marks and invisible characters (soft hyphen,
  zero-width characters) inside them.  An apostrophe between letters (', ’, ʼ)
  joins: "O'Brien" is one word, its term "obrien".  A hyphen separates:
  "Нұр-Сұлтан" and "іс-шаралар" are two words each, so a search for either part
  finds them.  Numbers are kept as terms ("2020", "19" of "COVID-19").  Nothing
  else (punctuation, symbols, emoji) makes a token.
* **Terms**: for ``kk`` the Kazakh stem in the 2021 Latin alphabet (the script key),
  so Cyrillic text and Latin queries meet: "дәрігерлердің" and "däriger" both give
  ``däriger``.  Every word of a Kazakh page goes through the Kazakh rules — the
  Russian or English words in it too; that is consistent at index and query time,
  which is what matters.  For ``ru`` the Snowball Russian stem (Cyrillic, ё → е), for
  ``en`` the Snowball English stem, for any other language the folded word.  Words
  with digits are not stemmed.  A word longer than 64 letters is cut to 64 and not
  stemmed.
* **loose** is :func:`qalam.lang.translit.loose_key` of the term: "dariger" (typed
  without Kazakh letters) equals the loose key of "däriger" and "дәрігерлердің".  For
  Russian terms that is their Latin transliteration ("москв" → "moskv").
* ``start``/``end`` are offsets into the text as given (not the normalised one):
  ``text[token.start:token.end] == token.word``.

Terms are cached per (word, language), so a word costs its analysis once per
process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from .normalize import fold_case, normalize
from .stem import primary_lang, stem_folded
from .stem_kk import stem_latin
from .translit import _loose, _script_key, to_latin

__all__ = ["Token", "analyze", "clear_caches", "scan"]

MAX_TERM = 64

_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_CHAR = rf"(?:[^\W_]|[{_MARKS}{_INVISIBLE}])"
_TOKEN = re.compile(rf"{_CHAR}+(?:['’ʼ]{_CHAR}+)*")
_APOSTROPHES = str.maketrans("", "", "'’ʼ")


@dataclass(frozen=True, slots=True)
class Token:
    term: str  # the matching term: stem, folded, as script key (Kazakh in Latin 2021; ru Cyrillic stem; en stem)
    loose: str  # loose_key(term)
    start: int  # offsets into the original text
    end: int
    word: str  # the word as written (text[start:end])


@lru_cache(maxsize=262144)
def _terms(word: str, lang: str) -> tuple[str, str] | None:
    w = normalize(word[: MAX_TERM * 2]).translate(_APOSTROPHES)
    if not w:
        return None
    folded = fold_case(w, lang)
    long = len(folded) > MAX_TERM
    if long:
        folded = folded[:MAX_TERM]
    if lang == "kk":
        lat = to_latin(folded)
        if not long and lat.isalpha():
            lat = stem_latin(lat)
        term = lat.replace("ı", "i")
    elif long:
        term = folded
    else:
        term = stem_folded(folded, lang)
    if not term:
        return None  # a word of ъ/ь only has no Latin letters
    return term, _loose(term if lang == "kk" else _script_key(term))


def scan(text: str, lang: str) -> Iterator[tuple[int, int, str, str, str]]:
    """``(start, end, word, term, loose)`` for each word of ``text``: :func:`analyze` without
    building a :class:`Token` per word (search snippets look at every word of a page and
    keep only the few that match)."""
    if not text:
        return
    code = primary_lang(lang) or "kk"
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        word = m.group(0)
        if word[0] in _INVISIBLE or word[-1] in _INVISIBLE:
            stripped = word.strip(_INVISIBLE)
            if not stripped:
                continue
            start += len(word) - len(word.lstrip(_INVISIBLE))
            end = start + len(stripped)
            word = stripped
        got = _terms(word, code)
        if got is not None:
            yield start, end, word, got[0], got[1]


def analyze(text: str, lang: str) -> list[Token]:
    """Tokens of ``text`` in language ``lang`` (see the module doc)."""
    return [Token(term, loose, start, end, word) for start, end, word, term, loose in scan(text, lang)]


def clear_caches() -> None:
    """Forget cached terms (benchmarks use this to measure cold runs)."""
    _terms.cache_clear()
