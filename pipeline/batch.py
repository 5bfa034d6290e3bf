"""Batch runs over whole exports: streamed in chunks, extracted in worker processes, resumable.

The input is read a chunk at a time and each chunk's notes are validated and
extracted (the per-note work, no patient context needed); a finished chunk's
mentions are saved under OUT/.work/ so an interrupted run resumes from its last
finished chunk. When every chunk is done, mentions are grouped by patient and
scored. The review table does not depend on the chunk size or the worker count.

Memory stays bounded by the chunk size while reading and extracting: a finished
chunk's mentions live in its checkpoint file, not in memory. Scoring reads them
back one range of patients at a time (at most BUCKET_MENTIONS mentions at once);
the review and evidence tables it returns are what stays.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

import pandas as pd

from . import __version__
from .exports import REJECT_COLUMNS, NoteIdIndex, input_size, iter_chunks, validate
from .extract import extract
from .nlp import default_patterns_dir
from .policy import Policy, load_policy
from .records import Mention, Note
from .review import ReviewResult, review_dates, run_record

WORK_DIR = ".work"
BUCKET_MENTIONS = 200_000  # mentions scored at a time (a range of patients)
TASK_NOTES = 500           # notes per task sent to a worker process (a chunk is split into tasks)


class ChunkResult(NamedTuple):
    """What a finished chunk leaves behind: everything scoring needs, and no note text but the evidence."""
    index: int
    mentions: list  # in a checkpoint file; in a run's in-memory summary, just their count
    rejected: pd.DataFrame
    rows_read: int
    notes_processed: int
    latest_note: dict  # patient_id -> latest note_date in this chunk


def _rules_fingerprint(patterns_dir: str | None) -> str:
    h = hashlib.sha256()
    pdir = Path(patterns_dir or default_patterns_dir())
    for p in sorted(pdir.rglob("*.json")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def _fingerprint(notes_path: Path, chunk_size: int, columns: Mapping, patterns_dir: str | None) -> dict:
    """What must not change between an interrupted run and its resumption."""
    st = notes_path.stat()
    return {"input": str(notes_path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "chunk_size": chunk_size, "columns": dict(sorted((columns or {}).items())),
            "rules": _rules_fingerprint(patterns_dir), "version": __version__}


def clear_checkpoints(out_dir: str | Path) -> None:
    shutil.rmtree(Path(out_dir) / WORK_DIR, ignore_errors=True)


def _extract_chunk(notes: list[Note], patterns_dir: str | None) -> list[Mention]:
    return list(extract(notes, patterns_dir))


def _tasks(notes: list[Note], workers: int) -> list[list[Note]]:
    """A chunk's notes cut into tasks of about TASK_NOTES, so the workers stay evenly busy to the end."""
    n = max(1, min(TASK_NOTES, -(-len(notes) // workers)))
    return [notes[k:k + n] for k in range(0, len(notes), n)] or [[]]


def _warm(patterns_dir: str | None) -> None:
    """Build the nlp once per worker process, before the first chunk arrives.

    On Linux the worker also asks to be ended when the main process dies (even by
    SIGKILL), so a killed run leaves no workers behind holding memory.
    """
    _die_with_parent()
    from .nlp import cached_nlp
    cached_nlp(patterns_dir)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _save(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Progress:
    """Notes done, notes/s and ETA on stderr; silent when stderr is not a terminal or when quiet."""

    def __init__(self, total_bytes: int, quiet: bool = False):
        from tqdm import tqdm
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar = tqdm(total=total_bytes, unit="B", unit_scale=True, disable=not self.enabled,
                        desc="scs-abstract", file=sys.stderr, dynamic_ncols=True)
        self.notes, self.t0, self.done_bytes = 0, time.perf_counter(), 0

    def update(self, notes: int, bytes_done: int) -> None:
        self.notes += notes
        self.bar.update(max(bytes_done - self.done_bytes, 0))
        self.done_bytes = max(bytes_done, self.done_bytes)
        rate = self.notes / max(time.perf_counter() - self.t0, 1e-9)
        self.bar.set_postfix(notes=self.notes, notes_s=f"{rate:.0f}", refresh=False)

    def close(self) -> None:
        self.bar.close()


def run_batch(notes_path: str | Path, out_dir: str | Path, *, cases: Mapping[str, dt.date] | None = None,
              review_date: dt.date | None = None, policy: Policy | str | None = None,
              columns: Mapping[str, str] | None = None, patterns_dir: str | None = None,
              chunk_size: int = 5000, workers: int = 1, resume: bool = False, quiet: bool = False) -> ReviewResult:
    """Review a whole export on this machine; returns the same tables as `pipeline.review`."""
    t0 = time.perf_counter()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    notes_path = Path(notes_path)
    work = Path(out_dir) / WORK_DIR
    fingerprint = _fingerprint(notes_path, chunk_size, columns or {}, patterns_dir)
    manifest = work / "manifest.json"
    if not (resume and manifest.exists() and json.loads(manifest.read_text()) == fingerprint):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(fingerprint, indent=1))
        os.replace(tmp, manifest)  # a run killed here leaves no half-written manifest for --resume to trip on
    # keep only each chunk's summary in memory; its mentions are in its checkpoint file
    summaries: dict[int, ChunkResult] = {}
    latest: dict = {}
    for i, r in _run_chunks(notes_path, work, columns, patterns_dir, chunk_size, workers, quiet):
        summaries[i] = r._replace(mentions=len(r.mentions), latest_note={})
        for p, d in r.latest_note.items():
            if p not in latest or d > latest[p]:
                latest[p] = d
    ordered = [summaries[i] for i in sorted(summaries)]
    t1 = time.perf_counter()
    dates = review_dates(latest, cases, review_date)
    del latest
    review_df, evidence_df = _score(work, ordered, dates, pol)
    rejected = pd.concat([r.rejected for r in ordered if len(r.rejected)] or [pd.DataFrame(columns=REJECT_COLUMNS)],
                         ignore_index=True)
    t2 = time.perf_counter()
    run = run_record(pol, sum(r.rows_read for r in ordered), sum(r.notes_processed for r in ordered), rejected,
                     review_df, evidence_df, {"read_extract": t1 - t0, "score": t2 - t1},
                     chunks=len(ordered), chunk_size=chunk_size, workers=workers)
    return ReviewResult(review_df, evidence_df, rejected.reindex(columns=REJECT_COLUMNS), run)


def _chunk_mentions(work: Path, i: int) -> list[Mention]:
    return pickle.loads((work / f"chunk-{i:06d}.pkl").read_bytes()).mentions


def _score(work: Path, chunks: list[ChunkResult], dates: Mapping[str, dt.date], pol: Policy):
    """`review.score_cases` over the checkpointed mentions, one range of patients at a time.

    The cases are cut into ranges of sorted patient ids (at most BUCKET_MENTIONS mentions each),
    so the ranges' evidence, one after the other, is in the order `score_cases` gives; the review
    rows are collected and framed once, so the table (columns, dtypes) is the one `score_cases` makes.
    Only one range's mentions are in memory at a time.
    """
    from .review import _evidence_frame, _review_frame
    total = sum(r.mentions for r in chunks)
    pids = sorted(dates)
    size = -(-len(pids) // max(1, -(-total // BUCKET_MENTIONS))) or 1
    keys, rows, frames = None, [], []
    for k in range(0, len(pids), size):
        rs, frame = _score_range(work, [r.index for r in chunks], (pids[k], pids[min(k + size, len(pids)) - 1]),
                                 dates, pol)
        for row in rs:  # kept as tuples (a third of a dict's memory) while every row has the same columns
            keys = tuple(row) if keys is None else keys
            rows.append(tuple(row.values()) if tuple(row) == keys else row)
        if len(frame):
            frames.append(frame)
    evidence_df = pd.concat(frames, ignore_index=True) if frames else _evidence_frame([])
    del frames
    if all(type(r) is tuple for r in rows):
        return _review_frame(rows, keys), evidence_df
    return _review_frame([dict(zip(keys, r)) if type(r) is tuple else r for r in rows]), evidence_df


def _score_range(work: Path, chunk_indexes: list[int], pid_range: tuple[str, str], dates: Mapping[str, dt.date],
                 pol: Policy) -> tuple[list[dict], pd.DataFrame]:
    """The review rows and evidence of the patients from pid_range[0] to pid_range[1] (sorted ids)."""
    from .review import _evidence_frame
    from .scoring import score_patient
    first, last = pid_range
    by_patient: dict[str, list] = {}
    for i in chunk_indexes:
        for m in _chunk_mentions(work, i):
            if first <= m.patient_id <= last:
                by_patient.setdefault(m.patient_id, []).append(m)
    rows, evidence = [], []
    for pid in sorted(p for p in dates if first <= p <= last):
        ms = by_patient.get(pid, [])
        row, used = score_patient(pid, dates[pid], ms, pol)
        rows.append(row)
        evidence += [(m, i in used) for i, m in enumerate(ms)]
    return rows, _evidence_frame(evidence)


def _chunk_notes(chunks: Iterable, source: str, columns) -> Iterable[tuple[int, int, list[Note], object]]:
    seen = NoteIdIndex()
    for i, c in enumerate(chunks):
        read = validate(c.frame, source, dict(columns or {}), c.row_offset, seen)
        notes = [Note(p, n, d, t, x) for p, n, d, t, x in zip(read.notes["patient_id"], read.notes["note_id"],
                                                              read.notes["note_date"], read.notes["note_type"],
                                                              read.notes["text"])]
        yield i, c.bytes_done, notes, read


def _summary(i: int, notes: list[Note], read, mentions: list) -> ChunkResult:
    latest: dict = {}
    for n in notes:
        latest[n.patient_id] = max(n.note_date, latest.get(n.patient_id, n.note_date))
    return ChunkResult(i, mentions, read.rejected, read.rows_read, len(notes), latest)


def _run_chunks(notes_path: Path, work: Path, columns, patterns_dir, chunk_size: int, workers: int, quiet: bool):
    """(index, ChunkResult) for every chunk, extracting only the ones not already saved."""
    progress = Progress(input_size(notes_path), quiet)
    source = str(notes_path)
    chunks = _chunk_notes(iter_chunks(notes_path, chunk_size), source, columns)
    try:
        if workers <= 1:
            for i, done_bytes, notes, read in chunks:
                path = work / f"chunk-{i:06d}.pkl"
                if path.exists():
                    result = pickle.loads(path.read_bytes())
                else:
                    result = _summary(i, notes, read, _extract_chunk(notes, patterns_dir))
                    _save(path, result)
                progress.update(len(notes), done_bytes)
                yield i, result
            return
        import multiprocessing as mp
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                 initializer=_warm, initargs=(patterns_dir,)) as pool:
            pending = {}
            for i, done_bytes, notes, read in chunks:
                path = work / f"chunk-{i:06d}.pkl"
                if path.exists():
                    progress.update(len(notes), done_bytes)
                    yield i, pickle.loads(path.read_bytes())
                    continue
                futures = [pool.submit(_extract_chunk, task, patterns_dir) for task in _tasks(notes, workers)]
                pending[i] = (futures, notes, read, done_bytes)
                while len(pending) >= 2 * workers:  # bounded: at most two chunks per worker in memory
                    yield _finish(pending, min(pending), work, progress)
            while pending:
                yield _finish(pending, min(pending), work, progress)
    finally:
        progress.close()


def _finish(pending: dict, i: int, work: Path, progress: Progress):
    futures, notes, read, done_bytes = pending.pop(i)
    result = _summary(i, notes, read, [m for f in futures for m in f.result()])
    _save(work / f"chunk-{i:06d}.pkl", result)
    progress.update(len(notes), done_bytes)
    return i, result
