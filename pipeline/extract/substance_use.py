"""Substance use disorder: none, treated, untreated, or documented with its treatment unclear.

The psychological evaluation is where this is usually settled, and its wording is
reused: "no mood, anxiety or substance use disorder identified", "No alcohol or
drug misuse" and "No drug use" document its absence (`no_sud`; the mention is
negated, which is the finding); "Active opioid use disorder; recommend treatment
before SCS" is `untreated` (the same evaluation's barrier); "OUD on MOUD",
"alcohol use disorder in sustained remission" are `treated`. A bare "opioid use
disorder" is `unclear`. The cue words are ConText rules (`SUD_ACTIVE`,
`SUD_TREATED` in patterns/context.payer.json); the nearest cue decides.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer

_SPECIALTY = re.compile(r"^\s*(medicine|specialist|clinic|services|psychiatry|program|counsel\w*)\b", re.I)


@normalizer("SUBSTANCE_USE", criterion="substance_use")
def normalize_substance_use(t: Target) -> list[Finding]:
    a1 = t.end - t.sent_start
    if t.text.lower() == "addiction" and _SPECIALTY.match(t.sentence[a1:]):
        return []  # "addiction medicine" is a clinic, not a diagnosis
    if t.has("NEGATED_EXISTENCE"):
        return [Finding("no_sud")]
    cues = [m for m in t.modifiers if m.category in ("SUD_ACTIVE", "SUD_TREATED")]
    if not cues:
        return [Finding("unclear")]
    nearest = min(cues, key=lambda m: min(abs(m.start - t.end), abs(t.start - m.end)))
    return [Finding("untreated" if nearest.category == "SUD_ACTIVE" else "treated")]
