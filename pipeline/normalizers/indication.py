"""Indication: failed back surgery / post-laminectomy syndrome.

A named syndrome (FBSS, post-laminectomy syndrome, M96.1) documents it; so does
a spine operation named in the same sentence as ongoing pain.
"""
from __future__ import annotations

import re

from ..records import Finding, Target
from . import normalizer

_SPINE = re.compile(r"\b([LTCS]\d|lumbar|spin\w*|back|lami\w*|interbody|posterolateral|instrumented|disc\w*)\b", re.I)
_PAIN = re.compile(r"\b(pain\w*|LBP|radicul\w*|sciatica|neuropath\w*|sx|symptoms?|claudication|aches?|burning)\b", re.I)


@normalizer("INDICATION", criterion="indication")
def normalize_indication(t: Target) -> list[Finding]:
    if t.metadata.get("kind") == "syndrome":
        return [Finding("syndrome")]
    if t.metadata.get("needs_spine_context") and not _SPINE.search(t.sentence):
        return []
    return [Finding("surgery_with_pain" if _PAIN.search(t.sentence) else "surgery")]
