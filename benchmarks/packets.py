"""A development set as faxed packets: one PDF per case, read back against the set's own CSV run.

    .venv/bin/python benchmarks/packets.py data/samples                 # text-layer and scanned packets
    .venv/bin/python benchmarks/packets.py DIR --dpi 200 --workers 2 --work /tmp/pk  # DIR: notes.csv, cases.csv

Each case's notes are rendered in date order, each from a new page under its note type and
"Date of service", a long note going on under "Page k of n"; the manifest gives no dates, so the
packet reader must split and date the documents itself. The scanned packets are the same pages
rasterized (grey, --dpi) with no text layer, read by OCR. It prints, for each kind of packet, the
determinations that agree with the CSV's and the pages read per second. Note text is never printed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def render_packet(path: Path, notes: pd.DataFrame, lines_per_page: int = 56) -> int:
    """One PDF of a case's notes (see the module's docstring); the number of pages."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(str(path), pagesize=letter)
    pages = 0
    for n in notes.sort_values(["note_date", "note_id"]).itertuples():
        day = dt.date.fromisoformat(str(n.note_date))
        title = n.note_type or "Clinical note"
        body = [w for line in str(n.text).split("\n") for w in (textwrap.wrap(line, 95) or [""])]
        chunks = [body[i:i + lines_per_page] for i in range(0, len(body), lines_per_page)] or [[]]
        for k, chunk in enumerate(chunks, start=1):
            y = 750
            head = [title, f"Date of service: {day:%m/%d/%Y}"] if k == 1 else \
                [f"{title} (continued)   Page {k} of {len(chunks)}"]
            c.setFont("Helvetica", 9)
            for line in head + [""] + chunk:
                c.drawString(40, y, line)
                y -= 12
            c.showPage()
            pages += 1
    c.save()
    return pages


def write_packets(folder: Path, notes: pd.DataFrame, scanned: bool = False, dpi: int = 200) -> int:
    """A notes folder of one packet per case and a manifest without dates; `scanned`: pages as images only.
    The number of pages."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, pages = [], 0
    for pid, group in notes.groupby("patient_id"):
        path = folder / f"{pid}.pdf"
        pages += render_packet(path, group)
        if scanned:
            import pypdfium2
            doc = pypdfium2.PdfDocument(str(path))
            images = [doc[k].render(scale=dpi / 72).to_pil().convert("L") for k in range(len(doc))]
            doc.close()
            images[0].save(path, save_all=True, append_images=images[1:], resolution=dpi)
        rows.append((pid, path.name))
    pd.DataFrame(rows, columns=["patient_id", "file"]).to_csv(folder / "manifest.csv", index=False)
    return pages


def _run(src: Path, cases: Path, out: Path, workers: int = 1) -> float:
    t = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "scs-abstract"), "run", str(src), "--cases", str(cases),
                    "--out", str(out), "--quiet", "--workers", str(workers)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dev", type=Path, help="a development set folder (notes.csv, cases.csv)")
    p.add_argument("--work", type=Path, help="folder for the packets and outputs (default: a new temporary one)")
    p.add_argument("--dpi", type=int, default=200, help="resolution of the scanned pages (default 200)")
    p.add_argument("--workers", type=int, default=2, help="--workers of the packet runs: pages read by OCR at a time")
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from pipeline.io.exports import read_table
    work = a.work or Path(tempfile.mkdtemp(prefix="scs-packets-"))
    notes, cases = read_table(a.dev / "notes.csv"), a.dev / "cases.csv"
    _run(a.dev / "notes.csv", cases, work / "out-csv")
    truth = pd.read_csv(work / "out-csv" / "review.csv", dtype=str).set_index("patient_id")["determination"]
    print(f"{a.dev.name}: {notes.patient_id.nunique()} cases, {len(notes)} notes")
    for kind, scanned in (("text layer", False), (f"scanned, {a.dpi} dpi, OCR", True)):
        folder = work / ("scanned" if scanned else "text")
        pages = write_packets(folder, notes, scanned=scanned, dpi=a.dpi)
        seconds = _run(folder, cases, work / f"out-{folder.name}", a.workers)
        got = pd.read_csv(work / f"out-{folder.name}" / "review.csv", dtype=str).set_index("patient_id")["determination"]
        same = int((got.reindex(truth.index) == truth).sum())
        print(f"  {kind}: {same}/{len(truth)} determinations as the CSV's; {pages} pages in {seconds:.1f} s "
              f"({pages / seconds:.1f} pages/s, start-up and extraction included)")
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
