"""Line tables: one row per line of a note, reassembled in line order; the latest version counts."""
import json
import random
import subprocess
import sys

import pandas as pd

from pipeline.io.exports import read_table
from conftest import SAMPLES

CLI = [sys.executable, "-m", "pipeline.cli.main"]


def _run(src, out, *extra):
    return subprocess.run(CLI + ["run", str(src), "--cases", str(SAMPLES / "cases.csv"), "--out", str(out), "--quiet",
                                 *extra], capture_output=True, text=True)


def _lines(notes: pd.DataFrame, seed=0) -> pd.DataFrame:
    """The notes as an EHR line table (NOTE_ID, LINE, NOTE_TEXT ...), rows shuffled, and for every third note an
    older version 1 whose text differs: version 2 is the note."""
    r = random.Random(seed)
    rows = []
    for k, n in enumerate(notes.itertuples()):
        versions = [(1, "Preliminary note, superseded.\nODI 90% today."), (2, n.text)] if k % 3 == 0 else [(1, n.text)]
        for version, text in versions:
            for i, line in enumerate(text.split("\n"), start=1):
                rows.append({"PAT_ID": n.patient_id, "NOTE_ID": n.note_id, "CONTACT_DATE": n.note_date,
                             "NOTE_TYPE": n.note_type, "LINE": i, "VERSION": version, "NOTE_TEXT": line})
    r.shuffle(rows)
    return pd.DataFrame(rows)


MAP = ["--column", "patient_id=PAT_ID", "--column", "note_id=NOTE_ID", "--column", "note_date=CONTACT_DATE",
       "--column", "note_type=NOTE_TYPE", "--column", "text=NOTE_TEXT", "--column", "line=LINE",
       "--column", "version=VERSION"]


def test_a_line_table_gives_the_csvs_review_table(tmp_path):
    notes = read_table(SAMPLES / "notes.csv")
    _lines(notes).to_csv(tmp_path / "lines.csv", index=False)
    a, b = _run(SAMPLES / "notes.csv", tmp_path / "a"), _run(tmp_path / "lines.csv", tmp_path / "b", *MAP,
                                                             "--chunk-size", "50")
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    pd.testing.assert_frame_equal(*(pd.read_csv(tmp_path / x / "review.csv", dtype=str) for x in ("a", "b")))
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["counts"]["notes_processed"] == len(notes) and run["counts"]["rows_rejected"] == 0
    assert not (tmp_path / "b" / ".work" / "lines.sqlite").exists()


def test_the_rows_of_a_note_that_cannot_be_put_together_are_rejected_together(tmp_path):
    rows = [("P1", "A", "2025-01-02", 1, "SCS trial f/u."), ("P1", "A", "2025-01-02", 2, "70% relief."),
            ("P1", "B", "2025-01-03", 1, "ODI 44%"), ("P1", "B", "2025-01-03", "two", "today"),
            ("P1", "C", "2025-01-04", 1, "x"), ("P1", "C", "2025-01-04", 1, "y"),
            ("P1", "D", "2025-01-05", 1, "x"), ("P2", "D", "2025-01-05", 2, "y")]
    pd.DataFrame(rows, columns=["PAT_ID", "NOTE_ID", "CONTACT_DATE", "LINE", "NOTE_TEXT"]).to_csv(tmp_path / "l.csv",
                                                                                                  index=False)
    res = _run(tmp_path / "l.csv", tmp_path / "out", *MAP[:6], *MAP[8:12], "--review-date", "2025-06-01")
    assert res.returncode == 0, res.stderr
    rejected = pd.read_csv(tmp_path / "out" / "rejected.csv", dtype=str)
    assert rejected.groupby("note_id").row.apply(list).to_dict() == {"B": ["3", "4"], "C": ["5", "6"], "D": ["7", "8"]}
    reasons = rejected.drop_duplicates("note_id").set_index("note_id").reason
    assert "'two'" in reasons["B"] and "line 1 is given twice" in reasons["C"] and "patient_id" in reasons["D"]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert (run["counts"]["notes_processed"], run["counts"]["rows_rejected"]) == (1, 6)
    assert "today" not in res.stderr and "relief" not in rejected.to_csv()
