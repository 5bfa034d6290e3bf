"""Short charts read end to end (shapes, nlp, note readers) and scored: the choices a reviewer makes between notes."""
import pandas as pd
import pytest

from pipeline.engines.memory import review

REVIEW_DATE = "2025-06-30"


def chart(*notes, review_date=REVIEW_DATE):
    """A one-patient chart from (date, note type, text) triples, reviewed on `review_date`."""
    rows = [{"patient_id": "P", "note_id": f"P-N{k}", "note_date": d, "note_type": t, "text": x}
            for k, (d, t, x) in enumerate(notes, 1)]
    table = review(pd.DataFrame(rows), cases=pd.DataFrame({"patient_id": ["P"], "review_date": [review_date]}))
    return table.review.set_index("patient_id").loc["P"]


def test_an_evaluators_own_letter_with_a_new_outcome_counts_over_an_old_evaluation():
    row = chart(("2022-03-15", "Pre-SCS Psychological Evaluation",
                 "PRE-SCS PSYCHOLOGICAL EVALUATION\nDSM-5: alcohol use disorder, active.\n"
                 "Summary and Recommendations: not a candidate at this time."),
                ("2025-01-23", "Psychology Letter",
                 "Dear Dr. Wexford,\nI re-evaluated Mr. N on 01/16/2025; abstinent since 2022.\n"
                 "I find no psychological contraindication. He is cleared to proceed with a spinal cord stimulator "
                 "trial and permanent implantation."))
    assert row["psych_clearance"] == "cleared" and row["psych_note_id"] == "P-N2"


def test_a_clearance_that_must_wait_for_six_sessions_is_pending():
    row = chart(("2025-05-12", "Psychology", "Pre-SCS psychological evaluation.\n"
                 "No psychiatric contraindication to permanent SCS was identified. Because of marked catastrophizing, "
                 "my clearance is CONDITIONAL: he must complete the 6-session CBT group first."))
    assert row["psych_clearance"] == "pending"


@pytest.mark.parametrize("text", [
    "Psychiatric WPI deferred until P&S.\nPlan: spinal cord stimulator trial.",
    "Carrier authorizes a one-time SCS trial without psych clearance per stipulation.",
])
def test_a_rating_deferred_or_a_trial_without_clearance_is_no_psych_outcome(text):
    assert chart(("2025-05-12", "PR-2 Progress Report", text))["psych_clearance"] == "none_found"


def test_a_reviewers_record_summary_restates_and_never_wins_over_the_visit():
    row = chart(("2025-01-14", "PR-2 Progress Report", "O: Oswestry 22 of 50 today. Plan: RFA for permanent SCS."),
                ("2025-02-20", "QME Supplemental Report", "REVIEW OF RECORDS\n"
                 "01/14/25 - PR-2, Dr. Villanueva: ODI 64%; RFA permanent SCS."),
                ("2025-03-11", "Utilization Review Determination",
                 "Rationale: ODI 46% -> 38%; trial relief documented."))
    assert row["odi_score"] == 44.0 and row["odi_note_id"] == "P-N1"


def test_a_visit_list_wrapped_over_the_new_year_counts_every_listed_visit():
    row = chart(("2025-01-07", "PT Discharge Summary",
                 "PT DISCHARGE\nVisits: 11/12, 11/14, 11/19, 11/21, 11/26, 12/03, 12/05, 12/10, 12/12, 12/17, 12/19,\n"
                 "12/26/2024, 01/02, 01/07/2025 (14 visits in clinic). Missed 11/28 (holiday).\n"
                 "Discharged 01/07/2025 - goals partially met."))
    assert (str(row["pt_first_date"]), str(row["pt_last_date"]), row["pt_weeks"]) == ("2024-11-12", "2025-01-07", 8.0)


def test_the_treating_doctors_own_visit_is_no_date_of_pt_and_a_stated_course_counts():
    row = chart(("2024-11-12", "PR-2 Progress Report",
                 "SUBJECTIVE: Since her last visit here on 09/10/2024 she completed a course of formal\n"
                 "physical therapy with a licensed physical therapist at Sierra Peaks Physical Therapy in\n"
                 "Reno, 12 visits over 7 weeks (records requested, not yet received)."))
    assert row["pt_weeks"] == 7.0 and row["pt_status"] == "met" and not row["pt_first_date"]


def test_a_consultants_letter_measures_and_is_no_restatement():
    row = chart(("2024-07-08", "PT Evaluation", "PHYSIOTHERAPY INITIAL ASSESSMENT\nModified Oswestry 19/50 (38%)."),
                ("2024-11-18", "Pain Medicine Consultation", "Dear Dr Harrow,\n\nThank you for referring Ms T. "
                 "Chronic lumbar radiculopathy.\nODI 40%. NRS leg 7/10.\nPlan: psychology evaluation, then SCS trial."))
    assert (row["odi_score"], row["odi_note_id"]) == (40.0, "P-N2")


def test_a_visit_log_row_says_beside_each_date_which_visit_was_cancelled():
    row = chart(("2023-11-20", "PT Discharge Summary",
                 "PHYSICAL THERAPY - DISCHARGE SUMMARY\nVisit log (all visits in clinic, 1:1 with licensed PT):\n"
                 "  10/02/2023 eval | 10/05/2023 | 10/09/2023 | 10/12/2023 | 10/16/2023 | 10/19/2023\n"
                 "  10/23/2023 cancelled (pt ill) | 10/26/2023 | 10/30/2023 | 11/02/2023 | 11/09/2023\n"
                 "  11/13/2023 | 11/16/2023 cancelled (weather) | 11/20/2023 discharge visit\n"
                 "RTM (PT app): HEP adherence 81%, 37 sessions completed in app."), review_date="2024-06-30")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"]), row["pt_weeks"]) == ("2023-10-02", "2023-11-20", 7.0)


def test_a_doctors_video_visit_that_speaks_of_pt_not_done_leaves_pt_undocumented():
    row = chart(("2024-04-29", "Video Visit - Pain Medicine",
                 "This visit was conducted via synchronous audio-video.\nPT: referral placed 10/2023 - not completed "
                 "(no-show 12/04, cancelled 12/18).\nPT app invitation (remote exercise program) was emailed."))
    assert row["pt_status"] == "insufficient"


def test_a_flowsheet_header_of_dates_over_a_visit_row_gives_each_visit():
    row = chart(("2024-03-01", "PT Flowsheet", "FLOWSHEET: PT DAILY          export 03/01/2024 08:11\n\n"
                 "Measure          01/08/24  01/11/24  01/15/24  01/18/24\n"
                 "Visit #                 1         2         3         4\n"
                 "Location           Clinic    Clinic    Clinic    Clinic\n\n"
                 "Measure          02/19/24  02/22/24  02/26/24  02/29/24\n"
                 "Visit #                 5         6         7         8\n"), review_date="2024-06-30")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"])) == ("2024-01-08", "2024-02-29")


def test_a_registry_span_of_an_episode_that_went_on_by_video_counts_only_its_clinic_visits():
    row = chart(("2024-05-20", "PT Discharge Summary", "OUTPATIENT PHYSICAL THERAPY - DISCHARGE\nVisit log:\n"
                 "2024-03-04 | Visit 1/6 | Initial evaluation | R. Okafor, PT | in clinic\n"
                 "2024-03-18 | Visit 2/6 | Ther-ex | R. Okafor, PT | in clinic\n"
                 "2024-04-08 | Visit 3/6 | Ther-ex | R. Okafor, PT | in clinic\n"
                 "2024-04-22 | Visit 4/6 | Ther-ex | R. Okafor, PT | telehealth video\n"
                 "2024-05-06 | Visit 5/6 | Ther-ex | R. Okafor, PT | telehealth video\n"
                 "2024-05-20 | Visit 6/6 | Discharge | R. Okafor, PT | telehealth video"),
                ("2024-07-22", "Registry Export", "PT episode (registry field): 2024-03-04 to 2024-05-20, 6 visits."),
                review_date="2024-09-30")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"]), row["pt_status"]) == ("2024-03-04", "2024-04-08",
                                                                                        "not_met")


def test_a_value_an_addendum_says_was_entered_in_error_gives_way_to_the_corrected_one():
    row = chart(("2025-05-12", "SCS Trial Follow-up", "SCS TRIAL FOLLOW-UP\nOverall relief 45% per patient. Leads removed.\n\n"
                 "Addendum 05/14/2025: trial relief previously documented as 45% was entered in error; the patient's "
                 "overall relief was 55%."))
    assert row["trial_relief_pct"] == 55.0 and row["trial_status"] == "met"


def test_a_date_the_notes_own_visit_log_gives_as_video_is_no_in_person_visit():
    log = "\n".join([f"2025-03-{d:02d}\tClinic" for d in (3, 6, 10, 13)] +
                    [f"2025-{m:02d}-{d:02d}\tVideo (telehealth)" for m, d in ((3, 17), (3, 24), (4, 7), (4, 28))])
    row = chart(("2025-04-28", "PT Discharge Summary", f"PT Discharge Summary\nDOS: 2025-04-28\nVisit log:\nDate\tMode\n{log}"))
    assert (str(row["pt_first_date"]), str(row["pt_last_date"])) == ("2025-03-03", "2025-03-13")


def test_a_copied_forward_list_ends_where_its_items_end():
    row = chart(("2024-10-02", "Pain Consultation", "Pain consult.\nODI: 44%"),
                ("2025-04-15", "Pain Progress Note", "Pain Progress Note\nProblem list (copied forward):\n"
                 "- Lumbar stenosis L4-5\n- COPD\nODI 36% today.\nPlan: permanent SCS."))
    assert row["odi_score"] == 36.0 and row["odi_note_id"] == "P-N2"


def test_a_questionnaire_headed_with_its_version_and_scale_gives_its_raw_total():
    row = chart(("2025-01-22", "Patient-Reported Outcomes Form", "PATIENT-REPORTED OUTCOMES\n"
                 "Oswestry Disability Index (v2.1a), each section scored 0-5\n"
                 "  Pain intensity ...... 3     Standing ........ 3\n  Walking ............. 3     Sitting ......... 2\n"
                 "  Raw score: 23 / 50\n\nVAS back: 8/10     PHQ-9: 11"))
    assert row["odi_score"] == 46.0


def test_a_terse_visit_that_says_later_ones_go_to_phone_is_an_in_person_visit():
    row = chart(("2025-03-03", "PT Initial Evaluation", "coulee creek PT  initial eval in clinic  POC 2x wk x 8 wk  -S lund PT"),
                ("2025-03-28", "PT Daily Note", "visit 7 in clinic. last in person, switching to phone check ins  -S lund PT"),
                ("2025-04-20", "PT Daily Note", "phone check in  HEP going ok  -S lund PT"))
    assert (str(row["pt_first_date"]), str(row["pt_last_date"])) == ("2025-03-03", "2025-03-28")


@pytest.mark.parametrize("text", ["f/u  ODI 17/50  psyc referral placed for SCS  -JO",
                                  "f/u  ODI 17/50  psych eval for SCS sched 7/9  -JO"])
def test_a_terse_notes_field_break_ends_a_plan_and_a_misspelt_psych_referral_is_pending(text):
    row = chart(("2025-06-17", "Clinic Visit", text))
    assert row["odi_score"] == 34.0 and row["psych_clearance"] == "pending"


def test_a_value_cited_from_the_visit_that_measured_it_gives_way_to_that_visit():
    row = chart(("2025-02-15", "PM&R Visit", "PM&R visit.\n- ODI 42% today.\n- trial planned"),
                ("2025-04-17", "SCS Trial Follow-up", "SCS TRIAL FOLLOW-UP\n- Pain before the trial: 8/10\n"
                 "- Average pain over the 7 days with stimulation: 3/10"),
                ("2025-05-20", "Primary Care Visit", "# Chronic low back pain s/p fusion:\n- ODI 48% (PT intake)\n"
                 "- SCS trial 4/2025 - about 60% relief per the PM&R note; permanent implant pending auth"))
    assert (row["odi_score"], row["odi_note_id"]) == (42.0, "P-N1")
    assert (row["trial_relief_pct"], row["trial_note_id"]) == (62.5, "P-N2")


def test_a_course_given_only_by_video_is_not_in_person_also_when_a_letter_dates_it():
    row = chart(("2025-01-02", "PT Evaluation", "TELEHEALTH PHYSICAL THERAPY EVALUATION (synchronous video)   01/02/2025\n"
                 "Plan: weekly video PT sessions x 10 weeks."),
                ("2025-03-11", "PT Discharge Summary", "Virtual PT Program\nDISCHARGE SUMMARY   03/11/2025\nDischarged to HEP."),
                ("2025-05-01", "Letter of Medical Necessity", "To whom it may concern:\n"
                 "He completed 10 weeks of physical therapy (01/02/2025 - 03/11/2025)."))
    assert row["pt_status"] == "not_met"


def test_a_pt_offices_no_show_or_booking_note_is_no_visit():
    row = chart(("2025-01-06", "Rehab Services Note", "CHMG Rehabilitation Services   01/06/2025\n"
                 "PT initial evaluation 10:30 - NO SHOW. Voicemail left to reschedule."),
                ("2025-03-03", "Rehab Services Note", "CHMG Rehabilitation Services   03/03/2025\n"
                 "PT initial evaluation booked for 07/19/2025 (first available)."))
    assert row["pt_status"] == "insufficient"


def test_a_course_said_done_with_its_frequency_and_length_is_its_length():
    row = chart(("2025-05-01", "Primary Care Visit", "She completed formal PT at Harbor Point (2x/week x 7 weeks)."))
    assert (row["pt_weeks"], row["pt_status"]) == (7.0, "met")


def test_a_pre_authorization_visit_measures():
    row = chart(("2024-05-06", "PM&R", "PM&R clinic\nMeasures: ODI 27/50 | PEG 8.0"),
                ("2025-01-13", "PM&R", "PM&R clinic   01/13/2025\nPre-authorization visit. Oswestry 36/100 today. PEG 5.0."))
    assert row["odi_score"] == 36.0


@pytest.mark.parametrize("text", [
    "Clinical Policy CP-117 (Dorsal Column Stimulation) requires at least 50% relief of pain during the trial and a "
    "psychological evaluation without unresolved contraindications.",
    "Harborview Medical Policy MED-SCS-03 requires: FBSS; ODI of 21% or greater; psychological clearance.",
])
def test_a_policy_that_requires_a_clearance_is_no_clearance(text):
    assert chart(("2025-03-05", "Payer Denial Letter", "Re: spinal cord stimulator request\n" + text))[
        "psych_clearance"] == "none_found"


def test_a_clearance_later_withdrawn_or_superseded_and_one_not_yet_final():
    row = chart(("2024-05-23", "Psychological Evaluation", "Pre-SCS psychological evaluation\n"
                 "Opinion: cleared for spinal cord stimulator trial and implantation."),
                ("2024-11-28", "Psychological Re-evaluation", "Pre-SCS psychological re-evaluation\n"
                 "Opinion: NOT recommended for spinal cord stimulator implantation at this time."),
                ("2025-02-06", "Payer Denial Letter", "Re: spinal cord stimulator\n"
                 "The 05/23/2024 clearance submitted with the request was superseded."))
    assert row["psych_clearance"] == "not_cleared"
    row = chart(("2025-01-10", "Psychological Evaluation", "Psychological Evaluation for Spinal Cord Stimulator Candidacy\n"
                 "She may proceed with spinal cord stimulation once she completes six sessions of CBT. "
                 "Until then this is not a final clearance."))
    assert row["psych_clearance"] == "pending"


def test_an_addendum_that_says_the_odi_was_transposed_gives_the_value_it_states():
    row = chart(("2025-01-05", "Pain Clinic", "PAIN CLINIC\nPost-laminectomy syndrome.\nODI: 13%\nPEG 6.7.\n\n"
                 "ADDENDUM 01/07/2025: The ODI above was transposed in transcription. The scanned questionnaire "
                 "total is 31%. Please disregard 13%."))
    assert row["odi_score"] == 31.0


def test_a_peer_to_peer_call_restates_and_gives_way_to_the_visit():
    row = chart(("2024-03-05", "Neuromodulation Consultation", "CONSULTATION\nOswestry total 11 of 50."),
                ("2024-11-05", "Peer-to-Peer Summary", "P2P 11/05/2024\nDelgado: Oswestry 11 - that's below 21."))
    assert (row["odi_score"], row["odi_note_id"]) == (22.0, "P-N1")


@pytest.mark.parametrize("text", [
    "She has failed back conservative care and is functionally equivalent to a failed back surgery patient.",
    "Reviewer: Failed back surgery syndrome presupposes surgery.",
])
def test_a_syndrome_likened_or_defined_is_no_diagnosis(text):
    assert chart(("2025-03-05", "Pain Clinic", "No prior spine surgery. " + text))["indication_status"] == "insufficient"


def test_a_diary_whose_phases_head_their_rows_with_an_average_column():
    text = ("SCS TRIAL LEAD REMOVAL\nPain diary (NRS 0-10, daily average)\n"
            "  Baseline (pre-trial)     05/10   05/11   05/12   05/13    Average\n"
            "                             8       7       8       7        7.5\n"
            "  Trial                    D1  D2  D3  D4  D5  D6  D7        Average\n"
            "                            3   3   2   4   3   3   3         3.0\n\nLeads removed.")
    assert chart(("2025-05-21", "SCS Trial Removal", text))["trial_relief_pct"] == 60.0


def test_an_odi_that_improved_from_one_value_to_another_is_the_later():
    row = chart(("2025-03-13", "Pain Clinic", "Pain clinic.\nODI improved from 48% (08/2024) to 22% today."))
    assert row["odi_score"] == 22.0


def test_a_value_on_file_from_a_named_day_is_as_old_as_that_day():
    row = chart(("2024-09-30", "Pain Clinic", "Pain clinic.\nOswestry today 9/50."),
                ("2025-01-06", "Pain Clinic", "Pain clinic.\nOutcome measures: last Oswestry on file 42 percent from March 4."))
    assert row["odi_score"] == 18.0


def test_a_trial_reports_baseline_and_its_day_average_under_leaders():
    row = chart(("2024-07-15", "SCS Trial Report", "SCS TRIAL REPORT\n NRS baseline (pre-trial) ...... 9/10\n"
                 " NRS day 7 (avg) ............... 4/10\nPatient: I could mow the lawn."))
    assert row["trial_relief_pct"] == 55.6


@pytest.mark.parametrize("text, value", [("Oswestry forty four out of a hundred today.", 44.0),
                                         ("ODI index .44 today.", 44.0)])
def test_an_odi_out_of_a_hundred_or_as_an_index(text, value):
    assert chart(("2025-03-13", "Pain Clinic", text))["odi_score"] == value


@pytest.mark.parametrize("text", [
    "PAST MEDICAL HISTORY: Remarkable for chronic back pain, neck pain from a previous cervical fusion, and degenerative "
    "disc disease.",
    "History of cervical spinal stenosis status post decompression, who has had longstanding low back pain.",
    "I was prepared to do a discectomy and had not consented the patient for a biopsy. Her thigh pain persists.",
])
def test_a_neck_operation_or_one_about_to_be_done_is_no_failed_back_surgery(text):
    assert chart(("2025-03-05", "Clinic Note", text))["indication_status"] == "insufficient"


def test_a_flowsheet_row_entered_in_error_gives_way_to_its_correction_and_raw_points_are_doubled():
    row = chart(("2024-06-03", "Flowsheet Export",
                 "Flowsheet: Oswestry Disability Index | Value: 22 | Units: % | Taken: 2024-06-03 08:40 | "
                 "Status: Entered in error | Comment: wrong unit selected\n"
                 "Flowsheet: Oswestry Disability Index | Value: 22 | Units: points (raw, 0-50) | Taken: 2024-06-03 08:40 | "
                 "Status: Corrected"))
    assert row["odi_score"] == 44.0
    row = chart(("2024-05-06", "Interface Result",
                 "MSH|^~\\&|EHR|CLINIC|HUB|PAYER|20240506||ORU^R01|1|P|2.5.1\n"
                 "OBX|1|NM|ODI_IDX^Oswestry Disability Index (index 0-1)^L||0.34|ratio|0-1|||F|||20240506101500\n"
                 "OBX|2|NM|NDI_IDX^Neck Disability Index (index 0-1)^L||0.18|ratio|0-1|||F|||20240506101500"))
    assert row["odi_score"] == 34.0


def test_a_visit_export_with_compact_dates_and_statuses():
    rows = "\n".join([f'"202403{d:02d}","97110","gym","J. Ochoa PTA","Completed"' for d in (4, 7, 11, 14, 18, 21, 28)] +
                     ['"20240401","","gym","J. Ochoa PTA","No Show"'] +
                     [f'"202404{d:02d}","97110","gym","J. Ochoa PTA","Completed"' for d in (4, 8, 11, 15, 18, 22, 26)] +
                     ['"20240429","","gym","J. Ochoa PTA","Cancelled"'])
    row = chart(("2024-05-02", "PT Visit Export", '# export: visits.csv (Brookfield Rehab) - generated 2024-05-02\n'
                 '"dos","cpt","area","staff","status"\n' + rows), review_date="2024-06-01")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"])) == ("2024-03-04", "2024-04-26")


def test_a_chart_partly_in_spanish():
    row = chart(("2024-03-05", "Pain Management Follow-up", "F/U - interpreter #40621.\n"
                 "Oswestry (versión en español, leída por el intérprete): 20 de 50.\nPlan: SCS trial."),
                ("2024-04-09", "Evaluación Psicológica", "EVALUACIÓN PSICOLÓGICA - 9 de abril de 2024.\n"
                 "Conclusión: apta para estimulador de médula espinal (prueba e implante)."),
                ("2024-05-02", "SCS Trial Follow-up", 'SCS trial follow-up.\nSon: "Mi mamá dice que el dolor bajó de 9 a 4."'),
                review_date="2024-06-01")
    assert (row["odi_score"], row["psych_clearance"], row["trial_relief_pct"]) == (40.0, "cleared", 55.6)
    row = chart(("2024-09-12", "Reevaluación Psicológica", "REEVALUACIÓN PSICOLÓGICA - 12 de septiembre de 2024.\n"
                 "RECOMENDACIÓN: no se recomienda el implante definitivo en este momento."), review_date="2024-10-01")
    assert row["psych_clearance"] == "not_cleared"
    row = chart(("2024-06-27", "Evaluación Psicológica", "EVALUACIÓN PSICOLÓGICA PARA ESTIMULADOR DE MÉDULA ESPINAL\n"
                 "RECOMENDACIÓN: apta para la prueba del estimulador. Para el implante definitivo, la autorización queda "
                 "CONDICIONADA a completar 6 sesiones de terapia cognitivo-conductual."), review_date="2024-10-01")
    assert row["psych_clearance"] == "pending"


def test_a_trial_relief_an_addendum_corrects_counts_over_its_note():
    row = chart(("2024-05-02", "SCS Trial Follow-up", "SCS TRIAL FOLLOW-UP\nTrial: pain 8/10 -> 3/10, about 62% relief.\n\n"
                 "ADDENDUM 05/06/2024: the interpreter misheard the patient; he confirmed his pain went from 8 to 5. "
                 "Trial relief corrected to 37.5%."), review_date="2024-06-01")
    assert (row["trial_relief_pct"], row["trial_status"]) == (37.5, "not_met")


def test_a_programs_pt_span_on_the_line_under_its_label_and_a_code_entered_in_error():
    row = chart(("2024-11-22", "FRP Discharge Summary", "FRP DISCHARGE SUMMARY\n"
                 "Physical therapy (individual land-based and aquatic, D. Kapoor, PT, DPT):\n10/07/2024 - 11/22/2024.\n"
                 "Other services: CBT group 21, education 14."), review_date="2025-03-01")
    assert (row["pt_weeks"], row["pt_status"]) == (6.6, "met")
    row = chart(("2024-05-07", "Authorization Request", "Diagnosis: M96.1 Postlaminectomy syndrome, NEC"),
                ("2024-06-11", "Telephone Note", "Correction to auth request 07MAY24: diagnosis M96.1 was entered in error. "
                 "She has NOT had lumbar surgery."), review_date="2024-08-09")
    assert row["indication_status"] == "insufficient"


def test_a_course_in_clinic_then_by_video_counts_its_clinic_span_and_a_trials_dates_are_no_pt():
    row = chart(("2024-04-26", "FRP Discharge Summary", "FRP DISCHARGE SUMMARY\nPT in clinic 03/04-03/22/2024, then virtual "
                 "(video) 03/25-04/26/2024."), review_date="2024-06-01")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"])) == ("2024-03-04", "2024-03-22")
    row = chart(("2024-12-17", "Letter", "Records: physical therapy completed; trial 09/24-10/01/2024 with two-thirds relief."),
                review_date="2025-01-01")
    assert pd.isna(row["pt_first_date"])


def test_a_record_chronology_restates_and_gives_way_to_the_visits():
    row = chart(("2024-03-04", "PT Initial Evaluation", "PHYSICAL THERAPY INITIAL EVALUATION\nModified ODI 27/50 (54%)."),
                ("2024-08-20", "Medical Record Chronology", "MEDICAL RECORD CHRONOLOGY\n"
                 "03/04/2024 | M. Grant, PT | PT eval | Mod. ODI 27% [sic]. | p. 160"), review_date="2024-09-01")
    assert (row["odi_score"], row["odi_note_id"]) == (54.0, "P-N1")
    row = chart(("2024-02-12", "Pain Consultation", "Chronic LBP with L5 radiculopathy. No prior spine surgery. FBS 104."),
                ("2025-02-18", "Medical Record Chronology", "MEDICAL RECORD CHRONOLOGY\n"
                 "02/12/2024 | Marsh MD | Consult | chronic LBP/L5 radic; FBSS | p. 14"), review_date="2025-03-01")
    assert row["indication_status"] == "insufficient"


def test_an_evaluation_that_supersedes_an_earlier_clearance():
    row = chart(("2024-03-12", "Psychological Evaluation", "Pre-SCS psychological evaluation.\n"
                 "Recommendation: cleared for SCS trial and implant."),
                ("2024-06-25", "Psychological Re-evaluation", "Pre-SCS psychological re-evaluation.\n"
                 "Recommendation: NOT recommended for permanent SCS at this time. This supersedes my 03/12/2024 clearance."),
                review_date="2024-08-01")
    assert row["psych_clearance"] == "not_cleared"


def test_a_discharge_that_names_its_in_clinic_visits_before_remote_care():
    row = chart(("2024-09-03", "PT Initial Evaluation", "NORTHSHORE PHYSICAL THERAPY - INITIAL EVALUATION   DOS 09/03/2024   In clinic"),
                ("2024-10-29", "PT Discharge Summary", "NORTHSHORE PHYSICAL THERAPY - DISCHARGE FROM IN-CLINIC CARE\n"
                 "In-clinic visits: first 09/03/2024 (evaluation), last 10/29/2024 (discharge), 16 visits,\n"
                 "100% attendance. Transitioned to app-based home exercise with remote therapeutic monitoring."),
                review_date="2025-01-15")
    assert (row["pt_weeks"], str(row["pt_last_date"])) == (8.0, "2024-10-29")


@pytest.mark.parametrize("form, value", [
    ("OSWESTRY LOW BACK PAIN QUESTIONNAIRE - end of SCS trial\n"
     "Printed instruction: \"Score each section 0 (first statement) to 5 (last statement). Total /50.\"\n"
     "Sec  Topic               Circled  Pts\n 1   Pain intensity        C       2\n 2   Personal care         B       1\n"
     "Total (handwritten by MA, lower right): 21", 42.0),
    ("OSWESTRY (paper) - 09/23/2024 - transcribed by T. Nez, MA\nItem:   1  2  3  4  5  6  7  8  9  10\n"
     "Score:  3  2  4  3  3  3  3  2  3  3\nTotal 29 / 50 = 58%", 58.0),
])
def test_a_paper_questionnaire_transcribed_gives_its_total(form, value):
    assert chart(("2024-09-23", "Scanned Form", form), review_date="2024-10-01")["odi_score"] == value


def test_hospital_pt_during_an_admission_is_no_outpatient_course():
    row = chart(("2024-02-04", "Inpatient PT Evaluation", "ST. BRENDAN - ACUTE CARE PT EVALUATION   02/04/2024  08:30\n"
                 "Gait 150 ft with walker."),
                ("2024-05-13", "PT Evaluation", "LAKESHORE REHABILITATION - OUTPATIENT PT EVALUATION   5/13/2024"),
                ("2024-06-12", "PT Discharge Summary", "PT DISCHARGE\nDates of service 05/13/2024 - 06/12/2024; 8 visits attended.\n"
                 "Inpatient PT 06/20-06/23 (4 sessions) is not part of this course."), review_date="2024-07-01")
    assert (str(row["pt_first_date"]), str(row["pt_last_date"]), row["pt_status"]) == ("2024-05-13", "2024-06-12", "not_met")


def test_a_visit_log_whose_cells_say_clinic_or_video():
    row = chart(("2024-11-18", "PT Discharge Summary", "RIVERBEND PT - DISCHARGE SUMMARY   11/18/2024\n"
                 "Total: 10 weeks of PT, 09/09/2024 - 11/18/2024, 14 visits.\nVisit log:\n"
                 "  09/09 clinic   09/12 clinic   09/16 clinic   09/19 clinic   09/23 clinic   09/26 clinic\n"
                 "  09/30 clinic   10/07 video    10/14 video    10/21 video    10/28 video    11/04 video\n"
                 "  11/11 video    11/18 video\nDischarged to HEP."), review_date="2025-01-15")
    assert (row["pt_weeks"], row["pt_status"]) == (3.0, "not_met")


def test_a_diary_table_with_day_rows_and_its_averages_written_under_it():
    rows = "\n".join([f"Baseline {k} |  8 |  7 |  7.5" for k in (1, 2, 3)] + [f"Trial {k}    |  3 |  3 |  3.0" for k in range(1, 8)])
    row = chart(("2024-06-17", "SCS Trial Pain Diary", "SCS TRIAL PAIN DIARY\nDay        | AM | PM | Daily avg\n" + rows +
                 "\n---------\nBaseline average: 7.5     Trial average (days 1-7): 3.0"), review_date="2024-07-01")
    assert row["trial_relief_pct"] == 60.0


def test_an_odi_index_on_a_zero_to_one_scale():
    assert chart(("2024-01-08", "Spine Clinic", "Oswestry Disability Index (index score 0-1): 0.44"),
                 review_date="2024-02-01")["odi_score"] == 44.0


def test_a_psychologists_later_letter_that_the_clearance_remains_pending_counts_over_a_templates_yes():
    row = chart(("2024-02-19", "Psychological Evaluation", "PRE-SCS PSYCHOLOGICAL EVALUATION\nClearance for permanent "
                 "implantation is CONDITIONAL on completion of six sessions of pain-focused CBT."),
                ("2024-03-25", "PA Progress Note", "Spine clinic.\nPsych clearance: Yes"),
                ("2024-06-28", "Psychology Letter", "Psychology letter re: spinal cord stimulator candidacy.\nShe has completed four "
                 "of six CBT sessions. Until the sixth session is completed, my clearance for permanent implantation remains "
                 "pending."), review_date="2024-07-15")
    assert row["psych_clearance"] == "pending"


def test_a_trial_questionnaire_with_circled_pain_before_and_during():
    row = chart(("2024-05-27", "SCS Trial Questionnaire", "SCS TRIAL - END OF TRIAL QUESTIONNAIRE\n"
                 "1. AVERAGE pain BEFORE the trial (circle):   0 1 2 3 4 5 6 7 8 [9] 10\n"
                 "2. AVERAGE pain DURING the trial (circle):   0 1 2 3 4 5 [6] 7 8 9 10\n"
                 "3. Would you want a permanent stimulator?    [x] Yes  [ ] No"), review_date="2024-06-15")
    assert (row["trial_relief_pct"], row["trial_status"]) == (33.3, "not_met")
