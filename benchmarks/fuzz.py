"""Fuzzing the input readers and `scs-abstract run`: mutated real exports through the CLI, and the pure readers
under hypothesis.

    .venv/bin/python benchmarks/fuzz.py --runs 300 --seed 1 --work /tmp/fuzz   # CLI runs, then the readers
    .venv/bin/python benchmarks/fuzz.py --replay 123456789 --work /tmp/fuzz    # one CLI run again, by its seed
    .venv/bin/python benchmarks/fuzz.py --runs 0 --examples 2000 --seed 1      # only the in-process readers

1. CLI runs (subprocess, one per input). Each run starts from data/samples/notes.csv (and cases.csv) and applies
   random mutations, drawn from its own seed: at the row level (delete, duplicate, swap, shuffle, truncate, blank
   rows, ragged rows, duplicate ids, many rows), the field level (empty, whitespace, very long, odd dates in many
   forms, odd ids, Unicode look-alikes, quotes, line breaks, NUL and control characters, fields swapped), the
   header level (renamed, look-alikes, dropped, duplicated, extra or missing columns, reordered, EHR names with
   and without --column, a header missing altogether) and the format (TSV, JSON Lines, Parquet, .gz, CRLF/CR line
   ends, quoting, UTF-8 with BOM, UTF-16/32, Windows-1252, a TSV named .csv, JSON lines that are not objects),
   then at the byte level (truncated mid-row, unbalanced quotes, random and invalid UTF-8 bytes, NUL runs, BOMs,
   spans deleted or repeated, line ends converted, a binary file's magic bytes, damaged gzip). The cases file and
   the options (--chunk-size, --workers, --review-date, --column) are varied too.

   Every run is checked: exit 0 or 2 (1, a timeout, a traceback or an "unexpected failure" message is a crash);
   with run.json, rows_read = notes_processed + rows_rejected, rejected.csv has rows_rejected rows with distinct
   row numbers inside 1..rows_read; rows_read equals the records a reference parser finds in the bytes (the csv
   and json modules under the README's rules: byte order marks, NUL as space, blank lines skipped, strict quoting;
   the count the mutation produced where the file round-trips), and the file is refused exactly when the
   reference cannot read it; rows the reference knows are bad (ragged, invalid JSON, a missing id or date, an
   impossible ISO date, a duplicate note_id) are in rejected.csv, rows it knows are good are not; a refused file
   exits 2 with a message naming it; no distinctive piece of note text appears on stdout, stderr, in rejected.csv
   or run.json.

2. In-process (hypothesis, --examples per property): parse_date, find_dates and find_date_ranges on arbitrary
   and date-like text; read_notes on random small tables in every format (rows counted as the reference counts
   them, rows partitioned into notes and rejects, the same answer for any chunk size); read_notes on arbitrary
   bytes; validate on DataFrames holding any Python value; read_cases on random files. Nothing may raise but
   pipeline.errors.InputError.

It prints the inputs tried, the outcomes and every failure with the seed that replays it; failing inputs are kept
under --work/failures/. Exit 1 when anything failed. Standard library and the project's own dependencies only.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import gzip
import io
import json
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "data" / "samples"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the contract, as README.md states it (not imported from the package: the fuzzer checks it)
REQUIRED = ("patient_id", "note_id", "note_date", "text")
COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text"]
MAX_FIELD_CHARS = 64 * 2 ** 20
HEAD_BYTES = 1 << 16
BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
MAGIC = (b"PK\x03\x04", b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"PAR1", b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh91AY&SY",
         b"\x7fELF", b"SQLite format 3\x00", b"\xd0\xcf\x11\xe0")
CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1a")
CP1252 = {b: bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(128, 256)}  # the 5 holes: Latin-1
EXTENSIONS = {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "parquet": ".parquet"}
RESERVED = ("_row_error", "_file_error", "_row")  # the readers' own column names, which an export may hold too


def read_base(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


BASE_HEADER, BASE_ROWS = read_base(SAMPLES / "notes.csv")
CASES_HEADER, CASES_ROWS = read_base(SAMPLES / "cases.csv")


# --- a case: an export as a model, the mutations applied to it, and how it is written ------------------------

@dataclasses.dataclass
class Case:
    seed: int
    header: list[str] | None
    rows: list[list[str]]
    fmt: str = "csv"                 # csv | tsv | jsonl | parquet
    ext: str | None = None           # a file name extension other than the format's (a TSV named .csv)
    gz: bool = False
    encoding: str = "utf-8"          # utf-8 | utf-8-sig | cp1252 | utf-16 | utf-32
    newline: str = "\n"
    quote_all: bool = False
    lead: str = ""                   # lines before the header
    trailing_newline: bool = True
    json_tweaks: dict = dataclasses.field(default_factory=dict)   # row index -> (kind, column)
    byte_ops: list = dataclasses.field(default_factory=list)      # on the plain bytes
    gz_byte_ops: list = dataclasses.field(default_factory=list)   # on the compressed bytes
    column_args: list = dataclasses.field(default_factory=list)   # --column NAME=SOURCE
    chunk_size: int = 5000
    workers: int = 1
    review_date: str | None = None
    cases: list | None = None        # rows of the cases file, header first; None: no --cases
    cases_text: str | None = None    # a cases file written by hand
    cases_ok: bool = True
    options_ok: bool = True
    light: bool = False              # for CI: no huge exports, fields or worker pools
    log: list = dataclasses.field(default_factory=list)

    def note(self, what: str) -> None:
        self.log.append(what)

    @property
    def file_name(self) -> str:
        return "notes" + (self.ext or EXTENSIONS[self.fmt]) + (".gz" if self.gz else "")


def _col(case: Case, rng: random.Random, names=None) -> int | None:
    width = len(case.header) if case.header else len(COLUMNS)
    if names:
        idx = [i for i, h in enumerate(case.header or COLUMNS) if h in names]
        return rng.choice(idx) if idx else None
    return rng.randrange(width) if width else None


def _row(case: Case, rng: random.Random) -> int | None:
    return rng.randrange(len(case.rows)) if case.rows else None


def _set(case: Case, i: int, j: int, value: str) -> None:
    row = case.rows[i]
    if j < len(row):
        row[j] = value


def _cell(case: Case, i: int, j: int) -> str:
    row = case.rows[i]
    return row[j] if j < len(row) else ""


LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "O": "Ο", "N": "Ν", "S": "Ѕ",
             "M": "М", "P": "Р", "0": "０", "1": "１", "2": "２", "-": "‐", "_": "＿", " ": "\u00a0"}
SPECIALS = ['"', '""', ",", "\t", "\r", "\n", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x85", "\x00",
            "\x1a", "\x7f", "\ufeff", "\u200b", "\u202e", "😀", "𝔘𝔫𝔦", "\\", "'", ";", "|", "{", "}", "[", "]",
            "e\u0301", "ﬁ", "İ", "ß"]
ODD_IDS = ["001", "0", " P1 ", "P1\u200b", "Р1", "ＳＭＰ-001", "1e5", "1.50", "nan", "NaN", "NULL", "None", "null",
           "N/A", "-", "=1+2", "+cmd|' /C calc'!A0", "@SUM(A1)", "<script>alert(1)</script>", "A,B", 'A"B',
           "A\nB", "A\rB", "😀", "\u202eevil", "x" * 300, "x" * 20000, "\t", "\x00id", "id\x00", "_row_error",
           "SMP-001", "SMP-001-N1", "SMP-002-N1", "true", "[]", "{}"]
EHR = {"patient_id": "PAT_MRN_ID", "note_id": "NOTE_ID", "note_date": "CONTACT_DATE", "note_type": "NOTE_TYPE",
       "text": "NOTE_TEXT"}
HEADER_RENAMES = ["Patient_ID", "PATIENT_ID", " patient_id ", "patient id", "pаtient_id", "\ufeffpatient_id",
                  "note-id", "Note_Id", " note_id", "nоte_id", "note_date ", "NoteDate", "date", "text\u00a0",
                  "Text", "tеxt", "body", "note_type", "", "_row_error", "_file_error", "_row", "Unnamed: 0", "text",
                  "patient_id", "note_id.1", "\u200bnote_date", "note_date\t"]


def odd_date(rng: random.Random, base: str) -> str:
    try:
        d = dt.date.fromisoformat(base.strip()[:10])
    except ValueError:
        d = dt.date(2025, 3, 19)
    iso = d.isoformat()
    forms = [
        iso, d.strftime("%m/%d/%Y"), f"{d.month}/{d.day}/{d:%y}", d.strftime("%d-%b-%Y"), d.strftime("%b %d, %Y"),
        d.strftime("%B %d, %Y"), d.strftime("%d %b %Y"), d.strftime("%Y%m%d"), iso + "T08:15:00", iso + " 08:15",
        iso + "T08:15:00Z", iso + "T08:15:00+05:30", iso + "T08:15:00.123456", d.strftime("%m/%d/%Y %I:%M %p"),
        d.strftime("%d/%m/%Y"), d.strftime("%Y/%m/%d"), d.strftime("%d.%m.%Y"), d.strftime("%Y.%m.%d"),
        f"  {iso}  ", f"\t{iso}", d.strftime("%d-%b-%y"), d.strftime("%b. %d, %Y"), d.strftime("%dth %B %Y"),
        "2025-02-30", "2025-02-29", "2024-02-29", "1899-12-31", "1900-01-01", "2100-12-31", "2101-01-01",
        "0000-00-00", "9999-12-31", "0001-01-01", "13/45/2025", "00/00/0000", "02/30/2025", "2/29/23", "12/31/69",
        "01/01/70", "yesterday", "N/A", "nan", "NaT", "null", "None", "-", "?", "2025", "2025-03", "03/2025",
        "March 2025", "45000", "1742342400", "2025-W12-3", "2025-078", "２０２５-０３-１９", "２０２５０３１９",
        "٢٠٢٥-٠٣-١٩", "2025‐03‐19", "2025−03−19", iso + "\u200b", "\ufeff" + iso, "2025-3-9", "19-Mar-25",
        "1e10", iso + " 25:61", "10/10/10/10", "99999999", "00000000", "2025-13-01", "2025-00-10", "12/31/2100",
        "01/01/1900", "1/1/1900 00:00 AM", "03/19/2025 13:00 PM", iso + "T08:15:00+99:99", "0/0/00", "12/31/99999",
        iso[:4] + "-" + iso[5:7] + "-" + iso[8:] + ".", "Mar 19 2025", "19 March, 2025", "2025-03-19 08:15:00 PM",
        "\x00" + iso, iso.replace("-", "/"), "3/19/2025", "03-19-2025", "1/1/1", "12/12/12",
    ]
    return rng.choice(forms)


def lookalike(rng: random.Random, s: str) -> str:
    chars = list(s)
    spots = [k for k, c in enumerate(chars) if c in LOOKALIKE]
    for k in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        chars[k] = LOOKALIKE[chars[k]]
    if not spots or rng.random() < 0.2:
        chars.insert(rng.randint(0, len(chars)), rng.choice(["\u200b", "\u00a0", "\ufeff", "\u0301", "\u2060"]))
    return "".join(chars)


def insert_specials(rng: random.Random, s: str) -> str:
    for _ in range(rng.randint(1, 4)):
        k = rng.randint(0, len(s))
        s = s[:k] + rng.choice(SPECIALS) + s[k:]
    return s


# --- model mutations: each takes (case, rng) and says what it did ---------------------------------------------

def m_delete_rows(case, rng):
    for _ in range(rng.randint(1, 5)):
        if case.rows:
            del case.rows[rng.randrange(len(case.rows))]
    case.note("delete rows")


def m_duplicate_row(case, rng):
    i = _row(case, rng)
    if i is not None:
        case.rows.insert(rng.randint(0, len(case.rows)), list(case.rows[i]))
        case.note(f"duplicate row {i + 1}")


def m_swap_rows(case, rng):
    if len(case.rows) > 1:
        i, j = rng.sample(range(len(case.rows)), 2)
        case.rows[i], case.rows[j] = case.rows[j], case.rows[i]
        case.note(f"swap rows {i + 1},{j + 1}")


def m_shuffle_rows(case, rng):
    rng.shuffle(case.rows)
    case.note("shuffle rows")


def m_truncate_rows(case, rng):
    k = rng.choice([0, 1, 2, rng.randint(0, len(case.rows))])
    case.rows = case.rows[:k]
    case.note(f"keep first {k} rows")


def m_blank_rows(case, rng):
    for _ in range(rng.randint(1, 4)):
        case.rows.insert(rng.randint(0, len(case.rows)), rng.choice([[], [""], ["   "], [" \t "], ["\x00"]]))
    case.note("blank rows")


def m_duplicate_id(case, rng):
    if len(case.rows) > 1:
        i, j = rng.sample(range(len(case.rows)), 2)
        nid = _cell(case, i, 1)
        nid = rng.choice([nid, nid, f" {nid} ", nid.lower(), lookalike(rng, nid) if nid else nid])
        _set(case, j, 1, nid)
        case.note(f"row {j + 1} gets the note_id of row {i + 1}")


def m_ragged(case, rng):
    i = _row(case, rng)
    if i is not None:
        if rng.random() < 0.5:
            case.rows[i] = case.rows[i] + ["extra"] * rng.randint(1, 3)
            case.note(f"row {i + 1}: extra fields")
        else:
            case.rows[i] = case.rows[i][:rng.randint(0, max(len(case.rows[i]) - 1, 0))]
            case.note(f"row {i + 1}: fields missing")


def m_row_of_empties(case, rng):
    case.rows.insert(rng.randint(0, len(case.rows)), [""] * len(case.header or COLUMNS))
    case.note("a row of empty fields")


def m_many_rows(case, rng):
    if case.light:
        return
    src = case.rows or [list(r) for r in BASE_ROWS]
    n = rng.randint(150, 900)
    rows = []
    for k in range(n):
        r = list(src[k % len(src)])
        if len(r) >= 5:
            r[1] = f"{r[1]}~{k}"
            r[4] = r[4][:rng.randint(0, 120)]
        rows.append(r)
    case.rows = rows
    case.note(f"{n} rows (short texts)")


def m_empty_field(case, rng):
    i, j = _row(case, rng), _col(case, rng)
    if i is not None and j is not None:
        _set(case, i, j, rng.choice(["", " ", "\t", "  \u00a0 ", "\u3000"]))
        case.note(f"row {i + 1} col {j + 1}: empty")


def m_long_field(case, rng):
    i = _row(case, rng)
    hdr = case.header or COLUMNS
    text_col = hdr.index("text") if "text" in hdr else None
    j = text_col if text_col is not None and rng.random() < 0.7 else _col(case, rng)
    if i is None or j is None:
        return
    size = rng.choice([5_000, 70_000, 300_000, 1_100_000]) if j == text_col else rng.choice([300, 5_000, 100_000])
    size = min(size, 70_000) if case.light else size
    seed = _cell(case, i, j) or "Oswestry 44% relief. "
    _set(case, i, j, (seed * (size // max(len(seed), 1) + 1))[:size])
    case.note(f"row {i + 1} col {j + 1}: {size:,} characters")


def m_odd_date(case, rng):
    j = _col(case, rng, ["note_date"])
    for _ in range(rng.randint(1, 6)):
        i = _row(case, rng)
        if i is not None and j is not None:
            v = odd_date(rng, _cell(case, i, j))
            _set(case, i, j, v)
            case.note(f"row {i + 1}: date {v!r}")


def m_odd_id(case, rng):
    i, j = _row(case, rng), _col(case, rng, ["patient_id", "note_id", "note_type"])
    if i is not None and j is not None:
        v = rng.choice(ODD_IDS)
        _set(case, i, j, v)
        case.note(f"row {i + 1} col {j + 1}: id {v[:20]!r}")


def m_lookalike(case, rng):
    i, j = _row(case, rng), _col(case, rng)
    if i is not None and j is not None:
        _set(case, i, j, lookalike(rng, _cell(case, i, j)))
        case.note(f"row {i + 1} col {j + 1}: look-alike characters")


def m_specials(case, rng):
    i, j = _row(case, rng), _col(case, rng)
    if i is not None and j is not None:
        _set(case, i, j, insert_specials(rng, _cell(case, i, j)))
        case.note(f"row {i + 1} col {j + 1}: quotes, line breaks, control characters")


def m_short_text(case, rng):
    i, j = _row(case, rng), _col(case, rng, ["text"])
    if i is not None and j is not None:
        _set(case, i, j, _cell(case, i, j)[:rng.randint(0, 30)])
        case.note(f"row {i + 1}: short text")


def m_markup(case, rng):
    i, j = _row(case, rng), _col(case, rng)
    if i is not None and j is not None:
        _set(case, i, j, _cell(case, i, j) + rng.choice(["<script>alert(1)</script>", "=HYPERLINK(\"x\")",
                                                          "{\"a\": 1}", "${jndi:x}", "%s%n", "'; DROP TABLE x;--"]))
        case.note(f"row {i + 1} col {j + 1}: markup")


def m_swap_fields(case, rng):
    i = _row(case, rng)
    if i is not None and len(case.rows[i]) > 1:
        a, b = rng.sample(range(len(case.rows[i])), 2)
        case.rows[i][a], case.rows[i][b] = case.rows[i][b], case.rows[i][a]
        case.note(f"row {i + 1}: fields {a + 1} and {b + 1} swapped")


def m_rename_header(case, rng):
    if case.header:
        j = rng.randrange(len(case.header))
        new = rng.choice(HEADER_RENAMES + [lookalike(rng, case.header[j])])
        case.note(f"header {case.header[j]!r} -> {new!r}")
        case.header[j] = new


def m_drop_column(case, rng):
    if case.header:
        j = rng.randrange(len(case.header))
        case.note(f"column {case.header[j]!r} dropped")
        del case.header[j]
        for r in case.rows:
            if j < len(r):
                del r[j]


def m_extra_column(case, rng):
    if case.header is not None:
        name = rng.choice(RESERVED) if rng.random() < 0.08 else \
            rng.choice(["extra", "MRN", "comment", "Unnamed: 5", "note", "id", "text2", "note_type"])
        j = rng.randint(0, len(case.header))
        case.header.insert(j, name)
        for r in case.rows:
            if j <= len(r) and r:
                r.insert(j, rng.choice(["", "x", "1", "y, z"]))
        case.note(f"extra column {name!r} at {j + 1}")


def m_duplicate_column(case, rng):
    if case.header:
        j = rng.randrange(len(case.header))
        case.header.append(case.header[j])
        for r in case.rows:
            if r and len(r) == len(case.header) - 1:
                r.append(r[j] if j < len(r) else "")
        case.note(f"column {case.header[j]!r} twice")


def m_reorder_columns(case, rng):
    if case.header:
        perm = list(range(len(case.header)))
        rng.shuffle(perm)
        case.header = [case.header[k] for k in perm]
        case.rows = [[r[k] for k in perm] if len(r) == len(perm) else r for r in case.rows]
        case.note("columns reordered")


def m_drop_header(case, rng):
    if case.fmt in ("csv", "tsv") and case.header is not None:
        case.header = None
        case.note("no header row")


def m_headerless_short(case, rng):
    """A headerless export of short notes (a phone call, a no-show) whose dates are not ISO."""
    if case.fmt in ("csv", "tsv") and case.header is not None:
        case.header = None
        for r in case.rows[:rng.randint(1, 3)]:
            if len(r) >= 5:
                r[4] = r[4][:rng.randint(12, 60)]
                r[2] = odd_date(rng, r[2])
        case.note("no header row; the first notes short, with odd dates")


def m_lead(case, rng):
    case.lead = rng.choice(["\n", "\n\n", "\r\n", " \n", ",,,,\n", "\t\n", "   \n\n"])
    case.note(f"lines before the header {case.lead!r}")


def m_ehr_names(case, rng):
    if case.header:
        case.header = [EHR.get(h, h) for h in case.header]
        if rng.random() < 0.75:
            case.column_args = [f"{k}={v}" for k, v in EHR.items() if k != "note_type" or rng.random() < 0.5]
            case.note("EHR column names, mapped with --column")
        else:
            case.note("EHR column names, not mapped")


def m_column_option(case, rng):
    names = list(case.header or COLUMNS) + ["NOPE"]
    target = rng.choice(list(COLUMNS))
    source = rng.choice(names)
    case.column_args.append(f"{target}={source}")
    case.note(f"--column {target}={source}")


def m_bad_column_option(case, rng):
    case.column_args.append(rng.choice(["patient_id", "=MRN", "color=MRN", "text="]))
    case.options_ok = False
    case.note(f"malformed --column {case.column_args[-1]!r}")


def m_json_tweak(case, rng):
    i = _row(case, rng)
    if i is not None:
        kind = rng.choice(["drop", "null", "number", "nested", "bool", "nan", "invalid", "array", "scalar",
                           "empty_obj", "deep", "dupkey", "single_quotes", "drop", "number"])
        col = rng.choice(COLUMNS)
        case.json_tweaks[i] = (kind, col)
        case.note(f"row {i + 1} (if JSON Lines): {kind} {col}")


MODEL_OPS: list[tuple[Callable, int]] = [
    (m_delete_rows, 4), (m_duplicate_row, 5), (m_swap_rows, 2), (m_shuffle_rows, 2), (m_truncate_rows, 2),
    (m_blank_rows, 4), (m_duplicate_id, 5), (m_ragged, 5), (m_row_of_empties, 2), (m_many_rows, 1),
    (m_empty_field, 6), (m_long_field, 2), (m_odd_date, 8), (m_odd_id, 5), (m_lookalike, 4), (m_specials, 8),
    (m_short_text, 2), (m_markup, 2), (m_swap_fields, 3), (m_rename_header, 3), (m_drop_column, 2),
    (m_extra_column, 3), (m_duplicate_column, 2), (m_reorder_columns, 2), (m_drop_header, 1), (m_headerless_short, 1), (m_lead, 2),
    (m_ehr_names, 2), (m_column_option, 2), (m_bad_column_option, 1), (m_json_tweak, 4),
]

# --- byte mutations: (name, where as a fraction of the length, payload) ---------------------------------------

INTERESTING = [b"\x00", b"\xff", b"\xfe", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf",
               b'"', b",", b"\t", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\x1a", b"\x85", b"\\", b"'", b'""',
               b"\x80", b"\x9d", b"\xe9", b"{", b"}"]


def random_byte_op(rng: random.Random) -> tuple:
    kind = rng.choice(["truncate", "truncate", "insert", "insert", "flip", "delete", "repeat", "quote", "quote",
                       "nul_run", "crlf", "cr", "lf", "bom", "bom_mid", "magic", "garbage_tail", "empty",
                       "whitespace", "control_run", "insert"])
    where = rng.random()
    if kind == "insert":
        return kind, where, rng.choice(INTERESTING + [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))])
    if kind == "flip":
        return kind, where, bytes([rng.getrandbits(8)])
    if kind in ("delete", "repeat"):
        return kind, where, rng.choice([1, 2, 7, 50, 400, 3000])
    if kind == "nul_run":
        return kind, where, rng.choice([1, 4, 9, 30, 200, 5000])
    if kind == "control_run":
        return kind, where, bytes(rng.choice(CONTROL) for _ in range(rng.choice([3, 12, 80, 2000])))
    if kind == "magic":
        return kind, 0.0, rng.choice(MAGIC)
    if kind == "bom":
        return kind, 0.0, rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"])
    if kind == "garbage_tail":
        return kind, 1.0, bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
    return kind, where, b""


def apply_byte_op(data: bytes, op: tuple) -> bytes:
    kind, where, payload = op
    at = min(int(where * len(data)), len(data))
    if kind == "truncate":
        return data[:at]
    if kind in ("insert", "control_run"):
        return data[:at] + payload + data[at:]
    if kind == "flip":
        return data[:at] + payload + data[at + 1:] if data else payload
    if kind == "delete":
        return data[:at] + data[at + payload:]
    if kind == "repeat":
        return data[:at + payload] + data[at:]
    if kind == "quote":
        return data[:at] + b'"' + data[at:]
    if kind == "nul_run":
        return data[:at] + b"\x00" * payload + data[at:]
    if kind == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if kind == "cr":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if kind == "lf":
        return data.replace(b"\r", b"")
    if kind in ("bom", "magic"):
        return payload + data
    if kind == "bom_mid":
        return data[:at] + b"\xef\xbb\xbf" + data[at:]
    if kind == "garbage_tail":
        return data + payload
    if kind == "empty":
        return b""
    if kind == "whitespace":
        return b" \r\n\t\n  \x00\n"
    raise ValueError(kind)


def describe_byte_op(op: tuple) -> str:
    kind, where, payload = op
    shown = payload if isinstance(payload, int) else payload[:12]
    return f"bytes: {kind} at {where:.3f}" + (f" {shown!r}" if payload not in (b"", 0) else "")


# --- cases file mutations -------------------------------------------------------------------------------------

def mutate_cases(case: Case, rng: random.Random) -> None:
    rows = [list(r) for r in case.cases]
    kind = rng.choice(["drop", "dup_same", "dup_conflict", "bad_date", "empty_pid", "header_only", "missing_col",
                       "crlf_bom", "unknown_patient", "extra_col", "ragged", "us_date", "blank_lines"])
    ok = True
    if kind == "drop" and len(rows) > 2:
        del rows[rng.randrange(1, len(rows))]
    elif kind == "dup_same" and len(rows) > 1:
        rows.append(list(rows[rng.randrange(1, len(rows))]))
    elif kind == "dup_conflict" and len(rows) > 1:
        r = list(rows[rng.randrange(1, len(rows))])
        r[1] = "2020-01-01" if r[1] != "2020-01-01" else "2021-01-01"
        rows.append(r)
        ok = False
    elif kind == "bad_date" and len(rows) > 1:
        rows[rng.randrange(1, len(rows))][1] = rng.choice(["2025-02-30", "06/31/2025", "soon", "", "1899-01-01"])
        ok = False
    elif kind == "empty_pid" and len(rows) > 1:
        rows[rng.randrange(1, len(rows))][0] = rng.choice(["", "  "])
        ok = False
    elif kind == "header_only":
        rows = rows[:1]
        ok = False
    elif kind == "missing_col":
        rows = [[r[0]] for r in rows]
        ok = False
    elif kind == "unknown_patient":
        rows.append(["NOBODY-999", "2025-06-30"])
    elif kind == "extra_col":
        rows = [r + (["comment"] if k == 0 else ["x"]) for k, r in enumerate(rows)]
    elif kind == "ragged" and len(rows) > 1:
        rows[rng.randrange(1, len(rows))].append("x")
        ok = False
    elif kind == "us_date" and len(rows) > 1:
        r = rows[rng.randrange(1, len(rows))]
        try:
            r[1] = dt.date.fromisoformat(r[1]).strftime("%m/%d/%Y")
        except ValueError:
            pass
    elif kind == "crlf_bom":
        case.cases_text = "\ufeff" + "".join(",".join(r) + "\r\n" for r in rows)
    elif kind == "blank_lines":
        case.cases_text = "\n".join(",".join(r) for r in rows) + "\n\n\n"
    else:
        kind = "none"
    case.cases, case.cases_ok = rows, ok
    case.note(f"cases: {kind}")


# --- building a case from a seed ------------------------------------------------------------------------------

def make_case(seed: int, light: bool = False) -> Case:
    rng = random.Random(seed)
    rows = [list(r) for r in BASE_ROWS]
    if rng.random() < 0.5:
        k = rng.randint(1, len(rows))
        start = rng.randrange(len(rows) - k + 1)
        rows = rows[start:start + k]
    case = Case(seed, list(BASE_HEADER), rows, light=light)
    case.note(f"{len(rows)} sample rows")
    r = rng.random()
    case.fmt = "csv" if r < 0.55 else "tsv" if r < 0.67 else "jsonl" if r < 0.90 else "parquet"
    if case.fmt != "parquet" and rng.random() < 0.2:
        case.gz = True
    if case.fmt == "tsv" and rng.random() < 0.15:
        case.ext = ".csv"
        case.note("tab-separated, named .csv")
    ops, weights = zip(*MODEL_OPS)
    for op in rng.choices(ops, weights, k=rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 6])):
        op(case, rng)
    if case.fmt in ("csv", "tsv"):
        case.newline = rng.choice(["\n", "\n", "\r\n", "\r\n", "\r"])
        case.quote_all = rng.random() < 0.2
        case.trailing_newline = rng.random() < 0.85
    elif case.fmt == "jsonl":
        case.newline = rng.choice(["\n", "\n", "\r\n"])
        case.trailing_newline = rng.random() < 0.85
    if case.fmt != "parquet":
        case.encoding = rng.choices(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-32"], [70, 12, 8, 7, 3])[0]
    if case.fmt == "parquet" and not parquet_ok(case):
        case.fmt = "csv"
        case.note("not rectangular: written as CSV")
    if rng.random() < 0.35:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if case.gz and rng.random() < 0.3:
                case.gz_byte_ops.append(random_byte_op(rng))
            else:
                case.byte_ops.append(random_byte_op(rng))
    case.chunk_size = rng.choice([5000, 5000, 5000, 1, 2, 3, 7, 16, 50])
    if rng.random() < 0.05 and not light:
        case.workers = 2
    if rng.random() < 0.08:
        case.review_date = rng.choice(["2025-06-30", "06/30/2025", "2025-12-31"])
    elif rng.random() < 0.02:
        case.review_date, case.options_ok = rng.choice(["2025-13-01", "soon", "1800-01-01"]), False
    if rng.random() < 0.4:
        case.cases = [list(CASES_HEADER)] + [list(r) for r in CASES_ROWS]
        if rng.random() < 0.3:
            mutate_cases(case, rng)
    for op in case.byte_ops:
        case.note(describe_byte_op(op))
    for op in case.gz_byte_ops:
        case.note("gzip " + describe_byte_op(op))
    case.note(f"{case.file_name} {case.encoding} newline={case.newline!r}"
              + (" quote_all" if case.quote_all else "") + f" chunk_size={case.chunk_size}"
              + (f" workers={case.workers}" if case.workers > 1 else ""))
    return case


def parquet_ok(case: Case) -> bool:
    h = case.header
    return bool(h) and len(set(h)) == len(h) and all(len(r) == len(h) for r in case.rows)


# --- writing ---------------------------------------------------------------------------------------------------

def csv_text(case: Case, delimiter: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=case.newline,
                   quoting=csv.QUOTE_ALL if case.quote_all else csv.QUOTE_MINIMAL)
    if case.header is not None:
        w.writerow(case.header)
    w.writerows(case.rows)
    text = case.lead + buf.getvalue()
    if not case.trailing_newline and text.endswith(case.newline):
        text = text[:-len(case.newline)]
    return text


def json_line(keys: list[str], row: list[str], tweak) -> str:
    obj: dict = {}
    for j, v in enumerate(row):
        obj[keys[j] if j < len(keys) else f"extra_{j}"] = v
    raw = None
    if tweak:
        kind, col = tweak
        if kind == "drop":
            obj.pop(col, None)
        elif kind == "null":
            obj[col] = None
        elif kind == "nested":
            obj[col] = {"a": [1, None, "b"]}
        elif kind == "bool":
            obj[col] = True
        elif kind in ("number", "nan"):
            raw = random.Random(len(row)).choice(["12345", "1.50", "-0", "1e5", "12345678901234567890123"]) \
                if kind == "number" else "NaN"
            obj[col] = "@@RAW@@"
        elif kind == "array":
            return json.dumps(list(obj.values()))
        elif kind == "scalar":
            return json.dumps("x")
        elif kind == "empty_obj":
            return "{}"
        elif kind == "deep":
            return "[" * 100_000 + "]" * 100_000
        elif kind == "single_quotes":
            return repr(obj)
    line = json.dumps(obj, ensure_ascii=len(row) % 2 == 0)
    if raw is not None:
        line = line.replace('"@@RAW@@"', raw)
    if tweak and tweak[0] == "invalid":
        line = line[:len(line) // 2]
    if tweak and tweak[0] == "dupkey" and line.endswith("}"):
        line = line[:-1] + (", " if len(line) > 2 else "") + json.dumps(tweak[1]) + ': "dup"}'
    return line


def jsonl_text(case: Case) -> str:
    keys = case.header if case.header is not None else COLUMNS
    lines = ["" if not r else json_line(keys, r, case.json_tweaks.get(i)) for i, r in enumerate(case.rows)]
    text = case.lead + case.newline.join(lines) + (case.newline if case.trailing_newline and lines else "")
    return text


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "replace")
    if encoding == "cp1252":
        return text.encode("cp1252", "replace")
    return text.encode(encoding, "replace")


def plain_bytes(case: Case) -> bytes:
    if case.fmt == "parquet":
        import pandas as pd
        buf = io.BytesIO()
        pd.DataFrame(case.rows, columns=case.header, dtype=str).to_parquet(buf, index=False)
        data = buf.getvalue()
    elif case.fmt == "jsonl":
        data = encode(jsonl_text(case), case.encoding)
    else:
        data = encode(csv_text(case, "\t" if case.fmt == "tsv" else ","), case.encoding)
    for op in case.byte_ops:
        data = apply_byte_op(data, op)
    return data


def file_bytes(case: Case) -> bytes:
    data = plain_bytes(case)
    if case.gz:
        data = gzip.compress(data, mtime=0)
        for op in case.gz_byte_ops:
            data = apply_byte_op(data, op)
    return data


def cases_bytes(case: Case) -> bytes:
    if case.cases_text is not None:
        return case.cases_text.encode("utf-8")
    return "".join(",".join(r) + "\n" for r in case.cases).encode("utf-8")


# --- the reference: what the README says the readers must make of these bytes ----------------------------------

@dataclasses.dataclass
class Expect:
    kind: str                      # rows | error | unknown
    why: str = ""
    records: list = dataclasses.field(default_factory=list)   # per record: dict (column -> text) or None (bad)
    status: list = dataclasses.field(default_factory=list)    # per record: accept | reject | ?
    columns: list = dataclasses.field(default_factory=list)   # after --column
    text_cells: list = dataclasses.field(default_factory=list)
    other_cells: list = dataclasses.field(default_factory=list)
    model_count: int | None = None   # the records the mutation wrote, where the file round-trips

    @property
    def count(self) -> int:
        return len(self.records)


def ref_text(data: bytes) -> tuple[str | None, str]:
    """The export's text as the README says it is decoded, or (None, why it is refused / 'unknown')."""
    head = data[:HEAD_BYTES]
    if not head.strip(b" \t\r\n\x00"):
        return None, "error: empty file"
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), ""
            except UnicodeDecodeError:
                return None, f"error: not valid {codec} after its byte order mark"
    if head.count(0) > 0.15 * len(head):
        return None, "unknown: NUL-heavy (UTF-16 without a byte order mark?)"
    if any(head.startswith(m) for m in MAGIC):
        return None, "error: binary magic"
    control = len(head) - len(head.translate(None, CONTROL))
    if control > max(8, len(head) // 20):
        return None, "error: control bytes"
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    # not valid UTF-8: "UTF-8 with a few broken bytes" (more UTF-8 characters than broken bytes) keeps UTF-8 with
    # the broken bytes replaced, anything else is Windows-1252/Latin-1
    escaped = data.decode("utf-8", "surrogateescape")
    invalid = sum(1 for c in escaped if "\udc80" <= c <= "\udcff")
    utf8 = sum(1 for c in escaped if ord(c) > 127) - invalid
    if utf8 >= invalid:
        return data.decode("utf-8", "replace"), ""
    return data.decode("latin-1").translate(CP1252), ""


def column_names(header: list[str]) -> list[str]:
    out, seen = [], {}
    for i, h in enumerate(header):
        name = h.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def column_map(column_args: list[str]) -> dict[str, str]:
    mapping = {}
    for item in column_args:
        name, sep, source = item.partition("=")
        mapping[name.strip()] = source.strip()
    return mapping


def mapped(columns: list[str], column_args: list[str]) -> tuple[list[str] | None, str]:
    """Columns after --column, or (None, why the run must stop) / (columns, 'ambiguous')."""
    mapping = column_map(column_args)
    if any(v not in columns for v in mapping.values()):
        return None, "error: --column source not in the file"
    rename = {v: k for k, v in mapping.items()}
    cols = [rename.get(c, c) for c in columns]
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        return None, f"error: missing required column(s) {', '.join(missing)}"
    if any(cols.count(c) > 1 for c in COLUMNS):
        return cols, "ambiguous"
    return cols, ""


def as_json_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def reference(case: Case, data: bytes) -> Expect:
    if case.gz:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return Expect("error", "damaged gzip")
    if case.fmt == "parquet":
        if case.byte_ops:
            return Expect("unknown", "damaged parquet")
        cols, why = mapped(list(case.header), case.column_args)
        if cols is None:
            return Expect("error", why)
        records = [dict(zip(reversed(cols), reversed(r))) for r in case.rows]
        return finish(Expect("unknown" if why else "rows", why, records, columns=cols), model_count=len(case.rows))
    text, why = ref_text(data)
    if text is None:
        return Expect(why.split(":")[0], why)
    text = text.replace("\x00", " ")
    if case.fmt == "jsonl":
        return ref_jsonl(case, text)
    delimiter = "," if (case.ext or EXTENSIONS[case.fmt]) == ".csv" else "\t"
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = None
        for fields in reader:
            if any(h.strip() for h in fields):
                header = fields
                break
        if header is None:
            return Expect("error", "empty: no header")
        columns = column_names(header)
        if len(columns) == 1 and any(s in header[0] for s in "\t;|"):
            return Expect("error", "one column holding separators")
        raw = [f for f in reader if f and not (len(f) == 1 and not f[0].strip())]
    except csv.Error as e:
        return Expect("error", f"csv: {e}")
    cols, why = mapped(columns, case.column_args)
    if cols is None:
        return Expect("error", why)
    records = [dict(zip(reversed(cols), reversed(f))) if len(f) == len(cols) else None for f in raw]
    exp = Expect("unknown" if why else "rows", why, records, columns=cols)
    exp.other_cells = list(header) + [c for f in raw if len(f) != len(cols) for c in f]
    return finish(exp, model_count=model_count(case))


def ref_jsonl(case: Case, text: str) -> Expect:
    records: list = []
    keys: dict = {}
    firsts: list = []
    for line in io.StringIO(text, newline=""):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_int=str, parse_float=str, parse_constant=str, strict=False)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict):
            obj = {str(k): as_json_text(v) for k, v in obj.items()}
            keys.update(dict.fromkeys(obj))
        else:
            obj = None
        records.append(obj)
        firsts.append(list(keys))
    if not records:
        return Expect("error", "empty: no JSON lines")
    why = ""
    for end in range(case.chunk_size, len(records) + case.chunk_size, case.chunk_size):
        columns = firsts[min(end, len(records)) - 1]   # the keys seen up to the end of this chunk
        if not columns:
            return Expect("error", "no JSON object")
        cols, why = mapped(columns, case.column_args)
        if cols is None:
            return Expect("error", why + f" (in the chunk ending at record {min(end, len(records))})")
    rename = {v: k for k, v in column_map(case.column_args).items()}
    out = [None if r is None else {rename.get(k, k): v for k, v in r.items()} for r in records]
    n = None if case.byte_ops else sum(1 for r in case.rows if r) + sum(1 for x in case.lead.split("\n") if x.strip())
    return finish(Expect("unknown" if why else "rows", why, out, columns=cols), model_count=n)


def model_count(case: Case) -> int | None:
    """The records the mutation wrote, where no byte was touched and the rows round-trip through csv."""
    if case.byte_ops:
        return None
    rows = ([case.header] if case.header is not None else []) + case.rows
    written = [r for r in rows if r and not (len(r) == 1 and not r[0].replace("\x00", " ").strip())]
    lead = [line.split(",") for line in case.lead.splitlines() if line.strip() and line.strip(",").strip()]
    written = lead + written
    while written and not any(c.replace("\x00", " ").strip() for c in written[0]):
        written = written[1:]
    return max(len(written) - 1, 0) if written else None


ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
US = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


def date_status(s: str) -> str:
    """accept / reject where the README's rules settle a note_date for sure, else '?'."""
    if not s:
        return "reject"
    if not any(c.isdigit() for c in s):
        return "reject"
    y = m = d = None
    if ISO.fullmatch(s):
        y, m, d = int(s[:4]), int(s[5:7]), int(s[8:])
    elif US.fullmatch(s):
        mm, dd, yy = US.fullmatch(s).groups()
        y, m, d = int(yy), int(mm), int(dd)
    if y is None:
        return "?"
    try:
        day = dt.date(y, m, d)
    except ValueError:
        return "reject"
    return "accept" if 1900 <= day.year <= 2100 else "reject"


def finish(exp: Expect, model_count: int | None = None) -> Expect:
    """Per record: accepted or rejected for sure, or '?'; and the cells the note-text probes are taken from."""
    exp.model_count = model_count
    certain, maybe = set(), set()
    for rec in exp.records:
        if rec is None:
            exp.status.append("reject")
            continue
        pid, nid, date = (rec.get(c, "").strip() for c in ("patient_id", "note_id", "note_date"))
        if not pid or not nid:
            s = "reject"
        else:
            s = date_status(date)
        if s == "accept" and nid in certain:
            s = "reject"
        elif s == "accept" and nid in maybe:
            s = "?"
        if s == "accept":
            certain.add(nid)
        elif s == "?":
            maybe.add(nid)
        exp.status.append(s)
        exp.text_cells.append(rec.get("text", ""))
        exp.other_cells += [v for k, v in rec.items() if k != "text"] + list(rec)
    return exp


def probes(texts: list[str], others: list[str], n: int = 40) -> list[str]:
    """Distinctive pieces of note text (24 characters, mostly letters; or a short note's first line) that no id,
    date or header holds."""
    other = "\x1f".join(others)
    out = []
    for t in texts:
        first = t.strip().split("\n")[0].strip()
        if 12 <= len(first) <= 64 and sum(c.isalpha() for c in first) >= 8 and first not in other:
            out.append(first)
        for frac in (0.3, 0.6):
            k = int(len(t) * frac)
            p = t[k:k + 24]
            if len(p) == 24 and sum(c.isalpha() for c in p) >= 14 and "\n" not in p and "\r" not in p \
                    and p not in other and p.strip() == p:
                out.append(p)
    return sorted(set(out), key=lambda p: (len(p) > 24, p))[:n]


# --- running and checking -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    timeout: bool = False


def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("scs-abstract")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pipeline.cli.main"]


def argv_for(case: Case, notes: Path, cases: Path | None, out: Path) -> list[str]:
    argv = ["run", str(notes), "--out", str(out), "--quiet"]
    if cases is not None:
        argv += ["--cases", str(cases)]
    if case.chunk_size != 5000:
        argv += ["--chunk-size", str(case.chunk_size)]
    if case.workers != 1:
        argv += ["--workers", str(case.workers)]
    if case.review_date is not None:
        argv += ["--review-date", case.review_date]
    for c in case.column_args:
        argv += ["--column", c]
    return argv


def write_inputs(case: Case, folder: Path) -> tuple[Path, Path | None, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    data = file_bytes(case)
    notes = folder / case.file_name
    notes.write_bytes(data)
    cases = None
    if case.cases is not None:
        cases = folder / "cases.csv"
        cases.write_bytes(cases_bytes(case))
    return notes, cases, data


def run_subprocess(argv: list[str], timeout: float, cwd: Path) -> Result:
    env = {k: v for k, v in os.environ.items() if k != "SCS_DEBUG"}
    t0 = time.perf_counter()
    p = subprocess.Popen(cli_command() + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException as e:  # a timeout, or the fuzzer itself interrupted: the run we started goes too
        if not isinstance(e, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            raise
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # the run we started, and its workers
        out, err = p.communicate()
        return Result(None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                      time.perf_counter() - t0, timeout=True)
    return Result(p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.perf_counter() - t0)


def last_lines(s: str, n: int = 3) -> str:
    lines = [x for x in s.strip().splitlines() if x.strip()]
    return " | ".join(lines[-n:])[-600:]


def check(case: Case, exp: Expect, res: Result, notes: Path, cases: Path | None, out: Path) -> list[str]:
    """What went wrong in one run (empty: nothing)."""
    fails: list[str] = []
    if res.timeout:
        return [f"timeout after {res.seconds:.0f} s"]
    err = res.stderr
    if "Traceback (most recent call last)" in err or "Traceback (most recent call last)" in res.stdout:
        fails.append(f"traceback: {last_lines(err)}")
    if res.code not in (0, 2):
        fails.append(f"exit {res.code}: {last_lines(err)}")
    elif "the run failed:" in err:
        fails.append(f"unexpected failure reported as exit {res.code}: {last_lines(err)}")
    run_json = out / "run.json"
    run = None
    if run_json.exists():
        try:
            run = json.loads(run_json.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            fails.append(f"run.json unreadable: {e.__class__.__name__}")
    if res.code == 0 and run is None:
        fails.append("exit 0 without run.json")
    if run is not None:
        fails += check_counts(run, out)
    if res.code == 2 and run is None and not err.strip().startswith("scs-abstract: error:") \
            and "scs-abstract: error:" not in err:
        fails.append(f"exit 2 without an error message: {last_lines(err)}")
    fails += check_expectation(case, exp, res, run, notes, cases, out)
    fails += check_phi(case, exp, res, out)
    return fails


def check_counts(run: dict, out: Path) -> list[str]:
    fails = []
    c = run.get("counts", {})
    read, done, rejected = c.get("rows_read"), c.get("notes_processed"), c.get("rows_rejected")
    if not all(isinstance(v, int) for v in (read, done, rejected)) or read != done + rejected:
        return [f"counts do not add up: rows_read={read} notes_processed={done} rows_rejected={rejected}"]
    path = out / "rejected.csv"
    if not path.exists():
        return ["run.json without rejected.csv"]
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    if len(table) != rejected:
        fails.append(f"rejected.csv has {len(table)} rows, run.json says {rejected}")
    try:
        rows = [int(r["row"]) for r in table]
    except (KeyError, ValueError):
        return fails + ["rejected.csv row numbers unreadable"]
    if len(set(rows)) != len(rows):
        fails.append("rejected.csv lists a row twice")
    if rows and (min(rows) < 1 or max(rows) > read):
        fails.append(f"rejected.csv row numbers outside 1..{read}: {min(rows)}..{max(rows)}")
    return fails


def rejected_rows(out: Path) -> dict[int, str]:
    path = out / "rejected.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {int(r["row"]): r["reason"] for r in csv.DictReader(f) if r.get("row", "").isdigit()}


def check_expectation(case: Case, exp: Expect, res: Result, run: dict | None, notes: Path, cases: Path | None,
                      out: Path) -> list[str]:
    if res.code not in (0, 2):
        return []
    if not case.options_ok:
        return [] if res.code == 2 and run is None else [f"a bad option, yet exit {res.code}"]
    if cases is not None and not case.cases_ok:
        if res.code != 2 or run is not None:
            return [f"a bad cases file, yet exit {res.code}"]
        return [] if cases.name in res.stderr else ["a bad cases file refused without naming it"]
    counts = (run or {}).get("counts", {})
    if exp.kind == "error":
        if res.code == 0 or run is not None:
            return [f"the reference refuses the file ({exp.why}), yet exit {res.code} with "
                    f"rows_read={counts.get('rows_read')}"]
        return [] if notes.name in res.stderr else [f"refused without naming the file: {last_lines(res.stderr)}"]
    if exp.kind != "rows":
        return []
    fails = []
    if run is None:
        return [f"a readable export ({exp.count} records) refused: {last_lines(res.stderr)}"]
    if counts.get("rows_read") != exp.count:
        fails.append(f"lost or invented rows: rows_read={counts.get('rows_read')}, the reference finds {exp.count}")
    if exp.model_count is not None and exp.model_count != exp.count:
        case.note(f"(the csv round trip changes the count: written {exp.model_count}, read back {exp.count})")
    if res.code == 2 and counts.get("notes_processed"):
        fails.append("exit 2 with notes processed")
    if res.code == 0 and exp.count and not counts.get("notes_processed"):
        fails.append("exit 0 with no note processed")
    rejected = rejected_rows(out)
    for k, s in enumerate(exp.status, start=1):
        if s == "reject" and k not in rejected:
            fails.append(f"row {k} is bad but was processed")
        elif s == "accept" and k in rejected:
            fails.append(f"row {k} is good but was rejected ({rejected[k][:80]})")
    return fails[:8]


def check_phi(case: Case, exp: Expect, res: Result, out: Path) -> list[str]:
    if exp.kind == "rows" or (exp.kind == "unknown" and exp.records):
        texts, others = exp.text_cells, exp.other_cells
    else:
        hdr = case.header or COLUMNS
        j = hdr.index("text") if "text" in hdr else len(hdr) - 1
        texts = [r[j] for r in case.rows if len(r) > j]
        others = list(hdr) + [c for r in case.rows for k, c in enumerate(r) if k != j]
    others = others + ["".join(case.column_args)]
    where = {"stdout": res.stdout, "stderr": res.stderr}
    for name in ("rejected.csv", "run.json"):
        if (out / name).exists():
            where[name] = (out / name).read_text(encoding="utf-8", errors="replace")
    fails = []
    for p in probes(texts, others):
        for name, content in where.items():
            if p in content:
                fails.append(f"note text in {name}")
    return sorted(set(fails))


def outcome(res: Result, out: Path) -> str:
    if res.timeout:
        return "timeout"
    if res.code == 2:
        return "exit 2 (no row processed)" if (out / "run.json").exists() else "exit 2 (refused)"
    return f"exit {res.code}"


def run_one(seed: int, work: Path, timeout: float, keep: bool = False) -> tuple[Case, Expect, Result, list[str]]:
    case = make_case(seed)
    folder = work / "current"
    shutil.rmtree(folder, ignore_errors=True)
    notes, cases, data = write_inputs(case, folder)
    exp = reference(case, data)
    out = folder / "out"
    res = run_subprocess(argv_for(case, notes, cases, out), timeout, folder)
    fails = check(case, exp, res, notes, cases, out)
    if fails or keep:
        save_failure(work, case, exp, res, fails, folder, out)
    return case, exp, res, fails


def save_failure(work: Path, case: Case, exp: Expect, res: Result, fails: list[str], folder: Path, out: Path):
    dest = work / "failures" / f"seed-{case.seed}"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".work"))
    (dest / "stdout.txt").write_text(res.stdout, encoding="utf-8")
    (dest / "stderr.txt").write_text(res.stderr, encoding="utf-8")
    (dest / "failure.json").write_text(json.dumps({
        "seed": case.seed, "exit": res.code, "failures": fails, "mutations": case.log,
        "reference": {"kind": exp.kind, "why": exp.why, "records": exp.count, "model_count": exp.model_count},
        "argv": ["scs-abstract"] + argv_for(case, dest / case.file_name,
                                            dest / "cases.csv" if case.cases is not None else None, dest / "out"),
        "replay": f"{sys.executable} {Path(__file__).resolve()} --replay {case.seed} --work {work}"}, indent=1),
        encoding="utf-8")


def fuzz_cli(runs: int, seed: int, work: Path, timeout: float) -> tuple[dict, list]:
    master = random.Random(seed)
    seeds = [master.getrandbits(40) for _ in range(runs)]
    outcomes: dict[str, int] = {}
    refs: dict[str, int] = {}
    failures = []
    rows_checked = 0
    t0 = time.perf_counter()
    for k, s in enumerate(seeds, start=1):
        case, exp, res, fails = run_one(s, work, timeout)
        o = outcome(res, work / "current" / "out")
        outcomes[o] = outcomes.get(o, 0) + 1
        refs[exp.kind] = refs.get(exp.kind, 0) + 1
        rows_checked += exp.count if exp.kind == "rows" else 0
        if fails:
            failures.append((s, o, fails, case.log))
            print(f"FAIL seed {s} ({o}): {'; '.join(fails)}\n    mutations: {'; '.join(case.log)}", flush=True)
        if k % 25 == 0 or k == runs:
            print(f"[{k}/{runs}] {time.perf_counter() - t0:.0f} s, {len(failures)} failing", file=sys.stderr,
                  flush=True)
    shutil.rmtree(work / "current", ignore_errors=True)
    return {"outcomes": outcomes, "reference": refs, "rows_checked": rows_checked,
            "seconds": time.perf_counter() - t0}, failures


# --- in-process: the pure readers under hypothesis -------------------------------------------------------------

def reader_properties(examples: int, seed: int) -> list[tuple[str, int, str | None]]:
    """Run every property with `examples` examples; (name, examples run, failure or None) per property."""
    import hypothesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    props = reader_property_functions(st)
    results = []
    log = logging.getLogger("scs_abstract")
    level, log.level = log.level, logging.ERROR  # the readers' warnings (thousands of them) are not findings
    for name, strategy, body in props:
        counter, failing = [0], [None]
        test = _counting(body, counter, failing)
        wrapped = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                           suppress_health_check=list(HealthCheck), print_blob=False)(given(strategy)(test))
        wrapped = hypothesis.seed(seed)(wrapped)
        failure = None
        t0 = time.perf_counter()
        try:
            wrapped()
        except Exception as e:  # a falsified property: hypothesis re-raises the shrunk example's error
            first = str(e).split("\n")[0][:300]
            frames = traceback.extract_tb(e.__traceback__)
            inner = [f for f in frames if "/pipeline/" in f.filename] or frames
            at = f"{Path(inner[-1].filename).name}:{inner[-1].lineno} in {inner[-1].name}()" if inner else "?"
            failure = f"{e.__class__.__name__}: {first} at {at} | example {failing[0]}"
        print(f"  {name}: {counter[0]} examples, {time.perf_counter() - t0:.1f} s"
              + (f", FAILED: {failure}" if failure else ", ok"), file=sys.stderr, flush=True)
        results.append((name, counter[0], failure))
    log.setLevel(level)
    return results


def _counting(body, counter, failing):
    def test(value):
        counter[0] += 1
        try:
            body(value)
        except BaseException:
            failing[0] = repr(value)[:300]  # the last one is the shrunk example hypothesis replays
            raise
    return test


def reader_property_functions(st):
    """(name, strategy, check(value)) for each property of the readers; check raises AssertionError."""
    import pandas as pd

    from pipeline.errors import InputError
    from pipeline.io.dates import find_date_ranges, find_dates, parse_date
    from pipeline.io.exports import iter_chunks, read_cases, read_notes, validate
    from pipeline.io.scratch import NoteIdIndex

    in_range = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    date_bits = st.sampled_from(["2025", "-", "/", "03", "3", "19", "31", "02", "30", "12", "00", "1899", "2101",
                                 "T", " ", "08:15", ":00", "Z", "+05:30", "AM", "PM", "Mar", "March", ",", ".",
                                 "th", "２", "٢", "\u200b", "\x00", "99999999", "1e5", "nan", "-0", "\t"])
    date_like = st.one_of(st.text(max_size=30), st.lists(date_bits, max_size=10).map("".join),
                          st.builds(lambda d, f: d.strftime(f), in_range,
                                    st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d-%b-%Y", "%b %d, %Y",
                                                     "%Y%m%d", "%Y-%m-%dT%H:%M:%S", "%d %B %Y", "%Y-%m-%d %H:%M"])))

    def p_parse_date_total(s):
        d = parse_date(s)
        assert d is None or (isinstance(d, dt.date) and 1900 <= d.year <= 2100), (s, d)

    def p_parse_date_exact(v):
        d, form, pad = v
        text = pad + d.strftime(form) + pad
        assert parse_date(text) == d, (text, parse_date(text))

    def p_parse_date_out_of_range(v):
        d, us = v
        text = f"{d.month:02d}/{d.day:02d}/{d.year:04d}" if us else f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
        assert parse_date(text) is None, (text, parse_date(text))

    text_tokens = st.one_of(date_like, st.sampled_from([
        "this past spring", "last winter", "two weeks ago", "last month", "a year ago", "spring 2025", "early 0000",
        "since 1999", "7/10", "6/2", "12/30", "2/30", "through", "-", "to", "between", "and", "Feb 3 - Mar 28, 2025",
        "April 7th to June 2nd", "Feb 30 - Mar 31", "(initial evaluation)", "\n", " ", "9/9/24 through 11/15/24",
        "13/45/2025", "0/0/0000", "late 2101", "mid 1900", "99 years ago", "Dec 31 - Jan 1"]))
    dated_text = st.tuples(st.lists(text_tokens, max_size=12).map(" ".join), in_range, st.booleans())
    edge_dates = st.sampled_from([dt.date.min, dt.date(1, 1, 15), dt.date(1, 3, 1), dt.date(1, 12, 31), dt.date.max,
                                  dt.date(9999, 1, 1), dt.date(1900, 1, 1), dt.date(2100, 12, 31)])
    any_ref = st.tuples(st.lists(text_tokens, max_size=8).map(" ".join), st.one_of(st.dates(), edge_dates),
                        st.booleans())

    def p_find_dates(v):
        text, ref, yearless = v
        found = find_dates(text, ref, yearless)
        assert found == sorted(found)
        for m in found:
            assert 0 <= m.start < m.end <= len(text) and 1900 <= m.date.year <= 2100
            assert m.precision in ("day", "month", "part", "year", "relative")
        for r in find_date_ranges(text, ref):
            assert 0 <= r.start < r.end <= len(text) and r.first <= r.last

    def p_find_dates_any_ref(v):
        text, ref, yearless = v
        find_dates(text, ref, yearless)
        find_date_ranges(text, ref)

    # random small tables, written by the same writer as the CLI runs, read in-process
    cell = st.one_of(st.sampled_from(["", " ", "A", "B", "P1", "N1", "N2", "001", "x", "2025-03-19", "03/19/2025",
                                      "2025-02-30", "1899-12-31", "13/45/2025", "Mar 19, 2025", "nan", "null",
                                      "ODI 44%", "relief 60%", 'say "hi"', "a,b", "a\tb", "l1\nl2", "l1\r\nl2",
                                      "cr\rcr", "\x00", "é", "😀", "\ufeff", "\u2028", "_row_error"]),
                     st.text(max_size=12))
    header = st.one_of(st.just(list(COLUMNS)), st.permutations(COLUMNS).map(list),
                       st.lists(st.sampled_from(COLUMNS + ["extra", " text ", "Text", "", "_row_error"]),
                                min_size=1, max_size=7))
    table = st.fixed_dictionaries({
        "header": header,
        "rows": st.lists(st.one_of(st.lists(cell, min_size=5, max_size=5), st.lists(cell, max_size=7)), max_size=12),
        "fmt": st.sampled_from(["csv", "csv", "tsv", "jsonl", "jsonl", "parquet"]),
        "gz": st.booleans(), "encoding": st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16"]),
        "newline": st.sampled_from(["\n", "\r\n", "\r"]), "quote_all": st.booleans(),
        "byte_ops": st.lists(st.tuples(st.sampled_from(["truncate", "insert", "quote", "flip", "nul_run"]),
                                       st.floats(0, 1), st.sampled_from([b"\x00", b'"', b"\xff", b"\n", b","])),
                             max_size=2),
        "chunk": st.integers(1, 4)})

    def to_case(t) -> Case:
        case = Case(0, list(t["header"]), [list(r) for r in t["rows"]], fmt=t["fmt"], gz=t["gz"] and
                    t["fmt"] != "parquet", encoding=t["encoding"], newline=t["newline"] if t["fmt"] != "jsonl"
                    else "\n", quote_all=t["quote_all"], chunk_size=t["chunk"])
        if case.fmt == "parquet" and not parquet_ok(case):
            case.fmt = "csv"
        case.byte_ops = [(k, w, p if k != "nul_run" else 3) for k, w, p in t["byte_ops"]] if case.fmt != "parquet" \
            else []
        return case

    def read_in_chunks(path: Path, size: int):
        seen = NoteIdIndex()
        notes, rejected, n = [], [], 0
        try:
            for c in iter_chunks(path, size):
                r = validate(c.frame, str(path), None, c.row_offset, seen)
                notes.append(r.notes)
                rejected.append(r.rejected)
                n += r.rows_read
        finally:
            seen.close()
        return pd.concat(notes, ignore_index=True), pd.concat(rejected, ignore_index=True), n

    def partition(notes, rejected, n):
        rows = list(notes["row"]) + list(rejected["row"])
        assert sorted(rows) == list(range(1, n + 1)), "rows lost or counted twice"
        assert notes["note_id"].is_unique, "a note_id accepted twice"

    def p_tables(t):
        case = to_case(t)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / case.file_name
            data = file_bytes(case)
            path.write_bytes(data)
            whole = Case(**{**dataclasses.asdict(case), "chunk_size": 100_000})
            exp = reference(whole, data)
            try:
                read = read_notes(path)
            except InputError:
                assert exp.kind != "rows", f"refused a file the reference reads ({exp.count} records)"
                read = None
            if read is not None:
                assert exp.kind != "error", f"read a file the reference refuses ({exp.why})"
                partition(read.notes, read.rejected, read.rows_read)
                if exp.kind == "rows":
                    assert read.rows_read == exp.count, (read.rows_read, exp.count)
                    bad = set(read.rejected["row"])
                    for k, s in enumerate(exp.status, start=1):
                        assert not (s == "reject" and k not in bad), f"row {k} is bad but was accepted"
                        assert not (s == "accept" and k in bad), f"row {k} is good but was rejected"
            exp_chunked = reference(case, data)
            try:
                notes, rejected, n = read_in_chunks(path, case.chunk_size)
            except InputError:
                assert exp_chunked.kind != "rows", "refused in chunks, though the reference reads it"
                return
            partition(notes, rejected, n)
            if read is not None:  # the chunk size changes nothing
                assert n == read.rows_read
                assert list(notes["row"]) == list(read.notes["row"])
                assert dict(zip(rejected["row"], rejected["reason"])) == dict(zip(read.rejected["row"],
                                                                                  read.rejected["reason"]))

    raw = st.tuples(st.sampled_from(["", "patient_id,note_id,note_date,text\n",
                                     '{"patient_id": "A", "note_id": "1", "note_date": "2025-01-01", "text": ""}\n']),
                    st.binary(max_size=300), st.sampled_from([".csv", ".tsv", ".jsonl", ".csv.gz", ".jsonl.gz"]))

    def p_bytes(v):
        prefix, body, ext = v
        data = prefix.encode() + body
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"n{ext}"
            path.write_bytes(gzip.compress(data) if ext.endswith(".gz") else data)
            fmt = "jsonl" if ".jsonl" in ext else "tsv" if ".tsv" in ext else "csv"
            exp = reference(Case(0, None, [], fmt=fmt, gz=False, chunk_size=100_000), data)
            try:
                read = read_notes(path)
            except InputError:
                assert exp.kind != "rows", f"refused bytes the reference reads ({exp.count} records)"
                return
            partition(read.notes, read.rejected, read.rows_read)
            assert exp.kind != "error", f"read bytes the reference refuses ({exp.why})"
            if exp.kind == "rows":
                assert read.rows_read == exp.count, (read.rows_read, exp.count)

    value = st.one_of(st.none(), st.just(float("nan")), st.just(pd.NA), st.just(pd.NaT), st.integers(),
                      st.floats(), st.text(max_size=10), st.booleans(), st.binary(max_size=4), in_range,
                      st.datetimes(), st.sampled_from(["2025-03-19", "03/19/2025", "A", "", " "]),
                      st.lists(st.integers(), max_size=2))
    frame = st.tuples(st.lists(st.tuples(*[value] * 5), max_size=10), st.permutations(COLUMNS))

    def p_validate_objects(v):
        rows, cols = v
        df = pd.DataFrame(rows, columns=list(cols)) if rows else pd.DataFrame(columns=list(cols))
        r = validate(df, "frame", None)
        assert r.rows_read == len(rows) == len(r.notes) + len(r.rejected)
        partition(r.notes, r.rejected, r.rows_read)

    cases_text = st.lists(st.lists(st.one_of(st.sampled_from(["P1", "P2", "", "2025-06-30", "06/30/2025",
                                                              "2025-02-30", "x", " "]), st.text(max_size=6)),
                                   max_size=3), max_size=5)

    def p_cases(v):
        rows = v
        buf = io.StringIO()
        csv.writer(buf).writerows([["patient_id", "review_date"]] + rows)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cases.csv"
            path.write_text(buf.getvalue(), encoding="utf-8")
            try:
                out = read_cases(path)
            except InputError:
                return
            assert all(isinstance(d, dt.date) and 1900 <= d.year <= 2100 for d in out.values())

    return [
        ("parse_date: any text", date_like, p_parse_date_total),
        ("parse_date: every day 1900-2100 in the README's forms", st.tuples(
            in_range, st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d-%b-%Y",
                                       "%b %d, %Y", "%B %d, %Y", "%Y%m%d"]), st.sampled_from(["", " ", "\t"])),
         p_parse_date_exact),
        ("parse_date: days outside 1900-2100", st.tuples(
            st.one_of(st.dates(max_value=dt.date(1899, 12, 31)), st.dates(min_value=dt.date(2101, 1, 1))),
            st.booleans()), p_parse_date_out_of_range),
        ("find_dates/find_date_ranges: text with a note date 1900-2100", dated_text, p_find_dates),
        ("find_dates/find_date_ranges: any reference date", any_ref, p_find_dates_any_ref),
        ("read_notes: random small tables, every format, any chunk size", table, p_tables),
        ("read_notes: arbitrary bytes", raw, p_bytes),
        ("validate: DataFrames of any Python values", frame, p_validate_objects),
        ("read_cases: random cases files", cases_text, p_cases),
    ]


# --- main ------------------------------------------------------------------------------------------------------

def _interrupted(signum, frame):
    raise KeyboardInterrupt  # (run_subprocess then ends the CLI run it started)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1, help="master seed (each run's own seed is drawn from it)")
    p.add_argument("--runs", type=int, default=300, help="mutated exports through the CLI (default 300)")
    p.add_argument("--examples", type=int, default=2000, help="hypothesis examples per reader property (0: none)")
    p.add_argument("--work", type=Path, default=None, help="folder for inputs and failures (default: a new temp dir)")
    p.add_argument("--timeout", type=float, default=180, help="seconds one CLI run may take")
    p.add_argument("--replay", type=int, metavar="SEED", help="run the CLI run of this seed again, keep its files")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    work = args.work or Path(tempfile.mkdtemp(prefix="scs-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.replay is not None:
        case, exp, res, fails = run_one(args.replay, work, args.timeout, keep=True)
        print(f"seed {args.replay}: {outcome(res, work / 'current' / 'out')}; reference {exp.kind} {exp.why} "
              f"({exp.count} records)\n  mutations: {'; '.join(case.log)}\n  stderr: {last_lines(res.stderr, 6)}")
        print("  " + ("\n  ".join(fails) if fails else "ok") + f"\n  files: {work / 'failures' / f'seed-{case.seed}'}")
        return 1 if fails else 0
    print(f"scs-abstract fuzz: seed {args.seed}, {args.runs} CLI runs, {args.examples} examples per reader "
          f"property, work {work}", flush=True)
    stats, failures = fuzz_cli(args.runs, args.seed, work, args.timeout) if args.runs else ({}, [])
    props = reader_properties(args.examples, args.seed) if args.examples else []
    print("\n== CLI runs (mutated exports) ==")
    if args.runs:
        print(f"inputs tried: {args.runs} in {stats['seconds']:.0f} s; records the reference parser counted and "
              f"checked: {stats['rows_checked']:,}")
        for k, v in sorted(stats["outcomes"].items()):
            print(f"  {k}: {v}")
        print("  reference: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["reference"].items())))
        print(f"failures: {len(failures)}")
        for s, o, fails, log in failures:
            print(f"  seed {s} ({o}): {'; '.join(fails)}\n      mutations: {'; '.join(log)}\n"
                  f"      replay: {sys.executable} {Path(__file__).resolve()} --replay {s} --work {work}")
    print("\n== readers in-process (hypothesis) ==")
    for name, n, failure in props:
        print(f"  {name}: {n} examples, " + (f"FAILED: {failure}" if failure else "ok"))
    bad_props = [x for x in props if x[2]]
    print(f"\ninputs tried: {args.runs} CLI runs + {sum(n for _, n, _ in props):,} in-process examples; "
          f"failing: {len(failures)} CLI runs, {len(bad_props)} properties"
          + (f"; failing inputs under {work / 'failures'}" if failures else ""))
    return 1 if failures or bad_props else 0


if __name__ == "__main__":
    sys.exit(main())
