"""Routing: which cases a clinician reads, and why, in words.

A case is `approve` (criteria met, nothing uncertain), `request_documentation` (insufficient
documentation, nothing uncertain: the summary says what to ask the provider for) or
`clinical_review` (criteria not met, or anything the rules could not settle). A denial is a
clinician's decision: the tool never routes a case to one by itself.

What the rules can see of their own uncertainty is a reason (`review_reasons`, `criterion:code`),
each found by a detector registered here under its code; `patterns/reasons.json` says which
criteria each applies to, its words, and whether it is on, so an informaticist can tune them. The
margin of `near_threshold` is a criterion's `review_margin` in the policy.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

from pipeline.nlp.quantities import quantities
from pipeline.records import Mention
from pipeline.resources import default_patterns_dir
from pipeline.scoring.registry import CriterionResult, Indexed, affirmed, restated

ROUTES = ("approve", "request_documentation", "clinical_review")
ROUTING_COLUMNS = ("route", "review_reasons", "summary")  # after the contract's columns and the payer criteria's
# quantities a criterion's value could be written as (not noise: dates, doses, codes, counts)
_READABLE = {"odi": {"percent", "raw50", "per100", "decimal", "number", "points"},
             "trial": {"percent", "fraction"}}  # one pain score alone is no relief
# the notes where an unread number is about the criterion (any note for the ODI; a trial's own notes for relief)
_ABOUT = {"trial": "scs_trial"}
# a sentence whose number another treatment owns ("better than the epidural last summer (~40%)")
_OTHER_TREATMENT = {"trial": re.compile(r"\b(?:epidural|ESI|injections?|blocks?|RFA|ablation|TENS|chiro\w*|DRG|PNS|"
                                        r"massage|acupuncture|medications?|opioids?|oxycodone|hydrocodone|tramadol)\b",
                                        re.I)}
_TOLERANCE = {"odi": 2.0, "trial": 5.0}  # values closer than this agree


class Reason(NamedTuple):
    criterion: str
    code: str
    words: str
    evidence: frozenset  # indices of the mentions behind it


class ReasonRule(NamedTuple):
    code: str
    criteria: tuple
    enabled: bool
    words: str

    @classmethod
    def from_dict(cls, d: dict, source: str) -> "ReasonRule":
        unknown = set(d) - {"code", "criteria", "enabled", "words"}
        if unknown:
            raise ValueError(f"{source}: reason {d.get('code')!r} has unknown keys {sorted(unknown)}")
        if d.get("code") not in DETECTORS:
            raise ValueError(f"{source}: no detector for reason {d.get('code')!r}; known: {sorted(DETECTORS)}")
        return cls(d["code"], tuple(d.get("criteria", ())), bool(d.get("enabled", True)), str(d.get("words", "")))


# code -> detector(name, mentions, result, review_date, margin, threshold) -> [(fields for the words, evidence)]
Detector = Callable[[str, Indexed, CriterionResult, dt.date, float | None, float | None], list[tuple[dict, frozenset]]]
DETECTORS: dict[str, Detector] = {}


def detector(code: str):
    def deco(func: Detector) -> Detector:
        DETECTORS[code] = func
        return func
    return deco


@lru_cache(maxsize=4)
def load_reason_rules(patterns_dir: str | None = None) -> tuple[ReasonRule, ...]:
    path = Path(patterns_dir or default_patterns_dir()) / "reasons.json"
    if not path.exists():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(ReasonRule.from_dict(d, str(path)) for d in data.get("reasons", ()))


def _chosen(ms: Indexed, result: CriterionResult) -> Mention | None:
    """The mention the criterion's value came from (the latest of them)."""
    used = [m for i, m in ms if i in result.used]
    return max(used, key=lambda m: (m.note_date, m.start)) if used else None


def _valued(ms: Indexed, review_date: dt.date, labels: tuple) -> list[tuple[int, Mention]]:
    return [(i, m) for i, m in ms if m.label in labels and m.value is not None and affirmed(m, review_date)
            and not m.historical]


_VALUE_LABELS = {"odi": ("score", "cited", "corrected"), "trial": ("relief", "cited", "corrected")}


@detector("unread_number")
def unread_number(name, ms, result, review_date, margin, threshold):
    """A bare keyword whose sentence holds a number of a kind the value is written in, which no rule read."""
    chosen = _chosen(ms, result)
    valued = {(m.note_id, m.sentence) for _, m in ms if m.value is not None}
    found = []
    for i, m in ms:
        if m.label != "mention" or not affirmed(m, review_date) or m.historical or (m.note_id, m.sentence) in valued:
            continue
        if chosen is not None and m.note_date < chosen.note_date:
            continue  # older than the value read: it could not change it
        if name in _ABOUT and _ABOUT[name] not in m.note_classes:
            continue
        if name in _OTHER_TREATMENT and _OTHER_TREATMENT[name].search(m.sentence):
            continue
        if any(not q.noise and q.kind in _READABLE.get(name, ()) for q in quantities(m.sentence)):
            found.append((i, m))
    if not found:
        return []
    i, m = max(found, key=lambda im: (im[1].note_date, im[1].start))
    return [({"note_id": m.note_id, "date": m.note_date}, frozenset([i]))]


@detector("conflicting_values")
def conflicting_values(name, ms, result, review_date, margin, threshold):
    """Two visit notes of the chosen value's date that give values farther apart than the audit's tolerance."""
    chosen = _chosen(ms, result)
    if chosen is None or chosen.value is None:
        return []
    same_day = [(i, m) for i, m in _valued(ms, review_date, _VALUE_LABELS.get(name, ()))
                if m.note_date == chosen.note_date and not restated(m)]
    values = sorted({m.value for _, m in same_day})
    if len(values) < 2 or values[-1] - values[0] <= _TOLERANCE.get(name, 0.0):
        return []
    return [({"date": chosen.note_date, "values": ", ".join(f"{v:g}" for v in values)},
             frozenset(i for i, _ in same_day))]


@detector("near_threshold")
def near_threshold(name, ms, result, review_date, margin, threshold):
    value = next((v for k, v in result.columns.items() if k.endswith(("_score", "_pct", "_weeks"))
                  and isinstance(v, (int, float)) and v == v), None)
    if margin is None or threshold is None or value is None or abs(value - threshold) > margin:
        return []
    return [({"value": f"{value:g}", "margin": f"{margin:g}", "threshold": f"{threshold:g}"}, frozenset(result.used))]


@detector("restatement_only")
def restatement_only(name, ms, result, review_date, margin, threshold):
    """A status decided only by letters and forms (a value restated, with no visit note of it read)."""
    used = [m for i, m in ms if i in result.used]
    if not used or result.status == "insufficient" or not all(restated(m) for m in used):
        return []
    m = max(used, key=lambda m: (m.note_date, m.start))
    return [({"note_id": m.note_id, "date": m.note_date}, frozenset(result.used))]


@detector("restated_value_differs")
def restated_value_differs(name, ms, result, review_date, margin, threshold):
    chosen = _chosen(ms, result)
    if chosen is None or chosen.value is None or restated(chosen):
        return []
    others = [(i, m) for i, m in _valued(ms, review_date, _VALUE_LABELS.get(name, ()))
              if restated(m) and m.note_date >= chosen.note_date
              and abs(m.value - chosen.value) > _TOLERANCE.get(name, 0.0)]
    if not others:
        return []
    return [({"values": ", ".join(f"{m.value:g}" for _, m in others)}, frozenset(i for i, _ in others))]


@detector("superseded_trial")
def superseded_trial(name, ms, result, review_date, margin, threshold):
    earlier = [i for i, m in ms if m.label == "earlier_trial" and affirmed(m, review_date)]
    chosen = _chosen(ms, result)
    if not earlier or chosen is None or chosen.label == "earlier_trial":
        return []
    return [({}, frozenset(earlier))]


@detector("nonformal_only")
def nonformal_only(name, ms, result, review_date, margin, threshold):
    if result.status != "not_met" or any(m.label in ("pt_visit", "service_range", "stated_duration")
                                         for i, m in ms if i in result.used):
        return []
    used = frozenset(i for i, m in ms if i in result.used and m.label in ("nonformal", "telehealth"))
    return [({}, used)] if used else []


@detector("outcome_not_in_evaluation")
def outcome_not_in_evaluation(name, ms, result, review_date, margin, threshold):
    chosen = _chosen(ms, result)
    if chosen is None or chosen.label not in ("cleared", "not_cleared") or "psych_eval" in chosen.note_classes \
            or "restatement" in chosen.note_classes:
        return []
    return [({"note_id": chosen.note_id, "date": chosen.note_date}, frozenset(result.used))]


@detector("low_ocr_confidence")
def low_ocr_confidence(name, ms, result, review_date, margin, threshold):
    """A value read from a scanned page that OCR read with low confidence (note class `ocr_low_confidence`)."""
    used = [m for i, m in ms if i in result.used and "ocr_low_confidence" in m.note_classes]
    if not used:
        return []
    m = max(used, key=lambda m: (m.note_date, m.start))
    return [({"note_id": m.note_id, "date": m.note_date}, frozenset(result.used))]


class _Fields(dict):
    def __missing__(self, key):
        return "?"


def case_reasons(criteria: list[tuple[str, str, Indexed, CriterionResult, float | None, float | None]],
                 review_date: dt.date, patterns_dir: str | None = None) -> list[Reason]:
    """Every enabled reason for one case. `criteria`: (name, title, mentions, result, margin, threshold)."""
    out = []
    for name, title, ms, result, margin, threshold in criteria:
        for rule in load_reason_rules(patterns_dir):
            if not rule.enabled or name not in rule.criteria:
                continue
            for fields, evidence in DETECTORS[rule.code](name, ms, result, review_date, margin, threshold):
                out.append(Reason(name, rule.code, rule.words.format_map(_Fields(title=title, **fields)), evidence))
    return out


def route(determination: str, reasons: list[Reason]) -> str:
    if determination == "criteria_not_met" or reasons:
        return "clinical_review"
    return "request_documentation" if determination == "insufficient_documentation" else "approve"


_STATUS_WORDS = {"not_met": "not met", "insufficient": "not documented"}


def _shown(v) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return f"{v:g}" if isinstance(v, (int, float)) else str(v).replace("_", " ")


def summary(criteria: list[tuple[str, str, Indexed, CriterionResult, str, str | None]], reasons: list[Reason]) -> str:
    """One plain sentence per criterion that is not met or not documented, and one per reason: what it rests on,
    citing the note and date. `criteria`: (name, title, mentions, result, requirement in words, value column)."""
    sentences = []
    for name, title, ms, result, requirement, column in criteria:
        if result.status in _STATUS_WORDS:
            used = sorted((m for i, m in ms if i in result.used), key=lambda m: (m.note_date, m.start))
            cite = f" (note {used[-1].note_id} of {used[-1].note_date.isoformat()})" if used else ""
            value = _shown(result.columns.get(column)) if column else None
            what = f"{value}{cite}" if value is not None else ("nothing that counts" + cite if used else
                                                               "nothing found")
            sentences.append(f"{title} {_STATUS_WORDS[result.status]}: {what}; required: {requirement}.")
    for r in reasons:
        sentences.append(f"{r.criterion}: {r.words}.")
    return " ".join(sentences)
