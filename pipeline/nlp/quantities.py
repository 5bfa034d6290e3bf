"""Numbers typed once: every number-like span of a sentence is read and given a kind before any
criterion looks at it.

A date, a phone number, a code, a page, a version, a dose, a time or a count (`noise`) is never an
ODI, a relief percent or a number of weeks; a payer's `threshold` ("ODI of 21% or greater",
"relief >= 50%") is never a value. The kinds and their patterns are data (`patterns/quantities.json`):
kinds listed first claim their span first, so "06/15/25" is a date before "15" can be a number.
Pure functions, no spaCy: a criterion's normalizer links its keyword to the quantity it accepts.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pipeline.io.dates import find_dates
from pipeline.resources import default_patterns_dir

VALUE_READERS = ("n", "lower", "double", "hundredths", "fraction")


class Quantity(NamedTuple):
    kind: str
    value: float | None
    start: int
    end: int
    noise: bool = False


class QuantityRule(NamedTuple):
    kind: str
    pattern: re.Pattern
    noise: bool
    value: str


class QuantityRules(NamedTuple):
    rules: tuple[QuantityRule, ...]
    fractions: dict


@lru_cache(maxsize=4)
def load_quantity_rules(patterns_dir: str | None = None) -> QuantityRules:
    path = Path(patterns_dir or default_patterns_dir()) / "quantities.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"description", "kinds", "fractions"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    rules = []
    for item in data["kinds"]:
        bad = set(item) - {"kind", "pattern", "noise", "value"}
        if bad:
            raise ValueError(f"{path}: kind {item.get('kind')!r} has unknown keys {sorted(bad)}")
        value = item.get("value", "")
        if value and value not in VALUE_READERS:
            raise ValueError(f"{path}: kind {item['kind']!r}: value must be one of {VALUE_READERS}")
        rules.append(QuantityRule(item["kind"], re.compile(item["pattern"], re.I), bool(item.get("noise")), value))
    return QuantityRules(tuple(rules), {k: float(v) for k, v in data.get("fractions", {}).items()})


def _value(rule: QuantityRule, m: re.Match, fractions: dict) -> float | None:
    groups = m.groupdict()
    if rule.value == "fraction":
        return fractions.get(re.sub(r"[\s-]+", " ", groups["w"].lower()))
    raw = groups.get("lo") if rule.value == "lower" else (groups.get("n") or groups.get("n2"))
    if raw is None:
        return None
    v = float(raw)
    if rule.value == "double":
        return v * 2 if v <= 50 else None
    if rule.value == "hundredths":
        return float(int(raw))
    return v


def quantities(text: str, patterns_dir: str | None = None) -> list[Quantity]:
    """Every typed quantity in `text`, non-overlapping, in text order."""
    return list(_quantities(text, patterns_dir))


@lru_cache(maxsize=2048)  # a sentence is typed once, however many of its targets ask
def _quantities(text: str, patterns_dir: str | None) -> tuple[Quantity, ...]:
    rules = load_quantity_rules(patterns_dir)
    taken: list[tuple[int, int]] = []
    out: list[Quantity] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for d in find_dates(text):  # dates first: "06/15/25" and "4/2/25" are days, not scores
        if d.precision in ("day", "month"):
            out.append(Quantity("date", None, d.start, d.end, True))
            taken.append((d.start, d.end))
    for rule in rules.rules:
        for m in rule.pattern.finditer(text):
            if m.end() > m.start() and free(m.start(), m.end()):
                out.append(Quantity(rule.kind, _value(rule, m, rules.fractions) if rule.value else None,
                                    m.start(), m.end(), rule.noise))
                taken.append((m.start(), m.end()))
    return tuple(sorted(out, key=lambda q: q.start))
