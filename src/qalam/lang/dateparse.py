"""Read dates written by people: Kazakh, Russian and English month names, numeric forms.

``find_dates(text, tz=None) -> list[DateMatch]``
    Every date (with its time, when one is written beside it) in ``text``, left to
    right, with its span.
``search_date(text, tz=None) -> DateMatch | None``
    The first of them.
``parse_date(text, tz=None) -> datetime``
    ``text`` must be one date and nothing else (surrounding spaces and punctuation
    are allowed); raises :class:`DateParseError` otherwise.

What is recognised
------------------
* **Day, month name, year**, the way Kazakh and Russian news sites print them:
  ``6 Шілде 2020, 21:35``, ``6 шілде 2020 ж., 21:35``, ``6 июля 2020 г., 21:35``,
  ``6 июля 2020 года в 21:35``, ``6 July 2020 21:35``, ``06 июль 2020``.
  Month names are matched in any letter case and any grammatical case: Russian
  nominative, genitive and prepositional (``июль``, ``июля``, ``июле``), Kazakh with
  any case ending (``шілде``, ``шілдеде``, ``шілденің``, ``қазанда``); short forms
  (``июл.``, ``янв``, ``Jul``); Kazakh in the 2021 Latin alphabet, with its marks or
  without them (``6 şılde 2020``, ``6 silde 2020``).  ``г.``, ``года``, ``ж.``, ``жыл``,
  ``жылы``, ``жылғы`` after the year are allowed.
* **Year first** (Kazakh official style): ``2020 жылғы 6 шілде``, ``2020 ж. 6 шілдеде``.
* **Month first** (English): ``July 6, 2020``, ``Jul 6 2020, 9:35``.
* **Numeric**: ``06.07.2020``, ``6.7.2020``, ``06.07.20`` (two-digit years are 2000–2069
  and 1970–1999), ``06/07/2020`` and ``06-07-2020`` (day first, as everywhere in
  Kazakhstan and Russia), ``2020-07-06``, ``2020.07.06``, ISO 8601 with ``T``, seconds,
  fractions and ``Z`` or an offset (``2020-07-06T21:35:00+06:00``).
* **Time** ``HH:MM`` or ``HH:MM:SS`` after the date (separated by a comma, a space,
  ``|``, a dash, ``в``, ``сағат``, ``at``) or before it (``21:35, 6 июля 2020``,
  ``21:35 06.07.2020``).

Dates that do not exist (31 June, 25:00) are not matched.  A date without a year
is not a date here: an archive page without a year cannot be placed in time.

Time zones
----------
A written offset (``Z``, ``+06:00``) is kept.  Otherwise the wall-clock time is
placed in ``tz`` (a :class:`~datetime.tzinfo` or an IANA name such as
``"Asia/Almaty"``, looked up with :func:`qalam.lang.dates.zone`), with the rules of
that date: 6 July 2020 21:35 in Asia/Almaty is +06:00, 6 July 2024 is +05:00.
Without ``tz`` the result is naive.

Pure Python; no Django, no network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

__all__ = ["DateMatch", "DateParseError", "find_dates", "parse_date", "search_date", "MONTHS"]


class DateParseError(ValueError):
    """``parse_date`` was given something that is not one date."""


@dataclass(frozen=True)
class DateMatch:
    value: datetime  # aware when an offset was written or tz was given
    has_time: bool
    start: int
    end: int
    text: str
    lang: str | None  # "kk", "ru" or "en" when a month name was written, else None


#: Month stems per language: a word that starts with the stem and continues with at most a
#: few letters is that month (grammatical case endings).  Exact short forms are listed apart.
MONTHS: dict[str, list[tuple[str, ...]]] = {
    "kk": [
        ("қаңтар",), ("ақпан",), ("наурыз",), ("сәуір", "сəуір"), ("мамыр",), ("маусым",),
        ("шілде",), ("тамыз",), ("қыркүйек",), ("қазан",), ("қараша",), ("желтоқсан",),
    ],
    "ru": [
        ("январ",), ("феврал",), ("март",), ("апрел",), ("мая", "май", "мае", "маю", "маем"), ("июн",),
        ("июл",), ("август",), ("сентябр",), ("октябр",), ("ноябр",), ("декабр",),
    ],
    "en": [
        ("january",), ("february",), ("march",), ("april",), ("may",), ("june",),
        ("july",), ("august",), ("september",), ("october",), ("november",), ("december",),
    ],
}
_SHORT: dict[str, list[tuple[str, ...]]] = {
    "ru": [("янв",), ("фев", "февр"), ("мар",), ("апр",), (), ("июн",), ("июл",), ("авг",),
           ("сен", "сент"), ("окт",), ("ноя", "нояб"), ("дек",)],
    "en": [("jan",), ("feb",), ("mar",), ("apr",), (), ("jun",), ("jul",), ("aug",),
           ("sep", "sept"), ("oct",), ("nov",), ("dec",)],
}
# Russian stems that must be followed by a case ending (март is complete, ма- is not a stem).
_EXACT_RU = {"мая", "май", "мае", "маю", "маем"}

_FOLD_MARKS = str.maketrans({"ä": "a", "ğ": "g", "ı": "i", "ñ": "n", "ö": "o", "ş": "s", "ū": "u", "ü": "u"})


def _latin_stems() -> list[tuple[str, ...]]:
    from .translit import to_latin

    out = []
    for forms in MONTHS["kk"]:
        lat = to_latin(forms[0]).lower()
        out.append(tuple(dict.fromkeys((lat, lat.translate(_FOLD_MARKS)))))
    return out


def _month_table() -> tuple[dict[str, tuple[int, str, bool]], str]:
    """word form -> (month, lang, exact); and a regex alternation of all forms, longest first."""
    table: dict[str, tuple[int, str, bool]] = {}
    for lang, months in MONTHS.items():
        for i, forms in enumerate(months, 1):
            for form in forms:
                table[form] = (i, lang, lang == "en" or form in _EXACT_RU)
    for i, forms in enumerate(_latin_stems(), 1):
        for form in forms:
            table.setdefault(form, (i, "kk", False))
    for lang, months in _SHORT.items():
        for i, forms in enumerate(months, 1):
            for form in forms:
                table.setdefault(form, (i, lang, True))
    alternation = "|".join(re.escape(f) for f in sorted(table, key=len, reverse=True))
    return table, alternation


_TABLE, _ALT = _month_table()
_L = r"[^\W\d_]"  # a letter
# A month word: a known form, then (for stems) up to 8 more letters; an abbreviation may end in a dot.
_MONTH = rf"(?P<{{name}}>(?:{_ALT}){_L}{{{{0,8}}}})\.?(?!{_L})"
_DAY = r"(?P<day>[0-3]?\d)(?!\d)"
_YEAR = r"(?P<year>(?:1[89]|2[01])\d\d)(?!\d)"
_YEAR_WORD = r"(?:\s*(?:г\.|гг\.|года|год|г(?!" + _L + r")|ж\.|жылғы|жылы|жыл|ж(?!" + _L + r")))?"
_HHMM = r"(?P<{h}>[01]?\d|2[0-3])[:](?P<{m}>[0-5]\d)(?::(?P<{s}>[0-5]\d))?(?!\d)"
_T_AFTER = _HHMM.format(h="h", m="mi", s="se")
_T_BEFORE = _HHMM.format(h="bh", m="bmi", s="bse")
_SEP_AFTER = r"(?:\s*[,|/·•—–-]?\s*(?:(?:в|во|сағат|сағ\.|at|,)\s*)?)"
_SEP_BEFORE = r"(?:\s*[,|/·•—–-]?\s*)"

_TIME_AFTER = rf"(?:{_SEP_AFTER}{_T_AFTER})?"
_TIME_BEFORE = rf"(?:{_T_BEFORE}{_SEP_BEFORE})?"

_PATTERN_TEXTS = [
    # ISO 8601 (date, optional time with T or space, optional offset).
    (
        r"(?<![\d.])(?P<year>(?:1[89]|2[01])\d\d)-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)"
        r"(?:[T ](?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::(?P<se>[0-5]\d)(?:[.,]\d+)?)?"
        r"\s*(?P<tz>Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?(?![\d:])"
    ),
    # Day first, words: [time] 6 шілде 2020 [ж.] [, 21:35]
    (
        rf"(?<![\w.]){_TIME_BEFORE}{_DAY}\s*(?:-?(?:го|е|ші|шы)\s+)?{_MONTH.format(name='mon')}\s*,?\s*"
        rf"{_YEAR}{_YEAR_WORD}{_TIME_AFTER}"
    ),
    # Year first (Kazakh): 2020 жылғы 6 шілде(де) [, 21:35]
    (
        rf"(?<![\w.]){_TIME_BEFORE}{_YEAR}{_YEAR_WORD}\s*,?\s*{_DAY}\s*{_MONTH.format(name='mon')}{_TIME_AFTER}"
    ),
    # Month first (English): July 6, 2020 [9:35]
    (
        rf"(?<![\w.]){_TIME_BEFORE}{_MONTH.format(name='mon')}\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}{_TIME_AFTER}"
    ),
    # Numeric day first: 06.07.2020, 6/7/2020, 06-07-2020, 06.07.20
    (
        rf"(?<![\w.:]){_TIME_BEFORE}(?P<day>[0-3]?\d)(?P<sep>[./-])(?P<month>[01]?\d)(?P=sep)"
        rf"(?P<year>(?:1[89]|2[01])\d\d|\d\d)(?![\d.]\d){_YEAR_WORD}{_TIME_AFTER}"
    ),
    # Numeric year first with dots or slashes: 2020.07.06, 2020/07/06
    (
        rf"(?<![\w.]){_TIME_BEFORE}(?P<year>(?:1[89]|2[01])\d\d)(?P<sep>[./])(?P<month>[01]?\d)(?P=sep)"
        rf"(?P<day>[0-3]?\d)(?![\d.]\d){_TIME_AFTER}"
    ),
]

# Dates never run across lines: \\s in the patterns above means a space or a tab.
_PATTERNS = [re.compile(p.replace(r"\s", r"[ \t]"), re.I) for p in _PATTERN_TEXTS]

_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2009\u200a]")


def _prepare(text: str) -> str:
    """NFC and ordinary spaces; the length is kept so that spans point into the original."""
    out = _SPACES.sub(" ", text)
    nfc = unicodedata.normalize("NFC", out)
    return nfc if len(nfc) == len(out) else out


def _month_of(word: str) -> tuple[int, str] | None:
    w = word.lower().rstrip(".")
    if w in _TABLE:
        month, lang, _exact = _TABLE[w]
        return month, lang
    for n in range(len(w) - 1, 2, -1):
        hit = _TABLE.get(w[:n])
        if hit and not hit[2]:
            return hit[0], hit[1]
    return None


def _zone(tz: tzinfo | str | None) -> tzinfo | None:
    if tz is None or isinstance(tz, tzinfo):
        return tz
    from .dates import zone

    return zone(tz)


def _offset(text: str) -> tzinfo:
    if text.upper() == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _build(m: re.Match[str], tz: tzinfo | None) -> tuple[datetime, bool, str | None] | None:
    g = m.groupdict()
    lang = None
    if g.get("mon"):
        found = _month_of(g["mon"])
        if found is None:
            return None
        month, lang = found
    else:
        month = int(g["month"])
    year_text = g["year"]
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 70 else 1900
    day = int(g["day"])
    hour = minute = second = 0
    has_time = False
    for h, mi, se in (("h", "mi", "se"), ("bh", "bmi", "bse")):
        if g.get(h) is not None:
            hour, minute, second = int(g[h]), int(g[mi]), int(g[se] or 0)
            has_time = True
            break
    try:
        value = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if g.get("tz"):
        value = value.replace(tzinfo=_offset(g["tz"]))
    elif tz is not None:
        value = value.replace(tzinfo=tz)
    return value, has_time, lang


def find_dates(text: str, tz: tzinfo | str | None = None) -> list[DateMatch]:
    """Every date in ``text`` (see the module doc), left to right, never overlapping."""
    if not text:
        return []
    zone_ = _zone(tz)
    prepared = _prepare(text)
    found: list[tuple[int, int, DateMatch]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(prepared):
            built = _build(m, zone_)
            if built is None:
                continue
            value, has_time, lang = built
            start, end = m.span()
            # A trailing separator without a time belongs to the text, not to the date.
            raw = text[start:end]
            stripped = raw.rstrip(" ,|/·•—–-")
            end -= len(raw) - len(stripped)
            raw = raw[: len(stripped)]
            lead = len(raw) - len(raw.lstrip())
            found.append((start + lead, end, DateMatch(value, has_time, start + lead, end, raw.strip(), lang)))
    # Longest match wins; then the earliest.
    found.sort(key=lambda t: (-(t[1] - t[0]), t[0]))
    chosen: list[DateMatch] = []
    for start, end, match in found:
        if all(end <= c.start or start >= c.end for c in chosen):
            chosen.append(match)
    return sorted(chosen, key=lambda c: c.start)


def search_date(text: str, tz: tzinfo | str | None = None) -> DateMatch | None:
    """The first date in ``text``, or None."""
    matches = find_dates(text, tz)
    return matches[0] if matches else None


_PUNCT_ONLY = re.compile(r"^[\s,.;:|/·•—–()\[\]-]*$")


def parse_date(text: str, tz: tzinfo | str | None = None) -> datetime:
    """``text`` as one date; :class:`DateParseError` when it is not exactly one date."""
    matches = find_dates(text, tz)
    if len(matches) == 1:
        m = matches[0]
        if _PUNCT_ONLY.match(text[: m.start]) and _PUNCT_ONLY.match(text[m.end:]):
            return m.value
    if not matches:
        raise DateParseError(
            f"not a date: {text!r} (expected e.g. '6 шілде 2020, 21:35', '6 июля 2020 г.', '06.07.2020 21:35')"
        )
    raise DateParseError(f"not just one date: {text!r}")
