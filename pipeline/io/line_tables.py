"""EHR reporting tables that store a note one row per line: reassembled into one row per note.

`--column line=LINE` names the line-number column (and `--column version=VERSION` an amended note's
version, the latest of which counts). The lines are written to a sqlite file beside the run's
checkpoints as the export streams in, then read back note by note in line order and joined with line
breaks, so memory holds one note at a time. A note whose lines cannot be put together (a line number
that is not a whole number, a line given twice in one version, lines that disagree on the patient or
the date) has every one of its rows rejected together, each with its own row number.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from pipeline.errors import InputError

LINE_COLUMNS = ("line", "version")
FIELDS = ("patient_id", "note_id", "note_date", "note_type", "text")


def _number(v: str) -> int | None:
    v = v.strip()
    try:
        f = float(v)
    except ValueError:
        return None
    return int(f) if f == int(f) else None


def _version_key(v: str):
    n = _number(v)
    return (0, n, "") if n is not None else (1, 0, v)


def _cell(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def reassemble(chunks: Iterable, columns: dict, source: str, scratch: Path, chunk_size: int) -> Iterator[tuple]:
    """(frame, bytes done) of whole notes, from chunks of one row per line. `columns` maps the contract's names
    (and `line`, `version`) to the export's. The frames hold the contract's columns, `_row` (the note's first
    input row, or each row of a rejected note) and `_row_error`."""
    src = {name: columns.get(name, name) for name in (*FIELDS, *LINE_COLUMNS)}
    if scratch.exists():
        scratch.unlink()
    db = sqlite3.connect(scratch)
    try:
        db.execute("CREATE TABLE lines (seq INTEGER, row INTEGER, note_id TEXT, version TEXT, line TEXT, "
                   "patient_id TEXT, note_date TEXT, note_type TEXT, text TEXT)")
        seq = done = 0
        for c in chunks:
            df = c.frame
            need = [f"{n}={src[n]}" for n in ("line", "note_id", "text") if src[n] not in df.columns] + \
                   ([f"version={src['version']}"] if "version" in columns and src["version"] not in df.columns else [])
            if need:
                raise InputError(f"{source}: --column {', '.join(need)}: no such column in the line table")
            n = len(df)

            def col(name):
                return [_cell(v) for v in df[src[name]].tolist()] if src[name] in df.columns else [""] * n
            rows = range(c.row_offset + 1, c.row_offset + n + 1)
            db.executemany("INSERT INTO lines VALUES (?,?,?,?,?,?,?,?,?)",
                           zip(range(seq, seq + n), rows, [v.strip() for v in col("note_id")], col("version"),
                               col("line"), col("patient_id"), col("note_date"), col("note_type"), col("text")))
            seq += n
            done = c.bytes_done
        db.execute("CREATE INDEX by_note ON lines (note_id, seq)")
        out: list[dict] = []
        order = db.execute("SELECT note_id FROM lines GROUP BY note_id ORDER BY MIN(seq)")
        for (note_id,) in order.fetchall():
            lines = db.execute("SELECT row, version, line, patient_id, note_date, note_type, text FROM lines "
                               "WHERE note_id = ? ORDER BY seq", (note_id,)).fetchall()
            out += _note(note_id, lines, "version" in columns)
            if len(out) >= chunk_size:
                yield pd.DataFrame(out), done
                out = []
        yield pd.DataFrame(out, columns=[*FIELDS, "_row", "_row_error"]), done
    finally:
        db.close()
        scratch.unlink(missing_ok=True)


def _note(note_id: str, lines: list[tuple], versioned: bool) -> list[dict]:
    """One note from its lines (row, version, line, patient_id, note_date, note_type, text), or its rows rejected."""
    def rejected(reason: str) -> list[dict]:
        return [{"patient_id": r[3], "note_id": note_id, "note_date": r[4], "note_type": r[5], "text": "",
                 "_row": r[0], "_row_error": reason} for r in lines]
    if not note_id:
        return [{"patient_id": r[3], "note_id": "", "note_date": r[4], "note_type": r[5], "text": "", "_row": r[0],
                 "_row_error": ""} for r in lines]  # validation rejects each as a missing note_id
    latest = max((r[1] for r in lines), key=_version_key) if versioned else None
    current = [r for r in lines if not versioned or r[1] == latest]
    numbers = [_number(r[2]) for r in current]
    bad = next((r for r, k in zip(current, numbers) if k is None), None)
    if bad is not None:
        return rejected(f"line number {bad[2].strip()[:20]!r} (row {bad[0]}) is not a whole number; "
                        f"the note's lines cannot be ordered")
    if len(set(numbers)) < len(numbers):
        twice = next(k for k in numbers if numbers.count(k) > 1)
        return rejected(f"line {twice} is given twice" + (f" in version {latest}" if versioned else ""))
    for k, name in ((3, "patient_id"), (4, "note_date")):
        values = {r[k].strip() for r in current if r[k].strip()}
        if len(values) > 1:
            return rejected(f"the note's lines disagree on {name}")
    ordered = [r for _, r in sorted(zip(numbers, current))]
    first = min(r[0] for r in lines)
    pick = lambda k: next((r[k].strip() for r in ordered if r[k].strip()), "")  # noqa: E731
    return [{"patient_id": pick(3), "note_id": note_id, "note_date": pick(4), "note_type": pick(5),
             "text": "\n".join(r[6] for r in ordered), "_row": first, "_row_error": ""}]
