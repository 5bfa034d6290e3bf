"""One patient's review row: every criterion of the policy scored, and the determination."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from pipeline.records import Mention
from pipeline.scoring.routing import case_reasons, route, summary
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
    statuses, missing, used, scored = [], [], set(), []
    for c in policy.criteria:
        ms = by_criterion.get(c.name, [])
        result = SCORERS[c.scorer].func(ms, review_date, c.params, c.name)
        row.update(result.columns)
        statuses.append(result.status)
        used |= result.used
        if result.status == "insufficient":
            missing.append(c.name)
        scored.append((c, ms, result))
    row["determination"] = determination(statuses)
    row["missing"] = ";".join(missing)
    reasons = case_reasons([(c.name, _title(c), ms, result, c.review_margin, c.threshold) for c, ms, result in scored],
                           review_date)
    row["route"] = route(row["determination"], reasons)
    row["review_reasons"] = ";".join(dict.fromkeys(f"{r.criterion}:{r.code}" for r in reasons))
    row["summary"] = summary([(c.name, _title(c), ms, result, _requirement(c), _value_column(c))
                              for c, ms, result in scored], reasons)
    return row, used


def _title(c) -> str:
    return SCORERS[c.scorer].facts.title or c.name


def _requirement(c) -> str:
    facts = SCORERS[c.scorer].facts
    return facts.requirement(c.params) if facts.requirement else (c.description or c.name)


def _value_column(c) -> str | None:
    cols = [k for k in SCORERS[c.scorer].facts.columns if not k.endswith(("_note_id", "_date"))]
    return cols[0] if cols else None
