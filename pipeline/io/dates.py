"""Dates as clinicians write them: find them in text, resolve them against the note's date.

Parsing of concrete dates is delegated to dateutil; this module only decides which
spans of text are dates, how precise they are, and what vague ones ("spring 2025",
"last month") stand for.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import NamedTuple

from dateutil import parser as du_parser
from dateutil.relativedelta import relativedelta

MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

# A part of a year stands for a representative day inside it.
YEAR_PARTS = {
    "winter": (1, 15), "early": (2, 15), "spring": (4, 15), "mid": (6, 30), "middle": (6, 30),
    "summer": (7, 15), "late": (11, 1), "fall": (10, 15), "autumn": (10, 15), "end": (12, 1),
}

_DAY_PATTERNS = [
    re.compile(r"(?<![\d/.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])"),
    re.compile(r"(?<![\d/.])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/])"),
    re.compile(rf"\b{MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.I),
    re.compile(rf"\b\d{{1,2}}\s+{MONTHS}\.?,?\s+\d{{4}}\b", re.I),
    re.compile(rf"\b\d{{1,2}}-{MONTHS}-(?:\d{{4}}|\d{{2}})\b", re.I),  # 12-Sep-2024
    re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])"),  # 09.16.2024
    re.compile(r"(?<![\d.])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"),  # 20240304 (an export's)
    re.compile(rf"\b\d{{1,2}}{MONTHS}(?:\d{{4}}|\d{{2}})\b", re.I),  # 12MAR2024, 05MAR24
    re.compile(r"\b\d{1,2} (?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) \d{2}\b"),  # DOS: 05 MAR 24
]
_SPANISH_MONTHS = {m: k for k, m in enumerate(("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                                                "septiembre", "octubre", "noviembre", "diciembre"), 1)} | {"setiembre": 9}
_SPANISH_DAY = re.compile(r"\b(\d{1,2})\s+de\s+(" + "|".join(_SPANISH_MONTHS) + r")\s+(?:de|del)\s+(\d{4})\b", re.I)
_MONTH_PATTERNS = [
    re.compile(r"(?<![\d/.])(\d{1,2})/(\d{4})(?![\d/])"),
    re.compile(rf"\b({MONTHS})\.?,?\s+(\d{{4}})\b", re.I),
]
_PART_PATTERN = re.compile(r"\b(winter|early|spring|mid|middle|summer|late|fall|autumn|end)(?:\s+of)?[\s-]+(\d{4})\b", re.I)
_YEAR_PATTERN = re.compile(r"(?<![\d/.-])((?:19[5-9]|20[0-4])\d)(?![\d/])")
_SEASON_PATTERN = re.compile(r"\b(?:this\s+past|this|last|past|the\s+past)\s+(winter|spring|summer|fall|autumn)\b", re.I)
_RELATIVE_PATTERN = re.compile(
    r"\b(?:(last|past|previous)\s+(month|year|week)|(\d{1,2}|a|one|two|three|several|few)\s+(weeks?|months?|years?)\s+ago)\b", re.I)
MIN_YEAR, MAX_YEAR = 1900, 2100  # the dates an export's note_date or a review date may take
_COUNT_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "few": 3, "several": 3}


class DateMention(NamedTuple):
    """A date found in text: where it is, the day it stands for, and how precise it is."""
    start: int
    end: int
    date: dt.date
    precision: str  # "day" | "month" | "part" | "year" | "relative"


def parse_date(value: str) -> dt.date | None:
    """One date value (an export's note_date, a cases file's review_date), or None.

    ISO and US month-first forms are accepted; impossible dates (2025-02-30) and dates
    outside 1900-2100 (no clinical note is dated there) are None.
    """
    s = str(value).strip()
    if not s or s.lower() in {"nan", "nat", "none", "null"}:
        return None
    if len(s) == 10 and s[4] == "-" and s[7] == "-":  # YYYY-MM-DD, what most exports hold: no parser needed
        try:
            d = dt.date.fromisoformat(s)
        except ValueError:
            return None
        return d if MIN_YEAR <= d.year <= MAX_YEAR else None
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?", s) or \
            re.fullmatch(r"\d{1,2}/\d{1,2}/(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?", s, re.I) or \
            re.fullmatch(rf"{MONTHS}\.? \d{{1,2}}(st|nd|rd|th)?,? \d{{4}}", s, re.I) or \
            re.fullmatch(rf"\d{{1,2}}[- ]{MONTHS}\.?[- ,]\s?(\d{{4}}|\d{{2}})", s, re.I) or \
            re.fullmatch(r"\d{8}", s):
        d = _parse_day(s)
        return d if d is not None and MIN_YEAR <= d.year <= MAX_YEAR else None
    return None


def _two_digit_year(y: int) -> int:
    return y + 2000 if y < 70 else y + 1900


def _parse_day(text: str, day_first: bool = False) -> dt.date | None:
    """A day written in `text`; month first always, or (`day_first`, for a note's text) day first where it
    cannot be month first ("20/11/2023")."""
    us = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}", text)
    if us and not (1 <= int(us.group(1)) <= 12):
        if not day_first or not (1 <= int(us.group(2)) <= 12):
            return None
        try:
            return du_parser.parse(text, dayfirst=True, default=dt.datetime(2000, 1, 1)).date()
        except (ValueError, OverflowError):
            return None
    try:
        d = du_parser.parse(text, dayfirst=False, yearfirst=bool(re.match(r"\d{4}-", text)),
                            default=dt.datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        return None
    m = re.fullmatch(r"\d{1,2}[/-]\d{1,2}[/-](\d{2})", text)
    if m:  # dateutil reads two-digit years relative to today; clinical notes mean 19xx/20xx
        d = d.replace(year=_two_digit_year(int(m.group(1))))
    return d


_YEARLESS = re.compile(r"(?<![\d/.-])(\d{1,2})/(\d{1,2})(?![\d/])")
_YEARLESS_NAMED = re.compile(rf"\b({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)", re.I)


def find_dates(text: str, ref: dt.date | None = None, yearless: bool = False) -> list[DateMention]:
    """Every date in `text` (see `_find_dates`); a text asked about again is answered from a small cache."""
    return list(_find_dates(text, ref, yearless))


@lru_cache(maxsize=1024)
def _find_dates(text: str, ref: dt.date | None = None, yearless: bool = False) -> tuple[DateMention, ...]:
    """Every date in `text`, most precise reading first where spans overlap, in text order.

    `ref` (the note's date) resolves relative expressions such as "last month". With
    `yearless`, "6/2" is read as the latest June 2 up to `ref`: only for sentences where a
    bare m/d can only be a date (it is also how pain scores are written: "7/10").
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(a: int, b: int, d: dt.date | None, precision: str) -> None:
        if d is not None and free(a, b) and 1950 <= d.year <= 2100:
            found.append(DateMention(a, b, d, precision))
            taken.append((a, b))

    for pat in _DAY_PATTERNS:
        for m in pat.finditer(text):
            add(m.start(), m.end(), _parse_day(m.group(0), day_first=True), "day")
    for m in _SPANISH_DAY.finditer(text):  # "9 de abril de 2024"
        try:
            add(m.start(), m.end(), dt.date(int(m.group(3)), _SPANISH_MONTHS[m.group(2).lower()], int(m.group(1))), "day")
        except ValueError:
            continue
    for pat in _MONTH_PATTERNS:
        for m in pat.finditer(text):
            a, b = m.group(1), m.group(2)
            try:
                month = int(a) if a.isdigit() else du_parser.parse(a + " 1 2000").month
                add(m.start(), m.end(), dt.date(int(b), month, 15), "month")
            except ValueError:
                continue
    for m in _PART_PATTERN.finditer(text):
        month, day = YEAR_PARTS[m.group(1).lower()]
        if 1 <= int(m.group(2)):  # "spring 0000" is not a date
            add(m.start(), m.end(), dt.date(int(m.group(2)), month, day), "part")
    for m in _YEAR_PATTERN.finditer(text):
        add(m.start(), m.end(), dt.date(int(m.group(1)), 7, 1), "year")
    if ref is not None and yearless:
        for m in _YEARLESS.finditer(text):
            try:
                d = dt.date(ref.year, int(m.group(1)), int(m.group(2)))
                d = d if d <= ref else d.replace(year=ref.year - 1)
            except ValueError:  # no such day (2/30), or none before the note (a note dated in year 1)
                continue
            add(m.start(), m.end(), d, "day")
        for m in _YEARLESS_NAMED.finditer(text):  # "from March 4", "on Feb 3rd"
            try:
                d = dt.date(ref.year, du_parser.parse(m.group(1)[:3] + " 1 2000").month, int(m.group(2)))
                d = d if d <= ref else d.replace(year=ref.year - 1)
            except ValueError:
                continue
            add(m.start(), m.end(), d, "day")
    if ref is not None:
        for m in _SEASON_PATTERN.finditer(text):  # "this past spring": the latest spring up to the note
            month, day = YEAR_PARTS[m.group(1).lower()]
            d = dt.date(ref.year, month, day)
            if d > ref:
                if ref.year == 1:
                    continue  # no such season before a note dated in year 1
                d = d.replace(year=ref.year - 1)
            add(m.start(), m.end(), d, "part")
        for m in _RELATIVE_PATTERN.finditer(text):
            if m.group(1):
                unit, n = m.group(2).lower(), 1
            else:
                unit = m.group(4).lower().rstrip("s")
                n = int(m.group(3)) if m.group(3).isdigit() else _COUNT_WORDS[m.group(3).lower()]
            delta = {"week": relativedelta(weeks=n), "month": relativedelta(months=n), "year": relativedelta(years=n)}[unit]
            try:
                add(m.start(), m.end(), ref - delta, "relative")
            except (ValueError, OverflowError):  # before year 1: not a date
                continue
    return tuple(sorted(found))


# what lies between the two dates of a span; the first may carry a short note ("01/08/2024 (initial evaluation)
# through 03/18/2024")
_RANGE_GAP = re.compile(r"^\s*(?:\([^()\n]{1,30}\)\s*)?(?:-{1,2}|–|—|to|through|thru|until|till)\s*$", re.I)


_BETWEEN = re.compile(r"\bbetween\s+$", re.I)  # "between 1/6/2023 and 3/3/2023"
_BETWEEN_AND = re.compile(r"^\s*and\s*$", re.I)


class DateRange(NamedTuple):
    start: int
    end: int
    first: dt.date
    last: dt.date


_MONTH_DAY = rf"({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?"
# "Feb 3 - Mar 28, 2025" (the year written once, at the end); "April 7th to June 2nd" (no year)
_SHORT_RANGE = re.compile(rf"\b{_MONTH_DAY}\s*(?:-{{1,2}}|–|—|to|through|thru|until)\s*{_MONTH_DAY}(?:,?\s+(\d{{4}}))?\b",
                          re.I)
# "9/12-11/21", "2/3 - 3/28" (no year: the latest such span up to the note); not two pain scores "7/10-8/10"
_NUMERIC_SHORT_RANGE = re.compile(r"(?<![\d/.])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])\s*(?:-{1,2}|–|—|to|through|thru|until)\s*"
                                  r"(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?:/(\d{4}))?(?![/\d%]|\s*(?:%|percent))")

_CHAINED_BEFORE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?(?:\s*\w+)?\s*(?:-{1,2}|–|—|,)\s*$")
_CHAINED_AFTER = re.compile(r"\s*(?:-{1,2}|–|—|,)\s*\d{1,2}/\d{1,2}")


def _month_day(month: str, day: str, year: int) -> dt.date | None:
    try:
        number = int(month) if month.isdigit() else du_parser.parse(month[:3] + " 1 2000").month
        return dt.date(year, number, int(day))
    except ValueError:
        return None


def _short_ranges(text: str, ref: dt.date | None, taken: list[DateRange]) -> list[DateRange]:
    out = []
    numeric = [m for m in _NUMERIC_SHORT_RANGE.finditer(text) if not (m.group(2) == "10" and m.group(4) == "10")
               and not _CHAINED_BEFORE.search(text, 0, m.start()) and not _CHAINED_AFTER.match(text, m.end())] \
        if "/" in text else []  # (in a list of dates joined by dashes, "10/03 - 10/08 - 10/10", no two are a span)
    for m in [*_SHORT_RANGE.finditer(text), *numeric]:
        if any(not (m.end() <= r.start or m.start() >= r.end) for r in taken + out):
            continue
        if m.group(5):
            year = int(m.group(5))
        elif ref is not None:
            year = ref.year
        else:
            continue
        last = _month_day(m.group(3), m.group(4), year)
        if last is None:
            continue
        if not m.group(5) and ref is not None and last > ref:  # no year: the latest such span up to the note
            last = _month_day(m.group(3), m.group(4), year - 1)
            if last is None:
                continue
        first = _month_day(m.group(1), m.group(2), last.year)
        if first is not None and first > last:
            first = _month_day(m.group(1), m.group(2), last.year - 1)
        if first is not None and first <= last:
            out.append(DateRange(m.start(), m.end(), first, last))
    return out


def find_date_ranges(text: str, ref: dt.date | None = None) -> list[DateRange]:
    """Spans of service written as two dates: "01/06/2025-02/27/2025", "9/9/24 through 11/15/24",
    "Feb 3 - Mar 28, 2025", and with the note's date for the year, "April 7th to June 2nd"."""
    days = [d for d in find_dates(text, ref) if d.precision == "day"]
    ranges = []
    for a, b in zip(days, days[1:]):
        gap = text[a.end:b.start]
        between = _BETWEEN_AND.match(gap) and _BETWEEN.search(text[max(0, a.start - 12):a.start])
        if (_RANGE_GAP.match(gap) or between) and a.date <= b.date:
            ranges.append(DateRange(a.start, b.end, a.date, b.date))
    ranges += _short_ranges(text, ref, ranges)
    return sorted(ranges)
