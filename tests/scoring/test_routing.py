"""Routing: each planted uncertainty gives its reason and sends the case to a clinician; a case with none is
approved or sent back for documentation. Hand-built evidence (no pipeline), and one note read end to end."""
import datetime as dt

import pytest

from pipeline.records import Mention
from pipeline.scoring.patient import score_patient
from pipeline.scoring.policy import load_policy
from pipeline.scoring.routing import load_reason_rules

D = dt.date.fromisoformat
REVIEW = D("2025-06-30")


def m(criterion, label, note_date, value=None, date=None, date_end=None, note_id=None, classes=(), sentence="s",
      **flags):
    return Mention("P", note_id or f"N-{note_date}-{criterion}", D(note_date), "", criterion, label, value, "",
                   D(date) if date else None, D(date_end) if date_end else None,
                   flags.get("negated", False), flags.get("hypothetical", False), flags.get("historical", False),
                   flags.get("family", False), 0, 1, sentence, 0, frozenset(classes))


# a chart that meets every criterion with nothing uncertain
CLEAN = [m("indication", "syndrome", "2025-01-10"),
         m("odi", "score", "2025-03-01", 44.0),
         m("trial", "relief", "2025-05-01", 70.0, classes=["scs_trial"]),
         m("pt", "pt_visit", "2024-10-01", date="2024-10-01"), m("pt", "pt_visit", "2024-12-01", date="2024-12-01"),
         m("psych", "cleared", "2025-02-01", date="2025-02-01", classes=["psych_eval"])]


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def route_of(mentions, policy):
    row, _ = score_patient("P", REVIEW, mentions, policy)
    return row


def without(criterion, label=None):
    return [x for x in CLEAN if not (x.criterion == criterion and (label is None or x.label == label))]


def test_a_clean_chart_is_approved_and_a_missing_criterion_asks_for_documentation(policy):
    row = route_of(CLEAN, policy)
    assert (row["determination"], row["route"], row["review_reasons"], row["summary"]) == \
        ("criteria_met", "approve", "", "")
    row = route_of(without("psych"), policy)
    assert (row["determination"], row["route"], row["review_reasons"]) == \
        ("insufficient_documentation", "request_documentation", "")
    assert "Psych clearance not documented: none found; required: psychological evaluation" in row["summary"]


def test_criteria_not_met_always_goes_to_a_clinician_with_the_note_cited(policy):
    row = route_of(without("odi") + [m("odi", "score", "2025-03-01", 12.0, note_id="N8")], policy)
    assert (row["determination"], row["route"]) == ("criteria_not_met", "clinical_review")
    assert "ODI not met: 12 (note N8 of 2025-03-01)" in row["summary"]


@pytest.mark.parametrize("planted, reason", [
    # a number beside "Oswestry" that no rule linked, newer than the value read
    ([m("odi", "mention", "2025-04-02", sentence="Oswestry questionnaire was completed and after much discussion "
                                                "of each section came to 46 today.")], "odi:unread_number"),
    # a trial note whose relief figure was not read
    ([m("trial", "mention", "2025-05-02", classes=["scs_trial"],
        sentence="Overall he felt about 80% better with the leads in.")], "trial:unread_number"),
    # two ODIs of the same day that disagree
    ([m("odi", "score", "2025-03-01", 30.0, note_id="OTHER")], "odi:conflicting_values"),
])
def test_each_planted_uncertainty_gives_its_reason_and_a_clinician(policy, planted, reason):
    row = route_of(CLEAN + planted, policy)
    assert row["determination"] == "criteria_met"
    assert reason in row["review_reasons"].split(";")
    assert row["route"] == "clinical_review"
    assert reason.split(":")[0] + ":" in row["summary"]


def test_a_value_near_its_threshold_and_a_value_only_a_form_states(policy):
    row = route_of(without("odi") + [m("odi", "score", "2025-03-01", 22.0)], policy)
    assert row["review_reasons"] == "odi:near_threshold" and row["route"] == "clinical_review"
    assert "the value 22 is within 3 of the threshold 21" in row["summary"]
    row = route_of(without("trial") + [m("trial", "relief", "2025-05-20", 75.0, note_id="FORM",
                                         classes=["restatement"])], policy)
    assert row["review_reasons"] == "trial:restatement_only"
    assert "note FORM of 2025-05-20" in row["summary"]


def test_pt_decided_only_by_home_exercise_or_video_says_so(policy):
    row = route_of(without("pt") + [m("pt", "telehealth", "2025-01-10", date="2025-01-10")], policy)
    assert row["pt_status"] == "not_met" and "pt:nonformal_only" in row["review_reasons"]


def test_reasons_are_data_a_disabled_one_is_never_raised(policy):
    rules = {r.code: r for r in load_reason_rules()}
    assert not rules["restated_value_differs"].enabled
    row = route_of(CLEAN + [m("odi", "score", "2025-04-01", 60.0, classes=["restatement"])], policy)
    assert "restated_value_differs" not in row["review_reasons"]


def test_an_unknown_reason_key_is_refused():
    from pipeline.scoring.routing import ReasonRule
    with pytest.raises(ValueError, match="unknown keys"):
        ReasonRule.from_dict({"code": "near_threshold", "criteria": ["odi"], "wrods": "x"}, "reasons.json")
    with pytest.raises(ValueError, match="no detector"):
        ReasonRule.from_dict({"code": "guesswork"}, "reasons.json")


def test_a_review_margin_in_the_policy_is_checked(tmp_path):
    from pipeline.errors import PolicyError
    bad = tmp_path / "p.yaml"
    bad.write_text("name: p\ncriteria:\n  - name: odi\n    scorer: odi\n    review_margin: lots\n")
    with pytest.raises(PolicyError, match="review_margin"):
        load_policy(bad)


def test_an_unread_oswestry_number_in_a_real_note_routes_the_case(policy):
    import pandas as pd
    import pipeline
    text = ("Pain clinic follow-up after the SCS trial. Oswestry questionnaire was completed and after much "
            "discussion of each section came to 46 today. s/p L4-5 fusion with persistent leg pain.")
    notes = pd.DataFrame({"patient_id": ["P1"], "note_id": ["N1"], "note_date": ["2025-06-01"],
                          "note_type": ["Pain Management Progress Note"], "text": [text]})
    row = pipeline.review(notes).review.iloc[0]
    assert row["odi_status"] == "insufficient"
    assert "odi:unread_number" in row["review_reasons"].split(";") and row["route"] == "clinical_review"
    assert "note N1 of 2025-06-01" in row["summary"]


def test_a_value_read_by_ocr_with_low_confidence_goes_to_a_clinician(policy):
    from pipeline.extract.notes import classify_note
    from pipeline.io.packets import ocr_note_type
    from pipeline.records import Note
    low, high = ocr_note_type("Packet document", 58.4), ocr_note_type("Packet document", 91.0)
    assert (low, high) == ("Packet document [OCR confidence 58%]", "Packet document")
    assert "ocr_low_confidence" in classify_note(Note("P", "n", REVIEW, low, "ODI 44%"))
    assert "ocr_low_confidence" not in classify_note(Note("P", "n", REVIEW, high, "ODI 44%"))
    scanned = [x if x.criterion != "odi" else x._replace(note_id="scan.pdf p. 3", note_classes=frozenset(
        {"ocr_low_confidence"})) for x in CLEAN]
    row = route_of(scanned, policy)
    assert (row["route"], row["review_reasons"]) == ("clinical_review", "odi:low_ocr_confidence")
    assert "scan.pdf p. 3" in row["summary"]
    assert route_of(CLEAN, policy)["route"] == "approve"
