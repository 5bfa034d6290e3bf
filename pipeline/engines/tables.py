"""The tables every engine returns: the review and evidence frames, the run record, the result.

Shared by the in-memory, batch and distributed engines and read by the outputs; it imports no nlp,
so writing or rebuilding outputs does not load spaCy.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Mapping, NamedTuple

import pandas as pd

from pipeline.about import __version__
from pipeline.records import EVIDENCE_COLUMNS, Mention
from pipeline.scoring.contract import NUMERIC_COLUMNS, REVIEW_COLUMNS
from pipeline.scoring.patient import score_patient
from pipeline.scoring.policy import Policy


class ReviewResult(NamedTuple):
    review: pd.DataFrame
    evidence: pd.DataFrame
    rejected: pd.DataFrame
    run: dict

    def parts(self, evidence: bool = True) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
        """The review and evidence tables a range of patients at a time, in order: what the outputs are
        written from. In memory that is one range, all of it; a batch run's result (`batch.StagedResult`)
        keeps its ranges on disk. Without `evidence`, only the review parts are read (None beside each)."""
        yield self.review, (self.evidence if evidence else None)

    def rejected_parts(self) -> Iterator[pd.DataFrame]:
        """The rejected rows in parts, as `parts()` gives the tables: here one part, all of them."""
        yield self.rejected


def run_record(policy: Policy, rows_read: int, notes_processed: int, rows_rejected: int,
               tables: Iterable[tuple[pd.DataFrame, pd.DataFrame]], timings: dict, **extra) -> dict:
    """run.json: counts in/out/rejected, timings, package version, policy name and hash.

    `tables` are the result's (review, evidence) parts (`ReviewResult.parts`), counted one after the other."""
    cases = mentions = used = 0
    determinations: dict[str, int] = {}
    for review_df, evidence_df in tables:
        cases, mentions = cases + len(review_df), mentions + len(evidence_df)
        used += int(evidence_df["used"].sum())
        for d, k in review_df["determination"].value_counts().items():
            determinations[d] = determinations.get(d, 0) + int(k)
    return {
        "package": "scs-abstract", "version": __version__,
        "policy": {"name": policy.name, "path": policy.path, "sha256": policy.sha256, "source": policy.source},
        "counts": {"rows_read": rows_read, "notes_processed": notes_processed, "rows_rejected": rows_rejected,
                   "cases": cases, "mentions": mentions, "mentions_used": used},
        "determinations": dict(sorted(determinations.items(), key=lambda dk: (-dk[1], dk[0]))),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        **extra,
    }


def score_cases(mentions: list, dates: Mapping[str, dt.date], policy: Policy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every case in `dates` from its mentions: the review table and the evidence (with `used`)."""
    by_patient: dict[str, list] = {}
    for m in mentions:
        by_patient.setdefault(m.patient_id, []).append(m)
    rows, evidence = [], []
    for pid in sorted(dates):
        ms = by_patient.get(pid, [])
        row, used = score_patient(pid, dates[pid], ms, policy)
        rows.append(row)
        evidence += [(m, i in used) for i, m in enumerate(ms)]
    return _review_frame(rows), _evidence_frame(evidence)


def patient_ranges(cases: Iterable[tuple], max_mentions: int, max_cases: int) -> Iterator[list[tuple]]:
    """Cases, given in patient order as (patient_id, mentions, ...) tuples, cut into ranges of at most
    `max_mentions` mentions and `max_cases` cases (a patient with more mentions than that is a range
    alone): the unit large runs are scored, written and read back in, so that memory holds one range
    whatever the export's size. Always at least one range, empty when there are no cases."""
    batch: list[tuple] = []
    n = 0
    for case in cases:
        if batch and (n + case[1] > max_mentions or len(batch) >= max_cases):
            yield batch
            batch, n = [], 0
        batch.append(case)
        n += case[1]
    yield batch


def _review_frame(rows: list[dict]) -> pd.DataFrame:
    """The review table from row dicts."""
    df = pd.DataFrame(rows)
    extra = [c for c in df.columns if c not in REVIEW_COLUMNS]
    df = df.reindex(columns=REVIEW_COLUMNS + extra)
    for c in NUMERIC_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def _evidence_frame(evidence: list) -> pd.DataFrame:
    """Mentions (with whether the scorer used each) as the evidence table."""
    df = pd.DataFrame.from_records([(*m, used) for m, used in evidence], columns=[*Mention._fields, "used"])
    df = df.reindex(columns=EVIDENCE_COLUMNS)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for c in ("negated", "hypothetical", "historical", "family", "used"):
        df[c] = df[c].astype(bool)
    return df
