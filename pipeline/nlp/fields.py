"""Structured records written into a note's text: a flowsheet row of labelled cells ("Flowsheet: Oswestry Disability
Index | Value: 17 | Units: points | Range: 0-50 | Taken: 02/12/2024 | Status: Final"), an HL7 result segment
("OBX|1|NM|ODI^Oswestry Disability Index^L||48|%|0-100|H|||F|||20240318104000") or a JSON object
('{"instrument":"ODI","score":31,"unit":"%"}'). Each is read into one typed `Field` record: what was measured,
its value as written, its units and range, its status and when it was taken. Pure functions, no spaCy; a
criterion's reader decides what a record's value means (`scaled_percent`).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import NamedTuple

from pipeline.io.dates import find_dates


class Field(NamedTuple):
    name: str          # what was measured ("Oswestry Disability Index"), "" when the record does not say
    value: str         # as written ("17", "0.34", "___")
    units: str         # lower-case ("points", "%", "ratio")
    range: str         # lower-case, no spaces ("0-50")
    status: str        # lower-case ("final", "entered in error", "corrected", "f", "c", "w")
    taken: dt.date | None
    percent: str       # a percent written beside the value ("Score: 46 %", "pct": 42), else ""
    start: int         # the record's span in the text it was read from
    end: int


_CELL = re.compile(r"^\s*([A-Za-z][A-Za-z _()/%.-]{0,30}?)\s*:\s*(.*?)\s*$")
_NAME_KEYS = ("flowsheet", "measure", "instrument", "name", "test", "item", "form", "questionnaire", "assessment")
_VALUE_KEYS = ("value", "result", "score", "total", "raw total", "raw score", "raw_total", "sum")
_PERCENT_KEYS = ("percent", "pct", "percentage", "score (%)", "score %", "%")
_TAKEN_KEYS = ("taken", "collected", "date", "time", "administered", "completed", "obtained", "filed")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})")


def _date(text: str, ref: dt.date | None) -> dt.date | None:
    m = _COMPACT_DATE.match(text or "")
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    found = find_dates(text or "", ref)
    return found[0].date if found and found[0].precision == "day" else None


def _from_labels(cells: dict, start: int, end: int, ref) -> Field | None:
    if not any(k in cells for k in _VALUE_KEYS + _PERCENT_KEYS):
        return None
    name = next((cells[k] for k in _NAME_KEYS if k in cells), "")
    value = next((cells[k] for k in _VALUE_KEYS if k in cells), "")
    percent = next((cells[k] for k in _PERCENT_KEYS if k in cells), "")
    if not percent and "%" in value and "/" not in value:
        value, percent = "", value
    units = cells.get("units", cells.get("unit", "")).lower()
    rng = re.sub(r"\s+", "", cells.get("range", cells.get("ref range", cells.get("max", ""))).lower())
    if rng.isdigit():
        rng = "0-" + rng
    taken = next((_date(cells[k], ref) for k in _TAKEN_KEYS if k in cells), None)
    return Field(name, value, units, rng, cells.get("status", "").lower(), taken, percent, start, end)


def _pipe_record(line: str, start: int, ref) -> Field | None:
    """A row of labelled cells: "Label: value | Label: value | ..."."""
    cells = {}
    for part in line.split("|"):
        m = _CELL.match(part)
        if m:
            cells.setdefault(m.group(1).strip().lower(), m.group(2))
    if len(cells) < 2:
        return None
    return _from_labels(cells, start, start + len(line), ref)


def _obx(line: str, start: int, ref) -> Field | None:
    """An HL7 observation segment: OBX|set|type|code^text|sub|value|units|range|flags|||status|||time."""
    f = line.strip().split("|")
    if len(f) < 7 or f[0] != "OBX":
        return None
    get = lambda k: f[k] if len(f) > k else ""  # noqa: E731
    # the result status (OBX-11) and the time (OBX-14), found by their shape: a segment may drop an empty field
    status = next((x for x in f[8:13] if re.fullmatch(r"[FCWXDPRI]", x)), get(11))
    taken = next((x for x in reversed(f[8:]) if re.fullmatch(r"\d{8,14}", x)), "")
    return Field(" ".join(get(3).split("^")[:2]), get(5), get(6).lower(), get(7).replace(" ", "").lower(),
                 status.lower(), _date(taken, ref), "", start, start + len(line))


_JSON_OBJECT = re.compile(r"\{[^{}\n]{0,400}\}")


def _json_record(m: re.Match, ref) -> Field | None:
    try:
        data = json.loads(m.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    cells = {str(k).lower().replace("_", " "): str(v) for k, v in data.items() if not isinstance(v, (list, dict))}
    return _from_labels(cells, m.start(), m.end(), ref)


def records(text: str, ref: dt.date | None = None) -> list[Field]:
    """Every structured record in `text`, in text order."""
    out, at = [], 0
    if "|" in text or ":" in text:
        for line in text.split("\n"):
            if line.startswith("OBX|"):
                rec = _obx(line, at, ref)
            elif line.count("|") >= 2 and ":" in line:
                rec = _pipe_record(line, at, ref)
            else:
                rec = None
            if rec is not None:
                out.append(rec)
            at += len(line) + 1
    if "{" in text:
        out += [r for m in _JSON_OBJECT.finditer(text) if (r := _json_record(m, ref)) is not None]
    return sorted(out, key=lambda r: r.start)


def scaled_percent(rec: Field, raw_max: float = 50.0) -> float | None:
    """A 0-100 score from a record: its percent if written, else its value read by its units and range (a raw
    score out of `raw_max` in points, an index 0-1 as a ratio)."""
    for text in (rec.percent, rec.value):
        m = re.search(r"\d{1,3}(?:\.\d+)?", text or "")
        if m is None:
            continue
        v = float(m.group(0))
        if text is rec.percent:
            return v if 0 <= v <= 100 else None
        if "ratio" in rec.units or rec.range in ("0-1", "0-1.0") or (v < 1 and "." in m.group(0)):
            v = round(v * 100, 1)
        elif re.search(r"\b(?:points?|pts|raw)\b", rec.units) or rec.range == f"0-{raw_max:g}" or \
                re.search(rf"/\s*{raw_max:g}\b", text):
            v = v * 100 / raw_max if v <= raw_max else None
        return v if v is not None and 0 <= v <= 100 else None
    return None


def withdrawn(rec: Field) -> bool:
    """A record its status marks as wrong: entered in error, deleted, an HL7 'W' (posted in error) or 'D'."""
    return bool(re.search(r"\b(?:error|wrong|deleted|invalid|void)\b", rec.status)) or rec.status in ("w", "d", "x")


def corrected(rec: Field) -> bool:
    """A record its status marks as the correction of another: 'Corrected', 'Amended', an HL7 'C'."""
    return bool(re.search(r"\b(?:correct\w*|amend\w*)\b", rec.status)) or rec.status == "c"
