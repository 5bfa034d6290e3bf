"""Batch runs over whole exports: streamed in chunks, extracted in worker processes, resumable.

The input is read a chunk at a time and each chunk's notes are validated and
extracted (the per-note work, no patient context needed); a finished chunk's
mentions are saved under OUT/.work/ so an interrupted run resumes from its last
finished chunk. When every chunk is done, mentions are grouped by patient and
scored. The review table does not depend on the chunk size or the worker count.

Memory stays bounded by the chunk size while reading and extracting: a finished
chunk's mentions live in its checkpoint file and its rejected rows in a file of
their own, not in memory. Scoring sorts the mentions into ranges of patients (at
most BUCKET_MENTIONS mentions, RANGE_CASES cases) and saves each range's review and
evidence tables to disk, where the outputs are written from, a range at a time.
What grows with the export, the note_ids seen (duplicates) and per patient the
latest note date and mention count, is kept in sqlite files there too
(`pipeline.scratch`), so memory does not depend on the export's size.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator, Mapping, NamedTuple

import pandas as pd

from pipeline.about import __version__
from pipeline.io.exports import REJECT_COLUMNS, Chunk, input_size, iter_chunks, validate
from pipeline.io.line_tables import reassemble
from pipeline.extract.notes import extract
from pipeline.resources import default_patterns_dir
from pipeline.scoring.policy import Policy, load_policy
from pipeline.records import Mention, Note
from pipeline.engines.tables import patient_ranges, run_record, score_cases
from pipeline.io.scratch import NoteIdIndex, PatientTally

WORK_DIR = ".work"
BUCKET_MENTIONS = 100_000  # mentions scored, and later written, at a time (a range of patients)
RANGE_CASES = 20_000       # and at most this many cases
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


def _fingerprint(notes_path: Path, chunk_size: int, columns: Mapping, patterns_dir: str | None,
                 criteria: frozenset) -> dict:
    """What must not change between an interrupted run and its resumption."""
    st = notes_path.stat()
    return {"input": str(notes_path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "chunk_size": chunk_size, "columns": dict(sorted((columns or {}).items())),
            "rules": _rules_fingerprint(patterns_dir), "criteria": sorted(criteria), "version": __version__}


def clear_checkpoints(out_dir: str | Path) -> None:
    shutil.rmtree(Path(out_dir) / WORK_DIR, ignore_errors=True)


def _extract_chunk(notes: list[Note], patterns_dir: str | None, criteria: frozenset) -> list[Mention]:
    return list(extract(notes, patterns_dir, criteria=criteria))


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
    from pipeline.nlp.build import cached_nlp
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
    _save_all(path, (obj,))


def _save_all(path: Path, objs: Iterable) -> None:
    """Pickles one after the other in one file, which appears whole or not at all."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for obj in objs:
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
              chunk_size: int = 5000, workers: int = 1, resume: bool = False, quiet: bool = False) -> StagedResult:
    """Review a whole export on this machine: the tables of `pipeline.review`, kept on disk under
    OUT/.work/ a range of patients at a time until the outputs are written."""
    t0 = time.perf_counter()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    notes_path = Path(notes_path)
    work = Path(out_dir) / WORK_DIR
    fingerprint = _fingerprint(notes_path, chunk_size, columns or {}, patterns_dir, pol.criterion_names)
    manifest = work / "manifest.json"
    if not (resume and manifest.exists() and json.loads(manifest.read_text()) == fingerprint):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(fingerprint, indent=1))
        os.replace(tmp, manifest)  # a run killed here leaves no half-written manifest for --resume to trip on
    # keep only counts in memory: a chunk's mentions are in its checkpoint file, its patients in the
    # tally, its rejected rows in a file of their own
    indexes, rejected_files, counts = [], {}, Counter()
    tally = PatientTally(work / "patients.sqlite")
    try:
        for i, r in _run_chunks(notes_path, work, columns, patterns_dir, pol.criterion_names, chunk_size, workers,
                                    quiet):
            tally.add(r.latest_note, Counter(m.patient_id for m in r.mentions))
            indexes.append(i)
            counts.update(rows_read=r.rows_read, notes_processed=r.notes_processed, rows_rejected=len(r.rejected))
            if len(r.rejected):
                rejected_files[i] = work / f"rejected-{i:06d}.pkl"
                _save(rejected_files[i], r.rejected.reindex(columns=REJECT_COLUMNS))
        t1 = time.perf_counter()
        parts, counted = _score(work, sorted(indexes), tally.cases(cases, review_date), cases, pol)
    finally:
        tally.close()
    t2 = time.perf_counter()
    run = run_record(pol, counts["rows_read"], counts["notes_processed"], counts["rows_rejected"],
                     counted, {"read_extract": t1 - t0, "score": t2 - t1},
                     chunks=len(indexes), chunk_size=chunk_size, workers=workers)
    return StagedResult(tuple(parts), tuple(rejected_files[i] for i in sorted(rejected_files)), run)


def _chunk_mentions(work: Path, i: int) -> list[Mention]:
    return pickle.loads((work / f"chunk-{i:06d}.pkl").read_bytes()).mentions


class StagedResult(NamedTuple):
    """A batch run's result whose tables stay on disk: review and evidence one range of patients per
    file (OUT/.work/scored-*.pkl), the rejected rows one chunk per file (rejected-*.pkl), so that
    writing the outputs holds one range or chunk at a time whatever the export's size. `review`,
    `evidence` and `rejected` read a whole table into memory, for callers that want it (tests,
    notebooks); the outputs are written from `parts()` and `rejected_parts()`."""
    part_files: tuple[Path, ...]
    rejected_files: tuple[Path, ...]
    run: dict

    def rejected_parts(self) -> Iterator[pd.DataFrame]:
        """The rejected rows a chunk at a time, in input order; one empty table when there are none."""
        if not self.rejected_files:
            yield pd.DataFrame(columns=REJECT_COLUMNS)
        for path in self.rejected_files:
            yield pickle.loads(path.read_bytes())

    @property
    def rejected(self) -> pd.DataFrame:
        return pd.concat(list(self.rejected_parts()), ignore_index=True)

    def parts(self, evidence: bool = True) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
        """(review, evidence) per range of patients, in patient order; evidence None when not asked for."""
        for path in self.part_files:
            with open(path, "rb") as f:
                review = pickle.load(f)
                yield review, (pickle.load(f) if evidence else None)

    @property
    def review(self) -> pd.DataFrame:
        return pd.concat([r for r, _ in self.parts(evidence=False)], ignore_index=True)

    @property
    def evidence(self) -> pd.DataFrame:
        frames = [e for _, e in self.parts()]
        return pd.concat([e for e in frames if len(e)] or frames[:1], ignore_index=True)


def _score(work: Path, chunk_indexes: list[int], cases: Iterable[tuple[str, int, dt.date]],
           chosen: Mapping[str, dt.date] | None, pol: Policy) -> tuple[list[Path], list[tuple[pd.DataFrame, pd.DataFrame]]]:
    """`review.score_cases` over the checkpointed mentions, one range of patients at a time.

    `cases` are (patient_id, mentions, review date) in patient order (`PatientTally.cases`); they are
    cut into ranges (`review.patient_ranges`) and each range's file gets its cases' review dates.
    One pass over the chunks' checkpoints then appends each mention to its range's file, when its
    patient is reviewed (every patient, or those `chosen` by a cases file); each range is scored and
    its review and evidence tables saved (scored-*.pkl). One after the other, the ranges' tables are
    the tables `score_cases` makes. Only one chunk's or one range's mentions are in memory at a time.
    Returns the files, and per range the columns run.json counts (determination, used).
    """
    firsts, spills = [], []  # each range's first patient id, and its file
    for k, batch in enumerate(patient_ranges(cases, BUCKET_MENTIONS, RANGE_CASES)):
        firsts.append(batch[0][0] if batch else "")
        spills.append(work / f"range-{k:06d}.pkl")
        with open(spills[-1], "wb") as f:
            pickle.dump({pid: day for pid, _, day in batch}, f, protocol=pickle.HIGHEST_PROTOCOL)
    for i in chunk_indexes:
        by_range: dict[int, list] = {}
        for m in _chunk_mentions(work, i):
            if not chosen or m.patient_id in chosen:
                by_range.setdefault(bisect.bisect_right(firsts, m.patient_id) - 1, []).append(m)
        for k, ms in by_range.items():
            with open(spills[k], "ab") as f:  # opened per chunk: a run may have more ranges than file handles
                pickle.dump(ms, f, protocol=pickle.HIGHEST_PROTOCOL)
    parts, counted = [], []
    for k, spill in enumerate(spills):
        mentions = []
        with open(spill, "rb") as f:
            dates = pickle.load(f)
            while True:
                try:
                    mentions += pickle.load(f)
                except EOFError:
                    break
        review_part, evidence_part = score_cases(mentions, dates, pol)
        del mentions
        parts.append(work / f"scored-{k:06d}.pkl")
        _save_all(parts[-1], (review_part, evidence_part))
        counted.append((review_part[["determination"]], evidence_part[["used"]]))
        spill.unlink()
    return parts, counted


def _chunk_notes(chunks: Iterable, source: str, columns, work: Path) -> Iterable[tuple[int, int, list[Note], object]]:
    seen = NoteIdIndex(path=work / "note_ids.sqlite")  # every chunk is validated again on --resume: rebuilt whole
    try:
        for i, c in enumerate(chunks):
            read = validate(c.frame, source, dict(columns or {}), c.row_offset, seen)
            notes = [Note(p, n, d, t, x) for p, n, d, t, x in zip(read.notes["patient_id"], read.notes["note_id"],
                                                                  read.notes["note_date"], read.notes["note_type"],
                                                                  read.notes["text"])]
            yield i, c.bytes_done, notes, read
    finally:
        seen.close()


def _summary(i: int, notes: list[Note], read, mentions: list) -> ChunkResult:
    latest: dict = {}
    for n in notes:
        latest[n.patient_id] = max(n.note_date, latest.get(n.patient_id, n.note_date))
    return ChunkResult(i, mentions, read.rejected, read.rows_read, len(notes), latest)


def _run_chunks(notes_path: Path, work: Path, columns, patterns_dir, criteria: frozenset, chunk_size: int,
                workers: int, quiet: bool):
    """(index, ChunkResult) for every chunk, extracting only the ones not already saved."""
    progress = Progress(input_size(notes_path), quiet)
    source = str(notes_path)
    raw = iter_chunks(notes_path, chunk_size, workers)
    if "line" in (columns or {}):  # one row per line of a note: whole notes first, their columns already named
        raw = (Chunk(frame, 0, done) for frame, done in
               reassemble(raw, dict(columns), source, work / "lines.sqlite", chunk_size))
        columns = {}
    chunks = _chunk_notes(raw, source, columns, work)
    try:
        if workers <= 1:
            for i, done_bytes, notes, read in chunks:
                path = work / f"chunk-{i:06d}.pkl"
                if path.exists():
                    result = pickle.loads(path.read_bytes())
                else:
                    result = _summary(i, notes, read, _extract_chunk(notes, patterns_dir, criteria))
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
                futures = [pool.submit(_extract_chunk, task, patterns_dir, criteria) for task in _tasks(notes, workers)]
                pending[i] = (futures, notes, read, done_bytes)
                while len(pending) >= 2 * workers:  # bounded: at most two chunks per worker in memory
                    yield _finish(pending, min(pending), work, progress)
            while pending:
                yield _finish(pending, min(pending), work, progress)
    finally:
        chunks.close()  # the note_id index's file is closed too
        progress.close()


def _finish(pending: dict, i: int, work: Path, progress: Progress):
    futures, notes, read, done_bytes = pending.pop(i)
    result = _summary(i, notes, read, [m for f in futures for m in f.result()])
    _save(work / f"chunk-{i:06d}.pkl", result)
    progress.update(len(notes), done_bytes)
    return i, result
