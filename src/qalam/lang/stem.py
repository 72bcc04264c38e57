"""``stem(word, lang)``: one entry point for the stemmers of Qalam's languages.

* ``kk`` — Qalam's own rule-based Kazakh stemmer (:mod:`qalam.lang.stem_kk`), for
  words in either script; the stem is returned folded, in the script of the word.
* ``ru`` — Snowball's Russian stemmer, after folding and ``ё`` → ``е``.
* ``en`` — Snowball's English (Porter 2) stemmer, after folding.

  Snowball is applied again until the word stops changing (rarely a second round:
  "aase" → "aas" → "aa"), so that ``stem(stem(w)) == stem(w)`` in every language.
* any other language — the folded word.

The word is normalised (:func:`qalam.lang.normalize.normalize`) and folded
(:func:`qalam.lang.normalize.fold_case`) first.  Words that contain anything but
letters (digits, hyphens, apostrophes) are returned folded and otherwise
unchanged.  Language codes are read by their primary subtag (``kk-KZ``, ``ru_RU``,
``EN`` work).  Results are cached.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

from .normalize import fold_case, normalize
from .stem_kk import stem_kazakh

__all__ = ["stem", "primary_lang"]

_local = threading.local()
_SNOWBALL = {"ru": "russian", "en": "english"}


def primary_lang(lang: str | None) -> str:
    """'kk-KZ' -> 'kk'; '' or None -> ''."""
    if not lang:
        return ""
    return lang.replace("_", "-").split("-", 1)[0].strip().lower()


def _snowball(lang: str):
    # Snowball stemmer objects keep state between calls: one per thread.
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    st = stemmers.get(lang)
    if st is None:
        st = stemmers[lang] = snowballstemmer.stemmer(_SNOWBALL[lang])
    return st


def stem_folded(word: str, lang: str) -> str:
    """Stem a word that is already normalised and folded (``lang`` is a primary subtag)."""
    if lang == "kk":
        return stem_kazakh(word)
    if lang in _SNOWBALL and word.isalpha() and len(word) <= 64:
        if lang == "ru":
            word = word.replace("ё", "е")
        stemmer = _snowball(lang)
        # Snowball is applied until the word stops changing ("aase" -> "aas" -> "aa"), so that
        # stem(stem(w)) == stem(w) in every language.  Each round only shortens the word.
        for _ in range(len(word)):
            nxt = stemmer.stemWord(word)
            if nxt == word:
                break
            word = nxt
    return word


@lru_cache(maxsize=131072)
def stem(word: str, lang: str = "kk") -> str:
    """The stem of ``word`` in ``lang`` (see the module doc)."""
    code = primary_lang(lang)
    return stem_folded(fold_case(normalize(word), code), code)
