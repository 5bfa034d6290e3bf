"""Build the medspaCy pipeline from the rule files in `patterns/`.

Components, in order: a line-aware sentence splitter, the sectionizer, the
TargetMatcher (one category per criterion, plus distractor categories) and
ConText. Every rule is data; this module only wires the files to the components.
"""
from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path

# PyRuSH/medspaCy log through loguru at DEBUG unless silenced; nothing here may echo note text.
os.environ.setdefault("LOGURU_LEVEL", "WARNING")
try:  # pragma: no cover - depends on the installed loguru
    from loguru import logger as _loguru

    _loguru.remove()
except ImportError:  # pragma: no cover
    pass

import importlib
import importlib.util
import sys
import types


class _LoadedOnUse(types.ModuleType):
    """Stands in for a module until one of its attributes is used, then loads and defers to it."""

    def __getattr__(self, attr):
        real = sys.modules.get(self.__name__)
        if real is None or real is self:
            sys.modules.pop(self.__name__, None)
            real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def _import_lazily(name: str) -> None:
    """medspaCy imports QuickUMLS, which imports NLTK, scipy and scikit-learn (about a second per
    process, workers included); this pipeline never uses QuickUMLS, so NLTK loads only if used."""
    if name not in sys.modules and importlib.util.find_spec(name) is not None:
        sys.modules[name] = _LoadedOnUse(name)


_import_lazily("nltk")

import numpy  # noqa: E402
import spacy  # noqa: E402
from spacy.attrs import SENT_START  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

import medspacy  # noqa: F401,E402  (registers the medspacy_* factories)
from medspacy.context import ConTextRule  # noqa: E402
from medspacy.section_detection import SectionRule  # noqa: E402
from medspacy.target_matcher import TargetRule  # noqa: E402

from pipeline.resources import default_patterns_dir  # noqa: E402

logging.getLogger("medspacy").setLevel(logging.WARNING)

SENTENCE_ABBREVIATIONS = frozenset(
    "dr mr mrs ms vs co approx etc st no fig e.g i.e pt pts yo y.o b.i.d t.i.d q.d p.o prn".split())


@Language.component("line_sentencizer")
def line_sentencizer(doc: Doc) -> Doc:
    """Split sentences at line breaks and at sentence-final punctuation.

    Clinical notes are lists, tables and templates as much as prose: a line
    break ends a sentence, so "ODI: ___" never borrows a number from the next line.
    Whitespace tokens are looked through: the first word after leading whitespace starts
    a sentence, as it would after a line break.
    """
    if not len(doc):
        return doc
    starts = numpy.full(len(doc), -1, dtype="int64")
    starts[0] = 1
    last = before = ""  # the last two non-space tokens
    newline = False     # a line break since the last non-space token
    for i, tok in enumerate(doc):
        text = tok.text
        if tok.is_space:
            newline = newline or "\n" in text
        else:
            if i and (newline or not last or (last in (".", "!", "?") and text[:1].isupper() and before
                                  and before.lower() not in SENTENCE_ABBREVIATIONS
                                  and not (len(before) == 1 and before.isalpha()))):
                starts[i] = 1
            before, last, newline = last, text, False
        newline = newline or "\n" in tok.whitespace_
    doc.from_array([SENT_START], starts.astype("uint64").reshape(-1, 1))
    return doc


def read_rules(path: Path, key: str, rule_class, tokenizer=None):
    """Rules from a medspaCy JSON file; unknown keys are rejected by the rule class's from_dict.

    Given the pipeline's tokenizer, a pattern of lower-case words is loaded as the phrases it
    matches (see `as_phrases`); the rules match exactly what they matched as patterns.
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if set(data) != {key}:
        raise ValueError(f"{path}: expected one top-level key {key!r}, found {sorted(data)}")
    rules = []
    for i, item in enumerate(data[key]):
        item = dict(item)
        # ConTextRule takes terminated_by, but medspaCy 1.3.1's from_dict does not list it
        terminated_by = item.pop("terminated_by", None) if rule_class is ConTextRule else None
        try:
            rule_class.from_dict(item)  # the rule as written: unknown keys and bad values are reported here
            phrases = as_phrases(item.get("pattern"), tokenizer) if tokenizer is not None else None
            if phrases is not None:
                items = [{**item, "literal": phrase, "pattern": None} for phrase in phrases]
            else:
                items = [{**item, "pattern": pattern} if pattern is not None else item
                         for pattern in expand_leading_sets(item.get("pattern"))]
            for one in items:
                rule = rule_class.from_dict(one)
                if terminated_by:
                    rule.terminated_by = {str(c).upper() for c in terminated_by}
                rules.append(rule)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: rule #{i + 1} ({item.get('literal')!r}): {e}") from e
    return rules


def as_phrases(pattern, tokenizer, limit: int = 512) -> list[str] | None:
    """The phrases a token pattern matches, when it is only lower-case single-token words
    (`{"LOWER": w}` or `{"LOWER": {"IN": [...]}}`, optionally `"OP": "?"`); None otherwise.

    spaCy's Matcher tries every pattern at every token, so its cost grows with the number
    of rules; the PhraseMatcher finds all its phrases with one lookup per token.
    """
    if not isinstance(pattern, list) or not pattern:
        return None
    options: list[list[str]] = [[]]
    for element in pattern:
        op = element.get("OP")
        if set(element) - {"OP"} != {"LOWER"} or op not in (None, "?"):
            return None
        value = element["LOWER"]
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and value["IN"]:
            values = value["IN"]
        else:
            return None
        for v in values:
            if not isinstance(v, str) or v != v.lower() or [t.text for t in tokenizer(v)] != [v]:
                return None
        alternatives = [[v] for v in values] + ([[]] if op == "?" else [])
        options = [o + a for o in options for a in alternatives]
        if len(options) > limit:
            return None
    if any(not o for o in options):
        return None  # every element optional: it would match nothing as a phrase
    return list(dict.fromkeys(" ".join(o) for o in options))


def expand_leading_sets(pattern, limit: int = 64) -> list:
    """Spell out `{"LOWER": {"IN": [...]}}` in the elements a match can start with.

    spaCy's Matcher tests a set or regex predicate in Python on every token for every
    pattern that can start there; a plain `{"LOWER": "word"}` is tested in C. The
    expanded patterns match exactly what the original matched.
    """
    if not isinstance(pattern, list):
        return [pattern]
    lead = 0
    while lead < len(pattern) and pattern[lead].get("OP") in ("?", "*"):
        lead += 1
    out = [[]]
    for k, element in enumerate(pattern):
        alts = [element]
        if k <= lead and len(element) <= 2 and set(element) - {"OP"} in ({"LOWER"}, {"TEXT"}):
            attr = next(a for a in element if a != "OP")
            value = element[attr]
            if isinstance(value, dict) and set(value) == {"IN"} and len(out) * len(value["IN"]) <= limit:
                alts = [{**element, attr: v} for v in value["IN"]]
        out = [prefix + [a] for prefix in out for a in alts]
    return out


def build_nlp(patterns_dir: str | Path | None = None) -> Language:
    """A fresh medspaCy pipeline built from `patterns_dir` (default: the packaged rules).

    Every `sections*.json`, `targets*.json` and `context*.json` there is loaded, so a
    new criterion's rules can ship in a file of their own.
    """
    pdir = Path(patterns_dir) if patterns_dir else default_patterns_dir()
    nlp = spacy.blank("en")
    # spaCy's 1,000,000-character limit guards its parser and NER (about 1 GB per 100,000 characters);
    # this pipeline has neither, so a note of any length is read whole (a 20 MB note takes ~0.5 GB)
    nlp.max_length = 2 ** 31 - 1
    nlp.add_pipe("line_sentencizer")
    sectionizer = nlp.add_pipe("medspacy_sectionizer", config={"rules": None, "phrase_matcher_attr": "LOWER"})
    for path in sorted(pdir.glob("sections*.json")):
        sectionizer.add(read_rules(path, "section_rules", SectionRule, nlp.tokenizer))
    matcher = nlp.add_pipe("medspacy_target_matcher")
    for path in sorted(pdir.glob("targets*.json")):
        matcher.add(read_rules(path, "target_rules", TargetRule, nlp.tokenizer))
    context = nlp.add_pipe("medspacy_context", config={"rules": None, "span_attrs": None})
    for path in sorted(pdir.glob("context*.json")):
        context.add(read_rules(path, "context_rules", ConTextRule, nlp.tokenizer))
    return nlp


@lru_cache(maxsize=4)
def cached_nlp(patterns_dir: str | None = None) -> Language:
    """One pipeline per rules folder per process: building it costs about a second."""
    return build_nlp(patterns_dir)
