"""The scorer registry: each criterion scorer with its default parameters and its declared facts.

A criterion's facts (its review columns, the evidence labels that count, the ConText flags that
exclude a mention, its requirement in words) are declared once, where its scorer is registered,
the way spaCy's `Language.factory` declares `assigns`/`requires`; the tables, the report, the
audit and FHIR read them from here.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, NamedTuple, Sequence

from pipeline.records import Mention

ALL_FLAGS = ("negated", "hypothetical", "historical", "family")
NOT_AFFIRMED = ("negated", "hypothetical", "family")


def _number(v) -> str:
    f = float(v)
    return f"{f:.2f}".rstrip("0").rstrip(".")


class Facts(NamedTuple):
    """What a scorer's criterion is, for every reader of its output."""
    criterion: str = ""            # the review columns' prefix ("odi", "trial", ...); "" = the policy's name
    title: str = ""                # the criterion's name on the page
    columns: tuple = ()            # the value columns it writes beside `<criterion>_status`, in table order
    display: dict = {}             # column -> (label, unit) on the page
    tolerance: dict = {}           # numeric column -> the audit's tolerance
    counts: tuple = ()             # evidence labels that can count as documentation
    excluded_by: tuple = ALL_FLAGS  # ConText flags that keep a mention from counting
    requirement: Callable[[dict], str] | None = None  # the requirement in words, from the parameters


Indexed = Sequence[tuple[int, Mention]]


class CriterionResult(NamedTuple):
    status: str
    columns: dict
    used: frozenset  # indices of the mentions the value came from


class Scorer(NamedTuple):
    func: Callable[[Indexed, dt.date, dict, str], CriterionResult]
    params: dict
    facts: Facts = Facts()


SCORERS: dict[str, Scorer] = {}


NO_FACTS = Facts()


def scorer(name: str, facts: Facts = NO_FACTS, **params):
    """Register a criterion scorer under `name` with its facts and default parameters."""
    def deco(func):
        SCORERS[name] = Scorer(func, params, facts)
        return func
    return deco


def affirmed(m: Mention, on_or_before: dt.date) -> bool:
    """Documentation that counts: not negated, planned, hypothetical or about a family member, and not after review."""
    return not (m.negated or m.hypothetical or m.family) and m.note_date <= on_or_before


def _latest(items: Indexed, when=None) -> tuple[int, Mention]:
    """The most recent item: by `when(m)`, the date its value was taken (default: its note's date)."""
    when = when or (lambda m: m.note_date)
    return max(items, key=lambda im: (when(im[1]), -im[1].start))


def source_of(found: Indexed, chosen: tuple[int, Mention]) -> tuple[int, Mention]:
    """The note a value was first written in: a summary, letter or form that restates the value of an earlier
    note gives way to that note (its date and note id count). Followed back while the value stays the same:
    the earliest of the run of equal values that ends with `chosen` (a different value between them ends it)."""
    ordered = sorted(found, key=lambda im: (im[1].note_date, -im[1].start))
    k = next(n for n, im in enumerate(ordered) if im[0] == chosen[0])
    while k > 0 and ordered[k - 1][1].note_date < ordered[k][1].note_date \
            and abs(ordered[k - 1][1].value - chosen[1].value) < 0.05:
        k -= 1
    return ordered[k]


def restated(m: Mention) -> bool:
    """A value written by a letter, form or summary (note class `restatement`), or cited from the visit that
    measured it ("ODI 48% (PT intake)"): the visit's own note is its source."""
    return "restatement" in m.note_classes or m.label == "cited"


def without_withdrawn(found: Indexed, ms: Indexed, review_date: dt.date) -> Indexed:
    """The values an addendum withdrew ("relief previously documented as 45% was entered in error") no longer
    count, in its note or an earlier one; the value an addendum gives (label `corrected`) is its note's."""
    gone = [(m.note_date, m.value) for _, m in ms if m.label == "withdrawn" and m.value is not None
            and affirmed(m, review_date)]
    fixed = {m.note_id for _, m in ms if m.label == "corrected" and m.value is not None and affirmed(m, review_date)}
    return [(i, m) for i, m in found if not any(m.note_date <= d and abs(m.value - v) < 0.05 for d, v in gone)
            and (m.label == "corrected" or m.note_id not in fixed)]


def latest_against(found: Indexed, minimum: float, name: str, columns, when=None) -> CriterionResult:
    """The most recent valued mention held against `minimum`; `columns(m)` gives its review columns
    (`columns(None)` the empty ones when nothing was found). `when(m)`: the date a value was taken
    (default: its note's date)."""
    if not found:
        return CriterionResult("insufficient", {**columns(None), f"{name}_status": "insufficient"}, frozenset())
    i, m = source_of(found, _latest(found, when))
    status = "met" if m.value >= minimum else "not_met"
    return CriterionResult(status, {**columns(m), f"{name}_status": status}, frozenset([i]))


def scorer_columns(scorer_name: str, params: dict, criterion: str) -> list[str]:
    """The review columns a scorer writes for a criterion: its declared value columns, then its status;
    a combination (any_of) writes every component's columns and statuses."""
    if isinstance(params.get("of"), (list, tuple)):
        out: list[str] = []
        for sub in params["of"]:
            out += [c for c in scorer_columns(sub, {}, sub) if c not in out]
        return out + [f"{criterion}_status"]
    return [*SCORERS[scorer_name].facts.columns, f"{criterion}_status"]
