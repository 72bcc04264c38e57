"""Kazakh Cyrillic ⇄ Latin (the official 2021 alphabet) and script-independent matching keys.

``to_latin(text)``
    Exact, letter by letter, by the 2021 table (31 letters: A Ä B D E F G Ğ H I İ J
    K L M N Ñ O Ö P Q R S Ş T U Ū Ü V Y Z)::

        а a   ә ä   б b   в v   г g   ғ ğ   д d   е e   ё io  ж j   з z
        и i   й i   і ı   к k   қ q   л l   м m   н n   ң ñ   о o   ө ö
        п p   р r   с s   т t   у u   ұ ū   ү ü   ф f   х h   һ h   ц ts
        ч tş  ш ş   щ şş  ъ –   ы y   ь –   э e   ю iu  я ia

    Capitals: И Й → İ, І → I, Ы → Y, the rest as their small letter in capitals.  A
    capital that becomes two letters (Ё Ю Я Ц Ч Щ) is written all in capitals inside
    an all-caps word ("ЮНЕСКО" → "IUNESKO", "ВИЧ" → "VİTŞ") and with only its first
    letter capital otherwise ("Юлия" → "Iulia", "Щ" → "Şş").  The decision looks at
    the neighbours: all-caps when the next letter is a capital, or when there is no
    next letter and the previous one is a capital.  Russian words in Kazakh text
    follow the same table (Russian letters are all in it); Latin text and every
    other character (digits, punctuation, Ukrainian ї є ґ, other scripts, emoji) are
    copied unchanged.  The text is not normalised first; call :func:`normalize`
    before if it may contain look-alike letters.

``to_cyrillic(text)``
    Best effort: Latin has fewer letters, so the way back is ambiguous and **no
    round trip is promised**.  Word by word, for words made only of letters of the
    2021 alphabet (a word with c, w, x or any other Latin letter, such as "Twitter"
    or "café", is foreign and stays as it is).  The most frequent Kazakh reading is
    chosen:

    * ``i`` → ``й`` after a vowel ("ai" → "ай", "Dmitrii" → "Дмитрий"), ``и``
      elsewhere; ``ia``/``iu`` → ``я``/``ю`` at the start of a word, after a vowel or
      after ``i`` ("iaǵni" → "яғни", "aiu" → "аю", "Aziia" → "Азия"), ``иа``/``иу``
      after a consonant ("material" → "материал"); ``io`` → ``ио`` (never ``ё``).
    * ``h`` → ``х`` (һ is rarer); ``ts`` → ``ц`` at the start of a word or before
      ``i`` ("stantsiia" → "станция"), ``тс`` elsewhere ("aitsa" → "айтса");
      ``tş`` → ``ч`` at the start of a word only, ``тш`` elsewhere ("aitşy" →
      "айтшы"); ``şş`` → ``щ``; ``e`` → ``е`` (never ``э``).  ``ъ`` and ``ь`` cannot
      come back.
    * Capitals: ``I`` → ``І``, ``İ`` → ``И`` (``Й`` after a vowel), ``Y`` → ``Ы``; but
      ``I`` before ``a``/``u`` is the first half of Я/Ю ("IUNESKO" → "ЮНЕСКО"), since no
      Kazakh word has іа or іу.

``script_key(word)``
    The matching key of a word that is the same in both scripts: normalised, folded
    (Turkic I/ı rules), transliterated when it has Cyrillic letters, and with ı written
    as i: ``script_key("Дәрігер") == script_key("Däriger") == script_key("Därıger") ==
    "däriger"``.  The 2021 alphabet writes і as ı, but the Latin alphabets of 2017 and
    2018 wrote it i, and so do most people typing; і and и are rarely the only
    difference between two words.

``loose_key(word)``
    :func:`script_key` without Kazakh diacritics, for people who type without Kazakh
    letters: ä→a ğ→g ı→i ñ→n ö→o ş→s ū→u ü→u, and q→k, because on a Russian keyboard
    қ is typed as к ("казакстан" and "Qazaqstan" meet at "kazakstan").  Any other
    diacritic is dropped as well (é → e), and apostrophes are removed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .normalize import fold_case, normalize

__all__ = ["to_latin", "to_cyrillic", "script_key", "loose_key", "LATIN_ALPHABET", "CYR_TO_LAT"]

LATIN_ALPHABET = "A Ä B D E F G Ğ H I İ J K L M N Ñ O Ö P Q R S Ş T U Ū Ü V Y Z".split()

#: The 2021 table for small letters (42 Cyrillic letters: 33 Russian + 9 Kazakh).
CYR_TO_LAT: dict[str, str] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "tş", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip
_UPPER_SPECIAL = {"И": "İ", "Й": "İ", "І": "I", "Ы": "Y"}
#: Capitals that become two letters: Title form, ALL-CAPS form.
_MULTI = {
    "Ё": ("Io", "IO"), "Ю": ("Iu", "IU"), "Я": ("Ia", "IA"),
    "Ц": ("Ts", "TS"), "Ч": ("Tş", "TŞ"), "Щ": ("Şş", "ŞŞ"),
}  # fmt: skip


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cyr, lat in CYR_TO_LAT.items():
        table[ord(cyr)] = lat
        up = cyr.upper()
        if up in _UPPER_SPECIAL:
            table[ord(up)] = _UPPER_SPECIAL[up]
        elif up not in _MULTI:
            table[ord(up)] = lat.upper()
    return table


_TABLE = _build_table()
_MULTI_RE = re.compile("[ЁЮЯЦЧЩ]")
_HAS_CYR = re.compile("[\u0400-\u04ff]")


def _multi(m: re.Match) -> str:
    text, i = m.string, m.end()
    title, caps = _MULTI[m.group(0)]
    nxt = text[i] if i < len(text) else ""
    if nxt.isalpha():
        return caps if nxt.isupper() else title
    prev = text[m.start() - 1] if m.start() > 0 else ""
    return caps if prev.isalpha() and prev.isupper() else title


def to_latin(text: str) -> str:
    """Cyrillic Kazakh (and Russian) → the 2021 Latin alphabet; everything else unchanged."""
    if not text or not _HAS_CYR.search(text):
        return text
    if _MULTI_RE.search(text):
        text = _MULTI_RE.sub(_multi, text)
    return text.translate(_TABLE)


# --- Latin -> Cyrillic ---------------------------------------------------------------------------------

_LAT_TO_CYR_SIMPLE = {
    "a": "а", "ä": "ә", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "ğ": "ғ", "h": "х",
    "ı": "і", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ñ": "ң", "o": "о", "ö": "ө",
    "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "ұ", "ü": "ү",
    "v": "в", "y": "ы", "z": "з",
}  # fmt: skip
_VOWELS_LAT = set("aäeiıoöuūüy")
_KAZ_LATIN_WORD = re.compile("[A-Za-zÄäĞğİıÑñÖöŞşŪūÜü]+")
_FOREIGN_LATIN = set("cwxCWX")
_CAP_I_GLIDE = re.compile("I(?=[aAuU])")


def _word_to_cyr(word: str) -> str:
    if _FOREIGN_LATIN.intersection(word):
        return word
    # Capital I is ı (і), except before a or u: no Kazakh word has іа/іу, but Я and Ю give IA and IU.
    low = _CAP_I_GLIDE.sub("i", word).replace("I", "ı").replace("İ", "i").lower()
    caps = len(word) > 1 and word.isupper()
    out: list[str] = []
    # Each output piece remembers whether its source started with a capital.
    n = len(low)
    i = 0
    while i < n:
        ch = low[i]
        upper = word[i].isupper()
        prev = low[i - 1] if i else ""
        piece: str
        step = 1
        if ch == "i":
            nxt = low[i + 1] if i + 1 < n else ""
            if nxt in ("a", "u") and (not prev or prev in _VOWELS_LAT):
                piece, step = ("я" if nxt == "a" else "ю"), 2
            elif prev and prev in _VOWELS_LAT:
                piece = "й"
            else:
                piece = "и"
        elif ch == "t" and i + 1 < n and low[i + 1] == "s" and (i == 0 or (i + 2 < n and low[i + 2] == "i")):
            piece, step = "ц", 2
        elif ch == "t" and i == 0 and n > 1 and low[1] == "ş":
            piece, step = "ч", 2
        elif ch == "ş" and i + 1 < n and low[i + 1] == "ş":
            piece, step = "щ", 2
        else:
            piece = _LAT_TO_CYR_SIMPLE.get(ch, ch)
        if upper or caps:
            piece = piece.upper()
        out.append(piece)
        i += step
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """2021 Latin Kazakh → Cyrillic, best effort (see the module doc; no round trip promised)."""
    if not text:
        return text
    text = unicodedata.normalize("NFC", text)
    return _KAZ_LATIN_WORD.sub(lambda m: _word_to_cyr(m.group(0)), text)


# --- matching keys -------------------------------------------------------------------------------------

_LOOSE = str.maketrans({
    "ä": "a", "ğ": "g", "ı": "i", "ñ": "n", "ö": "o", "ş": "s", "ū": "u", "ü": "u", "q": "k",
    "'": None, "’": None, "ʼ": None,
})  # fmt: skip


def _script_key(word: str) -> str:
    """script_key for a word that is already normalised."""
    return to_latin(fold_case(word, "kk")).replace("ı", "i")


def _loose(key: str) -> str:
    key = key.translate(_LOOSE)
    if not key.isascii():
        decomposed = unicodedata.normalize("NFD", key)
        key = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return key


@lru_cache(maxsize=65536)
def script_key(word: str) -> str:
    """The same key for a Kazakh word in Cyrillic or 2021 Latin: folded, in Latin."""
    return _script_key(normalize(word))


@lru_cache(maxsize=65536)
def loose_key(word: str) -> str:
    """:func:`script_key` without diacritics (ä→a ... ü→u, q→k) for people typing without Kazakh letters."""
    return _loose(script_key(word))
