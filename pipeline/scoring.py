"""The criteria scorer: from a patient's mentions to one review row, and which mentions it used.

Each criterion scorer is a registered function with default parameters; the
policy file picks scorers and overrides parameters. Choosing among mentions
follows the review contract: the most recent ODI on or before the review date,
the most recent SCS trial, PT inside the look-back window, the most recent
psychological evaluation outcome.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, NamedTuple, Sequence

from dateutil.relativedelta import relativedelta

from .records import Mention

STATUSES = ("met", "not_met", "insufficient")
DETERMINATIONS = ("criteria_met", "criteria_not_met", "insufficient_documentation")
PSYCH_CLEARANCE = ("cleared", "not_cleared", "pending", "none_found")

REVIEW_COLUMNS = [
    "patient_id", "review_date", "indication_status",
    "odi_score", "odi_date", "odi_note_id", "odi_status",
    "trial_relief_pct", "trial_note_id", "trial_status",
    "pt_weeks", "pt_first_date", "pt_last_date", "pt_status",
    "psych_clearance", "psych_note_id", "psych_status",
    "determination", "missing",
]

Indexed = Sequence[tuple[int, Mention]]


class CriterionResult(NamedTuple):
    status: str
    columns: dict
    used: frozenset  # indices of the mentions the value came from


class Scorer(NamedTuple):
    func: Callable[[Indexed, dt.date, dict, str], CriterionResult]
    params: dict


SCORERS: dict[str, Scorer] = {}


def scorer(name: str, **params):
    """Register a criterion scorer under `name` with its default parameters."""
    def deco(func):
        SCORERS[name] = Scorer(func, params)
        return func
    return deco


def affirmed(m: Mention, on_or_before: dt.date) -> bool:
    """Documentation that counts: not negated, planned, hypothetical or about a family member, and not after review."""
    return not (m.negated or m.hypothetical or m.family) and m.note_date <= on_or_before


def _latest(items: Indexed) -> tuple[int, Mention]:
    return max(items, key=lambda im: (im[1].note_date, -im[1].start))


def latest_against(found: Indexed, minimum: float, name: str, columns) -> CriterionResult:
    """The most recent valued mention held against `minimum`; `columns(m)` gives its review columns
    (`columns(None)` the empty ones when nothing was found)."""
    if not found:
        return CriterionResult("insufficient", {**columns(None), f"{name}_status": "insufficient"}, frozenset())
    i, m = _latest(found)
    status = "met" if m.value >= minimum else "not_met"
    return CriterionResult(status, {**columns(m), f"{name}_status": status}, frozenset([i]))


@scorer("indication")
def score_indication(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    found = [(i, m) for i, m in ms if m.label in ("syndrome", "surgery_with_pain") and affirmed(m, review_date)]
    if not found:
        return CriterionResult("insufficient", {f"{name}_status": "insufficient"}, frozenset())
    i, _ = _latest(found)
    return CriterionResult("met", {f"{name}_status": "met"}, frozenset([i]))


@scorer("odi", min_score=21)
def score_odi(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    found = [(i, m) for i, m in ms if m.label == "score" and m.value is not None and affirmed(m, review_date)]
    return latest_against(found, p["min_score"], name, lambda m: {
        "odi_score": m and m.value, "odi_date": m and m.note_date, "odi_note_id": m and m.note_id})


@scorer("trial_relief", min_relief_pct=50)
def score_trial(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    found = [(i, m) for i, m in ms if m.label == "relief" and m.value is not None
             and affirmed(m, review_date) and not m.historical]
    return latest_against(found, p["min_relief_pct"], name, lambda m: {
        "trial_relief_pct": m and m.value, "trial_note_id": m and m.note_id})


FORMAL_PT = ("pt_visit", "service_range", "stated_duration")


@scorer("physical_therapy", min_weeks=6, window_months=12)
def score_pt(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    window_start = review_date - relativedelta(months=int(p["window_months"]))
    in_window = lambda d: d is not None and window_start <= d <= review_date  # noqa: E731
    formal = [(i, m) for i, m in ms if m.label in FORMAL_PT + ("mention",) and affirmed(m, review_date)]
    days, used = [], set()
    for i, m in formal:
        if m.label == "pt_visit" and in_window(m.date):
            days.append(m.date)
            used.add(i)
        elif m.label == "service_range" and m.date <= review_date and m.date_end >= window_start:
            days += [max(m.date, window_start), min(m.date_end, review_date)]
            used.add(i)
    empty = {"pt_weeks": None, "pt_first_date": None, "pt_last_date": None}
    if days:
        first, last = min(days), max(days)
        weeks = round((last - first).days / 7, 1)
        status = "met" if weeks >= p["min_weeks"] else "not_met"
        return CriterionResult(status, {"pt_weeks": weeks, "pt_first_date": first, "pt_last_date": last,
                                        f"{name}_status": status}, frozenset(used))
    stated = [(i, m) for i, m in formal if m.label == "stated_duration" and in_window(m.date)]
    if stated:
        i, m = _latest(stated)
        status = "met" if m.value >= p["min_weeks"] else "not_met"
        return CriterionResult(status, {**empty, "pt_weeks": m.value, f"{name}_status": status}, frozenset([i]))
    older = [(i, m) for i, m in formal if m.date is not None and m.date < window_start
             and (m.label in FORMAL_PT or m.label == "mention")]
    nonformal = [(i, m) for i, m in ms if m.label == "nonformal" and affirmed(m, review_date)]
    if older or nonformal:
        return CriterionResult("not_met", {**empty, f"{name}_status": "not_met"},
                               frozenset(i for i, _ in older + nonformal))
    return CriterionResult("insufficient", {**empty, f"{name}_status": "insufficient"}, frozenset())


@scorer("psych_clearance")
def score_psych(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    usable = [(i, m) for i, m in ms if not m.family and m.note_date <= review_date]
    outcomes = [(i, m) for i, m in usable if m.label in ("cleared", "not_cleared")]
    if outcomes:
        # the most recent evaluation; its own note wins over a later note that points back to it
        i, m = max(outcomes, key=lambda im: (im[1].date or im[1].note_date, "psych_eval" in im[1].note_classes,
                                             -im[1].note_date.toordinal(), im[1].start))
        status = "met" if m.label == "cleared" else "not_met"
        return CriterionResult(status, {"psych_clearance": m.label, "psych_note_id": m.note_id,
                                        f"{name}_status": status}, frozenset([i]))
    pending = [(i, m) for i, m in usable if m.label == "pending"]
    if pending:
        i, m = _latest(pending)
        return CriterionResult("insufficient", {"psych_clearance": "pending", "psych_note_id": m.note_id,
                                                f"{name}_status": "insufficient"}, frozenset([i]))
    return CriterionResult("insufficient", {"psych_clearance": "none_found", "psych_note_id": None,
                                            f"{name}_status": "insufficient"}, frozenset())


def determination(statuses: Sequence[str]) -> str:
    if "not_met" in statuses:
        return "criteria_not_met"
    if "insufficient" in statuses:
        return "insufficient_documentation"
    return "criteria_met"


def score_patient(patient_id: str, review_date: dt.date, mentions: Sequence[Mention], policy) -> tuple[dict, set]:
    """One review row for a patient, and the indices (into `mentions`) of the mentions it used."""
    by_criterion: dict[str, list] = {}
    for i, m in enumerate(mentions):
        by_criterion.setdefault(m.criterion, []).append((i, m))
    row = {"patient_id": patient_id, "review_date": review_date}
    statuses, missing, used = [], [], set()
    for c in policy.criteria:
        result = SCORERS[c.scorer].func(by_criterion.get(c.name, []), review_date, c.params, c.name)
        row.update(result.columns)
        statuses.append(result.status)
        used |= result.used
        if result.status == "insufficient":
            missing.append(c.name)
    row["determination"] = determination(statuses)
    row["missing"] = ";".join(missing)
    return row, used


from . import payer_criteria  # noqa: E402,F401  (registers the payer policies' scorers and any_of)
