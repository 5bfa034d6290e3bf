"""Each criterion's normalizer on many phrasings, through the real medspaCy pipeline."""
import datetime as dt

import pytest

from conftest import counted, mentions_of


mentions = mentions_of


# --- ODI ----------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("ODI 46% today (paper form completed in clinic).", 46),
    ("Oswestry Disability Index: 38 %", 38),
    ("Oswestry Disability Index (ODI): 27 %", 27),
    ("Functional outcome: modified Oswestry 52", 52),
    ("Modified Oswestry at discharge: 44%", 44),
    ("ODI 23/50 today.", 46),
    ("ODI score 17 out of 50.", 34),
    ("She completed the Oswestry questionnaire today, with a disability index of forty-four percent.", 44),
    ("Disability index of thirty percent on the Oswestry.", 30),
    ("ODI = 62 %", 62),
    ("Oswestry 36%", 36),
    ("Oswestry raw score 23 (out of 50).", 46),
    ("Outcome measures today:  ODI: 40%   |  PEG: 7  |  STarT Back: high risk", 40),
    ("Measures: ODI 38  |  PEG 6  |  PHQ-9 7", 38),
    ("| ODI | 54% | 40% |", 40),
    ("Oswestry completed by phone with RN Kim, score 48%.", 48),
    ("ODI v2.1a administered in clinic; score 38%.", 38),
    ("Oswestry questionnaire reviewed w/ pt -- score 44%.", 44),
    ("Reports 48% disability by Oswestry questionnaire.", 48),
    ("ODI 64% at baseline (01/2024) and 52% on 06/02/2025.", 52),
    ("ODI 04/02/2025 40%, 06/12/2025 32% (lower after trial).", 32),
    ("Baseline ODI 56%; repeated at end of the trial: 28%.", 28),
    ("ODI (scanned 06/01/2025, page 2 of 7, doc #20250601-14): 30%", 30),
    ("| Oswestry raw score (/50) | 17 (PT eval 02/06/2024) | 10 |", 20),
    ("Oswestry questionnaire: raw 31 of 50          PHQ-9: 9         STOP-BANG: 5", 62),
])
def test_odi_values(nlp, text, value):
    scores = counted(mentions(nlp, text, "odi"), "score")
    assert [m.value for m in scores] == [value]


@pytest.mark.parametrize("text", [
    "ODI: ___ %",
    "ODI: [ ]",
    "Oswestry: ___",
    "ODI: ***",
    "ODI not completed today (ran out of time); will obtain ODI next visit.",
    "Oswestry not administered (pt declined another form).",
    "ODI not repeated today.",
    "Will need ODI documented for the auth packet.",
    "Payer requires documented ODI >= 21% prior to permanent SCS.",
    "ODI >= 21% required prior to permanent implant per payer.",
    "Family history: mother with ODI 40% after her fusion.",
    "ODI: --   PEG: 7",
    "ODI 4?% (smudged on the scan)",
    "No ODI is documented; the Oswestry field of the RFA is blank and the PR-2 of 12/10/2024 says next visit.",
])
def test_odi_never_counts(nlp, text):
    assert counted(mentions(nlp, text, "odi"), "score") == []


def test_odi_blank_does_not_borrow_next_line(nlp):
    ms = mentions(nlp, "Outcome measures:\nODI: ___\nNRS: 7/10\n", "odi")
    assert [m.label for m in ms] == ["template_blank"] and ms[0].value is None


# --- trial relief -----------------------------------------------------------------
TRIAL_NOTE = "SCS Trial Follow-up"


@pytest.mark.parametrize("text, value", [
    ("Pt reports 70% relief of his low back and leg pain with the trial stimulator.", 70),
    ("Overall she reports 60-70% improvement in pain with the stimulator on.", 60),
    ("Mr. Nash reports about 40-50% relief of his back and leg pain during the trial.", 40),
    ("Pt reports >75% pain relief with the trial device.", 75),
    ("Pt reports greater than 50% reduction in pain with the trial system.", 50),
    ("Her pain decreased from 9/10 to 3/10 during the trial.", 66.7),
    ("Pain 8/10 -> 3/10 with the trial.", 62.5),
    ("Foot pain VAS 7 -> 2 with the trial system.", 71.4),
    ("Relief of approximately 65 percent with the stimulator.", 65),
    ("Overall relief estimated at about 20% for the week.", 20),
    ("She reports seventy percent relief with the stimulator.", 70),
    ("Back pain went from 8 to 2 with the stimulator.", 75),
    ("Pain score dropped from 6 to 3 on the trial.", 50),
    ("He describes his usual pain going from a 9 to a 4 with the stimulator on.", 55.6),
    ("PAIN VAS 70 MM AT BASELINE TO 20 MM ON DAY 6 WITH STIM ON.", 71.4),
    ("VAS 80 mm -> 30 mm during trial.", 62.5),
    ("PT REPORTS 60-75% REDUCTION IN PAIN DURING TRIAL, MOSTLY R LEG.", 60),
    ("Pt feels about sixty percent better overall with the trial.", 60),
    ("NRS 8/10 before, 2/10 during the trial.", 75),
    ("Pain came down by 6 points from a baseline of 8 on the trial.", 75),
    ("Relief with the stimulator was between 50 and 70 percent.", 50),
    ("The trial did not take all the pain away but did reduce it by 60%.", 60),
    ("Unlike her injections, which gave no relief, the trial cut her pain by 70%.", 70),
    ("The first trial gave only 20% relief; the repeat trial gave 65% relief.", 65),
    ("Average pain during the trial was 3/10 from a baseline of 8/10.", 62.5),
    ("Pain 8/10 before, 2/10 during. Pain back to 7/10 since the leads came out.", 75),
    ("Pain NRS 8/10 at baseline; average 3/10 during the 7-day repeat trial.", 62.5),
    ("pt called fr billings  before trial 8/10, w stim down to a 4 or 5", 37.5),
])
def test_trial_relief_values(nlp, text, value):
    ms = counted(mentions(nlp, text, "trial", note_type=TRIAL_NOTE), "relief")
    assert [m.value for m in ms] == [value]


@pytest.mark.parametrize("text", [
    "L5-S1 transforaminal ESI 05/2024 gave ~30% relief for about 3 weeks.",
    "Bilateral L3-L5 medial branch blocks: 80% relief x 6 hrs.",
    "Radiofrequency ablation gave ~50% relief, lasted about 4 months.",
    "The second lumbar sympathetic block gave about 40% relief that lasted a day.",
    "Hydrocodone (pt says it gives about 30% relief for a few hours).",
    "By comparison, his ESI last year gave only ~30% relief for 2 weeks.",
    "The patient had percutaneous InterStim trial in the office with over 70% improvement in her urgency.",
    "Peripheral nerve stimulator trial gave 60% relief; SCS was never trialed.",
    "A trial of gabapentin gave about 40% relief.",
])
def test_trial_relief_distractors(nlp, text):
    ms = mentions(nlp, text, "trial", note_type=TRIAL_NOTE)
    assert counted(ms, "relief") == []
    assert any(m.label == "other_treatment" for m in ms)


@pytest.mark.parametrize("text", [
    "Pt reports significant benefit - excellent coverage and relief.",
    "% pain relief: ***",
    "SCS trial did not reach the 50% relief threshold.",
    "Equivocal SCS trial, below the usual 50% target.",
    "Paresthesia coverage ~90% of the painful area.",
    "Walking tolerance 10 min -> 45 min.",
    "Trial relief: ?5% (illegible)",
    "Expected relief with the trial was 60%.",
    "Discussion: trial relief was below the 50% benchmark; discussed a repeat trial.",
    "The trial fell short of the 50% relief requirement.",
    "Function much better: ODI improved from 48% (04/15/2024) to 18% at the end of the trial.",
    "Pre-trial expectations reviewed: she hopes for at least a 50% reduction.",
    "Stimulator trial in September - she tells me she felt about 60% better walking.",
])
def test_trial_relief_words_thresholds_coverage(nlp, text):
    ms = mentions(nlp, text, "trial", note_type=TRIAL_NOTE)
    assert counted(ms, "relief") == []


def test_trial_percent_outside_a_trial_note_is_unattributed(nlp):
    ms = mentions(nlp, "Reports 40% relief since last visit.", "trial", note_type="Primary Care Visit")
    assert counted(ms, "relief") == [] and ms[0].label == "unattributed"


# --- physical therapy ---------------------------------------------------------------
@pytest.mark.parametrize("text, first, last, weeks", [
    ("He completed formal PT at Riverbend, 2x/week 01/06/2025-02/27/2025.", "2025-01-06", "2025-02-27", 7.4),
    ("Completed PT at Northgate Rehab, 2x/week, 9/9/24 through 11/15/24.", "2024-09-09", "2024-11-15", 9.6),
    ("Completed physical therapy from January 6, 2025 to February 27, 2025.", "2025-01-06", "2025-02-27", 7.4),
    ("Physical therapy 2024-10-01 - 2024-12-10, 18 visits.", "2024-10-01", "2024-12-10", 10.0),
])
def test_pt_date_ranges(nlp, text, first, last, weeks):
    ms = counted(mentions(nlp, text, "pt"), "service_range")
    assert [(str(m.date), str(m.date_end), m.value) for m in ms] == [(first, last, weeks)]


@pytest.mark.parametrize("text, weeks, date", [
    ("She completed 8 weeks of physical therapy in spring 2025.", 8, "2025-04-15"),
    ("Since his last visit he completed 12 weeks of outpatient physical therapy, finishing last month.", 12,
     "2025-05-16"),
    ("Completed 10 weeks of PT in early 2022 with little change.", 10, "2022-02-15"),
    ("Did 3 months of formal PT last year.", 13, "2024-06-16"),
    ("She completed eight weeks of physical therapy this spring.", 8, "2025-04-15"),
    ("He did six weeks of formal PT this past fall.", 6, "2024-10-15"),
])
def test_pt_stated_durations(nlp, text, weeks, date):
    ms = counted(mentions(nlp, text, "pt", date="2025-06-16"), "stated_duration")
    assert [(m.value, str(m.date)) for m in ms] == [(weeks, date)]


@pytest.mark.parametrize("text", [
    "Plan: 2x/week x 6 weeks. Neural glides, core endurance.",
    "Skilled PT 2x/week x 8 weeks: graded motor imagery.",
    "RTC after PT, ~3 months.",
    "Will refer to PT again; pt to call and schedule.",
    "She has not started PT.",
    "Never had PT after surgery.",
    "He declined a referral to formal physical therapy today.",
    "Exam: DP/PT pulses 2/4 bilat.",
    "Pedal pulses DP 1+, PT 1+ bilat.",
])
def test_pt_plans_negations_and_pulses_are_not_durations(nlp, text):
    ms = mentions(nlp, text, "pt")
    assert counted(ms, "stated_duration") == [] and counted(ms, "service_range") == []


@pytest.mark.parametrize("text", [
    "Sees a chiropractor weekly, massage therapy monthly.",
    "Attends a water aerobics class at the YMCA 2x/week.",
    "Continues her home exercise program daily.",
])
def test_pt_nonformal(nlp, text):
    assert counted(mentions(nlp, text, "pt"), "nonformal")


def test_pt_visit_note_is_a_date_of_service(nlp):
    ms = mentions(nlp, "PT DAILY NOTE    Visit #9\nS: Pain 6/10 today.", "pt", note_type="PT Daily Note",
                  date="2024-08-12")
    assert [(m.label, str(m.date)) for m in ms if m.label == "pt_visit"] == [("pt_visit", "2024-08-12")]


# --- psych --------------------------------------------------------------------------
PSYCH_NOTE = "Behavioral Medicine - Pre-SCS Psychological Evaluation"
SCS = "Candidate for a spinal cord stimulator.\n"  # the evaluation must be for SCS


@pytest.mark.parametrize("text, label", [
    ("Recommendation: No psychological contraindications to SCS.", "cleared"),
    ("Mr. F is cleared from a behavioral health standpoint to proceed.", "cleared"),
    ("She is an appropriate candidate from a psychological standpoint for SCS.", "cleared"),
    ("Appropriate for SCS; cleared from a psychological standpoint.", "cleared"),
    ("She is not a candidate for SCS at this time due to untreated major depression.", "not_cleared"),
    ("Defer SCS at this time; she is not cleared until the depression is treated.", "not_cleared"),
    ("Active opioid use disorder; recommend treatment before SCS.", "not_cleared"),
    ("Not cleared for permanent implantation at this time.", "not_cleared"),
    ("SCS is not recommended to proceed until sober for 6 months.", "not_cleared"),
    ("We recommend against proceeding with permanent SCS at this time.", "not_cleared"),
    ("From a psychological standpoint she is ok to proceed with the trial.", "cleared"),
])
def test_psych_outcomes_in_an_evaluation(nlp, text, label):
    ms = mentions(nlp, SCS + text, "psych", note_type=PSYCH_NOTE)
    assert {m.label for m in ms if m.label in ("cleared", "not_cleared", "pending")} == {label}


@pytest.mark.parametrize("text, label", [
    ("Psych clearance obtained (Dr. Quist, 06/02/2025).", "cleared"),
    ("Referred for pre-SCS psychological evaluation.", "pending"),
    ("Psych eval appt is 03/24/2025 with behavioral medicine.", "pending"),
    ("Pre-SCS psych evaluation still outstanding - pt has not been scheduled yet.", "pending"),
    ("Will need a behavioral medicine evaluation before any permanent implant.", "pending"),
    ("Psych eval to be scheduled.", "pending"),
])
def test_psych_in_other_notes(nlp, text, label):
    ms = mentions(nlp, SCS + text, "psych")
    assert {m.label for m in ms if m.label in ("cleared", "not_cleared", "pending")} == {label}


@pytest.mark.parametrize("text", [
    "Psychology evaluation before bariatric surgery: she is cleared to proceed.",
    "Referred for neuropsychological evaluation of memory complaints.",
])
def test_psych_evaluations_for_something_other_than_scs(nlp, text):
    ms = mentions(nlp, text, "psych", note_type="Psychology Evaluation")
    assert not [m for m in ms if m.label in ("cleared", "not_cleared", "pending")]


@pytest.mark.parametrize("text", [
    "ROS: Psych: denies depression, anxiety.",
    "FHx: sister - depression.",
    "If cleared -> schedule percutaneous SCS trial.",
    "Good candidate for skilled PT.",
    "Candidate for SCS trial once PT and psych are complete.",
    "PHQ-9: 3 (minimal).",
    "He will see mental health, and pulmonary clearance by Dr. Y.",
    "Cardiac clearance obtained from cardiology.",
])
def test_psych_distractors(nlp, text):
    ms = mentions(nlp, SCS + text, "psych")
    assert not [m for m in ms if m.label in ("cleared", "not_cleared")]


def test_psych_outcome_dated_to_the_evaluation_it_cites(nlp):
    ms = mentions(nlp, SCS + "This re-evaluation supersedes the deferral of 09/16/2024. She is cleared for SCS.",
                  "psych", note_type=PSYCH_NOTE, date="2025-04-21")
    cleared = [m for m in ms if m.label == "cleared"]
    assert cleared and cleared[0].date == dt.date(2025, 4, 21)


# --- indication ------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Failed back surgery syndrome (FBSS) - persistent axial LBP.",
    "Lumbar post-laminectomy syndrome (M96.1) with R>L radicular pain.",
    "Postlaminectomy syndrome, NEC.",
    "Dx: M96.1",
    "s/p L4-5 laminectomy and fusion (TLIF, 2022) with persistent low back and bilateral leg pain.",
    "Persistent bilateral radicular leg pain after L4-S1 TLIF.",
    "Failed back syndrome after two lumbar operations.",
    "Leg pain never went away after the laminectomy.",
    "The lumbar fusion did not relieve her back pain.",
    "My back still hurts after the lumbar surgery.",
])
def test_indication_found(nlp, text):
    ms = mentions(nlp, text, "indication")
    assert [m for m in ms if m.label in ("syndrome", "surgery_with_pain") and not m.negated]


@pytest.mark.parametrize("text", [
    "She has never had significant back pain and has had no spine surgery.",
    "No history of spine surgery.",
    "Complex regional pain syndrome type I after ankle ORIF.",
    "PSH: CABG x3 2018, R TKA 2020.",
    "Yesterday she underwent an anterior cervical discectomy and fusion at C5-C6 for neck pain.",
    "He denied any previous history of back pain or back surgeries.",
    "FBS 102 on 06/10; LBP, no surgery.",
    "Failed back surgery syndrome considered and excluded; no prior spine surgery.",
    "A fusion was planned for April but cancelled after coronary stenting. Back pain is worse.",
    "? Elevated FBS",
])
def test_indication_absent(nlp, text):
    ms = mentions(nlp, text, "indication")
    assert not [m for m in ms if m.label in ("syndrome", "surgery_with_pain") and not m.negated]


def test_a_diary_read_by_its_day_rows_and_by_the_dated_rows_under_its_phase_headings():
    import datetime as dt
    from pipeline.extract.trial import trial_tables
    from pipeline.records import Note
    numbered = ("Patient pain diary (NRS 0-10):\n  Day          Date     Pain\n  Baseline 1   07/05    7\n"
                "  Baseline 2   07/06    7\n  Baseline 3   07/07    7\n  Trial 1      07/09    3\n"
                "  Trial 2      07/10    2\n  Trial 3      07/11    2\n")
    headed = ("MY PAIN DIARY - SCS TRIAL\nBASELINE WEEK (before trial)\nDate         Pain   Notes\n"
              "01/01/2025    8     hard to sleep\n01/02/2025    8\n01/03/2025    7     took extra tramadol 50mg\n"
              "Baseline average: ____\n\nTRIAL DAYS (leads in 01/08)\n01/08/2025    3\n01/09/2025    2     called 555-0182\n"
              "Trial average: ____\n")
    for text, relief in ((numbered, 66.7), (headed, 67.4)):
        found = trial_tables(Note("p", "n", dt.date(2025, 2, 1), "Pain Diary", text), frozenset())
        assert [f.value for f, *_ in found] == [relief]


def test_a_baseline_in_the_sentence_before_pairs_with_the_trial_score(nlp):
    text = ("7-day SCS trial 04/22-04/29/2024. Before the trial her leg pain averaged 8/10. With the stimulator she "
            "says it was down to a 2 or 3 most of the week.")
    assert {m.value for m in counted(mentions_of(nlp, text, "trial", note_type="SCS Trial Follow-up"), "relief")} == {62.5}


def test_a_bare_pain_score_anchors_only_a_named_before_and_after_pair(nlp):
    read = mentions_of(nlp, "Pain 9/10 before the trial -> 4/10 during.", "trial", note_type="SCS Trial Follow-up")
    assert [m.value for m in counted(read, "relief")] == [55.6]
    alone = mentions_of(nlp, "Pain 6/10 today, 50% of the day on his feet.", "trial", note_type="SCS Trial Follow-up")
    assert not counted(alone, "relief")


@pytest.mark.parametrize("text, outcome", [
    ("Psychological evaluation for SCS: I found nothing that would preclude a trial or a permanent implant of a spinal "
     "cord stimulator.", "cleared"),
    ("She passed the psychological evaluation for SCS; recommend continued counseling for stress management but this "
     "is not a condition of clearance.", "cleared"),
])
def test_psych_outcomes_through_double_negation_and_pseudo_negation(nlp, text, outcome):
    ms = mentions_of(nlp, text, "psych", note_type="Psychology Evaluation")
    # a negation is read into the outcome itself (the psych scorer excludes only family mentions)
    assert {m.label for m in ms if m.label in ("cleared", "not_cleared", "conditional", "pending")} == {outcome}


@pytest.mark.parametrize("text, pending", [
    ("Psych referral placed today to Dr. Lemaire for pre-SCS evaluation.", True),
    ("Post-trial follow-up. Psych eval: appt set for 2/24 with Dr. Lemaire.", True),
    ("SCS candidate; patient declined to schedule the pre-SCS psychological evaluation.", False),
])
def test_a_referral_or_appointment_is_pending_and_a_declined_one_is_not(nlp, text, pending):
    ms = mentions_of(nlp, text, "psych")
    assert any(m.label == "pending" for m in ms) is pending


def test_another_measures_percent_beside_a_trial_pain_score_is_not_relief(nlp):
    read = mentions_of(nlp, "Post-trial visit: ODI: 34 %   NRS 3/10 (post trial); paresthesia coverage 85%.", "trial",
                       note_type="SCS Trial Follow-up")
    assert not counted(read, "relief")


def test_a_diary_kept_in_two_columns_side_by_side():
    import datetime as dt
    from pipeline.extract.trial import trial_tables
    from pipeline.records import Note
    text = ("Pain diary (daily average):\n"
            "  Baseline (pre-trial)        Trial (stim on)\n"
            "  01/02   8                   01/07   5\n"
            "  01/03   7                   01/08   5\n"
            "                              01/09   6\n"
            "  AVG     7.5                 AVG     5.0\n")
    found = trial_tables(Note("p", "n", dt.date(2025, 1, 13), "Trial Follow-up", text), frozenset({"scs_trial"}))
    assert [f.value for f, *_ in found] == [33.3]


def test_the_neck_disability_index_named_across_a_line_break_is_not_the_odi(nlp):
    ms = mentions_of(nlp, "Function questionnaires today at the PT visit, PROMIS and the Neck\nDisability Index 32%.", "odi")
    assert not counted(ms, "score")


def test_a_clearance_still_to_follow_is_not_one(nlp):
    ms = mentions_of(nlp, "Plan: permanent SCS request; psych clearance to follow after CBT.", "psych")
    assert not [m for m in ms if m.label == "cleared" and not m.hypothetical]


def test_relief_written_as_the_share_of_pain_relieved(nlp):
    read = mentions_of(nlp, "7-day trial 04/21-04/28/2025. Patient reports about three quarters of his pain relieved "
                            "during the trial, both back and leg.", "trial", note_type="SCS Trial Follow-up")
    assert [m.value for m in counted(read, "relief")] == [75.0]


def test_a_pt_visit_in_a_video_visits_note_is_telehealth(nlp):
    text = "VALLEY REHAB TELEHEALTH - PT EVALUATION (synchronous video visit)\nDOS 01/06/2025    Pt location: home    Therapist: S. Lindahl, PT, DPT"
    ms = mentions_of(nlp, text, "pt", note_type="PT Evaluation")
    assert not counted(ms, "pt_visit") and counted(ms, "telehealth")


@pytest.mark.parametrize("text, aborted", [
    ("Leads removed 03/12/2025 on trial day 2. Trial could not be assessed.", True),
    ("On day 2 the right lead dislodged. Trial aborted - unable to assess efficacy.", True),
    ("Seven-day trial completed; 70% relief of leg pain.", False),
])
def test_a_trial_ended_before_its_result_is_read(text, aborted):
    import datetime as dt
    from pipeline.extract.trial import aborted_trials
    from pipeline.records import Note
    found = aborted_trials(Note("p", "n", dt.date(2025, 3, 12), "SCS Trial Note", text), frozenset({"scs_trial"}))
    assert bool(found) is aborted


# --- how charts from other systems write them ----------------------------------
def _read(text, note_type="Progress Notes", date="2025-03-10"):
    """Mentions through the whole reader (shapes, pre-filter, blocks, nlp, note readers), as a run reads a note."""
    from conftest import make_note
    from pipeline.extract.notes import extract
    return list(extract([make_note(text, note_type=note_type, date=date)]))


def _values(ms, criterion, label):
    return [m.value for m in counted(ms, label) if m.criterion == criterion]


@pytest.mark.parametrize("text, relief", [
    ("Trial f/u 11/25/2024 - Dr. P. Natarajan\nShe describes 50-60% relief of her leg pain, less for the back.\n"
     "Leads removed. Wants permanent.", 50),
    ("Trial f/u 03/11/2024\nLeg pain was 7/10 before the trial and 2/10 by day 5 of stimulation. Sleep\nbetter. "
     "Leads removed without difficulty.", 71.4),
    ("Trial f/u 11/11/2024\nAverage foot pain 9/10 before the trial and 4/10 during it. Leads removed.", 55.6),
    ("Clinician Portal - TRIAL DAY 7 CHECK     05/19/2025 09:40\nCoverage: low back 90%, R leg 90%\n"
     "Patient-reported overall pain relief: 70%\nOpioid use: oxycodone reduced 30% (pt report)", 70),
    ("SCS trial f/u\nPt reports ~65% improvement c SCS trial, sleeping 5-6 h vs 3 h, walked in store w/o cart, "
     "less tramadol.", 65),
])
def test_trial_notes_known_by_their_first_lines_and_before_and_after_scores_with_words_between(text, relief):
    assert _values(_read(text), "trial", "relief") == [relief]


@pytest.mark.parametrize("text", [
    "Trial f/u - leads removed\nTook oxycodone 5 mg twice a day during the trial vs 4x/day before (50%\nreduction).",
    "Trial f/u - leads removed\nNorco use during the trial cut from 4 tabs to 2 tabs a day (50% reduction).",
    "Trial of gabapentin f/u\nShe describes 50% relief with the new dose.\nReturn in 3 months.",
])
def test_a_medication_reduction_or_another_trial_is_not_the_scs_trials_relief(text):
    assert _values(_read(text), "trial", "relief") == []


def test_a_diary_whose_averages_are_written_under_it_counts_the_written_averages():
    rows = "".join(f"08/{d:02d}   baseline    8    7\n" for d in range(5, 12)) + \
        "".join(f"08/{d:02d}   trial       3    4\n" for d in range(14, 19))
    text = ("PAIN DIARY - SCS TRIAL\nDate    Phase      AM   PM\n\n" + rows + "\nRN calc: Baseline avg 8.0 / Trial avg 3.2")
    assert _values(_read(text, note_type="Patient Diary"), "trial", "relief") == [60.0]


@pytest.mark.parametrize("text, value", [
    ("Oswestry Disability Index\nLast Filed Value: 44 %\nFiled: 09/30/2024 14:12 by M. Keane, MA\n\n"
     "Oswestry Disability Index\nLast Filed Value: 52 %\nFiled: 03/11/2024 10:03 by M. Keane, MA\n\n"
     "PHQ-9\nLast Filed Value: 7\nFiled: 09/30/2024 14:14", 44),
    ("Questionnaire: OSWESTRY LOW BACK PAIN DISABILITY QUESTIONNAIRE\nSubmitted via MyChart 07/22/2024 19:06\n\n"
     "Q1  Pain intensity .......... fairly severe ............ 3\nQ2  Personal care ........... 1\n\n"
     "Raw total: 19 / 50\nScored %: {NOT DOCUMENTED}", 38),
    ("Measure                      | Value | Units | Taken\nODI raw score                | 8     | /50   | 09/16/2024",
     16),
    ("DOS=05/06/2024;visit=16;prov=R.Ames PT DPT;loc=CLINIC;min=45;ODI_INDEX=0.42;NPRS=5;", 42),
])
def test_odi_in_flowsheet_blocks_questionnaires_unit_cells_and_key_value_runs(text, value):
    assert _values(_read(text, note_type="Flowsheet", date="2024-10-01"), "odi", "score") == [value]


@pytest.mark.parametrize("text", [
    "Scanned document: Oswestry Disability Questionnaire (2 pages) - received 03/25/2024.",
    "Oswestry Disability Index\nLast Filed Value: ***\n\nPHQ-9\nLast Filed Value: 7",
    "Oswestry questionnaire given to the patient.\n\nPEG\nTotal score: 6",
])
def test_a_page_count_a_blank_flowsheet_value_or_another_measures_total_is_no_odi(text):
    assert _values(_read(text, note_type="Flowsheet"), "odi", "score") == []


def test_a_visit_log_whose_rows_name_video_visits_counts_its_clinic_rows():
    rows = [("02/05/2024", "Clinic    ", "GP   "), ("02/19/2024", "Clinic    ", "GP   "),
            ("03/25/2024", "Clinic    ", "GP   "), ("04/01/2024", "Video-home", "GP,95"),
            ("04/29/2024", "Video-home", "GP,95")]
    text = ("Flowsheet export: REHAB VISIT LOG      Printed 05/06/2024 16:22\n\n"
            "Visit | DOS        | Provider        | Setting    | Mod\n------+------------+-----------------+------------+------\n"
            + "".join(f"  {k}   | {d} | M. Oduya PT DPT | {s} | {m}\n" for k, (d, s, m) in enumerate(rows, 1)))
    ms = _read(text, note_type="PT Flowsheet", date="2024-05-06")
    visits = sorted(m.date.isoformat() for m in counted(ms, "pt_visit") if m.criterion == "pt")
    assert visits == ["2024-02-05", "2024-02-19", "2024-03-25"]


def test_an_odi_field_with_its_own_date_is_dated_by_it():
    ms = _read("BRIGHTPATH SCS CHECKLIST\nODI score: __46__ %    Date: __04/08/24__     (policy: >= 21%)\n",
               note_type="Fax", date="2025-02-21")
    assert [(m.value, m.date) for m in counted(ms, "score")] == [(46, dt.date(2024, 4, 8))]
    ms = _read("Oswestry Disability Index today: 42% (completed in office).", date="2025-01-09")
    assert [(m.value, m.date) for m in counted(ms, "score")] == [(42, None)]


def test_a_payer_determination_after_a_fax_header_is_a_restatement():
    from conftest import make_note
    from pipeline.extract.notes import classify_note
    from pipeline.nlp.shapes import read_shapes
    text = ("RECEIVED 11/26/2024 10:12 FROM 555-0183       BRIGHTPATH MA     1 of 2\n"
            "BRIGHTPATH MEDICARE ADVANTAGE - ORGANIZATION DETERMINATION: DENIED\nEnrollee: W. D.\n"
            "The trial documented 06/17/2024 reports about 30% improvement.")
    note = make_note(read_shapes(text), note_type="Fax")
    assert "restatement" in classify_note(note)
    assert "restatement" not in classify_note(make_note("Office visit\nSCS trial f/u: 70% relief.", note_type="Fax"))


@pytest.mark.parametrize("text, outcome", [
    ("PSYCHOLOGICAL EVALUATION (SCS)\nRecommendation: conditionally cleared - pend-\ning completion of six sessions of "
     "CBT. Clearance\nbecomes final upon my written confirmation of completion.", {"conditional"}),
    ("PSYCH0LOGICAL RE-EVALUATl0N (SCS)\nRecornmendation: Spina1 cord stimu1ator imp1antation is not recornmended at "
     "this\ntirne. Recornmend SUD treatrnent.", {"not_cleared"}),
    ("PRE-SCS PSYCHOLOGICAL EVALUATION\nRecommendation: Clearance given for spinal cord stimulator trial and "
     "permanent\nimplant; concerns from 08/05/2024 resolved.", {"cleared"}),
])
def test_psych_outcomes_conditional_ocr_and_dated_to_the_evaluation_note(text, outcome):
    ms = [x for x in _read(text, note_type="Psychology", date="2024-09-16") if x.criterion == "psych"]
    assert {x.label for x in ms if x.label in ("cleared", "not_cleared", "conditional", "pending")} == outcome
    assert all(x.date == dt.date(2024, 9, 16) for x in ms if x.label in outcome)


def test_a_declined_psych_evaluation_is_recorded_as_declined():
    ms = _read("SCS work-up. Psych: She has declined psychological evaluation.")
    assert "declined" in {x.label for x in ms if x.criterion == "psych"}


@pytest.mark.parametrize("text, label", [
    ("- History of lumbar discectomy (Z98.890) - no residual symptoms    historical", "surgery"),
    ("L5-S1 microdiscectomy 2014, symptom-free since.", "surgery"),
    ("- s/p L4-5 fusion with persistent low back pain", "surgery_with_pain"),
])
def test_spine_surgery_whose_symptoms_resolved_is_not_the_indication(nlp, text, label):
    assert {m.label for m in mentions_of(nlp, text, "indication")} == {label}


# --- dictated by speech recognition, scanned by a review vendor -------------------------------------------------
DICTATED = "\n\nThis note was created with speech recognition software."


@pytest.mark.parametrize("text, relief", [
    ("TRIAL FOLLOW UP AND LEAD REMOVAL\nAs for the outcome comma coming into the trial she rated her usual pain about "
     "a seven out of 10 and over the trial week comma going by the diary she kept comma it was running on average "
     "about a three period she was also able to cut her tramadol in half period" + DICTATED, 57.1),
    ("TRIAL REMOVAL\nleads out intact period his baseline foot pain was eight slash ten and at the end of the trial it "
     "was two slash ten comma he slept through the night period" + DICTATED, 75),
    ("TRIAL REMOVAL\nhe reports 70 percent relief comma drove 4 hours without stopping period successful trial" + DICTATED,
     70),
    ("CORVENT MEDICAL -- TRIAL WRAP-UP      11/18/24 - 11/25/24\nPre-trial average pain ........ 8 / 10\n"
     "Trial average pain ............ 2 / 10\nCoverage 90%.  Battery 48%.", 75),
])
def test_dictated_and_device_rep_trial_results(text, relief):
    assert _values(_read(text, note_type="Office Visit"), "trial", "relief") == [relief]


@pytest.mark.parametrize("text, value", [
    ("FOLLOW UP\noz westry today was twenty one out of 50 period PHQ 9 is 8 period she declined a surgical referral "
     "comma she does not want it period" + DICTATED, 42),
    ("TRIAL REMOVAL\nwe repeated the oz westry at the end of the trial and it came in at eighteen percent comma compared "
     "to forty six back in June period" + DICTATED, 18),
    ("ADDENDUM\nThe Oswestry was transcribed as 14 percent by the speech recognition software in error. The correct "
     "Oswestry Disability Index is 41 percent.", 41),
])
def test_dictated_odi_values(text, value):
    assert _values(_read(text, note_type="Office Visit"), "odi", "score") == [value]


def test_spoken_punctuation_is_read_only_where_a_note_speaks_it():
    from pipeline.nlp.shapes import read_shapes
    said = read_shapes("leads out period site clean period new paragraph As for the outcome comma fine")
    assert said.rstrip() == "leads out. Site clean. . As for the outcome, fine"
    written = "Trial period of 7 days. No comma splices."
    assert read_shapes(written) == written


@pytest.mark.parametrize("text, outcome", [
    ("Psychology\nOpinion: In light of this new information I am unable to clear her for permanent spinal cord "
     "stimulator implantation at this time.", {"not_cleared"}),
    ("Telephone\nSpoke w/ pt. Per Dr Ruiz-Thorne SCS trial on hold until psych clearance.", {"pending"}),
    ("SCS psychological evaluation\nRecommendation: I am clearing her for the spinal cord stimulator trial and "
     "permanent implant without conditions.", {"cleared"}),
])
def test_psych_outcomes_declined_awaited_and_given(text, outcome):
    ms = [x for x in _read(text, note_type="Psychology") if x.criterion == "psych"]
    assert {x.label for x in ms if x.label in ("cleared", "not_cleared", "conditional", "pending")} == outcome


@pytest.mark.parametrize("text, criterion", [
    ("Husband has failed back surgery syndrome and an implanted SCS.", "indication"),
    ("Her mother (also our patient) was cleared by psych for SCS last year.", "psych"),
])
def test_a_relatives_diagnosis_or_evaluation_is_about_the_family(nlp, text, criterion):
    assert not [m for m in mentions_of(nlp, text, criterion) if m.label in ("syndrome", "cleared") and not m.family]


def test_a_fasting_blood_sugar_read_through_ocr_is_not_the_syndrome():
    assert not [m for m in _read("PMH: DM2 (FBS l20), HTN. N0 prior surgeries.") if m.label == "syndrome"]


def test_a_policy_naming_fbss_is_not_the_patients_diagnosis(nlp):
    assert not [m for m in mentions_of(nlp, "Pioneer reviewer called: policy covers SCS for FBSS/CRPS; asks for "
                                            "surgical history.", "indication") if m.label == "syndrome"]


def test_a_visit_log_with_words_before_its_dates_and_a_dictated_first_line():
    ms = _read("RIVERBEND PT - DISCHARGE SUMMARY\nVisit log, all in clinic: 5/28, 6/4, 6/11, 8/20/2024. 4 visits.",
               note_type="PT Note", date="2024-08-20")
    assert sorted(str(m.date) for m in counted(ms, "pt_visit")) == ["2024-05-28", "2024-06-04", "2024-06-11",
                                                                    "2024-08-20"]
    ms = _read("PT progress note dictated by K. Oyelaran PT DPT period Today was the patient's last in-clinic visit "
               "comma beginning next week her sessions will continue by video telehealth period" + DICTATED,
               note_type="PT Note", date="2024-05-22")
    assert [str(m.date) for m in counted(ms, "pt_visit")] == ["2024-05-22"]


def test_an_attendance_calendar_gives_each_day_attended():
    text = ("HIGHLAND PT - DISCHARGE SUMMARY     Discharge DOS 03/28/2024\n\n"
            "Attendance record (all visits in clinic):\n  Jan: 08(eval) 11 16\n  Feb: 01 06(cx) 08\n"
            "  Mar: 05 28(d/c)\n  Total: 7 visits attended, 1 cancelled")
    ms = _read(text, note_type="PT Discharge Summary", date="2024-03-28")
    assert sorted({str(m.date) for m in counted(ms, "pt_visit")}) == [
        "2024-01-08", "2024-01-11", "2024-01-16", "2024-02-01", "2024-02-08", "2024-03-05", "2024-03-28"]


@pytest.mark.parametrize("text, value", [
    ("Date        ODI    VAS\n02/03/2025  60%    8\n06/05/2025  54%    7", 54),
    ("| Date | NRS | ODI |\n|---|---|---|\n| 01/06/2025 | 7 | 46% |\n| 04/14/2025 | 5 | 38 |", 38),
    ("ODI_TOTAL: 19\nODI_MAX: 50\nODI_PCT: 38", 38),
])
def test_odi_in_a_tables_column_and_in_key_lines(text, value):
    assert {m.value for m in _read(text) if m.label == "score"} == {value}


def test_a_diary_span_of_days_is_not_a_pain_score():
    from pipeline.extract.values import pain_change
    text = "Baseline average pain (NRS, week before trial): 8/10\nAverage pain during trial (diary, days 2-7): 3/10"
    assert [n.value for n in pain_change(text.replace("\n", " "))] == [62.5]


def test_a_relative_named_before_a_report_is_only_the_reporter():
    ms = _read("Her husband reports she had 70% relief with the SCS trial.", note_type="SCS Trial Follow-up")
    assert [m.value for m in counted(ms, "relief")] == [70]


@pytest.mark.parametrize("text, outcome", [
    ("Psych consult for SCS, 04/28/2025: PHQ-9 19, AUDIT 22.\nNot cleared; needs SUD treatment first.", "not_cleared"),
    ("Psych eval for SCS: depression, well controlled on sertraline; cleared.", "cleared"),
    ("The psychologist found no reason not to proceed with the spinal cord stimulator.", "cleared"),
    ("Pre-SCS psych eval found untreated major depression; must be treated before SCS.", "not_cleared"),
    ("Referral to pain psychology for pre-SCS evaluation placed today.", "pending"),
    ("SCS psychology evaluation recommended before the trial.", "pending"),
    ("Payer checklist item 5: psychological evaluation required before permanent SCS.", None),
    ("Wife had her psych eval last year for her own stimulator; she was cleared.", None),
    ("Psychological evaluation scheduled for 04/22/2024; permanent SCS implant to be booked after clearance.",
     "pending"),
])
def test_psych_outcomes_named_with_their_evaluation(text, outcome):
    labels = {m.label for m in _read(text) if m.criterion == "psych" and not m.family
              and m.label in ("cleared", "not_cleared", "pending")}
    assert labels == ({outcome} if outcome else set())


def test_a_later_re_evaluation_in_the_same_sentence_is_dated_by_its_own_date():
    ms = [m for m in _read("Pain clinic follow-up.\nTrial planned.\nLow back pain.\nCleared for SCS in 01/2025, but on "
                           "re-evaluation 05/2025 the psychologist does not recommend SCS.", date="2025-06-15")
          if m.label in ("cleared", "not_cleared")]
    assert {(m.label, m.date.month) for m in ms} == {("cleared", 1), ("not_cleared", 5)}


@pytest.mark.parametrize("text, value", [
    ("Pain diary (NRS, daily average):\n| Day | Baseline week | Trial week |\n| 1 | 8 | 4 |\n| 2 | 7 | 3 |\n"
     "| 3 | 7.5 | 2 |\n| Average | 7.5 | 3.0 |", 60.0),
    ("Pain diary (NRS, daily average)\nDay:            1   2   3   4   Average\n"
     "Baseline week:  7   7   8   6   7.0\nTrial week:     4   3   2   3   3.0", 57.1),
    ("Day 7. VAS 8 before the trial, 2 at the end of the trial.", 75.0),
    ("Day 7. VAS 80/100 before the trial -> 30/100 at the end of the trial.", 62.5),
])
def test_trial_relief_in_diaries_and_before_after_wordings(text, value):
    ms = _read(text, note_type="SCS Trial Outcome")
    assert value in {m.value for m in counted(ms, "relief")}


def test_a_trial_day_number_is_no_score_and_not_applicable_negates():
    assert {m.value for m in _read("ODI on trial day 7: 9/50 (18%).") if m.label == "score"} == {18.0}
    assert not [m for m in _read("FBSS: not applicable - she has never had spine surgery.")
                if m.label == "syndrome" and not m.negated]


def test_a_diary_table_with_an_average_column_and_one_row_per_phase():
    text = ("Pain diary (patient-completed, daily average NRS 0-10):\nPeriod                     | Days | Daily NRS"
            "                 | Average\nBaseline week (pre-trial)  | 7    | 8, 7, 8, 7, 7, 8, 7.5     | 7.5\n"
            "Trial week 2024-12-03/09   | 7    | 4, 3, 3, 3, 2, 3, 3       | 3.0\nLeads removed.")
    assert 60.0 in {m.value for m in counted(_read(text, note_type="SCS Trial Follow-up"), "relief")}


def test_an_addendum_that_corrects_an_odi_gives_the_corrected_value():
    ms = _read("Addendum: ODI previously documented as 24% was entered in error (scoring error). Correct value 18%.")
    assert [m.value for m in ms if m.label == "corrected"] == [18.0]
    assert [m.value for m in ms if m.label == "withdrawn"] == [24.0]
    assert [m.value for m in counted(_read("ODI 30% today (repeated at end of trial per payer requirement)."),
                                     "score")] == [30.0]


@pytest.mark.parametrize("text, value", [
    ("says back/leg pain was 8/10 before trial and 3/10 w the stimulater on most of the wk", 62.5),
    ("pain was 7/10 now 2/10 w stim on", 71.4),
    ("baseline week before trial avg 7.5/10. trial days 4/7-4/13 avg 3/10", 60.0),
])
def test_terse_and_misspelled_before_after_pain(text, value):
    ms = _read(text, note_type="Telephone Encounter - SCS trial")
    assert value in {m.value for m in ms if m.criterion == "trial" and m.label == "relief"}
