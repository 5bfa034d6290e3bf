import datetime as dt

import pytest

from pipeline.io.dates import find_date_ranges, find_dates, parse_date

D = dt.date


@pytest.mark.parametrize("text, expected", [
    ("2025-03-14", D(2025, 3, 14)), ("03/14/2025", D(2025, 3, 14)), ("3/14/25", D(2025, 3, 14)),
    ("March 14, 2025", D(2025, 3, 14)), ("2025-03-14 08:30:00", D(2025, 3, 14)),
    ("2025-02-30", None), ("13/01/2025", None), ("yesterday", None), ("", None), ("nan", None), ("3", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, date, precision", [
    ("seen on 03/14/2025 in clinic", D(2025, 3, 14), "day"),
    ("trial placed 6/9/25", D(2025, 6, 9), "day"),
    ("on March 14, 2025", D(2025, 3, 14), "day"),
    ("fusion (03/2021)", D(2021, 3, 15), "month"),
    ("in spring 2025", D(2025, 4, 15), "part"),
    ("in early 2022", D(2022, 2, 15), "part"),
    ("back in 2019", D(2019, 7, 1), "year"),
    ("finishing last month", D(2025, 2, 10), "relative"),
    ("two weeks ago", D(2025, 2, 24), "relative"),
    ("this past spring", D(2024, 4, 15), "part"),
    ("last winter", D(2025, 1, 15), "part"),
])
def test_find_dates(text, date, precision):
    found = find_dates(text, ref=D(2025, 3, 10))
    assert [(d.date, d.precision) for d in found] == [(date, precision)]


def test_pain_scores_and_levels_are_not_dates():
    assert find_dates("Pain 7/10, L4-5 and L5-S1, range 5-9/10, PHQ-9 12", ref=D(2025, 1, 1)) == []


@pytest.mark.parametrize("text, first, last", [
    ("2x/week 01/06/2025-02/27/2025 (core)", D(2025, 1, 6), D(2025, 2, 27)),
    ("9/9/24 through 11/15/24", D(2024, 9, 9), D(2024, 11, 15)),
    ("Dates of care: 07/15/2024 - 09/09/2024.", D(2024, 7, 15), D(2024, 9, 9)),
    ("from January 6, 2025 to February 27, 2025", D(2025, 1, 6), D(2025, 2, 27)),
])
def test_find_date_ranges(text, first, last):
    assert [(r.first, r.last) for r in find_date_ranges(text)] == [(first, last)]


@pytest.mark.parametrize("text, first, last", [
    ("completed PT at Lakeshore 9/12-11/21 (see scanned d/c summary)", D(2023, 9, 12), D(2023, 11, 21)),
    ("PT 11/4-1/20 in clinic", D(2022, 11, 4), D(2023, 1, 20)),
])
def test_a_span_written_without_its_year_is_the_latest_before_the_note(text, first, last):
    assert [(r.first, r.last) for r in find_date_ranges(text, D(2024, 1, 16))] == [(first, last)]


@pytest.mark.parametrize("text", ["pain 7/10-8/10 most days", "Visit log: 10/01/24 eval - 10/03 - 10/08 - 10/10 - 10/15"])
def test_pain_scores_and_a_list_of_visits_are_no_yearless_span(text):
    assert find_date_ranges(text, D(2024, 12, 13)) == []


def test_two_dates_that_are_not_a_range():
    assert find_date_ranges("seen 01/06/2025, next visit 02/27/2025") == []


def test_a_yearless_date_with_no_year_before_the_note_is_no_date():
    import datetime as dt
    from pipeline.io.dates import find_dates
    assert find_dates("trial placed 12/30, removed 12/31", dt.date(1, 1, 1), yearless=True) == []
    assert [d.date for d in find_dates("trial placed 12/30", dt.date(2025, 1, 5), yearless=True)] == [
        dt.date(2024, 12, 30)]


def test_a_spanish_date_and_a_day_first_date_that_cannot_be_month_first():
    found = find_dates("EVALUACIÓN - 9 de abril de 2024; alta 20/11/2023; 03/04/2024", ref=D(2024, 6, 1))
    assert [d.date for d in found] == [D(2024, 4, 9), D(2023, 11, 20), D(2024, 3, 4)]
