"""Dask scale-out: a LocalCluster on loopback gives exactly the local review, evidence and rejects."""
import datetime as dt

import pandas as pd
import pytest

import pipeline
from pipeline.io.exports import read_cases, read_table
from conftest import SAMPLES

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from pipeline.engines.distributed import (MENTION_COLUMNS, extract_partition, mention_tuples, read_export,  # noqa: E402
                                  review_dask)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def notes():
    return read_table(SAMPLES / "notes.csv")


@pytest.fixture(scope="module")
def cases():
    return read_cases(SAMPLES / "cases.csv")


@pytest.fixture(scope="module")
def reference(notes, cases):
    return pipeline.review(notes, cases=cases)


def test_review_dask_is_the_local_review(client, notes, cases, reference):
    result = review_dask(dd.from_pandas(notes, npartitions=4, sort=False), cases=cases)
    pd.testing.assert_frame_equal(result.review, reference.review)
    pd.testing.assert_frame_equal(result.evidence, reference.evidence)
    assert result.run["counts"] == reference.run["counts"]
    assert result.run["engine"] == "dask"


def test_without_cases_each_patient_is_reviewed_at_their_latest_note(client, notes):
    ref = pipeline.review(notes, review_date=None)
    result = review_dask(dd.from_pandas(notes, npartitions=3, sort=False))
    pd.testing.assert_frame_equal(result.review, ref.review)
    pd.testing.assert_frame_equal(result.evidence, ref.evidence)


def test_duplicates_and_bad_rows_across_partitions_are_rejected_as_locally(client, notes):
    """A note_id repeated in a later partition, a repeat of an invalid row, and bad dates: the same rejects."""
    df = notes.copy()
    extra = df.iloc[[3, 40, 5]].copy()           # rows 78-80 duplicate rows 4, 41 and 6
    extra.iloc[2, extra.columns.get_loc("patient_id")] = ""   # ... and one of them is invalid anyway
    bad = df.iloc[[7]].copy()
    bad["note_id"] = "NEW-1"
    bad["note_date"] = "not a date"              # row 81: rejected, so ...
    again = bad.copy()
    again["note_date"] = "2025-01-02"            # ... row 82, the same note_id, is its first valid occurrence
    again2 = again.copy()                         # row 83 repeats row 82
    df = pd.concat([df.iloc[[3]].assign(patient_id=""), df, extra, bad, again, again2], ignore_index=True)
    ref = pipeline.review(df, source="export.csv")
    result = review_dask(dd.from_pandas(df, npartitions=5, sort=False), source="export.csv")
    pd.testing.assert_frame_equal(result.rejected, ref.rejected)
    pd.testing.assert_frame_equal(result.review, ref.review)
    pd.testing.assert_frame_equal(result.evidence, ref.evidence)
    assert len(ref.rejected) == 6 and result.run["counts"] == ref.run["counts"]


def test_cli_runs_on_the_scheduler(client, tmp_path, reference):
    from pipeline.cli.main import main
    out = tmp_path / "out"
    code = main(["run", str(SAMPLES / "notes.csv"), "--cases", str(SAMPLES / "cases.csv"), "--out", str(out),
                 "--scheduler", client.scheduler.address, "--partition-mb", "0.01", "--quiet"])
    assert code == 0
    local = tmp_path / "local"
    assert main(["run", str(SAMPLES / "notes.csv"), "--cases", str(SAMPLES / "cases.csv"), "--out", str(local),
                 "--quiet"]) == 0
    for name in ("review.csv", "evidence.csv", "rejected.csv"):
        assert (out / name).read_bytes() == (local / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / "review.parquet"), pd.read_parquet(local / "review.parquet"))


def test_cli_scheduler_that_does_not_answer_is_a_usage_error(tmp_path, capsys):
    from pipeline.cli.main import main
    code = main(["run", str(SAMPLES / "notes.csv"), "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9",
                 "--quiet"])
    assert code == 2
    assert "no Dask scheduler answers" in capsys.readouterr().err


def test_read_export_cuts_only_between_records(tmp_path, notes):
    """Notes span lines inside quoted fields: every partition still holds whole records, in file order."""
    ddf = read_export(SAMPLES / "notes.csv", blocksize=4000)
    assert ddf.npartitions > 5
    got = ddf.compute(scheduler="sync").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, notes.reset_index(drop=True))
    jsonl = tmp_path / "notes.jsonl"
    notes.to_json(jsonl, orient="records", lines=True)
    got = read_export(jsonl, blocksize=4000).compute(scheduler="sync").reset_index(drop=True)
    pd.testing.assert_frame_equal(got.astype(str), notes.astype(str).reset_index(drop=True))


def test_extract_partition_is_a_pure_frame_function(notes):
    """Validated notes in, one row per mention out, and back to the very Mention tuples `extract` gives."""
    from pipeline.io.exports import validate
    from pipeline.extract.notes import extract
    from pipeline.engines.memory import _notes
    valid = validate(notes.iloc[:12], "x").notes
    frame = extract_partition(valid)
    assert list(frame.columns) == MENTION_COLUMNS and len(frame)
    assert frame["note_classes"].map(lambda s: s == ";".join(sorted(s.split(";"))) if s else True).all()
    from pipeline.scoring.policy import load_policy
    assert mention_tuples(frame.sample(frac=1, random_state=0)) == list(extract(_notes(valid), criteria=load_policy().criterion_names))
    assert isinstance(mention_tuples(frame)[0].note_date, dt.date)
    assert extract_partition(valid.iloc[:0]).columns.tolist() == MENTION_COLUMNS


def test_the_spark_recipe_simulated_with_pandas(notes, cases, reference):
    """mapInPandas(extract_partition), a right join with the cases, groupBy(patient_id).applyInPandas(...)."""
    from pipeline.engines.distributed import evidence_group, review_group
    from pipeline.io.exports import validate
    valid = validate(notes, "notes.csv").notes
    mentions = pd.concat([extract_partition(part) for part in (valid.iloc[:30], valid.iloc[30:])], ignore_index=True)
    case_df = pd.DataFrame({"patient_id": list(cases), "review_date": list(cases.values())})
    joined = mentions.merge(case_df, on="patient_id", how="right")
    groups = [g for _, g in joined.groupby("patient_id", sort=False)]
    review = pd.concat([review_group(g) for g in groups]).sort_values("patient_id").reset_index(drop=True)
    evidence = pd.concat([f for f in (evidence_group(g, with_index=True) for g in groups[::-1]) if len(f)])
    evidence = evidence.sort_values(["patient_id", "evidence_index"]).drop(columns="evidence_index")
    pd.testing.assert_frame_equal(review, reference.review)
    pd.testing.assert_frame_equal(evidence.reset_index(drop=True), reference.evidence)
