"""Number readers shared by the normalizers: number words, percents, pain-score pairs."""
from __future__ import annotations

import re
from typing import NamedTuple

from text_to_num import alpha2digit

from pipeline.nlp.quantities import quantities

_NUMBER_WORD = re.compile(
    r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b", re.I)


def words_to_digits(text: str) -> str:
    """'forty-four percent' -> '44 percent'; text without number words is returned unchanged."""
    if not _NUMBER_WORD.search(text):
        return text
    try:
        return alpha2digit(text, "en", threshold=2)  # "two months" too; "one" stays a word ("no one", "one of")
    except Exception:  # text2num is strict about some inputs; fall back to the text as written
        return text


def words_to_digits_around(text: str, start: int, end: int) -> tuple[str, int, int]:
    """Number words written as digits on both sides of the span [start, end), and where the span now sits."""
    before, after = words_to_digits(text[:start]), words_to_digits(text[end:])
    return before + text[start:end] + after, len(before), len(before) + end - start


class Number(NamedTuple):
    value: float
    start: int
    end: int


PERCENT = re.compile(
    r"(?P<cmp>(?:>\s*=?|≥|greater\s+than|more\s+than|over|at\s+least|in\s+excess\s+of|better\s+than)\s*)?"
    r"(?:(?:approximately|approx\.?|about|around|roughly|nearly|almost|estimated|an\s+estimated|~|≈)\s*)*"
    r"(?:between\s+)?(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:%|percent)?\s*(?P<sep>-|–|to|and|or|,)\s*(?P<hi>\d{1,3}(?:\.\d+)?)\s*(?:%|percent)"
    r"|(?P<cmp2>(?:>\s*=?|≥|greater\s+than|more\s+than|over|at\s+least|in\s+excess\s+of|better\s+than)\s*)?"
    r"(?:(?:approximately|approx\.?|about|around|roughly|nearly|almost|estimated|an\s+estimated|~|≈)\s*)*"
    r"(?P<one>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per\s+cent)", re.I)


def relief_pct(before: float, after: float) -> float:
    """Percent relief from a before and an after pain score; worse pain is no relief."""
    return max(round((before - after) / before * 100, 1), 0.0)


def percents(text: str) -> list[Number]:
    """Percent expressions; a range gives its lower bound ("between 40 and 60 percent", "30, 40 percent"),
    "greater than N%" gives N."""
    out = []
    for m in PERCENT.finditer(text):
        if m.group("sep") in ("and", "or", ",") and not 10 <= float(m.group("lo")) < float(m.group("hi")) <= \
                float(m.group("lo")) + 30:
            m = PERCENT.match(text, m.start("hi"))  # "pain 8, 60% relief": two numbers, not a range ("30, 40 percent")
            if m is None:
                continue
        v = float(m.group("lo") if m.group("lo") else m.group("one"))
        if 0 <= v <= 100:
            out.append(Number(v, m.start(), m.end()))
    return out


SCORE_PAIR = re.compile(
    r"(?:from\s+)?(?:an?\s+)?(?P<a>\d{1,2}(?:\.\d)?)(?P<a10>\s*/\s*10)?\s*(?:->|-->|→|=>|to|down\s+to|-\s*>)\s*>?\s*"
    r"(?:an?\s+)?(?P<b>\d{1,2}(?:\.\d)?)(?P<b10>\s*/\s*10)?(?![\d/])", re.I)
# a 0-100 mm visual analogue scale: "VAS 70 mm at baseline to 20 mm"
# a 0-100 mm VAS, or a score out of 100: "70 mm -> 20 mm", "VAS 80/100 before the trial -> 30/100 at the end"
MM_PAIR = re.compile(r"(?P<a>\d{1,3})\s*(?:mm\b|/\s*100\b)[^.;\d]{0,30}?(?:->|-->|→|=>|\bto\b)\s*(?P<b>\d{1,3})\s*(?:mm\b|/\s*100\b)",
                     re.I)
_SCORE_CUE = re.compile(r"\b(VAS|NRS|pain|scores?|rating)\b[^.;\d]{0,25}$", re.I)


def score_pairs(text: str) -> list[Number]:
    """Pain scores before/after (0-10, or a 0-100 VAS in mm or out of 100), as percent relief:
    (before - after) / before * 100."""
    out = []
    for m in SCORE_PAIR.finditer(text):
        a, b = float(m.group("a")), float(m.group("b"))
        if not (0 < a <= 10 and 0 <= b <= 10):
            continue
        if not (m.group("a10") or m.group("b10") or _SCORE_CUE.search(text[:m.start()])):
            continue
        out.append(Number(relief_pct(a, b), m.start(), m.end()))
    for m in MM_PAIR.finditer(text):
        a, b = float(m.group("a")), float(m.group("b"))
        if 0 < a <= 100 and b <= 100:
            out.append(Number(relief_pct(a, b), m.start(), m.end()))
    return out


_SPACES = re.compile(r"\s{2,}")


def gap_ok(gap: str, limit: int) -> bool:
    """Two spans belong together when only a few words, and no other number or clause break, sit between them."""
    # (a run of spaces counts as one: a line the shape reader joined over a fax page break keeps its length)
    return len(_SPACES.sub(" ", gap)) <= limit and not re.search(r"[\d;]|\.\s", gap)


# an addendum that withdraws a value ("45% was entered in error; ... was 55%"): what comes before it is withdrawn
IN_ERROR = re.compile(r"\b(?:in\s+error|erroneous(?:ly)?|incorrect(?:ly)?|mis-?(?:transcribed|dictated|typed|keyed)|typo|"
                      r"should\s+(?:have\s+)?read|was\s+wrong|transposed|scratch\s+that|strike\s+that)\b", re.I)

# a value cited from the note that measured it ("about 60% relief per the PM&R note", "(per PT)"): that note is its
# source, and counts over the citation
CITED_SOURCE = re.compile(r"\b(?:per|according\s+to|as\s+(?:documented|noted|recorded|reported)\s+(?:by|in|at))\s+"
                          r"(?:the\s+|his\s+|her\s+|their\s+|an?\s+|pt'?s?\s+|patient'?s?\s+)?(?:outside\s+|prior\s+|previous\s+)?"
                          r"(?:PM&R|physiatry|pain\s+(?:clinic|management|medicine|doctor|specialist|team)|"
                          r"surgeon|neurosurg\w*|ortho\w*|spine\s+(?:clinic|surgeon|center)|records?|chart|report|letter|"
                          r"summary|(?:pain\s+)?(?:diary|log)|(?:portal\s+)?message|Dr\.?\s+[A-Z]\w+)\b", re.I)

_FILLER = r"(?:\s+(?:about|approximately|approx\.?|around|roughly|only|just|a|an))*\W{0,3}"
_BEFORE_CUE = re.compile(r"(?:\bbaseline|\bpre-?\s?trial|\bbefore(?:\s+the)?(?:\s+trial)?|\bprior(?:\s+to\s+the\s+trial)?|"
                         r"\bfrom|\bpre-?(?:implant|procedure|op)|\binitially|\busual(?:ly)?|\baveraging|\bwas)"
                         + _FILLER + r"\W{0,8}$", re.I)
_BEFORE_AFTER = re.compile(r"^[^.;\d]{0,30}?\b(?:pre-?\s?trial|before\s+(?:the\s+)?(?:scs\s+)?trial|at\s+baseline|baseline|"
                           r"prior\s+to\s+(?:the\s+)?trial|before(?=\s*[,;).]|\s*$|\s+(?:and|vs\.?|versus)\b))", re.I)
_AFTER_CUE = re.compile(r"(?:->|-->|→|=>|\bto|\bdown\s+to|\bnow|\bduring(?:\s+the\s+trial)?|\btrial\s+(?:avg|average|mean)|"
                        r"\bw(?:ith|/)?\s+(?:the\s+)?(?:trial|stim\w*)|\bwhile|\bcurrently|\bon\s+the\s+trial)"
                        + _FILLER + r"\W{0,12}$", re.I)
_AFTER_AFTER = re.compile(r"^\W{0,3}(?:(?:on\s+)?(?:average\s+)?(?:during(?: the| her| his| their)?(?: [\w-]+){0,2}? trial|"
                          r"w(?:ith|/)? ?(?:the )?(?:trial|stim\w*)|"
                          r"on the trial|while the leads|during (?:it|stim\w*)|during(?=\s*[.;,)]|\s*$)|"
                          r"at the end of (?:the )?(?:trial|week|stimulation)|on stim\w*|"
                          r"by (?:the end of )?(?:day|night) \d{1,2}(?: of (?:the )?(?:trial|stim\w*))?)|now)\b", re.I)
_SCORE = re.compile(r"\b(?P<a>\d{1,2}(?:\.\d)?)(?:\s*(?:or|-|to)\s*(?P<b>\d{1,2}(?:\.\d)?))?"
                    r"(?:\s*(?:/\s*10|out\s+of\s+10|of\s+10)\b)?(?![\d/%]|\.\d)", re.I)


# the same cues anywhere in the score's clause ("before the trial his pain sat at 8/10")
_BEFORE_IN_CLAUSE = re.compile(r"\bbaseline|\bpre-?\s?trial|\bbefore(?:\s+the)?\s+(?:scs\s+)?trial|\bprior\s+to\s+the\s+trial|"
                               r"\bfrom\b|\binitially|\busual(?:ly)?|\baveraging|\bbefore\b", re.I)
_AFTER_IN_CLAUSE = re.compile(r"->|-->|→|=>|\bdown\s+to|\bto\b|\bnow\b|\bduring\b|(?<!before )(?<!pre-)(?<!pre )\btrial\s+(?:avg|average|mean)|"
                              r"\bend\s+of\s+(?:the\s+)?(?:trial|week)|"
                              r"\b(?:over|in|through(?:out)?)\s+the\s+(?:\d+-day\s+)?trial|"
                              r"\bw(?:ith|/)?\s+(?:the\s+)?(?:trial|stim\w*)|\bwhile\b|\bcurrently|\bon\s+the\s+trial|"
                              r"\btrial\s+(?:days?|week|period)\b[^.;]{0,30}?\b(?:avg|average|mean)\b|"
                              r"\bday\s*\d{0,2}\s+of\s+(?:the\s+)?(?:scs\s+)?trial\b", re.I)


_SCORE_NEXT = re.compile(r"\s*(?:(?:is|was|at|about|a|an|down|dropped|came|went|fell|to|around|only|just|approx\.?)\s+){0,4}~?\d")
# "3/10 from a baseline of 8/10": the baseline named after the score is the next score's
_COMPARED_FROM = re.compile(r"^\W{0,3}(?:from|compared\s+(?:to|with)|vs\.?|versus|down\s+from)\b", re.I)
# a score the pain went back to once the trial ended
_RETURNED = re.compile(r"\b(?:back\s+(?:up\s+)?to|returned\s+to|since\s+(?:the\s+)?(?:lead|trial)|after\s+(?:the\s+)?(?:leads?|trial)\s+"
                       r"(?:were\s+|was\s+)?(?:removed|pulled|ended|explanted))\b[^.;]{0,40}$", re.I)


def _last(pattern: re.Pattern, text: str):
    found = None
    for found in pattern.finditer(text):
        pass
    return found


# a drop in points from a named start: "pain reduced by 6 points from a baseline of 8" (6 of 8 = 75 %)
_POINTS_FROM = re.compile(r"\b(?:reduc\w*|decreas\w*|dropp?\w*|down|improv\w*|fell|fallen|lower\w*|better)\s+(?:\w+\s+){0,2}?"
                          r"by\s+(?P<drop>\d{1,2}(?:\.\d)?)\s*(?:points?|pts?)\s+from\s+(?:(?:a|an|her|his|their|the)\s+)?"
                          r"(?:(?:baseline|pre-?\s?trial|starting|initial)\s+(?:score\s+|level\s+)?(?:of\s+)?)?"
                          r"(?P<start>\d{1,2}(?:\.\d)?)(?:\s*/\s*10)?(?![\d%])", re.I)


_SPANISH_DIGITS = {w: str(k) for k, w in enumerate(("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho",
                                                    "nueve", "diez"))} | {"un": "1", "una": "1"}
_SPANISH_SCORE = r"(?:\d{1,2}(?:\.\d)?|cero|uno?|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)"
_DE_A = re.compile(rf"\bde\s+(?:un\s+|una\s+)?(?P<b>{_SPANISH_SCORE})\s+a\s+(?:un\s+|una\s+)?(?P<a>{_SPANISH_SCORE})\b"
                   r"(?!\s*(?:%|por\s+ciento|años|meses|semanas|días))", re.I)


def pain_change(text: str) -> list[Number]:
    """Relief from a before and an after pain score written apart, in any order and with words between:
    "from 7/10 before the trial to 2/10", "baseline 8, trial average 3", "4/10 now (8/10 pre-trial)",
    "down to a 2 or 3 from an 8" (an after range counts its worse score). Both roles must be named."""
    m = _POINTS_FROM.search(text)
    if m and 0 < float(m.group("drop")) <= float(m.group("start")) <= 10:
        return [Number(round(float(m.group("drop")) / float(m.group("start")) * 100, 1), m.start("drop"), m.end("start"))]
    m = _DE_A.search(text)  # Spanish: "el dolor bajó de ocho a tres"
    if m:
        b, a = (float(_SPANISH_DIGITS.get(m.group(k).lower(), m.group(k))) for k in ("b", "a"))
        if 0 < b <= 10 and a <= 10:
            return [Number(relief_pct(b, a), m.start(), m.end())]
    noise = [(q.start, q.end) for q in quantities(text) if q.noise]  # a date, a 7-day trial, a dose
    masked = text  # the cues before a score are read with the noise's digits blanked ("(diary, days 2-7): 3/10")
    for a, b in noise:
        masked = masked[:a] + re.sub(r"\d", " ", masked[a:b]) + masked[b:]
    before, after = [], []
    named_to = 0  # where the last role named after its score ends: those words are not the next score's cue
    for m in _SCORE.finditer(text):
        if any(a <= m.start() < b for a, b in noise):
            continue
        a = float(m.group("a"))
        worse = max(a, float(m.group("b"))) if m.group("b") else a
        if not 0 <= worse <= 10:
            continue
        head, tail = masked[max(0, m.start() - 90, named_to):m.start()], text[m.end():m.end() + 30]
        head = re.split(r"[;.]\s|\d(?![\d/])", head)[-1]  # the cues of this score's own clause, after any other number
        tail = re.split(r"[;.](?:\s|$)", tail)[0]  # and before the next sentence
        # a role named right after the score wins; else the cue nearest before it
        if _RETURNED.search(head):
            continue  # "since lead removal the pain is back to 8/10": after the trial, neither before nor during
        named_before = None if _COMPARED_FROM.match(tail) else _BEFORE_AFTER.match(tail)
        named = named_before or _AFTER_AFTER.match(tail)
        lead = bool(named and not named_before and _SCORE_NEXT.match(tail, named.end()))
        if lead:  # "7/10 now 2/10": the word names the score that follows it; this one is the one before
            named = None
        if named:
            named_to = m.end() + named.end()
            role = "before" if named_before else "after"
        elif lead:
            role = "before"
        else:
            hb, ha = _last(_BEFORE_IN_CLAUSE, head), _last(_AFTER_IN_CLAUSE, head)
            role = ("after" if ha and (not hb or ha.start() > hb.start()) else "before") if hb or ha else ""
        if role == "before":
            before.append((m, a))
        elif role == "after":
            after.append((m, worse))
    if len(before) != 1 or len(after) != 1:
        return []
    (mb, b), (ma, a) = before[0], after[0]
    if b <= 0:
        return []
    start, end = min(mb.start(), ma.start()), max(mb.end(), ma.end())
    return [Number(relief_pct(b, a), start, end)]


_CELL_SPLIT = re.compile(r"\s*\|\s*|\s{2,}|\t")


def table_cells(line: str) -> list[tuple[int, str]]:
    """A table line's cells with where they start (pipes, tabs or runs of spaces divide them)."""
    cells, at = [], 0
    for part in _CELL_SPLIT.split(line):
        i = line.find(part, at) if part else at
        if part.strip():
            cells.append((i, part.strip()))
        at = i + len(part)
    return cells
