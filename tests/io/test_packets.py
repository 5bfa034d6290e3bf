"""Packets: the samples rendered as one PDF per case (a text layer, or scanned pages read by OCR) and read back."""
import datetime as dt
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from pipeline.io.exports import read_table, validate
from pipeline.io.packets import Page, head_date, split_packet
from conftest import ROOT, SAMPLES

sys.path.insert(0, str(ROOT / "benchmarks"))
from packets import render_packet, write_packets  # noqa: E402  (the benchmark's renderer)

CLI = [sys.executable, "-m", "pipeline.cli.main"]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")


def _determinations(out):
    return pd.read_csv(out / "review.csv", dtype=str).set_index("patient_id")["determination"]


def test_the_samples_as_text_layer_packets_give_the_csvs_determinations(tmp_path):
    notes = read_table(SAMPLES / "notes.csv")
    write_packets(tmp_path / "packets", notes)
    for src, out in ((SAMPLES / "notes.csv", "csv"), (tmp_path / "packets", "pdf")):
        res = subprocess.run(CLI + ["run", str(src), "--cases", str(SAMPLES / "cases.csv"), "--out",
                                    str(tmp_path / out), "--quiet"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
    a, b = _determinations(tmp_path / "csv"), _determinations(tmp_path / "pdf")
    assert (a == b).sum() >= len(a) - 1, pd.concat([a, b], axis=1)
    evidence = pd.read_csv(tmp_path / "pdf" / "evidence.csv", dtype=str)
    assert evidence.note_id.str.fullmatch(r"\S+\.pdf pp?\. \d+(-\d+)?").all()  # the file and pages it came from
    run = json.loads((tmp_path / "pdf" / "run.json").read_text())
    assert run["counts"]["notes_processed"] >= len(notes) - 3  # same-day notes of one packet may merge


@needs_tesseract
def test_scanned_pages_are_read_by_ocr_with_their_confidence(tmp_path):
    notes = read_table(SAMPLES / "notes.csv")
    one = notes[notes.patient_id == notes.patient_id.iloc[0]].head(3)
    write_packets(tmp_path / "scans", one, scanned=True)
    read = validate(read_table(tmp_path / "scans"), "scans")
    assert len(read.notes) == len(one) and read.rejected.empty
    assert [d.isoformat() for d in read.notes.note_date] == sorted(one.note_date)
    for got, want in zip(read.notes.text, one.sort_values("note_date").text):
        words = set(want.split())
        assert len(words & set(got.split())) >= 0.8 * len(words)  # OCR at 200 dpi reads most words as written


def test_a_packet_is_split_where_a_new_document_starts():
    pages = [Page(1, "FAX COVER SHEET\nTo: Utilization review\nPages: 5", None),
             Page(2, "PHYSICAL THERAPY DAILY NOTE\nDate of service: 03/04/2025\nTherex 30 min.", None),
             Page(3, "PHYSICAL THERAPY DAILY NOTE (continued)  Page 2 of 2\nHEP reviewed.", None),
             Page(4, "Office visit\nDOS: 03/04/2025\nSCS trial f/u.", None),
             Page(5, "Letter\nDate: March 10, 2025\nTo whom it may concern", None)]
    docs = split_packet(pages)
    assert [(d.first, d.last, d.date) for d in docs] == [
        (1, 1, None), (2, 3, dt.date(2025, 3, 4)), (4, 4, dt.date(2025, 3, 4)), (5, 5, dt.date(2025, 3, 10))]
    assert head_date("Progress note\nPatient: X  MRN 12345\nElectronically signed by A. B., MD on 04/02/2025") == \
        dt.date(2025, 4, 2)


def test_unreadable_files_and_undated_documents_are_rejected_with_the_file_and_pages(tmp_path):
    from pypdf import PdfWriter
    notes = read_table(SAMPLES / "notes.csv").head(2)
    render_packet(tmp_path / "good.pdf", notes)
    (tmp_path / "damaged.pdf").write_bytes(b"%PDF-1.4\n% not a real PDF")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    w = PdfWriter()
    w.add_blank_page(612, 792)
    w.encrypt("secret")
    with open(tmp_path / "locked.pdf", "wb") as f:
        w.write(f)
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(str(tmp_path / "undated.pdf"))
    c.drawString(40, 750, "Fax cover sheet - records enclosed for the review of this member")
    c.showPage()
    c.save()
    pid = notes.patient_id.iloc[0]
    pd.DataFrame({"patient_id": pid, "file": ["good.pdf", "damaged.pdf", "picture.png", "locked.pdf", "undated.pdf"]}
                 ).to_csv(tmp_path / "manifest.csv", index=False)
    read = validate(read_table(tmp_path), str(tmp_path))
    assert len(read.notes) >= 1
    reasons = dict(zip(read.rejected.row, read.rejected.reason))
    assert reasons == {2: "note file damaged.pdf is a damaged PDF", 3: "note file picture.png is not an image of a page",
                       4: "note file locked.pdf is an encrypted PDF", 5: "no date of service found on undated.pdf p. 1"}


@needs_tesseract
def test_tiff_and_png_pages_are_read_by_ocr(tmp_path):
    import pypdfium2
    notes = read_table(SAMPLES / "notes.csv")
    one = notes[notes.patient_id == notes.patient_id.iloc[0]].head(2)
    render_packet(tmp_path / "src.pdf", one)
    doc = pypdfium2.PdfDocument(str(tmp_path / "src.pdf"))
    pages = [doc[k].render(scale=200 / 72).to_pil().convert("L") for k in range(len(doc))]
    doc.close()
    pages[0].save(tmp_path / "scan.tiff", save_all=True, append_images=pages[1:], resolution=200)
    pages[0].save(tmp_path / "first.png")
    pid = one.patient_id.iloc[0]
    pd.DataFrame({"patient_id": pid, "file": ["scan.tiff", "first.png"], "note_date": ["", one.note_date.iloc[0]]}
                 ).to_csv(tmp_path / "manifest.csv", index=False)
    read = validate(read_table(tmp_path), str(tmp_path))
    assert read.rejected.empty
    assert list(read.notes.note_id) == ["scan.tiff p. 1", "scan.tiff p. 2", "first.png"]
    assert [d.isoformat() for d in read.notes.note_date] == sorted(one.note_date) + [one.note_date.iloc[0]]
