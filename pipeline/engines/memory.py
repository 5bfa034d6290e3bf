"""The whole review in memory: notes DataFrame in, review and evidence DataFrames out.

`pipeline.review(notes_df)` is what an analyst calls in a notebook; the CLI's
`run` calls the same function and writes its tables to a folder.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Mapping

import pandas as pd

from pipeline.io.exports import REJECT_COLUMNS, validate
from pipeline.extract.notes import extract
from pipeline.scoring.policy import Policy, load_policy
from pipeline.records import Note
from pipeline.io.scratch import PatientTally
from pipeline.engines.tables import ReviewResult, run_record, score_cases


def _notes(df: pd.DataFrame) -> list[Note]:
    return [Note(p, n, d, t, x) for p, n, d, t, x in
            zip(df["patient_id"], df["note_id"], df["note_date"], df["note_type"], df["text"])]


def review_arguments(policy, cases, review_date) -> tuple[Policy, dict | None, dt.date | None]:
    """The arguments every engine takes, in one form: a Policy, cases as {patient_id: date}, a date."""
    from pipeline.io.dates import parse_date
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
    mentions = list(extract(notes, patterns_dir, criteria=pol.criterion_names))
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


