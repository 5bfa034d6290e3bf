import base64
import datetime as dt
import json
import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.audit.compare import (abstraction_form, agreement, allocate, audit, cohen_kappa, confusion, documentation,
                            stratified_sample, summary_line, values_agree, wilson_interval)
from conftest import ROOT
from pipeline.cli.main import main
from pipeline.scoring.contract import REVIEW_COLUMNS

SAMPLES = ROOT / "data" / "samples"


def _corpus() -> Path | None:
    """The bundled samples, with their gold table."""
    for folder in (SAMPLES,):
        if all((folder / n).is_file() for n in ("notes.csv", "cases.csv", "gold_review.csv")):
            return folder
    return None


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory):
    """The pipeline's outputs (review.csv, evidence.csv, ...) on a corpus with a gold table."""
    folder = _corpus()
    if folder is None:
        pytest.fail("data/samples has no notes, cases and gold table")
    import pipeline
    from pipeline.outputs.folder import write_outputs

    notes = pd.read_csv(folder / "notes.csv", dtype=str, keep_default_na=False)
    cases = pd.read_csv(folder / "cases.csv", dtype=str, keep_default_na=False)
    out = tmp_path_factory.mktemp("run")
    write_outputs(pipeline.review(notes, cases=cases), out)
    return folder / "gold_review.csv", out


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


FIELDS = ["indication_status", "odi_status", "trial_status", "pt_status", "psych_status", "odi_score",
          "trial_relief_pct", "pt_weeks", "odi_date", "pt_first_date", "pt_last_date", "psych_clearance",
          "determination", "missing"]
TOLERANCE = {"odi_score": 1.0, "trial_relief_pct": 1.0, "pt_weeks": 1.0}


def _iso(v: str) -> str:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            pass
    return v[:10]


def _agrees(field: str, gold: str, got: str) -> bool:
    """The contract's section 4 rules, written out again here so the audit is checked against a second reading."""
    gold, got = gold.strip(), got.strip()
    if field in TOLERANCE:
        if gold.lower() in ("", "nan"):
            return got.lower() in ("", "nan")
        try:
            return abs(float(gold) - float(got)) <= TOLERANCE[field]
        except ValueError:
            return False
    if field.endswith("_date"):
        return _iso(gold) == _iso(got)
    if field == "missing":
        return set(filter(None, gold.split(";"))) == set(filter(None, got.split(";")))
    return gold.lower() == got.lower()


def score_review(gold: Path, review: Path) -> tuple[dict, str]:
    """Field-by-field counts by the contract's rules: {field: (ok, n, 'pct')} and the summary line."""
    g = {r["patient_id"].strip(): r for r in read(gold).to_dict("records")}
    r = {x["patient_id"].strip(): x for x in read(review).to_dict("records")}
    fields, total_ok, total_n = {}, 0, 0
    for f in [f for f in FIELDS if f in read(gold).columns]:
        ok = sum(_agrees(f, row.get(f, ""), r.get(pid, {}).get(f, "")) for pid, row in g.items())
        fields[f] = (ok, len(g), f"{100.0 * ok / max(len(g), 1):.1f}")
        total_ok, total_n = total_ok + ok, total_n + len(g)
    det = sum(_agrees("determination", row.get("determination", ""), r.get(pid, {}).get("determination", ""))
              for pid, row in g.items())
    line = (f"determination {det}/{len(g)} ({100.0 * det / max(len(g), 1):.1f}%) fields "
            f"{100.0 * total_ok / max(total_n, 1):.1f}% cases_missing {sum(p not in r for p in g)}")
    return fields, line


def assert_same_as_score_review(gold: Path, review: Path):
    expected, expected_summary = score_review(gold, review)
    result = audit(read(gold), read(review))
    table = result.agreement.set_index("field")
    scored = table[table["in_score_review"]]
    assert list(scored.index) == list(expected), "same fields, same order"
    for field, (ok, n, pct) in expected.items():
        row = table.loc[field]
        assert (row["agree"], row["n"], f"{100.0 * row['agree'] / max(row['n'], 1):.1f}") == (ok, n, pct), field
    assert summary_line(result) == expected_summary
    return result


# --- agreement equals score_review.py ------------------------------------------------------------------------------


def test_agreement_equals_score_review_on_the_corpus(corpus_run):
    gold, out = corpus_run
    result = assert_same_as_score_review(gold, out / "review.csv")
    assert result.summary["gold_cases"] == len(read(gold))


@pytest.fixture
def perturbed(corpus_run, tmp_path):
    """The corpus review with disagreements at and past every tolerance, one gold case dropped from it,
    one case the gold does not have, and the evidence beside it."""
    gold, out = corpus_run
    r = read(out / "review.csv")
    r.loc[0, "odi_score"] = str(float(r.loc[0, "odi_score"] or 30) + 1.0)   # within 1 point: agrees if gold set
    r.loc[1, "odi_score"] = "99.5"
    r.loc[2, "trial_status"] = r.loc[2, "trial_status"].upper()            # case-insensitive: agrees
    r.loc[3, "missing"] = "psych;odi;trial"
    r.loc[4, "determination"] = "criteria_met" if r.loc[4, "determination"] != "criteria_met" else "criteria_not_met"
    r.loc[5, "pt_weeks"] = "nan"
    r.loc[6, "psych_clearance"] = "Pending"
    r.loc[7, "pt_first_date"] = "01/01/2020"
    dropped = r.loc[8, "patient_id"]
    r = r.drop(index=[8])
    r.loc[len(r) + 10] = {**{c: "" for c in r.columns}, "patient_id": "EXTRA-1", "determination": "criteria_met"}
    (tmp_path / "out").mkdir()
    r.to_csv(tmp_path / "out" / "review.csv", index=False)
    (tmp_path / "out" / "evidence.csv").write_bytes((out / "evidence.csv").read_bytes())
    return gold, tmp_path / "out" / "review.csv", dropped


def test_agreement_equals_score_review_with_disagreements_and_missing_cases(perturbed):
    gold, review, dropped = perturbed
    result = assert_same_as_score_review(gold, review)
    assert result.summary["missing_from_review"] == [dropped]
    assert result.summary["missing_from_gold"] == ["EXTRA-1"]
    assert result.summary["fields_pct"] < 100


def test_agreement_equals_score_review_on_a_partial_gold(perturbed, tmp_path):
    gold, review, _ = perturbed
    g = read(gold)[["patient_id", "odi_score", "pt_first_date", "determination", "missing"]].copy()
    g["abstractor_initials"] = "JS"
    g.loc[0, "odi_score"] = ""  # an empty gold cell agrees only with an empty pipeline cell
    g = g.drop(index=[2])
    g.to_csv(tmp_path / "partial.csv", index=False)
    result = assert_same_as_score_review(tmp_path / "partial.csv", review)
    assert list(result.agreement["field"]) == ["odi_score", "pt_first_date", "determination", "missing"]
    assert any("abstractor_initials" in n and "ignored" in n for n in result.notes)
    assert list(result.documentation["criterion"]) == ["odi", "pt"]
    assert set(result.confusion) == {"determination"}


def test_cli_audit_on_the_corpus_writes_every_file(perturbed, tmp_path, capsys):
    gold, review, dropped = perturbed
    code = main(["audit", "--gold", str(gold), "--review", str(review), "--out", str(tmp_path / "audit")])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == score_review(gold, review)[1]
    assert dropped in captured.err and "EXTRA-1" in captured.err
    for name in ("report.md", "report.html", "metrics.json", "discrepancies.csv", "agreement.csv"):
        assert (tmp_path / "audit" / name).stat().st_size > 0
    metrics = json.loads((tmp_path / "audit" / "metrics.json").read_text())
    assert metrics["summary"]["missing_from_review"] == [dropped]
    assert {f["field"] for f in metrics["fields"]} >= {"determination", "odi_score"}
    d = read(tmp_path / "audit" / "discrepancies.csv")
    odi = d[(d.field == "odi_score") & (d.pipeline == "99.5")]
    assert len(odi) == 1 and odi.iloc[0]["note_id"] and odi.iloc[0]["sentence"]
    ev = read(review.parent / "evidence.csv")
    used = ev[(ev.patient_id == odi.iloc[0]["patient_id"]) & (ev.criterion == "odi") & (ev.used == "True")]
    assert odi.iloc[0]["note_id"].split(";") == list(used["note_id"])
    # the evidence sentences are in the files, never on the terminal
    for sentence in used["sentence"]:
        assert sentence not in captured.out + captured.err


# --- the statistics ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    (["met", "met", "not_met", "insufficient", "met"], ["met", "not_met", "not_met", "insufficient", "met"]),
    (["a", "b", "a", "b"], ["a", "b", "a", "b"]),                   # perfect
    (["a", "b", "a", "b"], ["b", "a", "b", "a"]),                   # perfect disagreement
    (["a", "a", "a", "a"], ["a", "a", "a", "b"]),                   # one rater constant
    (["a", "a", "a"], ["b", "b", "b"]),                             # no label in common
    (["x", "y", "z", "x", "(empty)"], ["x", "z", "z", "(empty)", "(empty)"]),
    (["met"] * 7 + ["not_met"], ["met"] * 6 + ["not_met"] * 2),
])
def test_cohen_kappa_matches_sklearn(a, b):
    from sklearn.metrics import cohen_kappa_score

    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_is_undefined_when_both_raters_use_one_label():
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cohen_kappa_score(["met"] * 5, ["met"] * 5)
    assert math.isnan(expected) and math.isnan(cohen_kappa(["met"] * 5, ["met"] * 5))
    assert math.isnan(cohen_kappa([], []))
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abcd")), min_size=1, max_size=40))
def test_cohen_kappa_matches_sklearn_on_any_labels(pairs):
    from sklearn.metrics import cohen_kappa_score

    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cohen_kappa_score(a, b)
    got = cohen_kappa(a, b)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), Table I, method 3 (Wilson score interval)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
    (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0),
])
def test_wilson_interval_known_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_edges():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_confusion_counts_and_keeps_unlisted_labels():
    m = confusion(["met", "met", "not_met", "insufficient"], ["met", "insufficient", "not_met", "(empty)"],
                  ["met", "not_met", "insufficient"])
    assert list(m.index) == list(m.columns) == ["met", "not_met", "insufficient", "(empty)"]
    assert m.loc["met", "met"] == 1 and m.loc["met", "insufficient"] == 1 and m.loc["insufficient", "(empty)"] == 1
    assert m.values.sum() == 4 and m.loc["not_met"].sum() == 1


@pytest.mark.parametrize("field, gold, got, same", [
    ("odi_score", "38", "39.0", True), ("odi_score", "38", "39.01", False), ("odi_score", "", "nan", True),
    ("odi_score", "38", "", False), ("odi_score", "", "38", False), ("pt_weeks", "6.0", "6.9", True),
    ("pt_weeks", "6.0", "7.1", False), ("trial_relief_pct", "66.7", "66.67", True),
    ("odi_date", "2025-03-10", "03/10/2025", True), ("odi_date", "2025-03-10", "2025-03-11", False),
    ("missing", "odi;psych", "psych;odi", True), ("missing", "odi", "odi;pt", False), ("missing", "", "", True),
    ("odi_status", "met", "MET ", True), ("determination", "criteria_met", "criteria_not_met", False),
])
def test_values_agree_uses_the_contract_tolerances(field, gold, got, same):
    assert values_agree(field, gold, got) is same


# --- partial tables, missing cases, documentation found -----------------------------------------------------------


def review_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c, "") for c in REVIEW_COLUMNS} for r in rows])


GOOD = {"indication_status": "met", "odi_score": "40.0", "odi_status": "met", "trial_relief_pct": "60.0",
        "trial_status": "met", "pt_weeks": "8.0", "pt_status": "met", "psych_clearance": "cleared",
        "psych_status": "met", "determination": "criteria_met"}


def test_gold_with_some_columns_extra_columns_and_empty_cells():
    review = review_table([{"patient_id": "A", **GOOD}, {"patient_id": "B", **GOOD}])
    gold = pd.DataFrame({"patient_id": ["A", "B"], "odi_score": ["40.5", ""], "comment": ["ok", "see chart"]})
    result = audit(gold, review)
    assert list(result.agreement["field"]) == ["odi_score"]
    assert list(result.agreement[["agree", "n"]].iloc[0]) == [1, 2]
    assert any("comment" in n for n in result.notes)
    assert any("no column(s)" in n and "determination" in n for n in result.notes)
    first = result.discrepancies[["patient_id", "field", "gold", "pipeline"]].iloc[0]
    assert list(first) == ["B", "odi_score", "", "40.0"]


def test_cases_missing_on_either_side_count_against_the_review():
    review = review_table([{"patient_id": "A", **GOOD}, {"patient_id": "C", **GOOD}])
    gold = review_table([{"patient_id": "A", **GOOD}, {"patient_id": "B", **GOOD}])
    result = audit(gold, review)
    det = result.agreement.set_index("field").loc["determination"]
    assert (det["agree"], det["n"]) == (1, 2)
    assert result.summary["missing_from_review"] == ["B"] and result.summary["missing_from_gold"] == ["C"]
    assert any("missing from the review" in n and "B" in n for n in result.notes)
    assert any("not in the gold" in n and "C" in n for n in result.notes)
    b = result.discrepancies[result.discrepancies.patient_id == "B"]
    assert not b["case_in_review"].any() and "determination" in set(b["field"])
    assert result.confusion["determination"].loc["criteria_met", "(empty)"] == 1


def test_documentation_found_precision_recall():
    # A: both found; B: pipeline found what gold did not; C: pipeline missed it; D: neither
    gold = review_table([{"patient_id": "A", "odi_score": "40", "odi_status": "met", "psych_clearance": "pending"},
                         {"patient_id": "B", "odi_status": "insufficient", "psych_clearance": "none_found"},
                         {"patient_id": "C", "odi_status": "not_met", "psych_clearance": "cleared"},
                         {"patient_id": "D", "odi_status": "insufficient", "psych_clearance": "none_found"}])
    review = review_table([{"patient_id": "A", "odi_score": "41", "odi_status": "met", "psych_clearance": "cleared"},
                           {"patient_id": "B", "odi_score": "30", "odi_status": "met", "psych_clearance": "pending"},
                           {"patient_id": "C", "odi_status": "insufficient", "psych_clearance": "none_found"},
                           {"patient_id": "D", "odi_status": "insufficient", "psych_clearance": "none_found"}])
    doc = documentation(gold, review).set_index("criterion")
    for crit in ("odi", "psych"):
        assert list(doc.loc[crit, ["tp", "fp", "fn", "tn"]]) == [1, 1, 1, 1]
        assert doc.loc[crit, "precision"] == doc.loc[crit, "recall"] == doc.loc[crit, "f1"] == 0.5


def test_agreement_denominator_is_every_gold_case():
    gold = review_table([{"patient_id": p, **GOOD} for p in "ABCD"])
    review = review_table([{"patient_id": "A", **GOOD}, {"patient_id": "B", **GOOD, "pt_weeks": "4.0"}])
    t = agreement(gold, review).set_index("field")
    assert (t.loc["pt_weeks", "agree"], t.loc["pt_weeks", "n"]) == (1, 4)
    assert t.loc["pt_weeks", "pct"] == 25.0
    assert t.loc["pt_weeks", "ci_low"] == pytest.approx(100 * wilson_interval(1, 4)[0])


# --- the command line: exit codes and messages --------------------------------------------------------------------


@pytest.fixture
def small(tmp_path):
    """A 3-case review with evidence beside it, and a gold table that disagrees on one ODI."""
    out = tmp_path / "out"
    out.mkdir()
    review = review_table([{"patient_id": p, "review_date": "2025-06-01", **GOOD, "odi_note_id": f"{p}-N1"}
                           for p in ("A", "B", "C")])
    review.to_csv(out / "review.csv", index=False)
    pd.DataFrame([
        {"patient_id": "A", "note_id": "A-N1", "note_date": "2025-05-01", "criterion": "odi", "used": True,
         "start": 5, "sentence": "ODI 40% <script>alert('x')</script> & more"},
        {"patient_id": "A", "note_id": "A-N2", "note_date": "2025-05-02", "criterion": "odi", "used": False,
         "start": 5, "sentence": "unused ODI sentence"},
        {"patient_id": "B", "note_id": "B-N1", "note_date": "2025-05-01", "criterion": "pt", "used": True,
         "start": 1, "sentence": "completed 8 weeks of PT"},
    ]).to_csv(out / "evidence.csv", index=False)
    gold = review.copy()
    gold.loc[0, "odi_score"] = "25.0"
    gold.to_csv(tmp_path / "gold.csv", index=False)
    return tmp_path


def test_html_and_markdown_escape_evidence_and_nothing_reaches_the_terminal(small, capsys):
    assert main(["audit", "--gold", str(small / "gold.csv"), "--review", str(small / "out" / "review.csv"),
                 "--out", str(small / "audit")]) == 0
    captured = capsys.readouterr()
    page = (small / "audit" / "report.html").read_text()
    assert "<script" not in page.lower()
    assert "ODI 40% &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "<script" not in (small / "audit" / "report.md").read_text().lower()
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page), "self-contained: nothing loaded from elsewhere"
    d = read(small / "audit" / "discrepancies.csv")
    assert list(d.columns[:4]) == ["patient_id", "field", "gold", "pipeline"]
    assert d[["patient_id", "field", "gold", "pipeline", "note_id"]].values.tolist() == \
        [["A", "odi_score", "25.0", "40.0", "A-N1"]]
    assert d.loc[0, "sentence"] == "ODI 40% <script>alert('x')</script> & more"
    assert "alert" not in captured.out + captured.err and "unused ODI" not in captured.out + captured.err


@pytest.mark.parametrize("threshold, code", [(None, 0), (66.0, 0), (66.7, 1), (100, 1)])
def test_min_agreement_exit_code(small, capsys, threshold, code):
    args = ["audit", "--gold", str(small / "gold.csv"), "--review", str(small / "out" / "review.csv"),
            "--out", str(small / "audit")]
    assert main(args + (["--min-agreement", str(threshold)] if threshold is not None else [])) == code
    err = capsys.readouterr().err
    assert ("odi_score 66.7%" in err) is (code == 1)
    if code == 1:
        assert "determination" not in err.split("below --min-agreement")[1]
    metrics = json.loads((small / "audit" / "metrics.json").read_text())
    assert metrics["min_agreement"]["below"] == (["odi_score"] if code else [])


def test_bad_input_exits_2_naming_the_file(small, capsys):
    review = str(small / "out" / "review.csv")
    read(small / "gold.csv").drop(columns=["patient_id"]).to_csv(small / "no_id.csv", index=False)
    assert main(["audit", "--gold", str(small / "no_id.csv"), "--review", review, "--out", str(small / "a")]) == 2
    err = capsys.readouterr().err
    assert "no_id.csv" in err and "patient_id" in err
    assert main(["audit", "--gold", str(small / "nope.csv"), "--review", review, "--out", str(small / "a")]) == 2
    assert "nope.csv" in capsys.readouterr().err
    (small / "empty.csv").write_text("patient_id,determination\n")
    assert main(["audit", "--gold", str(small / "empty.csv"), "--review", review, "--out", str(small / "a")]) == 2
    assert "no cases" in capsys.readouterr().err
    assert main(["audit", "--gold", str(small / "gold.csv"), "--out", str(small / "a")]) == 2
    assert "--review" in capsys.readouterr().err
    assert not (small / "a").exists()


def test_audit_runs_the_pipeline_first_with_notes(tmp_path, capsys):
    out = tmp_path / "audit"
    assert main(["audit", "--gold", str(SAMPLES / "gold_review.csv"), "--notes", str(SAMPLES / "notes.csv"),
                 "--cases", str(SAMPLES / "cases.csv"), "--out", str(out)]) == 0
    assert (out / "run" / "review.csv").is_file() and (out / "run" / "evidence.csv").is_file()
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary == score_review(SAMPLES / "gold_review.csv", out / "run" / "review.csv")[1]


# --- the QA sample -------------------------------------------------------------------------------------------------


def strata_review(sizes: dict) -> pd.DataFrame:
    rows = [{"patient_id": f"P{i}-{k:03d}", "review_date": "2025-06-01", **GOOD, "determination": det}
            for i, (det, n) in enumerate(sizes.items()) for k in range(n)]
    return review_table(rows)


def test_allocate_is_proportional_with_every_stratum_represented():
    assert allocate({"a": 10, "b": 20, "c": 30}, 12) == {"a": 2, "b": 4, "c": 6}
    assert allocate({"a": 1, "b": 2, "c": 97}, 10) == {"a": 1, "b": 1, "c": 8}
    assert allocate({"a": 3, "b": 4}, 50) == {"a": 3, "b": 4}
    assert sum(allocate({"a": 5, "b": 6, "c": 7}, 2).values()) == 2


def test_sample_is_reproducible_and_stratified():
    review = strata_review({"criteria_met": 10, "criteria_not_met": 20, "insufficient_documentation": 30})
    first = stratified_sample(review, 12, seed=7)
    assert first == stratified_sample(review.sample(frac=1, random_state=1), 12, seed=7), "row order does not matter"
    assert first != stratified_sample(review, 12, seed=8)
    assert len(first) == len(set(first)) == 12
    det = review.set_index("patient_id").loc[first, "determination"].value_counts().to_dict()
    assert det == {"criteria_met": 2, "criteria_not_met": 4, "insufficient_documentation": 6}


def test_cli_sample_writes_a_blank_abstraction_form(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    review = strata_review({"criteria_met": 4, "criteria_not_met": 5, "insufficient_documentation": 6})
    review.to_csv(out / "review.csv", index=False)
    pd.DataFrame([{"patient_id": p, "note_id": f"{p}-N{k}", "note_date": f"2025-0{k}-01", "criterion": "odi",
                   "used": k == 1, "sentence": "ODI 40% secret text"}
                  for p in review["patient_id"] for k in (2, 1, 2)]).to_csv(out / "evidence.csv", index=False)
    args = ["audit", "sample", str(out / "review.csv"), "--n", "6", "--seed", "7"]
    assert main(args + ["--out", str(tmp_path / "qa1.csv")]) == 0
    assert main(args + ["--out", str(tmp_path / "qa2.csv")]) == 0
    assert (tmp_path / "qa1.csv").read_bytes() == (tmp_path / "qa2.csv").read_bytes()
    form = read(tmp_path / "qa1.csv")
    assert list(form.columns) == REVIEW_COLUMNS + ["note_ids_to_read"]
    assert len(form) == 6 and (form["review_date"] == "2025-06-01").all()
    assert (form[[c for c in REVIEW_COLUMNS if c not in ("patient_id", "review_date")]] == "").all().all()
    assert form.loc[0, "note_ids_to_read"] == f"{form.loc[0, 'patient_id']}-N1;{form.loc[0, 'patient_id']}-N2"
    strata = review.set_index("patient_id").loc[form["patient_id"], "determination"].value_counts()
    assert set(strata.index) == {"criteria_met", "criteria_not_met", "insufficient_documentation"}
    assert "secret" not in "".join(capsys.readouterr())


def test_abstraction_form_without_evidence_leaves_note_ids_empty():
    review = strata_review({"criteria_met": 2})
    form = abstraction_form(review, ["P0-001"])
    assert form.to_dict("records")[0]["note_ids_to_read"] == "" and form.loc[0, "determination"] == ""


def test_sample_needs_a_review_table(capsys):
    assert main(["audit", "sample", "--out", "x.csv"]) == 2
    assert "review" in capsys.readouterr().err


# --- the notebook --------------------------------------------------------------------------------------------------


def test_qa_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "qa_audit.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()  # as Jupyter runs it
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chart is shown"
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert re.search(r"determination \d+/\d+ \(\d+\.\d%\) fields", text)
    assert "criteria_met" in text and "indication_status" in text


def test_audit_names_the_policy_the_review_was_scored_with(tmp_path):
    root = SAMPLES
    code = main(["audit", "--gold", str(root / "gold_review.csv"), "--notes", str(root / "notes.csv"),
                 "--cases", str(root / "cases.csv"), "--out", str(tmp_path)])
    assert code == 0
    policy = json.loads((tmp_path / "metrics.json").read_text())["inputs"]["policy"]
    assert policy["name"] == "scs-permanent" and len(policy["sha256"]) == 64
    assert "policy: scs-permanent" in (tmp_path / "report.md").read_text()
    assert "policy: scs-permanent" in (tmp_path / "report.html").read_text()


def test_the_audit_counts_wrong_determinations_routed_to_a_clinician_and_silent_ones():
    import pandas as pd
    from pipeline.audit.compare import routing_figures
    gold = pd.DataFrame({"patient_id": ["A", "B", "C", "D", "E"],
                         "determination": ["criteria_met", "criteria_not_met", "insufficient_documentation",
                                           "criteria_met", "criteria_met"]})
    review = pd.DataFrame({"patient_id": ["A", "B", "C", "D", "E"],
                           "determination": ["criteria_met", "criteria_met", "criteria_not_met",
                                             "insufficient_documentation", "criteria_met"],
                           "route": ["approve", "approve", "clinical_review", "request_documentation",
                                     "clinical_review"]})
    r = routing_figures(gold, review)
    assert (r["wrong"], r["wrong_to_clinical_review"], r["silent_wrong"], r["silent_false_approvals"]) == (3, 1, 2, 1)
    assert r["silent_cases"] == ["B", "D"]
    assert (r["right"], r["right_to_review_for_uncertainty"], r["clinical_review"]) == (2, 1, 2)
    assert routing_figures(gold, review.drop(columns="route")) is None
