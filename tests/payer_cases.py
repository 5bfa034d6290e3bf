"""Small synthetic charts built to separate the payer policies (all text invented).

Every case is the same three notes (pain consult, psychology evaluation, trial follow-up)
with one thing changed, so each case isolates one criterion.
"""
import pandas as pd

REVIEW_DATE = "2025-03-31"

BASE = dict(
    conservative="Failed conservative management for 2 years.",
    odi="ODI 40% today.",
    pt="He completed 8 weeks of physical therapy this fall.",
    psych_extra="No substance use disorder.",
    psych="Recommendation: Cleared for SCS from a psychological standpoint.",
    length="S: 7-day SCS trial complete, leads removed today.",
    relief="Pt reports 70% pain relief with the SCS trial.",
    analgesic="",
)

# case -> what differs from BASE
CASES = {
    "ALL-MET": {},
    "NO-ODI": dict(odi=""),
    "RELIEF40-ANALGESIC60": dict(relief="Pt reports 40% pain relief with the SCS trial.",
                                 analgesic="During the trial he used 60% less oxycodone."),
    "TRIAL-48H": dict(length="S: 48-hour SCS trial complete, leads removed today."),
    "TRIAL-10D": dict(length="Trial placed 2/28, removed 3/10."),
    "CONSERVATIVE-4MO": dict(conservative="Failed conservative care x 4 months."),
    "ACTIVE-SUD": dict(psych_extra="Alcohol use disorder, active, not in treatment."),
    "NO-TRIAL-YET": dict(length="", relief="SCS trial requested; not yet scheduled."),
}

# case -> policy -> (determination, missing)
EXPECTED = {
    "ALL-MET": {p: ("criteria_met", "") for p in
                ("scs-permanent", "aetna-cpb-0194", "cigna-evicore-cmm-211", "medicare-l37632", "scs-trial")},
    "NO-ODI": {"scs-permanent": ("insufficient_documentation", "odi"),
               "aetna-cpb-0194": ("insufficient_documentation", "odi"),
               "cigna-evicore-cmm-211": ("criteria_met", ""),          # no ODI requirement
               "medicare-l37632": ("criteria_met", ""),
               "scs-trial": ("insufficient_documentation", "odi")},
    "RELIEF40-ANALGESIC60": {"scs-permanent": ("criteria_not_met", ""),
                             "aetna-cpb-0194": ("criteria_not_met", ""),
                             "cigna-evicore-cmm-211": ("criteria_not_met", ""),
                             "medicare-l37632": ("criteria_met", ""),   # relief OR analgesic reduction
                             "scs-trial": ("criteria_met", "")},        # trial results not asked
    "TRIAL-48H": {"scs-permanent": ("criteria_met", ""),
                  "aetna-cpb-0194": ("criteria_not_met", ""),           # under 3 days
                  "cigna-evicore-cmm-211": ("criteria_not_met", ""),    # not longer than 48 hours
                  "medicare-l37632": ("criteria_met", ""),
                  "scs-trial": ("criteria_met", "")},
    "TRIAL-10D": {"scs-permanent": ("criteria_met", ""),
                  "aetna-cpb-0194": ("criteria_not_met", ""),           # over 7 days
                  "cigna-evicore-cmm-211": ("criteria_met", ""),
                  "medicare-l37632": ("criteria_met", ""),
                  "scs-trial": ("criteria_met", "")},
    "CONSERVATIVE-4MO": {"scs-permanent": ("criteria_met", ""),
                         "aetna-cpb-0194": ("criteria_not_met", ""),    # under 6 months
                         "cigna-evicore-cmm-211": ("criteria_not_met", ""),
                         "medicare-l37632": ("criteria_met", ""),       # tried and failed is enough
                         "scs-trial": ("criteria_met", "")},
    "ACTIVE-SUD": {"scs-permanent": ("criteria_met", ""),
                   "aetna-cpb-0194": ("criteria_not_met", ""),          # untreated substance use disorder
                   "cigna-evicore-cmm-211": ("criteria_met", ""),
                   "medicare-l37632": ("criteria_met", ""),
                   "scs-trial": ("criteria_met", "")},
    "NO-TRIAL-YET": {"scs-permanent": ("insufficient_documentation", "trial"),
                     "aetna-cpb-0194": ("insufficient_documentation", "trial;trial_length"),
                     "cigna-evicore-cmm-211": ("insufficient_documentation", "trial;trial_length"),
                     "medicare-l37632": ("insufficient_documentation", "trial"),
                     "scs-trial": ("criteria_met", "")},                # the trial-stage review
}


def case_notes(pid, **changes):
    v = {**BASE, **changes}
    return [
        (pid, f"{pid}-N1", "2025-01-10", "Pain Management Consultation",
         "HPI: 58M with failed back surgery syndrome after L4-S1 fusion, persistent low back and leg pain.\n"
         f"{v['conservative']}\n{v['odi']}\n{v['pt']}"),
        (pid, f"{pid}-N2", "2025-02-03", "Psychology Pre-SCS Evaluation",
         f"Psychology pre-SCS evaluation.\n{v['psych_extra']}\n{v['psych']}"),
        (pid, f"{pid}-N3", "2025-03-10", "SCS Trial Follow-up",
         f"SCS trial follow-up.\n{v['length']}\n{v['relief']}\n{v['analgesic']}"),
    ]


def notes_frame(cases=None) -> pd.DataFrame:
    cases = CASES if cases is None else cases
    rows = [r for pid, changes in cases.items() for r in case_notes(pid, **changes)]
    return pd.DataFrame(rows, columns=["patient_id", "note_id", "note_date", "note_type", "text"])


def cases_frame(cases=None) -> pd.DataFrame:
    cases = CASES if cases is None else cases
    return pd.DataFrame({"patient_id": list(cases), "review_date": REVIEW_DATE})
