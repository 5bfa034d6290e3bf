"""ODI: the Oswestry Disability Index as a percent.

"ODI 46%", "Oswestry Disability Index: 38 %", "modified Oswestry 52" (no unit: a
percent), "ODI 23/50" (raw score, doubled), "disability index of forty-four
percent". A blank template field is a `template_blank`; a number after a
comparator ("ODI >= 21% required") is a `threshold`, not a score.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer
from pipeline.extract.values import words_to_digits

_BLANK = re.compile(r"_{2,}|\[\s*\]|\*{2,}")
_VALUE = re.compile(
    r"(?P<cmp>>\s*=?|≥|<\s*=?|≤|\bat least\b|\bgreater than\b|\bless than\b|\bbelow\b|\babove\b|\bover\b|\bunder\b)?\s*"
    r"(?P<num>\d{1,3}(?:\.\d+)?)(?:\s*(?:(?P<raw>/\s*50\b|out of 50\b)|(?P<hund>/\s*100\b|out of 100\b)|(?P<pct>%|percent)))?",
    re.I)
MAX_GAP = 60  # characters of words allowed between "ODI" and its number ("...form today, which came out at 30%")


@normalizer("ODI", criterion="odi")
def normalize_odi(t: Target) -> list[Finding]:
    tail_start = t.end - t.sent_start
    raw_tail = t.sentence[tail_start:tail_start + 90]
    tail = words_to_digits(raw_tail)
    v = _VALUE.search(tail)
    gap = tail[:v.start()] if v else tail
    if t.has("TEMPLATE_BLANK") or _BLANK.search(gap):
        return [Finding("template_blank")]
    if not v or len(gap) > MAX_GAP or re.search(r"[;]|\.\s", gap):
        return [Finding("mention")]
    number = float(v.group("num"))
    end = t.end + (v.end() if tail == raw_tail else len(raw_tail.rstrip()))
    if v.group("cmp"):
        return [Finding("threshold", number, "%", end=end)]
    value = number * 2 if v.group("raw") else number
    if v.group("raw") and number > 50 or value > 100:
        return [Finding("mention")]
    return [Finding("score", value, "%", end=end)]

