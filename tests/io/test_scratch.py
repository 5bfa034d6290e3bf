"""The run state kept in sqlite: note_ids seen, and per patient the latest note date and mention count."""
import datetime as dt

from pipeline.io.scratch import NoteIdIndex, PatientTally


def test_note_id_index_finds_each_id_at_its_first_row_and_nothing_else(tmp_path):
    for index in (NoteIdIndex(), NoteIdIndex(path=tmp_path / "ids.sqlite")):
        assert index.first_rows(["a"]) == [None]
        ids = [f"N{i:06d}" for i in range(3000)]
        for start in range(0, 3000, 1000):  # three chunks, added out of sorted order
            index.add(ids[start:start + 1000][::-1], list(range(start + 1000, start, -1)))
        index.add(["N000000"], [9999])  # already there: keeps its first row
        assert len(index) == 3000
        assert index.first_rows(["N000000", "N002999", "N001500", "n000000", "N0000", ""]) == [
            1, 3000, 1501, None, None, None]
        index.close()


def test_note_id_index_takes_any_id_and_starts_empty_in_a_file_left_by_another_run(tmp_path):
    odd = ["a\x00b", "\ud800lone", "é", "e\u0301", " x "]
    index = NoteIdIndex(odd, [1, 2, 3, 4, 5], path=tmp_path / "ids.sqlite")
    assert index.first_rows(odd + ["a", "\ud800", "x"]) == [1, 2, 3, 4, 5, None, None, None]
    index.close()
    again = NoteIdIndex(path=tmp_path / "ids.sqlite")
    assert len(again) == 0 and again.first_rows(odd) == [None] * 5


def test_tally_keeps_each_patients_latest_note_and_mentions_across_chunks():
    d = dt.date
    tally = PatientTally()
    tally.add({"P2": d(2025, 3, 1), "P10": d(2025, 1, 5)}, {"P2": 3})
    tally.add({"P2": d(2025, 2, 1), "P1": d(2024, 12, 31)}, {"P2": 1, "P1": 2})
    tally.add({"P10": d(2025, 6, 30)}, {})
    # patient_id order is Python's string order ("P1" < "P10" < "P2")
    assert list(tally.cases()) == [("P1", 2, d(2024, 12, 31)), ("P10", 0, d(2025, 6, 30)), ("P2", 4, d(2025, 3, 1))]
    assert list(tally.cases(review_date=d(2026, 1, 1))) == [
        ("P1", 2, d(2026, 1, 1)), ("P10", 0, d(2026, 1, 1)), ("P2", 4, d(2026, 1, 1))]
    # a cases file decides who is reviewed and when, with or without notes
    chosen = {"P2": d(2025, 4, 1), "Q": d(2025, 5, 1)}
    assert list(tally.cases(chosen, review_date=d(2026, 1, 1))) == [("P2", 4, d(2025, 4, 1)), ("Q", 0, d(2025, 5, 1))]
    assert list(tally.cases({"Q": d(2025, 5, 1)})) == [("Q", 0, d(2025, 5, 1))]  # asked again: this file only
    tally.close()


def test_tally_orders_patients_as_python_sorts_them():
    ids = ["b", "B", "a\u00e9", "a\U0001f600", "a\uffff", "10", "9", "\ud800x", ""]
    tally = PatientTally()
    tally.add({p: dt.date(2025, 1, 1) for p in ids}, {})
    assert [p for p, _, _ in tally.cases()] == sorted(ids)
