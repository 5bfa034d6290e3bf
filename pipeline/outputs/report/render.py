"""The reviewer's page: per case the determination, each criterion, and the evidence behind it.

`render_report(result)` returns one self-contained HTML page (inline CSS and JS,
nothing fetched). It stays usable for large runs: the summary table is sorted,
filtered and paginated in the browser, and a case's card is built only when it
is opened, from that case's data embedded as JSON.

Everything taken from the data is escaped: text placed in the markup goes
through `html.escape`, and the embedded JSON has `<`, `>` and `&` written as
`\\u003c`, `\\u003e`, `\\u0026`, so a note containing `</script>` or markup can
neither end the data block nor become markup. The page's script only ever sets
`textContent`, never `innerHTML`, with data.

`scs-abstract report OUT_DIR` rebuilds report.html from a run's review.csv,
evidence.csv and run.json.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple

from pipeline.scoring.routing import ROUTES, ROUTING_COLUMNS
from pipeline.errors import ReportInputError
from pipeline.scoring.scorers import SCORERS

if TYPE_CHECKING:
    from pipeline.engines.tables import ReviewResult

# every registered scorer's declared facts (scoring/registry.py), keyed by scorer
FACTS = {key: s.facts for key, s in SCORERS.items()}
CRITERION_LABELS = {f.criterion: f.title for f in FACTS.values() if f.criterion and f.title}
# review columns shown per criterion (beside its status): label and unit
FIELD_LABELS = {col: shown for f in FACTS.values() for col, shown in f.display.items()}
SCORER_PREFIX = {key: f.criterion for key, f in FACTS.items() if f.criterion}
SEP = " \u00b7 "
NUMERIC = {"odi_score", "trial_relief_pct", "pt_weeks", "value"}
FLAGS = ("negated", "hypothetical", "historical", "family")
FLAG_WHY = {"negated": "negated", "hypothetical": "hypothetical or planned", "historical": "historical",
            "family": "about a family member"}
LABEL_WHY = {
    "template_blank": "blank template field",
    "threshold": "a policy threshold or requirement, not the patient's value",
    "other_treatment": "relief attributed to another treatment (injection, ablation, block, medication)",
    "unattributed": "relief not attributed to the SCS trial",
    "earlier_trial": "relief in a first or failed trial, superseded by a later trial",
    "withdrawn": "a value an addendum says was entered in error",
    "corrected": "the value an addendum gives in place of one entered in error",
    "cited": "a value cited from the visit that measured it; the visit's own note counts",
    "telehealth": "PT by video or telehealth, not in person",
    ("psych", "conditional"): "a conditional clearance; another outcome was used",
    "function_gain": "a gain in function or less medication, not pain relief",
    "not_odi": "another instrument (Neck or Pain Disability Index), not the ODI",
    "mention": "mentioned without a usable value",
    "not_pt": "not physical therapy",
    "nonformal": "not formal PT (home exercise, chiropractic, massage)",
    "surgery": "spine surgery without persistent pain in the same sentence",
    ("psych", "mention"): "evaluation mentioned without an outcome",
    ("psych", "pending"): "pending evaluation; another mention was used",
    ("indication", "syndrome"): "another mention was used",
    ("indication", "surgery_with_pain"): "another mention was used",
}
EVIDENCE_READ = ["patient_id", "note_id", "note_date", "section", "criterion", "label", "value", "unit", "date",
                 "date_end", *FLAGS, "used", "start", "end", "sentence", "sentence_start"]
EVIDENCE_REQUIRED = ["patient_id", "criterion", "used", "sentence"]


# --- values -------------------------------------------------------------------------------------------
def _missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return type(v).__name__ in ("NaTType", "NAType")


def _text(v, numeric: bool = False) -> str:
    """A cell as display text: '' for missing, ISO dates, numbers without trailing zeros."""
    if type(v) is str and not numeric:
        return v
    if _missing(v):
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        return v.date().isoformat() if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, bool):
        return str(v)
    if numeric or isinstance(v, float):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return str(v)
        if math.isnan(f):
            return ""
        return f"{f:.2f}".rstrip("0").rstrip(".")
    return str(v)


def _date(v) -> dt.date | None:
    return _iso_date(_text(v))


@lru_cache(maxsize=4096)
def _iso_date(s: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(s[:10]) if s else None
    except ValueError:
        return None


def _bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return False if _missing(v) else bool(v)


def _int(v) -> int | None:
    try:
        return None if _missing(v) or v == "" else int(float(v))
    except (TypeError, ValueError):
        return None


def _json(obj) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' appears literally."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _utf16(s: str, i: int) -> int:
    """A Python (code point) offset as a JavaScript (UTF-16) offset."""
    return i if s.isascii() else len(s[:i].encode("utf-16-le")) // 2


def _columns(df, names: Iterable[str]) -> dict[str, list]:
    return {c: (df[c].tolist() if c in df.columns else [None] * len(df)) for c in names}


# --- policy -------------------------------------------------------------------------------------------
def load_run_policy(run: dict):
    """The policy named in run.json (by its path, else its name), and a warning when it cannot be shown as run."""
    from pipeline.errors import PolicyError
    from pipeline.scoring.policy import load_policy

    info = run.get("policy") or {}
    for ref in (info.get("path"), info.get("name")):
        if not ref:
            continue
        try:
            pol = load_policy(ref)
        except (PolicyError, OSError, ValueError):
            continue
        if info.get("sha256") and pol.sha256 != info["sha256"]:
            return pol, (f"the policy file {pol.path} has changed since this run (sha256 differs): "
                         "thresholds shown are from the file as it is now")
        return pol, ""
    if info:
        return None, "the policy file of this run could not be loaded: thresholds are not shown"
    return None, "run.json names no policy: thresholds are not shown"


def requirement(scorer: str, p: dict) -> str:
    """A criterion's threshold in words, from its scorer's parameters."""
    declared = FACTS[scorer].requirement if scorer in FACTS else None
    if declared is not None:
        try:
            return declared(p)
        except KeyError:  # a parameter it needs is not given: say the parameters as they are
            pass
    if isinstance(p.get("of"), (list, tuple)):  # a combination of registered scorers, e.g. any_of
        subs = [requirement(sub, {k: p[k] for k in SCORERS[sub].params if k in p}) if sub in SCORERS else str(sub)
                for sub in p["of"]]
        how = scorer.replace("_", " ") if scorer.endswith("_of") else "combination of"
        return f"{how}: " + " | ".join(subs)
    shown = "; ".join(f"{k.replace('_', ' ')} {_param(v)}" for k, v in p.items())
    return f"{scorer.replace('_', ' ')}: {shown}" if shown else "documented"


def _param(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(_text(x) for x in v)
    return _text(v)


@lru_cache(maxsize=4096)
def _months_before(d: dt.date, months: int) -> dt.date:
    from dateutil.relativedelta import relativedelta
    return d - relativedelta(months=months)


# --- page data ----------------------------------------------------------------------------------------
class _Criterion:
    def __init__(self, name: str, scorer: str, params: dict, description: str, fields: list[str], requirement: str):
        self.name, self.scorer, self.params, self.description = name, scorer, params, description
        self.label = CRITERION_LABELS.get(name) or name.replace("_", " ").capitalize()
        self.fields, self.requirement = fields, requirement
        # the field that shows in the summary table: a score, a duration or an outcome
        self.value_field = next((i for i, c in enumerate(fields) if _is_value(c)), None)
        known = scorer or {v: k for k, v in SCORER_PREFIX.items()}.get(name, "")
        self.flags = FACTS[known].excluded_by if known in FACTS else FLAGS
        self.window = int(params["window_months"]) if scorer == "physical_therapy" and "window_months" in params \
            else None

    def field_label(self, col: str) -> tuple[str, str]:
        """A review column's label inside its criterion, and its unit."""
        if col in FIELD_LABELS:
            return FIELD_LABELS[col]
        rest = col[len(self.name) + 1:] if col.startswith(self.name + "_") else col.split("_", 1)[-1]
        rest = {"pct": "percent"}.get(rest, rest)
        return rest.replace("_", " ").replace("note id", "note"), " %" if col.endswith("_pct") else ""


BASE_COLUMNS = {"patient_id", "review_date", "determination", "missing"}


def _is_numeric(col: str) -> bool:
    return col in NUMERIC or col.endswith(("_pct", "_score", "_weeks", "_months", "_days"))


def _is_value(col: str) -> bool:
    return _is_numeric(col) or col.endswith(("_clearance", "_finding"))


def _criteria(review_columns: list[str], policy) -> list[_Criterion]:
    """The criteria of the review table (its *_status columns), with the policy's thresholds when known.

    Each other review column goes to the criterion with the longest name it starts with (`trial_relief_pct`
    to `trial_relief` when a policy scores that apart, else to `trial`).
    """
    by_name = {c.name: c for c in policy.criteria} if policy is not None else {}
    names = [c[:-len("_status")] for c in review_columns if c.endswith("_status")]
    prefix_of = {n: SCORER_PREFIX.get(by_name[n].scorer, n) if n in by_name else n for n in names}
    fields: dict[str, list[str]] = {n: [] for n in names}
    for col in review_columns:
        if col in BASE_COLUMNS or col.endswith("_status"):
            continue
        owners = ([n for n in names if col.startswith(n + "_")]
                  or [n for n in names if col.startswith(prefix_of[n] + "_")]
                  or [n for n in names if n.split("_")[0] == col.split("_")[0]])
        if owners:
            fields[max(owners, key=len)].append(col)
    parts = {sub: c for c in by_name.values() if isinstance(c.params.get("of"), (list, tuple))
             for sub in c.params["of"]}
    out = []
    for n in names:
        c = by_name.get(n)
        if c:
            req = requirement(c.scorer, dict(c.params))
        elif n in parts:  # scored as a part of a combined criterion (any_of)
            own = SCORERS[n].params if n in SCORERS else {}
            req = (requirement(n, {k: v for k, v in parts[n].params.items() if k in own})
                   + f" (part of {parts[n].name})")
        else:
            req = "not part of this policy" if policy is not None else ""
        out.append(_Criterion(n, c.scorer if c else "", dict(c.params) if c else {}, c.description if c else "",
                              fields[n], req))
    return out


def _why(crit: _Criterion, label: str, flags: dict, note_date: dt.date | None, date: dt.date | None,
         review_date: dt.date | None) -> str:
    """Why the scorer did not use a mention, in words."""
    why = []
    if review_date and note_date and note_date > review_date:
        why.append("note dated after the review date")
    why += [FLAG_WHY[f] for f in crit.flags if flags[f]]
    label_why = LABEL_WHY.get((crit.name, label)) or LABEL_WHY.get(label)
    if label_why:
        why.append(label_why)
    if not why:
        if crit.window and review_date and (date or note_date) and \
                (date or note_date) < _months_before(review_date, crit.window):
            why.append(f"older than the {crit.window}-month window")
        else:
            why.append("older or superseded: a more recent mention was used")
    return "; ".join(why)


def _what(value, unit, date, date_end) -> str:
    """A mention's value in a few words: '48 %', '2024-09-09 to 2024-11-15', ..."""
    v = _text(value, numeric=True)
    u = _text(unit)
    d, d2 = _text(date), _text(date_end)
    if d and d2:
        return f"{d} to {d2}" + (f" ({v} {u})" if v else "")
    if v:
        return f"{v} {u}".strip()
    return ""


class _Summary(NamedTuple):
    """What the top of the page shows, from a first pass over the review parts alone."""
    columns: list[str]      # the review's columns, in order
    cases: int
    determinations: dict[str, int]
    with_status: set[str]   # the *_status columns that hold a status for at least one case
    routes: dict[str, int]  # the work queue: cases per route


def _summarize(result: ReviewResult) -> _Summary:
    columns: dict[str, None] = {}
    n, dets, with_status, routes = 0, {}, set(), {}
    for review, _ in result.parts(evidence=False):
        columns.update(dict.fromkeys(review.columns))
        n += len(review)
        if "route" in review.columns:
            for d, k in review["route"].map(_text).value_counts().items():
                routes[d] = routes.get(d, 0) + int(k)
        if "determination" in review.columns:
            for d, k in review["determination"].map(_text).value_counts().items():
                dets[d] = dets.get(d, 0) + int(k)
        with_status |= {c for c in review.columns if c.endswith("_status") and review[c].map(_text).ne("").any()}
    return _Summary(list(columns), n, dets, with_status, routes)


def _criteria_json(crits: list[_Criterion], with_status: set[str]) -> list[dict]:
    return [{"name": c.name, "label": c.label, "req": c.requirement, "scored": f"{c.name}_status" in with_status,
             "fields": [c.field_label(col)[0] for col in c.fields]} for c in crits]


def _page_blocks(result: ReviewResult, crits: list[_Criterion], rcols: list[str], reasons: list[str],
                 ranges: list[int]) -> Iterator[str]:
    """The page's data blocks, a range of cases at a time: each case's details (`d-<case>`), then the
    range's rows of the summary table (`c-<range>`). A criterion found only in the evidence is added to
    `crits`, every reason a mention was not used to `reasons` and each range's number of cases to
    `ranges`, as they are met; the page reads them after the last block. Only one range of cases is in
    memory at a time."""
    ci_of = {c.name: i for i, c in enumerate(crits)}
    reviewed = list(crits)  # the review's criteria: the ones with columns (those added later have none)
    reason_ix: dict[str, int] = {}
    case = 0
    for part, (review, ev) in enumerate(result.parts()):
        rc = _columns(review, rcols)
        ecols = _columns(ev, EVIDENCE_READ)
        n_rows = len(review)
        # per criterion, what does not change from case to case: its columns, their units and kinds
        specs = [(c, rc.get(f"{c.name}_status"), [(rc[col], c.field_label(col)[1], _is_numeric(col))
                                                   for col in c.fields],
                  c.value_field, c.value_field is not None and _is_numeric(c.fields[c.value_field]))
                 for c in reviewed]

        def cell(values, unit: str, numeric: bool, r: int) -> str:
            t = _text(values[r], numeric=numeric)
            return (t + unit) if t else ""

        def summary_row(r: int) -> list:
            """The summary table's row: the statuses, and one value cell per criterion (a score, a
            duration or an outcome)."""
            statuses, vals = [], []
            for c, status, columns, k, numeric_value in specs:
                statuses.append(_text(status[r]) if status is not None else "")
                v = "" if k is None else cell(*columns[k], r)
                vals.append(v.replace(" weeks", " wk") if numeric_value else v.replace("_", " "))
            return [_text(rc["patient_id"][r]), _text(rc["review_date"][r]), _text(rc["determination"][r]),
                    _text(rc["missing"][r]), statuses, vals, _text(rc["route"][r]), _text(rc["review_reasons"][r]),
                    _text(rc["summary"][r])]

        rows_by_pid: dict[str, list[int]] = {}
        for i, pid in enumerate(ecols["patient_id"]):
            rows_by_pid.setdefault(_text(pid), []).append(i)
        for r in range(n_rows):
            pid = _text(rc["patient_id"][r])
            rd = _date(_text(rc["review_date"][r]))
            fields = [[cell(*col, r) for col in columns] for _, _, columns, _, _ in specs]
            windows = [f"window {_months_before(rd, c.window).isoformat()} to {rd.isoformat()}"
                       if c.window and rd else "" for c, *_ in specs]
            notes, note_ix, sents, sent_ix, items = [], {}, [], {}, []
            for i in rows_by_pid.get(pid, ()):
                crit_name = _text(ecols["criterion"][i])
                ci = ci_of.get(crit_name)
                if ci is None:  # mentions of a criterion the review did not score
                    ci = ci_of[crit_name] = len(crits)
                    crits.append(_Criterion(crit_name, "", {}, "", [], "not scored in this review"))
                note_key = (_text(ecols["note_id"][i]), _text(ecols["note_date"][i]))
                ni = note_ix.get(note_key)
                if ni is None:
                    ni = note_ix[note_key] = len(notes)
                    notes.append(list(note_key))
                sentence = _text(ecols["sentence"][i])
                si = sent_ix.get(sentence)
                if si is None:
                    si = sent_ix[sentence] = len(sents)
                    sents.append(sentence)
                start, end, ss = _int(ecols["start"][i]), _int(ecols["end"][i]), _int(ecols["sentence_start"][i])
                hs = he = -1
                if start is not None and end is not None and ss is not None:
                    a, b = max(0, start - ss), min(len(sentence), end - ss)
                    if a < b:
                        hs, he = _utf16(sentence, a), _utf16(sentence, b)
                label = _text(ecols["label"][i])
                used = _bool(ecols["used"][i])
                ri = -1
                if not used:
                    flags = {f: _bool(ecols[f][i]) for f in FLAGS}
                    why = _why(crits[ci], label, flags, _date(note_key[1]), _date(ecols["date"][i]), rd)
                    ri = reason_ix.get(why)
                    if ri is None:
                        ri = reason_ix[why] = len(reasons)
                        reasons.append(why)
                what = _what(ecols["value"][i], ecols["unit"][i], ecols["date"][i], ecols["date_end"][i])
                items.append((ci, 0 if used else 1, -(_date(note_key[1]) or dt.date.min).toordinal(), start or 0,
                              [ci, 1 if used else 0, ni, _text(ecols["section"][i]), label, what, si, hs, he, ri]))
            items.sort(key=lambda t: t[:4])
            detail = {"v": fields, "w": windows, "n": notes, "s": sents, "e": [t[4] for t in items]}
            yield f"<script type='application/json' id='d-{case}'>{_json(detail)}</script>\n"
            case += 1
        rows = [summary_row(r) for r in range(n_rows)]
        ranges.append(n_rows)
        yield f"<script type='application/json' id='c-{part}'>{_json(rows)}</script>\n"


# --- the page -----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _templates():
    """The page's Jinja2 environment (autoescaped) and its CSS and JavaScript, read once from the package."""
    from importlib import resources

    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("pipeline.outputs.report", "templates"),
                      autoescape=select_autoescape(["html", "html.j2"], default_for_string=True),
                      keep_trailing_newline=True)
    folder = resources.files("pipeline.outputs.report") / "templates"
    return env, (folder / "page.css").read_text(encoding="utf-8"), (folder / "page.js").read_text(encoding="utf-8")


def _policy_rows(run: dict, policy) -> list[tuple[str, object, str]]:
    info = run.get("policy") or {}
    rows: list[tuple[str, object, str]] = [
        ("name", (info.get("name") or (policy.name if policy is not None else ""),
                  policy.title if policy is not None else ""), "name")]
    if info.get("source") or (policy is not None and policy.source):
        rows.append(("source", info.get("source") or policy.source, "text"))
    if policy is not None and policy.description:
        rows.append(("note", policy.description, "text"))
    if info.get("path"):
        rows.append(("file", info["path"], "code"))
    if info.get("sha256"):
        rows.append(("sha256", str(info["sha256"]), "sha"))
    return rows


def report_parts(result: ReviewResult) -> Iterator[str]:
    """The report page in pieces, one case's details at a time (see the module docstring)."""
    from markupsafe import Markup

    env, style, script = _templates()
    run = result.run or {}
    policy, warning = load_run_policy(run)
    top = _summarize(result)
    rcols = top.columns + [c for c in ("patient_id", "review_date", "determination", "missing", *ROUTING_COLUMNS)
                           if c not in top.columns]
    crits = _criteria(rcols, policy)  # a criterion only the evidence names is added as the cases are written
    head_crits = _criteria_json(crits, top.with_status)
    n = top.cases
    counts = run.get("counts") or {}
    facts = [f"{n} case{'s' if n != 1 else ''}"]
    for key, label in (("notes_processed", "notes processed"), ("rows_rejected", "input rows rejected"),
                       ("mentions", "mentions found")):
        if key in counts:
            facts.append(f"{_text(counts[key])} {label}")
    desc = {c.name: c.description for c in policy.criteria} if policy is not None else {}
    yield env.get_template("head.html.j2").render(
        n=n, style=Markup(style), sep=SEP, facts=facts,
        version=f"{_text(run.get('package', 'scs-abstract'))} {_text(run.get('version', ''))}".strip(),
        banner=run.get("warning"), chips=sorted(top.determinations.items()), routes=[(r, top.routes[r]) for r in reversed(ROUTES) if r in top.routes],
        warning=warning, policy_rows=_policy_rows(run, policy),
        policy_criteria=[{**c, "description": desc.get(c["name"], "")} for c in head_crits
                         if c["scored"] or c["name"] in desc],
        columns=[(k, c) for k, c in enumerate(head_crits) if c["scored"]])
    reasons: list[str] = []
    ranges: list[int] = []
    yield from _page_blocks(result, crits, rcols, reasons, ranges)
    # after the cases: the criteria met only in the evidence and the reasons mentions were not used,
    # gathered while the cases were written; `parts` says how many c-<range> blocks hold the summary rows
    summary = {"criteria": _criteria_json(crits, top.with_status), "parts": len(ranges),
               "reasons": reasons}
    yield env.get_template("tail.html.j2").render(summary_json=Markup(_json(summary)), script=Markup(script))


def render_report(result: ReviewResult) -> str:
    """The whole report page as a string."""
    return "".join(report_parts(result))


def write_report_file(result: ReviewResult, path: str | Path) -> None:
    """The report page written to `path` piece by piece."""
    with open(path, "w", encoding="utf-8") as f:
        for part in report_parts(result):
            f.write(part)




# --- scs-abstract report OUT_DIR ----------------------------------------------------------------------
REBUILD_ROWS = 20_000       # cases read at a time when a page is rebuilt from a folder
REBUILD_MENTIONS = 100_000  # and at most this many mentions
REVIEW_REQUIRED = ["patient_id", "determination"]


def _csv_columns(path: Path, required: list[str]) -> list[str]:
    """A folder CSV's header, checked for the columns the page needs (an empty file has none)."""
    import pandas as pd
    try:
        columns = list(pd.read_csv(path, nrows=0, dtype=str).columns)
    except pd.errors.EmptyDataError:
        return []
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as e:
        raise ReportInputError(f"{path}: not a readable CSV ({e.__class__.__name__})") from None
    lost = [c for c in required if c not in columns]
    if lost:
        raise ReportInputError(f"{path}: missing column(s) {', '.join(lost)}")
    return columns


def _csv_parts(path: Path, required: list[str], usecols: list[str] | None = None) -> Iterator:
    """A folder CSV REBUILD_ROWS rows at a time, every cell as text ('' when empty)."""
    import pandas as pd
    columns = _csv_columns(path, required)
    if not columns:
        yield pd.DataFrame(columns=usecols or required)
        return
    n = 0
    try:
        for df in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=REBUILD_ROWS, usecols=usecols):
            n += 1
            yield df
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as e:
        raise ReportInputError(f"{path}: not a readable CSV ({e.__class__.__name__})") from None
    if not n:
        yield pd.DataFrame(columns=usecols or columns)


class _RangeReader:
    """Rows of a stream of frames handed out range by range: the frames carry each row's range in
    `_range` (NaN: no range, dropped) and their rows come in non-decreasing range order."""

    def __init__(self, frames: Iterable):
        self.frames, self.pending, self.template = iter(frames), None, None

    def take(self, k: int):
        """The rows of range k (an empty frame with the stream's columns when there are none)."""
        import pandas as pd
        mine = []
        while True:
            if self.pending is None or not len(self.pending):
                frame = next(self.frames, None)
                if frame is None:
                    break
                self.template = frame.iloc[:0]
                self.pending = frame[frame["_range"].notna()]
                continue
            later = self.pending["_range"] > k
            mine.append(self.pending[~later])
            self.pending = self.pending[later]
            if len(self.pending):
                break
        frames = [m for m in mine if len(m)]
        out = pd.concat(frames, ignore_index=True) if frames else self.template
        return out.drop(columns="_range")


class _NotInOrder(Exception):
    """evidence.csv's rows are not grouped by case in review.csv's order."""


def _counted(review_ids: Iterable[str], evidence_ids: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(patient_id, mentions) per review row, counting the evidence rows as they come, which must be
    each case's rows together, cases in the review's order (as `run` writes them); _NotInOrder when
    an evidence row is not of the current case or a later one."""
    evidence_ids = iter(evidence_ids)
    ahead = next(evidence_ids, None)
    for pid in review_ids:
        n = 0
        while ahead is not None and ahead == pid:
            n, ahead = n + 1, next(evidence_ids, None)
        yield pid, n
    if ahead is not None:
        raise _NotInOrder


class FolderResult(NamedTuple):
    """A run's output folder read back as a result, for `scs-abstract report`: review.csv and
    evidence.csv are read a range of cases at a time (at most REBUILD_MENTIONS mentions and
    REBUILD_ROWS cases, `review.patient_ranges`), so a page of any size is rebuilt in bounded
    memory. A first pass counts each case's mentions and keeps only where each range ends. That
    needs evidence.csv in the review's order (each case's mentions together, cases as in
    review.csv), as `run` writes it; a file in another order is read whole instead."""
    folder: Path
    run: dict
    rejected: object  # an empty DataFrame: rejected rows are not part of the page

    def rejected_parts(self) -> Iterator:
        yield self.rejected

    def parts(self, evidence: bool = True) -> Iterator:
        import numpy as np
        import pandas as pd
        from pipeline.engines.tables import patient_ranges
        review_csv, evidence_csv = self.folder / "review.csv", self.folder / "evidence.csv"
        if not evidence:
            yield from ((r, None) for r in _csv_parts(review_csv, REVIEW_REQUIRED))
            return

        def ids(path, required):
            return (p for f in _csv_parts(path, required, usecols=["patient_id"]) for p in f["patient_id"])

        def range_ends(cases):  # per range, where its cases and its mentions end (row counts)
            sizes = [(len(r), sum(n for _, n in r)) for r in patient_ranges(cases, REBUILD_MENTIONS, REBUILD_ROWS)]
            return np.cumsum([c for c, _ in sizes]), np.cumsum([m for _, m in sizes])

        def by_row(frames, ends):  # each row's range from its row number
            start = 0
            for f in frames:
                yield f.assign(_range=np.searchsorted(ends, np.arange(start, start + len(f)), "right"))
                start += len(f)

        try:
            case_ends, mention_ends = range_ends(_counted(ids(review_csv, REVIEW_REQUIRED),
                                                          ids(evidence_csv, EVIDENCE_REQUIRED)))
            mentions = by_row(_csv_parts(evidence_csv, EVIDENCE_REQUIRED), mention_ends)
        except _NotInOrder:  # read whole, then handed out like a file in order
            whole = pd.concat(list(_csv_parts(evidence_csv, EVIDENCE_REQUIRED)), ignore_index=True)
            counts = whole["patient_id"].value_counts()
            ranges = list(patient_ranges(((p, int(counts.get(p, 0))) for p in ids(review_csv, REVIEW_REQUIRED)),
                                         REBUILD_MENTIONS, REBUILD_ROWS))
            case_ends = np.cumsum([len(r) for r in ranges])
            range_of: dict[str, int] = {}
            for k, r in enumerate(ranges):
                for p, _ in r:
                    range_of.setdefault(p, k)
            mentions = [whole.assign(_range=whole["patient_id"].map(range_of)).sort_values("_range", kind="stable")]
        reviews = _RangeReader(by_row(_csv_parts(review_csv, REVIEW_REQUIRED), case_ends))
        mentions = _RangeReader(mentions)
        for k in range(len(case_ends)):
            yield reviews.take(k), mentions.take(k)


def load_result(out_dir: str | Path) -> FolderResult:
    """A run's output folder (review.csv, evidence.csv, run.json) as a result the page is written from."""
    out = Path(out_dir)
    if not out.is_dir():
        raise ReportInputError(f"{out} is not a folder (write one with `scs-abstract run NOTES --out {out}`)")
    needed = ["review.csv", "evidence.csv", "run.json"]
    absent = [n for n in needed if not (out / n).is_file()]
    if absent:
        raise ReportInputError(f"{out} has no {', '.join(absent)}; report needs {', '.join(needed)} "
                               f"as written by `scs-abstract run NOTES --out {out}`")
    _csv_columns(out / "review.csv", REVIEW_REQUIRED)  # a file the page cannot be built from fails here
    _csv_columns(out / "evidence.csv", EVIDENCE_REQUIRED)
    try:
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise ReportInputError(f"{out / 'run.json'}: not readable JSON ({e.__class__.__name__})") from None
    if not isinstance(run, dict):
        raise ReportInputError(f"{out / 'run.json'}: expected a JSON object")
    import pandas as pd
    return FolderResult(out, run, pd.DataFrame())


def write_report(out_dir: str | Path) -> Path:
    """Rebuild OUT_DIR/report.html from the folder's tables; the file is replaced atomically."""
    from pipeline.io.atomic import atomic_write

    out = Path(out_dir)
    result = load_result(out)
    target = out / "report.html"
    atomic_write(target, lambda tmp: write_report_file(result, tmp))
    return target


__all__ = ["render_report", "report_parts", "write_report_file", "write_report", "load_result", "FolderResult",
           "requirement"]
