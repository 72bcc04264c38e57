"""qalam.lang.dates: localised dates (kk, ru, en), PHP date() codes, Almaty offsets."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qalam.lang.dates import format_date, format_php_date, month_name, weekday_name, zone

KK_MONTHS = [
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
    "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
]  # fmt: skip
RU_GENITIVE = [
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
]  # fmt: skip
RU_NOMINATIVE = [
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
]  # fmt: skip
EN_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip

D = datetime(2022, 7, 20, 10, 0)


# ---------------------------------------------------------------------------
# format_date
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("kk", "20 шілде 2022"), ("ru", "20 июля 2022"), ("en", "20 July 2022")],
)
def test_long(lang, expected):
    assert format_date(D, lang) == expected
    assert format_date(D.date(), lang, "long") == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("kk", "6 шілде 2020, 21:35"), ("ru", "6 июля 2020, 21:35"), ("en", "6 July 2020, 21:35")],
)
def test_datetime_style(lang, expected):
    assert format_date(datetime(2020, 7, 6, 21, 35), lang, "datetime") == expected


def test_datetime_style_is_24_hour_and_date_gets_midnight():
    assert format_date(datetime(2020, 7, 6, 9, 5), "en", "datetime") == "6 July 2020, 09:05"
    assert format_date(date(2020, 7, 6), "kk", "datetime") == "6 шілде 2020, 00:00"


def test_short():
    assert format_date(D, "kk", "short") == "20.07.2022"
    assert format_date(D, "ru", "short") == "20.07.2022"
    assert format_date(date(2022, 1, 5), "kk", "short") == "05.01.2022"
    assert format_date(D, "en", "short") == "7/20/22"  # Babel's CLDR short format for en
    assert format_date(D, "en-GB", "short") == "20/07/2022"


@pytest.mark.parametrize("month", range(1, 13))
def test_all_kazakh_and_russian_months_in_context(month):
    d = date(2021, month, 3)
    assert format_date(d, "kk") == f"3 {KK_MONTHS[month - 1]} 2021"
    assert format_date(d, "ru") == f"3 {RU_GENITIVE[month - 1]} 2021"
    assert format_date(d, "en") == f"3 {EN_MONTHS[month - 1]} 2021"


def test_region_and_case_variants_of_language_codes():
    assert format_date(D, "kk-KZ") == "20 шілде 2022"
    assert format_date(D, "kk_KZ") == "20 шілде 2022"
    assert format_date(D, "RU") == "20 июля 2022"
    assert format_date(D, "ru-RU", "datetime") == "20 июля 2022, 10:00"


def test_other_language_uses_babel_long_format():
    assert format_date(D, "de") == "20. Juli 2022"
    assert format_date(D, "fr") == "20 juillet 2022"
    assert format_date(D, "de", "datetime") == "20. Juli 2022, 10:00"


@pytest.mark.parametrize("lang", ["xx", "", "i-klingon", "../../etc", None, 42, "zz-ZZ"])
def test_unknown_language_falls_back_to_english_without_raising(lang):
    assert format_date(D, lang) == "20 July 2022"


@given(st.text(max_size=12))
def test_any_language_code_never_raises(lang):
    for style in ("long", "datetime", "short"):
        assert format_date(D, lang, style)


def test_bad_style_raises_value_error():
    with pytest.raises(ValueError):
        format_date(D, "kk", "medium")


# ---------------------------------------------------------------------------
# time zones
# ---------------------------------------------------------------------------


def test_zone_comes_from_tzdata_package_and_is_cached():
    z = zone("Asia/Almaty")
    assert str(z) == "Asia/Almaty"
    assert zone("Asia/Almaty") is z


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "Asia/../../x", "No/Such_Zone", "Asia//Almaty"])
def test_zone_rejects_bad_names(bad):
    from zoneinfo import ZoneInfoNotFoundError

    with pytest.raises(ZoneInfoNotFoundError):
        zone(bad)


def test_almaty_history():
    z = zone("Asia/Almaty")
    assert datetime(2020, 7, 6, 21, 35, tzinfo=z).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 7, 6, 21, 35, tzinfo=z).utcoffset() == timedelta(hours=5)
    # UTC+6 until 1 March 2024 00:00 local time, then UTC+5
    assert datetime(2024, 2, 29, 23, 59, tzinfo=z).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 3, 1, 0, 30, tzinfo=z).utcoffset() == timedelta(hours=5)
    assert format_php_date(datetime(2020, 7, 6, 21, 35, tzinfo=z), "P") == "+06:00"
    assert format_php_date(datetime(2024, 7, 6, 21, 35, tzinfo=z), "P") == "+05:00"


def test_tz_converts_aware_values():
    z = zone("Asia/Almaty")
    utc = datetime(2020, 7, 6, 15, 35, tzinfo=timezone.utc)
    assert format_date(utc, "kk", "datetime", tz=z) == "6 шілде 2020, 21:35"
    utc2024 = datetime(2024, 7, 6, 15, 35, tzinfo=timezone.utc)
    assert format_date(utc2024, "kk", "datetime", tz=z) == "6 шілде 2024, 20:35"
    # crossing midnight changes the day
    assert format_date(datetime(2022, 7, 19, 20, 0, tzinfo=timezone.utc), "ru", tz=z) == "20 июля 2022"


def test_tz_with_naive_value_is_wall_clock_time():
    z = zone("Asia/Almaty")
    assert format_date(datetime(2020, 7, 6, 21, 35), "en", "datetime", tz=z) == "6 July 2020, 21:35"
    assert format_php_date(datetime(2020, 7, 6, 21, 35), "H:i P", tz=z) == "21:35 +06:00"


# ---------------------------------------------------------------------------
# month_name / weekday_name
# ---------------------------------------------------------------------------


def test_month_name_contexts():
    assert [month_name(m, "kk") for m in range(1, 13)] == KK_MONTHS
    assert [month_name(m, "ru") for m in range(1, 13)] == RU_GENITIVE
    assert [month_name(m, "ru", "stand-alone") for m in range(1, 13)] == RU_NOMINATIVE
    assert [month_name(m, "en") for m in range(1, 13)] == EN_MONTHS
    assert month_name(7, "ru", "standalone") == "июль"
    assert month_name(7, "en", width="abbreviated") == "Jul"


def test_month_name_validates_month():
    with pytest.raises(ValueError):
        month_name(13, "kk")
    with pytest.raises(ValueError):
        month_name(1, "kk", "nominative")


def test_weekday_name():
    assert weekday_name(0, "kk") == "дүйсенбі"
    assert weekday_name(4, "kk") == "жұма"
    assert weekday_name(6, "ru") == "воскресенье"
    assert weekday_name(0, "en", width="abbreviated") == "Mon"


# ---------------------------------------------------------------------------
# format_php_date
# ---------------------------------------------------------------------------

P = datetime(2020, 7, 6, 21, 35, 9, 123456)


def test_grav_default_formats_english():
    assert format_php_date(P, "jS M Y") == "6th Jul 2020"
    assert format_php_date(P, "F jS \\a\\t g:ia") == "July 6th at 9:35pm"
    assert format_php_date(P, "d-m-Y H:i") == "06-07-2020 21:35"


@pytest.mark.parametrize(
    ("day", "suffix"),
    [(1, "st"), (2, "nd"), (3, "rd"), (4, "th"), (11, "th"), (12, "th"), (13, "th"), (21, "st"), (22, "nd"),
     (23, "rd"), (31, "st")],
)  # fmt: skip
def test_english_ordinal_suffix(day, suffix):
    assert format_php_date(datetime(2021, 1, day), "jS") == f"{day}{suffix}"


def test_localised_names_and_no_suffix_outside_english():
    assert format_php_date(P, "jS M Y", "kk") == "6 шіл. 2020"
    assert format_php_date(P, "j F Y", "kk") == "6 шілде 2020"
    assert format_php_date(P, "j F Y", "ru") == "6 июля 2020"
    assert format_php_date(P, "d F Y, l", "ru") == "06 июля 2020, понедельник"
    assert format_php_date(P, "D", "kk") == "дс"


def test_month_without_day_uses_stand_alone_form():
    assert format_php_date(P, "F Y", "ru") == "июль 2020"
    assert format_php_date(P, "F Y", "en") == "July 2020"
    assert format_php_date(P, "\\d F", "ru") == "d июль"  # escaped d is not a day code


def test_all_codes():
    z = zone("Asia/Almaty")
    v = P.replace(tzinfo=z)
    fmt = "d|D|j|l|N|S|w|z|W|F|m|M|n|t|L|o|Y|y|a|A|B|g|G|h|H|i|s|u|v|e|I|O|P|p|T|Z|U"
    got = format_php_date(v, fmt).split("|")
    assert got == [
        "06", "Mon", "6", "Monday", "1", "th", "1", "187", "28", "July", "07", "Jul", "7", "31", "1",
        "2020", "2020", "20", "pm", "PM", "691", "9", "21", "09", "21", "35", "09", "123456", "123",
        "Asia/Almaty", "0", "+0600", "+06:00", "+06:00", "+06", "21600", "1594049709",
    ]  # fmt: skip
    assert format_php_date(v, "c") == "2020-07-06T21:35:09+06:00"
    assert format_php_date(v, "r", "kk") == "Mon, 06 Jul 2020 21:35:09 +0600"  # RFC 2822 is always English


def test_utc_and_naive_zone_codes():
    u = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert format_php_date(u, "e T P p O Z") == "UTC UTC +00:00 Z +0000 0"
    assert format_php_date(datetime(2020, 1, 1), "e P U") == "UTC +00:00 1577836800"


def test_dst_flag():
    berlin = zone("Europe/Berlin")
    assert format_php_date(datetime(2020, 7, 1, tzinfo=berlin), "I T") == "1 CEST"
    assert format_php_date(datetime(2020, 1, 1, tzinfo=berlin), "I T") == "0 CET"


def test_iso_week_year_boundary_and_12_hour_clock():
    assert format_php_date(datetime(2021, 1, 1), "o-W") == "2020-53"
    assert format_php_date(datetime(2021, 1, 1, 0, 5), "g:i A h") == "12:05 AM 12"
    assert format_php_date(datetime(2021, 1, 1, 12, 5), "g:i a") == "12:05 pm"
    assert format_php_date(datetime(2024, 2, 1), "t L") == "29 1"


def test_escapes_unknown_letters_and_trailing_backslash():
    assert format_php_date(P, "\\Y\\m\\d Y") == "Ymd 2020"
    assert format_php_date(P, "Y年") == "2020年"
    assert format_php_date(P, "Y\\") == "2020\\"
    assert format_php_date(P, "") == ""


def test_date_and_epoch_values():
    assert format_php_date(date(2022, 7, 20), "d.m.Y H:i") == "20.07.2022 00:00"
    assert format_php_date(0, "Y-m-d H:i e") == "1970-01-01 00:00 UTC"
    assert format_php_date(1594049700, "H:i", tz=zone("Asia/Almaty")) == "21:35"


def test_tz_argument_converts():
    utc = datetime(2024, 7, 6, 15, 35, tzinfo=timezone.utc)
    assert format_php_date(utc, "H:i T", tz=zone("Asia/Almaty")) == "20:35 +05"


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), st.text(max_size=20))
def test_php_format_never_raises(value, fmt):
    assert isinstance(format_php_date(value, fmt, "kk"), str)
