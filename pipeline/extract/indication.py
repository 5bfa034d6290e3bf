"""Indication: failed back surgery / post-laminectomy syndrome.

A named syndrome (FBSS, post-laminectomy syndrome, M96.1) documents it; so does
a spine operation named in the same sentence as ongoing pain.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer

_SPINE = re.compile(r"\b([LTCS]\d|lumbar|spin\w*|back|lami\w*|interbody|posterolateral|instrumented|disc\w*)\b", re.I)
_PAIN = re.compile(r"\b(pain\w*|LBP|radicul\w*|sciatica|neuropath\w*|sx|symptoms?|claudication|aches?|burning)\b", re.I)


# an abbreviation followed by a lab value, or in a sentence about glucose, is a lab ("FBS: 88 mg/dl")
_LAB_VALUE = re.compile(r"^\s*[:=]?\s*\d{2,3}(?:\.\d)?\s*(?:mg|mmol|$|[,;])", re.I)
_GLUCOSE = re.compile(r"\b(?:mg/dl|mmol|glucose|blood\s+sugar|fasting|a1c|hba1c|sugars?)\b", re.I)
_CERVICAL = re.compile(r"\b(cervical|ACDF|C[1-7](?:\s*-\s*C?[1-7])?|neck)\b", re.I)
_LUMBAR = re.compile(r"\b([LS]\d|T1[0-2]|lumbar|lumbosacral|low(?:er)?\s+back|back\s+pain|LBP|radicul\w*|sciatica|legs?)\b",
                     re.I)


@normalizer("INDICATION", criterion="indication")
def normalize_indication(t: Target) -> list[Finding]:
    if t.metadata.get("kind") == "syndrome":
        if _LAB_VALUE.match(t.sentence[t.end - t.sent_start:]) or _GLUCOSE.search(t.sentence):
            return []  # "FBS: 88 mg/dl" is a fasting blood sugar
        return [Finding("syndrome")]
    if t.metadata.get("needs_spine_context") and not _SPINE.search(t.sentence):
        return []
    if _CERVICAL.search(t.sentence) and not _LUMBAR.search(t.sentence):
        return [Finding("surgery")]  # neck surgery with neck pain: not failed back surgery syndrome
    return [Finding("surgery_with_pain" if _PAIN.search(t.sentence) else "surgery")]
