"""A cheap pre-filter: send to the nlp only the notes, and the sentences of a note, that can hold a criterion.

It is derived from the rules themselves, so it cannot disagree with them:

* a sentence can produce a target only if it holds every required word of some
  target rule (rules never cross a sentence, and ConText never looks past one);
* `patterns/prefilter.json` says what the normalizers need besides: categories
  under `cue_dependent` count only beside a ConText cue (a relief figure beside
  the trial) or in a note of the named class; categories under `note_class_required`
  count only in a note of that class (a psychological outcome in a note about SCS);
  categories under `never_counts` (distractors) never make a sentence worth reading.

A note none of whose words can complete a rule is not read at all. Otherwise the nlp
reads a `Window`: the kept sentences and the section headers before them, joined by
line breaks, with a map back to note offsets, so every mention keeps its section,
sentence and offsets. Words are compared as the tokenizer could cut them: whole,
and split at - / . ' + marks.
"""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pipeline.resources import default_patterns_dir
from pipeline.nlp.build import SENTENCE_ABBREVIATIONS

HEADER = re.compile(r"[ \t>*#\-]*[A-Za-z][^\n:.;]{0,45}(?::|\s-\s)")
WORD = re.compile(r"[^\W_]+(?:[-/.'+][^\W_]+)*")  # letters of any alphabet: "bajó", "psicológica"


class Element(NamedTuple):
    """What one token of a rule accepts."""
    attr: str      # "LOWER" or "TEXT"
    values: frozenset
    regex: str | None

    def accepts(self, word: str) -> bool:
        w = word.lower() if self.attr == "LOWER" else word
        if self.regex is not None:
            return re.search(self.regex, w) is not None
        return w in self.values

    def text_pattern(self) -> str | None:
        """A regex over note text for the words this element accepts (None for a regex element)."""
        if self.regex is not None:
            return None
        alternatives = "|".join(map(re.escape, sorted(self.values, key=lambda v: (-len(v), v))))
        return f"(?:{alternatives})" if self.attr == "LOWER" else f"(?-i:{alternatives})"


def _element(spec: dict) -> Element | None:
    """None when the element accepts anything or only punctuation: it cannot narrow the search."""
    for attr, norm in (("LOWER", "LOWER"), ("NORM", "LOWER"), ("TEXT", "TEXT"), ("ORTH", "TEXT")):
        if attr not in spec:
            continue
        v = spec[attr]
        if isinstance(v, str):
            v = {"IN": [v]}
        if "REGEX" in v:
            return Element(norm, frozenset(), v["REGEX"])
        values = [x.lower() if norm == "LOWER" else x for x in v.get("IN", [])]
        if not values or not all(re.search(r"[A-Za-z0-9]", x) for x in values):
            return None
        return Element(norm, frozenset(values), None)
    return None


def _requirements(rule: dict) -> list[Element] | None:
    pattern = rule.get("pattern")
    if pattern is None:
        specs = [{"LOWER": w} for w in rule["literal"].split()]
    elif isinstance(pattern, str):
        return None
    else:
        specs = [e for e in pattern if e.get("OP") not in ("?", "*", "!")]
    elements = [e for e in map(_element, specs) if e is not None]
    return elements or None


class RuleNeed(NamedTuple):
    """What a sentence must hold for one target rule to yield a finding that can count."""
    elements: frozenset                # ids of the elements the rule requires
    cues: tuple[frozenset, ...]        # one of these cue rules beside it, unless ...
    cue_class: str | None              # ... the note is of this class
    required_class: str | None         # the note must be of this class


WORD_CACHE = 200_000  # words whose hits are remembered (about 100 bytes each): the common words, soon met
NO_HITS: frozenset = frozenset()


class Filter(NamedTuple):
    elements: tuple[Element, ...]
    rules: tuple[RuleNeed, ...]
    section_start: re.Pattern | None   # matches where a section header can start (None: anywhere)
    section_header: re.Pattern | None  # matches a sentence that surely is a section header
    by_word: dict                      # (attr, word) -> ids of the literal elements that accept it
    regex_ids: tuple[int, ...]         # elements tested by their regex
    by_key: dict                       # element id -> the rules keyed by it (each rule by one of its elements)
    seen: dict                         # word -> hits, for the words met so far

    def hits(self, word: str) -> frozenset:
        """Ids of the elements a word satisfies, whole or cut at - / . ' + as the tokenizer may cut it."""
        found = self.seen.get(word)
        if found is None:
            parts = {p for p in (word, *re.split(r"[-/.'+]", word)) if p}
            ids = {i for p in parts for key in (("LOWER", p.lower()), ("TEXT", p)) for i in self.by_word.get(key, ())}
            ids.update(i for i in self.regex_ids if any(self.elements[i].accepts(p) for p in parts))
            found = frozenset(ids) if ids else NO_HITS  # most words hit nothing: one shared empty set
            if len(self.seen) < WORD_CACHE:
                self.seen[word] = found
        return found

    def possible(self, hits: set, note_classes: frozenset) -> tuple[RuleNeed, ...]:
        """The rules a text with these hits can satisfy in a note of these classes."""
        keyed = {k for i in hits for k in self.by_key.get(i, ())}
        return tuple(r for r in map(self.rules.__getitem__, sorted(keyed))
                     if (r.required_class is None or r.required_class in note_classes)
                     and _can_count(hits, (r,), note_classes))


BOUNDED = r"(?<![^\W_])(?:{})(?![^\W_])"


def _token_regex(element: dict, first: bool) -> str | None:
    """A regex for the one token a section-rule element accepts; None when it is not a plain word list."""
    keys = set(element) - ({"IS_SENT_START"} if first else set())
    if len(keys) != 1 or not keys <= {"LOWER", "TEXT"}:
        return None
    attr = keys.pop()
    v = element[attr]
    values = [v] if isinstance(v, str) else v.get("IN") if isinstance(v, dict) and set(v) == {"IN"} else None
    if not values or any(not isinstance(x, str) or not x or (attr == "LOWER" and x != x.lower()) for x in values):
        return None
    alternatives = [(r"(?<![^\W_])" if x[0].isalnum() else "") + re.escape(x)
                    + (r"(?![^\W_])" if x[-1].isalnum() else "") for x in values]
    body = "|".join(alternatives)
    return f"(?:{body})" if attr == "LOWER" else f"(?-i:{body})"


def _section_patterns(pdir: Path) -> tuple[re.Pattern | None, re.Pattern | None]:
    """Two regexes from the section rules, matched where a sentence starts.

    * where a section header can start, by the rules' first words (None when some rule's first
      word cannot be told: then every "Words:" sentence counts as one);
    * a sentence the sectionizer surely reads as a header, each rule's words in turn (None when
      some rule cannot be written so: then no header before a kept sentence is dropped).
    """
    starts, headers = [], []
    for path in sorted(pdir.glob("sections*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["section_rules"]:
            pattern = rule.get("pattern")
            if pattern is None:
                first = {"LOWER": rule["literal"].split()[0].lower()} if rule["literal"].split() else {}
            elif isinstance(pattern, list) and pattern and pattern[0].get("OP") is None:
                first = pattern[0]
            else:
                first = {}
            element = _element(first)
            starts.append(element.text_pattern() if element is not None else None)
            parts = ([_token_regex(e, i == 0) for i, e in enumerate(pattern)]
                     if isinstance(pattern, list) and pattern and pattern[0].get("IS_SENT_START") is True else [None])
            headers.append(None if None in parts else "(?: )?".join(parts))  # one space is no token; more would be one
    start = None if None in starts else re.compile(r"[ \t>*#\-]*" + BOUNDED.format("|".join(dict.fromkeys(starts))),
                                                   re.I)
    header = None if None in headers or not headers else re.compile(r"[ \t]*(?:" + "|".join(headers) + ")", re.I)
    return start, header


@lru_cache(maxsize=8)
def load_filter(patterns_dir: str | None = None, categories: frozenset | None = None) -> Filter | None:
    """The filter for a rules folder; None when some rule could match anything (then nothing is skipped).

    With `categories`, only the target rules of those categories make a sentence worth reading (a policy
    that does not score a criterion needs none of its sentences)."""
    pdir = Path(patterns_dir or default_patterns_dir())
    cfg_path = pdir / "prefilter.json"
    config = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.exists() else {}
    unknown = set(config) - {"description", "cue_dependent", "note_class_required", "never_counts"}
    if unknown:
        raise ValueError(f"{cfg_path}: unknown keys {sorted(unknown)}")
    dependent = config.get("cue_dependent", {})
    required = config.get("note_class_required", {})
    never_counts = set(config.get("never_counts", []))
    ids: dict[Element, int] = {}

    def need(rule):
        req = _requirements(rule)
        return None if req is None else frozenset(ids.setdefault(e, len(ids)) for e in req)

    cues: dict[str, list] = {}
    for path in sorted(pdir.glob("context*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["context_rules"]:
            if any(rule["category"] in d["cues"] for d in dependent.values()):
                n = need(rule)
                if n is None:
                    return None
                cues.setdefault(rule["category"], []).append(n)
    rules = []
    for path in sorted(pdir.glob("targets*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["target_rules"]:
            if rule["category"] in never_counts or (categories is not None and rule["category"] not in categories):
                continue  # read only where a sentence is kept for another rule
            n = need(rule)
            if n is None:
                return None
            d = dependent.get(rule["category"], {})
            rules.append(RuleNeed(n, tuple(c for cat in d.get("cues", ()) for c in cues.get(cat, [])),
                                  d.get("note_class"), required.get(rule["category"])))
    elements = tuple(sorted(ids, key=ids.get))
    by_key: dict[int, tuple[int, ...]] = {}
    for k, r in enumerate(rules):
        key = min(r.elements)
        by_key[key] = (*by_key.get(key, ()), k)
    by_word: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(elements):
        for v in e.values:
            by_word.setdefault((e.attr, v), []).append(i)
    return Filter(elements, tuple(rules), *_section_patterns(pdir),
                  {k: tuple(v) for k, v in by_word.items()},
                  tuple(i for i, e in enumerate(elements) if e.regex is not None), by_key, {})


def _can_count(hits: set, rules: tuple[RuleNeed, ...], note_classes: frozenset) -> bool:
    """Some target rule can match here, and if its category needs a cue, the cue is here too."""
    return any(r.elements <= hits and (not r.cues or r.cue_class in note_classes
                                       or any(c <= hits for c in r.cues))
               for r in rules)


@lru_cache(maxsize=1)
def _kept_whole() -> frozenset:
    """Words the tokenizer keeps together with their full stop ("Dr.", "Jan.", "vs."), plus the splitter's own list."""
    from spacy.lang.en import English  # the exceptions spacy.blank("en"), the pipeline's base, tokenizes with
    return (frozenset(k[:-1].lower() for k in English.Defaults.tokenizer_exceptions if k.endswith("."))
            | SENTENCE_ABBREVIATIONS)


_LINE_END = re.compile(r"\n")
_STOP = re.compile(r"[.!?](?=[ \t]+[A-Z])")
_STOP_WORD = re.compile(r"[a-z]{2,}|[A-Z][a-z]+|\d+")


def _units(text: str) -> list[int]:
    """Start offsets of the units the note is cut into, each a whole number of sentences: the splitter
    splits at a line break, and at a word's full stop before a capital (a number's too, "50%." included)
    unless the word is one the tokenizer keeps whole with its full stop."""
    breaks = [m.end() for m in _LINE_END.finditer(text)]
    whole = None
    for m in _STOP.finditer(text):
        q = p = m.start()
        if text[q - 1:q] == "%":
            q -= 1
        k = q
        while k and (text[k - 1].isalnum() or text[k - 1] == "_"):
            k -= 1
        word = text[k:q]
        if not _STOP_WORD.fullmatch(word) or (q < p and not word.isdigit()) or text[k - 1:k] in (".", "@", "/", "-"):
            continue
        whole = whole or _kept_whole()
        if word.lower() not in whole:
            breaks.append(p + 1)
    return [0, *sorted(breaks)] if whole else [0, *breaks]


class Window(NamedTuple):
    """What the nlp reads of a note: the parts that can hold a criterion, and where each part is in the note.

    Parts are whole sentences (and the section headers before them) joined by line breaks,
    so they split into the same sentences and fall in the same sections as in the note.
    """
    text: str
    starts: tuple[int, ...]       # where each part starts in `text`
    note_starts: tuple[int, ...]  # where the same part starts in the note

    @classmethod
    def whole(cls, text: str) -> "Window":
        return cls(text, (0,), (0,))

    def note_offset(self, i: int) -> int:
        """The note offset of character `i` of the window."""
        k = bisect.bisect_right(self.starts, i) - 1
        return self.note_starts[k] + i - self.starts[k]

    def part(self, a: int, b: int, head: tuple[str, int] | None = None) -> "Window":
        """Characters a..b of the window as a window of its own, after `head` (a header's text and its
        note offset) on a line of its own."""
        text, starts, note_starts = [], [], []
        if head is not None:
            text, starts, note_starts = [head[0], "\n"], [0], [head[1]]
        size = sum(map(len, text))
        k = bisect.bisect_right(self.starts, a) - 1
        while k < len(self.starts) and self.starts[k] < b:
            s = max(self.starts[k], a)
            starts.append(size + s - a)
            note_starts.append(self.note_starts[k] + s - self.starts[k])
            k += 1
        text.append(self.text[a:b])
        return Window("".join(text), tuple(starts), tuple(note_starts))


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_LINE_HYPHEN = re.compile(r"(?<=[A-Za-z])-\n(?=[a-z])")


def can_count(text: str, note_classes: frozenset = frozenset(), patterns_dir: str | None = None,
              categories: frozenset | None = None) -> bool:
    """Whether any rule can be completed by the words of one paragraph of the note.

    A paragraph, not a sentence: the note as written, before its shape is read (nlp/shapes.py joins a
    sentence wrapped over several lines, never across a blank line), so a rule whose words meet in no
    paragraph cannot match in any sentence of the shaped note either.
    """
    f = load_filter(patterns_dir, categories)
    if f is None:
        return True
    if "-\n" in text:  # a word hyphenated across lines is one word to the rules
        text = _LINE_HYPHEN.sub("", text)
    words, note_hits = _note_words(text, f)
    rules = f.possible(note_hits, note_classes)
    if not rules:
        return False
    breaks = tuple(PARAGRAPH_BREAK.finditer(text))
    if not breaks:
        return True  # one paragraph: its words are the note's
    a = 0
    for m in (*breaks, None):
        b = len(text) if m is None else m.start()
        hits = _span_hits(text, a, b, words)
        if hits and _can_count(hits, rules, note_classes):
            return True
        a = b if m is None else m.end()
    return False


def _span_hits(text: str, a: int, b: int, words: dict) -> set:
    """The rule elements the words of text[a:b] hit (`words`: the note's words that hit some, and where they are)."""
    starts, hits = _positions(text, words)
    found: set = set()
    for k in range(bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)):
        found |= hits[k]
    return found


_LAST_WORDS: list = [None, None, None]  # the last text read, its filter and its words: `can_count` then `window`
_LAST_POSITIONS: list = [None, None, None]  # the last text whose words were placed, its words, and where they stand


def _note_words(text: str, f) -> tuple[dict, set]:
    """The note's words that hit some rule element, with their hits; and all the hits together."""
    if _LAST_WORDS[0] is text and _LAST_WORDS[1] is f:
        return _LAST_WORDS[2]
    seen, words = f.seen, {}
    for w in set(WORD.findall(text)):
        h = seen.get(w)
        if h is None:
            h = f.hits(w)
        if h:
            words[w] = h
    found = words, set().union(*words.values())
    _LAST_WORDS[:] = text, f, found
    return found


def _positions(text: str, words: dict) -> tuple[list, list]:
    """Where the words that hit something stand in the note, in text order, with their hits (read once per note:
    its paragraphs and sentences are then a range of them)."""
    if _LAST_POSITIONS[0] is text and _LAST_POSITIONS[1] is words:
        return _LAST_POSITIONS[2]
    starts, hits = [], []
    for m in WORD.finditer(text):
        h = words.get(m.group())
        if h:
            starts.append(m.start())
            hits.append(h)
    _LAST_POSITIONS[:] = text, words, (starts, hits)
    return starts, hits


def window(text: str, note_classes: frozenset = frozenset(), patterns_dir: str | None = None,
           categories: frozenset | None = None) -> Window | None:
    """The sentences of a note that can hold a target (of `categories`, default any), with the section
    headers before them; None when the note cannot count."""
    f = load_filter(patterns_dir, categories)
    if f is None:
        return Window.whole(text)
    words, note_hits = _note_words(text, f)
    rules = f.possible(note_hits, note_classes)
    if not rules:
        return None
    starts = _units(text)
    bounds = starts[1:] + [len(text)]
    keep = []
    for u, (a, b) in enumerate(zip(starts, bounds)):
        hits = _span_hits(text, a, b, words)
        if hits and _can_count(hits, rules, note_classes):
            keep.append(u)
    if not keep:
        return None
    # parts: (start, end) in the note. Before each kept unit come the section headers it may fall under:
    # those since the last unit that surely is one (an earlier header is closed by it)
    parts: list[list[int]] = []
    kept, pending = set(keep), []
    for u in range(keep[-1] + 1):
        a, b = starts[u], bounds[u]
        if u not in kept:
            m = HEADER.match(text, a)
            if m is not None and (f.section_start is None or f.section_start.match(text, a) is not None):
                sure = f.section_header is not None and f.section_header.match(text, a) is not None
                if sure:
                    pending = []
                # header words that could start a target: the whole unit, as the nlp would have read it
                whole = any(f.hits(w) for w in WORD.findall(text, a, m.end()))
                pending.append((a, b if whole else m.end()))
            continue
        for span in [*pending, (a, b)]:
            if parts and parts[-1][1] == span[0]:
                parts[-1][1] = span[1]
            else:
                parts.append(list(span))
        pending = []
    out, w_starts, n_starts, size = [], [], [], 0
    for a, b in parts:
        if out and not out[-1].endswith("\n"):
            out.append("\n")  # a line break ends the previous part's sentence, as the skipped text did
            size += 1
        w_starts.append(size)
        n_starts.append(a)
        out.append(text[a:b])
        size += b - a
    return Window("".join(out), tuple(w_starts), tuple(n_starts))


BLOCK_CHARS = 20_000
_CUT = (re.compile(r"\n[ \t]*\n"), re.compile(r"\n"), re.compile(r"[.!?][ \t]+(?=[A-Z])"), re.compile(r"\s"))


def blocks(win: Window, patterns_dir: str | None = None, categories: frozenset | None = None,
           size: int | None = None) -> list[Window]:
    """A long window cut into windows of about `size` (default BLOCK_CHARS) characters, so that no step
    of the nlp compares every match of a whole records packet with every other (ConText, the target
    matcher): time stays linear in the note's length.

    Cuts fall where a sentence cannot run on: at a paragraph break, else a line break, else a full stop
    before a capital, within half a block after `size`; each block after the first starts with the
    section header in force where it was cut, so every sentence keeps its section.
    """
    text, size = win.text, size or BLOCK_CHARS
    if len(text) <= size:
        return [win]
    f = load_filter(patterns_dir, categories)
    out, a, head = [], 0, None
    while a < len(text):
        b = len(text)
        if b - a > size + size // 2:
            for cut in _CUT:
                m = cut.search(text, a + size, a + size + size // 2)
                if m is not None:
                    b = m.end()
                    break
            else:
                b = a + size
        out.append(win.part(a, b, head))
        head = _last_header(text, a, b, f, win) or head
        a = b
    return out


def _last_header(text: str, a: int, b: int, f, win: Window) -> tuple[str, int] | None:
    """The last line of text[a:b] that may be a section header (as `window` tells one), with its note offset."""
    i = b
    while i > a:
        start = text.rfind("\n", a, i - 1) + 1
        start = max(start, a)
        m = HEADER.match(text, start)
        if m is not None and m.end() <= b and (f is None or f.section_start is None
                                               or f.section_start.match(text, start) is not None):
            return text[start:m.end()], win.note_offset(start)
        i = start
    return None
