"""Repair and case-fold Kazakh text before it is compared, indexed or transliterated.

``normalize(text)``
    Unicode NFC, invisible characters removed, and Kazakh letters that were typed
    with look-alike Latin or foreign Cyrillic letters put back:

    * **Invisible characters.**  Soft hyphens (U+00AD), zero-width space and
      non-joiner (U+200B, U+200C), word joiner (U+2060) and the byte-order mark /
      zero-width no-break space (U+FEFF) are removed.  The zero-width *joiner*
      (U+200D) is removed too, except between two non-letters, where it glues an
      emoji sequence together (👨‍👩‍👧 stays one picture).
    * **Letters of other Cyrillic alphabets** that stand in for Kazakh ones are
      replaced everywhere: Bashkir ҡ, ӄ (ka with hook), ҟ, ҝ → қ; ӈ, ҥ → ң; ӻ → ғ;
      Latin ɵ/Ɵ and the old fita ѳ/Ѳ → ө/Ө; Latin ɏ/Ɏ (y with stroke) → ұ/Ұ; and the
      combining-mark spellings к̧ / к̦ → қ, н̧ / н̦ → ң, г̵ / г̶ → ғ.
    * **Mixed-script words.**  In a word whose letters are otherwise Cyrillic, Latin
      look-alikes become Cyrillic: a c e o p x y → а с е о р х у, A B C E H K M O P T X Y
      → А В С Е Н К М О Р Т Х У, k → к, i/I/İ → і/І/І, h → һ, ä/ə/Ä/Ə → ә/Ә,
      ö/Ö → ө/Ө, ü/Ü → ү/Ү.  In a word that is otherwise Latin, the Cyrillic look-alikes
      become Latin (а → a, і → i, һ → h, ...).  "Otherwise" means: the word has
      letters that exist only in one of the two scripts (its *anchors*), and all of
      them are from that script.  A word without anchors (every letter is a
      look-alike) follows the script most of its letters are written in; a tie, or a
      word with anchors in both scripts (a brand such as "Qазақ"), is left alone.
      Latin y is read as у (not ү): у is the letter it looks like and occurs in
      both back and front words.

    Nothing else changes: punctuation, digits, other scripts and emoji pass through.

``fold_case(text, lang="kk")``
    Lower case for matching.  Latin letters follow the 2021 Kazakh alphabet, in
    which the capital of ı is I and the capital of i is İ: ``I`` → ``ı`` and
    ``İ`` → ``i`` (Python's ``lower()`` gives i and "i̇").  Every other letter is
    lower-cased normally; ``ё`` is kept as ``ё`` (it is its own letter in the
    Kazakh alphabet, and the Kazakh transliteration gives it its own spelling,
    "io"; the Russian stemmer folds it to ``е`` itself).  With ``lang`` other than
    ``kk`` the Turkic rule is off and ``I`` → ``i``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "fold_case", "is_cyrillic_letter", "is_latin_letter"]

#: Removed wherever they occur (U+200D is handled separately, see the module doc).
_INVISIBLE = "\u00ad\u200b\u200c\u2060\ufeff"
_DROP_INVISIBLE = str.maketrans("", "", _INVISIBLE)

#: Letters of other Cyrillic alphabets and Latin IPA letters used for Kazakh ones.
_FOREIGN = str.maketrans({
    "ҡ": "қ", "Ҡ": "Қ", "ӄ": "қ", "Ӄ": "Қ", "ҟ": "қ", "Ҟ": "Қ", "ҝ": "қ", "Ҝ": "Қ",
    "ӈ": "ң", "Ӈ": "Ң", "ҥ": "ң", "Ҥ": "Ң",
    "ӻ": "ғ", "Ӻ": "Ғ",
    "ɵ": "ө", "Ɵ": "Ө", "ѳ": "ө", "Ѳ": "Ө",
    "ɏ": "ұ", "Ɏ": "Ұ",
})  # fmt: skip
_FOREIGN_CHARS = "ҡҠӄӃҟҞҝҜӈӇҥҤӻӺɵƟѳѲɏɎ"

#: к̧ к̦ (cedilla / comma below), н̧ н̦, г̵ г̶ (stroke overlays): composed by hand, NFC has no such letters.
_COMBINED = re.compile("([кКнН])[\u0326\u0327\u0328]|([гГ])[\u0335\u0336]")
_COMBINED_MAP = {"к": "қ", "К": "Қ", "н": "ң", "Н": "Ң", "г": "ғ", "Г": "Ғ"}

#: Latin look-alikes of Cyrillic letters (used inside Cyrillic words).
_LAT_TO_CYR = {
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "k": "к",
    "i": "і", "h": "һ",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "I": "І", "İ": "І",
    "ä": "ә", "Ä": "Ә", "ə": "ә", "Ə": "Ә", "ö": "ө", "Ö": "Ө", "ü": "ү", "Ü": "Ү",
}  # fmt: skip
#: Cyrillic look-alikes of Latin letters (used inside Latin words).
_CYR_TO_LAT = {
    "а": "a", "с": "c", "е": "e", "о": "o", "р": "p", "х": "x", "у": "y", "к": "k",
    "і": "i", "һ": "h", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "К": "K", "М": "M", "О": "O",
    "Р": "P", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W",
}  # fmt: skip
_TO_CYR = str.maketrans(_LAT_TO_CYR)
_TO_LAT = str.maketrans(_CYR_TO_LAT)

_ZWJ = re.compile("\u200d+")
#: A run of letters and combining marks (digits are neutral and never change).
_WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489])+")
_HAS_CYR = re.compile("[\u0400-\u04ff\u0500-\u052f]")
_HAS_LAT = re.compile("[A-Za-z\u00c0-\u024f\u0259\u018f]")
_NEEDS_WORK = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff" + _FOREIGN_CHARS + "\u0326-\u0328\u0335\u0336]")


def is_cyrillic_letter(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


def is_latin_letter(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z") or ("\u00c0" <= ch <= "\u024f" and ch not in "×÷") or ch in "əƏ"


def _fix_word(m: re.Match) -> str:
    word = m.group(0)
    if not (_HAS_CYR.search(word) and _HAS_LAT.search(word)):
        return word
    cyr_anchor = lat_anchor = cyr = lat = 0
    for ch in word:
        if is_cyrillic_letter(ch):
            cyr += 1
            if ch not in _CYR_TO_LAT:
                cyr_anchor += 1
        elif is_latin_letter(ch):
            lat += 1
            if ch not in _LAT_TO_CYR:
                lat_anchor += 1
    if cyr_anchor and not lat_anchor:
        return word.translate(_TO_CYR)
    if lat_anchor and not cyr_anchor:
        return word.translate(_TO_LAT)
    if not cyr_anchor and not lat_anchor:
        if cyr > lat:
            return word.translate(_TO_CYR)
        if lat > cyr:
            return word.translate(_TO_LAT)
    return word


def _zwj(m: re.Match) -> str:
    text, i, j = m.string, m.start(), m.end()
    before = text[i - 1] if i > 0 else ""
    after = text[j] if j < len(text) else ""
    if before and after and not before.isalnum() and not after.isalnum():
        return "\u200d"
    return ""


def normalize(text: str) -> str:
    """NFC, invisible characters removed, look-alike letters repaired (see the module doc)."""
    if not text:
        return ""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)
    if _NEEDS_WORK.search(text):
        text = text.translate(_DROP_INVISIBLE).translate(_FOREIGN)
        if "\u200d" in text:
            text = _ZWJ.sub(_zwj, text)
        text = _COMBINED.sub(lambda m: _COMBINED_MAP[m.group(1) or m.group(2)], text)
    if _HAS_CYR.search(text) and _HAS_LAT.search(text):
        text = _WORD.sub(_fix_word, text)
    return text


_TURKIC_LOWER = str.maketrans({"I": "ı", "İ": "i"})


def fold_case(text: str, lang: str = "kk") -> str:
    """Lower-case for matching; Kazakh (``lang="kk"``) uses the Turkic I/ı, İ/i pairs."""
    if lang == "kk" and ("I" in text or "İ" in text):
        text = text.translate(_TURKIC_LOWER)
    return text.lower()
