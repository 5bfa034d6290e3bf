"""Criterion scorers that payer policies add to the default five, and `any_of`.

Registered like the contract's scorers (scoring/scorers.py imports both), so a
policy YAML names them and sets their thresholds; none of them needs a code
change for a new policy.

| scorer | reads criterion | columns | parameters |
|---|---|---|---|
| trial_length | trial_length | trial_length_days, trial_length_note_id | min_days, more_than_days, max_days |
| conservative_therapy | conservative | conservative_months, conservative_note_id | min_months |
| analgesic_reduction | trial | analgesic_reduction_pct, analgesic_note_id | min_reduction_pct |
| substance_use | substance_use | substance_use_finding, substance_use_note_id | (none) |
| any_of | its own name | every component's columns, `<scorer>_status` per component | of: [scorers], their parameters |

Each writes `<criterion name>_status` too, and the same columns whatever it finds,
so that a reader can ask a scorer for its columns by scoring no mentions.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pipeline.errors import PolicyError
from pipeline.scoring.registry import (SCORERS, CriterionResult, Facts, Indexed, Scorer, _latest, affirmed,
                                       latest_against, scorer)

NA = float("nan")  # a missing number: keeps the review's numeric columns float whatever the cases hold


# --- trial length -------------------------------------------------------------------------------------------

@scorer("trial_length", Facts(columns=("trial_length_days", "trial_length_note_id")), min_days=0, more_than_days=0, max_days=float("inf"))
def score_trial_length(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    """Days of the most recent SCS trial: met when min_days <= days, days > more_than_days and days <= max_days.

    The latest note that states a length is the most recent trial; within it the longest length wins
    ("day 3" and "day 7" of the same trial: 7). Planned ("Plan: 7-day trial") and earlier trials do not count.
    """
    found = [(i, m) for i, m in ms if m.label == "length" and m.value is not None
             and affirmed(m, review_date) and not m.historical]
    if not found:
        return CriterionResult("insufficient", {"trial_length_days": NA, "trial_length_note_id": None,
                                                f"{name}_status": "insufficient"}, frozenset())
    last = max(m.note_date for _, m in found)
    i, m = max(((i, m) for i, m in found if m.note_date == last), key=lambda im: (im[1].value, -im[1].start))
    ok = p["min_days"] <= m.value <= p["max_days"] and m.value > p["more_than_days"]
    status = "met" if ok else "not_met"
    return CriterionResult(status, {"trial_length_days": m.value, "trial_length_note_id": m.note_id,
                                    f"{name}_status": status}, frozenset([i]))


# --- conservative therapy -----------------------------------------------------------------------------------

@scorer("conservative_therapy", Facts(columns=("conservative_months", "conservative_note_id")), min_months=6)
def score_conservative(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    """Months of failed conservative care: the longest documented duration on or before the review date.

    A shorter documented duration is not_met (as PT shorter than required is). With min_months 0 ("other
    treatments tried and failed", no length required) a mention without a duration is enough.
    """
    found = [(i, m) for i, m in ms if m.label in ("duration", "mention") and affirmed(m, review_date)]
    timed = [(i, m) for i, m in found if m.label == "duration" and m.value is not None]
    if timed:
        i, m = max(timed, key=lambda im: (im[1].value, im[1].note_date))
        status = "met" if m.value >= p["min_months"] else "not_met"
        return CriterionResult(status, {"conservative_months": m.value, "conservative_note_id": m.note_id,
                                        f"{name}_status": status}, frozenset([i]))
    if found and p["min_months"] <= 0:
        i, m = _latest(found)
        return CriterionResult("met", {"conservative_months": NA, "conservative_note_id": m.note_id,
                                       f"{name}_status": "met"}, frozenset([i]))
    return CriterionResult("insufficient", {"conservative_months": NA, "conservative_note_id": None,
                                            f"{name}_status": "insufficient"}, frozenset())


# --- analgesic reduction during the trial -------------------------------------------------------------------

@scorer("analgesic_reduction", Facts(columns=("analgesic_reduction_pct", "analgesic_note_id")),
        min_reduction_pct=50)
def score_analgesic(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    """Percent less analgesic used during the most recent SCS trial (the latest note that states it)."""
    found = [(i, m) for i, m in ms if m.label == "analgesic_reduction" and m.value is not None
             and affirmed(m, review_date) and not m.historical]
    return latest_against(found, p["min_reduction_pct"], name, lambda m: {
        "analgesic_reduction_pct": m.value if m else NA, "analgesic_note_id": m and m.note_id})


# --- substance use disorder ---------------------------------------------------------------------------------

SUD_FINDINGS = ("no_sud", "treated", "untreated", "unclear", "none_found")
_SUD_RANK = {"untreated": 3, "treated": 2, "unclear": 1, "no_sud": 0}


@scorer("substance_use", Facts(columns=("substance_use_finding", "substance_use_note_id")))
def score_substance_use(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    """No untreated substance use disorder: the most recent note that speaks of it decides.

    met: no SUD documented as absent ("no substance use disorder", "no drug use") or treated / in
    remission; not_met: active or untreated; insufficient: an SUD whose treatment is not stated, or
    nothing found. Within one note an untreated finding outweighs the others. Family history and
    planned screening never count; a negated mention is the documented absence.
    """
    found = [(i, m) for i, m in ms if m.label in _SUD_RANK and not (m.family or m.hypothetical)
             and m.note_date <= review_date]
    if not found:
        return CriterionResult("insufficient", {"substance_use_finding": "none_found", "substance_use_note_id": None,
                                                f"{name}_status": "insufficient"}, frozenset())
    last = max(m.note_date for _, m in found)
    i, m = max(((i, m) for i, m in found if m.note_date == last),
               key=lambda im: (_SUD_RANK[im[1].label], -im[1].start))
    status = {"no_sud": "met", "treated": "met", "untreated": "not_met"}.get(m.label, "insufficient")
    return CriterionResult(status, {"substance_use_finding": m.label, "substance_use_note_id": m.note_id,
                                    f"{name}_status": status}, frozenset([i]))


# --- any_of: an OR between scorers on one criterion's evidence ----------------------------------------------

class _AnyOfParams(Mapping):
    """any_of's parameters: `of`, plus every parameter of the other registered scorers.

    Read each time a policy is loaded, so a scorer registered later can be combined too; the
    component scorers take from them the parameters they declare.
    """

    def _all(self) -> dict:
        out: dict = {"of": ()}
        for key, s in SCORERS.items():
            if key != "any_of":
                for k, v in s.params.items():
                    out.setdefault(k, v)
        return out

    def __getitem__(self, key):
        return self._all()[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def score_any_of(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    """Met when any component scorer is met; else insufficient when any is; else not_met.

    Every component runs on this criterion's mentions with its own parameters and writes its own
    columns, its status as `<scorer>_status`; this criterion's status is the OR. The evidence used is
    that of the met components (all components' when none is met).
    """
    of = tuple(p.get("of") or ())
    if not of:
        raise PolicyError(f"criterion {name!r}: any_of needs 'of', a list of scorer names")
    results = []
    for key in of:
        comp = SCORERS.get(key)
        if comp is None or key == "any_of":
            raise PolicyError(f"criterion {name!r}: any_of: unknown scorer {key!r}; "
                              f"known: {', '.join(sorted(k for k in SCORERS if k != 'any_of'))}")
        params = {k: p.get(k, v) for k, v in comp.params.items()}
        results.append(comp.func(ms, review_date, params, key))
    statuses = [r.status for r in results]
    status = "met" if "met" in statuses else "insufficient" if "insufficient" in statuses else "not_met"
    columns: dict = {}
    used: set = set()
    for r in results:
        columns.update(r.columns)
        if status != "met" or r.status == "met":
            used |= r.used
    columns[f"{name}_status"] = status
    return CriterionResult(status, columns, frozenset(used))


SCORERS["any_of"] = Scorer(score_any_of, _AnyOfParams())
