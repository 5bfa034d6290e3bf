"""FHIR exports in: the samples written as Bulk Data NDJSON or a Bundle give the CSV's review table."""
import base64
import gzip
import json
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.io.exports import read_table, validate
from pipeline.io.fhir_bulk import attachment_text, html_text, is_fhir
from conftest import SAMPLES

CLI = [sys.executable, "-m", "pipeline.cli.main"]


def _doc(row, k, attachment):
    return {"resourceType": "DocumentReference", "id": row.note_id, "status": "current",
            "subject": {"reference": f"Patient/{row.patient_id}"},
            # every other note dated by its encounter's period, as many servers export them
            **({"date": f"{row.note_date}T09:30:00-05:00"} if k % 2 else
               {"context": {"period": {"start": row.note_date}}}),
            "type": {"text": row.note_type} if row.note_type else {"coding": [{"display": "Progress note"}]},
            "content": [{"attachment": attachment}]}


def write_bulk(folder, notes: pd.DataFrame, gz=False):
    """The notes as a Bulk Data export: DocumentReference.ndjson, half the texts inline (plain, HTML), half as
    Binary resources the references point to."""
    folder.mkdir(parents=True, exist_ok=True)
    docs, binaries = [], []
    for k, row in enumerate(notes.itertuples()):
        data = base64.b64encode(row.text.encode("utf-8")).decode()
        if k % 3 == 0:
            binaries.append({"resourceType": "Binary", "id": f"b{k}", "contentType": "text/plain", "data": data})
            docs.append(_doc(row, k, {"contentType": "text/plain", "url": f"Binary/b{k}"}))
        else:
            docs.append(_doc(row, k, {"contentType": "text/plain; charset=utf-8", "data": data}))
    opener = (lambda p: gzip.open(p, "wt", encoding="utf-8")) if gz else (lambda p: open(p, "w", encoding="utf-8"))
    suffix = ".ndjson.gz" if gz else ".ndjson"
    for name, items in (("DocumentReference", docs), ("Binary", binaries),
                        ("Patient", [{"resourceType": "Patient", "id": p} for p in notes.patient_id.unique()])):
        with opener(folder / f"{name}{suffix}") as f:
            f.writelines(json.dumps(x) + "\n" for x in items)
    return docs, binaries


def _run(src, out, *extra):
    return subprocess.run(CLI + ["run", str(src), "--cases", str(SAMPLES / "cases.csv"), "--out", str(out), "--quiet",
                                 *extra], capture_output=True, text=True)


@pytest.mark.parametrize("gz", [False, True])
def test_the_samples_as_a_bulk_export_give_the_csvs_review_table(tmp_path, gz):
    notes = read_table(SAMPLES / "notes.csv")
    write_bulk(tmp_path / "export", notes, gz=gz)
    assert is_fhir(tmp_path / "export")
    csv_run, fhir_run = _run(SAMPLES / "notes.csv", tmp_path / "a"), _run(tmp_path / "export", tmp_path / "b")
    assert csv_run.returncode == 0 and fhir_run.returncode == 0, fhir_run.stderr
    a, b = (pd.read_csv(tmp_path / x / "review.csv", dtype=str) for x in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["counts"]["rows_read"] == len(notes) == run["counts"]["notes_processed"]


def test_a_bundle_gives_the_same_notes(tmp_path):
    notes = read_table(SAMPLES / "notes.csv").head(12)
    docs, binaries = write_bulk(tmp_path / "bulk", notes)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in docs + binaries]}
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    read = validate(read_table(tmp_path / "bundle.json"), "bundle.json").notes
    assert read.note_id.tolist() == notes.note_id.tolist()
    assert read.text.tolist() == notes.text.tolist()


def test_every_document_reference_is_a_note_or_a_rejected_row_with_its_reason(tmp_path):
    ok = base64.b64encode(b"ODI 44% today.").decode()
    base = {"resourceType": "DocumentReference", "status": "current", "subject": {"reference": "Patient/p1"},
            "date": "2025-01-02"}
    docs = [
        {**base, "id": "good", "content": [{"attachment": {"contentType": "text/plain", "data": ok}}]},
        {**base, "id": "nosubject", "subject": None,
         "content": [{"attachment": {"contentType": "text/plain", "data": ok}}]},
        {**base, "id": "nodate", "date": None, "content": [{"attachment": {"contentType": "text/plain", "data": ok}}]},
        {**base, "id": "dangling", "content": [{"attachment": {"contentType": "text/plain", "url": "Binary/none"}}]},
        {**base, "id": "latin", "content": [{"attachment": {"contentType": "text/plain",
                                                            "data": base64.b64encode("caf\xe9".encode("latin-1"))
                                                            .decode()}}]},
        {**base, "id": "image", "content": [{"attachment": {"contentType": "image/png", "data": ok}}]},
        {"resourceType": "DocumentReference", "id": "nostatus", "content": []},
    ]
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "DocumentReference.ndjson").write_text("\n".join(json.dumps({k: v for k, v in d.items() if v is not None})
                                                              for d in docs) + "\n{not json\n")
    res = _run(folder, tmp_path / "out", "--review-date", "2025-06-01")
    assert res.returncode == 0, res.stderr
    rejected = pd.read_csv(tmp_path / "out" / "rejected.csv", dtype=str).fillna("")
    reasons = dict(zip(rejected.note_id, rejected.reason))
    assert "no subject" in reasons["nosubject"] and "no date" in reasons["nodate"]
    assert "points to nothing" in reasons["dangling"] and "not UTF-8" in reasons["latin"]
    assert "image/png" in reasons["image"] and "not a valid DocumentReference: status" in reasons["nostatus"]
    assert "invalid JSON line (DocumentReference.ndjson line 8)" in set(rejected.reason)
    assert all(r.endswith(f"(DocumentReference.ndjson line {k})") for k, r in zip(rejected.row.astype(int), rejected.reason))
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["counts"]["rows_read"] == 8 and run["counts"]["notes_processed"] == 1
    assert "ODI 44%" not in res.stderr + rejected.to_csv()


def test_attachments_in_html_rtf_and_pdf_are_read_as_text():
    assert html_text("<html><body><p>ODI 44% today.</p><script>x=1</script><div>Trial: 60% relief</div>"
                     "</body></html>") == "ODI 44% today.\n\nTrial: 60% relief"
    assert attachment_text(rb"{\rtf1\ansi ODI 44% today.\par}", "application/rtf").strip() == "ODI 44% today."
    with pytest.raises(ValueError, match="damaged PDF"):
        attachment_text(b"%PDF-1.4 not really", "application/pdf")


def test_word_and_rtf_notes_in_a_folder_of_notes(tmp_path):
    import docx
    d = docx.Document()
    d.add_paragraph("SCS trial follow-up.")
    d.add_paragraph("She reports 70% relief with the trial.")
    d.save(tmp_path / "n1.docx")
    (tmp_path / "n2.rtf").write_bytes(rb"{\rtf1\ansi\deff0 {\b Oswestry} Disability Index 44% today.\par}")
    (tmp_path / "n3.docx").write_bytes(b"PK\x03\x04 not a real archive")
    (tmp_path / "manifest.csv").write_text("patient_id,note_id,note_date,file\nP1,n1,2025-01-02,n1.docx\n"
                                           "P1,n2,2025-01-03,n2.rtf\nP1,n3,2025-01-04,n3.docx\n")
    read = validate(read_table(tmp_path), str(tmp_path))
    texts = dict(zip(read.notes.note_id, read.notes.text))
    assert texts["n1"] == "SCS trial follow-up.\nShe reports 70% relief with the trial."
    assert texts["n2"].strip() == "Oswestry Disability Index 44% today."
    assert read.rejected.reason.tolist() == ["note file n3.docx is not text"]


def test_a_folder_with_a_manifest_is_a_folder_of_notes_even_beside_ndjson(tmp_path):
    notes = read_table(SAMPLES / "notes.csv").head(3)
    write_bulk(tmp_path, notes)
    assert is_fhir(tmp_path)
    (tmp_path / "n1.txt").write_text("ODI 44% today.")
    (tmp_path / "manifest.csv").write_text("patient_id,note_id,note_date,file\nP1,n1,2025-01-02,n1.txt\n")
    assert validate(read_table(tmp_path), str(tmp_path)).notes.note_id.tolist() == ["n1"]
