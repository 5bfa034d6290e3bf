"""The whole review in memory: notes DataFrame in, review and evidence DataFrames out.

`pipeline.review(notes_df)` is what an analyst calls in a notebook; the CLI's
`run` calls the same function and writes its tables to a folder.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Iterable, Iterator, Mapping, NamedTuple

import pandas as pd

from . import __version__
from .exports import REJECT_COLUMNS, validate
from .extract import extract
from .policy import Policy, load_policy
from .records import EVIDENCE_COLUMNS, Mention, Note
from .scratch import PatientTally
from .scoring import REVIEW_COLUMNS, score_patient


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


def _notes(df: pd.DataFrame) -> list[Note]:
    return [Note(p, n, d, t, x) for p, n, d, t, x in
            zip(df["patient_id"], df["note_id"], df["note_date"], df["note_type"], df["text"])]


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


def review_arguments(policy, cases, review_date) -> tuple[Policy, dict | None, dt.date | None]:
    """The arguments every engine takes, in one form: a Policy, cases as {patient_id: date}, a date."""
    from .dates import parse_date
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    if isinstance(cases, pd.DataFrame):
        cases = {str(p): parse_date(str(d)) for p, d in zip(cases["patient_id"], cases["review_date"])}
    if isinstance(review_date, str):
        review_date = parse_date(review_date)
    return pol, cases, review_date


def review(notes_df: pd.DataFrame, cases: Mapping[str, dt.date] | pd.DataFrame | None = None,
           policy: Policy | str | None = None, review_date: dt.date | str | None = None,
           columns: dict[str, str] | None = None, patterns_dir: str | None = None,
           source: str = "<DataFrame>") -> ReviewResult:
    """Abstract every case in `notes_df` and score it against `policy` (default: scs-permanent).

    `cases` maps patient_id to review date (or is a DataFrame with patient_id, review_date);
    when given, it decides which cases are reviewed.
    """
    t0 = time.perf_counter()
    pol, cases, review_date = review_arguments(policy, cases, review_date)
    read = validate(notes_df, source, columns)
    t1 = time.perf_counter()
    notes = _notes(read.notes)
    mentions = list(extract(notes, patterns_dir))
    t2 = time.perf_counter()
    tally = PatientTally()  # the rules a batch run follows for which cases are reviewed, and when
    tally.add(read.notes.groupby("patient_id")["note_date"].max().to_dict() if len(read.notes) else {}, {})
    dates = {pid: day for pid, _, day in tally.cases(cases, review_date)}
    tally.close()
    review_df, evidence_df = score_cases(mentions, dates, pol)
    t3 = time.perf_counter()
    run = run_record(pol, read.rows_read, len(notes), len(read.rejected), [(review_df, evidence_df)],
                     {"validate": t1 - t0, "extract": t2 - t1, "score": t3 - t2})
    return ReviewResult(review_df, evidence_df, read.rejected.reindex(columns=REJECT_COLUMNS), run)


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
    for c in ("odi_score", "trial_relief_pct", "pt_weeks"):
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
