"""The reviewer's page: per case the determination, each criterion, and the evidence behind it.

Note text is always escaped: a note containing markup renders as text.
"""
from __future__ import annotations

import html

import pandas as pd

from .review import ReviewResult

CRITERIA = [("indication", "Indication", []), ("odi", "ODI", ["odi_score", "odi_date", "odi_note_id"]),
            ("trial", "Trial relief", ["trial_relief_pct", "trial_note_id"]),
            ("pt", "Physical therapy", ["pt_weeks", "pt_first_date", "pt_last_date"]),
            ("psych", "Psychological clearance", ["psych_clearance", "psych_note_id"])]
STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top}.met{background:#d9f2d9}
.not_met{background:#f8d0d0}.insufficient{background:#fff1c2}mark{background:#ffe066}
details{margin:.4em 0}.unused{color:#666}"""


def _e(v) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else html.escape(str(v))


def render_report(result: ReviewResult) -> str:
    r, ev = result.review, result.evidence
    policy = result.run.get("policy", {})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>SCS review</title><style>{STYLE}</style>"
             f"</head><body><h1>SCS permanent implant review</h1><p>Policy: <b>{_e(policy.get('name'))}</b> "
             f"({_e(policy.get('source'))})</p><table id='summary'><tr><th>case</th><th>review date</th>"
             + "".join(f"<th>{_e(label)}</th>" for _, label, _ in CRITERIA) + "<th>determination</th></tr>"]
    for _, row in r.iterrows():
        parts.append(f"<tr><td><a href='#case-{_e(row.patient_id)}'>{_e(row.patient_id)}</a></td>"
                     f"<td>{_e(row.review_date)}</td>"
                     + "".join(f"<td class='{_e(row[c + '_status'])}'>{_e(row[c + '_status'])}</td>" for c, _, _ in CRITERIA)
                     + f"<td>{_e(row.determination)}</td></tr>")
    parts.append("</table>")
    for _, row in r.iterrows():
        pev = ev[ev.patient_id == row.patient_id]
        parts.append(f"<h2 id='case-{_e(row.patient_id)}'>{_e(row.patient_id)}: {_e(row.determination)}</h2><ul>")
        for c, label, cols in CRITERIA:
            vals = ", ".join(f"{k}={_e(row[k])}" for k in cols if _e(row[k]))
            parts.append(f"<li class='{_e(row[c + '_status'])}'><b>{_e(label)}</b>: {_e(row[c + '_status'])} {vals}")
            for _, m in pev[(pev.criterion == c) & pev.used].iterrows():
                parts.append(f"<div>{_e(m.note_id)} ({_e(m.note_date)}, {_e(m.section)}): <q>{_e(m.sentence)}</q></div>")
            unused = pev[(pev.criterion == c) & ~pev.used]
            if len(unused):
                parts.append(f"<details><summary>{len(unused)} other mention(s)</summary>")
                for _, m in unused.iterrows():
                    why = ", ".join(f for f in ("negated", "hypothetical", "historical", "family") if m[f]) or m.label
                    parts.append(f"<div class='unused'>{_e(m.note_id)} [{_e(why)}]: {_e(m.sentence)}</div>")
                parts.append("</details>")
            parts.append("</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
