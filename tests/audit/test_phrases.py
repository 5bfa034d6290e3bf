"""The phrasing-family matrix (tests/data/phrases/): one-note charts written, blind to the rules, for every
criterion and family of wordings, each read right or a known miss.

A row listed in known_misses.csv is expected to fail (strict: when it starts to pass, the test says so and
the row comes off the list); every other row must be read as its expected value. `benchmarks/phrases.py`
prints the same results as recall and invented values per family.
"""
import csv

import pytest

from conftest import ROOT
from pipeline.audit.phrases import KNOWN_MISSES as KNOWN_NAME
from pipeline.audit.phrases import NOTHING, evaluate, family_table, matrix_files, outcome, read_matrix

FOLDER = ROOT / "tests" / "data" / "phrases"
KNOWN = FOLDER / KNOWN_NAME
ROWS = read_matrix(matrix_files(FOLDER))
with open(KNOWN, newline="", encoding="utf-8") as f:
    KNOWN_MISSES = {r["id"]: r["outcome"] for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def results():
    return evaluate(ROWS).set_index("id")


def test_the_matrix_covers_every_criterion_and_family_with_reads_and_traps():
    cells = {}
    for r in ROWS:
        cells.setdefault((r.criterion, r.family), []).append(r.kind)
    assert {c for c, _ in cells} == set(NOTHING)
    assert {f for _, f in cells} == {"untyped_numbers", "shapes", "wordings", "meaning"}
    for cell, kinds in cells.items():
        assert kinds.count("read") >= 5 and kinds.count("trap") >= 5, cell
    assert set(KNOWN_MISSES) <= {r.id for r in ROWS}, "a known miss names a row the matrix does not have"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_row(row, results):
    got = results.loc[row.id]
    if row.id in KNOWN_MISSES:
        pytest.xfail(f"known {KNOWN_MISSES[row.id]}")  # strict below: a known miss that passes fails the test
    assert got["outcome"] == "right", f"{row.comment} :: expected {row.expected!r}, read {got['got']!r}"


def test_known_misses_still_miss(results):
    """The list is kept honest: a row read right comes off it."""
    now_right = sorted(i for i in KNOWN_MISSES if results.loc[i, "outcome"] == "right")
    assert now_right == [], f"now read right, remove from known_misses.csv: {now_right}"


def test_outcomes_are_classified_as_the_matrix_defines_them():
    row = ROWS[0]._replace(criterion="odi", expected="")
    assert outcome(row, "") == "right" and outcome(row, "21.0") == "invented"
    row = row._replace(expected="46.0")
    assert outcome(row, "46.5") == "right" and outcome(row, "") == "missed" and outcome(row, "23.0") == "wrong"
    pt = row._replace(criterion="pt", expected="met|8.0")
    assert outcome(pt, "met|8.6") == "right" and outcome(pt, "insufficient|") == "missed"


def test_the_family_table_counts_reads_traps_and_inventions(results):
    table = family_table(results.reset_index())
    assert len(table) == 20 and set(table.columns) >= {"read", "traps_right", "invented"}
