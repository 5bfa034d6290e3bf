import gzip

import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.io.exports import parse_column_map, read_cases, read_notes

ROWS = [
    {"patient_id": "A", "note_id": "A-1", "note_date": "2025-01-06", "note_type": "Pain Note", "text": "ODI 40%"},
    {"patient_id": "A", "note_id": "A-2", "note_date": "03/14/2025", "note_type": "", "text": ""},
    {"patient_id": "B", "note_id": "B-1", "note_date": "2025-02-30", "note_type": "", "text": "secret one"},
    {"patient_id": "", "note_id": "B-2", "note_date": "2025-02-01", "note_type": "", "text": "secret two"},
    {"patient_id": "B", "note_id": "A-1", "note_date": "2025-02-01", "note_type": "", "text": "secret three"},
    {"patient_id": "B", "note_id": "", "note_date": "2025-02-01", "note_type": "", "text": "secret four"},
    {"patient_id": "B", "note_id": "B-3", "note_date": "not a date", "note_type": "", "text": "secret five"},
]


def write(df, path):
    name = path.name
    if name.endswith(".csv"):
        df.to_csv(path, index=False)
    elif name.endswith(".tsv"):
        df.to_csv(path, index=False, sep="\t")
    elif name.endswith(".csv.gz"):
        df.to_csv(path, index=False, compression="gzip")
    elif name.endswith(".jsonl"):
        df.to_json(path, orient="records", lines=True)
    elif name.endswith(".jsonl.gz"):
        with gzip.open(path, "wt") as f:
            f.write(df.to_json(orient="records", lines=True))
    elif name.endswith(".parquet"):
        df.to_parquet(path, index=False)


@pytest.mark.parametrize("name", ["n.csv", "n.tsv", "n.csv.gz", "n.jsonl", "n.jsonl.gz", "n.parquet"])
def test_every_format_reads_and_accounts_for_every_row(tmp_path, name):
    write(pd.DataFrame(ROWS), tmp_path / name)
    read = read_notes(tmp_path / name)
    assert read.rows_read == len(ROWS) == len(read.notes) + len(read.rejected)
    assert list(read.notes["note_id"]) == ["A-1", "A-2"]
    assert str(read.notes["note_date"][1]) == "2025-03-14"
    reasons = dict(zip(read.rejected["row"], read.rejected["reason"]))
    assert reasons[3].startswith("unparseable note_date")
    assert reasons[4] == "missing patient_id"
    assert reasons[5] == "duplicate note_id (first at row 1)"
    assert reasons[6] == "missing note_id"
    assert reasons[7].startswith("unparseable note_date")
    assert "secret" not in read.rejected.to_csv()


def test_folder_of_txt_notes_with_manifest(tmp_path):
    (tmp_path / "A-1.txt").write_text("ODI 40% today.")
    (tmp_path / "x.txt").write_text("PT daily note")
    pd.DataFrame([{"patient_id": "A", "note_id": "A-1", "note_date": "2025-01-06", "file": ""},
                  {"patient_id": "A", "note_id": "A-2", "note_date": "2025-01-07", "file": "x.txt"},
                  {"patient_id": "A", "note_id": "A-3", "note_date": "2025-01-08", "file": "gone.txt"}]
                 ).to_csv(tmp_path / "manifest.csv", index=False)
    # an empty file cell means <note_id>.txt; a missing file is a reject, not an empty note
    read = read_notes(tmp_path)
    assert list(read.notes["text"]) == ["ODI 40% today.", "PT daily note"]
    assert list(read.rejected["reason"]) == [f"note file gone.txt not found in {tmp_path}"]


def test_column_mapping(tmp_path):
    df = pd.DataFrame(ROWS[:2]).rename(columns={"patient_id": "MRN", "text": "NOTE_TEXT"})
    df.to_csv(tmp_path / "n.csv", index=False)
    read = read_notes(tmp_path / "n.csv", parse_column_map(["patient_id=MRN", "text=NOTE_TEXT"]))
    assert list(read.notes["patient_id"]) == ["A", "A"] and read.notes["text"][0] == "ODI 40%"


def test_missing_required_column_names_it_and_the_fix(tmp_path):
    pd.DataFrame(ROWS).drop(columns=["text"]).rename(columns={"patient_id": "MRN"}).to_csv(tmp_path / "n.csv",
                                                                                          index=False)
    with pytest.raises(InputError) as e:
        read_notes(tmp_path / "n.csv")
    msg = str(e.value)
    assert "n.csv" in msg and "patient_id, text" in msg and "--column patient_id=MRN --column text=SOURCE" in msg


@pytest.mark.parametrize("item", ["patient_id", "=MRN", "color=MRN"])
def test_bad_column_option(item):
    with pytest.raises(InputError):
        parse_column_map([item])


def test_unknown_format(tmp_path):
    (tmp_path / "n.xlsx").write_text("x")
    with pytest.raises(InputError, match="unknown export format"):
        read_notes(tmp_path / "n.xlsx")


def test_cases_file_errors_name_row_and_column(tmp_path):
    (tmp_path / "c.csv").write_text("patient_id,review_date\nA,2025-06-30\nB,06/31/2025\n")
    with pytest.raises(InputError, match=r"c.csv: row 2, column review_date"):
        read_cases(tmp_path / "c.csv")
    (tmp_path / "ok.csv").write_text("patient_id,review_date\nA,2025-06-30\n")
    assert str(read_cases(tmp_path / "ok.csv")["A"]) == "2025-06-30"


def test_duplicates_across_chunks_are_rejected_with_the_first_row():
    """A note_id first accepted in an earlier chunk or earlier in this one; a rejected row is never the first."""
    from pipeline.io.exports import validate
    from pipeline.io.scratch import NoteIdIndex
    rows = pd.DataFrame(ROWS)
    seen = NoteIdIndex()
    first = validate(rows.iloc[:3], "n.csv", None, 0, seen)
    later = pd.DataFrame([{**ROWS[0], "note_id": nid, "patient_id": pid} for pid, nid in
                          [("", "B-1"), ("B", "A-2"), ("B", "A-1"), ("B", "B-1"), ("B", "B-1")]])
    second = validate(later, "n.csv", None, 3, seen)
    assert list(first.notes["note_id"]) == ["A-1", "A-2"]  # B-1 (row 3) has no such day
    assert list(second.notes["note_id"]) == ["B-1"] and list(second.notes["row"]) == [7]
    assert dict(zip(second.rejected["row"], second.rejected["reason"])) == {
        4: "missing patient_id", 5: "duplicate note_id (first at row 2)", 6: "duplicate note_id (first at row 1)",
        8: "duplicate note_id (first at row 7)"}
