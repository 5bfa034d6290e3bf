"""The fuzzing run in small (benchmarks/fuzz.py has the long one): mutated copies of the sample export through
`scs-abstract run` in-process, and the readers under hypothesis.

Each CLI case is one seed of the fuzzer's mutation engine (rows deleted, duplicated, ragged or blank; odd dates,
ids and look-alike characters; renamed, missing or extra columns; TSV, JSON Lines, Parquet, .gz, BOMs, UTF-16;
truncated files, stray quotes, NUL and invalid UTF-8 bytes; small chunk sizes), checked as the fuzzer checks it:
exit 0 or 2, never a crash; rows_read = notes_processed + rows_rejected and equal to the records a reference
parser finds in the bytes; rows known to be bad rejected and rows known to be good processed; a refused file
named in the message; no note text on stdout/stderr, in rejected.csv or run.json.

Each bug the fuzzer found has a test of its own below.
"""
import datetime as dt
import importlib.util
import json
import logging
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli.main import main
from pipeline.io.dates import find_date_ranges, find_dates

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("scs_fuzz", ROOT / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["scs_fuzz"] = fuzz  # (dataclasses looks its module up by name)
_spec.loader.exec_module(fuzz)

N_CASES = 36
_master = random.Random(20240611)
SEEDS = [_master.getrandbits(40) for _ in range(N_CASES)]
def light_case(seed: int):
    """The fuzzer's case for `seed`, kept small for CI: no huge exports, fields or worker pools."""
    return fuzz.make_case(seed, light=True)


def _params():
    out = []
    for seed in SEEDS:
        out.append(pytest.param(seed, id=str(seed)))
    return out


@pytest.fixture
def cli(tmp_path, capsys, caplog):
    """run(case) -> (check failures, outcome): the case's files, `scs-abstract run` in-process, the checks."""
    caplog.set_level(logging.WARNING, logger="scs_abstract")
    counter = iter(range(100))

    def run(case, doctor=None):
        k = next(counter)
        notes, cases, data = fuzz.write_inputs(case, tmp_path / f"in{k}")
        exp = fuzz.reference(case, data)
        out = tmp_path / f"out{k}"
        capsys.readouterr()
        caplog.clear()
        try:
            code = main(fuzz.argv_for(case, notes, cases, out))
        except SystemExit as e:  # argparse
            code = e.code
        captured = capsys.readouterr()
        res = fuzz.Result(code, captured.out, captured.err + caplog.text, 0.0)
        if doctor:
            doctor(out)
        return fuzz.check(case, exp, res, notes, cases, out), fuzz.outcome(res, out), exp

    return run


@pytest.mark.parametrize("seed", _params())
def test_a_mutated_export_is_read_or_refused_and_every_row_is_accounted_for(cli, seed):
    case = light_case(seed)
    fails, outcome, exp = cli(case)
    assert not fails, f"seed {seed} ({outcome}; mutations: {'; '.join(case.log)}): {fails}"


def test_the_cases_cover_both_outcomes_and_the_checked_paths():
    """The seeds are not all refusals: most reach the row checks, some are refused, some have rows known bad."""
    exps = [fuzz.reference(c, fuzz.file_bytes(c)) for c in map(light_case, SEEDS)]
    kinds = [e.kind for e in exps]
    assert kinds.count("rows") >= N_CASES // 2 and kinds.count("error") >= 3
    assert sum("reject" in e.status for e in exps if e.kind == "rows") >= 3


def _clean_case(**changes):
    case = fuzz.Case(0, list(fuzz.BASE_HEADER), [list(r) for r in fuzz.BASE_ROWS[:12]])
    for k, v in changes.items():
        setattr(case, k, v)
    return case


def test_the_checks_catch_a_lost_row_and_note_text_in_the_rejects(cli):
    """The checker has teeth: a run.json that lost a row, and rejected.csv holding note text, both fail."""
    case = _clean_case()
    case.rows[3][2] = "2025-02-30"   # one rejected row, so rejected.csv has a row to tamper with
    fails, outcome, exp = cli(case)
    assert not fails and outcome == "exit 0" and exp.count == 12

    def lose_a_row(out):
        run = json.loads((out / "run.json").read_text())
        run["counts"]["rows_read"] -= 1
        run["counts"]["notes_processed"] -= 1
        (out / "run.json").write_text(json.dumps(run))

    fails, _, _ = cli(case, doctor=lose_a_row)
    assert any("lost or invented rows" in f for f in fails), fails

    def leak(out):
        text = (out / "rejected.csv").read_text()
        (out / "rejected.csv").write_text(text.rstrip("\n") + " " + case.rows[0][4].replace("\n", " ") + "\n")

    fails, _, _ = cli(case, doctor=leak)
    assert "note text in rejected.csv" in fails, fails


def test_a_good_row_that_is_rejected_and_a_refusal_that_is_not_named_are_caught(cli):
    case = _clean_case()

    def reject_row_5(out):
        with open(out / "rejected.csv", "a", encoding="utf-8") as f:
            f.write("x,5,P,N,note_date,made up\n")
        run = json.loads((out / "run.json").read_text())
        run["counts"]["notes_processed"] -= 1
        run["counts"]["rows_rejected"] += 1
        (out / "run.json").write_text(json.dumps(run))

    fails, _, _ = cli(case, doctor=reject_row_5)
    assert "row 5 is good but was rejected (made up)" in fails, fails
    truncated = _clean_case(byte_ops=[("quote", 0.5, b"")])  # a stray quote: unbalanced, refused
    fails, outcome, exp = cli(truncated)
    assert exp.kind == "error" and outcome == "exit 2 (refused)" and not fails


def test_a_column_mapped_onto_an_existing_name_is_refused_not_a_crash(cli):
    case = _clean_case()
    case.header = case.header + ["NOTE_TEXT"]
    case.rows = [r + ["more text"] for r in case.rows]
    case.column_args = ["text=NOTE_TEXT"]
    fails, outcome, _ = cli(case)
    assert outcome in ("exit 0", "exit 2 (refused)") and not fails, (outcome, fails)


@pytest.mark.parametrize("name", ["_row_error", "_file_error", "_row"])
def test_an_export_column_named_like_the_readers_markers_is_just_a_column(cli, name):
    case = _clean_case()
    case.header = case.header + [name]
    case.rows = [r + ["some value"] for r in case.rows]
    fails, outcome, _ = cli(case)
    assert outcome == "exit 0" and not fails, (outcome, fails)


def test_a_headerless_export_of_short_notes_is_refused_without_its_text(cli):
    case = _clean_case(header=None)
    case.rows = [["P1", "N1", "19/03/2025", "Phone call", "Pt called about a refill of gabapentin"],
                 ["P1", "N2", "20/03/2025", "Phone call", "No show today, will reschedule"]]
    fails, outcome, exp = cli(case)
    assert exp.kind == "error" and outcome == "exit 2 (refused)"
    assert not fails, fails


@pytest.mark.parametrize("text", ["this past spring", "last winter"])
def test_a_season_before_the_first_year_is_no_date(text):
    assert find_dates(text, dt.date(1, 1, 1)) == []


def test_find_dates_at_the_far_ends_of_the_calendar():
    for ref in (dt.date(1, 12, 31), dt.date.max):
        find_dates("two weeks ago, this past spring, 6/2, Feb 3 - Mar 28", ref, yearless=True)
        find_date_ranges("April 7th to June 2nd", ref)


HYPOTHESIS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
PROPERTIES = {name: (strategy, body) for name, strategy, body in fuzz.reader_property_functions(st)}


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_reader_property(name):
    strategy, body = PROPERTIES[name]
    logging.getLogger("scs_abstract").setLevel(logging.ERROR)
    try:
        HYPOTHESIS(given(strategy)(body))()
    finally:
        logging.getLogger("scs_abstract").setLevel(logging.NOTSET)
