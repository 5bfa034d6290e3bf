"""Trial relief: percent pain relief during the SCS trial.

The number sits next to a relief word ("70% relief", "relief of about 60%",
">75% pain relief", "60-70% improvement") or is a pair of pain scores
("decreased from 9/10 to 3/10", "VAS 7 -> 2"). It is attributed to whatever
treatment is named nearest to it in the sentence: the trial/stimulator, or an
injection, ablation, block or medication (a distractor). With no treatment named,
it belongs to the trial only in a note about the trial.
"""
from __future__ import annotations

from pipeline.records import Finding, Target
from pipeline.extract.registry import normalizer
from pipeline.extract.values import Number, gap_ok, pain_change, percents, score_pairs, words_to_digits_around
from pipeline.nlp.quantities import quantities

NEAR = 30  # characters between the relief word and its number


@normalizer("TRIAL_RELIEF", criterion="trial")
def normalize_trial_relief(t: Target) -> list[Finding]:
    if t.has("TEMPLATE_BLANK"):
        return [Finding("template_blank")]
    s, a0, a1 = t.sentence, t.start - t.sent_start, t.end - t.sent_start
    written = s
    s, a0, a1 = words_to_digits_around(s, a0, a1)  # "seventy percent relief"
    typed = quantities(s)
    thresholds = [Number(q.value, q.start, q.end) for q in typed if q.kind == "threshold" and q.value is not None]
    fractions = [Number(q.value, q.start, q.end) for q in typed if q.kind == "fraction"]
    noise = [(q.start, q.end) for q in typed if q.noise]
    values = [n for n in percents(s) + fractions + score_pairs(s) + pain_change(s)
              if not any(a <= n.start < b for a, b in noise)
              and not any(th.start <= n.start < th.end for th in thresholds)]
    candidates = []
    for n in values + thresholds:
        if n.start <= a0 < n.end or n.start < a1 <= n.end:  # the target is the number itself (a score pair)
            candidates.append((0, n))
        elif n.end <= a0 and gap_ok(s[n.end:a0], NEAR):
            candidates.append((a0 - n.end, n))
        elif n.start >= a1 and gap_ok(s[a1:n.start], NEAR):
            candidates.append((n.start - a1, n))
    if not candidates:
        return [Finding("mention")]
    _, n = min(candidates)
    if n in thresholds:  # a payer's bound ("relief >= 50%", "50% or more"), not what the trial gave
        return [Finding("threshold", n.value, "%", start=t.sent_start + n.start, end=t.sent_start + n.end)]
    if s != written:  # offsets into the converted text: keep the matched words' own span
        n = n._replace(start=a0, end=a1)
    start, end = t.sent_start + n.start, t.sent_start + n.end
    return [Finding(_attribution(t, start, end), n.value, "%", start=min(start, t.start), end=max(end, t.end))]


def _attribution(t: Target, start: int, end: int) -> str:
    """'relief' when the nearest named treatment is the SCS trial, 'other_treatment' when it is not."""
    cues = [m for m in t.modifiers if m.category in ("SCS_TRIAL", "OTHER_TREATMENT")]
    if cues:
        nearest = min(cues, key=lambda m: min(abs(m.start - end), abs(start - m.end)))
        return "relief" if nearest.category == "SCS_TRIAL" else "other_treatment"
    return "relief" if "scs_trial" in t.note_classes else "unattributed"
