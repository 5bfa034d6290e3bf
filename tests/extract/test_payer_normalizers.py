"""The payer criteria's normalizers (trial length, conservative care, analgesic reduction, substance
use) on many phrasings, through the real medspaCy pipeline."""
import datetime as dt

import pytest

from conftest import counted, mentions_of

TRIAL_NOTE = "SCS Trial Follow-up"


mentions = mentions_of


# --- trial length ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, note_type, days", [
    ("S: 7-day trial complete.", TRIAL_NOTE, 7),
    ("Interval: 7-day percutaneous SCS trial placed 8/11/25.", "Pain Management Progress Note", 7),
    ("He underwent a 72-hour SCS trial last week.", "Pain Management Progress Note", 3),
    ("SCS trial x 5 days with good coverage.", "Pain Management Progress Note", 5),
    ("Trial placed 6/2, removed 6/9.", "Pain Management Progress Note", 7),
    ("SCS trial placed 02/24/2025 and removed 03/03/2025.", "Pain Management Progress Note", 7),
    ("Day 7 of trial.", "Pain Management Progress Note", 7),
    ("S: Day 7.", TRIAL_NOTE, 7),
    ("SCS TRIAL F/U + LEAD REMOVAL   (day 7)", "Pain Management Progress Note", 7),
    ("Tel note - rep called re: the patient's trial day 4.", "Telephone Encounter", 4),
])
def test_trial_length_values(nlp, text, note_type, days):
    assert sorted({m.value for m in counted(mentions(nlp, text, "trial_length", note_type), "length")}) == [days]


def test_trial_placed_in_a_followup_note_that_removes_the_leads(nlp):
    text = ("SCS TRIAL FOLLOW-UP\nTrial placed: 09/15/2025 (2 leads, T8-T9).\nS: 65% relief.\n"
            "O: Sites clean, no erythema. Leads removed intact.")
    ms = counted(mentions(nlp, text, "trial_length", TRIAL_NOTE, date="2025-09-22"), "length")
    assert [(m.value, m.date, m.date_end) for m in ms] == [(7, dt.date(2025, 9, 15), dt.date(2025, 9, 22))]


@pytest.mark.parametrize("text, note_type", [
    ("Plan: 7-day trial.", "Procedure Note"),                                   # planned
    ("Wore a sneaker for 2 hours yesterday, then rested for 3 days.", TRIAL_NOTE),  # not the trial's length
    ("Take 1 tab per day 3 times.", TRIAL_NOTE),
    ("Post-op day 3 after the fusion.", "Pain Management Progress Note"),       # no trial
    ("SCS TRIAL FOLLOW-UP\nTrial placed: 09/15/2025.\nPlan: return next week, leads to be removed.", TRIAL_NOTE),
])
def test_trial_length_never_counts(nlp, text, note_type):
    assert counted(mentions(nlp, text, "trial_length", note_type, date="2025-09-22"), "length") == []


# --- conservative therapy ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, months", [
    ("Failed conservative management for 2 years.", 24),
    ("Failed conservative management for two years.", 24),
    ("Conservative care x 8 months without benefit.", 8),
    ("Over the past 18 months of conservative therapy she has not improved.", 18),
    ("2 years of failed conservative care.", 24),
    ("Failed conservative treatment for over a year.", 12),
    ("Non-operative management for 9 months has failed.", 9),
    ("Conservative care since 2019 without lasting benefit.", 68.3),   # 2019 stands for 2019-07-01
    ("Conservative care since March 2024, no benefit.", 11.8),         # March 2024 stands for the 15th
])
def test_conservative_durations(nlp, text, months):
    ms = counted(mentions(nlp, text, "conservative"), "duration")
    assert [m.value for m in ms] == [pytest.approx(months, abs=0.1)]


def test_conservative_without_duration_is_a_mention_and_plans_do_not_count(nlp):
    assert [m.label for m in counted(mentions(nlp, "Failed conservative management including PT.", "conservative"),
                                     "mention")] == ["mention"]
    assert counted(mentions(nlp, "Discussed SCS as an option if conservative care fails.", "conservative"),
                   "mention") == []
    assert counted(mentions(nlp, "Requires >= 6 months of conservative therapy before SCS.", "conservative"),
                   "duration") == []


# --- analgesic reduction during the trial -------------------------------------------------------------------
@pytest.mark.parametrize("text, pct", [
    ("During the trial he used 50% less oxycodone.", 50),
    ("With the SCS trial she reports a 60% reduction in opioid use.", 60),
    ("Oxycodone use decreased by 40% during the trial.", 40),
    ("Reduced gabapentin from 600 to 300 TID during the trial.", 50),
    ("During the trial he reduced oxycodone by 75%.", 75),
    ("During the trial MME from 90 to 30.", 66.7),
    ("Cut his oxycodone in half during the trial.", 50),
    ("Off all opioids during the trial.", 100),
])
def test_analgesic_reduction_values(nlp, text, pct):
    ms = counted(mentions(nlp, text, "trial"), "analgesic_reduction")
    assert [m.value for m in ms] == [pytest.approx(pct, abs=0.1)]


def test_analgesic_reduction_in_a_trial_note_without_the_word(nlp):
    ms = counted(mentions(nlp, "Used 50% less oxycodone this week.", "trial", TRIAL_NOTE), "analgesic_reduction")
    assert [m.value for m in ms] == [50]


@pytest.mark.parametrize("text", [
    "Hydrocodone gives about 30% relief.",                              # relief from a medication, no trial
    "During the trial: hydrocodone about 30% relief.",                  # a relief figure, not a reduction
    "Increased gabapentin from 300 to 600 TID after the trial.",        # an increase
    "Reduced gabapentin from 600 to 300 TID last year.",                # not about the trial
    "Plan: reduce oxycodone by 50% after the trial.",                   # planned
])
def test_analgesic_reduction_never_counts(nlp, text):
    assert counted(mentions(nlp, text, "trial"), "analgesic_reduction") == []


def test_analgesic_findings_leave_trial_relief_alone(nlp):
    ms = mentions(nlp, "SCS trial: 70% pain relief; used 50% less oxycodone.", "trial", TRIAL_NOTE)
    assert sorted((m.label, m.value) for m in ms if m.value is not None) == [("analgesic_reduction", 50),
                                                                             ("relief", 70)]


# --- substance use disorder ----------------------------------------------------------------------------------
PSYCH_NOTE = "Psychology Pre-SCS Evaluation"


@pytest.mark.parametrize("text, label", [
    ("Impression: no mood, anxiety or substance use disorder identified.", "no_sud"),
    ("No alcohol or drug misuse; no opioids.", "no_sud"),
    ("No substance use concerns.", "no_sud"),
    ("No drug use.", "no_sud"),
    ("Denies illicit drugs.", "no_sud"),
    ("Opinion: Active opioid use disorder; recommend treatment before SCS.", "untreated"),
    ("Diagnosis: Opioid use disorder, moderate (DSM-5), active.", "untreated"),
    ("Alcohol use disorder, untreated.", "untreated"),
    ("OUD on MOUD.", "treated"),
    ("Alcohol use disorder in sustained remission, attends AA meetings.", "treated"),
    ("History significant for opioid use disorder.", "unclear"),
])
def test_substance_use_findings(nlp, text, label):
    assert [m.label for m in mentions(nlp, text, "substance_use", PSYCH_NOTE)] == [label]


def test_substance_use_family_history_and_clinic_names(nlp):
    fam = mentions(nlp, "Family history: brother with alcohol use disorder in recovery.", "substance_use", PSYCH_NOTE)
    assert [m.family for m in fam] == [True]
    assert mentions(nlp, "Referral to addiction medicine for counseling.", "substance_use") == []
