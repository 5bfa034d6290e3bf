"""Synthetic note exports for benchmarks: SCS candidates' notes among many irrelevant ones.

    python benchmarks/generate.py OUT.csv --notes 100000 [--relevant 0.1] [--seed 0]

Every note is made up here from templates with randomized phrasing, numbers and
dates (nothing is copied from real notes). A *relevant* note belongs to an SCS
candidate's work-up: pain consults with an ODI, PT evaluations/daily notes/
discharges, psychological evaluations, trial procedure and follow-up notes with
the percent relief, pre-implant visits. An *irrelevant* note is what fills a real
export: flu shots, dermatology, nursing, dental, ED visits, routine primary care
(some of them mention back surgery, opioids, alcohol or "relief" in passing, as
real ones do).

`--relevant F` is the fraction of relevant notes (default 0.1; 1.0 gives a
relevant-only export). Writing is streamed (a bounded shuffle buffer mixes the
patients' notes), so 500,000+ notes take no more memory than a few thousand.
Output format from the suffix: .csv, .tsv, .jsonl (optionally .gz), .parquet.
The same seed gives the same file.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import random
import sys
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text"]


class Note(NamedTuple):
    patient_id: str
    note_id: str
    note_date: dt.date
    note_type: str
    text: str
    relevant: bool


# --- small helpers ------------------------------------------------------------------------------------
def _d(d: dt.date, r: random.Random) -> str:
    """A date as clinicians write it, in one of several styles."""
    k = r.random()
    if k < 0.45:
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if k < 0.7:
        return d.isoformat()
    if k < 0.85:
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    return d.strftime("%B ") + f"{d.day}, {d.year}"


def _para(r: random.Random, *choices: list[str]) -> str:
    return " ".join(r.choice(c) for c in choices)


def _vitals(r: random.Random) -> str:
    bp = f"{r.randint(104, 162)}/{r.randint(62, 98)}"
    style = r.random()
    if style < 0.5:
        return (f"BP {bp}, HR {r.randint(56, 104)}, RR {r.randint(12, 20)}, T {r.uniform(97.1, 99.4):.1f} F, "
                f"SpO2 {r.randint(94, 100)}% on room air.")
    return (f"Vitals: BP {bp} | Pulse {r.randint(56, 104)} | Temp {r.uniform(36.2, 37.4):.1f} C | "
            f"Resp {r.randint(12, 20)} | Wt {r.randint(52, 128)} kg | BMI {r.uniform(19, 41):.1f}")

ROS = [("Constitutional", ["negative for fever, chills, night sweats or unintended weight loss",
                           "reports fatigue; no fever", "no fevers, chills or weight change"]),
       ("Eyes", ["no visual changes", "wears reading glasses; no blurred vision"]),
       ("ENT", ["no sore throat, ear pain or congestion", "seasonal nasal congestion"]),
       ("Cardiovascular", ["no chest pain, palpitations or leg swelling", "denies chest pain or orthopnea"]),
       ("Respiratory", ["no cough, wheezing or shortness of breath", "mild exertional dyspnea, no cough"]),
       ("Gastrointestinal", ["no nausea, vomiting, diarrhea or constipation", "occasional heartburn"]),
       ("Genitourinary", ["no dysuria, hematuria or incontinence", "nocturia x1"]),
       ("Musculoskeletal", ["no joint swelling", "occasional knee stiffness in the morning"]),
       ("Skin", ["no rashes or new lesions", "dry skin in winter"]),
       ("Neurological", ["no headaches, seizures or focal weakness", "no dizziness or syncope"]),
       ("Psychiatric", ["mood stable, sleeping adequately", "denies depression or anxiety"]),
       ("Endocrine", ["no heat or cold intolerance, no polyuria", "no polydipsia"]),
       ("Heme/lymph", ["no easy bruising or bleeding", "no swollen glands"])]
EXAM = [("General", ["well-developed, well-nourished, in no acute distress", "alert, cooperative, NAD"]),
        ("HEENT", ["normocephalic, atraumatic; PERRL, EOMI; oropharynx clear", "TMs clear; moist mucous membranes"]),
        ("Neck", ["supple, no lymphadenopathy or thyromegaly", "no JVD, no carotid bruits"]),
        ("Cardiovascular", ["regular rate and rhythm, no murmurs, rubs or gallops", "RRR, S1 S2 normal"]),
        ("Lungs", ["clear to auscultation bilaterally, no wheezes or crackles", "CTAB, good air movement"]),
        ("Abdomen", ["soft, non-tender, non-distended; normal bowel sounds", "benign, no organomegaly"]),
        ("Extremities", ["no clubbing, cyanosis or edema; distal pulses 2+", "warm and well perfused"]),
        ("Skin", ["warm and dry, no rashes", "no suspicious lesions on visible skin"]),
        ("Neuro", ["CN II-XII grossly intact; gait normal", "alert and oriented, no focal deficits"]),
        ("Psych", ["normal mood and affect; judgment and insight intact", "pleasant, appropriate"])]
PMH = ["hypertension", "hyperlipidemia", "type 2 diabetes mellitus", "GERD", "hypothyroidism", "obstructive sleep "
       "apnea on CPAP", "osteoarthritis of the knees", "anxiety", "asthma", "chronic kidney disease stage 2",
       "migraine", "BPH", "obesity", "atrial fibrillation on apixaban", "seasonal allergies"]
PSH = ["appendectomy", "cholecystectomy", "right knee arthroscopy", "tonsillectomy", "cesarean section",
       "carpal tunnel release", "hernia repair", "cataract extraction", "hysterectomy"]
EDUCATION = ["Patient education provided regarding diagnosis, treatment options, risks and benefits; all questions "
             "were answered and the patient verbalized understanding.",
             "Reviewed warning signs that should prompt a return visit or a call to the office.",
             "After-visit summary printed and given to the patient.",
             "Medication reconciliation completed; the list above is current to the best of the patient's knowledge.",
             "Care coordinated with the primary care office; records requested.",
             "I personally reviewed the history obtained by the medical assistant and agree with it.",
             "Total time spent on the date of the encounter was {n} minutes, more than half in counseling.",
             "Advance directive discussed; patient has a health care proxy on file.",
             "Electronically signed by the attending provider."]


def _ros(r: random.Random, k: int | None = None) -> str:
    items = r.sample(ROS, k or r.randint(6, len(ROS)))
    if r.random() < 0.5:
        return "Review of systems:\n" + "\n".join(f"{a}: {r.choice(b)}." for a, b in items)
    return "ROS: " + " ".join(f"{a}: {r.choice(b)}." for a, b in items) + " All other systems reviewed and negative."


def _exam(r: random.Random, k: int | None = None) -> str:
    items = r.sample(EXAM, k or r.randint(5, len(EXAM)))
    return "Physical exam:\n" + "\n".join(f"{a}: {r.choice(b)}." for a, b in items)


def _history(r: random.Random) -> str:
    pmh = ", ".join(r.sample(PMH, r.randint(1, 5)))
    psh = ", ".join(r.sample(PSH, r.randint(0, 3))) or "none"
    allergy = r.choice(["NKDA", "penicillin (rash)", "sulfa (hives)", "codeine (nausea)", "no known allergies"])
    fam = r.choice(["Father with coronary artery disease; mother with type 2 diabetes.",
                    "Noncontributory.", "Mother with breast cancer at 62; brother with hypertension."])
    return f"Past medical history: {pmh}.\nPast surgical history: {psh}.\nAllergies: {allergy}.\nFamily history: {fam}"


def _closing(r: random.Random) -> str:
    return " ".join(s.format(n=r.choice([20, 25, 30, 40, 45])) for s in r.sample(EDUCATION, r.randint(2, 5)))


MEDS_COMMON = ["lisinopril 10 mg daily", "atorvastatin 40 mg nightly", "metformin 500 mg twice daily",
               "levothyroxine 75 mcg daily", "amlodipine 5 mg daily", "omeprazole 20 mg daily",
               "sertraline 50 mg daily", "hydrochlorothiazide 25 mg daily", "vitamin D3 2000 units daily",
               "aspirin 81 mg daily", "losartan 50 mg daily", "montelukast 10 mg nightly", "fluticasone nasal spray"]
MEDS_PAIN = ["gabapentin 300 mg three times daily", "pregabalin 75 mg twice daily", "duloxetine 60 mg daily",
             "meloxicam 15 mg daily", "tizanidine 4 mg at bedtime", "cyclobenzaprine 10 mg as needed",
             "tramadol 50 mg every 6 hours as needed", "oxycodone 5 mg twice daily as needed",
             "hydrocodone-acetaminophen 5/325 as needed", "naproxen 500 mg twice daily", "lidocaine 5% patch"]


def _meds(r: random.Random, pain: bool = False) -> str:
    pool = MEDS_COMMON + (MEDS_PAIN if pain else [])
    items = r.sample(pool, r.randint(2, 6))
    if r.random() < 0.5:
        return "Medications:\n" + "\n".join(f"- {m}" for m in items)
    return "Current medications: " + "; ".join(items) + "."


# --- the SCS candidate's work-up (relevant notes) -----------------------------------------------------
SURGERIES = ["L4-5 laminectomy", "L5-S1 microdiscectomy", "L4-S1 fusion", "L3-4 decompression",
             "L4-5 TLIF", "L5-S1 ALIF", "two-level lumbar fusion (L3-L5)", "L4-5 hemilaminectomy",
             "revision L4-5 fusion", "L5-S1 laminotomy and foraminotomy"]
CLINICS = ["Comprehensive Spine & Pain", "Riverside Interventional Pain", "Valley Neuromodulation Clinic",
           "North Ridge Pain Medicine", "Lakeshore Spine Institute", "Cedar Hill Pain Center"]
PT_CLINICS = ["Summit Physical Therapy", "MoveWell Rehab", "Harbor Outpatient Rehabilitation",
              "Keystone PT & Sports Medicine", "Prairie Physiotherapy"]


class Candidate:
    """One SCS candidate's facts, from which the work-up notes are written."""

    def __init__(self, pid: str, r: random.Random, start: dt.date):
        self.pid, self.r, self.start = pid, r, start
        self.age = r.randint(34, 82)
        self.sex = r.choice(["male", "female"])
        self.surgery = r.choice(SURGERIES)
        self.surgery_year = start.year - r.randint(1, 9)
        self.side = r.choice(["right", "left", "bilateral"])
        self.odi = [r.randint(14, 72) for _ in range(3)]
        self.relief = r.choice([r.randint(20, 49), r.randint(50, 90), r.randint(55, 85)])
        self.pt_weeks = r.randint(3, 14)
        self.psych = r.choices(["cleared", "not_cleared", "pending"], [0.8, 0.1, 0.1])[0]
        self.clinic = r.choice(CLINICS)

    def notes(self) -> list[tuple[dt.date, str, str]]:
        """(date, note_type, text) of the work-up, in date order."""
        r, day = self.r, self.start
        out = [(day, *self.consult(day))]
        pt_start = day + dt.timedelta(days=r.randint(7, 30))
        pt_end = pt_start + dt.timedelta(days=7 * self.pt_weeks + r.randint(-3, 3))
        out.append((pt_start, *self.pt_eval(pt_start)))
        visit = pt_start
        for _ in range(r.randint(1, 3)):
            visit = visit + dt.timedelta(days=r.randint(7, 21))
            if visit < pt_end:
                out.append((visit, *self.pt_daily(visit)))
        out.append((pt_end, *self.pt_discharge(pt_start, pt_end)))
        psych_day = pt_end + dt.timedelta(days=r.randint(5, 40))
        out.append((psych_day, *self.psych_eval(psych_day)))
        trial_day = psych_day + dt.timedelta(days=r.randint(14, 60))
        length = r.choice([5, 7, 7, 7, 10])
        out.append((trial_day, *self.trial_procedure(trial_day, length)))
        follow = trial_day + dt.timedelta(days=length + r.randint(0, 4))
        out.append((follow, *self.trial_followup(trial_day, follow, length)))
        pre = follow + dt.timedelta(days=r.randint(14, 45))
        out.append((pre, *self.pre_implant(pre, pt_start, pt_end)))
        return out

    # each returns (note_type, text)
    def _indication(self) -> str:
        r = self.r
        return r.choice([
            f"History of {self.surgery} in {self.surgery_year} with persistent {self.side} leg pain since, "
            f"consistent with failed back surgery syndrome.",
            f"s/p {self.surgery} ({self.surgery_year}); {r.choice(['ongoing', 'persistent', 'continued'])} "
            f"axial low back and {self.side} radicular pain. Dx: post-laminectomy syndrome (M96.1).",
            f"The patient underwent {self.surgery} in {self.surgery_year}. Despite the surgery the "
            f"{self.side} leg pain returned within months and has persisted. Assessment: FBSS.",
            f"Post-laminectomy pain syndrome after {self.surgery} {self.surgery_year}, with chronic "
            f"{self.side} lumbar radiculopathy.",
        ])

    def _odi(self, v: int) -> str:
        r = self.r
        return r.choice([f"Oswestry Disability Index: {v}%.", f"ODI today {v}%.", f"ODI {v // 2}/50.",
                         f"She completed the Oswestry questionnaire today, scoring {v}%."
                         if self.sex == "female" else f"He completed the Oswestry questionnaire today, scoring {v}%.",
                         f"Modified Oswestry {v}.", f"Functional status: ODI = {v} %"])

    def consult(self, day: dt.date):
        r = self.r
        pron = "She" if self.sex == "female" else "He"
        text = "\n".join([
            f"{self.clinic.upper()}",
            r.choice(["New patient consultation", "Pain management consultation", "Initial pain evaluation"]),
            f"Date of service: {_d(day, r)}",
            "",
            "Chief complaint: " + r.choice(["low back and leg pain", "chronic lumbar radicular pain",
                                            "back pain after spine surgery"]),
            "",
            "HPI:",
            f"{self.age}-year-old {self.sex} referred for evaluation of chronic pain. " + self._indication(),
            f"{pron} rates the pain {r.randint(5, 9)}/10 on average and {r.randint(7, 10)}/10 at worst, "
            f"worse with {r.choice(['standing', 'walking', 'sitting', 'bending'])} and better with "
            f"{r.choice(['lying down', 'rest', 'heat', 'changing positions'])}.",
            _para(r, [f"An epidural steroid injection in {self.surgery_year + 1} gave about "
                      f"{r.randint(20, 60)}% relief for a few weeks.",
                      f"Medial branch blocks gave {r.randint(30, 90)}% relief for hours only.",
                      "Injections have not helped much."],
                  ["Gabapentin helps sleep.", "Duloxetine was stopped for nausea.", "Opioids were weaned last year."]),
            "",
            _history(r),
            "Social history: " + r.choice(["Lives with spouse; on disability since the surgery.",
                                           "Works part time as a cashier. Never smoker. Rare alcohol.",
                                           "Former smoker, quit 10 years ago. Denies illicit drug use."]),
            _meds(r, pain=True),
            "",
            _ros(r),
            "",
            _exam(r),
            "Spine: " + r.choice(["Antalgic gait. Positive straight leg raise on the affected side. ",
                                 "Well-healed midline incision. Tender paraspinals. "]) +
            f"Strength {r.choice(['5/5 throughout', '4+/5 EHL', '4/5 ankle dorsiflexion'])}.",
            "",
            self._odi(self.odi[0]),
            "",
            "Assessment and plan:",
            r.choice(["1. Post-laminectomy syndrome of the lumbar region.",
                      "1. Failed back surgery syndrome with radiculopathy.",
                      "1. Chronic lumbar radiculopathy after prior spine surgery."]),
            "2. " + r.choice(["Refer for formal physical therapy, 2x/week for 6-8 weeks.",
                              "Start outpatient PT; continue home exercise program.",
                              "PT referral placed."]),
            "3. " + r.choice(["Will obtain a psychological evaluation prior to SCS trial.",
                              "Refer for pre-SCS psych eval.",
                              "Behavioral health evaluation scheduled before neuromodulation."]),
            "4. Discussed spinal cord stimulation; educational materials given.",
            f"Return in {r.choice([4, 6, 8])} weeks.",
            "",
            _closing(r),
        ])
        return r.choice(["Pain Management Consult", "Pain Medicine New Patient", "Spine Center Evaluation"]), text

    def pt_eval(self, day: dt.date):
        r = self.r
        text = "\n".join([
            r.choice(PT_CLINICS),
            "Physical Therapy Initial Evaluation",
            f"Date: {_d(day, r)}",
            "",
            f"Diagnosis: lumbar radiculopathy, s/p {self.surgery}.",
            "Subjective: " + r.choice(["Patient reports constant low back pain radiating to the leg.",
                                       "Pt c/o LBP with radiating symptoms, worse in the morning."]),
            f"Pain {r.randint(4, 9)}/10.",
            _history(r),
            "Prior level of function: independent with ADLs; " + r.choice(["unable to stand > 15 min.",
                                                                           "limited walking to one block."]),
            "Objective:",
            f"Lumbar AROM: flexion {r.randint(20, 60)} deg, extension {r.randint(5, 20)} deg, "
            f"side bending R {r.randint(10, 25)} / L {r.randint(10, 25)} deg.",
            f"Hip strength: flexion {r.choice(['4/5', '4+/5', '5/5'])}, abduction {r.choice(['3+/5', '4/5'])}.",
            f"Slump test {r.choice(['positive', 'negative'])}; SLR {r.choice(['positive at 50 deg', 'negative'])}.",
            f"Timed up and go {r.uniform(8, 16):.1f} s; 6-minute walk {r.randint(180, 450)} m.",
            "Findings: " + r.choice(["Lumbar flexion limited 50%. Hip flexor tightness bilaterally.",
                                      "Decreased lumbar ROM in all planes. Core strength 3+/5."]),
            r.choice([f"Oswestry: {self.odi[1]}%", f"ODI {self.odi[1]}%", "Oswestry: ___"]),
            "Assessment: Patient would benefit from skilled physical therapy.",
            "Plan of care: " + r.choice(["2x/week x 8 weeks", "2-3x/wk for 6 weeks", "twice weekly for 10 weeks"]) +
            "; therapeutic exercise, manual therapy, neuromuscular re-education, HEP.",
            "Goals: 1. Independent with HEP in 2 weeks. 2. Stand 30 minutes for household tasks in 6 weeks. "
            "3. Walk 20 minutes without increase in leg symptoms in 8 weeks.",
            "Rehab potential: " + r.choice(["good", "fair", "good with compliance"]) + ".",
            _closing(r),
        ])
        return r.choice(["PT Evaluation", "Physical Therapy Evaluation", "Outpatient Rehab PT Eval"]), text

    def pt_daily(self, day: dt.date):
        r = self.r
        text = "\n".join([
            "Physical Therapy Daily Note",
            f"Visit {r.randint(2, 16)} of {r.choice([12, 16, 20])}. Date of service {_d(day, r)}.",
            "S: " + r.choice(["Pt reports less leg pain after last session.", "Soreness after HEP, no new symptoms.",
                              "Reports pain 5/10 today."]),
            "O: " + r.choice(["Therex: bridges 3x10, bird dog 3x10, nerve glides.",
                              "Manual: STM lumbar paraspinals; therex per flowsheet."]),
            "Flowsheet: " + "; ".join(r.sample(["NuStep L4 x 8 min", "prone press-ups 2x10", "clamshells 3x15",
                                                "dead bug 3x10", "sit-to-stand 3x10", "pallof press 3x10 each",
                                                "hamstring stretch 3x30 s", "lumbar stabilization on ball",
                                                "gait training 10 min", "moist heat 10 min"], 6)) + ".",
            "A: " + r.choice(["Tolerated well.", "Progressing toward goals."]),
            "P: Continue per plan of care.",
        ])
        return r.choice(["PT Daily Note", "Physical Therapy Treatment Note"]), text

    def pt_discharge(self, start: dt.date, end: dt.date):
        r = self.r
        text = "\n".join([
            "Physical Therapy Discharge Summary",
            f"Dates of service: {_d(start, r)} to {_d(end, r)}.",
            f"Total visits: {r.randint(8, 24)}.",
            r.choice(["Goals partially met.", "Goals not met; pain persists.", "Patient plateaued."]),
            r.choice([f"ODI at discharge {self.odi[2]}%.", "Continue HEP independently."]),
        ])
        return "PT Discharge Summary", text

    def psych_eval(self, day: dt.date):
        r = self.r
        outcome = {
            "cleared": r.choice(["The patient is psychologically cleared to proceed with the SCS trial.",
                                 "No psychological contraindications to spinal cord stimulation were identified. "
                                 "Cleared.",
                                 "From a behavioral health perspective she is an appropriate candidate for SCS."]),
            "not_cleared": r.choice(["Not cleared at this time: active untreated major depression.",
                                     "Recommend treatment before SCS; not a candidate at present."]),
            "pending": r.choice(["Testing incomplete; will re-evaluate in 4 weeks.",
                                 "Additional collateral information to be obtained."]),
        }[self.psych]
        text = "\n".join([
            r.choice(["Psychological Evaluation for Spinal Cord Stimulator Candidacy",
                      "Behavioral Medicine: Pre-SCS Psychological Evaluation",
                      "Pre-implant Psychology Assessment"]),
            f"Date of evaluation: {_d(day, r)}",
            "",
            "Reason for referral: pre-surgical psychological evaluation prior to neuromodulation.",
            f"Instruments: PHQ-9 = {r.randint(2, 18)}, GAD-7 = {r.randint(1, 15)}, PCS = {r.randint(8, 40)}.",
            "Psychiatric history: " + r.choice(["No prior psychiatric hospitalizations.",
                                                "Treated for depression in the past; stable on sertraline.",
                                                "Denies history of psychiatric treatment."]),
            "Substance use: " + r.choice(["Denies alcohol or illicit drug use.",
                                          "Drinks socially, 1-2 drinks per week.", "Former smoker."]),
            "Mental status: alert, oriented x4, casually dressed, cooperative; speech normal rate and volume; "
            "mood " + r.choice(["'frustrated'", "'okay'", "'tired of the pain'"]) + ", affect congruent; thought "
            "process linear; no suicidal or homicidal ideation; insight and judgment fair to good.",
            "Pain history and coping: " + r.choice([
                "Pain has limited work and social activities; uses pacing and distraction.",
                "Describes catastrophizing during flares but uses relaxation skills taught in pain school."]),
            "Social support: " + r.choice(["Supportive spouse and adult children.", "Lives alone; sister nearby."]),
            "Expectations are realistic; understands the device and the trial process.",
            "",
            "Impression: " + outcome,
            "",
            _closing(r),
        ])
        return r.choice(["Psychology Evaluation", "Behavioral Health Consult", "Psychological Assessment"]), text

    def trial_procedure(self, day: dt.date, length: int):
        r = self.r
        text = "\n".join([
            "PROCEDURE NOTE: Percutaneous spinal cord stimulator trial",
            f"Date: {_d(day, r)}",
            f"Indication: {r.choice(['FBSS', 'post-laminectomy syndrome', 'failed back surgery syndrome'])}.",
            f"Two 8-contact leads were placed via a {r.choice(['T12-L1', 'L1-2'])} approach to the top of "
            f"{r.choice(['T8', 'T9'])}. Paresthesia mapping covered the painful area.",
            "Consent: risks including infection, bleeding, lead migration, dural puncture and nerve injury were "
            "discussed and written consent obtained. Time-out performed.",
            "Technique: prone on the fluoroscopy table; sterile prep and drape; 1% lidocaine skin wheal; 14-gauge "
            "Tuohy needles advanced under AP and lateral fluoroscopy using loss of resistance; leads steered "
            "to midline and just left of midline.",
            "Impedances within normal limits. Leads anchored to skin and covered with sterile dressing.",
            "No complications. Estimated blood loss minimal.",
            "Device representative present for programming. Discharge instructions given; keep dressing dry.",
            f"Plan: {length}-day trial; follow up for lead removal.",
        ])
        return r.choice(["Procedure Note SCS Trial", "SCS Trial Lead Placement"]), text

    def trial_followup(self, placed: dt.date, day: dt.date, length: int):
        r = self.r
        before = r.randint(6, 9)
        after = max(0, round(before * (100 - self.relief) / 100))
        relief = r.choice([f"During the {length}-day SCS trial the patient reported {self.relief}% relief "
                           f"of leg pain.",
                           f"Reports approximately {self.relief}% pain relief with the stimulator trial.",
                           f"Trial results: pain decreased from {before}/10 to {after}/10 with the trial stimulator.",
                           f"SCS trial with {self.relief}% improvement in pain and better walking tolerance."])
        text = "\n".join([
            r.choice(["SCS trial follow-up", "Spinal cord stimulator trial - lead removal visit",
                      "Neuromodulation follow-up"]),
            f"Date: {_d(day, r)}. Trial leads placed {_d(placed, r)}.",
            "",
            relief,
            r.choice(["Sleep improved.", "Walking tolerance doubled.", "Reduced use of oxycodone."]),
            _meds(r, pain=True),
            _exam(r, 4),
            "Leads removed intact; site clean and dry.",
            "Plan: " + r.choice(["Proceed with permanent implant authorization.",
                                 "Discuss results; consider permanent system.",
                                 "Patient undecided about permanent implant."]),
            _closing(r),
        ])
        return r.choice(["SCS Trial Follow Up", "Stimulator Trial Visit"]), text

    def pre_implant(self, day: dt.date, pt_start: dt.date, pt_end: dt.date):
        r = self.r
        text = "\n".join([
            f"{self.clinic}",
            "Pre-implant visit",
            f"Interval history: seen after the SCS trial. {self._indication()}",
            f"Completed formal physical therapy {_d(pt_start, r)} through {_d(pt_end, r)}.",
            r.choice([f"Trial relief was {self.relief}%.", "Trial results reviewed."]),
            self._odi(self.odi[2]),
            _vitals(r),
            _meds(r, pain=True),
            _ros(r),
            _exam(r),
            "Plan: submit for permanent spinal cord stimulator implantation.",
            _closing(r),
        ])
        return r.choice(["Pain Management Progress Note", "Pain Clinic Follow-up"]), text


# --- irrelevant notes ----------------------------------------------------------------------------------
def flu_shot(r: random.Random, day: dt.date) -> tuple[str, str]:
    vaccine = r.choice(["influenza, quadrivalent", "influenza high-dose", "COVID-19 updated booster",
                        "Tdap", "pneumococcal PCV20", "zoster recombinant (dose 2)"])
    text = "\n".join([
        "Immunization visit",
        f"Vaccine: {vaccine}. Lot {r.randint(10000, 99999)}{r.choice('ABCDEFGH')}, "
        f"exp {_d(day + dt.timedelta(days=r.randint(90, 400)), r)}.",
        f"Site: {r.choice(['left', 'right'])} deltoid, IM, 0.5 mL.",
        "VIS given and reviewed. Screening questions negative. No prior reactions.",
        f"Observed {r.choice([15, 15, 30])} minutes without adverse reaction.",
        r.choice(["Patient tolerated well.", "Tolerated without complaint.", ""]),
    ])
    return r.choice(["Immunization", "Nurse Visit - Vaccine", "Flu Shot Clinic"]), text


def dermatology(r: random.Random, day: dt.date) -> tuple[str, str]:
    lesion = r.choice(["seborrheic keratosis", "actinic keratosis", "nummular eczema", "acne vulgaris",
                       "psoriasis vulgaris", "benign nevus", "basal cell carcinoma, nodular"])
    site = r.choice(["left forearm", "scalp", "upper back", "right cheek", "dorsal hands", "bilateral shins"])
    text = "\n".join([
        "DERMATOLOGY CLINIC NOTE",
        f"Date: {_d(day, r)}",
        f"CC: {r.choice(['spot of concern', 'rash', 'itchy skin', 'annual skin check'])}",
        f"HPI: {r.randint(18, 88)} y/o presenting with a lesion on the {site} present for "
        f"{r.randint(2, 30)} {r.choice(['weeks', 'months'])}. " +
        r.choice(["Not painful. Occasionally itchy.", "Bleeds when scratched.", "No change in size."]),
        _history(r),
        _ros(r, 4),
        _meds(r),
        f"Exam: {r.choice(['Stuck-on', 'Scaly', 'Erythematous', 'Pearly'])} {r.randint(3, 14)} mm "
        f"{r.choice(['papule', 'plaque', 'macule'])} on the {site}. Full skin exam otherwise unremarkable.",
        f"Assessment: {lesion}.",
        "Plan: " + r.choice(["Cryotherapy x2 cycles; wound care reviewed.", "Shave biopsy sent to pathology.",
                             "Triamcinolone 0.1% cream BID x 2 weeks.", "Reassurance; sun protection counseling."]),
        f"Follow-up in {r.choice([3, 6, 12])} months.",
        _closing(r),
    ])
    return r.choice(["Dermatology Office Visit", "Derm Clinic", "Dermatology Follow-up"]), text


def nursing(r: random.Random, day: dt.date) -> tuple[str, str]:
    lines = [f"{r.choice(['0700', '1100', '1500', '1900', '2300', '0300'])} Nursing shift assessment",
             "Neuro: alert and oriented x" + r.choice(["3", "4"]) + ".",
             "Cardiac: regular rate and rhythm. " + _vitals(r),
             "Resp: lungs clear bilaterally, no distress.",
             "GI: tolerating diet, abdomen soft. Last BM " + _d(day - dt.timedelta(days=r.randint(0, 2)), r) + ".",
             "Skin: intact; turned q2h. Braden " + str(r.randint(12, 22)) + ".",
             f"Pain: {r.randint(0, 6)}/10, " + r.choice(["acetaminophen given with relief.",
                                                          "repositioned, declined medication.",
                                                          "no intervention needed."]),
             "Lines: peripheral IV " + r.choice(["right", "left"]) + " forearm, patent, site clean; "
             + r.choice(["NS at 75 mL/h.", "saline locked."]),
             f"I/O: in {r.randint(600, 2200)} mL / out {r.randint(400, 2000)} mL this shift.",
             "Mobility: " + r.choice(["ambulated in hall with standby assist.", "up to chair with PT.",
                                      "bedrest per order."]),
             "Education: " + r.choice(["incentive spirometer use reviewed.", "diet teaching done.",
                                       "medication side effects reviewed."]),
             "Safety: bed low and locked, call light within reach, fall precautions.",
             r.choice(["Family at bedside, questions answered.", "Plan of care reviewed with patient.",
                       "Will continue to monitor."])]
    return r.choice(["Nursing Note", "RN Shift Assessment", "Nursing Progress Note"]), "\n".join(lines)


def dental(r: random.Random, day: dt.date) -> tuple[str, str]:
    tooth = r.randint(1, 32)
    text = "\n".join([
        "Dental visit",
        f"Date: {_d(day, r)}",
        f"Chief complaint: {r.choice(['routine cleaning', 'sensitivity to cold', 'broken filling', 'toothache'])}.",
        "Medical history reviewed: " + r.choice(["no changes", "new diagnosis of hypertension",
                                                 "on apixaban, no interruption needed"]) + ". Allergies reviewed.",
        f"Extraoral exam: {r.choice(['WNL', 'no lymphadenopathy, TMJ without clicking'])}. Intraoral soft tissue WNL.",
        f"Exam: tooth #{tooth} {r.choice(['with recurrent decay', 'sound', 'with fractured MO amalgam'])}. "
        f"Probing depths {r.randint(2, 4)}-{r.randint(4, 6)} mm. Gingiva {r.choice(['healthy', 'mildly inflamed'])}.",
        f"Radiographs: {r.choice(['4 BWX', 'FMX', 'PA of #' + str(tooth)])}, no periapical pathology.",
        "Treatment: " + r.choice(["Prophy, OHI, fluoride varnish.", f"Composite restoration #{tooth} under "
                                  f"local anesthesia (2% lidocaine 1:100k, 1 carpule).",
                                  "Scaling and root planing, two quadrants."]),
        f"Next visit: {r.choice(['6-month recall', 'crown prep', 'SRP other side'])}.",
        "Oral hygiene instructions given; electric toothbrush and interdental brushes recommended.",
    ])
    return r.choice(["Dental Progress Note", "Dentistry", "Dental Hygiene Visit"]), text


def ed_visit(r: random.Random, day: dt.date) -> tuple[str, str]:
    complaint, course = r.choice([
        ("right flank pain", "CT showed a 4 mm right UVJ stone. Ketorolac given with relief."),
        ("chest pain", "Troponins negative x2, ECG without ischemic changes."),
        ("ankle injury", "X-ray negative for fracture; Ottawa rules reviewed. ACE wrap, crutches."),
        ("fever and cough", "Chest X-ray with right lower lobe infiltrate; started on antibiotics."),
        ("laceration to hand", "Irrigated and repaired with 4 simple interrupted sutures."),
        ("abdominal pain", "Lipase normal, ultrasound without cholecystitis. Pain improved."),
        ("headache", "Neuro exam non-focal. Improved after IV fluids and metoclopramide."),
    ])
    text = "\n".join([
        "EMERGENCY DEPARTMENT PROVIDER NOTE",
        f"Arrival: {_d(day, r)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
        f"Chief complaint: {complaint}",
        f"HPI: {r.randint(18, 90)}-year-old presenting with {complaint} since "
        f"{r.choice(['this morning', 'yesterday', '3 days ago'])}. "
        + r.choice(["No recent travel.", "No sick contacts.", "Took ibuprofen without relief."]),
        "PMH: " + r.choice(["hypertension, hyperlipidemia", "asthma", "type 2 diabetes",
                            "lumbar fusion 2015, hypertension", "none"]) + ".",
        "Social history: " + r.choice(["Denies tobacco, alcohol or drug use.", "Smokes 1/2 ppd.",
                                       "Occasional alcohol. No drug use."]),
        _history(r),
        _meds(r),
        _ros(r),
        "Vitals: " + _vitals(r) + " " + r.choice(["Uncomfortable but nontoxic.", "Well-appearing, in no distress."]),
        _exam(r),
        "ED course: " + course,
        "Disposition: " + r.choice(["Discharged home with return precautions.", "Admitted to medicine.",
                                    "Discharged; follow up with primary care in 1 week."]),
        _closing(r),
    ])
    return r.choice(["ED Provider Note", "Emergency Department Visit", "ED Note"]), text


def primary_care(r: random.Random, day: dt.date) -> tuple[str, str]:
    text = "\n".join([
        r.choice(["Annual wellness visit", "Primary care follow-up", "Chronic disease management visit"]),
        f"Date: {_d(day, r)}",
        "",
        "Subjective: " + r.choice(["Here for follow-up of hypertension and diabetes. Feels well.",
                                   "Annual physical. No new complaints.",
                                   "Follow-up of hyperlipidemia; tolerating statin.",
                                   "Mild intermittent low back pain with yard work, resolves with rest."]),
        _history(r),
        _meds(r),
        "Social history: " + r.choice(["Married, works as a teacher. Never smoker.",
                                       "Retired. Walks daily. Drinks 2 glasses of wine weekly.",
                                       "Denies alcohol or drug use."]),
        _ros(r),
        "Vitals: " + _vitals(r),
        _exam(r),
        f"Labs: A1c {r.uniform(5.2, 9.4):.1f}%, LDL {r.randint(55, 190)}, creatinine {r.uniform(0.6, 1.6):.2f}.",
        "PHQ-2 negative. Fall risk screen negative.",
        "Assessment/Plan:",
        "1. " + r.choice(["Hypertension, controlled; continue current regimen.",
                          "Type 2 diabetes; A1c above goal, increase metformin.",
                          "Hyperlipidemia; continue atorvastatin."]),
        "2. Health maintenance: " + r.choice(["colonoscopy due next year", "mammogram ordered",
                                              "flu vaccine today", "up to date"]) + ".",
        f"Return in {r.choice([3, 6, 12])} months.",
        _closing(r),
    ])
    return r.choice(["Office Visit", "Primary Care Visit", "Internal Medicine Follow-up"]), text


IRRELEVANT: list[tuple[Callable, float]] = [(flu_shot, 0.15), (dermatology, 0.15), (nursing, 0.2), (dental, 0.1),
                                            (ed_visit, 0.15), (primary_care, 0.25)]


# --- the export -----------------------------------------------------------------------------------------
def iter_notes(n_notes: int, relevant: float = 0.1, seed: int = 0, buffer: int = 2000) -> Iterator[Note]:
    """`n_notes` notes, about `relevant` of them an SCS candidate's work-up, mixed by a bounded shuffle."""
    r = random.Random(seed)
    funcs, weights = zip(*IRRELEVANT)
    epoch = dt.date(2022, 1, 1)
    pool_size = max(1, int(n_notes * (1 - relevant) / 4))  # other patients: about four notes each
    queue: list[tuple[str, dt.date, str, str]] = []       # the current candidates' pending notes
    shuffle: list[Note] = []
    candidates = made = 0
    while made < n_notes:
        if relevant > 0 and r.random() < relevant:
            if not queue:
                cands = []
                for _ in range(8):  # a few candidates at a time, their notes interleaved
                    candidates += 1
                    c = Candidate(f"SCS{candidates:07d}", r, epoch + dt.timedelta(days=r.randint(0, 1000)))
                    cands += [(c.pid, *note) for note in c.notes()]
                queue = sorted(cands, key=lambda x: x[1], reverse=True)
            pid, day, ntype, text = queue.pop()
            rel = True
        else:
            func = r.choices(funcs, weights)[0]
            day = epoch + dt.timedelta(days=r.randint(0, 1200))
            ntype, text = func(r, day)
            pid = f"P{r.randrange(pool_size):07d}" if candidates == 0 or r.random() < 0.95 else \
                f"SCS{r.randint(1, candidates):07d}"
            rel = False
        made += 1
        shuffle.append(Note(pid, f"N{made:09d}", day, ntype, text, rel))
        if len(shuffle) >= buffer:
            yield shuffle.pop(r.randrange(len(shuffle)))
    r.shuffle(shuffle)
    yield from shuffle


def dense_note(n_chars: int, seed: int = 0) -> str:
    """One note of about `n_chars` made only of SCS work-up text, as a whole chart pasted into one
    records note: consults, PT, psych and trial notes of many candidates, each under its title and date."""
    r = random.Random(seed)
    parts, size, k = [], 0, 0
    while size < n_chars:
        k += 1
        c = Candidate(f"D{k:07d}", r, dt.date(2023, 1, 1) + dt.timedelta(days=r.randint(0, 300)))
        for day, ntype, text in c.notes():
            block = f"{ntype} -- {day.isoformat()}\n{text}\n\n"
            parts.append(block)
            size += len(block)
    return "".join(parts)[:n_chars]


def write_dense(path: str | Path, n_chars: int, seed: int = 0) -> Stats:
    """A one-note export (.csv) holding `dense_note(n_chars)`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dense_note(n_chars, seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerow(["DENSE0000001", "N000000001", "2024-06-01", "Outside Records", text])
    return Stats(1, 1, len(text), len(text), path.stat().st_size)


class Stats(NamedTuple):
    notes: int
    relevant: int
    chars: int
    relevant_chars: int
    bytes: int


def write_export(path: str | Path, n_notes: int, relevant: float = 0.1, seed: int = 0,
                 only_relevant: bool = False) -> Stats:
    """Stream the notes to `path` (format from its suffix); `only_relevant` keeps just the relevant ones."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.lower()
    notes = relevant_ = chars = rel_chars = 0
    rows = (n for n in iter_notes(n_notes, relevant, seed) if n.relevant or not only_relevant)
    if name.endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = pa.schema([(c, pa.string()) for c in COLUMNS])
        with pq.ParquetWriter(path, schema) as w:
            batch: list[Note] = []
            for n in rows:
                batch.append(n)
                notes, relevant_, chars = notes + 1, relevant_ + n.relevant, chars + len(n.text)
                rel_chars += len(n.text) if n.relevant else 0
                if len(batch) == 5000:
                    w.write_table(_arrow(batch, schema))
                    batch = []
            if batch:
                w.write_table(_arrow(batch, schema))
        return Stats(notes, relevant_, chars, rel_chars, path.stat().st_size)
    raw = gzip.open(path, "wt", encoding="utf-8", newline="") if name.endswith(".gz") else \
        open(path, "w", encoding="utf-8", newline="")
    with raw as f:
        jsonl = ".jsonl" in name or ".ndjson" in name
        writer = None if jsonl else csv.writer(f, delimiter="\t" if ".tsv" in name else ",")
        if writer:
            writer.writerow(COLUMNS)
        for n in rows:
            fields = [n.patient_id, n.note_id, n.note_date.isoformat(), n.note_type, n.text]
            if writer:
                writer.writerow(fields)
            else:
                f.write(json.dumps(dict(zip(COLUMNS, fields))) + "\n")
            notes, relevant_, chars = notes + 1, relevant_ + n.relevant, chars + len(n.text)
            rel_chars += len(n.text) if n.relevant else 0
    return Stats(notes, relevant_, chars, rel_chars, path.stat().st_size)


def _arrow(batch: list[Note], schema):
    import pyarrow as pa
    return pa.table({"patient_id": [n.patient_id for n in batch], "note_id": [n.note_id for n in batch],
                     "note_date": [n.note_date.isoformat() for n in batch],
                     "note_type": [n.note_type for n in batch], "text": [n.text for n in batch]}, schema=schema)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="export to write: .csv, .tsv, .jsonl (optionally .gz) or .parquet")
    p.add_argument("--notes", type=int, default=10_000, help="notes to generate (default 10000)")
    p.add_argument("--relevant", type=float, default=0.1, help="fraction of relevant notes (default 0.1)")
    p.add_argument("--only-relevant", action="store_true", help="write only the relevant notes")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if not 0 <= a.relevant <= 1:
        p.error("--relevant must be between 0 and 1")
    s = write_export(a.out, a.notes, a.relevant, a.seed, a.only_relevant)
    print(f"{a.out}: {s.notes} notes ({s.relevant} relevant), {s.chars} characters, {s.bytes} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
