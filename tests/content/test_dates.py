"""Tests for qalam.content.dates.

Expected values follow the rule book (shared/docs/grav-content-format.md §4) and PHP's
documented DateTime / strtotime behaviour.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qalam.content import dates
from qalam.content.dates import parse_grav_date

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+6 until March 2024, UTC+5 since
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
# shared/ lies beside the repository (/work/shared next to /work/main, and in CI)
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "grav-sites"


def at(y, m, d, hh=0, mm=0, ss=0, us=0, tz=ALMATY):
    return dt.datetime(y, m, d, hh, mm, ss, us, tzinfo=tz)


def check(value, expected, *, tz=ALMATY, formats=()):
    result = parse_grav_date(value, tz=tz, formats=formats)
    if expected is None:
        assert result is None, f"{value!r} -> {result}"
        return
    assert result is not None, f"{value!r} -> None"
    assert result == expected, f"{value!r} -> {result}"
    # aware, expressed in tz
    assert result.utcoffset() == expected.astimezone(tz).utcoffset()
    assert result.tzinfo is not None


# ---------------------------------------------------------------------------
# free-form
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        # the seed page: d-m-Y H:i
        ("20-07-2022 10:00", at(2022, 7, 20, 10)),
        # a/b/Y is m/d/Y (American), time first as in the blog skeleton
        ("13:34 07/23/2017", at(2017, 7, 23, 13, 34)),
        ("13:34 07/23/2017   ", at(2017, 7, 23, 13, 34)),
        ("07/23/2017", at(2017, 7, 23)),
        ("07/23/17", at(2017, 7, 23)),
        ("10:31 pm 07/23/2017", at(2017, 7, 23, 22, 31)),
        ("10:31 PM 07/23/2017", at(2017, 7, 23, 22, 31)),
        ("12:05 am 07/23/2017", at(2017, 7, 23, 0, 5)),
        ("12:05 pm 07/23/2017", at(2017, 7, 23, 12, 5)),
        ("10pm 07/23/2017", at(2017, 7, 23, 22)),
        ("07/23/2017 10:31pm", at(2017, 7, 23, 22, 31)),
        # a-b-Y and a.b.Y are d-m-Y
        ("09:55 07-07-2015", at(2015, 7, 7, 9, 55)),
        ("12:29 23-07-2020", at(2020, 7, 23, 12, 29)),
        ("07-10-2019 14:41", at(2019, 10, 7, 14, 41)),
        ("20.07.2022", at(2022, 7, 20)),
        ("20.07.2022 10:00:30", at(2022, 7, 20, 10, 0, 30)),
        ("20.07.22", at(2022, 7, 20)),
        # comma between date and time, one-digit minutes and hours
        ("15-01-2018, 10:31", at(2018, 1, 15, 10, 31)),
        ("09-07-2015, 9:14", at(2015, 7, 9, 9, 14)),
        ("16-12-2016, 21:5", at(2016, 12, 16, 21, 5)),
        # a-b-yy with a two-digit year: PHP reads yy-mm-dd
        ("11-05-21", at(2011, 5, 21)),
        ("08-04-21", at(2008, 4, 21)),
        ("99-12-31", at(1999, 12, 31)),
        # ISO
        ("2022-01-06", at(2022, 1, 6)),
        ("2022-1-6", at(2022, 1, 6)),
        ("2022/07/20", at(2022, 7, 20)),
        ("2022-01-06 10:00", at(2022, 1, 6, 10)),
        ("2022-01-06T10:00:00", at(2022, 1, 6, 10)),
        ("2022-01-06T10:00:00.250", at(2022, 1, 6, 10, 0, 0, 250000)),
        ("2022-01-06T10:00:00Z", at(2022, 1, 6, 10, tz=UTC)),
        ("2022-01-06T10:00:00+06:00", at(2022, 1, 6, 4, tz=UTC)),
        ("2022-01-06T10:00:00-0500", at(2022, 1, 6, 15, tz=UTC)),
        ("2022-01-06 10:00:00 +02:00", at(2022, 1, 6, 8, tz=UTC)),
        ("2022-01-06 10:00 UTC", at(2022, 1, 6, 10, tz=UTC)),
        ("2022-01-06 10:00 Europe/Berlin", at(2022, 1, 6, 10, tz=BERLIN)),
        ("20220720", at(2022, 7, 20)),
        # English month names
        ("July 20, 2022", at(2022, 7, 20)),
        ("20 July 2022", at(2022, 7, 20)),
        ("Jul 20 2022", at(2022, 7, 20)),
        ("20-Jul-2022", at(2022, 7, 20)),
        ("2022-Jul-20", at(2022, 7, 20)),
        ("20th July 2022", at(2022, 7, 20)),
        ("July 20th, 2022 10:00", at(2022, 7, 20, 10)),
        ("Sept 1, 2021", at(2021, 9, 1)),
        ("July 2022", at(2022, 7, 1)),
        ("Wednesday, 20 July 2022", at(2022, 7, 20)),
        ("Wed, 20 Jul 2022 10:00:00 +0000", at(2022, 7, 20, 10, tz=UTC)),
        # 24:00 is midnight of the next day
        ("24:00 20-07-2022", at(2022, 7, 21)),
        # epochs
        ("@1500000000", dt.datetime(2017, 7, 14, 2, 40, tzinfo=UTC)),
        ("1500000000", dt.datetime(2017, 7, 14, 2, 40, tzinfo=UTC)),
    ],
)
def test_free_form(value, expected):
    check(value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "08-21-2018",  # month 21: PHP fails too (admin#564)
        "23/07/2017",  # a/b/Y is m/d/Y: month 23
        "31-04-2021",  # 31 April
        "30-02-2020",
        "00-01-2020",
        "13:34 13/13/2017",
        "25:00 20-07-2022",
        "10:60 20-07-2022",
        "24:30 20-07-2022",
        "13:00 pm 07/23/2017",  # 12-hour clock with hour 13
        "0:30 am 07/23/2017",
        "2022-07-20T10:00:00+25:00",
        "2022-07-20 10:00 Mars/Olympus",
        "10:00",  # time only
        "July 20",  # no year
        "tomorrow",
        "now",
        "+1 week",
        "2022",
        "1234567",
        "-12345678",
        "",
        "   ",
        "not a date",
        "20-07-2022 10:00 extra",
        "\x00",
    ],
)
def test_unreadable_values(value):
    check(value, None)


def test_naive_values_are_read_in_tz():
    utc = parse_grav_date("20-07-2022 10:00", tz=UTC)
    berlin = parse_grav_date("20-07-2022 10:00", tz=BERLIN)
    assert utc == at(2022, 7, 20, 10, tz=UTC)
    assert berlin == at(2022, 7, 20, 10, tz=BERLIN)
    assert utc - berlin == dt.timedelta(hours=2)
    assert berlin.tzinfo is BERLIN


def test_offset_wins_but_result_is_in_tz():
    result = parse_grav_date("2022-01-06T10:00:00+06:00", tz=BERLIN)
    assert result == at(2022, 1, 6, 4, tz=UTC)
    assert result.utcoffset() == dt.timedelta(hours=1)


def test_almaty_offset_change_is_respected():
    assert parse_grav_date("01-01-2023 12:00", tz=ALMATY).utcoffset() == dt.timedelta(hours=6)
    assert parse_grav_date("01-01-2025 12:00", tz=ALMATY).utcoffset() == dt.timedelta(hours=5)


# ---------------------------------------------------------------------------
# numbers and other types
# ---------------------------------------------------------------------------


def test_numbers_are_epochs():
    check(1500000000, dt.datetime(2017, 7, 14, 2, 40, tzinfo=UTC))
    check(1500000000.5, dt.datetime(2017, 7, 14, 2, 40, 0, 500000, tzinfo=UTC))
    check(0, dt.datetime(1970, 1, 1, tzinfo=UTC))
    check(-86400, dt.datetime(1969, 12, 31, tzinfo=UTC))
    assert parse_grav_date(1500000000, tz=ALMATY).tzinfo is ALMATY


@pytest.mark.parametrize("value", [True, False, None, [], {}, b"2022-01-06", float("nan"), float("inf"), 10**30])
def test_other_values(value):
    assert parse_grav_date(value, tz=ALMATY) is None


def test_datetime_and_date_objects():
    check(dt.datetime(2022, 7, 20, 10), at(2022, 7, 20, 10))
    check(dt.datetime(2022, 7, 20, 10, tzinfo=UTC), at(2022, 7, 20, 10, tz=UTC))
    check(dt.date(2022, 7, 20), at(2022, 7, 20))


def test_iso_strings_from_the_yaml_loader():
    # frontmatter.parse_yaml turns unquoted YAML dates into these strings
    check("2022-01-06", at(2022, 1, 6))
    check("2022-01-06T10:00:00", at(2022, 1, 6, 10))
    check("2022-01-06T10:00:00.500000+06:00", at(2022, 1, 6, 4, 0, 0, 500000, tz=UTC))
    check("2022-01-06T10:00:00+00:00", at(2022, 1, 6, 10, tz=UTC))


# ---------------------------------------------------------------------------
# configured formats (DateTime::createFromFormat)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, value, expected",
    [
        ("H:i d-m-Y", "09:55 07-07-2015", at(2015, 7, 7, 9, 55)),
        ("h:i a m/d/Y", "10:31 pm 07/23/2017", at(2017, 7, 23, 22, 31)),
        ("h:i A m/d/Y", "12:00 AM 07/23/2017", at(2017, 7, 23, 0, 0)),
        ("g:i a m/d/Y", "9:05 am 07/23/2017", at(2017, 7, 23, 9, 5)),
        ("d-m-Y H:i", "07-10-2019 14:41", at(2019, 10, 7, 14, 41)),
        ("d-m-Y H:i", "7-10-2019 14:41", at(2019, 10, 7, 14, 41)),
        ("d/m/Y", "20/07/2022", at(2022, 7, 20)),  # free-form would read m/d/Y and fail
        ("m/d/y", "07/20/22", at(2022, 7, 20)),
        ("Y-m-d H:i:s", "2022-07-20 10:00:05", at(2022, 7, 20, 10, 0, 5)),
        ("d.m.Y H:i O", "20.07.2022 10:00 +0200", at(2022, 7, 20, 8, tz=UTC)),
        ("Y-m-d\\TH:i:sP", "2022-07-20T10:00:00+06:00", at(2022, 7, 20, 4, tz=UTC)),
        ("l jS F Y", "Wednesday 20th July 2022", at(2022, 7, 20)),
        ("D, d M Y", "Wed, 20 Jul 2022", at(2022, 7, 20)),
        ("j F Y \\a\\t H:i", "20 July 2022 at 10:00", at(2022, 7, 20, 10)),
        ("U", "1500000000", dt.datetime(2017, 7, 14, 2, 40, tzinfo=UTC)),
        ("Y-m-d H:i:s.u", "2022-07-20 10:00:00.25", at(2022, 7, 20, 10, 0, 0, 250000)),
        ("d#m#Y", "20/07.2022", at(2022, 7, 20)),
        ("Y-m-d+", "2022-07-20 trailing text", at(2022, 7, 20)),
        ("Y-m-d ?", "2022-07-20 x", at(2022, 7, 20)),
        ("Y z", "2022 200", at(2022, 7, 20)),  # day of year, counted from 0
    ],
)
def test_formats(fmt, value, expected):
    check(value, expected, formats=[fmt])


def test_formats_are_tried_in_order_then_free_form():
    # first format fails, second matches
    check("20/07/2022", at(2022, 7, 20), formats=["Y-m-d", "d/m/Y"])
    # no format matches: the free-form reading applies (as Grav falls back to strtotime)
    check("2022-07-20 10:00", at(2022, 7, 20, 10), formats=["H:i d-m-Y"])
    check("13:34 07/23/2017", at(2017, 7, 23, 13, 34), formats=["d-m-Y H:i"])
    # an invalid value stays invalid in both
    check("08-21-2018", None, formats=["d-m-Y"])
    # empty or non-string formats are skipped
    check("20-07-2022 10:00", at(2022, 7, 20, 10), formats=["", None])
    # a single format string is accepted too
    check("20/07/2022", at(2022, 7, 20), formats="d/m/Y")


def test_missing_time_fields_are_zero():
    check("07-10-2019", at(2019, 10, 7), formats=["d-m-Y"])
    check("07-10-2019 14", at(2019, 10, 7, 14), formats=["d-m-Y H"])


def test_missing_date_uses_today_only_without_any_date_field(monkeypatch):
    monkeypatch.setattr(dates, "_today", lambda tz: dt.date(2030, 5, 17))
    check("14:41", at(2030, 5, 17, 14, 41), formats=["H:i"])
    # a partial date: missing day and month are 1, a missing year is the current one
    check("2019", at(2019, 1, 1), formats=["Y"])
    check("10-2019", at(2019, 10, 1), formats=["m-Y"])
    check("20/07", at(2030, 7, 20), formats=["d/m"])


def test_bang_and_pipe_reset_to_the_epoch():
    check("14:41", at(1970, 1, 1, 14, 41), formats=["!H:i"])
    check("14:41", at(1970, 1, 1, 14, 41), formats=["H:i|"])
    check("10-2019", at(2019, 10, 1), formats=["m-Y|"])
    # '!' forgets what was parsed before it
    check("2022 10-2019", at(2019, 10, 1), formats=["Y !m-Y"])


@pytest.mark.parametrize(
    "fmt, value",
    [
        ("d-m-Y", "31-04-2021"),  # PHP rolls over to 1 May; we refuse
        ("d-m-Y", "20-13-2021"),
        ("H:i d-m-Y", "25:00 20-07-2022"),
        ("h:i a m/d/Y", "13:00 pm 07/23/2017"),
        ("D, d M Y", "Xyz, 20 Jul 2022"),
        ("d M Y", "20 Foo 2022"),
        ("d.m.Y H:i O", "20.07.2022 10:00 +9900"),
        ("e", "Not/AZone"),
    ],
)
def test_invalid_values_for_a_format(fmt, value):
    # neither the format nor the free-form rules can read these
    check(value, None, formats=[fmt])


# ---------------------------------------------------------------------------
# robustness
# ---------------------------------------------------------------------------


@given(
    st.one_of(
        st.text(max_size=60),
        st.text(alphabet=st.sampled_from(list("0123456789-/.:, apmTZ+@julyJUL")), max_size=40),
        st.integers(),
        st.floats(),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=3),
    ),
    st.lists(
        st.text(alphabet=st.sampled_from(list("dDjlSzmnMFYyaAgGhHisuveTOPpU!|+#?* \\-/.:")), max_size=12),
        max_size=3,
    ),
)
@settings(max_examples=500, deadline=None)
def test_never_raises(value, formats):
    result = parse_grav_date(value, tz=ALMATY, formats=formats)
    assert result is None or (isinstance(result, dt.datetime) and result.tzinfo is not None)


@pytest.mark.fixtures
def test_fixture_dates_are_all_readable():
    """Every date-like header value in the fixture sites is readable with the site's
    configured default format (or the page's own dateformat)."""
    if not FIXTURES.is_dir():
        pytest.skip("Grav fixture sites not available")
    from qalam.content.frontmatter import load_yaml_file, read_page_file

    count = 0
    unreadable = []
    for site in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        formats: tuple[str, ...] = ()
        system = site / "user/config/system.yaml"
        if system.exists():
            pages = load_yaml_file(system).get("pages") or {}
            default = (pages.get("dateformat") or {}).get("default")
            formats = (default,) if default else ()
        for path in site.rglob("*.md"):
            header = read_page_file(path).header
            values = [header.get(k) for k in ("date", "publish_date", "unpublish_date", "created", "modified")]
            if isinstance(header.get("event"), dict):
                values += [header["event"].get("start"), header["event"].get("end")]
            own = (header["dateformat"],) if header.get("dateformat") else formats
            for value in values:
                if value in (None, ""):
                    continue
                count += 1
                if parse_grav_date(value, tz=BERLIN, formats=own) is None:
                    unreadable.append((path.name, value))
    assert count > 3000
    assert unreadable == []
