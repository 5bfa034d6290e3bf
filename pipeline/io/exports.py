"""Reading note exports: CSV, TSV, Parquet, JSON Lines (plain or gzip'd), or a folder of .txt notes.

Columns are mapped to the contract's names, every row is validated, and rows
that cannot be processed go to the rejects with their row number and reason,
never their text.

Exports come from systems this package did not write, so the readers take what
such systems produce and say plainly what they cannot take:

* the encoding is found before the first row is read: a UTF-8 or UTF-16/32 byte
  order mark is followed; text without one that is not valid UTF-8 is read as
  Windows-1252 (a superset of Latin-1) with a warning naming the file; a binary
  file (a spreadsheet, a PDF, compressed data under a plain name) is refused;
* CSV/TSV is read record by record (Python's csv module, strict quoting), so a
  row with too few or too many fields is rejected with its row and line number
  ("ragged row: 3 fields, expected 5 (line 7)") and the rows around it still
  count; a quoted field that is never closed stops the run with the row and line
  where it opened, since the rows it swallowed cannot be recovered;
* NUL bytes are read as spaces (with a warning), blank lines are skipped;
* every value is read as text: "001" stays "001", a JSON number keeps the digits
  it was written with, an integer Parquet column stays integral.

No message, warning or reject reason holds a value from a note's text.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import logging
import re
import zlib
from pathlib import Path
from typing import Iterator, NamedTuple

import pandas as pd

from pipeline.errors import InputError
from pipeline.io import fhir_bulk, packets
from pipeline.io.dates import parse_date
from pipeline.io.scratch import NoteIdIndex

REQUIRED = ("patient_id", "note_id", "note_date", "text")
OPTIONAL = ("note_type",)
LINE_COLUMNS = ("line", "version")  # a table of one row per line of a note (io/line_tables.py)
ROW = "_row"  # a reassembled note's input row, where the frame's rows are not the input's
REJECT_COLUMNS = ["source", "row", "patient_id", "note_id", "column", "reason"]
MANIFEST_NAMES = ("manifest.csv", "notes.csv", "manifest.tsv", "manifest.jsonl")
FILE_COLUMNS = ("file", "path", "filename", "file_name")
FILE_ERROR = "_file_error"  # set by the folder reader for a manifest row whose .txt is missing
ROW_ERROR = "_row_error"    # set by the readers for a record that is not a row at all (ragged, invalid JSON)

MAX_FIELD_CHARS = 64 * 2 ** 20   # one CSV field; a longer one is an unclosed quote, not a note
LONG_NOTE_CHARS = 1_000_000      # a note longer than this is read, with a warning that it is slow
_HEAD_BYTES = 1 << 16
_BLOCK = 1 << 20

log = logging.getLogger("scs_abstract")


def warn(message: str) -> None:
    """A warning on stderr (through logging): never note text, only files, rows, counts and reasons."""
    log.warning("scs-abstract: warning: %s", message)


class NotesRead(NamedTuple):
    notes: pd.DataFrame      # patient_id, note_id, note_date (datetime.date), note_type, text, row
    rejected: pd.DataFrame   # REJECT_COLUMNS
    rows_read: int


def parse_column_map(items: list[str] | None) -> dict[str, str]:
    """`["patient_id=MRN", "text=NOTE_TEXT"]` -> {"patient_id": "MRN", ...}."""
    out = {}
    for item in items or []:
        name, sep, source = item.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not name or not source:
            raise InputError(f"--column {item!r}: expected NAME=SOURCE, e.g. --column patient_id=MRN")
        if name not in REQUIRED + OPTIONAL + LINE_COLUMNS:
            raise InputError(f"--column {item!r}: {name!r} is not an input column; "
                             f"choose from {', '.join(REQUIRED + OPTIONAL + LINE_COLUMNS)}")
        out[name] = source
    return out


def _format(path: Path) -> str:
    name = path.name.lower()
    for suffix, fmt in ((".csv.gz", "csv"), (".tsv.gz", "tsv"), (".jsonl.gz", "jsonl"), (".ndjson.gz", "jsonl"),
                        (".csv", "csv"), (".tsv", "tsv"), (".tab", "tsv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
                        (".parquet", "parquet"), (".pq", "parquet")):
        if name.endswith(suffix):
            return fmt
    raise InputError(f"{path}: unknown export format; use .csv, .tsv, .parquet, .jsonl "
                     f"(optionally .gz), a folder of .txt notes with a manifest, or a FHIR export "
                     f"(a folder of Bulk Data .ndjson files, or a Bundle .json)")


# --- bytes and encodings ----------------------------------------------------------------------------------

class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it, so progress can follow the input."""

    def __init__(self, f):
        self.f, self.count = f, 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self.f.readinto(b)
        self.count += n or 0
        return n

    def close(self):
        self.f.close()
        super().close()


def _open_binary(path: Path) -> tuple[_CountingReader, io.BufferedIOBase]:
    """The file's bytes (decompressed when it is .gz), and the counter of the bytes read from disk."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputError(f"{path}: cannot be read: {e.strerror or e.__class__.__name__}") from None
    raw = _CountingReader(f)
    stream = io.BufferedReader(raw, _BLOCK)
    if path.name.lower().endswith(".gz"):
        stream = gzip.GzipFile(fileobj=stream)
    return raw, stream


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_MAGIC = ((b"PK\x03\x04", "a ZIP archive (an .xlsx or .docx workbook/document?)"), (b"%PDF-", "a PDF document"),
          (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"PAR1", "a Parquet file (name it .parquet)"),
          (b"\x1f\x8b", "gzip-compressed data (name it .csv.gz or .jsonl.gz)"), (b"\xfd7zXZ\x00", "xz-compressed data"),
          (b"BZh91AY&SY", "bzip2-compressed data"), (b"\x7fELF", "a program"),
          (b"SQLite format 3\x00", "an SQLite database"), (b"\xd0\xcf\x11\xe0", "an Office document (.xls/.doc)"))
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1a")
LATIN1 = "cp1252"  # Windows-1252: Latin-1 plus the printable characters Windows puts in 0x80-0x9f


def _latin1_fallback(e: UnicodeDecodeError):
    # the five bytes Windows-1252 leaves undefined read as their Latin-1 code points
    return e.object[e.start:e.end].decode("latin-1"), e.end


codecs.register_error("scs_latin1", _latin1_fallback)


def _not_text(head: bytes) -> str | None:
    """Why `head` (a file's first bytes, no byte order mark) is not text, or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f"it looks like {kind}"
    control = len(head) - len(head.translate(None, _CONTROL))
    if control > max(8, len(head) // 20):
        return f"{control} of its first {len(head)} bytes are control bytes"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL, as in UTF-16 text of mostly ASCII characters."""
    half = len(head) // 2
    if half < 4:
        return None
    even, odd = head[0:2 * half:2].count(0), head[1:2 * half:2].count(0)
    for codec, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros > 0.4 * half and other < 0.05 * half:
            try:
                text = head[:2 * half].decode(codec)
            except UnicodeDecodeError:
                continue
            if sum(c < " " and c not in "\t\n\r\f\v" for c in text) < max(2, len(text) // 100):
                return codec
    return None


_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as surrogateescape decodes them


def _sniff(path: Path, empty: str) -> tuple[str, str]:
    """(codec, error handler) to read a text export with; a binary or empty file is an InputError naming it.

    Without a byte order mark, the whole file is checked before any row is read (so no row is
    read twice): valid UTF-8 is UTF-8; text with no UTF-8 sequence but bytes above 0x7f is
    Windows-1252/Latin-1; UTF-8 text with a few broken bytes is UTF-8 with those bytes replaced.
    """
    raw, stream = _open_binary(path)
    try:
        head = stream.read(_HEAD_BYTES)
        if not head.strip(b" \t\r\n\x00"):
            raise InputError(f"{path}: empty file: {empty}")
        for bom, codec in _BOMS:
            if head.startswith(bom):
                return codec, "strict"
        codec = _utf16_without_bom(head)
        if codec:
            return codec, "strict"
        why = _not_text(head)
        if why:
            raise InputError(f"{path}: not a text export ({why}); expected CSV, TSV or JSON Lines text, "
                             f"or a .parquet file")
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        invalid = utf8 = offset = 0
        first_bad, data = None, head
        while data:
            if not data.isascii():
                text = decoder.decode(data)
                bad = _ESCAPED.findall(text)
                if bad and first_bad is None:
                    first_bad = offset + _ESCAPED.search(text).start()  # (a character offset: near enough)
                invalid += len(bad)
                utf8 += len(text) - len(text.encode("ascii", "ignore")) - len(bad)
            offset += len(data)
            data = stream.read(_BLOCK)
        invalid += len(_ESCAPED.findall(decoder.decode(b"", final=True)))
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: cannot be read: {_read_problem(path, e)}") from None
    finally:
        raw.close()
    if not invalid:
        return "utf-8", "strict"
    if utf8 >= invalid:
        warn(f"{path}: {invalid:,} byte(s) are not valid UTF-8 (the first near byte {first_bad or 0:,}); they are "
             f"read as the replacement character U+FFFD")
        return "utf-8", "replace"
    warn(f"{path}: not valid UTF-8 (first invalid byte near byte {first_bad or 0:,}); read as "
         f"Windows-1252/Latin-1. If accented letters look wrong, re-export as UTF-8")
    return LATIN1, "scs_latin1"


def _read_problem(path: Path, e: BaseException) -> str:
    if isinstance(e, gzip.BadGzipFile):
        return "it is not gzip data (name it without .gz?)"
    if isinstance(e, (EOFError, zlib.error)):
        return f"the gzip data is cut short or damaged ({e.__class__.__name__}); a truncated copy?"
    if isinstance(e, OSError):
        return e.strerror or e.__class__.__name__
    return e.__class__.__name__


class _TextSource:
    """The export's lines, decoded, with NUL characters read as spaces (and counted)."""

    def __init__(self, path: Path, encoding: tuple[str, str]):
        self.path, (self.codec, errors) = path, encoding
        self.raw, stream = _open_binary(path)
        self.text = io.TextIOWrapper(stream, encoding=self.codec, errors=errors, newline="")
        self.nuls = 0

    def lines(self) -> Iterator[str]:
        for line in self.text:
            if "\x00" in line:
                self.nuls += line.count("\x00")
                line = line.replace("\x00", " ")
            yield line

    def close(self) -> None:
        if self.nuls:
            warn(f"{self.path}: {self.nuls:,} NUL byte(s) read as spaces")
        try:
            self.text.close()
        except (OSError, EOFError, zlib.error):
            pass
        self.raw.close()

    def error(self, e: Exception, fmt: str, after_row: int) -> InputError:
        if isinstance(e, UnicodeDecodeError):
            return InputError(f"{self.path}: not valid {self.codec} text near byte {self.raw.count:,} (after row "
                              f"{after_row}); re-export as UTF-8")
        return InputError(f"{self.path}: cannot be read as {fmt} after row {after_row}: {_read_problem(self.path, e)}")


def _decode_note_file(path: Path) -> str:
    """A note file's text. A .docx: its paragraphs and tables' cells; a .rtf: its text without the markup;
    else text: byte order mark, else UTF-8, else Windows-1252 with a warning; binary is an error."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx_text(path)
    data = path.read_bytes()
    if suffix == ".rtf" or data.startswith(b"{\\rtf"):
        from striprtf.striprtf import rtf_to_text
        return rtf_to_text(data.decode("cp1252", errors="replace"))
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    codec = _utf16_without_bom(data[:_HEAD_BYTES])
    if codec:
        return data.decode(codec, errors="replace")
    if data and _not_text(data[:_HEAD_BYTES]):
        raise ValueError("not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        warn(f"{path}: not valid UTF-8; read as Windows-1252/Latin-1")
        return data.decode(LATIN1, errors="scs_latin1")


def _docx_text(path: Path) -> str:
    import zipfile
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as e:
        raise ValueError("not a Word document") from e
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


# --- tables -----------------------------------------------------------------------------------------------

def read_table(path: str | Path, workers: int = 1) -> pd.DataFrame:
    """A table file as all-string columns, empty cells as empty strings.

    A record the reader could not split into the header's fields (ragged CSV rows, invalid
    JSON lines) is a row of empty cells with its reason in the `_row_error` column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir() and not _fhir(path):
        return _read_folder(path, workers)
    frames = [c.frame for c in iter_chunks(path, 100_000)]
    if len(frames) == 1:
        return frames[0]
    df = pd.concat(frames, ignore_index=True)
    return df if _format(path) == "parquet" else df.fillna("")


def _read_folder(folder: Path, workers: int = 1) -> pd.DataFrame:
    manifest = next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)
    if manifest is None:
        raise InputError(f"{folder}: a folder of notes needs a manifest ({' or '.join(MANIFEST_NAMES)}) "
                         f"with patient_id, note_id, note_date and a file column or <note_id>.txt files")
    df = read_table(manifest)
    file_col = next((c for c in FILE_COLUMNS if c in df.columns), None)
    if "text" in df.columns:
        return df
    rows, counter = [], _PageCounter()
    for k, (_, row) in enumerate(df.iterrows(), start=1):
        record = {c: row[c] for c in df.columns}
        name = str(row[file_col]).strip() if file_col else ""
        name = name or f"{str(row.get('note_id', '')).strip()}.txt"
        p = folder / name
        record.update({ROW: k, "text": "", FILE_ERROR: ""})
        if not (p.is_file() and p.resolve().is_relative_to(folder.resolve())):
            record[FILE_ERROR] = f"note file {name} not found in {folder}"
        elif p.suffix.lower() in packets.PAGE_SUFFIXES:
            rows += _paged_rows(p, name, record, counter, workers)
            continue
        else:
            try:
                record["text"] = _decode_note_file(p)
            except OSError as e:
                record[FILE_ERROR] = f"note file {name} cannot be read ({e.strerror or e.__class__.__name__})"
            except ValueError:
                record[FILE_ERROR] = f"note file {name} is not text"
        rows.append(record)
    counter.close()
    columns = list(dict.fromkeys([*df.columns, *(k for r in rows for k in r), ROW, "text", FILE_ERROR]))
    return pd.DataFrame(rows, columns=columns).fillna("")


class _PageCounter:
    """Pages read, and pages per second, on a terminal (a packet of scans takes a while to OCR)."""

    def __init__(self):
        self.bar = None

    def add(self, n: int) -> None:
        if self.bar is None:
            import sys
            from tqdm import tqdm
            self.bar = tqdm(unit="page", desc="pages read", disable=not sys.stderr.isatty(), leave=False)
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _paged_rows(path: Path, name: str, record: dict, counter: _PageCounter, workers: int = 1) -> list[dict]:
    """A PDF, TIFF or PNG file's notes: one note when the manifest dates it, else a packet's documents
    (io/packets.py), each named by its file and pages; an undated document or an unreadable file is a
    row with its reason."""
    try:
        pages = packets.read_pages(path, workers)
    except packets.PacketError as e:
        return [{**record, FILE_ERROR: f"note file {e}"}]
    counter.add(len(pages))
    base_type = str(record.get("note_type", "") or "")
    if str(record.get("note_date", "")).strip():
        doc = packets.whole_file(pages)
        return [{**record, "note_id": str(record.get("note_id", "")).strip() or name, "text": doc.text,
                 "note_type": packets.ocr_note_type(base_type, doc.confidence)}]
    out = []
    for doc in packets.split_packet(pages):
        where = doc.pages(name)
        out.append({**record, "note_id": f"{str(record.get('note_id', '')).strip() or name} "
                                         f"{where[len(name) + 1:]}".strip(),
                    "note_date": doc.date.isoformat() if doc.date else "",
                    "note_type": packets.ocr_note_type(base_type or doc.title, doc.confidence),
                    "text": doc.text,
                    FILE_ERROR: "" if doc.date else f"no date of service found on {where}"})
    return out


def _column_names(header: list[str]) -> list[str]:
    """Header cells as column names: trimmed; an empty one is 'Unnamed: i', a repeated one 'name.1' (as pandas)."""
    out, seen = [], {}
    for i, h in enumerate(header):
        name = h.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


RESERVED = (ROW_ERROR, FILE_ERROR, ROW)


def _unreserved(columns: list[str]) -> list[str]:
    """An export's own column that happens to bear a reader's marker name ("_row_error") is kept as data under
    another name: only the readers set the markers."""
    return [f"{c} (input)" if c in RESERVED else c for c in columns]


def _frame(columns: list[str], rows: list[list[str]], errors: list[str]) -> pd.DataFrame:
    columns = _unreserved(columns)
    if rows:
        df = pd.DataFrame(rows, columns=columns, dtype=object)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if any(errors):
        df[ROW_ERROR] = errors
    return df


def _csv_problem(path: Path, row: int, line: int, now: int, e: csv.Error, what: str = "") -> InputError:
    """A quoting error as the user can fix it: the row and line where the broken field starts."""
    msg = str(e)
    where = f"{path}: {what or f'row {row}'} (line {line})"
    fix = "a quote inside a quoted field is written twice (\"\"); fix the quoting or re-export the file"
    if "unexpected end of data" in msg:
        return InputError(f"{where}: unbalanced quotes: the quoted field that opens on line {line} is never "
                          f"closed, it runs to the end of the file; {fix}")
    if "field larger than field limit" in msg:
        return InputError(f"{where}: a field is longer than {MAX_FIELD_CHARS:,} characters, most likely a quote "
                          f"that is never closed; {fix}")
    if "expected after" in msg:
        return InputError(f"{where}: unbalanced quotes: a quoted field that opens on line {line} is followed by "
                          f"other characters on line {now}, so the rows in between cannot be told apart; {fix}")
    return InputError(f"{where}: malformed CSV ({e.__class__.__name__}); {fix}")


def _csv_chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[Chunk]:
    src = _TextSource(path, _sniff(path, "no header row and no notes"))
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(src.lines(), delimiter="," if fmt == "csv" else "\t", strict=True)
    record = offset = 0
    try:
        header = None
        while header is None:
            line = reader.line_num + 1
            try:
                first = next(reader, None)
            except csv.Error as e:
                raise _csv_problem(path, 0, line, reader.line_num, e, "the header") from None
            if first is None:
                raise InputError(f"{path}: empty file: no header row and no notes")
            if any(h.strip() for h in first):
                header = first
        columns = _column_names(header)
        if len(columns) == 1 and any(s in header[0] for s in "\t;|"):
            raise InputError(f"{path}: the header is one column holding tabs, semicolons or bars; a .csv file is "
                             f"comma-separated and a .tsv file tab-separated: re-export, or name a tab-separated "
                             f"file .tsv")
        n, rows, errors, yielded = len(columns), [], [], False
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                raise _csv_problem(path, record + 1, line, reader.line_num, e) from None
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line is not a row
            record += 1
            if len(fields) == n:
                rows.append(fields)
                errors.append("")
            else:  # where the fields belong is unknown: none of them is kept (they may hold note text)
                rows.append([""] * n)
                errors.append(f"ragged row: {len(fields)} fields, expected {n} (line {line})")
            if len(rows) >= chunk_size:
                yield Chunk(_frame(columns, rows, errors), offset, src.raw.count)
                offset, rows, errors, yielded = offset + len(rows), [], [], True
        if rows or not yielded:  # a header-only file is one empty chunk: its columns are still checked
            yield Chunk(_frame(columns, rows, errors), offset, src.raw.count)
        if not record:  # (after the chunk: its columns were right)
            warn(f"{path}: header only, no note rows")
    except InputError:
        raise
    except (UnicodeDecodeError, OSError, EOFError, zlib.error) as e:
        raise src.error(e, fmt, record) from None
    finally:
        src.close()


def _json_text(v) -> str:
    """A JSON value as a cell: numbers keep their digits (parsed as text), null is empty, objects stay JSON."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def _jsonl_chunks(path: Path, chunk_size: int) -> Iterator[Chunk]:
    src = _TextSource(path, _sniff(path, "no notes"))
    keys: dict[str, None] = {}  # every key seen so far, in order of appearance
    records: list[dict | None] = []
    errors: list[str] = []
    record = offset = line_no = 0
    yielded = False

    def frame():
        columns = list(keys)
        rows = [[_json_text(r.get(k)) for k in columns] if r is not None else [""] * len(columns) for r in records]
        if not columns and records:
            raise InputError(f"{path}: lines {offset + 1}-{line_no} hold no JSON object: is it a JSON Lines file "
                             f"(one object per line, e.g. {{\"patient_id\": \"A\", \"note_id\": \"1\", ...}})?")
        return _frame(columns, rows, errors)

    try:
        for line in src.lines():
            line_no += 1
            if not line.strip():
                continue
            record += 1
            try:
                obj = json.loads(line, parse_int=str, parse_float=str, parse_constant=str, strict=False)
            except (ValueError, RecursionError):
                records.append(None)
                errors.append(f"invalid JSON (line {line_no})")
            else:
                if isinstance(obj, dict):
                    keys.update(dict.fromkeys(map(str, obj)))
                    records.append({str(k): v for k, v in obj.items()})
                    errors.append("")
                else:
                    records.append(None)
                    errors.append(f"not a JSON object (line {line_no})")
            if len(records) >= chunk_size:
                yield Chunk(frame(), offset, src.raw.count)
                offset, records, errors, yielded = offset + len(records), [], [], True
        if not record:
            raise InputError(f"{path}: empty file: no notes")
        if records or not yielded:
            yield Chunk(frame(), offset, src.raw.count)
    except InputError:
        raise
    except (UnicodeDecodeError, OSError, EOFError, zlib.error) as e:
        raise src.error(e, "jsonl", record) from None
    finally:
        src.close()


def _arrow_frame(table) -> pd.DataFrame:
    """An Arrow table as pandas, integer columns as text first (pandas would make 12 with nulls 12.0)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    for i, field in enumerate(table.schema):
        if pa.types.is_integer(field.type) or pa.types.is_decimal(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.string()))
    df = table.to_pandas()
    df.columns = _unreserved(list(df.columns))
    return df


def _parquet_chunks(path: Path, chunk_size: int) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    offset = 0
    try:
        pf = pq.ParquetFile(path)
        total, per_row = input_size(path), max(pf.metadata.num_rows, 1)
        yielded = False
        for batch in pf.iter_batches(batch_size=chunk_size):
            df = _arrow_frame(pa.Table.from_batches([batch]))
            offset += len(df)
            yielded = True
            yield Chunk(df, offset - len(df), total * offset // per_row)
        if not yielded:
            yield Chunk(_arrow_frame(pf.schema_arrow.empty_table()), 0, total)
            warn(f"{path}: no note rows")
    except (OSError, ValueError, pa.ArrowException) as e:
        raise InputError(f"{path}: cannot be read as parquet (after row {offset}): {e.__class__.__name__}; "
                         f"is it a Parquet file?") from None


# --- validation -------------------------------------------------------------------------------------------

_DATE_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?|\d{1,2}/\d{1,2}/\d{2,4}(?: .*)?|\d{8}")


# a column's name: a few words at most, no sentence (a headerless export's first row may be a note's text)
_HEADER_NAME = re.compile(r"(?=.{1,48}$)[^\s\d/.:-][^\s]*(?:[ _-][^\s]+){0,3}|Unnamed: \d+(?:\.\d+)?")


def _describe_columns(columns) -> str:
    """The columns a file has, for an error message; a header that looks like a note row is not echoed."""
    names = [str(c) for c in columns]
    if any(not _HEADER_NAME.fullmatch(c.strip()) or parse_date(c) for c in names if c.strip()):
        return ("its first row looks like data, not a header (the export needs a header row naming its "
                "columns)")
    shown = ", ".join(names[:40]) + (f", ... ({len(names)} columns)" if len(names) > 40 else "")
    hint = ""
    if len(names) == 1 and any(s in names[0] for s in ("\t", ";", "|")):
        hint = " (one column: is the file separated by tabs or semicolons? CSV is comma-separated; name a " \
               "tab-separated file .tsv)"
    return f"the file has: {shown or 'no columns'}{hint}"


# the names the usual EHR exports give each input column (Epic Clarity, Cerner, MIMIC, FHIR flattenings, ...)
_USUAL_NAMES = {
    "patient_id": ("mrn", "patmrnid", "patid", "patientid", "personid", "subjectid", "memberid", "patient", "pat"),
    "note_id": ("noteid", "notecsnid", "documentid", "docid", "rowid", "noteid", "id", "note"),
    "note_date": ("contactdate", "notedate", "servicedate", "dateofservice", "dos", "encounterdate", "chartdate",
                  "entrydate", "visitdate", "date", "notetime", "entrytime"),
    "text": ("notetext", "text", "body", "notebody", "content", "reporttext", "documenttext", "note"),
    "note_type": ("notetype", "notetypename", "ipnotetypec", "documenttype", "doctype", "category", "type",
                  "description", "notetitle", "title"),
}


def likely_source(target: str, names) -> str | None:
    """The file's column that most likely holds `target` ("CONTACT_DATE" for note_date), or None."""
    squashed = {re.sub(r"[^a-z0-9]", "", str(n).lower()): str(n) for n in names}
    for usual in (re.sub(r"[^a-z0-9]", "", target), *_USUAL_NAMES.get(target, ())):
        if usual in squashed:
            return squashed[usual]
    return None


def _cell(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def validate(df: pd.DataFrame, source: str, columns: dict[str, str] | None = None,
             row_offset: int = 0, seen: NoteIdIndex | None = None) -> NotesRead:
    """Map columns, check required ones exist, and split rows into notes and rejects.

    `row` is the 1-based record number in the input (the header is not counted).
    `seen` (the note_ids of the chunks before, updated with this chunk's) carries duplicate
    detection across the chunks of one export.
    """
    columns = {k: v for k, v in (columns or {}).items() if k not in LINE_COLUMNS}
    missing_sources = [f"{k}={v}" for k, v in columns.items() if v not in df.columns]
    if missing_sources:
        raise InputError(f"{source}: --column {', '.join(missing_sources)}: no such column; "
                         f"{_describe_columns(c for c in df.columns if c not in (ROW_ERROR, FILE_ERROR))}")
    # a mapping names the column to read: one already called by the contract's name gives way to it
    df = df.drop(columns=[k for k, v in columns.items() if k != v and k in df.columns])
    df = df.rename(columns={v: k for k, v in columns.items()})
    missing = [c for c in REQUIRED if c not in df.columns]
    given = [c for c in df.columns if c not in (ROW_ERROR, FILE_ERROR, ROW)]
    if "note_type" not in df.columns and row_offset == 0:  # once, on the export's first chunk
        likely = likely_source("note_type", given)
        if likely:
            warn(f"{source}: no note_type column, but {likely} looks like one: add --column note_type={likely} "
                 f"(note types tell PT visits and psychological evaluations apart; results differ without them)")
    if missing:
        fix = " ".join(f"--column {c}={likely_source(c, given) or 'SOURCE'}" for c in missing)
        raise InputError(f"{source}: missing required column(s) {', '.join(missing)}; "
                         f"{_describe_columns(c for c in df.columns if c not in (ROW_ERROR, FILE_ERROR))}. "
                         f"Map them with {fix}")
    n = len(df)
    rows = [int(r) for r in df[ROW].tolist()] if ROW in df.columns else pd.RangeIndex(row_offset + 1, row_offset + n + 1)

    def clean(col):
        s = df[col] if col in df.columns else pd.Series([""] * n)
        return [_cell(v).strip() for v in s.tolist()]

    pid, nid, ndate, ntype = clean("patient_id"), clean("note_id"), clean("note_date"), clean("note_type")
    file_errors = clean(FILE_ERROR) if FILE_ERROR in df.columns else [""] * n
    row_errors = clean(ROW_ERROR) if ROW_ERROR in df.columns else [""] * n
    texts = [_cell(v) for v in df["text"].tolist()]
    keep, rejects = [], []
    earlier = seen.first_rows(nid) if seen is not None else [None] * n  # in the chunks before this one
    here: dict[str, int] = {}  # accepted in this chunk
    for k in range(n):
        reason = col = None
        date = parse_date(ndate[k]) if ndate[k] else None
        if row_errors[k]:
            reason, col = row_errors[k], ""
        elif file_errors[k]:
            reason, col = file_errors[k], "text"
        elif not pid[k]:
            reason, col = "missing patient_id", "patient_id"
        elif not nid[k]:
            reason, col = "missing note_id", "note_id"
        elif not ndate[k]:
            reason, col = "missing note_date", "note_date"
        elif date is None:
            reason = ("unparseable note_date: no such day, or not between 1900 and 2100"
                      if _DATE_SHAPE.fullmatch(ndate[k]) else
                      "unparseable note_date (use YYYY-MM-DD, MM/DD/YYYY, 19-Mar-2025 or Mar 19, 2025)")
            col = "note_date"
        elif earlier[k] is not None or nid[k] in here:
            reason, col = f"duplicate note_id (first at row {earlier[k] or here[nid[k]]})", "note_id"
        if reason:
            rejects.append((source, rows[k], pid[k], nid[k], col, reason))
            continue
        here[nid[k]] = rows[k]
        if len(texts[k]) > LONG_NOTE_CHARS:
            warn(f"{source}: row {rows[k]}: the note is {len(texts[k]):,} characters long; it is read whole, "
                 f"which takes a while")
        keep.append((pid[k], nid[k], date, ntype[k], texts[k].replace("\x00", " "), rows[k]))
    if seen is not None:
        seen.add(list(here), list(here.values()))
    notes = pd.DataFrame(keep, columns=["patient_id", "note_id", "note_date", "note_type", "text", "row"])
    rejected = pd.DataFrame(rejects, columns=REJECT_COLUMNS)
    return NotesRead(notes, rejected, n)


def read_notes(path: str | Path, columns: dict[str, str] | None = None) -> NotesRead:
    """Read and validate a whole note export in memory."""
    return validate(read_table(path), str(path), columns)


class Chunk(NamedTuple):
    frame: pd.DataFrame
    row_offset: int     # rows before this chunk
    bytes_done: int     # input bytes consumed so far (for progress)


def input_size(path: str | Path) -> int:
    """Bytes of input, for a progress bar's total."""
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size if path.exists() else 0


def _fhir(path: Path) -> bool:
    """A FHIR export; a folder with a manifest is a folder of notes, whatever .ndjson lies beside it."""
    if path.is_dir() and any((path / n).is_file() for n in MANIFEST_NAMES):
        return False
    return fhir_bulk.is_fhir(path)


def iter_chunks(path: str | Path, chunk_size: int = 5000, workers: int = 1) -> Iterator[Chunk]:
    """The export as all-string DataFrames of at most `chunk_size` rows, streamed: memory stays bounded.

    There is always at least one chunk (an export without rows gives one empty chunk, so its
    columns are still checked).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if _fhir(path):
        for frame, before, done in fhir_bulk.fhir_chunks(path, chunk_size):
            yield Chunk(frame, before, done)
        return
    if path.is_dir():  # a folder of notes (`workers` pages of scans are read by OCR at a time)
        yield Chunk(read_table(path, workers), 0, input_size(path))
        return
    fmt = _format(path)
    if fmt == "parquet":
        yield from _parquet_chunks(path, chunk_size)
    elif fmt == "jsonl":
        yield from _jsonl_chunks(path, chunk_size)
    else:
        yield from _csv_chunks(path, fmt, chunk_size)


def read_cases(path: str | Path) -> dict[str, dt.date]:
    """`patient_id,review_date` per case; a bad row is an input error naming its row."""
    df = read_table(path)
    missing = [c for c in ("patient_id", "review_date") if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; a cases file has patient_id,review_date")
    if not len(df):
        raise InputError(f"{path}: no cases (header only); omit --cases to review every patient in the export")
    errors = df[ROW_ERROR].map(_cell).tolist() if ROW_ERROR in df.columns else [""] * len(df)
    out, rows = {}, {}
    for k, (pid, rd, err) in enumerate(zip(df["patient_id"].map(_cell), df["review_date"].map(_cell), errors),
                                       start=1):
        if err:
            raise InputError(f"{path}: row {k}: {err}")
        pid = pid.strip()
        if not pid:
            raise InputError(f"{path}: row {k}, column patient_id: empty")
        d = parse_date(rd)
        if d is None:
            raise InputError(f"{path}: row {k}, column review_date: not a date between 1900 and 2100 "
                             f"(use YYYY-MM-DD)")
        if pid in out and out[pid] != d:
            raise InputError(f"{path}: row {k}: patient_id {pid} is listed again (first at row {rows[pid]}) with "
                             f"another review_date")
        out[pid], rows[pid] = d, rows.get(pid, k)
    return out
