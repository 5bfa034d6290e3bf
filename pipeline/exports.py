"""Reading note exports: CSV, TSV, Parquet, JSON Lines (plain or gzip'd), or a folder of .txt notes.

Columns are mapped to the contract's names, every row is validated, and rows
that cannot be processed go to the rejects with their row number and reason,
never their text.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path
from typing import Iterator, NamedTuple

import pandas as pd

from .dates import parse_date

REQUIRED = ("patient_id", "note_id", "note_date", "text")
OPTIONAL = ("note_type",)
REJECT_COLUMNS = ["source", "row", "patient_id", "note_id", "column", "reason"]
MANIFEST_NAMES = ("manifest.csv", "notes.csv", "manifest.tsv", "manifest.jsonl")
FILE_COLUMNS = ("file", "path", "filename", "file_name")
FILE_ERROR = "_file_error"  # set by the folder reader for a manifest row whose .txt is missing


class InputError(ValueError):
    """Input that cannot be read at all (exit code 2); the message names the file and what to do."""


class NotesRead(NamedTuple):
    notes: pd.DataFrame      # patient_id, note_id, note_date (datetime.date), note_type, text, row
    rejected: pd.DataFrame   # REJECT_COLUMNS
    rows_read: int


def parse_column_map(items: list[str] | None) -> dict[str, str]:
    """`["patient_id=MRN", "text=NOTE_TEXT"]` -> {"patient_id": "MRN", ...}."""
    out = {}
    for item in items or []:
        name, sep, source = item.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not name or not source:
            raise InputError(f"--column {item!r}: expected NAME=SOURCE, e.g. --column patient_id=MRN")
        if name not in REQUIRED + OPTIONAL:
            raise InputError(f"--column {item!r}: {name!r} is not an input column; "
                             f"choose from {', '.join(REQUIRED + OPTIONAL)}")
        out[name] = source
    return out


def _format(path: Path) -> str:
    name = path.name.lower()
    for suffix, fmt in ((".csv.gz", "csv"), (".tsv.gz", "tsv"), (".jsonl.gz", "jsonl"), (".ndjson.gz", "jsonl"),
                        (".csv", "csv"), (".tsv", "tsv"), (".tab", "tsv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
                        (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(suffix):
            return fmt
    raise InputError(f"{path}: unknown export format; use .csv, .tsv, .parquet, .jsonl "
                     f"(optionally .gz), or a folder of .txt notes with a manifest")


def read_table(path: str | Path) -> pd.DataFrame:
    """A table file as all-string columns, empty cells as empty strings."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_folder(path)
    fmt = _format(path)
    try:
        if fmt in ("csv", "tsv"):
            df = pd.read_csv(path, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False,
                             na_filter=False, encoding="utf-8-sig", compression="infer")
        elif fmt == "jsonl":
            df = pd.read_json(path, lines=True, dtype=False, compression="infer")
        else:
            df = pd.read_parquet(path)
    except InputError:
        raise
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}); re-export as UTF-8") from None
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise InputError(f"{path}: cannot be read as {fmt}: {e.__class__.__name__}") from None
    return df


def _read_folder(folder: Path) -> pd.DataFrame:
    manifest = next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)
    if manifest is None:
        raise InputError(f"{folder}: a folder of notes needs a manifest ({' or '.join(MANIFEST_NAMES)}) "
                         f"with patient_id, note_id, note_date and a file column or <note_id>.txt files")
    df = read_table(manifest)
    file_col = next((c for c in FILE_COLUMNS if c in df.columns), None)
    texts, errors = [], []
    for _, row in df.iterrows():
        name = str(row[file_col]).strip() if file_col else ""
        name = name or f"{str(row.get('note_id', '')).strip()}.txt"
        p = folder / name
        ok = p.is_file() and p.resolve().is_relative_to(folder.resolve())
        texts.append(p.read_text(encoding="utf-8", errors="replace") if ok else "")
        errors.append("" if ok else f"note file {name} not found in {folder}")
    if "text" not in df.columns:
        df["text"] = texts
        df[FILE_ERROR] = errors
    return df


def validate(df: pd.DataFrame, source: str, columns: dict[str, str] | None = None,
             row_offset: int = 0, seen: dict | None = None) -> NotesRead:
    """Map columns, check required ones exist, and split rows into notes and rejects.

    `row` is the 1-based record number in the input (the header is not counted).
    `seen` (note_id -> row) carries duplicate detection across the chunks of one export.
    """
    columns = columns or {}
    missing_sources = [f"{k}={v}" for k, v in columns.items() if v not in df.columns]
    if missing_sources:
        raise InputError(f"{source}: --column {', '.join(missing_sources)}: no such column; "
                         f"the file has: {', '.join(map(str, df.columns))}")
    df = df.rename(columns={v: k for k, v in columns.items()})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        fix = " ".join(f"--column {c}=SOURCE" for c in missing)
        raise InputError(f"{source}: missing required column(s) {', '.join(missing)}; the file has: "
                         f"{', '.join(map(str, df.columns))}. Map them with {fix}")
    n = len(df)
    rows = pd.RangeIndex(row_offset + 1, row_offset + n + 1)

    def clean(col):
        s = df[col] if col in df.columns else pd.Series([""] * n)
        return [("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)).strip()
                for v in s.tolist()]

    pid, nid, ndate, ntype = clean("patient_id"), clean("note_id"), clean("note_date"), clean("note_type")
    file_errors = clean(FILE_ERROR) if FILE_ERROR in df.columns else [""] * n
    texts = [("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)) for v in df["text"].tolist()]
    keep, rejects = [], []
    seen = {} if seen is None else seen
    for k in range(n):
        reason = col = None
        date = parse_date(ndate[k]) if ndate[k] else None
        if not pid[k]:
            reason, col = "missing patient_id", "patient_id"
        elif not nid[k]:
            reason, col = "missing note_id", "note_id"
        elif not ndate[k]:
            reason, col = "missing note_date", "note_date"
        elif date is None:
            reason, col = "unparseable note_date (use YYYY-MM-DD or MM/DD/YYYY)", "note_date"
        elif nid[k] in seen:
            reason, col = f"duplicate note_id (first at row {seen[nid[k]]})", "note_id"
        elif file_errors[k]:
            reason, col = file_errors[k], "text"
        if reason:
            rejects.append((source, rows[k], pid[k], nid[k], col, reason))
            continue
        seen[nid[k]] = rows[k]
        keep.append((pid[k], nid[k], date, ntype[k], texts[k].replace("\x00", " "), rows[k]))
    notes = pd.DataFrame(keep, columns=["patient_id", "note_id", "note_date", "note_type", "text", "row"])
    rejected = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    return NotesRead(notes, rejected, n)


def read_notes(path: str | Path, columns: dict[str, str] | None = None) -> NotesRead:
    """Read and validate a whole note export in memory."""
    return validate(read_table(path), str(path), columns)


class Chunk(NamedTuple):
    frame: pd.DataFrame
    row_offset: int     # rows before this chunk
    bytes_done: int     # input bytes consumed so far (for progress)


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it, so progress can follow the input."""

    def __init__(self, f):
        self.f, self.count = f, 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self.f.readinto(b)
        self.count += n or 0
        return n

    def close(self):
        self.f.close()
        super().close()


def input_size(path: str | Path) -> int:
    """Bytes of input, for a progress bar's total."""
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size if path.exists() else 0


def iter_chunks(path: str | Path, chunk_size: int = 5000) -> Iterator[Chunk]:
    """The export as all-string DataFrames of at most `chunk_size` rows, streamed: memory stays bounded."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        yield Chunk(read_table(path), 0, input_size(path))
        return
    fmt = _format(path)
    offset = 0
    if fmt == "parquet":
        import pyarrow.parquet as pq
        try:
            pf = pq.ParquetFile(path)
            total, per_row = input_size(path), max(pf.metadata.num_rows, 1)
            for batch in pf.iter_batches(batch_size=chunk_size):
                df = batch.to_pandas()
                offset += len(df)
                yield Chunk(df, offset - len(df), total * offset // per_row)
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot be read as parquet: {e.__class__.__name__}") from None
        return
    raw = _CountingReader(open(path, "rb"))
    try:
        stream = gzip.GzipFile(fileobj=io.BufferedReader(raw)) if path.name.lower().endswith(".gz") else \
            io.BufferedReader(raw)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        if fmt == "jsonl":
            reader = pd.read_json(text, lines=True, dtype=False, chunksize=chunk_size)
        else:
            reader = pd.read_csv(text, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False,
                                 na_filter=False, chunksize=chunk_size)
        for df in reader:
            offset += len(df)
            yield Chunk(df, offset - len(df), raw.count)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text near byte {raw.count} ({e.reason}); re-export as UTF-8") from None
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as e:
        raise InputError(f"{path}: cannot be read as {fmt} after row {offset}: {e.__class__.__name__}") from None
    finally:
        raw.close()


def read_cases(path: str | Path) -> dict[str, dt.date]:
    """`patient_id,review_date` per case; a bad row is an input error naming its row."""
    df = read_table(path)
    missing = [c for c in ("patient_id", "review_date") if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; a cases file has patient_id,review_date")
    out = {}
    for k, (pid, rd) in enumerate(zip(df["patient_id"].astype(str), df["review_date"].astype(str)), start=1):
        pid = pid.strip()
        if not pid:
            raise InputError(f"{path}: row {k}, column patient_id: empty")
        d = parse_date(rd)
        if d is None:
            raise InputError(f"{path}: row {k}, column review_date: not a date (use YYYY-MM-DD)")
        out[pid] = d
    return out
