"""Building the nlp: what it loads, and what it leaves unloaded."""
import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_importing_the_pipeline_does_not_load_nltk_until_it_is_used():
    out = _run("import sys, pipeline.nlp; from pipeline.nlp import cached_nlp; cached_nlp()('ODI 40%.');"
               "print(type(sys.modules['nltk']).__name__, 'scipy.stats' in sys.modules)")
    assert out == "_LoadedOnUse False"
    # used, it is the real module
    out = _run("import pipeline.nlp, nltk; from nltk.tokenize import wordpunct_tokenize;"
               "print(nltk.__name__, len(wordpunct_tokenize('a b-c')), type(__import__('sys').modules['nltk']).__name__)")
    assert out == "nltk 4 module"
