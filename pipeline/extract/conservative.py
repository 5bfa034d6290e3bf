"""Conservative therapy: how long conservative (non-operative) care has been tried, in months.

"failed conservative management for 2 years" (24), "conservative care x 8 months",
"over the past 18 months of conservative therapy", "2 years of failed conservative
care", "conservative care since 2019" (months from that date to the note's date; a
year alone stands for its middle, a month for its 15th, as in dates.py). Without a
duration the mention is a `mention`: conservative care documented, length unknown. A
duration after ">=" is a payer `threshold` ("requires >= 6 months of conservative therapy").
"""
from __future__ import annotations

import re

from pipeline.io.dates import find_dates
from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer
from pipeline.extract.durations import NUMBER, UNIT, number, to_months

DAYS_PER_MONTH = 30.44
_QUAL = (r"(?:(?:the\s+)?(?:past|last|prior|previous|preceding)\s+)?"
         r"(?:(?:more\s+than|over|about|approximately|approx\.?|nearly|almost|at\s+least|(?P<cmp>>\s*=?|≥)|~)\s*)?")
_QUAL_PLAIN = _QUAL.replace("(?P<cmp>", "(?:")
_DURATION = rf"(?P<n>{NUMBER})\s*\+?\s*-?\s*(?P<unit>{UNIT})"
_AFTER = re.compile(rf"^[^;\d]{{0,40}}?(?:\b(?:for|over|lasting|spanning|during|throughout|of)\b|\bx|×)\s*{_QUAL}"
                    rf"{_DURATION}\b", re.I)
_SINCE = re.compile(r"^[^;\d]{0,40}?\bsince\s+(?P<when>[^;,.]{1,30})", re.I)
_BEFORE = re.compile(rf"(?:^|[^\w/.])(?:{_QUAL}){_DURATION}\s+(?:of\s+)?"
                     r"(?:(?:failed|unsuccessful|ongoing|continued|appropriate|maximal|extensive|documented)\s+)*$",
                     re.I)
_LEAD = re.compile(rf"\b(?:for|over|during)\s+{_QUAL_PLAIN}{_DURATION}\b[^;\d]{{0,25}}$", re.I)


def _found(m: re.Match, **span) -> list[Finding]:
    """A duration; one written after a comparator (">= 6 months of conservative therapy") is a payer threshold."""
    label = "threshold" if m.groupdict().get("cmp") else "duration"
    return [Finding(label, _months(m), "months", **span)]


def _months(m: re.Match) -> float | None:
    n = number(m.group("n"))
    months = None if n is None else to_months(n, m.group("unit"))
    return round(months, 1) if months and 0 < months <= 600 else None


@normalizer("CONSERVATIVE", criterion="conservative")
def normalize_conservative(t: Target) -> list[Finding]:
    s, a0, a1 = t.sentence, t.start - t.sent_start, t.end - t.sent_start
    tail, head = s[a1:a1 + 70], s[max(0, a0 - 60):a0]
    m = _AFTER.search(tail)
    if m and _months(m):
        return _found(m, start=t.start, end=t.end + m.end())
    m = _SINCE.search(tail)
    if m:
        dates = [d for d in find_dates(m.group("when"), t.note_date) if d.date <= t.note_date]
        if dates:
            since = dates[0].date
            months = round((t.note_date - since).days / DAYS_PER_MONTH, 1)
            end = t.end + m.start("when") + dates[0].end
            return [Finding("duration", months, "months", date=since, start=t.start, end=end)]
    for pattern in (_BEFORE, _LEAD):
        m = pattern.search(head)
        if m and _months(m):
            return _found(m, start=t.start - (len(head) - m.start("n")), end=t.end)
    return [Finding("mention")]
