"""Commands that need no nlp start without loading spaCy (its import alone takes seconds)."""
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES

PROBE = """
import sys
from pipeline.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:  # --help exits through argparse
    code = e.code
heavy = sorted(m for m in ("spacy", "medspacy", "thinc") if m in sys.modules)
print("LOADED:" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def run(*args) -> tuple[int, str]:
    p = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    loaded = [line for line in p.stderr.splitlines() if line.startswith("LOADED:")]
    assert loaded, p.stderr[-2000:]
    return p.returncode, loaded[-1][len("LOADED:"):]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code, _ = run("run", SAMPLES / "notes.csv", "--cases", SAMPLES / "cases.csv", "--out", out, "--quiet")
    assert code == 0
    return out


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["policies"], ["policies", "--json"]])
def test_help_and_policies_load_no_spacy(args):
    code, loaded = run(*args)
    assert code == 0 and loaded == ""


def test_report_and_audit_of_a_finished_review_load_no_spacy(finished, tmp_path):
    assert run("report", finished) == (0, "")
    code, loaded = run("audit", "--gold", SAMPLES / "gold_review.csv", "--review", finished / "review.csv",
                       "--out", tmp_path / "audit")
    assert (code, loaded) == (0, "")
    assert (tmp_path / "audit" / "report.html").is_file()


def test_a_run_does_load_the_nlp(tmp_path):
    """The probe sees an import when there is one (so the tests above can fail)."""
    code, loaded = run("run", SAMPLES / "notes.csv", "--out", tmp_path, "--quiet")
    assert code == 0 and "spacy" in loaded.split(",")
