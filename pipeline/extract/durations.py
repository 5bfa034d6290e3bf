"""Durations as written in notes: "7-day", "72 hours", "two years", "a year", "18 mos"."""
from __future__ import annotations

import re

WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30, "thirty-six": 36, "forty-eight": 48,
         "seventy-two": 72, "several": None, "few": None, "couple": 2}
NUMBER = r"(?:\d{1,3}(?:\.\d+)?|" + "|".join(sorted((w for w in WORDS if WORDS[w]), key=len, reverse=True)) + r")"


def number(text: str) -> float | None:
    """'7' -> 7.0, 'seven' -> 7.0, 'a' -> 1.0; None for anything else."""
    t = text.strip().lower()
    if re.fullmatch(r"\d{1,3}(?:\.\d+)?", t):
        return float(t)
    v = WORDS.get(t)
    return float(v) if v else None


# per unit: days, and months
UNITS = {
    "hour": (1 / 24, None), "hr": (1 / 24, None), "h": (1 / 24, None),
    "day": (1, 12 / 365.25), "d": (1, 12 / 365.25), "night": (1, 12 / 365.25),
    "week": (7, 12 / 52.18), "wk": (7, 12 / 52.18),
    "month": (30.44, 1), "mo": (30.44, 1), "mth": (30.44, 1),
    "year": (365.25, 12), "yr": (365.25, 12), "decade": (3652.5, 120),
}
UNIT = r"(?:hours?|hrs?|h|days?|d|nights?|weeks?|wks?|months?|mos?|mths?|years?|yrs?|decades?)"


def unit_key(unit: str) -> str:
    u = unit.lower()
    if u in UNITS:
        return u
    return u[:-1] if u.endswith("s") and u[:-1] in UNITS else u


def to_days(n: float, unit: str) -> float | None:
    f = UNITS.get(unit_key(unit))
    return None if f is None else n * f[0]


def to_months(n: float, unit: str) -> float | None:
    f = UNITS.get(unit_key(unit))
    return None if f is None or f[1] is None else n * f[1]
