"""A cheap pre-filter: send to the nlp only the notes, and the sentences of a note, that can hold a criterion.

It is derived from the rules themselves, so it cannot disagree with them:

* a sentence can produce a target only if it holds every required word of some
  target rule (rules never cross a sentence, and ConText never looks past one);
* findings of the categories named in `patterns/prefilter.json` count only beside a
  ConText cue (a relief figure beside the trial, an outcome word beside the
  psychological evaluation) or in a note of the matching class, so a note that has
  neither a cue nor a rule of another criterion is not read at all.

Sentences that may be section headers are kept so every mention keeps its section;
blanked sentences become spaces of the same length, so offsets stay the note's own.
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
_BLANK = re.compile(r"[^\n]")
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
    return Filter(elements, tuple(rules), tuple(gate))


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


def window(text: str, note_classes: frozenset = frozenset(), patterns_dir: str | None = None) -> str | None:
    """The note with every sentence that cannot hold a target blanked; None when the note cannot count."""
    f = load_filter(patterns_dir)
    if f is None:
        return text
    if not note_classes:
        note_hits = set()
        for w in set(WORD.findall(text)):
            note_hits |= _hits(w, patterns_dir)
        if not _satisfied(note_hits, f.gate_rules):
            return None
    starts = _units(text)
    bounds = starts[1:] + [len(text)]
    keep = set()
    for u, (a, b) in enumerate(zip(starts, bounds)):
        hits = set()
        for w in set(WORD.findall(text, a, b)):
            hits |= _hits(w, patterns_dir)
        if hits and _unit_can_count(hits, f.rules, note_classes):
            keep.add(u)
    if not keep:
        return None
    # a unit that holds only a section header keeps just the header words: that is all the sectionizer reads
    headers = {}
    for u, a in enumerate(starts):
        m = HEADER.match(text, a)
        if m:
            words = set(WORD.findall(text, a, m.end()))
            # header words that could start a target: keep the whole unit, as the nlp would have read it
            headers[u] = bounds[u] if any(_hits(w, patterns_dir) for w in words) else m.end()
    out = []
    for u, (a, b) in enumerate(zip(starts, bounds)):
        if u in keep:
            out.append(text[a:b])
        else:
            # a blanked unit ends in a line break, so the sentence after it still starts where it did
            head = min(headers.get(u, a), b)
            body = _BLANK.sub(" ", text[head:b])
            out.append(text[a:head] + (body[:-1] + "\n" if body and u + 1 < len(starts) else body))
    return "".join(out)
