"""Payer policies: the same notes under different policies give different, correct determinations.

The cases (tests/payer_cases.py) are synthetic charts that differ in one thing each; they run
through pipeline.engines.memory, the whole pipeline, once per shipped policy.
"""
import datetime as dt

import pandas as pd
import pytest
import yaml

import pipeline
from payer_cases import CASES, EXPECTED, cases_frame, notes_frame
from pipeline.cli.main import main
from pipeline.errors import PolicyError
from pipeline.resources import policies_dir
from pipeline.scoring.policy import load_policy
from pipeline.scoring.contract import REVIEW_COLUMNS
from pipeline.scoring.scorers import SCORERS

POLICIES = ["scs-permanent", "aetna-cpb-0194", "cigna-evicore-cmm-211", "medicare-l37632", "scs-trial"]


@pytest.fixture(scope="module")
def notes():
    return notes_frame()


@pytest.fixture(scope="module")
def reviews(notes):
    return {p: pipeline.review(notes, cases=cases_frame(), policy=p) for p in POLICIES}


def _row(result, pid):
    return result.review.set_index("patient_id").loc[pid]


@pytest.mark.parametrize("pid", list(CASES))
@pytest.mark.parametrize("policy", POLICIES)
def test_each_policy_gives_its_own_determination(reviews, policy, pid):
    row = _row(reviews[policy], pid)
    assert (row["determination"], row["missing"]) == EXPECTED[pid][policy]


def test_the_same_case_is_decided_differently_by_the_policies(reviews):
    for pid in CASES:
        if pid == "ALL-MET":
            continue
        determinations = {_row(reviews[p], pid)["determination"] for p in POLICIES}
        assert len(determinations) > 1, pid


def test_new_criteria_values_and_columns_after_the_contract(reviews):
    aetna = reviews["aetna-cpb-0194"].review
    assert list(aetna.columns[:len(REVIEW_COLUMNS)]) == REVIEW_COLUMNS
    assert list(aetna.columns[len(REVIEW_COLUMNS):]) == [
        "trial_length_days", "trial_length_note_id", "trial_length_status",
        "conservative_months", "conservative_note_id", "conservative_status",
        "substance_use_finding", "substance_use_note_id", "substance_use_status", "route", "review_reasons", "summary"]
    a = aetna.set_index("patient_id")
    assert a.loc["ALL-MET", "trial_length_days"] == 7 and a.loc["TRIAL-48H", "trial_length_days"] == 2
    assert a.loc["TRIAL-10D", "trial_length_days"] == 10
    assert a.loc["ALL-MET", "conservative_months"] == 24 and a.loc["CONSERVATIVE-4MO", "conservative_months"] == 4
    assert a.loc["ALL-MET", "substance_use_finding"] == "no_sud"
    assert (a.loc["ACTIVE-SUD", "substance_use_finding"], a.loc["ACTIVE-SUD", "substance_use_status"]) == \
        ("untreated", "not_met")
    assert a.loc["ACTIVE-SUD", "substance_use_note_id"] == "ACTIVE-SUD-N2"


def test_policy_without_odi_keeps_the_odi_columns_empty_and_does_not_count_them(reviews):
    cigna = reviews["cigna-evicore-cmm-211"].review
    assert list(cigna.columns[:len(REVIEW_COLUMNS)]) == REVIEW_COLUMNS
    for c in ("odi_score", "odi_date", "odi_note_id", "odi_status", "pt_weeks", "pt_status"):
        assert cigna[c].isna().all(), c
    assert not cigna["missing"].str.contains("odi").any()
    trial_stage = reviews["scs-trial"].review
    assert trial_stage[["trial_relief_pct", "trial_note_id", "trial_status"]].isna().all().all()


def test_medicare_any_of_takes_relief_or_analgesic_reduction(reviews):
    r = reviews["medicare-l37632"].review.set_index("patient_id").loc["RELIEF40-ANALGESIC60"]
    assert (r["trial_relief_pct"], r["trial_relief_status"]) == (40, "not_met")
    assert (r["analgesic_reduction_pct"], r["analgesic_reduction_status"]) == (60, "met")
    assert r["trial_status"] == "met" and r["analgesic_note_id"] == "RELIEF40-ANALGESIC60-N3"
    ev = reviews["medicare-l37632"].evidence
    used = ev[(ev.patient_id == "RELIEF40-ANALGESIC60") & ev.used & (ev.criterion == "trial")]
    assert list(used.label) == ["analgesic_reduction"]  # the evidence behind the OR is the component that met


def _any_of(ms_statuses):
    """any_of over stub scorers with the given statuses."""
    from pipeline.scoring.payer import score_any_of
    from pipeline.scoring.registry import CriterionResult, Scorer
    names = []
    for k, status in enumerate(ms_statuses):
        name = f"_stub{k}"
        SCORERS[name] = Scorer(lambda ms, d, p, n, s=status: CriterionResult(s, {f"{n}_status": s}, frozenset()), {})
        names.append(name)
    try:
        return score_any_of([], dt.date(2025, 1, 1), {"of": tuple(names)}, "x").status
    finally:
        for name in names:
            del SCORERS[name]


@pytest.mark.parametrize("statuses, expected", [
    (["not_met", "met"], "met"), (["insufficient", "met"], "met"), (["not_met", "insufficient"], "insufficient"),
    (["not_met", "not_met"], "not_met"), (["insufficient", "insufficient"], "insufficient"),
])
def test_any_of_is_a_three_valued_or(statuses, expected):
    assert _any_of(statuses) == expected


def _write(tmp_path, base, edit, name="edited.yaml"):
    data = yaml.safe_load((policies_dir() / f"{base}.yaml").read_text())
    edit(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _criterion(data, name):
    return next(c for c in data["criteria"] if c["name"] == name)


@pytest.mark.parametrize("base, criterion, key, value, pid, before, after", [
    ("aetna-cpb-0194", "conservative", "min_months", 3, "CONSERVATIVE-4MO", "criteria_not_met", "criteria_met"),
    ("cigna-evicore-cmm-211", "trial_length", "more_than_days", 1, "TRIAL-48H", "criteria_not_met", "criteria_met"),
    ("aetna-cpb-0194", "trial_length", "max_days", 14, "TRIAL-10D", "criteria_not_met", "criteria_met"),
    ("medicare-l37632", "trial", "min_reduction_pct", 70, "RELIEF40-ANALGESIC60", "criteria_met", "criteria_not_met"),
])
def test_a_new_yaml_with_a_changed_threshold_changes_the_determination(tmp_path, notes, reviews, base, criterion,
                                                                       key, value, pid, before, after):
    path = _write(tmp_path, base, lambda d: _criterion(d, criterion).update({key: value}))
    result = pipeline.review(notes, cases=cases_frame(), policy=str(path))
    assert _row(reviews[base], pid)["determination"] == before
    assert _row(result, pid)["determination"] == after
    assert result.run["policy"]["name"] == base and result.run["policy"]["path"] == str(path)


def test_a_yaml_added_to_the_policies_folder_is_a_policy_by_name(tmp_path, monkeypatch, notes, capsys):
    """Adding one YAML file (a copy with one threshold changed) is all a new policy takes."""
    import shutil

    import pipeline.scoring.policy as policy_module
    folder = tmp_path / "policies"
    shutil.copytree(policies_dir(), folder)
    data = yaml.safe_load((folder / "aetna-cpb-0194.yaml").read_text())
    data["name"] = "aetna-strict"
    _criterion(data, "trial")["min_relief_pct"] = 80
    (folder / "aetna-strict.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setattr(policy_module, "policies_dir", lambda: folder)
    cases = cases_frame({"ALL-MET": {}})
    assert _row(pipeline.review(notes, cases=cases, policy="aetna-cpb-0194"), "ALL-MET")["determination"] == \
        "criteria_met"
    assert _row(pipeline.review(notes, cases=cases, policy="aetna-strict"), "ALL-MET")["determination"] == \
        "criteria_not_met"  # 70 % relief < 80
    assert main(["policies"]) == 0 and "aetna-strict" in capsys.readouterr().out


@pytest.mark.parametrize("policy", POLICIES)
def test_shipped_policies_name_their_source_and_ask_for_a_check(policy):
    p = load_policy(policy)
    data = yaml.safe_load((policies_dir() / f"{policy}.yaml").read_text())
    assert set(data) == {"name", "title", "source", "description", "criteria"} and p.name == policy
    assert p.title and p.source
    assert "before production use" in p.description and "current" in p.description


@pytest.mark.parametrize("edit, message", [
    (lambda d: _criterion(d, "trial").update(of="trial_relief"), "must be a list of names"),
    (lambda d: _criterion(d, "trial").update(of=[]), "must be a list of names"),
    (lambda d: _criterion(d, "trial").update(of=[1, 2]), "must be a list of names"),
    (lambda d: _criterion(d, "trial").update(min_relief_pct=[50]), "must be a number"),
    (lambda d: _criterion(d, "trial").update(min_relief=50), "unknown parameters"),
])
def test_any_of_parameters_are_validated_when_the_policy_loads(tmp_path, edit, message):
    path = _write(tmp_path, "medicare-l37632", edit)
    with pytest.raises(PolicyError, match=message) as e:
        load_policy(path)
    assert str(path) in str(e.value)


def test_any_of_with_an_unknown_scorer_is_a_policy_error(tmp_path, notes):
    path = _write(tmp_path, "medicare-l37632", lambda d: _criterion(d, "trial").update(of=["trial_relief", "nope"]))
    with pytest.raises(PolicyError, match="unknown scorer 'nope'"):
        pipeline.review(notes, cases=cases_frame({"ALL-MET": {}}), policy=str(path))


def test_policies_command_lists_the_shipped_policies(capsys):
    assert main(["policies"]) == 0
    out = capsys.readouterr().out
    for name in POLICIES:
        p = load_policy(name)
        assert name in out and p.title in out and p.source in out
    assert "scs-permanent  (default)" in out


def test_policies_command_json(capsys):
    import json
    assert main(["policies", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert set(POLICIES) <= set(listed)
    assert listed["medicare-l37632"]["criteria"] == ["indication", "trial", "psych", "conservative"]
    assert listed["scs-permanent"]["default"] is True


def test_run_with_a_payer_policy_writes_the_extra_columns(tmp_path, notes):
    src = tmp_path / "notes.csv"
    notes.to_csv(src, index=False)
    cases = tmp_path / "cases.csv"
    cases_frame().to_csv(cases, index=False)
    out = tmp_path / "out"
    assert main(["run", str(src), "--cases", str(cases), "--out", str(out), "--policy", "aetna-cpb-0194"]) == 0
    review = pd.read_csv(out / "review.csv")
    assert list(review.columns[:len(REVIEW_COLUMNS)]) == REVIEW_COLUMNS
    assert "trial_length_status" in review.columns
    assert review.set_index("patient_id").loc["TRIAL-48H", "determination"] == "criteria_not_met"
