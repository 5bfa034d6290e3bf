"""A cheap pre-filter: send to the nlp only the notes, and the sentences of a note, that can hold a criterion.

It is derived from the rules themselves, so it cannot disagree with them:

* a sentence can produce a target only if it holds every required word of some
  target rule (rules never cross a sentence, and ConText never looks past one);
* findings of the categories named in `patterns/prefilter.json` count only beside a
  ConText cue (a relief figure beside the trial, an outcome word beside the
  psychological evaluation) or in a note of the matching class, so a note that has
  neither a cue nor a rule of another criterion is not read at all.

The nlp reads a `Window`: the kept sentences and the section headers before them,
joined by line breaks, with a map back to note offsets, so every mention keeps its
section, sentence and offsets. A regex of each rule's most selective word rules out
most notes and sentences before any word is looked up.
Words are compared as the tokenizer could cut them: whole, and split at - / . marks.
"""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .nlp import SENTENCE_ABBREVIATIONS, default_patterns_dir

HEADER = re.compile(r"[ \t>*#\-]*[A-Za-z][^\n:.;]{0,45}(?::|\s-\s)")
WORD = re.compile(r"[A-Za-z0-9]+(?:[-/.'+][A-Za-z0-9]+)*")
# Where the sentence splitter splits: a line break, or a word's full stop before a capital (unless the
# word is an abbreviation the tokenizer keeps whole, or a single letter). A unit is a whole number of sentences.
_BREAK = re.compile(r"\n|(?<![\w.@/-])([a-z]{2,}|[A-Z][a-z]+|\d+%?)[.!?](?=[ \t]+[A-Z])")


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


class Filter(NamedTuple):
    elements: tuple[Element, ...]
    rules: tuple[tuple[frozenset, tuple[frozenset, ...], str | None], ...]  # needs, cue alternatives, note class
    gate_rules: tuple[frozenset, ...]   # rules whose presence makes a note worth reading
    gate_anchor: re.Pattern | None      # found in every note some gate rule can match (None: no shortcut)
    rule_anchor: re.Pattern | None      # found in every sentence some rule can match
    section_starts: tuple[Element, ...] | None  # what a section header's first word can be (None: anything)


def _anchor(elements: list[Element], needs) -> re.Pattern | None:
    """One regex that finds, for every rule, the words its most selective required element accepts.

    A text without a match cannot satisfy any of the rules, so most text is ruled out at C speed;
    None when some rule has only regex elements (then there is no shortcut).
    """
    words: set[tuple[str, str]] = set()
    for need in needs:
        literal = [elements[i] for i in need if elements[i].regex is None]
        if not literal:
            return None
        best = max(literal, key=lambda e: (min(map(len, e.values)), -len(e.values)))
        words |= {(v, best.attr) for v in best.values}
    alternatives = [re.escape(v) if attr == "LOWER" else f"(?-i:{re.escape(v)})"
                    for v, attr in sorted(words, key=lambda w: (-len(w[0]), w))]
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9])", re.I)


def _section_starts(pdir: Path) -> tuple[Element, ...] | None:
    """The first words of the section rules; None when some rule's first word cannot be told."""
    out = []
    for path in sorted(pdir.glob("sections*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["section_rules"]:
            pattern = rule.get("pattern")
            if pattern is None:
                first = {"LOWER": rule["literal"].split()[0].lower()} if rule["literal"].split() else {}
            elif isinstance(pattern, list) and pattern and pattern[0].get("OP") is None:
                first = pattern[0]
            else:
                return None
            element = _element(first)
            if element is None:
                return None
            out.append(element)
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=4)
def load_filter(patterns_dir: str | None = None) -> Filter | None:
    """The filter for a rules folder; None when some rule could match anything (then nothing is skipped)."""
    pdir = Path(patterns_dir or default_patterns_dir())
    cfg_path = pdir / "prefilter.json"
    config = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.exists() else {}
    dependent = config.get("cue_dependent", {})
    never_counts = set(config.get("never_counts", []))
    ids: dict[Element, int] = {}

    def need(rule):
        req = _requirements(rule)
        return None if req is None else frozenset(ids.setdefault(e, len(ids)) for e in req)

    cues: dict[str, list] = {}
    for path in sorted(pdir.glob("context*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["context_rules"]:
            n = need(rule) if any(rule["category"] in d["cues"] for d in dependent.values()) else frozenset()
            if n is None:
                return None
            if n:
                cues.setdefault(rule["category"], []).append(n)
    rules, gate = [], [n for ns in cues.values() for n in ns]
    for path in sorted(pdir.glob("targets*.json")):
        for rule in json.loads(path.read_text(encoding="utf-8"))["target_rules"]:
            n = need(rule)
            if n is None:
                return None
            d = dependent.get(rule["category"])
            if d:
                rules.append((n, tuple(c for cat in d["cues"] for c in cues.get(cat, [])), d.get("note_class")))
            else:
                rules.append((n, (), None))
                if rule["category"] not in never_counts:
                    gate.append(n)
    elements = tuple(sorted(ids, key=ids.get))
    return Filter(elements, tuple(rules), tuple(gate), _anchor(elements, gate),
                  _anchor(elements, [n for n, _, _ in rules]), _section_starts(pdir))


_HITS: dict[tuple[str, str | None], frozenset] = {}


def _hits(word: str, patterns_dir: str | None) -> frozenset:
    """Element ids a word satisfies, whole or cut at - / . ' + as the tokenizer may cut it."""
    key = (word, patterns_dir)
    found = _HITS.get(key)
    if found is None:
        f = load_filter(patterns_dir)
        parts = {word, *re.split(r"[-/.'+]", word)}
        found = frozenset(i for i, e in enumerate(f.elements) if any(e.accepts(p) for p in parts if p))
        if len(_HITS) < 500_000:
            _HITS[key] = found
    return found


def _satisfied(hits: set, rules) -> bool:
    return any(need <= hits for need in rules)


def _unit_can_count(hits: set, rules, note_classes: frozenset) -> bool:
    """Some target rule can match here, and if its category needs a cue, the cue is here too."""
    return any(need <= hits and (not cues or cls in note_classes or _satisfied(hits, cues))
               for need, cues, cls in rules)


@lru_cache(maxsize=1)
def _kept_whole() -> frozenset:
    """Words the tokenizer keeps together with their full stop ("Dr.", "Jan.", "vs."), plus the splitter's own list."""
    from .nlp import cached_nlp
    return frozenset(k[:-1].lower() for k in cached_nlp().tokenizer.rules if k.endswith(".")) | SENTENCE_ABBREVIATIONS


def _units(text: str) -> list[int]:
    """Start offsets of the units the note is cut into (each a whole number of sentences)."""
    whole = _kept_whole()
    return [0] + [m.end() for m in _BREAK.finditer(text)
                  if m.group(1) is None or (m.group(1).lower() not in whole
                                            and not (len(m.group(1)) == 1 and m.group(1).isalpha()))]


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


def _unit_hits(text: str, a: int, b: int, patterns_dir: str | None) -> set:
    hits: set = set()
    for w in set(WORD.findall(text, a, b)):
        hits |= _hits(w, patterns_dir)
    return hits


def _is_section_header(text: str, a: int, end: int, starts: tuple[Element, ...] | None) -> bool:
    if starts is None:
        return True
    first = WORD.search(text, a, end)
    return first is not None and any(e.accepts(p) for e in starts
                                     for p in {first.group(), *re.split(r"[-/.'+]", first.group())} if p)


def window(text: str, note_classes: frozenset = frozenset(), patterns_dir: str | None = None) -> Window | None:
    """The sentences of a note that can hold a target, with the section headers before them;
    None when the note cannot count."""
    f = load_filter(patterns_dir)
    if f is None:
        return Window.whole(text)
    if not note_classes:
        if f.gate_anchor is not None and f.gate_anchor.search(text) is None:
            return None
        if not _satisfied(_unit_hits(text, 0, len(text), patterns_dir), f.gate_rules):
            return None
    starts = _units(text)
    bounds = starts[1:] + [len(text)]
    if f.rule_anchor is None:
        candidates = range(len(starts))
    else:
        candidates = sorted({bisect.bisect_right(starts, m.start()) - 1 for m in f.rule_anchor.finditer(text)})
    keep = [u for u in candidates
            if _unit_can_count(_unit_hits(text, starts[u], bounds[u], patterns_dir), f.rules, note_classes)]
    if not keep:
        return None
    # parts: (start, end) in the note; the section headers of the units before the last kept one come too
    parts: list[list[int]] = []
    kept = set(keep)
    for u in range(keep[-1] + 1):
        a, b = starts[u], bounds[u]
        if u not in kept:
            m = HEADER.match(text, a)
            if m is None or not _is_section_header(text, a, m.end(), f.section_starts):
                continue
            # header words that could start a target: the whole unit, as the nlp would have read it
            if not any(_hits(w, patterns_dir) for w in WORD.findall(text, a, m.end())):
                b = m.end()
        if parts and parts[-1][1] == a:
            parts[-1][1] = b
        else:
            parts.append([a, b])
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
