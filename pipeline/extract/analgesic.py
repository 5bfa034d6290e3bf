"""Analgesic reduction: percent less pain medication used during the SCS trial.

A trial result, so its findings belong to the `trial` criterion (label
`analgesic_reduction`); the default trial scorer reads only `relief`, so they are
evidence there, and a policy's `any_of` can accept them instead of pain relief.

"used 50% less oxycodone", "50% reduction in opioid use", "oxycodone use decreased
by 60%", "reduced gabapentin from 600 to 300 TID" ((600-300)/600 = 50), "MME from
90 to 30", "cut his oxycodone in half" (50), "off all opioids" (100). It counts
only in a sentence about the trial or in a note about the trial; a relief percent
next to a medication ("hydrocodone about 30% relief") is not a reduction.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer

_PCT = (r"(?:>\s*=?|≥|about|approximately|approx\.?|~|over|more\s+than|at\s+least|nearly)?\s*"
        r"(?P<p>\d{1,3}(?:\.\d+)?)\s*(?:%|percent)")
_W = r"(?:[\w/-]+\s+){0,3}?"  # a few words ("his", "daily", "breakthrough")
_REDUCE = (r"(?:reduced|reduce|reducing|decreased|decrease|decreasing|cut|cutting|tapered|tapering|lowered|weaned|"
           r"dropped|down)")
_UNITS = (r"(?:\s*(?:mg|mcg|tabs?|tablets?|pills?|mme|doses?|capsules?)\b)?"
          r"(?:\s*(?:/\s*day|per\s+day|daily|a\s+day|tid|bid|qid|q\d+h))?")

# before the medication's name: "used 50% less oxycodone", "50% reduction in opioid use"
_BEFORE_MED = [
    re.compile(rf"{_PCT}\s*(?:less|fewer|lower)\s+{_W}$", re.I),
    re.compile(rf"{_PCT}\s*(?:reduction|decrease|decline|drop|cut)\s+(?:in|of)\s+{_W}$", re.I),
]
# after it: "oxycodone use decreased by 60%"
_AFTER_MED = re.compile(rf"^\s*{_W}(?:was\s+|were\s+|is\s+|has\s+been\s+)?{_REDUCE}\s+(?:by\s+)?{_PCT}", re.I)
# "reduced oxycodone by 50%" (the verb before the name)
_REDUCE_BEFORE = re.compile(rf"\b{_REDUCE}\s+{_W}$", re.I)
_BY_AFTER = re.compile(rf"^\s*{_W}by\s+{_PCT}", re.I)
# "gabapentin from 600 to 300 TID", "MME 90 -> 30"
_FROM_TO = re.compile(rf"^\s*{_W}(?:{_REDUCE}\s+)?(?:from\s+)?(?P<a>\d{{1,4}}(?:\.\d+)?){_UNITS}\s*"
                      rf"(?:to|->|→|-->|=>|down\s+to)\s*(?P<b>\d{{1,4}}(?:\.\d+)?)(?![\d/])", re.I)
_FROM_TO_CUE = re.compile(rf"\b{_REDUCE}\b|\bfrom\b|->|→|=>", re.I)
_HALF = re.compile(rf"^\s*{_W}(?:in|by)\s+half\b|^\s*{_W}halved\b", re.I)
_HALF_BEFORE = re.compile(rf"\b(?:halved|cut\s+in\s+half)\s+{_W}$", re.I)
_OFF = re.compile(r"\boff\s+(?:of\s+)?(?:all\s+)?(?:his\s+|her\s+|their\s+)?(?:pain\s+|opioid\s+)?$", re.I)


def _reduction(head: str, tail: str) -> float | None:
    """The percent reduction written around a medication's name (head: before it, tail: after it)."""
    for p in _BEFORE_MED:
        m = p.search(head)
        if m:
            return float(m.group("p"))
    m = _AFTER_MED.search(tail)
    if m:
        return float(m.group("p"))
    if _REDUCE_BEFORE.search(head):
        m = _BY_AFTER.search(tail)
        if m:
            return float(m.group("p"))
    m = _FROM_TO.search(tail)
    if m and (_REDUCE_BEFORE.search(head) or _FROM_TO_CUE.search(m.group(0))):
        a, b = float(m.group("a")), float(m.group("b"))
        if a > 0 and 0 <= b < a:
            return round((a - b) / a * 100, 1)
    if _HALF.search(tail) or _HALF_BEFORE.search(head):
        return 50.0
    if _OFF.search(head):
        return 100.0
    return None


@normalizer("ANALGESIC", criterion="trial")
def normalize_analgesic(t: Target) -> list[Finding]:
    s, a0, a1 = t.sentence, t.start - t.sent_start, t.end - t.sent_start
    if not (t.has("SCS_TRIAL") or "scs_trial" in t.note_classes):  # the same cue the pre-filter looks for
        return []
    value = _reduction(s[max(0, a0 - 50):a0], s[a1:a1 + 70])
    if value is None or not 0 < value <= 100:
        return []
    return [Finding("analgesic_reduction", value, "%")]
