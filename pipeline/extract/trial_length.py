"""Trial length: how many days the SCS trial lasted.

"7-day percutaneous SCS trial", "72-hour trial" (3 days), "trial x 7 days",
"trial placed 6/2, removed 6/9" (7 days; a date without a year takes the note's
year, or the year before when that would fall after the note), and "day 7" of
the trial ("Day 7 of trial", "S: Day 7" in a trial follow-up note). Each target
reads only its own words: a "day 3" on a plan line gives 3, the "7-day trial" of
that plan gives 7 and is hypothetical.

A trial follow-up note that says when the trial was placed ("Trial placed: 09/15/2025")
and that the leads were removed ("Leads removed intact.", not on a plan line) gives the
days from placement to that visit (or to the removal date written on that line).
"""
from __future__ import annotations

import datetime as dt
import re

from pipeline.io.dates import find_dates
from pipeline.records import Finding, Note, Target
from pipeline.extract.registry import normalizer, note_extractor
from pipeline.extract.durations import NUMBER, number, to_days

_UNIT = r"(?P<unit>days?|d|nights?|hours?|hrs?|h|weeks?|wks?)"
_NUM = rf"(?P<n>{NUMBER})"
# "7-day trial", "72 hour percutaneous SCS trial": only device words stand between the duration and "trial"
_BETWEEN = (r"(?:(?:percutaneous|scs|spinal|cord|stim\w*|neurostim\w*|outpatient|temporary|screening|"
            r"10\s*-?\s*khz|hf10|burst|tonic|drg|dorsal|column|external|wireless|paddle|leads?|dual-lead|two-lead|"
            r"the|a)\s+){0,4}")
_BEFORE = re.compile(rf"(?<![\w/.]){_NUM}\s*-?\s*{_UNIT}\s+{_BETWEEN}$", re.I)
# "trial x 7 days", "trial for 5 days", "trial lasted 7 days", "trial duration: 7 days", "trial (7 days)"
_AFTER = re.compile(rf"^\s*(?:x|×|for|of|lasting|lasted|duration:?|period:?|length:?|period\s+of|\(|:)\s*"
                    rf"{_NUM}\s*-?\s*{_UNIT}\b", re.I)
_TRIAL_CONTEXT = re.compile(r"\b(trials?|trialed|trialled|scs|stimulator|stim|neurostimulat\w*|leads?)\b", re.I)
_NOT_TRIAL_DAY = re.compile(r"(?:\bper|\ba|\beach|\bevery|/|\btimes|\bx|\bpost-?op(?:erative)?|\bpod)\s*$", re.I)
_DATE = (r"(?P<date>\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])|\d{4}-\d{2}-\d{2}"
         r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)")
_PLACED = re.compile(rf"\b(?:placed|implanted|inserted|started|began|begun|initiated)\b(?:\s+on)?\s*:?\s*{_DATE}", re.I)
_REMOVED = re.compile(rf"\b(?:removed|pulled|explanted|removal|discontinued|ended)\b(?:\s+on)?\s*:?\s*{_DATE}", re.I)
MAX_DAYS = 60  # a longer span is not one trial


def resolve_date(text: str, note_date: dt.date) -> dt.date | None:
    """A date as written; a month and day without a year is the latest such day on or before the note."""
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})", t)
    if not m:
        found = [x for x in find_dates(t, note_date) if x.precision == "day"]
        if found:
            return found[0].date
        m2 = re.fullmatch(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?", t)
        if not m2:
            return None
        found = [x for x in find_dates(f"{m2.group(1)} {m2.group(2)}, {note_date.year}") if x.precision == "day"]
        if not found:
            return None
        d = found[0].date
    else:
        try:
            d = dt.date(note_date.year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
    return d if d <= note_date else d.replace(year=d.year - 1)


def _placed_removed(s: str, note_date: dt.date) -> tuple[float, int, int] | None:
    """Days from placement to removal when both dates are written in the sentence."""
    p, r = _PLACED.search(s), _REMOVED.search(s)
    if not (p and r):
        return None
    first, last = resolve_date(p.group("date"), note_date), resolve_date(r.group("date"), note_date)
    if first is None or last is None:
        return None
    days = (last - first).days
    if not 0 < days <= MAX_DAYS:
        return None
    return float(days), min(p.start(), r.start()), max(p.end(), r.end())


def _days(m: re.Match) -> float | None:
    n = number(m.group("n"))
    days = None if n is None else to_days(n, m.group("unit"))
    return round(days, 2) if days and 0 < days <= MAX_DAYS else None


@normalizer("TRIAL_LENGTH", criterion="trial_length")
def normalize_trial_length(t: Target) -> list[Finding]:
    s, a0, a1 = t.sentence, t.start - t.sent_start, t.end - t.sent_start
    form = t.metadata.get("form")
    if not (_TRIAL_CONTEXT.search(s) or "scs_trial" in t.note_classes):
        return []
    if form in ("trial", "removed"):
        pr = _placed_removed(s, t.note_date)
        if pr:
            return [Finding("length", pr[0], "days", start=t.sent_start + pr[1], end=t.sent_start + pr[2])]
    if form == "trial":
        head_start = max(0, a0 - 60)
        m = _BEFORE.search(s[head_start:a0])
        if m and _days(m):
            return [Finding("length", _days(m), "days", start=t.sent_start + head_start + m.start(), end=t.end)]
        m = _AFTER.search(s[a1:a1 + 40])
        if m and _days(m):
            return [Finding("length", _days(m), "days", start=t.start, end=t.end + m.end())]
    if form == "day" and not _NOT_TRIAL_DAY.search(s[:a0]):
        n = number(t.text.split()[-1])
        if n and 0 < n <= MAX_DAYS:
            return [Finding("length", n, "days")]
    return []


_PLACED_LINE = re.compile(rf"\b(?:trials?|leads?)\b[^\n.;]{{0,40}}?\b(?:placed|implanted|inserted)\b\s*:?\s*"
                          rf"(?:on\s+)?{_DATE}", re.I)
_REMOVED_LINE = re.compile(r"\b(?:leads?|electrodes?)\s+(?:were\s+|was\s+)?(?:removed|pulled|explanted)\b", re.I)
_PLAN_CLAUSE = re.compile(r"\b(plan\w*|will|to\s+be|schedul\w*|return\w*|tomorrow|next|if|once|until|not|no)\b",
                          re.I)


@note_extractor("trial_length")
def trial_placed_to_removal(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """In a note about the trial: days from the written placement date to the removal documented in it."""
    if "scs_trial" not in note_classes:
        return []
    text = note.text
    placed = _PLACED_LINE.search(text)
    if not placed:
        return []
    removed_on = None
    for m in _REMOVED_LINE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        clause_start = max(line_start, text.rfind(". ", 0, m.start()) + 1, text.rfind(";", 0, m.start()) + 1)
        if _PLAN_CLAUSE.search(text[clause_start:m.end()]):
            continue  # "will return for leads to be removed", "leads not removed"
        dates = [d.date for d in find_dates(text[m.end():len(text) if line_end < 0 else line_end], note.note_date)
                 if d.precision == "day" and d.date <= note.note_date]
        removed_on = dates[0] if dates else note.note_date
        break
    first = resolve_date(placed.group("date"), note.note_date)
    if removed_on is None or first is None or not 0 < (removed_on - first).days <= MAX_DAYS:
        return []
    line_start = text.rfind("\n", 0, placed.start()) + 1
    line_end = text.find("\n", placed.end())
    line_end = len(text) if line_end < 0 else line_end
    finding = Finding("length", float((removed_on - first).days), "days", first, removed_on,
                      placed.start(), placed.end())
    return [(finding, text[line_start:line_end], line_start, line_end)]
