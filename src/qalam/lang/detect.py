"""Which of Qalam's languages — ``kk``, ``ru`` or ``en`` — a text is written in.

``detect_language(text, default="kk") -> str``

The rule, applied to the first 20 000 characters of the normalised text:

1. No Cyrillic and no Latin letters (empty text, digits, emoji, other scripts):
   ``default`` — ``kk``, because Qalam is Kazakh-first.
2. More Cyrillic than Latin letters:

   * a letter that only Kazakh has (ә ғ қ ң ө ұ ү һ і) is decisive when such letters
     are at least 2 % of the Cyrillic letters — in Kazakh prose they are 10–20 %,
     in Russian text they appear only in a Kazakh name now and then — or when the
     text is short (under 40 Cyrillic letters: a query, a title);
   * otherwise the words vote: Kazakh function words without special letters
     (мен, бен, да, де, бар, деп, осы, бір, ...) and Kazakh plural endings
     (-лар -лер -дар -дер -тар -тер) count for ``kk``; Russian function words
     (и, в, на, не, что, это, ...) and Russian endings (-ого -ому -ться -ется ...)
     for ``ru``.  More Kazakh votes → ``kk``; more Russian votes → ``ru``; no votes
     at all → ``kk`` for one to three words (a name such as "Алматы" is as Kazakh as
     it is Russian) and ``ru`` for anything longer.

3. Otherwise (Latin): the letters of the Kazakh Latin alphabet that English lacks
   (ä ğ ı ñ ö ş ū ü), a q not followed by u, frequent Kazakh words in Latin (jäne,
   men, bul, osy, üşın, turaly, ...) and Kazakh case and plural endings (-lar,
   -dyñ, -ğa, ...) vote ``kk``; English function words vote ``en``.  More Kazakh
   votes → ``kk``, otherwise ``en``: plain Latin text is English.

Never raises; any string is accepted.
"""

from __future__ import annotations

import re

from .normalize import fold_case, normalize

__all__ = ["detect_language", "LANGUAGES"]

LANGUAGES = ("kk", "ru", "en")
_SAMPLE = 20000

_KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_KK_LATIN_LETTERS = frozenset("äğıñöşūüÄĞIİÑÖŞŪÜ") - {"I"}
_CYR = re.compile("[\u0400-\u04ff]")
_LAT = re.compile("[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[^\W\d_]+")
_Q_NOT_U = re.compile("[qQ](?![uU])")

_KK_WORDS_CYR = frozenset(
    "мен бен пен да де та те бар деп деді деген осы сол бір ол олар біз сіз бұл ма ме ба бе па пе әр "
    "еді екен болып болды болады болатын тек дейін кейін соң туралы арқылы жыл жылы және үшін"
    .split())  # fmt: skip
_KK_ENDINGS_CYR = ("лар", "лер", "дар", "дер", "тар", "тер", "ның", "нің", "дың", "дің")
_RU_WORDS = frozenset(
    "и в во не на что с со по к ко это как для от из за о об но а у же то он она оно они мы вы я так "
    "его ее её был была были было или при до уже только также если бы ли чтобы который которые этого "
    "этот эта эти их им нет да вот все всё ещё еще после более"
    .split())  # fmt: skip
_RU_ENDINGS = ("ого", "его", "ому", "ему", "ться", "тся", "ется", "ются", "ими", "ыми", "ая", "яя", "ые", "ый")
_KK_WORDS_LAT = frozenset(
    "jäne men ben pen da de ta te bar dep dedı degen osy sol bır bul olar bız sız edı eken bolyp boldy "
    "bolady bolatyn tek deiın keiın soñ turaly arqyly jyl jyly üşın qazaq qazaqstan respublikasy "
    "ūlttyq halyq tıl ortalyğy"
    .split())  # fmt: skip
_KK_ENDINGS_LAT = ("lar", "ler", "dar", "der", "tar", "ter", "dyñ", "dıñ", "nyñ", "nıñ", "tyñ", "tıñ",
                   "ğa", "qa", "dağy", "degı", "syn", "sın")
_EN_WORDS = frozenset(
    "the and of to in is a an for that with on by as at are was were be been this these from it its or "
    "not have has had we you he she they his her will can would our their which who what there about "
    "more new all one also"
    .split())  # fmt: skip


def _cyrillic_votes(words: list[str]) -> tuple[int, int]:
    kk = ru = 0
    for w in words:
        if w in _KK_WORDS_CYR:
            kk += 1
        elif w in _RU_WORDS:
            ru += 1
        elif len(w) > 4 and w.endswith(_KK_ENDINGS_CYR):
            kk += 1
        elif len(w) > 4 and w.endswith(_RU_ENDINGS):
            ru += 1
        if "ё" in w or "ъ" in w or "э" in w or "щ" in w:
            ru += 1
    return kk, ru


def _latin_votes(words: list[str]) -> tuple[int, int]:
    kk = en = 0
    for word in words:
        w = fold_case(word, "kk")
        if w in _KK_WORDS_LAT:
            kk += 1
        elif word.lower() in _EN_WORDS:
            en += 1
        elif len(w) > 4 and not w.isascii() and w.endswith(_KK_ENDINGS_LAT):
            kk += 1
    return kk, en


def detect_language(text: str, default: str = "kk") -> str:
    """'kk', 'ru' or 'en' for ``text`` (see the module doc); ``default`` when it has no letters."""
    if not text:
        return default
    sample = normalize(text[:_SAMPLE])
    cyr = len(_CYR.findall(sample))
    lat = len(_LAT.findall(sample))
    if cyr == 0 and lat == 0:
        return default
    if cyr >= lat:
        kk_letters = sum(1 for ch in sample if ch in _KK_LETTERS)
        if kk_letters and (kk_letters * 50 >= cyr or cyr < 40):
            return "kk"
        words = [w for w in _WORD.findall(fold_case(sample, "ru")) if _CYR.match(w)]
        kk, ru = _cyrillic_votes(words)
        if kk > ru:
            return "kk"
        if ru > kk:
            return "ru"
        return "kk" if len(words) <= 3 else "ru"
    special = sum(1 for ch in sample if ch in _KK_LATIN_LETTERS) + len(_Q_NOT_U.findall(sample))
    words = [w for w in _WORD.findall(sample) if _LAT.match(w)]
    kk, en = _latin_votes(words)
    kk += special
    return "kk" if kk > en else "en"
