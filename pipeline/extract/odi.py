"""ODI: the Oswestry Disability Index as a percent.

The keyword is linked to a typed quantity (nlp/quantities.py) in the same clause: a percent
("ODI 46%", "ODI=38%"), a raw score out of 50, doubled ("23/50", "17 of 50", "23 out of a
possible 50 points"), a score out of 100, an index ("0.52"), or a bare number (a percent).
Dates, pages, versions, codes, counts and doses on the way are skipped; a payer's threshold
("ODI of 21% or greater", ">= 21%") is a `threshold`; a change ("improved by 12 points") is not a
score. Of several scores in one clause the current one counts ("56% at the first visit and 38%
today", a table's last column, "54% -> 40%"). A value written before the keyword counts too
("42% on her Oswestry"). A blank template field is a `template_blank`.
"""
from __future__ import annotations

import re

from pipeline.extract.registry import normalizer, note_extractor
from pipeline.io.dates import find_dates
from pipeline.extract.values import words_to_digits
from pipeline.nlp.quantities import Quantity, quantities
from pipeline.records import Finding, Note, Target

_BLANK = re.compile(r"_{2,}|\[\s*\]|\*{2,}|(?<![\w-])--(?![\w-])(?!\s*(?:(?:raw\s+|total\s+)?score[ds]?|total|result)\b)")
_CLAUSE_END = re.compile(r";|\.(?:\s|$)|\n")
# comparators that make the number a bound someone set, not the patient's score
_BOUND = re.compile(r"(?:[<>]\s*=?|[≤≥]|\b(?:at least|greater than|less than|below|above|over|under|exceed\w*|"
                    r"goal|target|cut-?off|threshold|criteri\w*|requir\w*)\b)[^\d]{0,12}$", re.I)
_CHANGE = re.compile(r"\b(improv\w*|decreas\w*|increas\w*|dropped|drop|chang\w*|reduc\w*|worsen\w*|by(?=\W{0,3}$)|mcid|"
                     r"difference|delta)\b", re.I)
# a clause that gives the keyword's value by a label goes on the keyword's ("ODI v2.1a administered; score 38%")
_VALUE_CLAUSE = re.compile(r";\s*(?:(?:raw|total|final)\s+)?(?:score[ds]?|total|result)\b", re.I)
_CURRENT = re.compile(r"^\W{0,3}(?:today|now|currently|current|at this visit|this visit|at (?:the )?end of (?:the )?"
                      r"trial|at discharge|most recent|latest)\b", re.I)
_LATER = re.compile(r"(?:->|-->|→|=>|\bto\b|\bnow\b|\|)\W{0,3}$", re.I)
_COMPARED = re.compile(r"\b(?:compared|relative|versus|vs\.?|up\s+from|down\s+from|from)\s*(?:to|with)?\W{0,3}$", re.I)
_BEFORE_KEYWORD = re.compile(r"^\W{0,2}\s*(?:on|in|for)\s+(?:the|her|his|their|a|an)?\s*(?:modified\s+|revised\s+)?$",
                             re.I)
ACCEPTED = ("percent", "raw50", "per100", "decimal", "number")
_OTHER_INDEX = re.compile(r"\b(?:neck|pain|headache|upper\s+extremity|arm)\s*$", re.I)
_LABEL = re.compile(r"[A-Za-z][\w-]*\s*[:=]|\b[A-Z]{2,}")  # another cell's measure: "PEG: 7", "PHQ-9=7", "NDI 30%"
_IN_ERROR = re.compile(r"\b(?:in\s+error|erroneous(?:ly)?|incorrect(?:ly)?|mis-?(?:transcribed|dictated|typed)|typo|"
                       r"should\s+(?:have\s+)?read|was\s+wrong)\b", re.I)
MAX_GAP = 60  # characters of words allowed between "ODI" and its number ("...form today, which came out at 30%")


def _score(q: Quantity) -> float | None:
    return q.value if q.value is not None and 0 <= q.value <= 100 else None


def _gap(text: str, start: int, end: int, skipped: list[Quantity]) -> str:
    """The text between two points, without the noise quantities skipped on the way."""
    out, at = [], start
    for q in skipped:
        if start <= q.start and q.end <= end:
            out.append(text[at:q.start])
            at = q.end
    out.append(text[at:end])
    return "".join(out)


def _before(t: Target) -> Finding | None:
    """A score written before the keyword: "had 42% on her Oswestry", "scored 17 of 50 on the ODI"."""
    k = t.start - t.sent_start
    head = t.sentence[max(0, k - 60):k]
    found = [q for q in quantities(head) if not q.noise and q.kind in ("percent", "raw50", "per100")]
    if found and _BEFORE_KEYWORD.match(head[found[-1].end:]) and _score(found[-1]) is not None:
        q = found[-1]
        return Finding("score", _score(q), "%", start=t.start - len(head) + q.start)
    return None


@normalizer("ODI", criterion="odi")
def normalize_odi(t: Target) -> list[Finding]:
    head = (t.preceding + " " + t.sentence[:t.start - t.sent_start])[-16:]
    if _OTHER_INDEX.search(head) and not re.search(r"oswestry|odi", t.text, re.I):
        return [Finding("not_odi")]  # "Neck\nDisability Index 32%": the neck's index, its name cut by a line break
    tail_start = t.end - t.sent_start
    raw_tail = t.sentence[tail_start:tail_start + 160]
    raw_clause = _CLAUSE_END.search(raw_tail)
    if raw_clause and _VALUE_CLAUSE.match(raw_tail, raw_clause.start()) and \
            all(q.noise for q in quantities(raw_tail[:raw_clause.start()])):
        raw_clause = _CLAUSE_END.search(raw_tail, raw_clause.end())
    raw_tail = raw_tail[:raw_clause.start()] if raw_clause else raw_tail
    tail = words_to_digits(raw_tail)
    found = quantities(tail)
    values = [q for q in found if not q.noise]
    first = values[0] if values else None
    lead = tail[:first.start] if first else tail
    if t.has("TEMPLATE_BLANK") or _BLANK.search(_gap(tail, 0, len(lead), found)):
        return [Finding("template_blank")]
    if first is None:
        return [_before(t) or Finding("mention")]
    if _IN_ERROR.search(t.sentence):
        return [Finding("corrected")]  # "transcribed as 14 percent ... in error": the value an addendum withdraws
    gap = _gap(tail, 0, first.start, found)
    if len(gap) > MAX_GAP:
        return [_before(t) or Finding("mention")]
    if first.kind == "threshold" or _BOUND.search(gap):
        return [Finding("threshold", first.value, "%", end=t.end + first.end)]
    if _CHANGE.search(gap):
        return [Finding("mention")]
    if first.kind == "points":  # "19 points (38%)": the percent beside it; bare points are not a percent
        nxt = values[1] if len(values) > 1 and values[1].kind == "percent" and values[1].start - first.end < 4 \
            else None
        if nxt is None:
            return [Finding("mention")]
        values, first = values[1:], nxt
    if first.kind not in ACCEPTED or _score(first) is None:
        return [Finding("mention")]
    chosen = first
    for q in values[1:]:
        between = _gap(tail, chosen.end, q.start, found)
        if "|" in between and _LABEL.search(between):
            break  # the next cell is another measure's ("ODI: 40%  |  PEG: 7")
        if q.kind not in ACCEPTED or _score(q) is None:
            continue
        column = "|" in between or (re.search(r"\s{3,}", between) and not re.search(r"[A-Za-z]", between))
        if _COMPARED.search(tail[chosen.end:q.start]):
            continue  # "eighteen percent, compared to forty six back in June": the earlier one, for comparison
        if column or _CURRENT.match(tail[q.end:]) or _LATER.search(tail[chosen.end:q.start]):
            chosen = q  # a table's later column (pipes or aligned columns), or the current value
    end = t.end + (chosen.end if tail == raw_tail else len(raw_tail.rstrip()))
    return [Finding("score", _score(chosen), "%", date=_taken_on(t.sentence[tail_start:], chosen.end, t.note_date)
                    if tail == raw_tail else None, end=end)]


# the date a score was taken, written in its field: "ODI score: 46 %   Date: 04/08/24", "ODI 44% (taken 3/11/2024)"
_TAKEN = re.compile(r"[\s%_)]*[,;(]?\s*(?:date[d]?|taken|measured|completed|obtained|on|from)\b\s*[:\-]?[\s_]*", re.I)


def _taken_on(tail: str, at: int, note_date):
    m = _TAKEN.match(tail, at)
    if m is None:
        return None
    found = find_dates(tail[m.end():m.end() + 20], note_date)
    return found[0].date if found and found[0].start == 0 and found[0].precision == "day" else None


@normalizer("ODI_DISTRACTOR", criterion="odi")
def normalize_other_instrument(t: Target) -> list[Finding]:
    """The Neck (or Pain) Disability Index: another instrument, never the ODI."""
    return [Finding("not_odi")]


# an ODI heading over its values: a table of dated rows ("Oswestry trend:" then "| 03/11/2024 | 31/50 | 62% |"),
# a flowsheet's value lines ("Oswestry Disability Index" then "Last Filed Value: 44 %" and "Filed: 09/30/2024"), or a
# questionnaire's items and total ("Questionnaire: OSWESTRY LOW BACK PAIN DISABILITY QUESTIONNAIRE" ... "Raw total: 19 / 50")
_HEADING = re.compile(r"^\W*(?:(?:questionnaire|form|instrument|measure|flowsheet|assessment)\s*:\s*)?"
                      r"(?:modified\s+|revised\s+)?(?:oswestry|odi)\b[^\d\n]{0,60}$", re.I)
_ROW_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
# a line that gives the heading's value by a label: "Last Filed Value: 44 %", "Raw total: 19 / 50", "Score: 38%"
_VALUE_LINE = re.compile(r"^\W*(?:(?:last\s+filed\s+|current\s+|filed\s+)?value|result|(?:raw\s+|total\s+|final\s+)?"
                         r"(?:total|score)(?:\s+score)?|scored\s*%?|percent(?:age)?|index|%)\s*(?:\(%\))?\s*[:=]", re.I)
# another measure's heading ends the ODI's block: "PHQ-9", "Neck Disability Index", "PROMIS-29 ..."
_OTHER_HEADING = re.compile(r"^\W*(?:phq|gad|peg|ndi|neck|promis|foto|lefs|pain\s+disability|bmi|vitals?|nrs|vas)\b",
                            re.I)
BLOCK_LINES = 30


@note_extractor("odi")
def odi_tables(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """The value under an ODI heading: a table's newest row, or a flowsheet's or questionnaire's labelled value,
    as a score of the date written with it. Of several, the newest counts (the first, when none is dated)."""
    low = note.text.lower()
    if "oswestry" not in low and "odi" not in low:
        return []
    lines, at, starts = note.text.split("\n"), 0, []
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    found = []
    for k, line in enumerate(lines):
        if not _HEADING.match(line) or line.strip().endswith((".", "?")):
            continue
        rows, block_date, labelled = [], None, None
        for j in range(k + 1, min(k + BLOCK_LINES, len(lines))):
            row = lines[j]
            if not row.strip():
                if rows:
                    break  # a table ends at its first blank line
                continue
            if _HEADING.match(row) or _OTHER_HEADING.match(row):
                break
            dated = _ROW_DATE.search(row)
            scores = [q for q in quantities(row) if not q.noise and q.kind in ("percent", "raw50", "per100")]
            if dated and scores:
                day = find_dates(dated.group(0), note.note_date)
                rows.append((day[0].date if day else note.note_date, j, scores[-1]))
            elif labelled is None and scores and _VALUE_LINE.match(row):
                labelled = (j, scores[-1])
            elif dated and block_date is None:
                day = find_dates(dated.group(0), note.note_date)
                block_date = day[0].date if day else None
        if rows:
            found.append(max(rows, key=lambda r: r[0]))
        elif labelled is not None:
            found.append((block_date or note.note_date, *labelled))
    if not found:
        return []
    newest = max(day for day, _, _ in found)
    day, j, q = next(r for r in found if r[0] == newest)
    value = _score(q)
    if value is None:
        return []
    start, end = starts[j], starts[j] + len(lines[j])
    return [(Finding("score", value, "%", start=start + q.start, end=start + q.end), lines[j].strip(), start, end)]
