"""Writing the output folder: each file appears complete or not at all.

Every file is first written in full to a hidden temporary file beside it (and
flushed to disk); only when all of them are written do they replace the old
ones. `run.json` is the completion marker: it is removed before the new files
move in and written last, so a folder without `run.json` holds an interrupted
run's outputs, never half of a file. A failure while writing (disk full, a
read-only folder) leaves the previous outputs as they were and no temporary files.
"""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.errors import OutputError
from pipeline.io.atomic import StagedInChild, fsync, stage
from pipeline.outputs.report import render as report

if TYPE_CHECKING:
    from pipeline.engines.tables import ReviewResult


_PLAIN_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "it exists and is not a folder",
    errno.ENOENT: "no such file or folder",
}


def describe_os_error(e: OSError) -> str:
    """What went wrong, in words (never the message of a library, which might quote data)."""
    return _PLAIN_REASONS.get(e.errno) or e.strerror or e.__class__.__name__


def output_error(out_dir: str | Path, e: OSError) -> OutputError:
    err = OutputError(f"cannot write to output folder {out_dir}: {describe_os_error(e)}")
    err.errno = e.errno
    return err


def _csv_writer(frames):
    """A table written from its parts (`frames()` gives them in order): the header once, then each part."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for k, df in enumerate(frames()):
                df.to_csv(f, index=False, header=k == 0, date_format="%Y-%m-%d")
    return write


PARQUET_ROWS = 50_000  # rows converted and written at a time (one row group each)


def _parquet_writer(frames):
    """A table written from its parts, a row group of at most PARQUET_ROWS rows at a time, so a large
    table is never copied whole. Object columns (ids, dates, text) are strings; the schema is the
    first non-empty part's, and every part is written in it."""
    def write(tmp):
        import pyarrow as pa
        import pyarrow.parquet as pq
        writer = schema = last = None
        try:
            for df in frames():
                last = df
                if not len(df):
                    continue
                if writer is None:
                    schema = _parquet_schema(df)
                    writer = pq.ParquetWriter(tmp, schema)
                for start in range(0, len(df), PARQUET_ROWS):
                    part = df.iloc[start:start + PARQUET_ROWS]
                    part = pd.DataFrame({f.name: part[f.name].astype("string") if f.type == pa.string()
                                         else part[f.name] for f in schema})  # str() of each value; missing stays
                    writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
            if writer is None and last is not None:  # every part empty: the columns alone
                pq.write_table(_parquet_schema(last).empty_table(), tmp)
        finally:
            if writer is not None:
                writer.close()
    return write


def _parquet_schema(df: pd.DataFrame):
    import pyarrow as pa
    objects = [c for c in df.columns if df[c].dtype == object]
    schema = pa.Schema.from_pandas(df.head(0).astype({c: "float64" for c in objects}), preserve_index=False)
    for c in objects:
        schema = schema.set(schema.get_field_index(c), pa.field(c, pa.string()))
    return schema


def _text_writer(text: str):
    return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")


NAMES = ("review.csv", "review.parquet", "evidence.csv", "evidence.parquet", "rejected.csv", "report.html", "run.json")


def write_outputs(result: ReviewResult, out_dir: str | Path, processes: int = 1) -> list[Path]:
    """review.csv/.parquet, evidence.csv/.parquet, rejected.csv, report.html, run.json: all of them, or none.

    `result` is a ReviewResult or a batch run's StagedResult: the tables are written from its parts,
    one range of patients at a time. With `processes` > 1, report.html (the slowest) is written in a
    forked process meanwhile; a StagedResult's parts are files, so the child reads its own copies and
    shares nothing large with the parent."""
    out = Path(out_dir)

    def reviews():
        return (r for r, _ in result.parts(evidence=False))

    def evidence():
        return (e for _, e in result.parts())

    writers = {
        "review.csv": lambda: _csv_writer(reviews),
        "review.parquet": lambda: _parquet_writer(reviews),
        "evidence.csv": lambda: _csv_writer(evidence),
        "evidence.parquet": lambda: _parquet_writer(evidence),
        "rejected.csv": lambda: _csv_writer(result.rejected_parts),
        "report.html": lambda: lambda tmp: report.write_report_file(result, tmp),
        "run.json": lambda: _text_writer(json.dumps(result.run, indent=2, default=str)),
    }
    staged: list[tuple[str, Path]] = []
    child = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in NAMES:  # temporary files a killed run left behind
            for stale in out.glob(f".{name}.*.tmp"):
                stale.unlink(missing_ok=True)
        if processes > 1:
            child = StagedInChild(out / "report.html", writers["report.html"]())
        for name in NAMES:
            if child is not None and name == "report.html":
                staged.append((child.result(), out / name))
                child = None
            else:
                staged.append((stage(out / name, writers[name]()), out / name))
        # everything is on disk: swap the files in, the completion marker out first and in last
        (out / "run.json").unlink(missing_ok=True)
        while staged:
            tmp, final = staged[0]
            os.replace(tmp, final)
            staged.pop(0)
        fsync(out, directory=True)
    except OSError as e:
        raise output_error(out, e) from None
    finally:
        if child is not None:
            child.abandon()
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return [out / n for n in NAMES]


def describe_failure(e: BaseException, out_dir: str | Path, source: str | Path) -> str:
    """What the user reads when a run fails unexpectedly: what kind of failure and where, never the
    exception's message (a library's message may quote the note it was reading)."""
    out = Path(out_dir)
    if isinstance(e, OSError):
        name = e.filename if isinstance(e.filename, (str, os.PathLike)) else None
        in_out = name is not None and Path(os.path.abspath(name)).is_relative_to(os.path.abspath(out))
        if in_out or (name is None and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)):
            return f"cannot write to output folder {out}: {describe_os_error(e)}"
        if name is not None:
            return f"{name}: {describe_os_error(e)}"
        return f"the run failed: {describe_os_error(e)} ({e.__class__.__name__})"
    if isinstance(e, MemoryError):
        return "out of memory; rerun with --resume and a smaller --chunk-size or fewer --workers"
    kind = e.__class__.__name__
    if kind == "BrokenProcessPool":
        return ("a worker process died (out of memory?); rerun with --resume and a smaller --chunk-size or "
                "fewer --workers")
    where = f" (run on {source})"
    tb, note = e.__traceback__, None
    while tb is not None:  # the innermost note being extracted, if the failure happened there
        candidate = tb.tb_frame.f_locals.get("note")
        if hasattr(candidate, "note_id") and hasattr(candidate, "patient_id"):
            note = candidate
        tb = tb.tb_next
    if note is not None:
        where = f" while extracting note_id {note.note_id} (patient_id {note.patient_id}) of {source}"
    return (f"the run failed: {kind}{where}. Finished chunks are kept: rerun with --resume to continue; "
            f"SCS_DEBUG=1 shows the traceback (it may quote note text)")


def debug_mode() -> bool:
    """SCS_DEBUG=1: let unexpected exceptions through with their traceback (for developers, on test data)."""
    return os.environ.get("SCS_DEBUG", "") not in ("", "0")


def input_failure(e: BaseException, source: str | Path) -> bool:
    """Whether an unexpected failure is the input's (exit 2): the notes file or folder could not be read."""
    name = getattr(e, "filename", None) if isinstance(e, OSError) else None
    if not isinstance(name, (str, os.PathLike)):
        return False
    a, b = Path(os.path.abspath(name)), Path(os.path.abspath(source))
    return a == b or a.is_relative_to(b)
