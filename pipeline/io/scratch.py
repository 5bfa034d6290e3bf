"""What a run must remember per note or per patient, kept in sqlite files rather than in memory.

A batch run over an export of any size must not grow with it. Two things do grow: the
note_ids accepted so far (to reject duplicates across chunks) and, per patient, the latest
note date and the number of mentions (to pick the review date and cut the scoring ranges).
Both live in sqlite files under OUT/.work/ with a small page cache, so memory stays flat
while the files grow on disk. They are scratch: rebuilt from the start on every run, so they
are written without a journal or fsync.

Keys are stored as UTF-8 bytes (BLOBs, compared byte by byte), which orders them as Python
orders strings (by code point) and takes any id the export holds, lone surrogates included.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Iterable, Iterator, Mapping

CACHE_KIB = 8_000  # sqlite's page cache per file, in KiB


def _connect(path: str | Path) -> sqlite3.Connection:
    if str(path) != ":memory:":
        Path(path).unlink(missing_ok=True)  # scratch: never carried over from another run
    con = sqlite3.connect(str(path), isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}", "temp_store=FILE"):
        con.execute(f"PRAGMA {pragma}")
    return con


def _key(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogatepass")


class NoteIdIndex:
    """The note_ids accepted so far in one export and the row of each, for rejecting duplicates across chunks.

    In memory by default (small exports, tests, one partition of a distributed run); a batch run
    gives it a file, so an export of millions of notes costs disk, not memory.
    """

    def __init__(self, ids: Iterable[str] = (), rows: Iterable[int] = (), path: str | Path = ":memory:"):
        self._con = _connect(path)
        self._con.execute("CREATE TABLE seen(note_id BLOB PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self._con.execute("CREATE TEMP TABLE asked(k INTEGER, note_id BLOB)")
        self._n = 0
        ids = list(ids)
        if ids:
            self.add(ids, list(rows))

    def __len__(self) -> int:
        return self._n

    def first_rows(self, ids: list[str]) -> list[int | None]:
        """Per id, the row it was first accepted at, or None when it is new."""
        out: list[int | None] = [None] * len(ids)
        if not ids or not self._n:
            return out
        con = self._con
        con.execute("BEGIN")
        con.execute("DELETE FROM asked")
        con.executemany("INSERT INTO asked VALUES (?, ?)", ((k, _key(i)) for k, i in enumerate(ids)))
        for k, row in con.execute("SELECT asked.k, seen.row FROM asked JOIN seen USING (note_id)"):
            out[k] = row
        con.execute("COMMIT")
        return out

    def add(self, ids: list[str], rows: list[int]) -> None:
        """Remember ids (new ones; an id already here keeps its first row) as accepted at rows."""
        keys = sorted(zip(map(_key, ids), rows))  # in key order: the B-tree is written in order
        self._con.execute("BEGIN")
        before = self._con.total_changes
        self._con.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", keys)
        self._n += self._con.total_changes - before
        self._con.execute("COMMIT")

    def close(self) -> None:
        self._con.close()


class PatientTally:
    """Per patient: the latest note date and the number of mentions, added a chunk at a time, read
    back in patient order with each case's review date."""

    def __init__(self, path: str | Path = ":memory:"):
        self._con = _connect(path)
        self._con.execute("CREATE TABLE patients(patient_id BLOB PRIMARY KEY, latest TEXT, mentions INTEGER)"
                          " WITHOUT ROWID")

    def add(self, latest: Mapping[str, dt.date], mentions: Mapping[str, int]) -> None:
        """One chunk's patients (those with a note in it): their latest note date there and their mentions there."""
        rows = sorted((_key(p), d.isoformat(), mentions.get(p, 0)) for p, d in latest.items())
        self._con.execute("BEGIN")
        self._con.executemany(
            "INSERT INTO patients VALUES (?, ?, ?) ON CONFLICT (patient_id) DO UPDATE SET "
            "latest = max(latest, excluded.latest), "
            "mentions = mentions + excluded.mentions", rows)
        self._con.execute("COMMIT")

    def cases(self, cases: Mapping[str, dt.date] | None = None,
              review_date: dt.date | None = None) -> Iterator[tuple[str, int, dt.date]]:
        """(patient_id, mentions, review date) of every case reviewed, in patient_id order: the cases
        file's cases when given, else every patient with a note (dated --review-date, else by the
        patient's latest note)."""
        con = self._con
        if cases:
            con.execute("CREATE TEMP TABLE IF NOT EXISTS reviewed(patient_id BLOB PRIMARY KEY, day TEXT) WITHOUT ROWID")
            con.execute("BEGIN")
            con.execute("DELETE FROM reviewed")
            con.executemany("INSERT INTO reviewed VALUES (?, ?)", ((_key(p), d.isoformat()) for p, d in cases.items()))
            con.execute("COMMIT")
            query = ("SELECT r.patient_id, coalesce(p.mentions, 0), r.day FROM reviewed r "
                     "LEFT JOIN patients p USING (patient_id) ORDER BY r.patient_id")
        else:
            query = "SELECT patient_id, mentions, latest FROM patients ORDER BY patient_id"
        for pid, n, day in con.execute(query):
            yield _text(pid), n, review_date if review_date and not cases else dt.date.fromisoformat(day)

    def close(self) -> None:
        self._con.close()
