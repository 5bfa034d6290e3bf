"""The bundled samples (and a held-out set in other writing styles) against their gold tables, and the
contract's columns and vocabularies."""
import math

import pandas as pd
import pytest

import pipeline
from pipeline.io.exports import read_cases, read_table
from pipeline.scoring.contract import DETERMINATIONS, PSYCH_CLEARANCE, REVIEW_COLUMNS, STATUSES
from pipeline.scoring.routing import ROUTES, ROUTING_COLUMNS
from conftest import ROOT, SAMPLES

HELDOUT = ROOT / "tests" / "data" / "heldout"

TOLERANCE = {"odi_score": 1.0, "trial_relief_pct": 1.0, "pt_weeks": 1.0}


@pytest.fixture(scope="module", params=[SAMPLES, HELDOUT], ids=["samples", "heldout"])
def dataset(request):
    return request.param


@pytest.fixture(scope="module")
def result(dataset):
    return pipeline.review(read_table(dataset / "notes.csv"), cases=read_cases(dataset / "cases.csv"))


@pytest.fixture(scope="module")
def gold(dataset):
    return pd.read_csv(dataset / "gold_review.csv", dtype=str, keep_default_na=False).set_index("patient_id")


def _agree(field, g, got):
    got = "" if got is None or (isinstance(got, float) and math.isnan(got)) else str(got)
    if hasattr(got, "isoformat") or field.endswith("_date"):
        got = str(got)[:10]
    if field in TOLERANCE:
        return (not g and not got) or (bool(g) and bool(got) and abs(float(g) - float(got)) <= TOLERANCE[field])
    if field == "missing":
        return set(filter(None, g.split(";"))) == set(filter(None, got.split(";")))
    return g == got


def test_every_field_of_every_sample_case_agrees_with_gold(result, gold):
    review = result.review.set_index("patient_id")
    assert sorted(review.index) == sorted(gold.index)
    wrong = [(pid, f, gold.at[pid, f], review.at[pid, f]) for pid in gold.index for f in gold.columns
             if not _agree(f, gold.at[pid, f], review.at[pid, f])]
    assert wrong == []


def test_samples_cover_every_determination(gold):
    assert set(gold["determination"]) == set(DETERMINATIONS)


def test_review_columns_and_vocabularies(result):
    r = result.review
    assert list(r.columns) == REVIEW_COLUMNS + list(ROUTING_COLUMNS)
    assert set(r["route"]) <= set(ROUTES)
    # a denial is never the software's alone, and a case with a reason is read by a clinician
    assert (r.loc[r.determination == "criteria_not_met", "route"] == "clinical_review").all()
    assert (r.loc[r.review_reasons.astype(bool), "route"] == "clinical_review").all()
    assert (r.loc[r.route == "approve", "determination"] == "criteria_met").all()
    for c in [c for c in REVIEW_COLUMNS if c.endswith("_status")]:
        assert set(r[c]) <= set(STATUSES)
    assert set(r["determination"]) <= set(DETERMINATIONS)
    assert set(r["psych_clearance"]) <= set(PSYCH_CLEARANCE)
    order = ["indication", "odi", "trial", "pt", "psych"]
    for missing, det in zip(r["missing"], r["determination"]):
        names = [n for n in missing.split(";") if n]
        assert names == sorted(names, key=order.index)
        assert (det == "insufficient_documentation") <= bool(names)
    for c in ("odi_score", "trial_relief_pct"):
        assert r[c].dropna().between(0, 100).all()
    assert (r["pt_weeks"].dropna() >= 0).all()


def test_every_value_points_at_used_evidence(result):
    ev = result.evidence
    for _, row in result.review.iterrows():
        used = ev[(ev.patient_id == row.patient_id) & ev.used]
        for crit, note_col in (("odi", "odi_note_id"), ("trial", "trial_note_id"), ("psych", "psych_note_id")):
            if isinstance(row[note_col], str) and row[note_col]:
                assert row[note_col] in set(used[used.criterion == crit].note_id)


def test_run_counts_add_up(result):
    c = result.run["counts"]
    assert c["rows_read"] == c["notes_processed"] + c["rows_rejected"]


# Development sets written blind to the rules in the styles that fail most; not yet every case right, so
# each holds the agreement measured when it was last raised (benchmarks/bench.py prints the same figures).
BLIND_FLOORS = {"fax-packets": (22, 98.0), "multi-ehr": (22, 97.5), "fax-packets-2": (22, 97.0), "multi-ehr-2": (22, 99.0),
                "fax-packets-3": (20, 97.0), "multi-ehr-3": (20, 97.0), "fax-packets-4": (16, 97.0),
                "multi-ehr-4": (16, 98.0), "fax-packets-5": (16, 95.0), "multi-ehr-5": (16, 98.0),
                "scanned-packets-6": (16, 97.0), "dictation-6": (16, 98.0), "workers-comp-7": (16, 98.0),
                "va-cprs-7": (16, 98.5), "behavioral-health-7": (16, 97.0), "registry-8": (16, 96.5),
                "msk-physio-8": (16, 99.0), "telehealth-8": (16, 97.5), "rural-terse-9": (16, 99.0),
                "spine-surgery-9": (16, 99.0), "ehr-migration-9": (16, 99.0),
                "speech-recognition-10": (16, 98.0), "appeal-packets-10": (16, 98.5), "problem-oriented-10": (16, 98.5),
                "fax-packets-10": (16, 96.5), "structured-exports-11": (15, 92.5), "bilingual-11": (16, 98.0),
                "military-11": (16, 98.5), "functional-restoration-11": (16, 95.5),
                "record-chronologies-12": (16, 95.5), "intake-forms-12": (13, 82.0), "inpatient-12": (15, 97.0),
                "navigator-13": (15, 93.0), "template-macros-13": (12, 86.5)}


@pytest.mark.parametrize("name", sorted(BLIND_FLOORS))
def test_blind_sets_hold_their_determinations_and_fields(name):
    folder = ROOT / "tests" / "data" / name
    review = pipeline.review(read_table(folder / "notes.csv"), cases=read_cases(folder / "cases.csv")).review
    review = review.set_index("patient_id")
    gold = pd.read_csv(folder / "gold_review.csv", dtype=str, keep_default_na=False).set_index("patient_id")
    right = sum(_agree("determination", gold.at[p, "determination"], review.at[p, "determination"])
                for p in gold.index)
    fields = [f for f in gold.columns if f not in ("review_date", "odi_note_id", "trial_note_id", "psych_note_id")]
    agree = sum(_agree(f, gold.at[p, f], review.at[p, f]) for p in gold.index for f in fields)
    floor, fields_floor = BLIND_FLOORS[name]
    assert right >= floor, f"{name}: {right}/{len(gold)} determinations right, was {floor}"
    assert 100.0 * agree / (len(gold) * len(fields)) >= fields_floor
