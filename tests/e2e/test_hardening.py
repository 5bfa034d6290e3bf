"""Bad input, run through the real CLI: each file either works (exit 0, every row accounted for) or
stops with a clear message naming the file (exit 2); row-level problems go to rejected.csv with their
row number and reason.

Every case builds its file from three sample patients (SMP-001..003). A case that works must give
the same review table as the clean export, unless it says otherwise.
"""
import csv
import gzip
import io
import json
import logging
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, NamedTuple

import pandas as pd
import pytest

from conftest import SAMPLES
from pipeline.cli.main import main
from pipeline.io.exports import read_table

PATIENTS = ["SMP-001", "SMP-002", "SMP-003"]
COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text"]


def base_rows() -> list[list[str]]:
    df = pd.read_csv(SAMPLES / "notes.csv", dtype=str, keep_default_na=False)
    return df[df.patient_id.isin(PATIENTS)][COLUMNS].values.tolist()


BASE = base_rows()  # 20 notes
FLAT = [[f.replace("\n", " / ") for f in r] for r in BASE]  # the same, one line per record


def csv_text(rows, header=COLUMNS, lineterminator="\n", delimiter=",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator, delimiter=delimiter)
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write(path: Path, data: str | bytes, encoding="utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def note(pid, nid, date, text, ntype="Pain Management Progress Note"):
    return [pid, nid, date, ntype, text]


class Run(NamedTuple):
    code: int
    err: str           # stderr and warnings
    out: Path

    @property
    def run(self) -> dict:
        return json.loads((self.out / "run.json").read_text())

    @property
    def rejected(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "rejected.csv", dtype=str, keep_default_na=False)

    @property
    def review(self) -> pd.DataFrame:
        return pd.read_csv(self.out / "review.csv", dtype=str, keep_default_na=False)

    def reasons(self) -> dict[int, str]:
        return dict(zip(self.rejected["row"].astype(int), self.rejected["reason"]))


@pytest.fixture
def cli(tmp_path, capsys, caplog):
    """run(notes, *args) -> Run: `scs-abstract run notes --out OUT --quiet [--cases the three patients]`."""
    caplog.set_level(logging.WARNING, logger="scs_abstract")
    cases = tmp_path / "cases.csv"
    pd.read_csv(SAMPLES / "cases.csv", dtype=str).query("patient_id in @PATIENTS").to_csv(cases, index=False)
    counter = iter(range(100))

    def run(notes, *args, with_cases=True) -> Run:
        out = tmp_path / f"out{next(counter)}"
        caplog.clear()
        code = main(["run", str(notes), "--out", str(out), "--quiet",
                     *(["--cases", str(cases)] if with_cases else []), *map(str, args)])
        return Run(code, capsys.readouterr().err + caplog.text, out)

    return run


@pytest.fixture
def reference(cli, tmp_path) -> pd.DataFrame:
    r = cli(write(tmp_path / "clean.csv", csv_text(BASE)))
    assert r.code == 0
    return r.review


def works(r: Run, reference: pd.DataFrame | None = None, rows: int | None = None, rejected: int = 0) -> None:
    """Exit 0, counts add up, and (when given) the review table equals the clean export's."""
    assert r.code == 0, r.err
    c = r.run["counts"]
    assert c["rows_read"] == c["notes_processed"] + c["rows_rejected"]
    assert c["rows_rejected"] == rejected == len(r.rejected)
    if rows is not None:
        assert c["rows_read"] == rows
    if reference is not None:
        pd.testing.assert_frame_equal(r.review, reference)


def fails(r: Run, path: Path, *phrases: str) -> None:
    """Exit 2 and one clear line naming the file and what is wrong; no traceback, no output folder files."""
    assert r.code == 2, r.err
    assert f"scs-abstract: error: {path}" in r.err, r.err
    for p in phrases:
        assert p in r.err, (p, r.err)
    assert "Traceback" not in r.err
    assert not (r.out / "review.csv").exists()


class Case(NamedTuple):
    build: Callable[[Path], Path]
    check: Callable    # (run, path, reference, cli) -> None
    args: tuple        # more options for `scs-abstract run`
    with_cases: bool   # --cases with the three patients


CASES: dict[str, Case] = {}


def case(name, *args, with_cases=True):
    """Register a bad file: `@case(name)(check)` on the function that builds it in a folder."""
    def deco(check):
        def register(build):
            CASES[name] = Case(build, check, args, with_cases)
            return build
        return register
    return deco


# --- columns and emptiness -----------------------------------------------------------------------------------

def _missing_columns(r, path, reference, cli):
    fails(r, path, "missing required column(s) patient_id, text", "the file has: MRN, note_id, note_date, "
          "note_type, NOTE_TEXT", "--column patient_id=MRN --column text=NOTE_TEXT")
    works(cli(path, "--column", "patient_id=MRN", "--column", "text=NOTE_TEXT"), reference)


@case("missing_required_columns")(_missing_columns)
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE, header=["MRN", "note_id", "note_date", "note_type", "NOTE_TEXT"]))


@case("empty_file")(lambda r, path, *_: fails(r, path, "empty file: no header row and no notes"))
def _(tmp):
    return write(tmp / "notes.csv", b"")


@case("blank_lines_only")(lambda r, path, *_: fails(r, path, "empty file"))
def _(tmp):
    return write(tmp / "notes.csv", "\r\n\n   \n")


@case("empty_jsonl")(lambda r, path, *_: fails(r, path, "empty file: no notes"))
def _(tmp):
    return write(tmp / "notes.jsonl", "\n\n")


def _header_only(r, path, *_):
    works(r, rows=0)
    assert "header only, no note rows" in r.err and str(path) in r.err
    assert (r.review["determination"] == "insufficient_documentation").all() and len(r.review) == 3


@case("header_only")(_header_only)
def _(tmp):
    return write(tmp / "notes.csv", "patient_id,note_id,note_date,note_type,text\n")


def _header_only_wrong(r, path, *_):
    fails(r, path, "missing required column(s) note_date", "--column note_date=date")
    assert "header only" not in r.err


@case("header_only_with_wrong_columns")(_header_only_wrong)
def _(tmp):
    return write(tmp / "notes.csv", "patient_id,note_id,date,text\n")


@case("headerless_csv")(lambda r, path, *_: fails(r, path, "looks like data, not a header"))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE, header=None))


@case("tab_separated_named_csv")(lambda r, path, *_: fails(r, path, "one column holding tabs", "name a tab-separated file .tsv"))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE, delimiter="\t"))


@case("no_such_file")(lambda r, path, *_: fails(r, path, "no such file or folder"))
def _(tmp):
    return tmp / "missing.csv"


@case("unknown_extension")(lambda r, path, *_: fails(r, path, "unknown export format"))
def _(tmp):
    return write(tmp / "notes.xlsx", b"PK\x03\x04")


# --- not text ------------------------------------------------------------------------------------------------

@case("binary_zip_named_csv")(lambda r, path, *_: fails(r, path, "not a text export", "ZIP archive"))
def _(tmp):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return write(tmp / "notes.csv", buf.getvalue())


@case("binary_random_bytes")(lambda r, path, *_: fails(r, path, "not a text export", "control bytes"))
def _(tmp):
    return write(tmp / "notes.csv", random.Random(7).randbytes(1 << 16))


@case("binary_png_named_jsonl")(lambda r, path, *_: fails(r, path, "not a text export", "PNG image"))
def _(tmp):
    return write(tmp / "notes.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)


@case("gz_that_is_not_gzip")(lambda r, path, *_: fails(r, path, "cannot be read: it is not gzip data"))
def _(tmp):
    return write(tmp / "notes.csv.gz", csv_text(BASE))


@case("truncated_gzip")(lambda r, path, *_: fails(r, path, "cannot be read: the gzip data is cut short"))
def _(tmp):
    return write(tmp / "notes.csv.gz", gzip.compress(csv_text(BASE).encode())[:-200])


@case("parquet_that_is_not_parquet")(lambda r, path, *_: fails(r, path, "cannot be read as parquet"))
def _(tmp):
    return write(tmp / "notes.parquet", csv_text(BASE))


# --- CSV structure -------------------------------------------------------------------------------------------

def _ragged(r, path, reference, cli):
    works(r, reference, rows=23, rejected=3)
    assert r.reasons() == {3: "ragged row: 3 fields, expected 5 (line 4)",
                           12: "ragged row: 7 fields, expected 5 (line 13)",
                           23: "ragged row: 6 fields, expected 5 (line 24)"}
    rej = r.rejected
    assert (rej["patient_id"] == "").all() and (rej["note_id"] == "").all()  # fields of a ragged row are not kept


@case("ragged_rows")(_ragged)
def _(tmp):
    lines = csv_text(FLAT).splitlines(keepends=True)  # header, then one line per record
    lines.insert(3, "X-9,X-9-N1,2025-01-01\n")
    lines.insert(12, "X-9,X-9-N2,2025-01-02,Pain Note,pain better, ODI 10%, ZQX walking more\n")
    lines.append("X-9,X-9-N3,2025-01-03,Pain Note,ODI 12%,\n")
    return write(tmp / "notes.csv", "".join(lines))


@pytest.fixture
def flat_reference(cli, tmp_path) -> pd.DataFrame:
    """The review of FLAT, the clean export with one line per record."""
    r = cli(write(tmp_path / "flat.csv", csv_text(FLAT)))
    assert r.code == 0
    return r.review


@case("unbalanced_quote_swallowing_rows")(
    lambda r, path, *_: fails(r, path, "row 3 (line 4): unbalanced quotes", "opens on line 4",
                              "other characters on line 7"))
def _(tmp):
    lines = csv_text(FLAT).splitlines(keepends=True)
    lines[3] = 'X-1,X-1-N1,2025-01-01,Pain Note,"ZQX open quote here\n'
    lines[4] = "X-1,X-1-N2,2025-01-02,Pain Note,swallowed\n"
    lines[5] = "X-1,X-1-N3,2025-01-03,Pain Note,swallowed too\n"
    lines[6] = 'X-1,X-1-N4,2025-01-04,Pain Note,"quoted, as it should be"\n'
    return write(tmp / "notes.csv", "".join(lines))


@case("unbalanced_quote_to_end_of_file")(
    lambda r, path, *_: fails(r, path, "row 20 (line 21): unbalanced quotes", "never closed"))
def _(tmp):
    lines = csv_text(FLAT).splitlines(keepends=True)
    lines[20] = 'X-1,X-1-N1,2025-01-01,Pain Note,"ZQX never closed\n'
    lines.append("X-1,X-1-N2,2025-01-02,Pain Note,plain text\n")
    return write(tmp / "notes.csv", "".join(lines))


def _nul(r, path, reference, cli):
    works(r, reference, rows=20)
    assert f"{path}: 7 NUL byte(s) read as spaces" in r.err


@case("embedded_nul_bytes")(_nul)
def _(tmp):
    rows = [list(r) for r in BASE]
    rows[0][4] += "\x00\x00\x00"
    rows[5][3] += "\x00"
    rows[9][4] = "\x00\x00" + rows[9][4] + "\x00"
    return write(tmp / "notes.csv", csv_text(rows))


@case("windows_line_endings")(lambda r, path, reference, cli: works(r, reference, rows=20))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE, lineterminator="\r\n").replace("\r\n", "\n").replace("\n", "\r\n"))


@case("utf8_byte_order_mark")(lambda r, path, reference, cli: works(r, reference, rows=20))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE), encoding="utf-8-sig")


def _latin1(r, path, reference, cli):
    works(r, reference, rows=21)
    assert f"{path}: not valid UTF-8" in r.err and "read as Windows-1252/Latin-1" in r.err
    assert "José Müller – seen" in read_table(path)["text"].iloc[-1]  # 0x96 is cp1252's en dash


@case("latin1_text")(_latin1)
def _(tmp):
    rows = BASE + [note("SMP-009", "LAT-1", "2025-01-01", "José Müller – seen in clinic.")]
    return write(tmp / "notes.csv", csv_text(rows), encoding="cp1252")


def _broken_utf8(r, path, reference, cli):
    works(r, reference, rows=21)
    assert f"{path}: 1 byte(s) are not valid UTF-8 (the first near byte" in r.err
    assert read_table(path)["text"].iloc[-1] == "Café \ufffd naïve – seen."  # the rest is still UTF-8


@case("utf8_with_a_broken_byte")(_broken_utf8)
def _(tmp):
    rows = BASE + [note("SMP-009", "U-1", "2025-01-01", "Café <BAD> naïve – seen.")]
    return write(tmp / "notes.csv", csv_text(rows).encode("utf-8").replace(b"<BAD>", b"\xff"))


@case("utf16_with_bom")(lambda r, path, reference, cli: works(r, reference, rows=20))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE, lineterminator="\r\n"), encoding="utf-16")


@case("utf16_tab_separated_as_excel_writes_it")(lambda r, path, reference, cli: works(r, reference, rows=20))
def _(tmp):
    return write(tmp / "notes.tsv", csv_text(BASE, lineterminator="\r\n", delimiter="\t"), encoding="utf-16")


@case("utf16_without_bom")(lambda r, path, reference, cli: works(r, reference, rows=20))
def _(tmp):
    return write(tmp / "notes.csv", csv_text(BASE), encoding="utf-16-le")


# --- rows ----------------------------------------------------------------------------------------------------

def _duplicates(r, path, reference, cli):
    works(r, reference, rows=22, rejected=2)
    assert r.reasons() == {21: "duplicate note_id (first at row 2)", 22: "duplicate note_id (first at row 1)"}
    assert list(r.rejected["column"]) == ["note_id", "note_id"]


@case("duplicate_note_ids")(_duplicates)
def _(tmp):
    rows = BASE + [note("SMP-001", BASE[1][1], "2025-05-01", "ODI 10% today."),
                   note("SMP-002", BASE[0][1], "2025-05-01", "ODI 12% today.")]
    return write(tmp / "notes.csv", csv_text(rows))


def _dates(r, path, reference, cli):
    works(r, reference, rows=27, rejected=7)
    no_day = "unparseable note_date: no such day, or not between 1900 and 2100"
    assert r.reasons() == {21: no_day, 22: no_day, 23: "unparseable note_date (use YYYY-MM-DD, MM/DD/YYYY, 19-Mar-2025 or Mar 19, 2025)",
                           24: no_day, 25: no_day, 26: "missing note_date",
                           27: "unparseable note_date (use YYYY-MM-DD, MM/DD/YYYY, 19-Mar-2025 or Mar 19, 2025)"}


@case("unparseable_and_impossible_dates")(_dates)
def _(tmp):
    bad = ["2025-02-30", "13/45/2025", "yesterday", "0001-01-01", "9999-12-31", "", "2025-13"]
    rows = BASE + [note("SMP-001", f"D-{k}", d, "ODI 10% today.") for k, d in enumerate(bad)]
    return write(tmp / "notes.csv", csv_text(rows))


def _future(r, path, reference, cli):
    works(r, reference, rows=21)  # processed, but the scorer never uses a note dated after the review date
    ev = pd.read_csv(r.out / "evidence.csv", dtype=str, keep_default_na=False)
    late = ev[ev["note_id"] == "FUT-1"]
    assert len(late) and (late["used"] == "False").all() and (late["note_date"] == "2031-01-01").all()


@case("dates_after_the_review_date")(_future)
def _(tmp):
    rows = BASE + [note("SMP-001", "FUT-1", "2031-01-01", "ODI 10% today. SCS trial gave 5% relief.",
                        "SCS Trial Follow-up")]
    return write(tmp / "notes.csv", csv_text(rows))


@case("empty_text")(lambda r, path, reference, cli: works(r, reference, rows=23))
def _(tmp):
    rows = BASE + [note("SMP-001", "E-1", "2025-01-01", ""), note("SMP-002", "E-2", "2025-01-01", "   "),
                   note("SMP-003", "E-3", "2025-01-01", "\n\n")]
    return write(tmp / "notes.csv", csv_text(rows))


def _ids_csv(r, path, reference, cli):
    works(r, rows=3)
    assert list(r.review["patient_id"]) == ["007", "7.0"]
    ev = pd.read_csv(r.out / "evidence.csv", dtype=str, keep_default_na=False)
    assert set(ev["note_id"]) == {"001", "12.0", "1e2"}


@case("non_string_ids_csv", with_cases=False)(_ids_csv)
def _(tmp):
    rows = [["007", "001", "2025-03-01", "", "ODI 40% today."], ["7.0", "12.0", "2025-03-01", "", "ODI 30%."],
            ["7.0", "1e2", "2025-03-02", "", "ODI 20%."]]
    return write(tmp / "notes.csv", csv_text(rows))


def _ids_jsonl(r, path, reference, cli):
    works(r, rows=6, rejected=2)
    assert list(r.review["patient_id"]) == ["007", "7"]
    assert list(r.review["odi_score"]) == ["40.0", "20.0"]
    ev = pd.read_csv(r.out / "evidence.csv", dtype=str, keep_default_na=False)
    assert set(ev["note_id"]) == {"001", "12", "12.0", "1e2"}
    assert r.reasons() == {5: "invalid JSON (line 6)", 6: "not a JSON object (line 7)"}


@case("non_string_ids_and_bad_lines_jsonl", with_cases=False)(_ids_jsonl)
def _(tmp):
    lines = ['{"patient_id": "007", "note_id": "001", "note_date": "2025-03-01", "text": "ODI 40% today."}',
             '{"patient_id": 7, "note_id": 12, "note_date": "2025-03-01", "text": "ODI 30% today."}',
             '{"patient_id": 7, "note_id": 12.0, "note_date": "2025-03-01", "text": "ODI 25% today."}',
             '',
             '{"patient_id": 7, "note_id": 1e2, "note_date": "2025-03-02", "text": "ODI 20% today.", "x": null}',
             '{"patient_id": 7, "note_id": 13, "note_date": "2025-03-03", "text": "ODI 10%',
             '["not", "an", "object"]']
    return write(tmp / "notes.jsonl", "\n".join(lines) + "\n")


def _ids_parquet(r, path, reference, cli):
    works(r, rows=3, rejected=1)
    assert list(r.review["patient_id"]) == ["7"]
    ev = pd.read_csv(r.out / "evidence.csv", dtype=str, keep_default_na=False)
    assert set(ev["note_id"]) == {"12", "13"}
    assert r.reasons() == {2: "missing note_id"}


@case("integer_ids_with_nulls_parquet", with_cases=False)(_ids_parquet)
def _(tmp):
    import pyarrow as pa
    import pyarrow.parquet as pq
    t = pa.table({"patient_id": pa.array([7, 7, 7], pa.int64()), "note_id": pa.array([12, None, 13], pa.int64()),
                  "note_date": ["2025-03-01", "2025-03-01", "2025-03-02"],
                  "text": ["ODI 40% today.", "ODI 30% today.", "ODI 20% today."]})
    pq.write_table(t, tmp / "notes.parquet")
    return tmp / "notes.parquet"


def _huge(r, path, reference, cli):
    assert r.code == 0, r.err
    c = r.run["counts"]
    assert c["rows_read"] == c["notes_processed"] == 21
    assert re.search(r"row 21: the note is 20,\d{3},\d{3} characters long", r.err), r.err
    row = r.review.set_index("patient_id").loc["BIG"]
    assert row["odi_score"] == "55.0" and row["odi_note_id"] == "BIG-1"  # from its first line ...
    assert row["trial_relief_pct"] == "95.0" and row["trial_note_id"] == "BIG-1"  # ... and its last


@case("note_of_20_mb", "--review-date", "2025-07-01", with_cases=False)(_huge)
def _(tmp):
    filler = "Patient seen in the hallway; vitals stable and afebrile, tolerating a regular diet. " * 12 + "\n"
    body = filler * (20_000_000 // len(filler) + 1)
    text = "ODI 55% today.\n" + body + "Trial follow-up: the SCS trial gave 95% relief of leg pain.\n"
    rows = BASE + [note("BIG", "BIG-1", "2025-06-01", text, "SCS Trial Follow-up")]
    return write(tmp / "notes.csv", csv_text(rows))


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file(name, cli, tmp_path, request):
    c = CASES[name]
    path = c.build(tmp_path)
    reference = request.getfixturevalue("flat_reference" if name == "ragged_rows" else "reference")
    c.check(cli(path, *c.args, with_cases=c.with_cases), path, reference, cli)


def test_warnings_reach_stderr_of_the_command(tmp_path):
    """Warnings are logged; run as a command, they are on its stderr, one line each."""
    rows = BASE[:3] + [note("SMP-001", "LAT-1", "2025-01-01", "José seen.\x00")]
    path = write(tmp_path / "notes.csv", csv_text(rows), encoding="cp1252")
    p = subprocess.run([sys.executable, "-m", "pipeline.cli.main", "run", str(path), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"scs-abstract: warning: {path}: not valid UTF-8" in p.stderr
    assert f"scs-abstract: warning: {path}: 1 NUL byte(s) read as spaces" in p.stderr
    assert "4 rows read, 4 notes processed, 0 rejected" in p.stderr


def test_cases_file_problems_are_input_errors(cli, tmp_path):
    notes = write(tmp_path / "notes.csv", csv_text(BASE))
    for content, phrase in [("patient_id,review_date\n", "no cases (header only)"),
                            ("patient_id,review_date\nA,2025-01-01\nA,2025-02-01\n", "row 2: patient_id A is listed "
                                                                                    "again (first at row 1)"),
                            ("patient_id,review_date\nA,2025-01-01,extra\n", "row 1: ragged row"),
                            ("patient_id,review_date\nA,0001-01-01\n", "row 1, column review_date")]:
        cases = write(tmp_path / "c.csv", content)
        r = cli(notes, "--cases", cases, with_cases=False)
        fails(r, cases, phrase)


def test_folder_of_txt_notes_in_any_encoding(cli, tmp_path):
    """.txt notes: UTF-8, a byte order mark, UTF-16, Latin-1 (with a warning) work; a binary or missing file is
    a reject naming the file."""
    folder = tmp_path / "notes"
    folder.mkdir()
    texts = {"T-1": "ODI 40% today.".encode("utf-8"), "T-2": "ODI 41% today.".encode("utf-8-sig"),
             "T-3": "ODI 42% today.".encode("utf-16"), "T-4": "José: ODI 43% today.".encode("cp1252"),
             "T-5": b"\x89PNG\r\n\x1a\n" + bytes(range(32)) * 8}
    for nid, data in texts.items():
        (folder / f"{nid}.txt").write_bytes(data)
    rows = [[f"P{k}", nid, f"2025-03-0{k}", "Pain Note"] for k, nid in enumerate([*texts, "T-6"], start=1)]
    write(folder / "manifest.csv", csv_text(rows, header=COLUMNS[:4]))
    r = cli(folder, with_cases=False)
    works(r, rows=6, rejected=2)
    assert list(r.review["odi_score"]) == ["40.0", "41.0", "42.0", "43.0"]
    assert f"{folder / 'T-4.txt'}: not valid UTF-8" in r.err
    assert r.reasons() == {5: "note file T-5.txt is not text", 6: f"note file T-6.txt not found in {folder}"}
