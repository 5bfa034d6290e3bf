"""Trial relief: percent pain relief during the SCS trial.

The number sits next to a relief word ("70% relief", "relief of about 60%",
">75% pain relief", "60-70% improvement") or is a pair of pain scores
("decreased from 9/10 to 3/10", "VAS 7 -> 2"). It is attributed to whatever
treatment is named nearest to it in the sentence: the trial/stimulator, or an
injection, ablation, block or medication (a distractor). With no treatment named,
it belongs to the trial only in a note about the trial.
"""
from __future__ import annotations

import re

from pipeline.records import Finding, Note, Target
from pipeline.extract.registry import normalizer, note_extractor
from pipeline.extract.values import (CITED_SOURCE, IN_ERROR, Number, gap_ok, pain_change, percents, relief_pct, score_pairs, table_cells,
                                     words_to_digits, words_to_digits_around)
from pipeline.nlp.quantities import quantities

NEAR = 30  # characters between the relief word and its number
_EARLIER = re.compile(r"\btrial\s*#\s*1\b|\btrial\s+(?:one|1)\b|\b(?:first|1st|initial|prior(?!\s+to\b)|previous|earlier|original|"
                      r"failed|unsuccessful)\s+(?:\w+\s+){0,2}trial\b|\btrial\b[^.;]{0,40}\b(?:failed|unsuccessful|lead\s+migration|"
                      r"leads?\s+migrated|explanted\s+early|aborted)\b", re.I)
_NOT_SCS_TRIAL = re.compile(r"\b(?:DRG|dorsal\s+root\s+ganglion|peripheral\s+nerve\s+stim\w*|PNS|PNfS)\b", re.I)
_SCS = re.compile(r"\b(?:SCS|spinal\s+cord|dorsal[\s-]+column)\b", re.I)
_FUNCTION_GAIN = re.compile(r"\b(?:walk\w*|ambulat\w*|distance|sleep\w*|sitting|standing|activit\w*|function\w*|mobility|"
                            r"endurance|opioids?|medications?|meds|analgesics?|morphine|usage|use|steps)\s+(?:\w+\s+){0,2}$",
                            re.I)
# a value that is another measure's ("ODI: 34 %", "coverage 85%", "battery 60%"): not the trial's relief
_OTHER_MEASURE = re.compile(r"\b(?:ODI|oswestry|NDI|PEG|PHQ-?9|GAD-?7|FOTO|PROMIS|coverage|overlap|battery|charge|"
                            r"disability(?:\s+index)?)\b(?:[^\d;.]{0,8}|(?:\s+\w+){1,3}?\s+from\W{0,3})$", re.I)
# a sentence about how much medication was taken, that names no pain ("oxycodone 5 mg twice a day during the trial
# vs 4x/day before (50% reduction)"): its percent is the analgesic's, not pain relief
_MEDICATION = re.compile(r"\b(?:mg|mcg|mme|opioids?|narcotics?|oxycodone|hydrocodone|morphine|tramadol|hydromorphone|"
                         r"oxycontin|norco|percocet|dilaudid|fentanyl|tapentadol|methadone|gabapentin|pregabalin|"
                         r"tabs?|tablets?|pills?|medications?|meds|analgesics?)\b", re.I)
# "felt about 60% better walking", "50% more steps": the gain named right after the number
_CORRECTED_TO = re.compile(r"\b(?:corrected|amended|revised)\s+to\s*(?:an?\s+)?$|\bcorrect(?:ed)?\s+(?:value|relief|figure)\s*"
                           r"(?:is|was|=|:)?\s*$", re.I)
_GAIN_NAMED_AFTER = re.compile(r"(?:\s*%|\s*percent)?[ \t]{0,2}(?:better|more|farther|further|longer|increase[ds]?|improve(?:d|ment))?\s*(?:in\s+|with\s+)?"
                               r"(?:walk\w*|ambulat\w*|distance|sleep\w*|sitting|standing|activit\w*|function\w*|mobility|"
                               r"endurance|steps)\b", re.I)
_PAIN_NAMED = re.compile(r"\b(?:pain|relief|relieved|nrs|vas|nprs|hurt\w*|ach\w*|symptoms?)\b|\d/10", re.I)
_REPEAT = re.compile(r"\b(?:repeat|second|2nd|re-?trial|trial\s*#\s*2|trial\s+(?:two|2))\b", re.I)


@normalizer("TRIAL_RELIEF", criterion="trial")
def normalize_trial_relief(t: Target) -> list[Finding]:
    if t.has("TEMPLATE_BLANK"):
        return [Finding("template_blank")]
    s, a0, a1 = t.sentence, t.start - t.sent_start, t.end - t.sent_start
    written = s
    if t.metadata.get("pairs_only"):  # a pain score in words ("a seven out of 10"): the whole sentence in digits
        s = words_to_digits(s)
    else:
        s, a0, a1 = words_to_digits_around(s, a0, a1)  # "seventy percent relief"
    typed = quantities(s)
    thresholds = [Number(q.value, q.start, q.end) for q in typed if q.kind == "threshold" and q.value is not None]
    # fractions as written ("three quarters" would become "3 quarters" once number words are digits)
    fractions = [Number(q.value, a0, a1) if s != written else Number(q.value, q.start, q.end)
                 for q in quantities(written) if q.kind == "fraction"]
    noise = [(q.start, q.end) for q in typed if q.noise]
    pairs = pain_change(s)
    if not pairs and t.following:  # "Her baseline before the trial was NRS 7/10. Over the trial week ... 5/10"
        pairs = [n._replace(end=min(n.end, len(s))) for n in pain_change(s + " " + t.following) if n.start < len(s)]
    if not pairs and t.preceding:  # "Before the trial her pain averaged 8/10. With the stimulator ... a 2 or 3"
        k = len(t.preceding) + 1
        pairs = [n._replace(start=max(n.start - k, 0), end=n.end - k)
                 for n in pain_change(t.preceding + " " + s) if n.end > k]
    if t.metadata.get("pairs_only"):  # a bare pain score anchors only a before-and-after pair
        percents_and_pairs = pairs
    else:
        percents_and_pairs = percents(s) + fractions + score_pairs(s) + pairs
    values = [n for n in percents_and_pairs
              if not any(a <= n.start < b for a, b in noise)
              and not any(th.start <= n.start < th.end for th in thresholds)
              and not _OTHER_MEASURE.search(s[max(0, n.start - 24):n.start])]
    candidates = []
    for n in values + thresholds:
        if n.start <= a0 < n.end or n.start < a1 <= n.end or n in pairs:
            candidates.append((0, n))  # the target is the number itself (a score pair), or a named before-and-after
        elif n.end <= a0 and gap_ok(s[n.end:a0], NEAR):
            candidates.append((a0 - n.end, n))
        elif n.start >= a1 and gap_ok(s[a1:n.start], NEAR):
            candidates.append((n.start - a1, n))
    if not candidates:
        return [] if t.metadata.get("pairs_only") else [Finding("mention")]  # a bare pain score is no mention
    _, n = min(candidates)
    if n in thresholds:  # a payer's bound ("relief >= 50%", "50% or more"), not what the trial gave
        return [Finding("threshold", n.value, "%", start=t.sent_start + n.start, end=t.sent_start + n.end)]
    if s != written:  # offsets into the converted text: keep the matched words' own span
        n = n._replace(start=a0, end=a1)
    start, end = t.sent_start + n.start, t.sent_start + n.end
    label = _attribution(t, start, end)
    part = _part(s, min(n.start, a0), max(n.end, a1))
    if label == "relief" and (_NOT_SCS_TRIAL.search(part) or "other_stimulator_trial" in t.note_classes) \
            and not _SCS.search(part):
        label = "other_treatment"  # a dorsal root ganglion or peripheral nerve stimulator trial is not an SCS trial
    clause = _clause(s, min(n.start, a0), max(n.end, a1))
    if _FUNCTION_GAIN.search(s[max(0, min(n.start, a0) - 40):min(n.start, a0)]) or _GAIN_NAMED_AFTER.match(s, n.end) or \
            (_MEDICATION.search(clause) and not _PAIN_NAMED.search(clause)):
        label = "function_gain"  # "walking improved ~50%", "opioid use down 50%": not pain relief
    # the part's own trial, or the sentence's when the part names none ("Trial #1 ...: lead migration; about 20% relief")
    named = part if re.search(r"\btrial\b", part, re.I) else s
    if label == "relief" and _EARLIER.search(named) and not _REPEAT.search(named):
        label = "earlier_trial"  # a first or failed trial, superseded when a later trial's relief is written
    if label == "relief" and CITED_SOURCE.search(part):
        label = "cited"  # "about 60% relief per the PM&R note": the note that measured it is the source
    if label in ("relief", "unattributed", "cited") and _CORRECTED_TO.search(s[max(0, n.start - 40):n.start]):
        label = "corrected"  # "Trial relief corrected to 37.5%": the value an addendum gives counts over its note's
    wrong = IN_ERROR.search(s)
    if wrong and n.end <= wrong.start() and label in ("relief", "unattributed", "cited"):
        label = "withdrawn"  # "relief previously documented as 45% was entered in error": no longer the value
    return [Finding(label, n.value, "%", start=min(start, t.start), end=max(end, t.end))]


def _part(s: str, a: int, b: int) -> str:
    """The part of the sentence around s[a:b] between semicolons ("first trial failed with 20% relief; repeat trial
    gave 65%": each trial has its own part)."""
    return s[s.rfind(";", 0, a) + 1:(s.find(";", b) + 1 or len(s) + 1) - 1]


def _clause(s: str, a: int, b: int) -> str:
    """The clause of the sentence around s[a:b]: from the comma or semicolon before it to the one after."""
    head = max(s.rfind(",", 0, a), s.rfind(";", 0, a)) + 1
    tail = re.search(r"[,;]", s[b:])
    return s[head:b + tail.start() if tail else len(s)]


def _attribution(t: Target, start: int, end: int) -> str:
    """'relief' when the nearest named treatment is the SCS trial, 'other_treatment' when it is not."""
    cues = [m for m in t.modifiers if m.category in ("SCS_TRIAL", "OTHER_TREATMENT")]
    if cues:
        nearest = min(cues, key=lambda m: min(abs(m.start - end), abs(start - m.end)))
        return "relief" if nearest.category == "SCS_TRIAL" else "other_treatment"
    return "relief" if "scs_trial" in t.note_classes else "unattributed"


_BEFORE_LABEL = re.compile(r"\b(?:pre-?\s?trial|baseline|before(?:\s+(?:the\s+)?trial)?|pre-?implant)\b", re.I)
# a trial day's number in a label ("NRS day 7 (avg) ...... 4/10"), masked so the label reads as words: "day n"
_AVERAGE_WORD = re.compile(r"\b(?:avg|average|mean)\b", re.I)
_DAY_NUMBER = re.compile(r"(\bday\s*#?\s*)(\d{1,2})\b(?!\s*/)", re.I)
_AFTER_LABEL = re.compile(r"\b(?:day\s*n{1,2}|(?:during\s+(?:the\s+)?)?trial(?:\s*\(?\s*(?:avg|average|mean)\)?)?|during|with\s+(?:scs|stim\w*))\b",
                          re.I)
_PAIN_LABEL = re.compile(r"\b(?:pain|nrs|vas|nprs)\b", re.I)
_CELL_NUMBER = re.compile(r"(?<![\d.])(\d{1,2}(?:\.\d+)?)(?:\s*/\s*10)?(?![\d.%])")
# "Baseline avg (3 days): 7.5", "Trial average (days 1-6) .... 2.5/10": a label, then its one number
_DIARY_LINE = re.compile(r"^\s*(?:\d{1,2}[.)]\s+|[A-Ha-h][.)]\s+)?(?P<label>[A-Za-z][^:\d]{0,40}(?:\([^)]{0,20}\))?[^:\d]{0,10})[:\s]\s*"
                         r"(?P<n>\d{1,2}(?:\.\d+)?)(?:\s*[-–]\s*(?P<n2>\d{1,2}(?:\.\d+)?))?(?:\s*/\s*10)?\s*$")


_TABLE_CUE = re.compile(r"baseline|pre-?\s?trial|before\s+(?:the\s+)?trial", re.I)  # what every reader below needs
_PHASE_BEFORE = re.compile(r"\b(?:before(?:\s+(?:the\s+)?trial)?|baseline|pre-?\s?trial)\b", re.I)
_PHASE_TRIAL = re.compile(r"\b(?:during(?:\s+(?:the\s+)?trial)?|trial|with\s+stim\w*)\b", re.I)
_DATED_SCORE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*:\s*(\d{1,2}(?:\.\d)?)\b")
_AFTER_LABEL_SCORE = re.compile(r"^[\s|:,-]*(\d{1,2}(?:\.\d)?)(?![\d/.])")
_DATE_CELL = r"\d{1,2}/\d{1,2}(?:/\d{2,4})?"
_DAY_THEN_DATE = re.compile(r"^[\s|:,-]*\d{1,2}[\s|]+" + _DATE_CELL + r"[\s|:,-]+(?P<n>\d{1,2}(?:\.\d)?)(?![\d/.])")
_DATE_CELL_RE = re.compile(_DATE_CELL)  # a column's date ("Pre-trial baseline (07/15)") is not a value
_ROW_OF_SCORES = re.compile(r"^[A-Za-z ()]{0,20}[:|]?\s*(?P<n>(?:\d{1,2}(?:\.\d)?\s+){2,}\d{1,2}(?:\.\d)?)\s*$")
_DATED_ROW = re.compile(r"^[\s|]*" + _DATE_CELL + r"[\s|:,-]+(?P<n>\d{1,2}(?:\.\d)?)(?![\d/.%])")


def _diary(lines: list[str]) -> tuple[float, float, int, int] | None:
    """A pain diary's baseline and trial averages, with the lines they span: one row per day with its phase
    ("6/26  before trial  6", "05/01/25 | trial | 3"), or a phase label with its dated scores
    ("BEFORE TRIAL: 4/7: 8  4/8: 7 ...")."""
    before, during, rows = [], [], []
    section = None  # the phase a heading names ("BASELINE WEEK (before trial)"), for the dated rows under it
    for k, line in enumerate(lines):
        phase = _PHASE_BEFORE.search(line)
        target = before
        if phase is None:
            phase, target = _PHASE_TRIAL.search(line), during
        if phase is None:
            row = _DATED_ROW.match(line)
            if section is not None and row:  # "01/03/2025    7     took extra tramadol 50mg"
                v = float(row.group("n"))
                if 0 <= v <= 10:
                    section.append(v)
                    rows.append(k)
            continue
        rest = line[phase.end():]
        dated = [float(x) for x in _DATED_SCORE.findall(rest)]
        run = _ROW_OF_SCORES.match(rest)
        if len(dated) >= 2:
            values = dated
        elif run:  # "Baseline week:  7   7   8   7   6   7   7   7.0": the phase's days in a row (and its average)
            values = [float(x) for x in run.group("n").split()]
        else:
            m = _AFTER_LABEL_SCORE.match(rest)
            values = [float(m.group(1))] if m else []
            # "Baseline 1   07/05    7": a day's number, its date, then its score
            day = _DAY_THEN_DATE.match(rest)
            if day:
                values = [float(day.group("n"))]
        values = [v for v in values if 0 <= v <= 10]
        if values:
            target.extend(values)
            rows.append(k)
            section = None
        else:
            section = target
    if len(before) + len(during) < 3 or not before or not during:
        return None
    b, a = sum(before) / len(before), sum(during) / len(during)
    return (b, a, rows[0], rows[-1]) if b > 0 else None


_COLUMN_AVERAGE = re.compile(r"^\s*(?:avg|average|mean)\b\W*(\d{1,2}(?:\.\d+)?)\s*$", re.I)
_COLUMN_DAY = re.compile(r"^\s*" + _DATE_CELL + r"\s+(\d{1,2}(?:\.\d)?)(?![\d/.%])")


def _side_by_side(lines: list[str], first: int, split: int) -> tuple[float, float, int] | None:
    """A two-column diary under its heads: each line cut where the trial column starts, the left part a baseline
    day ("01/02   8") or average ("AVG 7.5"), the right part a trial one. The columns' averages when written,
    else the means of their days; (baseline, trial, last line) or None."""
    days: tuple[list, list] = ([], [])
    means: list = [None, None]
    last = None
    for k in range(first, min(first + 40, len(lines))):
        line = lines[k]
        if not line.strip():
            break
        for side, part in enumerate((line[:max(split - 2, 0)], line[max(split - 2, 0):])):
            m = _COLUMN_AVERAGE.match(part)
            d = _COLUMN_DAY.match(part)
            if m:
                means[side], last = float(m.group(1)), k
            elif d:
                days[side].append(float(d.group(1)))
                last = k
    for side in (0, 1):
        if means[side] is None and days[side]:
            means[side] = sum(days[side]) / len(days[side])
    b, a = means
    if b is None or a is None or not 0 < b <= 10 or not 0 <= a <= 10 or len(days[0]) + len(days[1]) < 3:
        return None
    return b, a, last


_AVERAGE_ROW = re.compile(r"^(?:avg|average|mean|daily\s+average)\b", re.I)
SUMMARY_GAP = 16  # lines from a diary's baseline average to its trial average
_STATED_AVERAGE = re.compile(r"\b(?:avg|average|mean)\b[^\d\n]{0,20}\d", re.I)


@note_extractor("trial")
def trial_tables(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """Relief from a table or a pain diary: a header with a before column (pre-trial, baseline) and a trial
    column, and a pain row under it; or a baseline line and a trial-average line of the same note."""
    low = note.text.lower()
    if ("trial" not in low and "baseline" not in low) or not _TABLE_CUE.search(note.text):
        return []  # every cue holds one of the two words: a substring test passes over most notes at once
    lines = note.text.split("\n")
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    out = []
    diary = _diary(lines) if re.search(r"\b(?:diary|log|daily)\b", note.text[:300] + (note.note_type or ""), re.I) else None
    if diary and any(_STATED_AVERAGE.search(line) for line in lines[diary[3] + 1:]):
        diary = None  # the diary's own averages are written under it ("RN calc: Baseline avg 8.0 / Trial avg 3.2")
    if diary:
        b, a, first, last = diary
        end = starts[last] + len(lines[last])
        out.append((Finding("relief", relief_pct(b, a), "%", start=starts[first], end=end),
                    note.text[starts[first]:end], starts[first], end))
    labelled = [_DAY_NUMBER.sub(lambda m: m.group(1) + "n" * len(m.group(2)), line) if _AVERAGE_WORD.search(line) else line
                for line in lines]  # ("NRS day 7 (avg) ...... 4/10": a day's average, not one day's score)
    # a diary's summary lines ("Baseline avg: 7.5" then "Trial avg: 2.5"), or the cells of a row of them
    units = [(text, k, at) for k, line in enumerate(labelled)
             for at, text in (table_cells(line) if "|" in line and (":" in line or _AVERAGE_WORD.search(line))
                              else [(0, line)])]  # labelled cells, or a row's average cell ("... Baseline avg 7.0")
    for u, (text, i, at) in enumerate(units):
        b = _DIARY_LINE.match(text)
        # a before label ("Pre-trial average pain", "Average pain before trial"): the trial it names is its own phrase's
        if not b or not _BEFORE_LABEL.search(b.group("label")) or \
                _AFTER_LABEL.search(_BEFORE_LABEL.sub(" ", b.group("label"))):
            continue
        for text_a, j, _ in units[u + 1:]:
            if j >= i + SUMMARY_GAP:  # the trial days may sit between
                break
            a = _DIARY_LINE.match(text_a)
            if a and _AFTER_LABEL.search(a.group("label")) and not _BEFORE_LABEL.search(a.group("label")):
                before = min(float(b.group("n")), float(b.group("n2") or 99))  # a range: its better score before,
                after = max(float(a.group("n")), float(a.group("n2") or -1))  # its worse score during the trial
                if 0 < before <= 10 and after <= 10:
                    s0, end = starts[i] + at, starts[j] + len(lines[j])
                    out.append((Finding("relief", relief_pct(before, after), "%", start=s0, end=end),
                                note.text[s0:end], s0, end))
                break
    out += _average_column(note.text, lines, starts)
    out += _phase_heads(note.text, lines, starts)
    for i, line in enumerate(lines):
        cells = table_cells(line)
        before = [c for c in cells if _BEFORE_LABEL.search(c[1]) and not _CELL_NUMBER.search(_DATE_CELL_RE.sub("", c[1]))]
        after = [c for c in cells if _AFTER_LABEL.search(c[1]) and not _BEFORE_LABEL.search(c[1])]
        if not (before and after and before[0][0] < after[0][0]):
            continue
        columns = _side_by_side(lines, i + 1, after[0][0])
        if columns is not None:  # a diary kept in two columns: the baseline days beside the trial days
            b, a, last = columns
            s, end = starts[i], starts[last] + len(lines[last])
            out.append((Finding("relief", relief_pct(b, a), "%", start=s, end=end),
                        note.text[s:end], s, end))
            continue
        below = [(j, cells) for j in range(i + 1, min(i + 14, len(lines))) if (cells := table_cells(lines[j]))]
        rows = [j for j, _ in below]
        averages = [j for j, cells in below if _AVERAGE_ROW.match(cells[0][1])]
        for j in averages[:1] or rows[:7]:  # a diary's average row ("| Average | 7.5 | 3.0 |"), else a pain row
            row = lines[j]
            if not averages and not _PAIN_LABEL.search(row.split("|")[1] if row.startswith("|") else row[:30]):
                continue
            nums = [(m.start(), float(m.group(1))) for m in _CELL_NUMBER.finditer(row)
                    if m.start() >= min(before[0][0], after[0][0]) - 2]
            if len(nums) >= 2 and 0 < nums[0][1] <= 10 and nums[1][1] <= 10:
                b, a = nums[0][1], nums[1][1]
                s = starts[i]
                out.append((Finding("relief", relief_pct(b, a), "%", start=starts[j],
                                    end=starts[j] + len(row)), note.text[s:starts[j] + len(row)], s,
                            starts[j] + len(row)))
            break
    return out


_PHASE_HEAD = re.compile(r"^\s*(?:(?P<before>baseline|pre-?\s?trial|before(?:\s+(?:the\s+)?trial)?)|(?P<trial>trial|during"
                         r"(?:\s+(?:the\s+)?trial)?|with\s+stim\w*))\b[^\n]*?\b(?:avg|average|mean)\b", re.I)
_SCORES_ONLY = re.compile(r"^[\s\d.|]+$")


def _phase_heads(text: str, lines: list[str], starts: list[int]) -> list:
    """A diary whose phases head their own rows of days, the scores on the line under each head and its average in
    the column headed so: "Baseline (pre-trial)   05/10   05/11   Average" over "8   7   7.5", then "Trial   D1   D2
    Average" over "3   3   3.0"."""
    found: dict = {}
    for i, line in enumerate(lines[:-1]):
        head = _PHASE_HEAD.match(line)
        if head is None or not _SCORES_ONLY.match(lines[i + 1]) or not lines[i + 1].strip():
            continue
        column = re.search(r"\b(?:avg|average|mean)\b", line[head.start():], re.I).start() + head.start()
        nums = [(abs(m.start() - column), float(m.group(1))) for m in _CELL_NUMBER.finditer(lines[i + 1])]
        if nums:
            found.setdefault("before" if head.group("before") else "trial", (min(nums)[1], i + 1))
    if set(found) != {"before", "trial"}:
        return []
    (b, k0), (a, k1) = found["before"], found["trial"]
    if not 0 < b <= 10 or not 0 <= a <= 10 or k1 < k0:
        return []
    s, end = starts[k0 - 1], starts[k1] + len(lines[k1])
    return [(Finding("relief", relief_pct(b, a), "%", start=s, end=end), text[s:end], s, end)]


def _average_column(text: str, lines: list[str], starts: list[int]) -> list:
    """A diary table with an average column, one row per phase: "Period | Days | Daily NRS | Average", then
    "Baseline week (pre-trial) | 7 | 8, 7, 8 | 7.5" and "Trial week | 7 | 4, 3, 3 | 3.0"."""
    out = []
    for i, line in enumerate(lines):
        if "|" not in line:
            continue
        head = [c for _, c in table_cells(line)]
        column = [k for k, c in enumerate(head) if _AVERAGE_ROW.match(c)]
        if not column or len(head) < 2:
            continue
        phases: dict = {}
        rows = 0
        for j in range(i + 1, min(i + 8, len(lines))):
            cells = [c for _, c in table_cells(lines[j])]
            if "|" not in lines[j] or len(cells) != len(head):
                if phases:
                    break
                continue
            m = _CELL_NUMBER.fullmatch(cells[column[0]].strip())
            if m is None:
                continue
            label = cells[0]
            phase = "before" if _PHASE_BEFORE.search(label) else "trial" if _PHASE_TRIAL.search(label) else None
            if phase:
                rows += 1
                phases.setdefault(phase, (float(m.group(1)), j))
        # one row per phase (a table of days is read as a diary, not here)
        if rows == 2 and "before" in phases and "trial" in phases and 0 < phases["before"][0] <= 10 and phases["trial"][0] <= 10:
            (b, _), (a, last) = phases["before"], phases["trial"]
            s, end = starts[i], starts[last] + len(lines[last])
            out.append((Finding("relief", relief_pct(b, a), "%", start=s, end=end), text[s:end], s, end))
    return out


# a trial ended before its result could be told: "Trial aborted - unable to assess efficacy", "Trial could not be
# assessed", "stopped on day 2 ... before any assessment"
_ABORTED = re.compile(r"\btrial\b[^.;\n]{0,40}?\b(?:aborted|could\s+not\s+be\s+(?:assessed|evaluated|completed)|not\s+assessable|"
                      r"terminated\s+early|stopped\s+early|unable\s+to\s+(?:assess|evaluate))|"
                      r"\b(?:aborted|terminated|stopped)\b[^.;\n]{0,60}?\b(?:before\s+(?:any\s+)?(?:assessment|evaluation)|"
                      r"on\s+(?:trial\s+)?day\s+[1-3])\b|\bunable\s+to\s+assess\s+(?:efficacy|relief|benefit|the\s+trial)",
                      re.I)


@note_extractor("trial")
def aborted_trials(note: Note, note_classes: frozenset) -> list[tuple[Finding, str, int, int]]:
    """A trial ended before its relief could be told: the most recent trial then has no result (insufficient),
    whatever an earlier trial gave."""
    low = note.text.lower()
    if "trial" not in low and not any(w in low for w in ("abort", "terminat", "stopped", "unable to assess")):
        return []  # every pattern above holds one of these words: most notes hold none
    out = []
    for m in _ABORTED.finditer(note.text):
        start = max(note.text.rfind("\n", 0, m.start()), note.text.rfind(". ", 0, m.start()) + 1, 0)
        end = note.text.find("\n", m.end())
        end = len(note.text) if end < 0 else end
        out.append((Finding("aborted_trial", date=note.note_date, start=m.start(), end=m.end()),
                    note.text[start:end].strip(), start, end))
    return out
