"""One patient's review row: every criterion of the policy scored, and the determination."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from pipeline.records import Mention
from pipeline.scoring.scorers import SCORERS


def determination(statuses: Sequence[str]) -> str:
    if "not_met" in statuses:
        return "criteria_not_met"
    if "insufficient" in statuses:
        return "insufficient_documentation"
    return "criteria_met"


def score_patient(patient_id: str, review_date: dt.date, mentions: Sequence[Mention], policy) -> tuple[dict, set]:
    """One review row for a patient, and the indices (into `mentions`) of the mentions it used."""
    by_criterion: dict[str, list] = {}
    for i, m in enumerate(mentions):
        by_criterion.setdefault(m.criterion, []).append((i, m))
    row = {"patient_id": patient_id, "review_date": review_date}
    statuses, missing, used = [], [], set()
    for c in policy.criteria:
        result = SCORERS[c.scorer].func(by_criterion.get(c.name, []), review_date, c.params, c.name)
        row.update(result.columns)
        statuses.append(result.status)
        used |= result.used
        if result.status == "insufficient":
            missing.append(c.name)
    row["determination"] = determination(statuses)
    row["missing"] = ";".join(missing)
    return row, used
