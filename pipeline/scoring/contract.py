"""The criteria scorer: from a patient's mentions to one review row, and which mentions it used.

Each criterion scorer is a registered function with default parameters; the
policy file picks scorers and overrides parameters. Choosing among mentions
follows the review contract: the most recent ODI on or before the review date,
the most recent SCS trial, PT inside the look-back window, the most recent
psychological evaluation outcome.
"""
from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta

from pipeline.extract.pt import IN_PERSON, MODE_CELL
from pipeline.io.dates import find_dates
from pipeline.records import Mention
from pipeline.scoring.registry import (ALL_FLAGS, NOT_AFFIRMED, SCORERS, CriterionResult, Facts, Indexed, _latest, _number,
                                       affirmed, latest_against, restated, scorer, without_withdrawn)

STATUSES = ("met", "not_met", "insufficient")
DETERMINATIONS = ("criteria_met", "criteria_not_met", "insufficient_documentation")
PSYCH_CLEARANCE = ("cleared", "not_cleared", "pending", "none_found")

NOTE = ("note", "")

def sources_first(found: Indexed) -> Indexed:
    """The values written in visit notes when there are any: a letter, request form or summary restates them
    (note class `restatement`) and never wins over its source, also when it copies the value wrongly."""
    return [(i, m) for i, m in found if not restated(m)] or found


_TICKED = re.compile(r"☒|☑|\[[xX✓✔]\]|\([xX✓✔]\)")


def _new_outcomes(found: Indexed, kept: Indexed) -> Indexed:
    """An evaluator's own letter that gives a new outcome, later than every outcome of the visit notes ("I
    re-evaluated him on 01/16/2024 ... he is cleared" after an old "not a candidate"): no source restated, and no
    outcome of an evaluation it dates to before the last one."""
    if not kept or len(kept) == len(found):
        return []
    last = max(m.note_date for _, m in kept)
    labels = {m.label for _, m in kept if m.note_date == last}
    return [(i, m) for i, m in found if "restatement" in m.note_classes and "psych_eval" in m.note_classes
            and "copied_forward" not in m.note_classes and m.note_date > last and m.label not in labels
            and m.label in ("cleared", "not_cleared", "conditional")
            and not any(d.date <= last for d in find_dates(m.sentence, m.note_date))  # ("clearance on 05/02/2025")
            and not _TICKED.search(m.sentence)]  # a form's ticked box restates ("Psych clearance: [X] attached")


@scorer("indication", Facts(
    "indication", "Indication", counts=("syndrome", "surgery_with_pain"), excluded_by=NOT_AFFIRMED,
    requirement=lambda p: "FBSS / post-laminectomy syndrome, or spine surgery with persistent pain, documented"))
def score_indication(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    withdrawn = [m.note_date for _, m in ms if m.label == "withdrawn" and m.note_date <= review_date
                 and not (m.negated or m.family)]  # ("Correction to auth request: M96.1 was entered in error")
    found = [(i, m) for i, m in ms if m.label in ("syndrome", "surgery_with_pain") and affirmed(m, review_date)
             and not (m.label == "syndrome" and any(m.note_date <= d for d in withdrawn))]  # a code entered in error
    no_surgery = any(m.label == "surgery" and m.negated and not restated(m) and m.note_date <= review_date
                     and not m.family for _, m in ms)
    if no_surgery and all(restated(m) for _, m in found):
        found = []  # a letter or summary's diagnosis against the visit notes' "no prior spine surgery"
    if not found:
        return CriterionResult("insufficient", {f"{name}_status": "insufficient"}, frozenset())
    i, _ = _latest(found)
    return CriterionResult("met", {f"{name}_status": "met"}, frozenset([i]))


@scorer("odi", Facts(
    "odi", "ODI", ("odi_score", "odi_date", "odi_note_id"),
    {"odi_score": ("score", " %"), "odi_date": ("date", ""), "odi_note_id": NOTE}, {"odi_score": 1.0},
    ("score", "cited", "corrected"), NOT_AFFIRMED,
    lambda p: f"ODI \u2265 {_number(p['min_score'])} %, the most recent on or before the review date"), min_score=21)
def score_odi(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    found = sources_first(without_withdrawn([(i, m) for i, m in ms if m.label in ("score", "cited", "corrected")
                                             and m.value is not None
                                             and affirmed(m, review_date)], ms, review_date))
    # a score written with the date it was taken ("ODI score: 46 %  Date: 04/08/24" on a form) is as old as that
    return latest_against(found, p["min_score"], name, lambda m: {
        "odi_score": m and m.value, "odi_date": m and m.note_date, "odi_note_id": m and m.note_id},
        when=lambda m: min(m.date or m.note_date, m.note_date))


@scorer("trial_relief", Facts(
    "trial", "SCS trial", ("trial_relief_pct", "trial_note_id"),
    {"trial_relief_pct": ("relief", " %"), "trial_note_id": NOTE}, {"trial_relief_pct": 1.0},
    ("relief", "cited", "corrected", "earlier_trial"), ALL_FLAGS,
    lambda p: f"pain relief \u2265 {_number(p['min_relief_pct'])} % in the most recent SCS trial, as a number"),
    min_relief_pct=50)
def score_trial(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    usable = without_withdrawn([(i, m) for i, m in ms if m.value is not None and affirmed(m, review_date)
                                and not m.historical], ms, review_date)
    # the most recent trial: a first or failed trial counts only when no other trial's relief is written
    found = [(i, m) for i, m in usable if m.label in ("relief", "cited", "corrected")] or [(i, m) for i, m in usable
                                                                 if m.label == "earlier_trial"]
    aborted = [(i, m) for i, m in ms if m.label == "aborted_trial" and affirmed(m, review_date)]
    if aborted and found:  # the most recent trial ended before its result could be told: no result for it
        i_a, last_aborted = _latest(aborted)
        if last_aborted.note_date > max(m.note_date for _, m in sources_first(found)):
            found = []
    return latest_against(sources_first(found), p["min_relief_pct"], name, lambda m: {
        "trial_relief_pct": m and m.value, "trial_note_id": m and m.note_id})


FORMAL_PT = ("pt_visit", "service_range", "stated_duration")


def _service_days(found: Indexed, window_start: dt.date, review_date: dt.date) -> tuple[list, set]:
    """The dates of service inside the window (a span's ends, clipped to it), and the mentions that gave them.

    A note that states its span of service was written at or after its end: its own date, after the span, is
    the summary's, not a visit's."""
    spans = {}
    for _, m in found:
        if m.label == "service_range":
            spans[m.note_id] = max(spans.get(m.note_id, m.date_end), m.date_end)
    days, used = [], set()
    for i, m in found:
        if m.label == "pt_visit" and m.date == m.note_date and m.note_id in spans and spans[m.note_id] < m.date:
            continue
        if m.label == "pt_visit" and window_start <= m.date <= review_date:
            days.append(m.date)
            used.add(i)
        elif m.label == "service_range" and m.date <= review_date and m.date_end >= window_start:
            days += [max(m.date, window_start), min(m.date_end, review_date)]
            used.add(i)
    return days, used




def _in_person(found: Indexed, ms: Indexed, review_date: dt.date, cut: bool = True) -> Indexed:
    """A span of an episode that began by video is none in person; one that went on by video ("2024-03-04 to
    2024-05-20" when the visit log shows the visits from 04/11 by video) is not all in person: the visits' own
    dates say which were, else (`cut`) the span ends before the first video visit."""
    video = sorted({m.date for _, m in ms if m.label == "telehealth" and m.date is not None
                    and affirmed(m, review_date)})
    if not video:
        return found
    logged = {m.date for _, m in ms if m.label == "telehealth" and MODE_CELL.match(m.sentence)}  # a log's "11/18 video"
    visits = any(m.label == "pt_visit" for _, m in found)
    out = []
    for i, m in found:
        if m.label == "pt_visit" and m.date in logged and not IN_PERSON.search(m.sentence):
            continue  # a day the visit log gives as by video ("11/18 video"), written again as the discharge's date
        inside = [d for d in video if m.date < d <= m.date_end] if m.label == "service_range" else []
        if m.label == "service_range" and m.date in video:
            continue  # an episode that began by video
        if not inside or not cut:
            out.append((i, m))
        elif not visits:
            out.append((i, m._replace(date_end=inside[0] - dt.timedelta(days=1))))
    return out


@scorer("physical_therapy", Facts(
    "pt", "Physical therapy", ("pt_weeks", "pt_first_date", "pt_last_date"),
    {"pt_weeks": ("weeks", " weeks"), "pt_first_date": ("first date", ""), "pt_last_date": ("last date", "")},
    {"pt_weeks": 1.0}, (*FORMAL_PT, "mention", "nonformal", "telehealth"), NOT_AFFIRMED,
    lambda p: (f"\u2265 {_number(p['min_weeks'])} weeks of formal in-person PT within "
               f"{_number(p['window_months'])} months before the review date")), min_weeks=6, window_months=12)
def score_pt(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    window_start = review_date - relativedelta(months=int(p["window_months"]))
    in_window = lambda d: d is not None and window_start <= d <= review_date  # noqa: E731
    formal = [(i, m) for i, m in ms if m.label in FORMAL_PT + ("mention",) and affirmed(m, review_date)]
    # the visits' own records over a letter or form that restates the course, unless they date no course
    every = [(i, m) for i, m in formal if m.label in FORMAL_PT]
    counted = sources_first(every)
    if counted and all("restatement" in m.note_classes for _, m in counted) and any(
            m.label == "telehealth" and "restatement" not in m.note_classes and affirmed(m, review_date)
            and in_window(m.date) for _, m in ms):
        every = counted = []  # a form or letter's course that the visits' own records show was given by video
    counted = _in_person(counted, ms, review_date)
    days, used = _service_days(counted, window_start, review_date)
    if len(set(days)) < 2 and counted != every:
        counted = _in_person(every, ms, review_date)
        days, used = _service_days(counted, window_start, review_date)
    empty = {"pt_weeks": None, "pt_first_date": None, "pt_last_date": None}
    stated = [(i, m) for i, m in counted if m.label == "stated_duration" and in_window(m.date)]
    if stated and len(set(days)) < 2 and any(m.label == "telehealth" and "pt_visit" in m.note_classes and not restated(m)
                                   and in_window(m.date) and affirmed(m, review_date) for _, m in ms):
        stated = []  # a course's length with no date, where the visits' own notes in the window were by video
    # one date of service measures no course: a course's stated length says more (a therapist's letter of its date)
    if days and (min(days) < max(days) or not stated):
        first, last = min(days), max(days)
        weeks = round((last - first).days / 7, 1)
        status = "met" if weeks >= p["min_weeks"] else "not_met"
        return CriterionResult(status, {"pt_weeks": weeks, "pt_first_date": first, "pt_last_date": last,
                                        f"{name}_status": status}, frozenset(used))
    if stated:
        i, m = _latest(stated)
        status = "met" if m.value >= p["min_weeks"] else "not_met"
        return CriterionResult(status, {**empty, "pt_weeks": m.value, f"{name}_status": status}, frozenset([i]))
    older = [(i, m) for i, m in formal if m.date is not None and m.date < window_start
             and (m.label in FORMAL_PT or m.label == "mention")]
    nonformal = [(i, m) for i, m in ms if m.label in ("nonformal", "telehealth") and affirmed(m, review_date)]
    if older or nonformal:
        return CriterionResult("not_met", {**empty, f"{name}_status": "not_met"},
                               frozenset(i for i, _ in older + nonformal))
    return CriterionResult("insufficient", {**empty, f"{name}_status": "insufficient"}, frozenset())


def _reported(m: Mention, outcomes: Indexed) -> dt.date:
    """When an outcome was decided: its evaluation's date; for a note other than an evaluation that states the
    same outcome as the latest evaluation before it, that evaluation's date (it reports, it does not re-decide)."""
    when = m.date or m.note_date
    if "psych_eval" in m.note_classes:
        return when
    earlier = [e for _, e in outcomes if "psych_eval" in e.note_classes and (e.date or e.note_date) <= when]
    if earlier:
        last = max(earlier, key=lambda e: (e.date or e.note_date, e.start))
        if last.label == m.label:
            return last.date or last.note_date
    return when


@scorer("psych_clearance", Facts(
    "psych", "Psych clearance", ("psych_clearance", "psych_note_id"),
    {"psych_clearance": ("clearance", ""), "psych_note_id": NOTE}, {}, ("cleared", "not_cleared", "conditional", "pending"),
    ("family",), lambda p: "psychological evaluation for SCS with clearance"))
def score_psych(ms: Indexed, review_date: dt.date, p: dict, name: str) -> CriterionResult:
    usable = [(i, m) for i, m in ms if not m.family and m.note_date <= review_date]
    # an outcome in a policy's list is a requirement; a letter or form that restates one gives way to the evaluation
    # (a conditional clearance speaks of what must still happen: "must complete six sessions" does not make it hypothetical)
    found = [(i, m) for i, m in usable if m.label in ("cleared", "not_cleared", "conditional")
             and (not m.hypothetical or m.label == "conditional")]
    outcomes = sources_first(found)
    outcomes = outcomes + _new_outcomes(found, outcomes)
    if outcomes:
        # the most recent evaluation; its own note wins over a later note that points back to it, and a note
        # that reports the same outcome as the evaluation before it ("psych did not clear him") reports that one
        i, m = max(outcomes, key=lambda im: (_reported(im[1], outcomes), "psych_eval" in im[1].note_classes,
                                             -im[1].note_date.toordinal(), im[1].start))
        settled = [(k, o) for k, o in outcomes if m.label == "conditional" and o.label != "conditional"
                   and o.note_date > m.note_date and _reported(o, outcomes) >= _reported(m, outcomes)]
        if settled:  # a later note that settles the condition ("the condition ... is satisfied; clearance is final")
            i, m = max(settled, key=lambda im: (im[1].note_date, im[1].start))
        if m.label == "conditional":  # cleared once a condition is met that no later note documents: pending
            return CriterionResult("insufficient", {"psych_clearance": "pending", "psych_note_id": m.note_id,
                                                    f"{name}_status": "insufficient"}, frozenset([i]))
        status = "met" if m.label == "cleared" else "not_met"
        return CriterionResult(status, {"psych_clearance": m.label, "psych_note_id": m.note_id,
                                        f"{name}_status": status}, frozenset([i]))
    asked = [(i, m) for i, m in usable if m.label in ("pending", "declined")]
    i, m = _latest(asked) if asked else (None, None)
    if m is not None and m.label == "pending":  # an evaluation the patient then declined is not coming
        return CriterionResult("insufficient", {"psych_clearance": "pending", "psych_note_id": m.note_id,
                                                f"{name}_status": "insufficient"}, frozenset([i]))
    return CriterionResult("insufficient", {"psych_clearance": "none_found", "psych_note_id": None,
                                            f"{name}_status": "insufficient"}, frozenset())


CONTRACT_SCORERS = ("indication", "odi", "trial_relief", "physical_therapy", "psych_clearance")
# the contract's review table: each criterion's value columns, then its status, in the contract's order
REVIEW_COLUMNS = ["patient_id", "review_date",
                  *(c for key in CONTRACT_SCORERS for c in (*SCORERS[key].facts.columns,
                                                           f"{SCORERS[key].facts.criterion}_status")),
                  "determination", "missing"]
# the contract's numeric columns (those the audit compares within a tolerance)
NUMERIC_COLUMNS = tuple(col for key in CONTRACT_SCORERS for col in SCORERS[key].facts.tolerance)
