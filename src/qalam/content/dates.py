"""Read Grav page dates the way PHP does (``Utils::date2timestamp``, ``Page::date``).

Grav tries ``DateTime::createFromFormat`` with the page's ``dateformat`` header or
``system.pages.dateformat.default`` first, and falls back to PHP's free-form parser
(``new DateTime`` / ``strtotime``). :func:`parse_grav_date` does the same:

1. ``formats`` (PHP ``createFromFormat`` format strings) are tried in order. Supported codes:
   ``d j D l S z m n M F Y y a A g h G H i s v u e T O P p U``, the separators
   ``; : / . , - ( )``, ``#`` (any of those), ``?`` (one character), ``*`` (text up to the
   next separator or digit), a space (zero or more blanks), ``\\x`` escapes, ``!`` and ``|``
   (reset the fields to the Unix epoch) and ``+`` (ignore trailing text).
2. Then the free-form rules of PHP's parser (timelib), for the shapes met in Grav content:

   ========================  =========================================================
   ``a/b/Y``, ``a/b/yy``     month/day/year (American)
   ``a-b-Y``, ``a.b.Y``      day-month-year
   ``a.b.yy``                day.month.year
   ``Y-m-d``, ``Y/m/d``      ISO
   ``a-b-c`` (year < 4 dig.) year-month-day: ``11-05-21`` is 2011-05-21
   ``YYYYMMDD``              ISO basic date
   month names               ``July 20, 2022``, ``20 July 2022``, ``Jul 20 2022``,
                             ``20-Jul-2022``, ``2022-Jul-20``, ``July 2022`` (day 1);
                             English only, a leading weekday name is ignored
   ========================  =========================================================

   A time may come before or after the date, separated by blanks or a comma (or ``T``
   after an ISO date): ``H:i``, ``H:i:s``, fractions, ``am``/``pm`` (``10:31 pm``,
   ``10pm``), then an optional zone ``Z``, ``UTC``, ``GMT``, ``+06:00``, ``+0600``, ``+6``
   or an identifier such as ``Europe/Berlin``. Minutes and seconds may have one digit
   (``21:5`` is 21:05), as in PHP's grammar (``[0-5]?[0-9]``). ``@1500000000`` is an epoch.
   Two-digit years are 1970–2069.

Values without a zone are read in ``tz``; a zone in the value decides the instant. The
result is always an aware ``datetime`` expressed in ``tz``. ``None`` means "cannot read";
the function never raises for bad input.

Deliberate differences from PHP/Grav:

* ``int``/``float`` values (an unquoted epoch, or what a YAML loader made of a date) are
  read as Unix epoch seconds; Grav cannot read them and uses the file mtime.
* A string of 9 or more digits is read as epoch seconds (PHP fails); 8 digits are
  ``YYYYMMDD`` as in PHP; shorter digit strings give ``None`` (PHP reads ``2022`` as
  the time 20:22 today).
* Impossible dates give ``None`` everywhere: PHP's format path rolls ``31-04-2021`` over
  to 1 May and its free-form path rolls day overflows over too. Month 13, hour 25 and
  the like are ``None`` in both. ``24:00`` (with zero minutes and seconds) is accepted as
  midnight of the next day, like PHP.
* Partial values: time-only strings (``10:00``), dates without a year (``July 20``) and
  relative phrases (``tomorrow``, ``+1 week``) give ``None``; PHP fills them from "now",
  which would make a page's date change from day to day.
* Formats: fields missing from a format are *not* taken from the current time. Missing
  time fields are 00:00:00 (PHP: the current time, unless some time field is present);
  missing date fields are today's date only when the format has no date field at all;
  otherwise a missing day or month is 1 and a missing year is the current year. With
  ``!`` or ``|`` the PHP epoch rules apply exactly.
* Surrounding whitespace is ignored before formats are tried (PHP's ``createFromFormat``
  fails with "trailing data" and Grav falls back to ``strtotime``).
* Weekday names are ignored, never used to move the date.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["parse_grav_date"]

_UTC = _dt.UTC

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAYS = {
    "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur",
    "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
}  # fmt: skip


def parse_grav_date(
    value: Any,
    *,
    tz: _dt.tzinfo,
    formats: Sequence[str] = (),
) -> _dt.datetime | None:
    """Read a Grav date value; return an aware datetime in ``tz`` or ``None``."""
    try:
        return _parse(value, tz, formats)
    except Exception:  # noqa: BLE001 - bad input must never raise
        return None


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _localize(naive: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    localize = getattr(tz, "localize", None)  # pytz zones
    if callable(localize):
        return localize(naive)
    return naive.replace(tzinfo=tz)


def _today(tz: _dt.tzinfo) -> _dt.date:
    """Today's date in ``tz`` (a separate function so tests can pin it)."""
    return _dt.datetime.now(tz).date()


def _from_epoch(seconds: float, tz: _dt.tzinfo) -> _dt.datetime | None:
    if isinstance(seconds, float) and not math.isfinite(seconds):
        return None
    return _dt.datetime.fromtimestamp(seconds, _UTC).astimezone(tz)


def _year(text: str) -> int:
    """PHP's year rule: fewer than four digits and below 100 means 1970-2069."""
    year = int(text)
    if len(text) < 4 and year < 100:
        year += 2000 if year < 70 else 1900
    return year


def _fraction(text: str | None) -> int:
    if not text:
        return 0
    return int(text[:6].ljust(6, "0"))


_OFFSET_RE = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?$")


def _zone(text: str | None) -> _dt.tzinfo | None:
    """A zone written in a value; raises ValueError when it is not a zone."""
    if not text:
        return None
    low = text.lower()
    if low in ("z", "utc", "gmt"):
        return _UTC
    m = _OFFSET_RE.match(text)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(text)
        delta = _dt.timedelta(hours=hours, minutes=minutes)
        return _dt.timezone(-delta if m.group(1) == "-" else delta)
    from zoneinfo import ZoneInfo

    return ZoneInfo(text)


def _build(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    micro: int,
    zone: _dt.tzinfo | None,
    tz: _dt.tzinfo,
) -> _dt.datetime | None:
    next_day = False
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour, next_day = 0, True
    naive = _dt.datetime(year, month, day, hour, minute, second, micro)  # ValueError if invalid
    if next_day:
        naive += _dt.timedelta(days=1)
    if zone is not None:
        return _localize(naive, zone).astimezone(tz)
    return _localize(naive, tz)


def _parse(value: Any, tz: _dt.tzinfo, formats: Sequence[str]) -> _dt.datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value, tz)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _localize(value.replace(tzinfo=None), tz)
        return value.astimezone(tz)
    if isinstance(value, _dt.date):
        return _localize(_dt.datetime(value.year, value.month, value.day), tz)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 200:
        return None
    if isinstance(formats, str):
        formats = (formats,)
    for fmt in formats or ():
        if isinstance(fmt, str) and fmt:
            try:
                result = _parse_with_format(text, fmt, tz)
            except (ValueError, OverflowError, KeyError, LookupError):
                result = None
            if result is not None:
                return result
    try:
        return _parse_free(text, tz)
    except (ValueError, OverflowError, KeyError, LookupError):
        return None


# ---------------------------------------------------------------------------
# DateTime::createFromFormat
# ---------------------------------------------------------------------------

_FORMAT_CODES = {
    "d": r"(\d{1,2})",
    "j": r"(\d{1,2})",
    "D": r"([a-z]+)",
    "l": r"([a-z]+)",
    "S": r"(st|nd|rd|th)",
    "z": r"(\d{1,3})",
    "m": r"(\d{1,2})",
    "n": r"(\d{1,2})",
    "M": r"([a-z]+)\.?",
    "F": r"([a-z]+)",
    "Y": r"(\d{1,4})",
    "y": r"(\d{2})",
    "a": r"([ap]\.?m\.?)",
    "A": r"([ap]\.?m\.?)",
    "g": r"(\d{1,2})",
    "h": r"(\d{1,2})",
    "G": r"(\d{1,2})",
    "H": r"(\d{1,2})",
    "i": r"(\d{2})",
    "s": r"(\d{2})",
    "v": r"(\d{3})",
    "u": r"(\d{1,6})",
    "e": r"(z|utc|gmt|[+-]\d{2}:?\d{2}|[a-z_]+(?:/[a-z0-9_+\-]+)+)",
    "T": r"(z|utc|gmt|[+-]\d{2}:?\d{2})",
    "O": r"(z|[+-]\d{2}:?\d{2})",
    "P": r"(z|[+-]\d{2}:?\d{2})",
    "p": r"(z|[+-]\d{2}:?\d{2})",
    "U": r"(-?\d+)",
}
_SEPARATORS = ";:/.,-()"
_DATE_CODES = set("djDlSzmnMFYyU")
_TIME_CODES = set("aAgGhHisvuU")


@lru_cache(maxsize=128)
def _compile_format(fmt: str) -> tuple[re.Pattern[str], tuple[tuple[str, int], ...]]:
    """Translate a PHP format into a regex and a list of (code, group number) steps.

    Steps with group 0 are the markers ``!`` and ``|``.
    """
    parts: list[str] = []
    steps: list[tuple[str, int]] = []
    group = 0
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\":
            i += 1
            if i < len(fmt):
                parts.append(re.escape(fmt[i]))
        elif c in _FORMAT_CODES:
            group += 1
            parts.append(_FORMAT_CODES[c])
            steps.append((c, group))
        elif c in "!|":
            steps.append((c, 0))
        elif c == "+":
            parts.append(r".*")
        elif c == " ":
            parts.append(r"[ \t\u00a0\u202f]*")
        elif c == "#":
            parts.append(r"[;:/.,\-()]")
        elif c == "?":
            parts.append(r".")
        elif c == "*":
            parts.append(r"[^ \t;:/.,\-()0-9]*")
        else:
            parts.append(re.escape(c))
        i += 1
    return re.compile("".join(parts), re.I | re.S), tuple(steps)


def _parse_with_format(text: str, fmt: str, tz: _dt.tzinfo) -> _dt.datetime | None:
    regex, steps = _compile_format(fmt)
    m = regex.fullmatch(text)
    if m is None:
        return None
    fields: dict[str, Any] = {}
    epoch_defaults = False
    for code, group in steps:
        if code == "!":
            fields.clear()
            epoch_defaults = True
            continue
        if code == "|":
            epoch_defaults = True
            continue
        raw = m.group(group)
        low = raw.lower().rstrip(".")
        if code in "dj":
            fields["day"] = int(raw)
        elif code in "Dl":
            if low not in _WEEKDAYS:
                return None
        elif code == "z":
            fields["yday"] = int(raw)
        elif code in "mn":
            fields["month"] = int(raw)
        elif code in "MF":
            if low not in _MONTHS:
                return None
            fields["month"] = _MONTHS[low]
        elif code == "Y":
            fields["year"] = int(raw)
        elif code == "y":
            fields["year"] = _year(raw)
        elif code in "aA":
            fields["pm"] = low.replace(".", "").startswith("p")
        elif code in "gh":
            fields["hour"] = int(raw)
            fields["twelve"] = True
        elif code in "GH":
            fields["hour"] = int(raw)
        elif code == "i":
            fields["minute"] = int(raw)
        elif code == "s":
            fields["second"] = int(raw)
        elif code == "v":
            fields["micro"] = int(raw) * 1000
        elif code == "u":
            fields["micro"] = _fraction(raw)
        elif code in "eTOPp":
            fields["zone"] = _zone(raw)
        elif code == "U":
            fields["epoch"] = int(raw)

    zone = fields.get("zone")
    if "epoch" in fields:
        instant = _dt.datetime.fromtimestamp(fields["epoch"], _UTC)
        return instant.astimezone(tz)

    hour = fields.get("hour")
    if "pm" in fields:
        if hour is None or not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if fields["pm"] else 0)

    has_date = any(k in fields for k in ("day", "month", "year", "yday"))
    if epoch_defaults:
        year = fields.get("year", 1970)
        month = fields.get("month", 1)
        day = fields.get("day", 1)
    elif has_date:
        year = fields["year"] if "year" in fields else _today(zone or tz).year
        month = fields.get("month", 1)
        day = fields.get("day", 1)
    else:
        today = _today(zone or tz)
        year, month, day = today.year, today.month, today.day
    if "yday" in fields:
        base = _dt.date(year, 1, 1) + _dt.timedelta(days=fields["yday"])
        if base.year != year:
            return None
        month, day = base.month, base.day
    return _build(
        year,
        month,
        day,
        hour if hour is not None else 0,
        fields.get("minute", 0),
        fields.get("second", 0),
        fields.get("micro", 0),
        zone,
        tz,
    )


# ---------------------------------------------------------------------------
# Free-form (timelib) subset
# ---------------------------------------------------------------------------

_MONTH_ALT = (
    r"(?P<mon>january|february|march|april|may|june|july|august|september|sept|october"
    r"|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\.?"
)
_SUFFIX = r"(?:st|nd|rd|th)?"

# tried in order, the first one that matches *and* gives a real date wins
_DATE_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",  # ISO
        r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",  # Y/m/d
        r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{1,4})",  # American m/d/y
        r"(?P<d>\d{1,2})[.\t-](?P<m>\d{1,2})[.-](?P<y>\d{4})",  # d-m-Y, d.m.Y
        r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2})",  # d.m.yy
        r"(?P<y>\d{1,4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",  # yy-m-d (gnudateshort)
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})",  # YYYYMMDD
        _MONTH_ALT + r"[ .\t-]*(?P<y>\d{4})",  # July 2022 -> day 1 (before "Jul 20 22")
        _MONTH_ALT + r"[ .\t-]*(?P<d>\d{1,2})" + _SUFFIX + r"[,.\t ]*(?P<y>\d{4}|\d{2})",
        r"(?P<d>\d{1,2})" + _SUFFIX + r"[ .\t-]*" + _MONTH_ALT + r"[ .\t,-]*(?P<y>\d{4}|\d{2})",
        r"(?P<y>\d{4})[ .\t-]*" + _MONTH_ALT + r"[ .\t-]*(?P<d>\d{1,2})",
    )
]

_TIME = (
    r"(?:(?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<frac>\d+))?)?"
    r"|(?P<hour12>\d{1,2})(?=\s*[ap]\.?m\.?))"
    r"(?:\s*(?P<ampm>[ap]\.?m\.?))?"
    r"(?:\s*(?P<zone>z|utc|gmt|[+-]\d{1,2}(?::?\d{2})?|[a-z_]+(?:/[a-z0-9_+\-]+)+))?"
)
_DATE_THEN_TIME = re.compile(r"(?P<date>.+?)(?:\s*,\s*|\s+|t)" + _TIME, re.I)
_TIME_THEN_DATE = re.compile(_TIME + r"(?:\s*,\s*|\s+)(?P<date>.+)", re.I)
_WEEKDAY_PREFIX = re.compile(r"([a-z]+)\.?,?\s*", re.I)
_EPOCH_RE = re.compile(r"@(-?\d+(?:\.\d+)?)")
_DIGITS_RE = re.compile(r"-?\d+")


def _parse_date_part(text: str) -> tuple[int, int, int] | None:
    text = text.strip().rstrip(",").strip()
    m = _WEEKDAY_PREFIX.match(text)
    if m and m.group(1).lower() in _WEEKDAYS and m.end() < len(text):
        text = text[m.end() :]
    for regex in _DATE_PATTERNS:
        m = regex.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("mon"):
            month = _MONTHS[groups["mon"].lower()]
        else:
            month = int(groups["m"])
        day = int(groups["d"]) if groups.get("d") else 1
        year = _year(groups["y"])
        try:
            _dt.date(year, month, day)
        except ValueError:
            continue
        return year, month, day
    return None


def _time_fields(m: re.Match[str]) -> tuple[int, int, int, int, _dt.tzinfo | None] | None:
    if m.group("hour12") is not None:
        hour, minute, second, micro = int(m.group("hour12")), 0, 0, 0
    else:
        hour, minute = int(m.group("hour")), int(m.group("minute"))
        second = int(m.group("second")) if m.group("second") else 0
        micro = _fraction(m.group("frac"))
    ampm = m.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute or second or micro)):
        return None
    return hour, minute, second, micro, _zone(m.group("zone"))


def _parse_free(text: str, tz: _dt.tzinfo) -> _dt.datetime | None:
    text = re.sub(r"\s+", " ", text)
    m = _EPOCH_RE.fullmatch(text)
    if m:
        return _from_epoch(float(m.group(1)) if "." in m.group(1) else int(m.group(1)), tz)
    if _DIGITS_RE.fullmatch(text):
        digits = text.lstrip("-")
        if len(digits) >= 9:
            return _from_epoch(int(text), tz)
        if len(digits) != 8 or text.startswith("-"):
            return None
        # 8 digits: YYYYMMDD, handled by the date patterns below

    date = _parse_date_part(text)
    if date is not None:
        return _build(*date, 0, 0, 0, 0, None, tz)

    for regex in (_DATE_THEN_TIME, _TIME_THEN_DATE):
        m = regex.fullmatch(text)
        if m is None:
            continue
        date = _parse_date_part(m.group("date"))
        if date is None:
            continue
        time = _time_fields(m)
        if time is None:
            return None
        hour, minute, second, micro, zone = time
        return _build(*date, hour, minute, second, micro, zone, tz)
    return None
