"""The shapes a note comes in, read before the nlp: hard-wrapped prose, words hyphenated across lines,
fax and print furniture inside a note, fill-in fields, unchecked boxes' options, dotted leaders, `key=value`, a unit in
a table cell of its own, the punctuation speech recognition spells out ("period", "comma"), and OCR confusions.

`read_shapes(text)` returns text of the same length in which a sentence wrapped over several lines is
one line again, furniture lines are blank, a filled field `__55__` is `  55  ` and OCR damage in
numbers and in the rules' words is mended ("6O%" -> "60%", "0swestry" -> "Oswestry", "l/10" ->
"1/10"). Every change keeps each character where it was, or a few places left of it on its own line
(a word joined across a line break or mended gives its spare characters to the end of its line, so
no run of spaces splits a phrase the rules read): offsets found in the result are offsets into the
note as written, and evidence is shown and highlighted in the original text. The furniture patterns and the OCR vocabulary are data (`patterns/shapes.json`).
"""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pipeline.resources import default_patterns_dir

# a line that goes on: long enough to be wrapped prose, not ended by a sentence or a heading
_WRAP_MIN = 45
_ENDS_OPEN = re.compile(r"[A-Za-z0-9,;)%'\"/-]")  # matched on a line's last character
_STARTS_CONTINUED = re.compile(r"^\s{0,3}[a-z(]")
# a name wrapped over two lines in prose ("attends the VA Pain\nPsychology group for ...", "referred to the\nPain Clinic")
_STARTS_NAME = re.compile(r"^\s{0,3}[A-Z][a-z]+\s+[a-z]")
_STARTS_CAPITAL = re.compile(r"^\s{0,3}[A-Z][a-z]+\b")  # after "in", "the", "of": "Physical Therapy in\nReno, 12 visits"
_ENDS_NAME = re.compile(r"\b[a-z]{2,}\s+(?:[A-Z][A-Za-z]*\s+)*[A-Z][a-z]+$")
# a line that starts with a number goes on from the line before only after a word that needs one
# ("... came down to a\n3/10"); else it is a row of a log or a list
_STARTS_NUMBER = re.compile(r"^\s{0,3}[~≈]?\d")
# a span of dates goes on a long open line ("completed formal PT at Riverbend, 2x/week\n01/06/2025-02/27/2025 (...")
_STARTS_RANGE = re.compile(r"^\s{0,3}\d{1,2}/\d{1,2}/\d{2,4}\s*(?:-|–|to|through)\s*\d{1,2}/\d{1,2}/\d{2,4}")
_NEEDS_MORE = re.compile(r"\b(?:to|of|at|was|were|a|an|from|on|and|or|by|with|about|approximately|approx|is|are|"
                         r"scored|score|around|the|than|over|under|for|in|roughly|nearly|reported|reports|only|just|gave|had|"
                         r"visit|eval|evaluation|discharged?|dos|seen|through|thru|until|between)$", re.I)
# a number that goes on a sentence, not a row's date, a list's marker or a column ("36/100. PROMIS ..." after "Oswestry")
_NUMBER_GOES_ON = re.compile(r"^\s{0,3}[~≈]?\d{1,3}(?:\.\d+)?(?:\s*(?:/|out\s+of|of)\s*\d{1,3}|\s*%)(?![/\d])")
_LIST_OR_FIELD = re.compile(r"^\s*([-*•]|\d+[.)]\s|\|)|^\s*[A-Z][\w /()&-]{0,40}:\s")  # a field's label is capitalised
_HYPHENATED = re.compile(r"(?<=[A-Za-z]{2})-\n(?=[a-z]{2})")
_FILLED = re.compile(r"_+\s*(\d[\d.]*)\s*_+")
_LEADER = re.compile(r"\.{3,}|…+")  # dotted leaders ("ODI ....... 42 %") and ellipses: not sentence ends
# an unchecked box's option is not what the form says: "☐ Not cleared", "[ ] SCS", "[ ] Yes"
_UNCHECKED = re.compile(r"(?:☐|□|\[\s\]|\(\s\))[ \t]*([^\[\]☐☒☑□■\n|]*?)"
                        r"(?=\s*(?:☐|☒|☑|□|■|\[[ xX✓✔*]?\]|\([ xX✓✔]\)|\||\n|$))")
# a form field left unanswered says nothing, its label included: "Prior spine surgery: ______", "Persistent pain: [ ] [ ]",
# "Psych clearance ......... ______" (its leader already blanked)
# (the unchecked boxes' options are blanked first)
_UNANSWERED = re.compile(r"(?:^|(?<=[ \t]{2})|(?<=\|))[ \t]*[A-Za-z][^:\n|_\[\]☐□☒☑■]{0,60}?(?::|[ \t]{3,})[ \t]*"
                         r"(?:(?:_{2,}|☐|□|\[\s\])[ \t]*)+(?=$|(?<=[ \t]{2})|\|)", re.M)
_SMART_LIST = re.compile(r"\{[^{}\n]{1,60}:\d{3,6}(?:::[^{}\n]{0,80})?\}")
# a row of printed options with the one circled in brackets ("(circle): 0 1 2 ... 8 [9] 10", "0-25%  [50-75%]  75-100%"):
# the options not chosen say nothing, and the chosen one reads without its brackets
_CIRCLED_ROW = re.compile(r"(?<=:)(?P<opts>(?:[ \t]+\[?\d[\d.%-]{0,7}\]?){4,})[ \t]*$", re.M)


def _circled(m: re.Match) -> str:
    opts = m.group("opts")
    chosen = re.findall(r"\[\d[\d.%-]{0,7}\]", opts)
    if len(chosen) != 1:
        return m.group(0)
    k = opts.index(chosen[0])
    content = chosen[0][1:-1]
    return " " * (k + 1) + content + " " * (len(m.group(0)) - k - 1 - len(content))


_KEY_EQUALS = re.compile(r"(?<=[A-Za-z)])=(?=\s*[\d<>])")  # "ODI=38%" reads as "ODI 38%"
_PAIR_SEPARATOR = re.compile(r";(?=[A-Za-z][A-Za-z_ ]{0,30}=)")  # "min=45;ODI=38" reads as "min=45 ODI=38": two words
# "ODI_INDEX=0.42" reads as "ODI INDEX 0.42", "PT_FIRST_DOS: 2025-02-04" as "PT FIRST DOS: 2025-02-04"
_KEY_UNDERSCORE = re.compile(r"(?<=[A-Za-z])_(?=[A-Za-z][A-Za-z_]*\s*[=:])")
# a table cell that holds only the unit of the number in the cell before: "| 8 | /50 |" reads as "| 8   /50 |"
_UNIT_CELL = re.compile(r"(?<=\d)([ \t]*)\|(?=[ \t]*(?:/[ \t]*(?:50|100|10)|%)[ \t]*(?:\||$))", re.M)
# speech recognition's spoken punctuation, left in a dictated note: "... today period PHQ 9 is 8 comma she ...";
# read only in a note that speaks three of them, or says it was dictated ("a period of six weeks" is the word itself)
_SPOKEN = re.compile(r"[ \t]*\b(period(?![ \t]+of\b)|full stop|comma|colon|semicolon|new paragraph|new line|next line|"
                     r"underscores?(?:[ \t]+underscores?)*)\b[ \t]?|"
                     r"(?<=\w)[ \t]+(slash)[ \t]+(?=\w)", re.I)
_DICTATED = re.compile(r"\b(?:speech|voice)[- ]recognition\b|\bdictat(?:ed|ion)\b|\bdragon\b", re.I)
_SPOKEN_MARK = {"period": ". ", "full stop": ". ", "comma": ", ", "colon": ": ", "semicolon": "; ",
                "new paragraph": ". ", "new line": ". ", "next line": ". ", "slash": "/"}


def _spoken(s: str, m: re.Match, followed: bool) -> tuple[int, int, str]:
    """The mark a spoken word stands for; a sentence's end capitalises the word after it, as the splitter needs
    (unless another spoken mark follows: "period new paragraph")."""
    word = (m.group(1) or m.group(2)).lower()
    mark = "__ " if word.startswith("underscore") else _SPOKEN_MARK[word]  # "underscore underscore": a blank
    nxt = s[m.end():m.end() + 1]
    if mark == ". " and not followed and nxt.isalpha() and nxt.islower():
        return m.start(), m.end() + 1, mark + nxt.upper()
    return m.start(), m.end(), mark


# what speech recognition makes of numbers and letters: "6 0 percent" (60), "31 point 4", "point four four" (.44),
# "O D I" / "O.D.I." (ODI)
_SPLIT_DIGITS = re.compile(r"\b(\d) (\d)\b(?=\s*(?:%|percent\b|per\s*cent\b|to\s+\d \d\b|out\s+of\b|/))", re.I)
_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}
_SPOKEN_DECIMAL = re.compile(r"(?<=\d) point (?=\d)|\bpoint((?:\s+(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"
                             r"(?![\w.])){1,2})", re.I)
_SPELLED = re.compile(r"\b([A-Z])(?:\.\s?| )([A-Z])(?:(?:\.\s?| )([A-Z]))?\b\.?")
_ACRONYMS = {"ODI", "SCS", "PT", "NRS", "VAS", "DRG", "ESI"}


def _heard(s: str, rules: ShapeRules) -> list[tuple[int, int, str]]:
    """The edits that read a dictated note's numbers, spelled letters and sound-alikes as written."""
    edits = [(m.start(), m.end(), m.group(1) + m.group(2)) for m in _SPLIT_DIGITS.finditer(s)]
    for m in _SPOKEN_DECIMAL.finditer(s):
        digits = "".join(_DIGIT_WORDS.get(w.lower(), w) for w in (m.group(1) or "").split())
        edits.append((m.start(), m.end(), "." + digits))
    for m in _SPELLED.finditer(s):
        word = "".join(g for g in m.groups() if g)
        if word in _ACRONYMS:
            edits.append((m.start(), m.end(), word + (" " if m.group(0).endswith(" ") else "")))
    if rules.heard is not None:
        edits += [(m.start(), m.end(), rules.heard_as[" ".join(m.group(0).lower().split())])
                  for m in rules.heard.finditer(s)]
    edits.sort()
    return [e for k, e in enumerate(edits) if k == 0 or e[0] >= edits[k - 1][1]]  # none overlapping


# OCR in numbers: O/o for 0 beside digits, l/I for 1 beside digits or in a fraction
_OCR_ZERO = re.compile(r"(?<=\d)[Oo](?=[\d%/.]|\b)|(?<=\d[.,])[Oo]|(?<=\d/)[Oo](?=\d)")
_OCR_ONE = re.compile(r"(?<=\d)[lI](?=[\d%/])|(?<=/)[lI](?=\d|\b)|\b[lI](?=\s?/\s?\d)|\b[lI](?=\d)")
# S for 5 beside a score's digits ("2S/50", "(S0%)"), and "o/o" for a percent sign ("42o/o"); never a level (S1)
_OCR_FIVE = re.compile(r"(?<=\d)S(?=[%/])|(?<![A-Za-z])S(?=\d\s?%)")
_OCR_PERCENT = re.compile(r"(?<=\d)o/o\b")
# cheap tests that a note can hold what each reader above changes (most notes hold none of it)
_MAY_OCR_ZERO = re.compile(r"[0-9][.,/]?[Oo]")
_MAY_OCR_ONE = re.compile(r"[lI](?=[\d%/]|\s?/\s?\d)|/[lI]\b")


class ShapeRules(NamedTuple):
    furniture: tuple[re.Pattern, ...]
    mended: dict                   # an OCR-damaged form of a vocabulary word (lower-case) -> the word
    any_furniture: re.Pattern | None
    heard: re.Pattern | None = None  # speech recognition's sound-alikes of the rules' words ("oz west tree")
    heard_as: dict = {}              # a sound-alike (lower-case, single-spaced) -> the word


# what OCR puts for a letter: o -> 0, l -> 1 or I, i -> l or 1, m -> rn
_CONFUSIONS = {"o": ("0",), "l": ("1", "i"), "i": ("l", "1"), "m": ("rn",)}


def _damaged_forms(word: str) -> set[str]:
    """The word with one or two letters read as OCR reads them ("0swestry", "odl", "cornpleted")."""
    forms = {word}
    for _ in range(2):
        forms |= {f[:k] + alt + f[k + 1:] for f in forms for k, ch in enumerate(f) for alt in _CONFUSIONS.get(ch, ())}
    return forms - {word}


_VOWELS = "aeiou"


def _typed_forms(word: str) -> set[str]:
    """A long word as a hurried typist writes it: two letters swapped ("releif"), a vowel for another
    ("stimulater", "permanant"), a letter doubled or an "e" put in ("oswestery"). Short words are left alone:
    one slip there makes another word."""
    if len(word) < 6:
        return set()
    forms = {word[:k] + word[k + 1] + word[k] + word[k + 2:] for k in range(len(word) - 1) if word[k] != word[k + 1]}
    forms |= {word[:k] + v + word[k + 1:] for k, ch in enumerate(word) if ch in _VOWELS for v in _VOWELS if v != ch}
    forms |= {word[:k] + ch + word[k:] for k, ch in enumerate(word) if ch.isalpha()}
    forms |= {word[:k] + "e" + word[k:] for k in range(2, len(word) - 1)}
    return forms - {word}


@lru_cache(maxsize=4)
def load_shape_rules(patterns_dir: str | None = None) -> ShapeRules:
    path = Path(patterns_dir or default_patterns_dir()) / "shapes.json"
    if not path.is_file():
        return ShapeRules((), {}, None)
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"description", "furniture", "ocr_words", "heard_words"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    heard_as = {" ".join(k.lower().split()): v for k, v in data.get("heard_words", {}).items()}
    heard = re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, k.split())) for k in sorted(heard_as, key=len,
                                                                                                reverse=True)) + r")\b",
                       re.I) if heard_as else None
    furniture = tuple(re.compile(p, re.I) for p in data.get("furniture", ()))
    words = frozenset(w.lower() for w in data.get("ocr_words", ()))
    mended = {form: w for w in sorted(words) for form in _typed_forms(w) if form not in words}
    mended.update({form: w for w in sorted(words) for form in _damaged_forms(w) if form not in words})
    any_furniture = re.compile("|".join(f"(?:{p.pattern})" for p in furniture), re.I | re.M) if furniture else None
    return ShapeRules(furniture, mended, any_furniture, heard, heard_as)


def _edit_keeping_lines(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) replaced by a no longer string, the characters it saves added as spaces at
    the end of the line the edit ends on: the text keeps its length and its lines, and no run of spaces
    splits a phrase the rules read ("psycho-\nlogical evaluation" -> "psychological evaluation  ")."""
    out, pad, at = [], 0, 0
    for start, end, new in sorted(edits):
        seg = text[at:start]
        if pad and "\n" in seg:
            k = seg.index("\n")
            seg, pad = seg[:k] + " " * pad + seg[k:], 0
        out += [seg, new]
        pad += (end - start) - len(new)
        at = end
    seg = text[at:]
    if pad:
        k = seg.find("\n")
        seg = seg + " " * pad if k < 0 else seg[:k] + " " * pad + seg[k:]
    out.append(seg)
    return "".join(out)


# a line that holds a score is the note's, whatever furniture it also holds ("ODI (scanned, page 2 of 7): 30%")
_HOLDS_A_SCORE = re.compile(r"\d\s*%|(?<![Pp]age )(?<![Pp]age)(?<![Pp]g )\b\d{1,2}\s*/\s*(?:10|50|100)\b(?!\s*/)")


def _blank_furniture(text: str, lines: list[str], rules: ShapeRules) -> list[bool]:
    """Blank each furniture line (not one that holds a score); only the lines the patterns together touch are
    tried one by one."""
    blank = [False] * len(lines)
    if rules.any_furniture is None:
        return blank
    starts, tried = None, set()
    for m in rules.any_furniture.finditer(text):
        if starts is None:
            starts = [0]
            for line in lines[:-1]:
                starts.append(starts[-1] + len(line) + 1)
        first = bisect.bisect_right(starts, m.start()) - 1
        last = bisect.bisect_right(starts, max(m.end() - 1, m.start())) - 1
        for i in range(first, last + 1):
            if i in tried:
                continue
            tried.add(i)
            line = lines[i]
            if line.strip() and any(p.search(line) for p in rules.furniture) and not _HOLDS_A_SCORE.search(line):
                lines[i] = " " * len(line)
                blank[i] = True
    return blank


_MAY_RUN_ON = re.compile(r"\n(?=[ \t]{0,3}(?:[a-z(\d~≈]|[A-Z][a-z]+\b))")  # a line break before a line that may go on a sentence


def _runs_on(a: str, b: str, cut: bool, after: str = "") -> bool:
    """Whether line `a`'s sentence goes on in line `b`: a long line that goes on, or any open line a fax header
    or footer cut off (`cut`). A short open line with more text under it (`after`) is a line of its own, as in a
    terse note ("she will do trial 5/20" over "oswestery 23/50 today" over "wt 212"): wrapped prose fills its
    lines up to a paragraph's or sentence's end. (The cheap tests first: most lines of a note end a sentence or
    are short.)"""
    if not ((len(a) >= _WRAP_MIN or cut) and (_ENDS_OPEN.match(a[-1:]) or (a.endswith(":") and _STARTS_RANGE.match(b)))
            and "|" not in a) or _LIST_OR_FIELD.match(b):
        return False  # (a label's span of dates on the next line: "Physical therapy (land and aquatic):\n10/07/2024 - ...")
    if after.strip() and len(b.strip()) < min(0.5 * len(a), _WRAP_MIN) and _ENDS_OPEN.match(b.rstrip()[-1:]) and not cut:
        return False
    tail = a[-60:]
    starts_on = _STARTS_CONTINUED.match(b) or (_STARTS_NUMBER.match(b) and (_NEEDS_MORE.search(tail) or _NUMBER_GOES_ON.match(b)
                                                                            or _STARTS_RANGE.match(b))) or \
        (_STARTS_CAPITAL.match(b) and (_NEEDS_MORE.search(tail) or (_STARTS_NAME.match(b) and _ENDS_NAME.search(tail))))
    return bool(starts_on)


def _join_wrapped(lines: list[str], furniture: list[bool], text: str) -> str:
    """Lines joined with a space where a sentence runs on, else with their line break."""
    if not any(furniture):  # only the breaks before a line that can go on need a look
        out, at = [], 0
        for m in _MAY_RUN_ON.finditer(text):
            i = m.start()
            end = text.find("\n", i + 1)
            after = "" if end < 0 else text[end + 1:(text.find("\n", end + 1) + 1 or len(text) + 1) - 1]
            if _runs_on(text[text.rfind("\n", 0, i) + 1:i].rstrip(), text[i + 1:len(text) if end < 0 else end], False,
                        after):
                out.append(text[at:i])
                out.append(" ")
                at = i + 1
        out.append(text[at:])
        return "".join(out)
    out = [lines[0]]
    i = 0
    while i < len(lines) - 1:
        j = i + 1
        # a sentence may run on over a fax header or footer, and the blank lines around it
        while j < len(lines) - 1 and (furniture[j] or (not lines[j].strip() and (furniture[j - 1] or furniture[j + 1]))):
            j += 1
        sep = " " if _runs_on(lines[i].rstrip(), lines[j], j > i + 1, lines[j + 1] if j + 1 < len(lines) else "") else "\n"
        for k in range(i + 1, j + 1):
            out.append(sep)
            out.append(lines[k])
        i = j
    return "".join(out)


def _mend(m: re.Match, mended: dict) -> str:
    word = m.group(0)
    fixed = mended[word.lower()]
    letters = [c for c in word if c.isalpha() and c not in "lI"]  # l/I may be what OCR put for the other
    if letters and all(c.isupper() for c in letters):
        fixed = fixed.upper()
    elif word[0].isupper() or word[0] == "0":
        fixed = fixed.capitalize()
    return fixed if len(fixed) <= len(word) else word  # the spare characters go to the line's end


_TOKEN = re.compile(r"[a-z0-9]+")


def _damaged_words(text: str, rules: ShapeRules) -> set[str]:
    """The OCR-damaged forms of rule words in the text (its words, looked up in a set: one pass)."""
    return rules.mended.keys() & set(_TOKEN.findall(text.lower())) if rules.mended else set()


def ocr_damaged(text: str, patterns_dir: str | None = None) -> bool:
    """Whether a rule word appears in the text as OCR damaged it."""
    return bool(_damaged_words(text, load_shape_rules(patterns_dir)))


def read_shapes(text: str, patterns_dir: str | None = None) -> str:
    """The note's text as one reads it (see the module docstring); always the same length as `text`."""
    if not text:
        return text
    rules = load_shape_rules(patterns_dir)
    s = text
    if "-\n" in s:
        s = _edit_keeping_lines(s, [(m.start(), m.end(), "") for m in _HYPHENATED.finditer(s)])
    if "_" in s:
        s = _FILLED.sub(lambda m: " " * (m.start(1) - m.start()) + m.group(1) + " " * (m.end() - m.end(1)), s)
    if "..." in s or "…" in s:
        s = _LEADER.sub(lambda m: " " * len(m.group(0)), s)
    if "[" in s:
        s = _CIRCLED_ROW.sub(_circled, s)
    if "[" in s or "☐" in s or "□" in s or "( )" in s:
        s = _UNCHECKED.sub(lambda m: m.group(0)[:m.start(1) - m.start()] + " " * len(m.group(1)), s)
    if "{" in s and ":" in s:  # an unexpanded pick list ("{YES/NO:21234}", "{Not done:99999}"): a blank field
        s = _SMART_LIST.sub(lambda m: "_" * len(m.group(0)), s)
    if "__" in s or "[" in s or "☐" in s or "□" in s:
        s = _UNANSWERED.sub(lambda m: " " * len(m.group(0)), s)
    low = s.lower()
    found = list(_SPOKEN.finditer(s)) if " period" in low or " comma" in low or "new paragraph" in low else []
    if len(found) >= 3 or (found and _DICTATED.search(s)):
        s = _edit_keeping_lines(s, [_spoken(s, m, k + 1 < len(found) and found[k + 1].start() == m.end())
                                    for k, m in enumerate(found)])
        s = _edit_keeping_lines(s, _heard(s, rules))
    if "_" in s:
        s = _KEY_UNDERSCORE.sub(" ", s)
    if "=" in s:
        if ";" in s:
            s = _PAIR_SEPARATOR.sub(" ", s)
        s = _KEY_EQUALS.sub(" ", s)
    if "|" in s:
        s = _UNIT_CELL.sub(lambda m: m.group(1) + " ", s)
    if "o/o" in s:
        s = _OCR_PERCENT.sub("%  ", s)
    if _MAY_OCR_ZERO.search(s):
        s = _OCR_ZERO.sub("0", s)
    if _MAY_OCR_ONE.search(s):
        s = _OCR_ONE.sub("1", s)
    if "S" in s:
        s = _OCR_FIVE.sub("5", s)
    damaged = _damaged_words(s, rules)
    if damaged:
        found = re.finditer(r"\b(?:" + "|".join(map(re.escape, sorted(damaged))) + r")\b", s, flags=re.I)
        s = _edit_keeping_lines(s, [(m.start(), m.end(), _mend(m, rules.mended)) for m in found])
    lines = s.split("\n")
    furniture = _blank_furniture(s, lines, rules)
    s = _join_wrapped(lines, furniture, s)
    assert len(s) == len(text)
    return s
