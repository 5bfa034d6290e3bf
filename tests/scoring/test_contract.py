"""The scorer's choices among mentions, on hand-built evidence: no pipeline needed."""
import datetime as dt

import pytest

from pipeline.scoring.policy import load_policy
from pipeline.records import Mention
from pipeline.scoring.patient import determination, score_patient

D = dt.date.fromisoformat
REVIEW = D("2025-06-30")


def m(criterion, label, note_date, value=None, date=None, date_end=None, note_id=None, classes=(), **flags):
    return Mention("P", note_id or f"N-{note_date}", D(note_date), "", criterion, label, value, "",
                   D(date) if date else None, D(date_end) if date_end else None,
                   flags.get("negated", False), flags.get("hypothetical", False), flags.get("historical", False),
                   flags.get("family", False), 0, 1, "s", 0, frozenset(classes))


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def score(mentions, policy, review=REVIEW):
    return score_patient("P", review, mentions, policy)


def test_most_recent_odi_on_or_before_review_wins_even_when_lower(policy):
    row, used = score([m("odi", "score", "2024-10-01", 46), m("odi", "score", "2025-03-10", 20),
                       m("odi", "score", "2025-07-15", 60)], policy)
    assert (row["odi_score"], row["odi_date"], row["odi_status"]) == (20, D("2025-03-10"), "not_met")
    assert used == {1}


def test_odi_exactly_at_threshold_is_met_and_flags_exclude(policy):
    row, _ = score([m("odi", "score", "2025-01-01", 21), m("odi", "score", "2025-02-01", 5, negated=True),
                    m("odi", "score", "2025-02-02", 5, hypothetical=True), m("odi", "score", "2025-02-03", 5, family=True),
                    m("odi", "template_blank", "2025-03-01"), m("odi", "threshold", "2025-03-02", 21)], policy)
    assert (row["odi_score"], row["odi_status"]) == (21, "met")


def test_latest_trial_counts_and_historical_or_distractor_do_not(policy):
    row, _ = score([m("trial", "relief", "2024-01-22", 30), m("trial", "relief", "2025-05-01", 75),
                    m("trial", "relief", "2025-06-01", 90, historical=True),
                    m("trial", "other_treatment", "2025-06-02", 80), m("trial", "unattributed", "2025-06-03", 10)],
                   policy)
    assert (row["trial_relief_pct"], row["trial_note_id"], row["trial_status"]) == (75, "N-2025-05-01", "met")


def test_trial_in_words_only_is_insufficient(policy):
    row, _ = score([m("trial", "mention", "2025-05-01")], policy)
    assert row["trial_status"] == "insufficient" and "trial" in row["missing"]


def test_pt_span_from_visit_dates_and_ranges_clipped_to_window(policy):
    row, used = score([m("pt", "pt_visit", "2025-01-13", date="2025-01-13"),
                       m("pt", "pt_visit", "2025-03-28", date="2025-03-28"),
                       m("pt", "service_range", "2025-04-01", 10.0, "2024-05-01", "2024-08-01"),
                       m("pt", "stated_duration", "2025-04-02", 30.0, "2025-04-02")], policy)
    assert (row["pt_first_date"], row["pt_last_date"], row["pt_weeks"]) == (D("2024-06-30"), D("2025-03-28"), 38.7)
    assert row["pt_status"] == "met" and len(used) == 3


def test_pt_stated_duration_without_dates(policy):
    row, _ = score([m("pt", "stated_duration", "2025-03-10", 12.0, "2025-02-10")], policy)
    assert (row["pt_weeks"], row["pt_first_date"], row["pt_status"]) == (12.0, None, "met")


@pytest.mark.parametrize("mentions", [
    [m("pt", "pt_visit", "2025-01-06", date="2025-01-06"), m("pt", "pt_visit", "2025-01-27", date="2025-01-27")],
    [m("pt", "service_range", "2024-02-09", 9.6, "2023-12-04", "2024-02-09")],
    [m("pt", "stated_duration", "2023-11-06", 10.0, "2022-02-15")],
    [m("pt", "nonformal", "2025-01-01", date="2025-01-01")],
])
def test_pt_not_met_short_old_or_nonformal(policy, mentions):
    assert score(mentions, policy)[0]["pt_status"] == "not_met"


@pytest.mark.parametrize("mentions", [
    [], [m("pt", "mention", "2025-01-01", hypothetical=True)], [m("pt", "pt_visit", "2025-01-01", date="2025-01-01",
                                                                negated=True)],
    [m("pt", "nonformal", "2025-01-01", date="2025-01-01", negated=True)],
])
def test_pt_insufficient_when_only_planned_or_nothing(policy, mentions):
    assert score(mentions, policy)[0]["pt_status"] == "insufficient"


def test_psych_latest_evaluation_wins_and_its_own_note_beats_a_pointer(policy):
    row, _ = score([m("psych", "pending", "2024-09-01", date="2024-09-01"),
                    m("psych", "not_cleared", "2025-03-28", date="2025-03-28", note_id="EVAL", classes=["psych_eval"]),
                    m("psych", "not_cleared", "2025-04-21", date="2025-03-28", note_id="POINTER")], policy)
    assert (row["psych_clearance"], row["psych_note_id"], row["psych_status"]) == ("not_cleared", "EVAL", "not_met")
    row, _ = score([m("psych", "not_cleared", "2024-09-16", date="2024-09-16"),
                    m("psych", "cleared", "2025-04-21", date="2025-04-21", note_id="RE-EVAL"),
                    m("psych", "pending", "2025-05-01", date="2025-05-01")], policy)
    assert (row["psych_clearance"], row["psych_note_id"]) == ("cleared", "RE-EVAL")


def test_a_conditional_clearance_is_settled_by_a_later_note_that_points_back_to_it(policy):
    conditional = m("psych", "conditional", "2024-10-21", date="2024-10-21", note_id="EVAL", classes=["psych_eval"])
    row, _ = score([conditional, m("psych", "cleared", "2024-12-02", date="2024-10-21", note_id="ADDENDUM",
                                   classes=["psych_eval"])], policy)
    assert (row["psych_clearance"], row["psych_note_id"], row["psych_status"]) == ("cleared", "ADDENDUM", "met")
    row, _ = score([conditional], policy)
    assert (row["psych_clearance"], row["psych_note_id"]) == ("pending", "EVAL")


def test_pt_restated_course_and_single_dates(policy):
    letter = ["restatement"]
    # the visits' own records win over a letter's span
    row, _ = score([m("pt", "pt_visit", "2024-11-04", date="2024-11-04"), m("pt", "pt_visit", "2024-11-20", date="2024-11-20"),
                    m("pt", "service_range", "2025-02-01", 12.0, "2024-11-04", "2025-01-27", classes=letter)], policy)
    assert (row["pt_weeks"], str(row["pt_last_date"])) == (2.3, "2024-11-20")
    # one date of service gives way to a stated course length
    row, _ = score([m("pt", "pt_visit", "2024-10-15", date="2024-10-15"),
                    m("pt", "stated_duration", "2024-10-15", 8.0, "2024-10-15")], policy)
    assert (row["pt_weeks"], row["pt_status"]) == (8.0, "met")
    # a form's course that the visits' own notes show was given by video
    row, _ = score([m("pt", "service_range", "2025-03-01", 7.6, "2025-01-06", "2025-02-28", classes=letter),
                    m("pt", "telehealth", "2025-02-28", date="2025-02-28")], policy)
    assert (row["pt_weeks"], row["pt_status"]) == (None, "not_met")
    # a summary's own date after the span it states is not a visit
    row, _ = score([m("pt", "service_range", "2024-12-06", 8.3, "2024-10-07", "2024-12-04", note_id="DC"),
                    m("pt", "pt_visit", "2024-12-06", date="2024-12-06", note_id="DC")], policy)
    assert str(row["pt_last_date"]) == "2024-12-04"


def test_psych_pending_and_none_found(policy):
    row, _ = score([m("psych", "pending", "2024-11-04", note_id="A"), m("psych", "pending", "2025-02-17", note_id="B")],
                   policy)
    assert (row["psych_clearance"], row["psych_note_id"], row["psych_status"]) == ("pending", "B", "insufficient")
    row, _ = score([m("psych", "cleared", "2025-01-01", date="2025-01-01", family=True)], policy)
    assert (row["psych_clearance"], row["psych_note_id"]) == ("none_found", None)


def test_determination_and_missing_order(policy):
    row, _ = score([m("indication", "syndrome", "2025-01-01"), m("trial", "relief", "2025-01-02", 40)], policy)
    assert row["determination"] == "criteria_not_met"
    assert row["missing"] == "odi;pt;psych"
    assert determination(["met"] * 5) == "criteria_met"
    assert determination(["met", "insufficient", "met"]) == "insufficient_documentation"
    assert determination(["insufficient", "not_met"]) == "criteria_not_met"


def test_a_trial_ended_before_its_result_leaves_no_result_over_an_earlier_trials(policy):
    first = m("trial", "relief", "2025-01-20", 35.0)
    row, _ = score([first, m("trial", "aborted_trial", "2025-03-12", date="2025-03-12")], policy)
    assert (row["trial_relief_pct"], row["trial_status"]) == (None, "insufficient")
    # an aborted first trial does not hide the repeat trial's result
    row, _ = score([m("trial", "aborted_trial", "2024-12-01"), m("trial", "relief", "2025-01-20", 30.0)], policy)
    assert (row["trial_relief_pct"], row["trial_status"]) == (30.0, "not_met")


def test_an_odi_written_with_the_date_it_was_taken_is_as_old_as_that_date(policy):
    # a request form of March restates the intake's 56 % "Date: 05/20/24"; the January visit measured 42 %
    row, _ = score([m("odi", "score", "2024-05-20", 56), m("odi", "score", "2025-01-09", 42),
                    m("odi", "score", "2025-03-03", 56, date="2024-05-20")], policy)
    assert (row["odi_score"], row["odi_date"]) == (42, D("2025-01-09"))
    row, _ = score([m("odi", "score", "2025-01-09", 42), m("odi", "score", "2025-03-03", 30)], policy)
    assert row["odi_score"] == 30  # without a date of its own, the later note's value is the later one


def test_a_psych_evaluation_the_patient_declined_is_not_pending(policy):
    row, _ = score([m("psych", "pending", "2024-08-26"), m("psych", "declined", "2025-03-24")], policy)
    assert (row["psych_clearance"], row["psych_note_id"], row["psych_status"]) == ("none_found", None, "insufficient")
    row, _ = score([m("psych", "declined", "2024-08-26"), m("psych", "pending", "2025-03-24", note_id="B")], policy)
    assert (row["psych_clearance"], row["psych_note_id"]) == ("pending", "B")
