"""The audit's readable outputs: report.md, a self-contained report.html, metrics.json, the chart.

All text from the inputs (ids, values, evidence sentences) is escaped with
html.escape: a note containing markup renders as text. The chart is drawn
with matplotlib's Agg canvas directly, so no display and no pyplot state is
needed (and a notebook's backend is left alone).
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
from pathlib import Path

import pandas as pd

from pipeline.about import __version__
from pipeline.audit.compare import AuditResult, below, routing_line, summary_line
from pipeline.errors import AuditOutputError
from pipeline.io.atomic import atomic_write

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;
vertical-align:top;text-align:left}td.n{text-align:right}.low{background:#f8d0d0}.ok{background:#d9f2d9}
.diag{background:#d9f2d9}.off{background:#f8d0d0}.note{color:#8a5a00}q{display:block;margin:.2em 0}
code{background:#f4f4f4;padding:1px 4px}"""


def _num(v, fmt: str = "{:.1f}") -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def _json_safe(v):
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def failing_fields(result, min_agreement: float | None) -> list[str]:
    if min_agreement is None:
        return []
    return list(below(result.agreement, min_agreement)["field"])


def metrics(result, inputs: dict, min_agreement: float | None = None) -> dict:
    """Everything a dashboard or CI job reads, as plain JSON (nan -> null)."""
    return _json_safe({
        "package": "scs-abstract", "version": __version__,
        "generated": dt.datetime.now().isoformat(timespec="seconds"),
        "inputs": inputs,
        "summary": result.summary,
        "fields": result.agreement.to_dict("records"),
        "documentation": result.documentation.to_dict("records"),
        "confusion": {f: {"labels": list(m.index), "matrix": m.values.tolist()} for f, m in result.confusion.items()},
        "min_agreement": {"threshold": min_agreement, "below": failing_fields(result, min_agreement)},
        "notes": result.notes,
    })


def agreement_figure(table: pd.DataFrame, min_agreement: float | None = None):
    """A horizontal bar per field (percent agreement) with its Wilson 95 % interval."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = table.iloc[::-1]
    fig = Figure(figsize=(7.5, 0.32 * max(len(t), 1) + 1.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    pct = t["pct"].fillna(0.0)
    low = [min_agreement is not None and p < min_agreement for p in pct]
    colors = ["#d9534f" if x else ("#5b8def" if s else "#9db8e8") for x, s in zip(low, t["in_score_review"])]
    err = [(pct - t["ci_low"].fillna(pct)).clip(lower=0), (t["ci_high"].fillna(pct) - pct).clip(lower=0)]
    ax.barh(list(t["field"]), pct, color=colors, xerr=err, ecolor="#444", capsize=2)
    if min_agreement is not None:
        ax.axvline(min_agreement, color="#d9534f", linestyle="--", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("agreement with gold (%), bars: Wilson 95% interval")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def agreement_chart_png(table: pd.DataFrame, min_agreement: float | None = None) -> bytes:
    buf = io.BytesIO()
    agreement_figure(table, min_agreement).savefig(buf, format="png")
    return buf.getvalue()


def _pairs(row) -> list[tuple[str, str]]:
    """A discrepancy's evidence as (note_id, sentence) pairs (the two columns are parallel lists)."""
    ids = row["note_id"].split(";") if row["note_id"] else []
    sents = row["sentence"].split("\n") if row["sentence"] else []
    return list(zip(ids, sents))


def _summary_items(result, inputs: dict, min_agreement: float | None) -> list[str]:
    """Summary facts as plain (unescaped) text lines."""

    s = result.summary
    policy = inputs.get("policy") or {}
    items = [f"policy: {policy.get('name')} ({policy.get('source')})" if policy else "policy: unknown (no run.json)",
             f"gold: {inputs.get('gold')}", f"review: {inputs.get('review')}",
             f"evidence: {inputs.get('evidence') or 'none found'}",
             f"cases: {s['gold_cases']} in gold, {s['review_cases']} in review, "
             f"{len(s['missing_from_review'])} gold case(s) missing from the review, "
             f"{len(s['missing_from_gold'])} review case(s) not in gold",
             f"score_review.py summary: {summary_line(result)}",
             f"discrepancies: {s['discrepancies']}"]
    if routing_line(result):
        items.append(routing_line(result))
    if min_agreement is not None:
        low = failing_fields(result, min_agreement)
        items.append(f"--min-agreement {min_agreement:g}%: "
                     + (f"below: {', '.join(low)}" if low else "all fields reach it"))
    return items


def _md(v) -> str:
    return html.escape("" if v is None else str(v)).replace("|", "\\|").replace("\n", "<br>")


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out + [""]


def _agreement_rows(table: pd.DataFrame) -> list[list]:
    return [[r.field, f"{r.agree}/{r.n}", _num(r.pct), f"{_num(r.ci_low)}-{_num(r.ci_high)}",
             _num(r.kappa, "{:.3f}"), "yes" if r.in_score_review else "no"] for r in table.itertuples(index=False)]


AGREEMENT_HEADER = ["field", "agree/n", "%", "95% CI", "kappa", "in score_review.py summary"]
DOC_HEADER = ["criterion", "TP", "FP", "FN", "TN", "precision", "recall", "F1"]


def _doc_rows(doc: pd.DataFrame) -> list[list]:
    return [[r.criterion, r.tp, r.fp, r.fn, r.tn, _num(r.precision, "{:.3f}"), _num(r.recall, "{:.3f}"),
             _num(r.f1, "{:.3f}")] for r in doc.itertuples(index=False)]


def render_markdown(result, inputs: dict, min_agreement: float | None = None) -> str:
    lines = ["# SCS review audit", "", f"scs-abstract {__version__}, "
             f"{dt.datetime.now().isoformat(timespec='seconds')}", "", "## Summary", ""]
    lines += [f"- {_md(i)}" for i in _summary_items(result, inputs, min_agreement)] + [""]
    if result.notes:
        lines += ["## Input notes", ""] + [f"- {_md(n)}" for n in result.notes] + [""]
    lines += ["## Agreement per field", "",
              "Numbers agree within 1 point (ODI, trial relief) or 1 week (PT); dates as ISO dates; `missing` as "
              "a set; other fields case-insensitively; empty agrees with empty. Every gold case is counted.", ""]
    lines += _md_table(AGREEMENT_HEADER, _agreement_rows(result.agreement))
    lines += ["## Documentation found (precision / recall / F1 against gold)", ""]
    lines += _md_table(DOC_HEADER, _doc_rows(result.documentation))
    lines += ["## Confusion matrices (rows: gold, columns: pipeline)", ""]
    for field, m in result.confusion.items():
        lines += [f"### {_md(field)}", ""]
        lines += _md_table(["gold \\ pipeline"] + list(m.columns),
                           [[i] + list(r) for i, r in zip(m.index, m.values.tolist())])
    lines += [f"## Discrepancies ({len(result.discrepancies)})", ""]
    if len(result.discrepancies):
        lines += _md_table(["patient_id", "field", "gold", "pipeline", "evidence used"],
                           [[r["patient_id"], r["field"], r["gold"], r["pipeline"] or
                             ("" if r["case_in_review"] else "(case not in review)"),
                             "\n".join(f"{n}: {s}" for n, s in _pairs(r))]
                            for r in result.discrepancies.to_dict("records")])
    else:
        lines += ["None.", ""]
    return "\n".join(lines)


def _h(v) -> str:
    return html.escape("" if v is None else str(v))


def _html_table(header: list[str], rows: list[list], row_class=None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_h(h)}</th>" for h in header) + "</tr>"]
    for k, r in enumerate(rows):
        cls = f" class='{_h(row_class(k))}'" if row_class and row_class(k) else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{_h(c)}</td>" for c in r) + "</tr>")
    return "".join(out) + "</table>"


def render_html(result, inputs: dict, min_agreement: float | None = None) -> str:
    png = base64.b64encode(agreement_chart_png(result.agreement, min_agreement)).decode("ascii")
    low = set(failing_fields(result, min_agreement))
    fields = list(result.agreement["field"])
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>SCS review audit</title>"
             f"<style>{STYLE}</style></head><body><h1>SCS review audit</h1>"
             f"<p>scs-abstract {_h(__version__)}, {_h(dt.datetime.now().isoformat(timespec='seconds'))}</p>"
             "<h2>Summary</h2><ul>"
             + "".join(f"<li>{_h(i)}</li>" for i in _summary_items(result, inputs, min_agreement)) + "</ul>"]
    if result.notes:
        parts.append("<h2>Input notes</h2><ul>" + "".join(f"<li class='note'>{_h(n)}</li>" for n in result.notes)
                     + "</ul>")
    parts.append("<h2>Agreement per field</h2><p>Numbers agree within 1 point (ODI, trial relief) or 1 week (PT); "
                 "dates as ISO dates; <code>missing</code> as a set; other fields case-insensitively; empty agrees "
                 "with empty. Every gold case is counted.</p>")
    parts.append(f"<img alt='per-field agreement with Wilson 95% intervals' src='data:image/png;base64,{png}'>")
    parts.append(_html_table(AGREEMENT_HEADER, _agreement_rows(result.agreement),
                             lambda k: "low" if fields[k] in low else ""))
    parts.append("<h2>Documentation found</h2><p>Found = a value present, or a status other than insufficient; "
                 "gold is the truth.</p>" + _html_table(DOC_HEADER, _doc_rows(result.documentation)))
    parts.append("<h2>Confusion matrices</h2><p>Rows: gold; columns: pipeline.</p>")
    for field, m in result.confusion.items():
        head = "<tr><th>gold \\ pipeline</th>" + "".join(f"<th>{_h(c)}</th>" for c in m.columns) + "</tr>"
        body = "".join("<tr><th>" + _h(i) + "</th>" + "".join(
            f"<td class='n {'diag' if i == c and v else ('off' if v else '')}'>{_h(v)}</td>"
            for c, v in zip(m.columns, r)) + "</tr>" for i, r in zip(m.index, m.values.tolist()))
        parts.append(f"<h3>{_h(field)}</h3><table>{head}{body}</table>")
    parts.append(f"<h2>Discrepancies ({len(result.discrepancies)})</h2>")
    if len(result.discrepancies):
        parts.append("<table><tr><th>patient_id</th><th>field</th><th>gold</th><th>pipeline</th>"
                     "<th>evidence the pipeline used</th></tr>")
        for r in result.discrepancies.to_dict("records"):
            got = r["pipeline"] if r["case_in_review"] else "(case not in review)"
            ev = "".join(f"<q><b>{_h(n)}</b>: {_h(s)}</q>" for n, s in _pairs(r))
            parts.append(f"<tr><td>{_h(r['patient_id'])}</td><td>{_h(r['field'])}</td><td>{_h(r['gold'])}</td>"
                         f"<td>{_h(got)}</td><td>{ev}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_audit(result: AuditResult, out_dir: str | Path, inputs: dict,
                min_agreement: float | None = None) -> list[Path]:
    """report.md, report.html, metrics.json, discrepancies.csv, agreement.csv; each file complete or absent."""
    out = Path(out_dir)
    files = {
        "discrepancies.csv": lambda tmp: result.discrepancies.to_csv(tmp, index=False),
        "agreement.csv": lambda tmp: result.agreement.to_csv(tmp, index=False, float_format="%.4f"),
        "report.md": lambda tmp: Path(tmp).write_text(render_markdown(result, inputs, min_agreement), encoding="utf-8"),
        "report.html": lambda tmp: Path(tmp).write_text(render_html(result, inputs, min_agreement), encoding="utf-8"),
        "metrics.json": lambda tmp: Path(tmp).write_text(
            json.dumps(metrics(result, inputs, min_agreement), indent=2, allow_nan=False), encoding="utf-8"),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, write in files.items():
            atomic_write(out / name, write)
    except OSError as e:
        raise AuditOutputError(f"cannot write to output folder {out}: {e.strerror or e.__class__.__name__}") from None
    return [out / n for n in files]
