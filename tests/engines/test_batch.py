"""Batch runs: the review table does not depend on chunk size, worker count or interruptions."""
import pandas as pd
import pytest

import pipeline
from pipeline.engines.batch import WORK_DIR, run_batch
from pipeline.io.exports import read_cases, read_table
from conftest import SAMPLES


@pytest.fixture(scope="module")
def reference():
    return pipeline.review(read_table(SAMPLES / "notes.csv"), cases=read_cases(SAMPLES / "cases.csv"))


@pytest.mark.parametrize("chunk_size, workers", [(1, 1), (7, 1), (10_000, 1), (5, 2)])
def test_same_review_for_any_chunk_size_and_worker_count(tmp_path, reference, chunk_size, workers):
    result = run_batch(SAMPLES / "notes.csv", tmp_path, cases=read_cases(SAMPLES / "cases.csv"),
                       chunk_size=chunk_size, workers=workers, quiet=True)
    pd.testing.assert_frame_equal(result.review, reference.review)
    pd.testing.assert_frame_equal(result.evidence, reference.evidence)
    c = result.run["counts"]
    assert c["rows_read"] == c["notes_processed"] + c["rows_rejected"] == 77


def test_resume_reuses_finished_chunks_and_ends_with_the_same_table(tmp_path, reference, monkeypatch):
    cases = read_cases(SAMPLES / "cases.csv")
    run_batch(SAMPLES / "notes.csv", tmp_path, cases=cases, chunk_size=10, quiet=True)
    chunks = sorted((tmp_path / WORK_DIR).glob("chunk-*.pkl"))
    assert len(chunks) == 8
    for p in chunks[4:]:  # as if killed after the fourth chunk
        p.unlink()
    import pipeline.engines.batch as batch
    calls = []
    original = batch._extract_chunk
    monkeypatch.setattr(batch, "_extract_chunk", lambda notes, pd_, crit: calls.append(len(notes)) or original(notes, pd_, crit))
    result = run_batch(SAMPLES / "notes.csv", tmp_path, cases=cases, chunk_size=10, resume=True, quiet=True)
    assert len(calls) == 4  # only the unfinished chunks were extracted again
    pd.testing.assert_frame_equal(result.review, reference.review)


def test_resume_with_other_options_starts_over(tmp_path):
    run_batch(SAMPLES / "notes.csv", tmp_path, chunk_size=10, quiet=True)
    run_batch(SAMPLES / "notes.csv", tmp_path, chunk_size=20, resume=True, quiet=True)
    assert len(list((tmp_path / WORK_DIR).glob("chunk-*.pkl"))) == 4


def test_scoring_by_patient_ranges_gives_the_same_tables(tmp_path, reference, monkeypatch):
    """Large runs score a range of patients at a time; the tables are the ones scoring all at once gives."""
    import pipeline.engines.batch as batch
    monkeypatch.setattr(batch, "BUCKET_MENTIONS", 40)  # 257 mentions: 7 ranges
    monkeypatch.setattr(batch, "TASK_NOTES", 3)
    for cases in (read_cases(SAMPLES / "cases.csv"), None):
        ref = reference if cases else pipeline.review(read_table(SAMPLES / "notes.csv"))
        result = run_batch(SAMPLES / "notes.csv", tmp_path / str(bool(cases)), cases=cases, chunk_size=9,
                           workers=2 if cases else 1, quiet=True)
        pd.testing.assert_frame_equal(result.review, ref.review)
        pd.testing.assert_frame_equal(result.evidence, ref.evidence)


def test_payer_policy_columns_are_the_same_when_scored_by_ranges(tmp_path, monkeypatch):
    """Policy columns that are empty for a whole range keep the dtype scoring all at once gives them."""
    import pipeline.engines.batch as batch
    notes, cases = read_table(SAMPLES / "notes.csv"), read_cases(SAMPLES / "cases.csv")
    ref = pipeline.review(notes, cases=cases, policy="aetna-cpb-0194")
    monkeypatch.setattr(batch, "BUCKET_MENTIONS", 30)
    result = run_batch(SAMPLES / "notes.csv", tmp_path, cases=cases, policy="aetna-cpb-0194", chunk_size=20,
                       quiet=True)
    pd.testing.assert_frame_equal(result.review, ref.review)
    pd.testing.assert_frame_equal(result.evidence, ref.evidence)


def test_outputs_written_range_by_range_are_the_files_of_the_whole_tables(tmp_path, reference, monkeypatch):
    """A batch run writes its outputs from its ranges on disk: the same bytes as the tables written whole."""
    import pipeline.engines.batch as batch
    from pipeline.outputs.folder import write_outputs
    from pipeline.outputs.report.render import render_report
    from test_report import page_data
    monkeypatch.setattr(batch, "BUCKET_MENTIONS", 40)
    result = run_batch(SAMPLES / "notes.csv", tmp_path / "batch", cases=read_cases(SAMPLES / "cases.csv"),
                       chunk_size=9, quiet=True)
    assert len(result.part_files) > 3  # ranges of two or three cases
    write_outputs(result, tmp_path / "batch")
    write_outputs(reference, tmp_path / "whole")
    for name in ("review.csv", "evidence.csv", "rejected.csv"):
        assert (tmp_path / "batch" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    for name in ("review.parquet", "evidence.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "batch" / name),
                                      pd.read_parquet(tmp_path / "whole" / name))
    assert page_data(render_report(result)) == page_data(render_report(reference))
    page = (tmp_path / "batch" / "report.html").read_text(encoding="utf-8")
    assert page.count("id='c-") == len(result.part_files) and page_data(page) == page_data(render_report(reference))


def test_ranges_are_cut_by_mentions_and_by_cases():
    """Patients with many mentions get small ranges, patients with none large ones, within both limits."""
    from pipeline.engines.tables import patient_ranges
    mentions = {"a": 4, "b": 5, "c": 2, "d": 25, "e": 1}
    cases = [(p, mentions.get(p, 0)) for p in "abcdefghij"]
    ranges = [[p for p, _ in r] for r in patient_ranges(iter(cases), max_mentions=10, max_cases=4)]
    assert ranges == [["a", "b"], ["c"], ["d"], ["e", "f", "g", "h"], ["i", "j"]]
    assert list(patient_ranges([], 10, 4)) == [[]]


def test_rejected_rows_are_kept_a_chunk_at_a_time_and_written_as_the_whole_table(tmp_path):
    """Rejected rows wait on disk per chunk (an export of bad rows must not fill memory); rejected.csv is
    the file the in-memory review writes, rows in input order."""
    from pipeline.outputs.folder import write_outputs
    notes = read_table(SAMPLES / "notes.csv")
    bad = notes.copy()
    bad.loc[::5, "note_date"] = "2025-02-30"  # no such day
    bad.loc[1::5, "patient_id"] = ""
    bad.loc[2::5, "note_id"] = bad["note_id"].shift(2)[2::5]  # duplicates of notes two rows up
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    result = run_batch(path, tmp_path / "batch", chunk_size=9, quiet=True)
    whole = pipeline.review(read_table(path), source=str(path))
    assert len(whole.rejected) > 30 and len(result.rejected_files) == -(-len(bad) // 9)
    pd.testing.assert_frame_equal(result.rejected, whole.rejected)
    assert result.run["counts"]["rows_rejected"] == len(whole.rejected)
    write_outputs(result, tmp_path / "batch")
    write_outputs(whole, tmp_path / "whole")
    assert (tmp_path / "batch" / "rejected.csv").read_bytes() == (tmp_path / "whole" / "rejected.csv").read_bytes()
