"""Readable ASCII URL slugs for Kazakh, Russian and English titles.

``slugify(title, lang="kk", max_length=80) -> str``

1. The title is normalised and Cyrillic is transliterated by the 2021 Kazakh Latin
   table (:func:`qalam.lang.translit.to_latin`) — for Russian titles too, so one
   site has one transliteration ("Щука" → "sshuka", "Жизнь" → "jizn"), and a
   Kazakh and a Russian word with the same letters get the same slug.
2. The Kazakh Latin letters lose their marks: ä→a ğ→g ı→i ñ→n ö→o ş→s ū→u ü→u
   ("әлеуметтік" → "aleumettik", "Қазақстан" → "qazaqstan"; q stays q), any other
   diacritic is dropped (é → e), ß → ss, æ → ae, ø → o, œ → oe, ł → l, đ → d,
   þ → th.
3. Lower case; apostrophes vanish ("O'Brien" → "obrien"); every other run of
   characters outside ``[a-z0-9]`` becomes one ``-``; no dash at either end.
4. Longer than ``max_length``: cut at the last dash that fits (a single word longer
   than the limit is cut inside).
5. Never empty: a title with nothing left (emoji, Chinese, only punctuation)
   gives ``"page"``.

``lang`` is accepted for symmetry with the other functions; every language uses
the same table.
"""

from __future__ import annotations

import re
import unicodedata

from .normalize import fold_case, normalize
from .translit import to_latin

__all__ = ["slugify"]

FALLBACK = "page"

_ASCII = str.maketrans({
    "ä": "a", "ğ": "g", "ı": "i", "ñ": "n", "ö": "o", "ş": "s", "ū": "u", "ü": "u",
    "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d",
    "'": None, "’": None, "ʼ": None,
})  # fmt: skip
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(title: str, lang: str = "kk", max_length: int = 80) -> str:
    """A lower-case ``[a-z0-9-]`` slug of ``title`` (see the module doc)."""
    if not title:
        return FALLBACK
    text = fold_case(to_latin(normalize(title)), "kk").translate(_ASCII)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = text.lower()
    slug = _NOT_SLUG.sub("-", text).strip("-")
    max_length = max(1, int(max_length))
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        if cut.endswith("-"):
            slug = cut.rstrip("-")
        elif "-" in cut[:max_length]:
            slug = cut[:max_length].rsplit("-", 1)[0].rstrip("-")
        else:
            slug = cut[:max_length].rstrip("-")
    return slug or FALLBACK
