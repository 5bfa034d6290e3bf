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
from pipeline.extract.values import IN_ERROR, table_cells, words_to_digits
from pipeline.nlp.fields import corrected, records, scaled_percent, withdrawn
from pipeline.nlp.quantities import Quantity, quantities
from pipeline.records import Finding, Note, Target

_BLANK = re.compile(r"_{2,}|\[\s*\]|\*{2,}|(?<![\w-])--(?![\w-])(?!\s*(?:(?:raw\s+|total\s+)?score[ds]?|total|result)\b)")
_CLAUSE_END = re.compile(r";|\.(?:\s|$)|\n")
# comparators that make the number a bound someone set, not the patient's score
_BOUND = re.compile(r"(?:[<>]\s*=?|[≤≥]|\b(?:at least|greater than|less than|below|above|over|under|exceed\w*|"
                    r"goal|target|cut-?off|threshold|criteri\w*|requir\w*)\b)[^\d]{0,12}$", re.I)
_CHANGE = re.compile(r"\b(improv\w*|decreas\w*|increas\w*|dropped|drop|chang\w*|reduc\w*|worsen\w*|by(?=\W{0,3}$)|mcid|"
                     r"difference|delta)\b", re.I)
# a clause that repeats the measure, after the first ("Baseline ODI 56%; repeated at end of trial: 28%")
_REPEATED_CLAUSE = re.compile(r";\s*(?:(?:it\s+)?(?:was\s+)?(?:repeated|re-?scored|re-?assessed|re-?administered|re-?checked|"
                              r"repeat)|now|today|currently|at\s+(?:the\s+)?end\s+of|post-?trial|at\s+follow-?up)\b", re.I)
# a value marked as the earlier one: "64% at baseline (01/2024) and 52% on 06/02/2025"
_EARLIER_MARK = re.compile(r"^\W{0,3}(?:at\s+|on\s+)?(?:baseline|intake|initial(?:ly)?|the\s+first\s+visit|previously|"
                           r"pre-?\s?trial|before\s+(?:the\s+)?trial)\b", re.I)
_SCALE = re.compile(r"\b(?:max(?:imum)?|possible)\b", re.I)
_RAW = re.compile(r"\braw\b", re.I)
_TOTAL = re.compile(r"\btotal\b", re.I)
_MAX_50 = re.compile(r"\b(?:max(?:imum)?|possible)\W{0,3}50\b", re.I)  # "ODI TOTAL: 19" over "ODI MAX: 50" is raw
# a clause that gives the keyword's value by a label goes on the keyword's ("ODI v2.1a administered; score 38%")
_VALUE_CLAUSE = re.compile(r";\s*(?:(?:raw|total|final)\s+)?(?:score[ds]?|total|result)\b", re.I)
_CURRENT = re.compile(r"^\W{0,3}(?:today|now|currently|current|at this visit|this visit|at (?:the )?end of (?:the )?"
                      r"trial|at discharge|most recent|latest)\b", re.I)
_LATER = re.compile(r"(?:->|-->|→|=>|\bto\b|\bnow\b|\|)\W{0,3}$", re.I)
_COMPARED = re.compile(r"\b(?:compared|relative|versus|vs\.?|up\s+from|down\s+from|from)\s*(?:to|with)?\W{0,3}$", re.I)
_BEFORE_KEYWORD = re.compile(r"^\W{0,2}\s*(?:disability\s+)?(?:on|in|for|by|per|according\s+to)\s+(?:the|her|his|their|a|an)?\s*(?:modified\s+|revised\s+)?$",
                             re.I)
ACCEPTED = ("percent", "raw50", "per100", "decimal", "number")
_OTHER_INDEX = re.compile(r"\b(?:neck|pain|headache|upper\s+extremity|arm)\s*$", re.I)
_LABEL = re.compile(r"[A-Za-z][\w-]*\s*[:=]|\b[A-Z]{2,}")  # another cell's measure: "PEG: 7", "PHQ-9=7", "NDI 30%"
_CORRECT_VALUE = re.compile(r"\W*\b(?:the\s+)?correct(?:ed)?\s+(?:odi\s+|oswestry\s+)?(?:value|score)?\s*(?:is|=|:|of)?\s*"
                            r"(\d{1,3}(?:\.\d)?)\s*%", re.I)
_DISREGARD = re.compile(r"\b(?:disregard|ignore|not)\W{0,3}$", re.I)


def _corrected_value(text: str) -> float | None:
    """The value an addendum gives after saying the note's was wrong ("... was transposed in transcription. The
    scanned questionnaire total is 31%. Please disregard 13%."): its first score that is not the one disregarded."""
    fixed = _CORRECT_VALUE.search(text)
    if fixed and 0 <= float(fixed.group(1)) <= 100:
        return float(fixed.group(1))
    text = words_to_digits(text)
    for q in quantities(text):
        if not q.noise and q.kind in ("percent", "raw50", "per100") and _score(q) is not None \
                and not _DISREGARD.search(text[max(0, q.start - 16):q.start]):
            return _score(q)
    return None


_FROM = re.compile(r"\bfrom\W{0,3}$", re.I)
_TO_NOW = re.compile(r"^[^;]{0,40}?\bto\s+(?:an?\s+|about\s+|approximately\s+)?$", re.I)
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
    k = t.start - t.sent_start
    line = t.sentence[t.sentence.rfind("\n", 0, k) + 1:(t.sentence.find("\n", k) + 1 or len(t.sentence) + 1) - 1]
    if ("|" in line or "{" in line) and any(_ODI_NAME.search(r.name) for r in records(line)):
        return []  # a structured record: read whole by odi_records, with its units and status
    head = (t.preceding + " " + t.sentence[:t.start - t.sent_start])[-16:]
    if _OTHER_INDEX.search(head) and not re.search(r"oswestry|odi", t.text, re.I):
        return [Finding("not_odi")]  # "Neck\nDisability Index 32%": the neck's index, its name cut by a line break
    tail_start = t.end - t.sent_start
    raw_tail = t.sentence[tail_start:tail_start + 160]
    raw_clause = _CLAUSE_END.search(raw_tail)
    if raw_clause and _VALUE_CLAUSE.match(raw_tail, raw_clause.start()) and \
            all(q.noise for q in quantities(raw_tail[:raw_clause.start()])):
        raw_clause = _CLAUSE_END.search(raw_tail, raw_clause.end())
    elif raw_clause and _REPEATED_CLAUSE.match(raw_tail, raw_clause.start()):
        raw_clause = _CLAUSE_END.search(raw_tail, raw_clause.end())
    raw_tail = raw_tail[:raw_clause.start()] if raw_clause else raw_tail
    tail = words_to_digits(raw_tail)
    found = quantities(tail)
    values = [q for q in found if not q.noise]
    first = values[0] if values else None
    lead = tail[:first.start] if first else tail
    if t.has("TEMPLATE_BLANK") or _BLANK.search(_gap(tail, 0, len(lead), found)):
        return [Finding("template_blank")]
    wrong = IN_ERROR.search(t.sentence)
    if wrong:  # "transcribed as 14 percent ... in error": the value an addendum withdraws, and the one it gives
        withdrawn = [Finding("withdrawn", _score(first), "%", start=t.start, end=t.end)] \
            if first is not None and tail_start + first.end <= wrong.start() and _score(first) is not None else []
        fixed = _corrected_value(t.sentence[wrong.end():] + " " + t.following)
        if fixed is not None:  # the value the addendum gives counts over every other of its note
            return withdrawn + [Finding("corrected", fixed, "%", start=t.start, end=t.end)]
        return withdrawn or [Finding("corrected")]
    if first is None:
        return [_before(t) or Finding("mention")]
    gap = _gap(tail, 0, first.start, found)
    if len(gap) > MAX_GAP:
        return [_before(t) or Finding("mention")]
    if first.kind == "threshold" or _BOUND.search(gap):
        return [Finding("threshold", first.value, "%", end=t.end + first.end)]
    if _CHANGE.search(gap) and _FROM.search(gap):  # "ODI improved from 48% (08/2022) to 22% today": where it is now
        now = next((q for q in values[1:] if _TO_NOW.search(tail[first.end:q.start]) and q.kind in ACCEPTED
                    and _score(q) is not None), None)
        if now is not None:
            return [Finding("score", _score(now), "%", date=_taken_on(tail, now.end, t.note_date), end=t.end + now.end)]
    if _CHANGE.search(gap) or _SCALE.search(gap):
        return [Finding("mention")]  # a change, or the scale's own maximum ("ODI_MAX: 50")
    if first.kind == "number" and first.value is not None and first.value <= 50 and \
            (_RAW.search(gap) or (_TOTAL.search(gap) and _MAX_50.search(t.following))):
        values = [q._replace(kind="raw50", value=q.value * 2) if q.kind == "number" and q.value is not None
                  and q.value <= 50 else q for q in values]  # "ODI total raw: 21", "| Oswestry raw score | 17 | 10 |"
        first = values[0]
    if first.kind == "points":  # "19 points (38%)": the percent beside it; bare points are not a percent
        nxt = values[1] if len(values) > 1 and values[1].kind == "percent" and values[1].start - first.end < 4 \
            else None
        if nxt is None:
            return [Finding("mention")]
        values, first = values[1:], nxt
    if first.kind not in ACCEPTED or _score(first) is None:
        return [Finding("mention")]
    chosen = first
    dated = [d for d in find_dates(tail, t.note_date) if d.precision in ("day", "month")]
    for q in values[1:]:
        between = tail[chosen.end:q.start]  # as written: a measure's name may be typed noise ("PHQ-9: 4")
        if "|" in between and _LABEL.search(re.sub(r"\([^)]*\)", "", between)):
            break  # the next cell is another measure's ("ODI: 40%  |  PEG: 7")
        if q.kind not in ACCEPTED or _score(q) is None:
            continue
        column = "|" in between or (re.search(r"\s{3,}", between) and not re.search(r"[A-Za-z(]", between))
        if _COMPARED.search(tail[chosen.end:q.start]):
            continue  # "eighteen percent, compared to forty six back in June": the earlier one, for comparison
        d0, d1 = _written_on(dated, chosen), _written_on(dated, q)
        if d0 and d1:
            if d1 > d0:
                chosen = q  # each value with its own date: the newer ("04/02/2025 40%, 06/12/2025 32%")
            continue
        if column or _CURRENT.match(tail[q.end:]) or _LATER.search(tail[chosen.end:q.start]) or \
                _EARLIER_MARK.match(tail[chosen.end:]) or _REPEATED_CLAUSE.search(tail, chosen.end, q.start):
            chosen = q  # a table's later column (pipes or aligned columns), the current value, or after an earlier one
    end = t.end + (chosen.end if tail == raw_tail else len(raw_tail.rstrip()))
    label = "cited" if _CITED.match(tail, chosen.end) or _FROM_RECORD.search(t.sentence[:t.start - t.sent_start]) else "score"
    return [Finding(label, _score(chosen), "%", date=_taken_on(tail, chosen.end, t.note_date), end=end)]


def _written_on(dated: list, q: Quantity):
    """The date written beside a value ("04/02/2025 40%", "52% on 06/02/2025"), if one is within a few words."""
    near = [(q.start - d.end, d.date) for d in dated if 0 <= q.start - d.end <= 3] + \
           [(d.start - q.end, d.date) for d in dated if 0 <= d.start - q.end <= 16]
    return min(near)[1] if near else None


# the date a score was taken, written in its field ("ODI score: 46 %   Date: 04/08/24", "ODI 44% (taken 3/11/2024)"),
# or the visit a form cites for it ("ODI: 48% (Pain Medicine 01/22/2024)")
# a value copied from the record ("Pertinent data (from record): ODI 48%", "Record review: ODI 50%")
_FROM_RECORD = re.compile(r"\b(?:record\s+review|chart\s+review|from\s+(?:the\s+)?records?|per\s+(?:the\s+)?records?)\b", re.I)
_TAKEN = re.compile(r"[\s%_)]*[,;(]?\s*(?:date[d]?|taken|measured|completed|obtained|on|from)\b\s*[:\-]?[\s_]*|"
                    r"[\s%]*\(\s*(?:[A-Za-z][A-Za-z .&/-]{0,40}\s)?(?=\d{1,2}/(?:\d{1,2}/)?\d{2,4}\s*\)|\d{1,2}\s?[A-Za-z]{3}\s?\d{2,4}\s*\))",
                    re.I)
# a value cited from the visit that measured it, with no date: "ODI 48% (PT intake)", "(per PT eval)", "(baseline)"
_CITED = re.compile(r"[\s%]*\(\s*(?:per|from|at|on|see)?\s*(?:the\s+)?(?:outside\s+|prior\s+|previous\s+|initial\s+)?"
                    r"(?:PT|physical\s+therapy|PM&R|physiatry|pain(?:\s+(?:clinic|management|medicine))?|spine|surg\w*|ortho\w*|"
                    r"neuro\w*|PCP|intake|baseline|eval\w*|initial|prior|previous|outside|pre-?\s?trial|consult\w*)"
                    r"(?:\s+(?:intake|eval\w*|visit|note|consult\w*|discharge|records?|reports?|letter))?\s*\)", re.I)


def _taken_on(tail: str, at: int, note_date):
    m = _TAKEN.match(tail, at)
    if m is None:
        return None
    found = find_dates(tail[m.end():m.end() + 20], note_date, yearless=True)  # (after "from", "on": a date)
    return found[0].date if found and found[0].start == 0 and found[0].precision in ("day", "month") else None


@normalizer("ODI_DISTRACTOR", criterion="odi")
def normalize_other_instrument(t: Target) -> list[Finding]:
    """The Neck (or Pain) Disability Index: another instrument, never the ODI."""
    return [Finding("not_odi")]


# an ODI heading over its values: a table of dated rows ("Oswestry trend:" then "| 03/11/2024 | 31/50 | 62% |"),
# a flowsheet's value lines ("Oswestry Disability Index" then "Last Filed Value: 44 %" and "Filed: 09/30/2024"), or a
# questionnaire's items and total ("Questionnaire: OSWESTRY LOW BACK PAIN DISABILITY QUESTIONNAIRE" ... "Raw total: 19 / 50")
_HEADING = re.compile(r"^\W*(?:(?:questionnaire|form|instrument|measure|flowsheet|assessment)\s*:\s*)?"
                      r"(?:modified\s+|revised\s+)?(?:oswestry|odi)\b[^\d\n]{0,60}$", re.I)
_HEADING_START = re.compile(r"^\W*(?:(?:questionnaire|form|instrument|measure|flowsheet|assessment)\s*:\s*)?"
                            r"(?:modified\s+|revised\s+)?(?:oswestry|odi)\b", re.I)


def _heading(line: str) -> bool:
    """An ODI heading, also with a version or a scale in it ("Oswestry Disability Index (v2.1a), each section scored
    0-5"): its noise numbers are no value."""
    if _HEADING.match(line):
        return True
    if not _HEADING_START.match(line) or not re.search(r"\d", line):
        return False
    for q in quantities(line):
        if q.noise:
            line = line[:q.start] + re.sub(r"\d", "#", line[q.start:q.end]) + line[q.end:]
    return _HEADING.match(line) is not None


_ROW_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
# a line that gives the heading's value by a label: "Last Filed Value: 44 %", "Raw total: 19 / 50", "Score: 38%"
_VALUE_LINE = re.compile(r"^\W*(?:(?:last\s+filed\s+|current\s+|filed\s+)?value|result|(?:raw\s+|total\s+|final\s+)?"
                         r"(?:total|score)(?:\s+score)?|scored\s*%?|percent(?:age)?|index|%)\s*(?:\(%\))?\s*"
                         r"(?:\([^)\n]{0,40}\)\s*)?(?:[:=]|(?=\d))", re.I)  # ("Total (handwritten by MA): 21", "Total 9 -> 18%")
# a questionnaire's printed instructions or a transcriber's note, inside its block: no field of its own
# a questionnaire's row of its items or their scores ("Item: 1 2 3 ...", "answers/pts: 1 B1 | 2 A0 | ...")
_ITEM_ROW = re.compile(r"^\W*(?:items?|sections?|sec|questions?|q|scores?|answers?(?:\s*/\s*pts)?|pts|points)\s*:\s*"
                       r"(?:[A-F]?\d{1,2}(?:\s*[|,;]\s*|\s+|$)){3,}$", re.I)
_INSTRUCTION = re.compile(r"^\W*(?:printed\s+)?(?:instructions?|directions|scoring|note|key)\b", re.I)
# another measure's heading ends the ODI's block: "PHQ-9", "Neck Disability Index", "PROMIS-29 ..."
_OTHER_HEADING = re.compile(r"^\W*(?:phq|gad|peg|ndi|neck|promis|foto|lefs|pain\s+disability|bmi|vitals?|nrs|vas)\b",
                            re.I)
_LABELLED = re.compile(r"^\W*[A-Za-z][^:\d\n]{1,40}:")
BLOCK_LINES = 30


_COLUMN_LABEL = re.compile(r"(?:modified\s+|revised\s+)?(?:odi|oswestry)(?:\s*(?:%|\(%\)|score|index|total))?", re.I)


def _odi_column(line: str) -> tuple[int, int] | None:
    """The ODI's column in a table's header line of several labels ("Date    ODI    VAS"): its index among the
    cells, and where its label starts."""
    cells = table_cells(line)
    if len(cells) < 2 or any(re.search(r"\d", c) for _, c in cells if not _COLUMN_LABEL.fullmatch(c)):
        return None
    hits = [(i, at) for i, (at, c) in enumerate(cells) if _COLUMN_LABEL.fullmatch(c)]
    return hits[0] if len(hits) == 1 else None


def _column_rows(lines: list[str], k: int, column: tuple[int, int], note: Note) -> list:
    """The dated rows under a header line, each with the score in the ODI's column: the cell of its index in a
    pipe table, the cell that starts nearest to the label in aligned columns."""
    index, position = column
    piped = "|" in lines[k]
    rows = []
    for j in range(k + 1, min(k + BLOCK_LINES, len(lines))):
        row = lines[j]
        if not row.strip():
            if rows:
                break
            continue
        if set(row.strip()) <= set("|-=+: "):
            continue  # a rule under the header
        dated = _ROW_DATE.search(row)
        cells = table_cells(row)
        if not dated or len(cells) < 2 or (piped and len(cells) <= index):
            break
        at, cell = cells[index] if piped else min(cells, key=lambda c: abs(c[0] - position))
        scores = [q for q in quantities(cell) if not q.noise and q.kind in ("percent", "raw50", "per100", "number")]
        if len(scores) == 1:
            day = find_dates(dated.group(0), note.note_date)
            rows.append((day[0].date if day else note.note_date, j, scores[0]._replace(start=at + scores[0].start,
                                                                                    end=at + scores[0].end)))
    return rows


_ODI_NAME = re.compile(r"\b(?:oswestry|odi)", re.I)
_NOT_ODI_NAME = re.compile(r"\b(?:neck|NDI|pain\s+disability)\b", re.I)
# a line that names the ODI heads the records under it that name nothing ("form=ODI_v2.1", "ODI (Oswestry v2.1a) -
# administered ...", then "Raw total: 23 | Max: 50 | Score: 46 %")
_NAMES_ODI = re.compile(r"\b(?:oswestry|odi)(?:_v?[\d.]+\w*)?\b", re.I)
RECORD_CONTEXT = 15  # lines a naming line heads


@note_extractor("odi")
def odi_records(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """The ODI of a structured record (a flowsheet row, an HL7 segment, a JSON object): its value read by its units
    and range (raw points doubled, an index 0-1 as a percent), dated when taken; a record its status marks as entered
    in error is withdrawn, a corrected one counts over the rest of its note."""
    low = note.text.lower()
    if ("oswestry" not in low and "odi" not in low) or ("|" not in note.text and "{" not in note.text):
        return []
    named_at = [m.start() for m in _NAMES_ODI.finditer(note.text)]
    out = []
    for rec in records(note.text, note.note_date):
        if rec.name:
            if not _ODI_NAME.search(rec.name) or _NOT_ODI_NAME.search(rec.name):
                continue
        else:  # a nameless record under a line that names the ODI
            head = [a for a in named_at if a < rec.start]
            if not head or note.text.count("\n", head[-1], rec.start) > RECORD_CONTEXT:
                continue
        value = scaled_percent(rec)
        if value is None:
            continue
        label = "withdrawn" if withdrawn(rec) else "corrected" if corrected(rec) else "score"
        out.append((Finding(label, value, "%", date=rec.taken if rec.taken and rec.taken <= note.note_date else None,
                            start=rec.start, end=rec.end), note.text[rec.start:rec.end], rec.start, rec.end))
    return out


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
        column = _odi_column(line)
        if column is not None:
            rows = _column_rows(lines, k, column, note)
            if rows:
                found.append(max(rows, key=lambda r: r[0]))
            continue
        if not _heading(line) or line.strip().endswith((".", "?")) or "__" in line:
            continue  # a sentence, or a blank fill-in field ("Oswestry (ODI): ____ %"), heads no block
        rows, block_date, labelled = [], None, None
        for j in range(k + 1, min(k + BLOCK_LINES, len(lines))):
            row = lines[j]
            if not row.strip():
                if rows:
                    break  # a table ends at its first blank line
                continue
            if _HEADING.match(row) or _OTHER_HEADING.match(row) or \
                    (_LABELLED.match(row) and not _VALUE_LINE.match(row) and not _INSTRUCTION.match(row)
                     and not _ITEM_ROW.match(row)):
                break  # another measure's heading, or a line of a form that names its own field ("Trial relief: 58%")
            dated = _ROW_DATE.search(row)
            scores = [q for q in quantities(row) if not q.noise and q.kind in ("percent", "raw50", "per100")]
            if not scores and _TOTAL.match(row.lstrip()) and _VALUE_LINE.match(row):
                # a questionnaire's total with no unit ("Total (handwritten by MA, lower right): 21"): its raw sum of
                # ten sections scored 0-5, out of 50
                scores = [q._replace(kind="raw50", value=q.value * 2) for q in quantities(row)
                          if q.kind == "number" and q.value is not None and q.value <= 50][-1:]
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
