"""Building the nlp: what it loads, and what it leaves unloaded."""
import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_importing_the_pipeline_does_not_load_nltk_until_it_is_used():
    out = _run("import sys, pipeline.nlp.build; from pipeline.nlp.build import cached_nlp; cached_nlp()('ODI 40%.');"
               "print(type(sys.modules['nltk']).__name__, 'scipy.stats' in sys.modules)")
    assert out == "_LoadedOnUse False"
    # used, it is the real module
    out = _run("import pipeline.nlp.build, nltk; from nltk.tokenize import wordpunct_tokenize;"
               "print(nltk.__name__, len(wordpunct_tokenize('a b-c')), type(__import__('sys').modules['nltk']).__name__)")
    assert out == "nltk 4 module"


import pytest  # noqa: E402
import spacy  # noqa: E402

from conftest import SAMPLES  # noqa: E402
from pipeline.nlp import build as nlp_module  # noqa: E402
from pipeline.nlp.build import as_phrases  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer():
    return spacy.blank("en").tokenizer


@pytest.mark.parametrize("pattern, phrases", [
    ([{"LOWER": "physical"}, {"LOWER": "therapy"}], ["physical therapy"]),
    ([{"LOWER": {"IN": ["psych", "psychological"]}}, {"LOWER": "eval", "OP": "?"}],
     ["psych eval", "psych", "psychological eval", "psychological"]),
    ([{"LOWER": "pt", "OP": "?"}, {"LOWER": "visit"}], ["pt visit", "visit"]),
    ([{"TEXT": "PT"}], None),                                   # case-sensitive: stays a pattern
    ([{"LOWER": "odi", "IS_SENT_START": True}], None),           # another attribute
    ([{"LOWER": "pain"}, {"LOWER": "score", "OP": "*"}], None),  # repetition
    ([{"LOWER": "pre-scs"}], None),                              # not one token: the pattern never matched it
    ([{"LOWER": "Trial"}], None),                                # upper case never equals a LOWER
    ([{"LOWER": "odi", "OP": "?"}], None),                       # could match nothing
    ([{"LOWER": {"REGEX": "^psych"}}], None),
])
def test_as_phrases(tokenizer, pattern, phrases):
    assert as_phrases(pattern, tokenizer) == phrases


def _signature(doc):
    return [(e.start, e.end, e.label_, e._.section_category,
             sorted((m.category, m.modifier_span) for m in e._.modifiers)) for e in doc.ents]


def test_rules_loaded_as_phrases_match_exactly_what_the_patterns_matched(monkeypatch):
    import pandas as pd
    texts = [t for d in (SAMPLES, SAMPLES.parent.parent / "tests" / "data" / "heldout")
             for t in pd.read_csv(d / "notes.csv", dtype=str)["text"].fillna("")]
    texts.append("PSYCH EVAL done.  Physical\ttherapy x6 weeks; psychological  evaluation: cleared. "
                 "No physical therapy. Pre-SCS psych eval pending.")
    fast = nlp_module.build_nlp()
    original = nlp_module.read_rules
    monkeypatch.setattr(nlp_module, "read_rules", lambda path, key, cls, tokenizer=None: original(path, key, cls))
    slow = nlp_module.build_nlp()
    n_phrases = lambda nlp: sum(r.pattern is None for r in nlp.get_pipe("medspacy_target_matcher").rules)  # noqa: E731
    assert n_phrases(fast) > 100 + n_phrases(slow)
    for a, b in zip(fast.pipe(texts), slow.pipe(texts)):
        assert _signature(a) == _signature(b)
    assert sum(len(d.ents) for d in fast.pipe(texts)) > 100
