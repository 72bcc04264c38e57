"""qalam.lang.dateparse: Kazakh, Russian, English and numeric dates as people write them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qalam.lang.dateparse import DateParseError, find_dates, parse_date, search_date
from qalam.lang.dates import zone

ALMATY = zone("Asia/Almaty")
JULY_6 = datetime(2020, 7, 6, 21, 35)


@pytest.mark.parametrize("text", [
    "6 Шілде 2020, 21:35",          # the news site's own form (capitalised month)
    "6 шілде 2020, 21:35",
    "6 ШІЛДЕ 2020, 21:35",
    "6 шілде 2020 ж., 21:35",
    "6 шілде 2020 жыл, сағат 21:35",
    "2020 жылғы 6 шілде, 21:35",     # year first, the Kazakh official style
    "2020 ж. 6 шілдеде 21:35",       # locative ending
    "6 июля 2020 г., 21:35",         # Russian genitive
    "6 Июля 2020 года в 21:35",
    "6 июль 2020, 21:35",            # nominative, as some sites print it
    "6 июл. 2020 21:35",
    "6 July 2020, 21:35",
    "July 6, 2020 21:35",
    "06.07.2020 21:35",
    "6.7.2020, 21:35",
    "06/07/2020 21:35",
    "06-07-2020 21:35",
    "06.07.20 21:35",
    "2020-07-06 21:35",
    "2020-07-06T21:35",
    "2020.07.06 21:35",
    "21:35, 6 июля 2020",            # time first
    "21:35 06.07.2020",
    "6 şılde 2020, 21:35",           # Kazakh Latin (2021) and without its marks
    "6 silde 2020, 21:35",
    "6\u00a0шілде\u00a02020,\u00a021:35",  # non-breaking spaces from HTML
])
def test_the_same_moment_in_many_spellings(text):
    value = parse_date(text, "Asia/Almaty")
    assert value.replace(tzinfo=None) == JULY_6
    assert value.utcoffset() == timedelta(hours=6)


@pytest.mark.parametrize("word,month", [
    ("қаңтар", 1), ("ақпанда", 2), ("наурыздың", 3), ("сәуірде", 4), ("мамыр", 5), ("маусымнан", 6),
    ("шілденің", 7), ("тамызда", 8), ("қыркүйекте", 9), ("қазан", 10), ("қарашада", 11), ("желтоқсан", 12),
    ("января", 1), ("февраль", 2), ("марта", 3), ("апреле", 4), ("мая", 5), ("май", 5), ("июня", 6),
    ("июле", 7), ("августа", 8), ("сентября", 9), ("октябрь", 10), ("ноября", 11), ("декабре", 12),
    ("Янв.", 1), ("сент.", 9), ("нояб", 11), ("March", 3), ("Sept", 9),
])
def test_every_month_in_its_cases(word, month):
    assert parse_date(f"15 {word} 2019").month == month


@pytest.mark.parametrize("text", ["", "шілде", "6 шілде", "31 июня 2020", "30 ақпан 2020", "6 июля 2020, 25:00x",
                                  "мамыр айында", "6 marching 2020", "6 маячок 2020", "1.2.3.4"])
def test_not_a_date(text):
    with pytest.raises(DateParseError):
        parse_date(text)


def test_a_date_inside_other_text_is_found_with_its_span():
    text = "Жарияланды: 6 Шілде 2020, 21:35 | 2074"
    m = search_date(text, "Asia/Almaty")
    assert m is not None and m.text == "6 Шілде 2020, 21:35" and m.lang == "kk" and m.has_time
    assert text[m.start:m.end] == m.text
    with pytest.raises(DateParseError):
        parse_date(text)  # more than a date


def test_trailing_punctuation_is_not_part_of_the_date_but_is_allowed():
    assert parse_date("6 июля 2020 г.,") == datetime(2020, 7, 6)
    m = search_date("6 июля 2020, ")
    assert m.text == "6 июля 2020" and not m.has_time


def test_several_dates_left_to_right():
    found = find_dates("с 1 марта 2024 до 06.07.2024 включительно")
    assert [m.value.date().isoformat() for m in found] == ["2024-03-01", "2024-07-06"]


def test_time_zone_rules_of_that_date_apply():
    # Almaty was UTC+6 until 1 March 2024 and is UTC+5 since.
    assert parse_date("6 шілде 2020, 21:35", ALMATY).utcoffset() == timedelta(hours=6)
    assert parse_date("6 шілде 2024, 21:35", ALMATY).utcoffset() == timedelta(hours=5)
    assert parse_date("6 шілде 2020, 21:35").tzinfo is None  # no zone given: naive


def test_a_written_offset_is_kept():
    value = parse_date("2020-07-06T15:35:00Z", "Asia/Almaty")
    assert value.tzinfo == timezone.utc and value.hour == 15
    value = parse_date("2020-07-06T21:35:00+06:00")
    assert value.utcoffset() == timedelta(hours=6)
    assert parse_date("2020-07-06 21:35:10.123+0600").second == 10


def test_language_of_the_month_name_is_reported():
    assert search_date("6 июля 2020").lang == "ru"
    assert search_date("6 шілде 2020").lang == "kk"
    assert search_date("6 July 2020").lang == "en"
    assert search_date("06.07.2020").lang is None


def test_dates_do_not_run_across_lines():
    m = search_date("6 Шілде 2020\n21:35")
    assert m.text == "6 Шілде 2020" and not m.has_time


def test_two_digit_years():
    assert parse_date("06.07.99").year == 1999
    assert parse_date("06.07.20").year == 2020
