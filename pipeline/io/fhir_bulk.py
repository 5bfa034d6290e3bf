"""FHIR exports as a note export: Bulk Data NDJSON (`$export`: a folder of `*.ndjson`, gzip too) and Bundles.

Every `DocumentReference` becomes one row: `patient_id` from `subject` (`Patient/123` -> `123`), `note_id`
from its id, `note_date` from `date` (else `context.period.start`), `note_type` from `type`, and the text of
its first readable attachment: base64 `data`, or a `url` to a `Binary` of the same export (`Binary/abc`),
as text/plain, text/html, application/rtf or application/pdf (its text layer). A DocumentReference that
cannot be one is a row with its reason (`_row_error`), so it lands in rejected.csv: no subject, no date,
an attachment that cannot be decoded, a url to nothing in the export, a resource the FHIR model refuses.
Resources are read through `fhir.resources` (R4B models: what Bulk Data servers export). Other resource
types are passed over. Messages name the file and line, never a resource's content.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import pandas as pd

from pipeline.errors import InputError

COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text", "_row_error"]
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.name.endswith(".gz") else \
        open(path, encoding="utf-8-sig")


def _first_resource_type(path: Path) -> str | None:
    """The resourceType of a file's first record (NDJSON line or JSON document), None when it has none."""
    try:
        with _open(path) as f:
            if path.name.lower().endswith(".json"):
                head = f.read(4096)
                m = re.search(r'"resourceType"\s*:\s*"(\w+)"', head)
                return m.group(1) if m else None
            for line in f:
                if line.strip():
                    obj = json.loads(line)
                    return obj.get("resourceType") if isinstance(obj, dict) else None
    except (OSError, ValueError, EOFError):
        return None
    return None


def ndjson_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(NDJSON_SUFFIXES))


def is_fhir(path: Path) -> bool:
    """A FHIR export: a Bundle (.json), an NDJSON file of resources, or a folder of them (no manifest)."""
    if path.is_dir():
        files = ndjson_files(path)
        return bool(files) and any(_first_resource_type(p) for p in files)
    name = path.name.lower()
    if name.endswith(".json"):
        return _first_resource_type(path) == "Bundle"
    return name.endswith(NDJSON_SUFFIXES) and _first_resource_type(path) is not None


class _Text(HTMLParser):
    """The text of an HTML note: its words, a line break for each block element, no script or style."""
    BLOCKS = {"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip("\n")


def attachment_text(data: bytes, content_type: str | None) -> str:
    """An attachment's bytes as note text, by its content type; ValueError when it cannot be read."""
    kind = (content_type or "text/plain").split(";")[0].strip().lower()
    charset = re.search(r"charset\s*=\s*([\w-]+)", content_type or "", re.I)
    if kind == "application/pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise ValueError("an encrypted PDF")
            return "\n\n".join((page.extract_text() or "") for page in reader.pages)
        except PdfReadError as e:
            raise ValueError("a damaged PDF") from e
    try:
        text = data.decode(charset.group(1) if charset else "utf-8")
    except (UnicodeDecodeError, LookupError) as e:
        raise ValueError(f"text that is not {charset.group(1) if charset else 'UTF-8'}") from e
    if kind in ("text/html", "application/xhtml+xml"):
        return html_text(text)
    if kind in ("application/rtf", "text/rtf"):
        from striprtf.striprtf import rtf_to_text
        return rtf_to_text(text)
    if kind.startswith("text/"):
        return text
    raise ValueError(f"content type {kind} is not text, HTML, RTF or PDF")


class _Binaries:
    """The export's Binary resources by id, read when a DocumentReference's url points at one: where each
    starts in its file (plain NDJSON), or the resource itself (gzip, which cannot seek)."""

    def __init__(self, files: list[Path]):
        self.where: dict[str, tuple[Path, int]] = {}
        self.held: dict[str, dict] = {}
        for path in files:
            if _first_resource_type(path) != "Binary":
                continue
            if path.name.endswith(".gz"):
                with _open(path) as f:
                    for line in f:
                        obj = _loads(line)
                        if isinstance(obj, dict) and obj.get("resourceType") == "Binary" and obj.get("id"):
                            self.held[str(obj["id"])] = obj
                continue
            with open(path, "rb") as f:
                at = 0
                for line in f:
                    m = re.search(rb'"id"\s*:\s*"([^"]+)"', line[:400])
                    if m and b'"Binary"' in line[:400]:
                        self.where[m.group(1).decode()] = (path, at)
                    at += len(line)

    def get(self, ref: str) -> dict | None:
        parts = ref.rstrip("/").split("/")
        key = parts[-1] if (len(parts) >= 2 and parts[-2] == "Binary") or len(parts) == 1 else None
        if key is None:
            return None
        if key in self.held:
            return self.held[key]
        if key not in self.where:
            return None
        path, at = self.where[key]
        with open(path, "rb") as f:
            f.seek(at)
            obj = _loads(f.readline().decode("utf-8-sig"))
        return obj if isinstance(obj, dict) else None


class _Held(_Binaries):
    """A Bundle's Binary entries, already in memory."""

    def __init__(self, held: dict):
        self.where, self.held = {}, held


def _loads(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return None


def _model_problem(e) -> str:
    """A validation error as its fields and kinds only: pydantic's message quotes the input, which may be note text."""
    errors = e.errors() if hasattr(e, "errors") else []
    if not errors:
        return "not a valid DocumentReference"
    first = errors[0]
    field = ".".join(str(x) for x in first.get("loc", ()) if x != "__root__")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"not a valid DocumentReference: {field or 'resource'}: {first.get('type', 'invalid')}{more}"


def document_row(obj: dict, binaries: _Binaries | None) -> list[str]:
    """One DocumentReference as an export row (COLUMNS), its reason in `_row_error` when it cannot be a note."""
    from fhir.resources.R4B.documentreference import DocumentReference
    from pydantic import ValidationError
    rid = str(obj.get("id") or "")
    written = obj.get("date")  # an `instant`; exports also write a bare date or a time without a zone
    try:
        doc = DocumentReference.model_validate({k: v for k, v in obj.items() if k != "date"})
    except (ValidationError, ValueError, TypeError) as e:
        return ["", rid, "", "", "", _model_problem(e)]
    ref = (doc.subject.reference or "") if doc.subject else ""
    patient = ref.rsplit("/", 1)[-1] if ref else ""
    if not patient and doc.subject and doc.subject.identifier and doc.subject.identifier.value:
        patient = doc.subject.identifier.value
    when = written if isinstance(written, str) and written.strip() else \
        (doc.context.period.start if doc.context and doc.context.period else None)
    note_date = when if isinstance(when, str) else when.isoformat() if when is not None else ""
    note_type = ""
    if doc.type is not None:
        note_type = doc.type.text or next((c.display or c.code or "" for c in (doc.type.coding or [])), "")
    row = [patient, rid, note_date, note_type, "", ""]
    if not patient:
        row[5] = "DocumentReference has no subject"
        return row
    if not note_date:
        row[5] = "DocumentReference has no date (date or context.period.start)"
        return row
    problems = []
    for content in doc.content or []:
        att = content.attachment
        data, kind = att.data, att.contentType
        if data is None and att.url:
            binary = binaries.get(att.url) if binaries is not None else None
            if binary is None:
                problems.append(f"attachment url {att.url} points to nothing in the export")
                continue
            kind = kind or binary.get("contentType")
            try:
                data = base64.b64decode(binary.get("data") or "", validate=True)
            except (binascii.Error, ValueError):
                problems.append(f"Binary {att.url} cannot be decoded (not base64)")
                continue
        if data is None:
            problems.append("attachment has neither data nor url")
            continue
        try:
            row[4] = attachment_text(data, kind)
            return row
        except ValueError as e:
            problems.append(f"attachment cannot be decoded ({e})")
    row[5] = problems[0] if problems else "DocumentReference has no content"
    return row


def _records(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """(line, resource, problem) of an NDJSON file, or (entry, resource, problem) of a Bundle."""
    if path.name.lower().endswith(".json"):
        try:
            with _open(path) as f:
                bundle = json.load(f)
        except (OSError, ValueError, EOFError) as e:
            raise InputError(f"{path}: not a readable FHIR Bundle ({e.__class__.__name__})") from None
        entries = bundle.get("entry") if isinstance(bundle, dict) else None
        for k, entry in enumerate(entries or [], start=1):
            res = entry.get("resource") if isinstance(entry, dict) else None
            yield k, res if isinstance(res, dict) else None, "" if isinstance(res, dict) else "entry has no resource"
        return
    try:
        with _open(path) as f:
            for k, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                obj = _loads(line)
                yield k, obj if isinstance(obj, dict) else None, "" if isinstance(obj, dict) else "invalid JSON line"
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read ({e.__class__.__name__})") from None


def fhir_chunks(path: Path, chunk_size: int) -> Iterator[tuple[pd.DataFrame, int, int]]:
    """The export's DocumentReferences as (frame, rows before it, bytes done), `chunk_size` rows at a time.
    A record that is not a resource, or a DocumentReference that cannot be a note, keeps its reason and the
    file and line (a Bundle: entry) it came from."""
    files = ndjson_files(path) if path.is_dir() else [path]
    bundle = path.name.lower().endswith(".json")
    binaries = _Binaries(files) if not bundle else \
        _Held({str(r.get("id")): r for _, r, _ in _records(path) if r is not None and r.get("resourceType") == "Binary"})
    rows: list[list[str]] = []
    before = done = 0
    for f in files:
        where = "entry" if bundle else "line"
        for line, obj, problem in _records(f):
            if obj is None:
                rows.append(["", "", "", "", "", f"{problem} ({f.name} {where} {line})"])
            elif obj.get("resourceType") == "DocumentReference":
                row = document_row(obj, binaries)
                if row[5]:
                    row[5] = f"{row[5]} ({f.name} {where} {line})"
                rows.append(row)
            else:
                continue
            if len(rows) >= chunk_size:
                yield pd.DataFrame(rows, columns=COLUMNS), before, done
                before, rows = before + len(rows), []
        done += f.stat().st_size
    yield pd.DataFrame(rows, columns=COLUMNS), before, done
