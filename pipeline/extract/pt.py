"""Physical therapy: dates of service, spans of care and stated durations.

Formal PT is documented by a PT visit note (its date is a date of service), a
range of dates next to a PT mention ("PT 2x/week 01/06/2025-02/27/2025"), or a
completed duration ("completed 8 weeks of physical therapy in spring 2025").
A frequency in a plan of care ("2x/week x 6 weeks") is a plan, not a duration.
Home exercise programs, chiropractic, massage and gym classes are `nonformal`.
"""
from __future__ import annotations

import re

from pipeline.io.dates import find_date_ranges, find_dates
from pipeline.records import Finding, Note, Target
from pipeline.extract.registry import normalizer, note_extractor
from pipeline.extract.values import gap_ok, words_to_digits_around

_DURATION = re.compile(
    r"(?<![x×]\s)(?<![x×])\b(?P<n>\d{1,2}(?:\.\d)?)[\s-]*(?P<unit>weeks?|wks?|months?|mos?)\b(?!\s*/)", re.I)
_COMPLETED = re.compile(
    r"\b(completed?|did|done|finished|finishing|attended|underwent|had|participated|went\s+through|"
    r"was\s+in|course\s+of|total\s+of)\b", re.I)
_PLAN = re.compile(r"[x×]\s*$|\bfor\s+(?:another|an?\s+additional|the\s+next)\s+$|\bper\s+$", re.I)
WEEKS_PER_MONTH = 52 / 12
NEAR = 25  # characters between "PT" and its duration ("8 weeks of outpatient physical therapy")


def _time_reference(t: Target):
    """The date a PT mention speaks of: a date written in the sentence, else none."""
    found = [d for d in find_dates(t.sentence, t.note_date) if d.date <= t.note_date]
    return found[0].date if found else None


@normalizer("PT", criterion="pt")
def normalize_pt(t: Target) -> list[Finding]:
    s = t.sentence
    ranges = find_date_ranges(s, t.note_date)
    a0, a1 = t.start - t.sent_start, t.end - t.sent_start
    written = s
    s, a0, a1 = words_to_digits_around(s, a0, a1)  # "completed eight weeks of PT"
    if ranges:
        return [Finding("service_range", round((r.last - r.first).days / 7, 1), "weeks", r.first, r.last,
                        t.sent_start + r.start, t.sent_start + r.end) for r in ranges]
    if _COMPLETED.search(s):
        for m in _DURATION.finditer(s):
            gap = s[m.end():a0] if m.end() <= a0 else s[a1:m.start()] if m.start() >= a1 else ","
            near = gap_ok(gap, NEAR) and "," not in gap
            if not near or _PLAN.search(s[:m.start()]):
                continue
            n = float(m.group("n"))
            weeks = n if m.group("unit").lower().startswith("w") else round(n * WEEKS_PER_MONTH, 1)
            span = (m.start(), m.end()) if s == written else (a0, a1)
            return [Finding("stated_duration", weeks, "weeks", _time_reference(t) or t.note_date,
                            start=t.sent_start + span[0], end=t.sent_start + span[1])]
    return [Finding("mention", date=_time_reference(t))]


@normalizer("PT_NONFORMAL", criterion="pt")
def normalize_nonformal(t: Target) -> list[Finding]:
    return [Finding("nonformal", date=_time_reference(t) or t.note_date)]


@normalizer("PT_DISTRACTOR", criterion="pt")
def normalize_distractor(t: Target) -> list[Finding]:
    return [Finding("not_pt")]


@note_extractor("pt")
def pt_visit_dates(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """A PT visit note is itself a date of service; a span of care written in it counts too."""
    if "pt_visit" not in note_classes:
        return []
    header_end = note.text.find("\n") if "\n" in note.text else len(note.text)
    ranges = find_date_ranges(note.text, note.note_date)
    # a summary that states its dates of service was written after them: its own date is not one
    out = [] if ranges else [(Finding("pt_visit", None, "", note.note_date), note.text[:header_end], 0, header_end)]
    for r in ranges:
        line_start = note.text.rfind("\n", 0, r.start) + 1
        line_end = note.text.find("\n", r.end)
        line_end = len(note.text) if line_end < 0 else line_end
        out.append((Finding("service_range", round((r.last - r.first).days / 7, 1), "weeks", r.first, r.last,
                            r.start, r.end), note.text[line_start:line_end], line_start, line_end))
    return out
