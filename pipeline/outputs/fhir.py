"""FHIR export: one R4 QuestionnaireResponse per case, in the style of the Da Vinci DTR guide.

    from pipeline.fhir import write_fhir
    paths = write_fhir(result, "out/")        # out/fhir/<patient_id>.json, one per case

Each criterion of the policy is one group item (linkId = the criterion's name, text = its
description) holding its status and values as answers, and one `evidence` group per note
sentence the scorer used (note id, note date, sentence). Every answer carries the DTR
information-origin extension with source `auto-client`: the value was filled by software
on the provider's side, for a person to review. The response is `in-progress` for that
reason: DTR keeps a response in progress until someone has reviewed it.

Criteria the policy does not have (ODI under a policy without it) are not items. The file
name is the patient id reduced to letters, digits and '-' (the FHIR id alphabet), with a
hash of the original id appended whenever anything had to change (or when two ids differ only
in case), so no id can reach a path outside `fhir/` or overwrite another case's file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.about import __version__

INFORMATION_ORIGIN = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin"
ORIGIN_SOURCE = "auto-client"
STATUS_SYSTEM = "urn:scs-abstract:criterion-status"
DETERMINATION_SYSTEM = "urn:scs-abstract:determination"
ROUTE_SYSTEM = "urn:scs-abstract:route"
REASON_SYSTEM = "urn:scs-abstract:review-reason"
PATIENT_ID_SYSTEM = "urn:scs-abstract:patient-id"
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_id(patient_id: str) -> str:
    """A file name and FHIR id for a patient id: [A-Za-z0-9-], at most 64 characters, distinct per id."""
    raw = str(patient_id)
    safe = re.sub(r"[^A-Za-z0-9-]+", "-", raw).strip("-")
    if safe != raw or not safe or len(safe) > 64 or safe.lower() in _RESERVED:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe[:50]}-{digest}" if safe else f"case-{digest}"
    return safe


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _origin() -> list[dict]:
    return [{"url": INFORMATION_ORIGIN, "extension": [{"url": "source", "valueCode": ORIGIN_SOURCE}]}]


def _date(v: Any) -> str | None:
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    return None


def _answer(column: str, v: Any) -> dict | None:
    """One answer with its value[x] chosen by the column and the value's type; None when empty."""
    if _empty(v) or (isinstance(v, str) and not v.strip()):
        return None
    if column.endswith("_status"):
        value = {"valueCoding": {"system": STATUS_SYSTEM, "code": str(v), "display": str(v).replace("_", " ")}}
    elif column == "determination":
        value = {"valueCoding": {"system": DETERMINATION_SYSTEM, "code": str(v), "display": str(v).replace("_", " ")}}
    elif column == "route":
        value = {"valueCoding": {"system": ROUTE_SYSTEM, "code": str(v), "display": str(v).replace("_", " ")}}
    elif column == "review_reasons":
        value = {"valueCoding": {"system": REASON_SYSTEM, "code": str(v), "display": str(v).replace("_", " ")}}
    elif isinstance(v, (bool, np.bool_)):
        value = {"valueBoolean": bool(v)}
    elif isinstance(v, (dt.date, pd.Timestamp)) or (column.endswith("_date") and _date(v)):
        value = {"valueDate": _date(v)}
    elif isinstance(v, (int, float, np.integer, np.floating)):
        value = {"valueDecimal": float(v)}
    else:
        value = {"valueString": str(v)}
    return {"extension": _origin(), **value}


def _question(link_id: str, text: str, column: str, v: Any) -> dict | None:
    a = _answer(column, v)
    return None if a is None else {"linkId": link_id, "text": text, "answer": [a]}


def _criterion_columns(criterion) -> list[str]:
    from pipeline.scoring.registry import scorer_columns
    try:
        return scorer_columns(criterion.scorer, criterion.params, criterion.name)
    except Exception:  # a scorer that cannot score nothing: fall back to its status
        return [f"{criterion.name}_status"]


def _evidence_items(name: str, ev: pd.DataFrame) -> list[dict]:
    items = []
    for _, m in ev.iterrows():
        parts = [_question(f"{name}.evidence.note_id", "Note id", "note_id", m["note_id"]),
                 _question(f"{name}.evidence.note_date", "Note date", "note_date", m["note_date"]),
                 _question(f"{name}.evidence.sentence", "Sentence", "sentence", m["sentence"])]
        parts = [p for p in parts if p]
        if parts:
            items.append({"linkId": f"{name}.evidence", "text": "Evidence used", "item": parts})
    return items


def questionnaire_response(row: pd.Series, evidence: pd.DataFrame, policy, authored: str) -> dict:
    """The QuestionnaireResponse (a JSON-ready dict) for one review row."""
    pid = str(row["patient_id"])
    items = [q for q in (_question("review_date", "Review date", "review_date", row.get("review_date")),
                         _question("determination", "Determination", "determination", row.get("determination")),
                         _question("missing", "Criteria with insufficient documentation", "missing",
                                   row.get("missing")),
                         _question("route", "Route", "route", row.get("route")),
                         _question("summary", "Why, in words", "summary", row.get("summary"))) if q]
    reasons = [r for r in str(row.get("review_reasons") or "").split(";") if r and r != "nan"]
    if reasons:  # one answer per reason, each a code
        items.append({"linkId": "review_reasons", "text": "Reasons for clinical review",
                      "answer": [_answer("review_reasons", r) for r in reasons]})
    for c in policy.criteria:
        sub = []
        for col in _criterion_columns(c):
            if col in row.index:
                label = "Status" if col == f"{c.name}_status" else col
                q = _question(f"{c.name}.{col}", label, col, row[col])
                if q:
                    sub.append(q)
        used = evidence[(evidence["criterion"] == c.name) & evidence["used"].astype(bool)] if len(evidence) \
            else evidence
        sub += _evidence_items(c.name, used)
        if sub:
            items.append({"linkId": c.name, "text": c.description or c.name, "item": sub})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": safe_id(pid),
        "questionnaire": f"urn:scs-abstract:policy:{policy.name}|{policy.sha256[:12]}",
        "status": "in-progress",
        "subject": {"identifier": {"system": PATIENT_ID_SYSTEM, "value": pid}},
        "authored": authored,
        "author": {"display": f"scs-abstract {__version__} (automated chart abstraction)"},
        "item": items,
    }


def _policy_of(result, policy):
    from pipeline.errors import PolicyError
    from pipeline.scoring.policy import Policy, load_policy
    if isinstance(policy, Policy):
        return policy
    if policy is not None:
        return load_policy(policy)
    info = result.run.get("policy", {}) if isinstance(result.run, dict) else {}
    for ref in (info.get("path"), info.get("name")):
        if ref:
            try:
                return load_policy(ref)
            except PolicyError:
                continue
    return load_policy(None)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_fhir(result, out_dir: str | Path, policy=None, authored: dt.datetime | None = None) -> list[Path]:
    """Write out_dir/fhir/<patient id>.json, one QuestionnaireResponse per row of result.review.

    `result` is a ReviewResult (pipeline.review) or a batch run's StagedResult (read a range of patients
    at a time). `policy` (a Policy, name or path) defaults to the policy the result was scored with
    (result.run["policy"]). `authored` defaults to now (UTC).
    Returns the paths written, in review order. Raises OutputError when the folder cannot be written.
    """
    from pipeline.errors import OutputError

    pol = _policy_of(result, policy)
    when = (authored or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    folder = Path(out_dir) / "fhir"
    paths, taken = [], set()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for review, ev in result.parts():  # a range of patients at a time
            rows_of = ev.groupby(ev["patient_id"].astype(str), sort=False).indices if len(ev) else {}
            for _, row in review.iterrows():
                pid = str(row["patient_id"])
                mine = ev.iloc[rows_of[pid]] if pid in rows_of else ev.iloc[:0]
                qr = questionnaire_response(row, mine, pol, when.isoformat())
                if qr["id"].lower() in taken:  # "abc" and "ABC" are one file on a case-insensitive disk
                    qr["id"] = f"{qr['id'][:50]}-{hashlib.sha256(pid.encode('utf-8')).hexdigest()[:10]}"
                taken.add(qr["id"].lower())
                path = folder / f"{qr['id']}.json"
                _write_atomic(path, json.dumps(qr, indent=2, ensure_ascii=False) + "\n")
                paths.append(path)
    except OSError as e:
        raise OutputError(f"cannot write FHIR files to {folder}: {e.strerror or e.__class__.__name__}") from None
    return paths
