"""The phrasing-family matrix: one-note charts, each read for one criterion, scored as right, missed,
wrong or invented.

A matrix row is a short note written for one criterion (`odi`, `trial`, `pt`, `psych`, `indication`),
a family of wordings (`untyped_numbers`, `shapes`, `wordings`, `meaning`), a kind (`read`: a value a
careful abstractor reads; `trap`: text that must not give that reading) and the expected field:
the ODI or relief percent (empty: none documented), `status|weeks` for PT, the psych clearance, the
indication status. Every row is run as its own one-note chart, so a value can come only from its text.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Iterable, NamedTuple

import pandas as pd

NOTE_DATE, REVIEW_DATE = dt.date(2025, 6, 15), dt.date(2025, 7, 1)
TOLERANCE = {"odi": 1.0, "trial": 1.0, "pt": 1.0}  # the audit's: points, points, weeks
NOTHING = {"odi": "", "trial": "", "pt": "insufficient|", "psych": "none_found", "indication": "insufficient"}
OUTCOMES = ("right", "missed", "wrong", "invented")


class Row(NamedTuple):
    id: str
    criterion: str
    family: str
    kind: str
    text: str
    expected: str
    comment: str = ""


KNOWN_MISSES = "known_misses.csv"


def matrix_files(folder: str | Path) -> list[Path]:
    """The matrix CSVs of a folder (every CSV but the list of known misses)."""
    return sorted(p for p in Path(folder).glob("*.csv") if p.name != KNOWN_MISSES)


def read_matrix(paths: Iterable[str | Path]) -> list[Row]:
    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows.append(Row(*(r.get(k, "") or "" for k in Row._fields)))
    return rows


def _number(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if f != f else f"{f:.1f}"


def reading(criterion: str, review_row: pd.Series) -> str:
    """What the review table says about the row's criterion, in the matrix's notation."""
    if criterion == "odi":
        return _number(review_row["odi_score"])
    if criterion == "trial":
        return _number(review_row["trial_relief_pct"])
    if criterion == "pt":
        return f"{review_row['pt_status']}|{_number(review_row['pt_weeks'])}"
    if criterion == "psych":
        return str(review_row["psych_clearance"])
    return str(review_row["indication_status"])


def _same(criterion: str, expected: str, got: str) -> bool:
    if criterion in ("odi", "trial"):
        if not expected or not got:
            return expected == got
        return abs(float(expected) - float(got)) <= TOLERANCE[criterion]
    if criterion == "pt":
        (es, ew), (gs, gw) = expected.split("|", 1), got.split("|", 1)
        return es == gs and (ew == gw or bool(ew and gw and abs(float(ew) - float(gw)) <= TOLERANCE["pt"]))
    return expected.strip().lower() == got.strip().lower()


def outcome(row: Row, got: str) -> str:
    """right; missed (nothing read where there is a value); wrong (another value); invented (a value
    read where the text documents none)."""
    expected = row.expected.strip()
    if _same(row.criterion, expected, got):
        return "right"
    nothing = NOTHING[row.criterion]
    if expected == nothing:
        return "invented"
    return "missed" if got == nothing else "wrong"


def evaluate(rows: list[Row], policy=None) -> pd.DataFrame:
    """Every row run as its own one-note chart: the row, what was read, and the outcome."""
    from pipeline.engines.memory import review

    notes = pd.DataFrame({"patient_id": [r.id for r in rows], "note_id": [f"{r.id}-N1" for r in rows],
                          "note_date": NOTE_DATE.isoformat(), "note_type": "", "text": [r.text for r in rows]})
    cases = pd.DataFrame({"patient_id": [r.id for r in rows], "review_date": REVIEW_DATE.isoformat()})
    table = review(notes, cases=cases, policy=policy).review.set_index("patient_id")
    got = [reading(r.criterion, table.loc[r.id]) for r in rows]
    return pd.DataFrame({**{k: [getattr(r, k) for r in rows] for k in Row._fields}, "got": got,
                         "outcome": [outcome(r, g) for r, g in zip(rows, got)]})


def family_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per criterion and family: values read of those to read, traps passed, and values invented."""
    out = []
    for (crit, fam), g in results.groupby(["criterion", "family"], sort=True):
        reads, traps = g[g["kind"] == "read"], g[g["kind"] == "trap"]
        out.append({"criterion": crit, "family": fam,
                    "read": f"{(reads['outcome'] == 'right').sum()}/{len(reads)}",
                    "recall_pct": round(100.0 * (reads["outcome"] == "right").mean(), 1) if len(reads) else None,
                    "traps_right": f"{(traps['outcome'] == 'right').sum()}/{len(traps)}",
                    "invented": int((g["outcome"] == "invented").sum()),
                    "wrong_value": int((g["outcome"] == "wrong").sum())})
    return pd.DataFrame(out)
