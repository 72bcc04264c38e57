"""Localised date formatting for Qalam (Kazakh first, then Russian and English).

Pure Python: Babel supplies the CLDR month and weekday names, :mod:`zoneinfo`
(fed by the ``tzdata`` package) supplies the time-zone rules.

Public API
----------
``format_date(value, lang, style="long", *, tz=None)``
    Human dates in the page language ("20 шілде 2022", "20 июля 2022",
    "20 July 2022").
``format_php_date(value, fmt, lang="en", *, tz=None)``
    PHP ``date()`` format codes, as used by Grav's ``dateformat`` settings and
    Twig's ``|date`` filter.
``month_name(month, lang, context="format", *, width="wide")``
    A CLDR month name.
``weekday_name(weekday, lang, context="format", *, width="wide")``
    A CLDR weekday name (``weekday`` is Python's: 0 = Monday).
``zone(name)``
    A :class:`zoneinfo.ZoneInfo` built from the ``tzdata`` package when it is
    installed, so results do not depend on the age of the OS time-zone data.

Decisions
---------
* **Explicit patterns for kk, ru and en.**  CLDR's Kazakh long pattern is
  ``y 'ж'. d MMMM`` ("2022 ж. 20 шілде") and the Russian one ends in
  ``'г'.`` ("20 июля 2022 г."); Kazakh and Russian news sites print
  "20 шілде 2022" / "20 июля 2022".  English CLDR is US-style "July 20, 2022";
  Qalam sites put the day first in every language so the three editions of a
  page line up.  So ``long`` is ``d MMMM y`` for these three, ``datetime`` is
  ``d MMMM y, HH:mm`` (24-hour clock) and ``short`` is ``dd.MM.y`` for kk/ru
  (CLDR kk has a two-digit year).  English ``short`` and every style of any
  other language use Babel's own CLDR formats for that locale (``de`` long =
  "20. Juli 2022").
* **Month forms.**  ``long``/``datetime`` use the CLDR *format* context, which
  is the genitive in Russian ("июля") and the lower-case name in Kazakh
  ("шілде", Kazakh does not inflect the month after a day number).
* **Language codes never raise.**  ``kk-KZ``, ``ru_RU``, ``EN`` are accepted; an
  unknown or malformed code falls back to its primary subtag, then English.
* **Time zones.**  An aware datetime is converted to ``tz``.  A naive datetime
  with ``tz`` is taken to already be wall-clock time in ``tz`` (Grav reads
  zone-less header dates in ``system.timezone``), so it is not shifted.
  Without ``tz``, values are printed as they are.
* **PHP codes.**  ``F M D l`` are localised through Babel for ``lang``
  (PHP's ``date()`` itself is always English).  ``F``/``M`` use the *format*
  (genitive) context when the format string also prints the day of the month
  (``d``, ``j``), and the *stand-alone* context otherwise, so ``'j F Y'`` gives
  "20 июля 2022" but ``'F Y'`` gives "июль 2022".  ``S`` (ordinal suffix) is
  English only and empty for other languages.  ``a``/``A`` stay English
  ``am``/``pm`` (kk/ru sites use 24-hour codes).  ``r`` (RFC 2822) is always
  English because it is a protocol format.  Offsets of a naive datetime without
  ``tz`` are reported as UTC.  Unknown letters are copied, as PHP does; a
  backslash copies the next character literally.
"""

from __future__ import annotations

import calendar
import functools
import importlib.resources
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates

__all__ = [
    "format_date",
    "format_php_date",
    "month_name",
    "weekday_name",
    "zone",
    "STYLES",
]

STYLES = ("long", "datetime", "short")

# Languages whose patterns Qalam fixes itself (see module docstring).
_DAY_FIRST = {"kk", "ru", "en"}
_NUMERIC_SHORT = {"kk", "ru"}

_ZONE_PART = re.compile(r"^[A-Za-z0-9_+\-]+$")


# ---------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``, preferring the ``tzdata`` package.

    :class:`zoneinfo.ZoneInfo` consults the OS database first and only falls
    back to ``tzdata``; an old OS would then give old rules (Asia/Almaty moved
    from UTC+6 to UTC+5 on 1 March 2024).  This helper reads the packaged file
    first and only then asks the OS.  Instances are cached, so the same name
    always returns the same object.  Raises
    :class:`zoneinfo.ZoneInfoNotFoundError` for an unknown or malformed name.
    """
    if not isinstance(name, str) or not name:
        raise ZoneInfoNotFoundError(f"invalid time zone name: {name!r}")
    parts = name.split("/")
    if any(p in ("", ".", "..") or not _ZONE_PART.match(p) for p in parts):
        raise ZoneInfoNotFoundError(f"invalid time zone name: {name!r}")
    try:
        resource = importlib.resources.files("tzdata.zoneinfo").joinpath(*parts)
        if resource.is_file():
            with resource.open("rb") as fh:
                return ZoneInfo.from_file(fh, key=name)
    except (ModuleNotFoundError, OSError, ValueError):
        pass
    return ZoneInfo(name)


def _apply_tz(value: datetime, tz: tzinfo | None) -> datetime:
    if tz is None:
        return value
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def _as_datetime(value: datetime | date | int | float) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


# ---------------------------------------------------------------------------
# Locales and names
# ---------------------------------------------------------------------------


def _locale(lang: object) -> Locale:
    """Best Babel locale for a language code; never raises."""
    return _locale_for(lang.strip() if isinstance(lang, str) else "")


@functools.lru_cache(maxsize=64)
def _locale_for(lang: str) -> Locale:
    code = lang.replace("-", "_")
    candidates = []
    if code:
        candidates.append(code)
        primary = code.split("_", 1)[0].lower()
        if primary and primary != code:
            candidates.append(primary)
    for cand in candidates:
        try:
            return Locale.parse(cand)
        except Exception:  # UnknownLocaleError, ValueError, TypeError...
            continue
    return Locale.parse("en")


def _primary(lang: str) -> str:
    return _locale(lang).language


def _context_key(context: str) -> str:
    if context in ("format",):
        return "format"
    if context in ("stand-alone", "standalone", "stand_alone"):
        return "stand-alone"
    raise ValueError(f"unknown context {context!r}; use 'format' or 'stand-alone'")


def month_name(month: int, lang: str, context: str = "format", *, width: str = "wide") -> str:
    """CLDR name of ``month`` (1-12) in ``lang``.

    ``context`` is ``"format"`` (the form used inside a date: Russian genitive
    "июля") or ``"stand-alone"`` (nominative "июль").  ``width`` is
    ``"wide"``, ``"abbreviated"`` or ``"narrow"``.
    """
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month!r}")
    return _locale(lang).months[_context_key(context)][width][month]


def weekday_name(weekday: int, lang: str, context: str = "format", *, width: str = "wide") -> str:
    """CLDR name of ``weekday`` (Python numbering: 0 = Monday) in ``lang``."""
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0-6, got {weekday!r}")
    return _locale(lang).days[_context_key(context)][width][weekday]


# ---------------------------------------------------------------------------
# format_date
# ---------------------------------------------------------------------------


def format_date(
    value: datetime | date,
    lang: str,
    style: str = "long",
    *,
    tz: tzinfo | None = None,
) -> str:
    """Format ``value`` for readers of ``lang``.

    ``style``: ``"long"`` ("20 шілде 2022"), ``"datetime"``
    ("6 шілде 2020, 21:35") or ``"short"`` ("20.07.2022").  See the module
    docstring for the per-language rules and the time-zone handling.
    """
    try:
        return _format_cached(value, lang, style, tz)
    except TypeError:  # something unhashable: format it without the cache
        return _format(value, lang, style, tz)


@functools.lru_cache(maxsize=16384)
def _format_cached(value: datetime | date, lang: str, style: str, tz: tzinfo | None) -> str:
    """Every listing shows its articles' dates: the same few thousand, formatted once."""
    return _format(value, lang, style, tz)


def _format(value: datetime | date, lang: str, style: str, tz: tzinfo | None) -> str:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    if isinstance(value, datetime):
        value = _apply_tz(value, tz)
    elif not isinstance(value, date):
        raise TypeError(f"expected a date or datetime, got {type(value).__name__}")

    loc = _locale(lang)
    primary = loc.language
    day = value.day
    year = value.year

    if primary in _DAY_FIRST and style in ("long", "datetime"):
        text = f"{day} {month_name(value.month, lang)} {year}"
        if style == "datetime":
            hm = value.strftime("%H:%M") if isinstance(value, datetime) else "00:00"
            text = f"{text}, {hm}"
        return text
    if primary in _NUMERIC_SHORT and style == "short":
        return f"{day:02d}.{value.month:02d}.{year}"

    # Babel's own CLDR formats (English short, every other language).
    the_date = value.date() if isinstance(value, datetime) else value
    if style in ("long", "short"):
        return babel_dates.format_date(the_date, style, locale=loc)
    the_time = value.time() if isinstance(value, datetime) else time()
    date_part = babel_dates.format_date(the_date, "long", locale=loc)
    time_part = babel_dates.format_time(the_time, "short", locale=loc)
    glue = str(loc.datetime_formats.get("medium", "{1}, {0}")).replace("'", "")
    return glue.replace("{0}", time_part).replace("{1}", date_part)


# ---------------------------------------------------------------------------
# format_php_date
# ---------------------------------------------------------------------------

_EN = "en"


def _english_suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _offset(value: datetime) -> timedelta:
    off = value.utcoffset()
    return off if off is not None else timedelta(0)


def _fmt_offset(value: datetime, colon: bool) -> str:
    total = int(_offset(value).total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    hours, minutes = divmod(total // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"


def _zone_id(value: datetime) -> str:
    tzi = value.tzinfo
    if tzi is None:
        return "UTC"
    key = getattr(tzi, "key", None)
    if key:
        return key
    if tzi is timezone.utc:
        return "UTC"
    return _fmt_offset(value, True)


def _zone_abbr(value: datetime) -> str:
    if value.tzinfo is None:
        return "UTC"
    name = value.tzname()
    if not name or name.startswith("UTC+") or name.startswith("UTC-"):
        return _fmt_offset(value, True)
    return name


def _epoch(value: datetime) -> int:
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() // 1)


def _has_day_code(fmt: str) -> bool:
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "dj":
            return True
        i += 1
    return False


def format_php_date(
    value: datetime | date | int | float,
    fmt: str,
    lang: str = "en",
    *,
    tz: tzinfo | None = None,
) -> str:
    """Format ``value`` with PHP ``date()`` codes, names localised for ``lang``.

    Supported: ``d D j l N S w z W F m M n t L o Y y a A B g G h H i s u v e I
    O P p T Z c r U`` and ``\\`` escapes.  ``value`` may also be a Unix
    timestamp (read as UTC).  See the module docstring for localisation rules.
    """
    dt = _apply_tz(_as_datetime(value), tz)
    english = _primary(lang) == _EN
    month_ctx = "format" if _has_day_code(fmt) else "stand-alone"
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        ch = fmt[i]
        i += 1
        if ch == "\\":
            if i < n:
                out.append(fmt[i])
                i += 1
            else:
                out.append("\\")
            continue
        out.append(_php_code(ch, dt, lang, english, month_ctx))
    return "".join(out)


def _php_code(ch: str, dt: datetime, lang: str, english: bool, month_ctx: str) -> str:
    if ch == "d":
        return f"{dt.day:02d}"
    if ch == "D":
        return weekday_name(dt.weekday(), lang, width="abbreviated")
    if ch == "j":
        return str(dt.day)
    if ch == "l":
        return weekday_name(dt.weekday(), lang)
    if ch == "N":
        return str(dt.isoweekday())
    if ch == "S":
        return _english_suffix(dt.day) if english else ""
    if ch == "w":
        return str(dt.isoweekday() % 7)
    if ch == "z":
        return str(dt.timetuple().tm_yday - 1)
    if ch == "W":
        return f"{dt.isocalendar()[1]:02d}"
    if ch == "F":
        return month_name(dt.month, lang, month_ctx)
    if ch == "m":
        return f"{dt.month:02d}"
    if ch == "M":
        return month_name(dt.month, lang, month_ctx, width="abbreviated")
    if ch == "n":
        return str(dt.month)
    if ch == "t":
        return str(calendar.monthrange(dt.year, dt.month)[1])
    if ch == "L":
        return "1" if calendar.isleap(dt.year) else "0"
    if ch == "o":
        return str(dt.isocalendar()[0])
    if ch == "Y":
        return f"{dt.year:04d}"
    if ch == "y":
        return f"{dt.year % 100:02d}"
    if ch == "a":
        return "am" if dt.hour < 12 else "pm"
    if ch == "A":
        return "AM" if dt.hour < 12 else "PM"
    if ch == "B":
        utc = dt if dt.tzinfo is None else dt.astimezone(timezone.utc).replace(tzinfo=None)
        seconds = (utc.hour * 3600 + utc.minute * 60 + utc.second + 3600) % 86400
        return f"{int(seconds / 86.4):03d}"
    if ch == "g":
        return str(dt.hour % 12 or 12)
    if ch == "G":
        return str(dt.hour)
    if ch == "h":
        return f"{dt.hour % 12 or 12:02d}"
    if ch == "H":
        return f"{dt.hour:02d}"
    if ch == "i":
        return f"{dt.minute:02d}"
    if ch == "s":
        return f"{dt.second:02d}"
    if ch == "u":
        return f"{dt.microsecond:06d}"
    if ch == "v":
        return f"{dt.microsecond // 1000:03d}"
    if ch == "e":
        return _zone_id(dt)
    if ch == "I":
        dst = dt.dst() if dt.tzinfo is not None else None
        return "1" if dst else "0"
    if ch == "O":
        return _fmt_offset(dt, False)
    if ch == "P":
        return _fmt_offset(dt, True)
    if ch == "p":
        return "Z" if _offset(dt) == timedelta(0) else _fmt_offset(dt, True)
    if ch == "T":
        return _zone_abbr(dt)
    if ch == "Z":
        return str(int(_offset(dt).total_seconds()))
    if ch == "c":
        return format_php_date(dt, "Y-m-d\\TH:i:sP", _EN)
    if ch == "r":
        return format_php_date(dt, "D, d M Y H:i:s O", _EN)
    if ch == "U":
        return str(_epoch(dt))
    return ch
