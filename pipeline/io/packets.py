"""Faxed and scanned packets: PDF, TIFF and PNG files in a notes folder, read page by page.

A page's text comes from the PDF's text layer when it has one, else from OCR (Tesseract, at
`OCR_DPI`), with the mean word confidence kept. A file the manifest gives a `note_date` is one note;
a file without one is a packet of documents: a new document starts on a page whose head gives a date
(of service, of a visit, of a letter) or says "Page 1 of N", unless it says it goes on ("Page 2 of 3"). Each document is dated from the
date its head gives (date of service, visit date, date, signed), and named by its file and pages
(`packet.pdf pp. 3-5`), so evidence cites where in the packet it was written. A document whose date
cannot be read is kept out with its reason; messages name the file and page, never their text.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from pipeline.io.dates import find_dates

PAGE_SUFFIXES = (".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg")
MIN_TEXT_CHARS = 25   # a page with less text in its text layer than this is a scan: it is read by OCR
OCR_DPI = 300
HEAD_LINES = 12       # the lines of a page where a document's title and date are written
LOW_CONFIDENCE = 70   # mean OCR word confidence below which a document's values are flagged for review


class PacketError(ValueError):
    """A file that cannot be read as pages (encrypted, damaged, empty, not an image); its message names no text."""


class Page(NamedTuple):
    number: int                 # 1-based
    text: str
    confidence: float | None    # mean OCR word confidence (0-100); None for a text layer


class Document(NamedTuple):
    first: int
    last: int
    date: object                # datetime.date or None
    text: str
    confidence: float | None    # the lowest OCR confidence of its pages

    @property
    def title(self) -> str:
        """Its first line with words: a packet's document is known by its title, as a reviewer knows it."""
        return next((line.strip()[:80] for line in self.text.splitlines() if line.strip()), "")

    def pages(self, file: str) -> str:
        return f"{file} p. {self.first}" if self.first == self.last else f"{file} pp. {self.first}-{self.last}"


def ocr_image(image) -> tuple[str, float | None]:
    """An image's text by Tesseract, line by line, and the mean confidence of its words."""
    import pytesseract
    # one thread per Tesseract process: its OpenMP threads make it several times slower beside other work,
    # and pages are read side by side instead (`workers`)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = pytesseract.image_to_data(image.convert("L"), output_type=pytesseract.Output.DICT)
    lines: dict[tuple, list[str]] = {}
    confs = []
    for k, word in enumerate(data["text"]):
        if not word.strip():
            continue
        key = (data["block_num"][k], data["par_num"][k], data["line_num"][k])
        lines.setdefault(key, []).append(word)
        c = float(data["conf"][k])
        if c >= 0:
            confs.append(c)
    text, last_block = [], None
    for key, words in lines.items():
        if last_block is not None and key[:2] != last_block:
            text.append("")  # a new block or paragraph: a blank line, as a text layer gives
        text.append(" ".join(words))
        last_block = key[:2]
    return "\n".join(text), (sum(confs) / len(confs) if confs else None)


def read_pages(path: Path, workers: int = 1) -> list[Page]:
    """Every page of a PDF, TIFF or PNG file, as text; `workers` pages are read by OCR at a time (each a
    Tesseract process)."""
    if path.suffix.lower() == ".pdf":
        return _pdf_pages(path, workers)
    from PIL import Image, ImageSequence, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            frames = [frame.copy() for frame in ImageSequence.Iterator(img)]
    except (UnidentifiedImageError, OSError) as e:
        raise PacketError(f"{path.name} is not an image of a page") from e
    return [Page(k, *read) for k, read in enumerate(_ocr_all(frames, workers), start=1)]


def _ocr_all(images: list, workers: int) -> list[tuple[str, float | None]]:
    if workers <= 1 or len(images) <= 1:
        return [ocr_image(image) for image in images]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=workers) as pool:  # threads: the work is in the tesseract processes
        return list(pool.map(ocr_image, images))


def _page_image(reader_page, rendered, k: int):
    """A scanned page as an image: the scan it holds, at its own resolution, when it is one image; else the
    page rendered at OCR_DPI."""
    try:
        images = reader_page.images
        if len(images) == 1:
            return images[0].image
    except Exception:  # pypdf cannot decode some image filters: render the page instead
        pass
    return rendered()[k].render(scale=OCR_DPI / 72).to_pil()


def _pdf_pages(path: Path, workers: int = 1) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PacketError(f"{path.name} is an encrypted PDF")
        n = len(reader.pages)
    except PacketError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as e:
        raise PacketError(f"{path.name} is a damaged PDF") from e
    if n == 0:
        raise PacketError(f"{path.name} is a PDF without pages")
    document = []

    def rendered():
        if not document:
            import pypdfium2
            try:
                document.append(pypdfium2.PdfDocument(str(path)))
            except pypdfium2.PdfiumError as e:
                raise PacketError(f"{path.name} cannot be rendered for OCR") from e
        return document[0]
    pages: dict[int, Page] = {}
    scans: list[tuple[int, object]] = []
    for k in range(n):
        try:
            text = reader.pages[k].extract_text() or ""
        except Exception:  # pypdf raises many kinds on a damaged page: the page is read by OCR instead
            text = ""
        if len(text.strip()) >= MIN_TEXT_CHARS:
            pages[k] = Page(k + 1, text, None)
        else:
            scans.append((k, _page_image(reader.pages[k], rendered, k)))
    for (k, _), read in zip(scans, _ocr_all([image for _, image in scans], workers)):
        pages[k] = Page(k + 1, *read)
    return [pages[k] for k in range(n)]


# where a document says when it was written: "Date of service: 03/04/2025", "DOS 3/4/25", "Visit date:"
_DATE_LABEL = re.compile(r"\b(?:date[ \t]+of[ \t]+(?:service|visit|exam\w*|evaluation|procedure|surgery|encounter)|dos|"
                         r"visit[ \t]+date|encounter[ \t]+date|service[ \t]+date|exam[ \t]+date|date|dated|"
                         r"signed(?:[ \t]+on)?|electronically[ \t]+signed(?:[ \t]+by[ \t][^\n]{0,40}?)?[ \t]+on)"
                         r"[ \t]*[:#]?[ \t]*", re.I)
_FIRST_PAGE = re.compile(r"\bpage\s+1\s+(?:of|/)\s+\d+\b", re.I)
_LATER_PAGE = re.compile(r"\bpage\s+(?:[2-9]|\d{2,})\s+(?:of|/)\s+\d+\b|\(?\bcontinued\b\)?|\bcont(?:'d|\.)", re.I)


def head_date(text: str, lines: int = HEAD_LINES):
    """The date a page's head gives with a label (date of service, visit date, date, signed), or None."""
    head = "\n".join([line for line in text.splitlines() if line.strip()][:lines])
    for m in _DATE_LABEL.finditer(head):
        found = find_dates(head[m.end():m.end() + 24])
        if found and found[0].start == 0 and found[0].precision == "day":
            return found[0].date
    return None


def split_packet(pages: list[Page]) -> list[Document]:
    """The documents of a packet, in page order: a page whose head gives a date (a visit's date of service,
    a letter's date) or says "Page 1 of N" starts one, unless it says it goes on ("Page 2 of 3", "continued")."""
    docs: list[list] = []
    for page in pages:
        head = "\n".join([line for line in page.text.splitlines() if line.strip()][:HEAD_LINES])
        date = head_date(page.text)
        goes_on = _LATER_PAGE.search(head) is not None and _FIRST_PAGE.search(head) is None
        if not docs or (not goes_on and (date is not None or _FIRST_PAGE.search(head) is not None)):
            docs.append([[page], date])
        else:
            docs[-1][0].append(page)
            docs[-1][1] = docs[-1][1] or date
    out = []
    for group, date in docs:
        confs = [p.confidence for p in group if p.confidence is not None]
        out.append(Document(group[0].number, group[-1].number, date, "\n\n".join(p.text for p in group),
                            min(confs) if confs else None))
    return out


def whole_file(pages: list[Page]) -> Document:
    """A file that is one note: all its pages."""
    confs = [p.confidence for p in pages if p.confidence is not None]
    return Document(pages[0].number, pages[-1].number, None, "\n\n".join(p.text for p in pages),
                    min(confs) if confs else None)


def ocr_note_type(note_type: str, confidence: float | None) -> str:
    """The note type, marked when OCR read it with low confidence (the note class `ocr_low_confidence`)."""
    if confidence is None or confidence >= LOW_CONFIDENCE:
        return note_type
    return f"{note_type} [OCR confidence {confidence:.0f}%]".strip()
