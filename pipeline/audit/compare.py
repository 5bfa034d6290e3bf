"""Audit: compare the pipeline's review table with a human abstractor's gold table.

    scs-abstract audit --gold gold_review.csv --review out/review.csv --out audit/
    scs-abstract audit --gold gold_review.csv --notes notes.csv --cases cases.csv --out audit/
    scs-abstract audit sample out/review.csv --n 30 --seed 7 --out qa_sample.csv

Agreement uses the review contract's tolerances and reproduces
`shared/tools/score_review.py` figure for figure (same fields, same
denominators), so a number in an audit report can be checked with that script.
Everything else (Wilson intervals, Cohen's kappa, documentation found,
confusion matrices, discrepancies with their evidence) is computed by the
pure functions below, which a notebook can call on DataFrames directly.

Note text never goes to stdout/stderr: evidence sentences are written only to
discrepancies.csv and the report files.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from typing import Iterable, NamedTuple, Sequence

import pandas as pd

from pipeline.scoring.contract import CONTRACT_SCORERS, DETERMINATIONS, PSYCH_CLEARANCE, REVIEW_COLUMNS, STATUSES
from pipeline.scoring.scorers import SCORERS

_FACTS = [SCORERS[key].facts for key in CONTRACT_SCORERS]  # the contract's criteria, in its order

# score_review.py's fields, in its order: the figures it prints are the ones we must reproduce
STATUS_FIELDS = [f"{f.criterion}_status" for f in _FACTS]
NUMERIC_TOLERANCE = {col: tol for f in _FACTS for col, tol in f.tolerance.items()}
DATE_FIELDS = ["odi_date", "pt_first_date", "pt_last_date"]
OTHER_FIELDS = ["psych_clearance", "determination", "missing"]
SCORED_FIELDS = STATUS_FIELDS + list(NUMERIC_TOLERANCE) + DATE_FIELDS + OTHER_FIELDS
# contract columns score_review.py does not score: reported beside, left out of its summary figure
REFERENCE_FIELDS = ["review_date", "odi_note_id", "trial_note_id", "psych_note_id"]
KAPPA_FIELDS = STATUS_FIELDS + ["psych_clearance", "determination"]
CONFUSION_FIELDS = ["determination"] + STATUS_FIELDS + ["psych_clearance"]
VOCABULARY = {**{f: list(STATUSES) for f in STATUS_FIELDS}, "psych_clearance": list(PSYCH_CLEARANCE),
              "determination": list(DETERMINATIONS)}
EMPTY_LABEL = "(empty)"

CRITERIA = [f.criterion for f in _FACTS]
# per criterion: its status column and the columns that hold a documented value
CRITERION_COLUMNS = {f.criterion: (f"{f.criterion}_status", list(f.columns)) for f in _FACTS}
FIELD_CRITERION = {c: crit for crit, (status, values) in CRITERION_COLUMNS.items() for c in [status, *values]}
NOT_A_VALUE = {"", "nan", "none_found"}

DISCREPANCY_COLUMNS = ["patient_id", "field", "gold", "pipeline", "case_in_review", "criterion", "note_id",
                       "sentence"]


class AuditResult(NamedTuple):
    agreement: pd.DataFrame       # field, agree, n, pct, ci_low, ci_high, kappa, in_score_review
    documentation: pd.DataFrame   # criterion, tp, fp, fn, tn, precision, recall, f1
    confusion: dict               # field -> DataFrame (rows gold, columns pipeline)
    discrepancies: pd.DataFrame   # DISCREPANCY_COLUMNS
    summary: dict                 # cases, determination, fields_pct, missing cases, columns ignored
    notes: list                   # messages about the inputs (cases missing, columns ignored, ...)


# ---------------------------------------------------------------------------------------------
# comparing one value: the rules of score_review.py, kept identical so the figures agree


def norm_date(value: str) -> str:
    """A date cell as ISO `YYYY-MM-DD`, with score_review.py's formats and fallback."""
    v = (value or "").strip()
    if not v:
        return ""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            pass
    return v[:10]


def values_agree(field: str, gold: str, got: str) -> bool:
    """Whether the pipeline's cell matches the gold cell under the contract's tolerance for `field`."""
    gold, got = (gold or "").strip(), (got or "").strip()
    if field in NUMERIC_TOLERANCE:
        if not gold or gold.lower() == "nan":
            return not got or got.lower() == "nan"
        try:
            return abs(float(gold) - float(got)) <= NUMERIC_TOLERANCE[field]
        except ValueError:
            return False
    if field in DATE_FIELDS or field == "review_date":
        return norm_date(gold) == norm_date(got)
    if field == "missing":
        return set(filter(None, gold.split(";"))) == set(filter(None, got.split(";")))
    return gold.lower() == got.lower()


# ---------------------------------------------------------------------------------------------
# statistics


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for k successes in n: unlike k/n +- z*se it stays inside [0, 1] and is
    honest at 100 % agreement on a small sample. (nan, nan) when n is 0."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= k <= n:
        raise ValueError(f"wilson_interval: need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two raters' labels: agreement corrected for what their label frequencies
    would give by chance. nan when chance agreement is 1 (both used one and the same label),
    as scikit-learn's `cohen_kappa_score` returns."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: {len(a)} labels vs {len(b)}")
    n = len(a)
    if n == 0:
        return math.nan
    observed = sum(x == y for x, y in zip(a, b)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count * count_b[label] for label, count in count_a.items()) / (n * n)
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def confusion(gold: Sequence, got: Sequence, labels: Sequence | None = None) -> pd.DataFrame:
    """Counts of (gold label, pipeline label): rows are gold, columns the pipeline.

    `labels` fixes the order (a vocabulary shows its empty rows too); labels seen but not listed
    are appended, so nothing is dropped silently.
    """
    gold, got = list(gold), list(got)
    if len(gold) != len(got):
        raise ValueError(f"confusion: {len(gold)} gold labels vs {len(got)}")
    order = list(labels or [])
    order += sorted({*gold, *got} - set(order), key=str)
    table = pd.DataFrame(0, index=pd.Index(order, name="gold"), columns=pd.Index(order, name="pipeline"))
    for g, p in zip(gold, got):
        table.loc[g, p] += 1
    return table


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """nan where the denominator is 0 (nothing found / nothing to find), not a flattering 0 or 1."""
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
    return precision, recall, f1


# ---------------------------------------------------------------------------------------------
# tables in, tables out


def _cell(v) -> str:
    """A cell as the text a CSV of it would hold (NaN/None empty, dates ISO)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text, patient_id stripped, so a table read from CSV and one built in memory compare alike."""
    out = pd.DataFrame({str(c): [_cell(v) for v in df[c].tolist()] for c in df.columns}, index=range(len(df)))
    if "patient_id" in out.columns:
        out["patient_id"] = [p.strip() for p in out["patient_id"]]
    return out


def by_case(df: pd.DataFrame) -> dict[str, dict]:
    """patient_id -> row; a repeated patient_id keeps its last row, as score_review.py does."""
    return {r["patient_id"]: r for r in as_text(df).to_dict("records")}


def audit_fields(gold_columns: Iterable[str]) -> list[str]:
    """The fields to compare: score_review.py's that the gold has, then the other contract columns it has."""
    cols = set(gold_columns)
    return [f for f in SCORED_FIELDS + REFERENCE_FIELDS if f in cols]


def compare(gold_df: pd.DataFrame, review_df: pd.DataFrame) -> pd.DataFrame:
    """One row per (gold case, field): gold, pipeline, agree. A case missing from the review has
    empty pipeline values, so it disagrees wherever the gold has a value."""
    gold, review = by_case(gold_df), by_case(review_df)
    rows = []
    for field in audit_fields(gold_df.columns):
        for pid, g in gold.items():
            got = review.get(pid, {}).get(field, "")
            rows.append((pid, field, g.get(field, ""), got, pid in review, values_agree(field, g.get(field, ""), got)))
    return pd.DataFrame(rows, columns=["patient_id", "field", "gold", "pipeline", "case_in_review", "agree"])


def _label(v: str) -> str:
    v = (v or "").strip().lower()
    return v if v else EMPTY_LABEL


def agreement(gold_df: pd.DataFrame, review_df: pd.DataFrame, compared: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per field: agree/n, percent, Wilson 95 % interval, kappa (categorical fields), and whether
    score_review.py scores it. Every gold case is in the denominator."""
    compared = compare(gold_df, review_df) if compared is None else compared
    rows = []
    for field, grp in compared.groupby("field", sort=False):
        k, n = int(grp["agree"].sum()), len(grp)
        lo, hi = wilson_interval(k, n)
        kappa = (cohen_kappa([_label(v) for v in grp["gold"]], [_label(v) for v in grp["pipeline"]])
                 if field in KAPPA_FIELDS else math.nan)
        rows.append({"field": field, "agree": k, "n": n, "pct": 100.0 * k / n if n else math.nan,
                     "ci_low": 100.0 * lo, "ci_high": 100.0 * hi, "kappa": kappa,
                     "in_score_review": field in SCORED_FIELDS})
    return pd.DataFrame(rows, columns=["field", "agree", "n", "pct", "ci_low", "ci_high", "kappa", "in_score_review"])


def confusion_matrices(compared: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Confusion matrix of determination, each status field and psych_clearance the gold has."""
    out = {}
    for field in CONFUSION_FIELDS:
        grp = compared[compared["field"] == field]
        if len(grp):
            out[field] = confusion([_label(v) for v in grp["gold"]], [_label(v) for v in grp["pipeline"]],
                                   VOCABULARY[field])
    return out


def documentation_found(row: dict, criterion: str, columns: Iterable[str]) -> bool:
    """Did this row document `criterion`: a value present, or a status other than insufficient.
    Only `columns` are looked at, so gold and pipeline are judged on the same columns."""
    status, values = CRITERION_COLUMNS[criterion]
    columns = set(columns)
    if any((row.get(c) or "").strip().lower() not in NOT_A_VALUE for c in values if c in columns):
        return True
    s = (row.get(status) or "").strip().lower() if status in columns else ""
    return bool(s) and s != "insufficient"


def documentation(gold_df: pd.DataFrame, review_df: pd.DataFrame) -> pd.DataFrame:
    """Precision/recall/F1 of "documentation found" per criterion, gold as the truth. A criterion
    whose columns are all absent from the gold is left out; a case missing from the review counts
    as nothing found."""
    gold, review = by_case(gold_df), by_case(review_df)
    rows = []
    for crit in CRITERIA:
        status, values = CRITERION_COLUMNS[crit]
        cols = [c for c in [status, *values] if c in gold_df.columns]
        if not cols:
            continue
        tp = fp = fn = tn = 0
        for pid, g in gold.items():
            want = documentation_found(g, crit, cols)
            found = documentation_found(review.get(pid, {}), crit, cols)
            tp += want and found
            fp += found and not want
            fn += want and not found
            tn += not want and not found
        p, r, f1 = precision_recall_f1(tp, fp, fn)
        rows.append({"criterion": crit, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                     "precision": p, "recall": r, "f1": f1, "columns": ";".join(cols)})
    return pd.DataFrame(rows, columns=["criterion", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "columns"])


def _used_evidence(evidence_df: pd.DataFrame | None) -> pd.DataFrame:
    if evidence_df is None or not len(evidence_df):
        return pd.DataFrame(columns=["patient_id", "criterion", "note_id", "note_date", "sentence", "start"])
    ev = as_text(evidence_df)
    if "patient_id" not in ev.columns:
        return _used_evidence(None)
    for c in ("criterion", "note_id", "note_date", "sentence", "used", "start"):
        if c not in ev.columns:
            ev[c] = ""
    ev = ev[ev["used"].str.strip().str.lower().isin(["true", "1", "yes"])].copy()
    ev["_start"] = pd.to_numeric(ev["start"], errors="coerce")
    ev["_order"] = ev["criterion"].map({c: i for i, c in enumerate(CRITERIA)}).fillna(len(CRITERIA))
    return ev.sort_values(["patient_id", "_order", "note_date", "note_id", "_start"], kind="stable")


def discrepancies(compared: pd.DataFrame, evidence_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every disagreement with the evidence the pipeline used for that field's criterion: note ids
    `;`-joined and their sentences one per line, in the same order. determination and missing list
    the used evidence of all criteria; review_date lists none."""
    ev = _used_evidence(evidence_df)
    groups = {k: g for k, g in ev.groupby(["patient_id", "criterion"], sort=False)} if len(ev) else {}
    rows = []
    wrong = compared[~compared["agree"]]
    case_order = {p: i for i, p in enumerate(dict.fromkeys(compared["patient_id"]))}
    wrong = wrong.iloc[sorted(range(len(wrong)), key=lambda k: case_order[wrong["patient_id"].iloc[k]])]
    for r in wrong.itertuples(index=False):
        if r.field in ("determination", "missing"):
            crits, label = CRITERIA, "all"
        else:
            crit = FIELD_CRITERION.get(r.field)
            crits, label = ([crit] if crit else []), (crit or "")
        used = [groups[(r.patient_id, c)] for c in crits if (r.patient_id, c) in groups]
        used = pd.concat(used) if used else ev.iloc[0:0]
        rows.append({"patient_id": r.patient_id, "field": r.field, "gold": r.gold, "pipeline": r.pipeline,
                     "case_in_review": r.case_in_review, "criterion": label,
                     "note_id": ";".join(used["note_id"]),
                     "sentence": "\n".join(" ".join(s.split()) for s in used["sentence"])})
    return pd.DataFrame(rows, columns=DISCREPANCY_COLUMNS)


def input_notes(gold_df: pd.DataFrame, review_df: pd.DataFrame) -> tuple[list[str], dict]:
    """What the user should know about the inputs: cases missing on either side, gold columns that
    are ignored or absent, duplicates. Returns (messages, the same facts as data)."""
    notes = []
    gold_ids = [str(p).strip() for p in gold_df["patient_id"].map(_cell)]
    review_ids = [str(p).strip() for p in review_df["patient_id"].map(_cell)] if "patient_id" in review_df else []
    gold_set, review_set = dict.fromkeys(gold_ids), dict.fromkeys(review_ids)
    not_in_review = [p for p in gold_set if p not in review_set]
    not_in_gold = [p for p in review_set if p not in gold_set]

    def listing(ids):
        return ", ".join(ids[:50]) + (f", ... and {len(ids) - 50} more" if len(ids) > 50 else "")

    if not_in_review:
        notes.append(f"warning: {len(not_in_review)} gold case(s) missing from the review (their fields disagree "
                     f"wherever the gold has a value): {listing(not_in_review)}")
    if not_in_gold:
        notes.append(f"warning: {len(not_in_gold)} review case(s) not in the gold table (not scored): "
                     f"{listing(not_in_gold)}")
    if "" in gold_set:
        notes.append("warning: gold row(s) with an empty patient_id are counted as one case, as score_review.py does")
    for name, ids in (("gold", gold_ids), ("review", review_ids)):
        dups = sorted({p for p in ids if ids.count(p) > 1})
        if dups:
            notes.append(f"warning: {name} has repeated patient_id(s), the last row of each is used: {listing(dups)}")
    known = set(REVIEW_COLUMNS)
    ignored = [str(c) for c in gold_df.columns if str(c) not in known]
    if ignored:
        notes.append(f"note: gold column(s) not in the review contract are ignored: {', '.join(ignored)}")
    absent = [f for f in SCORED_FIELDS + REFERENCE_FIELDS if f not in set(map(str, gold_df.columns))]
    if absent:
        notes.append(f"note: gold has no column(s) {', '.join(absent)}: not scored")
    lacking = [f for f in audit_fields(map(str, gold_df.columns)) if f not in set(map(str, review_df.columns))]
    if lacking:
        notes.append(f"warning: the review has no column(s) {', '.join(lacking)}: every case counts as empty there")
    facts = {"gold_cases": len(gold_set), "review_cases": len(review_set), "missing_from_review": not_in_review,
             "missing_from_gold": not_in_gold, "ignored_gold_columns": ignored, "absent_gold_columns": absent}
    return notes, facts


def audit(gold_df: pd.DataFrame, review_df: pd.DataFrame, evidence_df: pd.DataFrame | None = None) -> AuditResult:
    """The whole audit in memory: the gold and review tables (and the review's evidence) in, every table out."""
    if "patient_id" not in map(str, gold_df.columns):
        raise ValueError("the gold table has no patient_id column")
    if "patient_id" not in map(str, review_df.columns):
        raise ValueError("the review table has no patient_id column")
    notes, facts = input_notes(gold_df, review_df)
    compared = compare(gold_df, review_df)
    table = agreement(gold_df, review_df, compared)
    scored = table[table["in_score_review"]]
    det = table[table["field"] == "determination"]
    summary = {
        **facts,
        "cases_missing": len(facts["missing_from_review"]),
        "determination": ({"agree": int(det["agree"].iloc[0]), "n": int(det["n"].iloc[0]),
                           "pct": float(det["pct"].iloc[0])} if len(det) else None),
        "fields_pct": (100.0 * scored["agree"].sum() / scored["n"].sum()) if scored["n"].sum() else math.nan,
        "discrepancies": int((~compared["agree"]).sum()),
        "routing": routing_figures(gold_df, review_df),
    }
    return AuditResult(table, documentation(gold_df, review_df), confusion_matrices(compared),
                       discrepancies(compared, evidence_df), summary, notes)


def routing_figures(gold_df: pd.DataFrame, review_df: pd.DataFrame) -> dict | None:
    """How the review's routes met its errors: of the wrong determinations, how many went to a clinician
    (`clinical_review`) and how many were silent (a false approval the worst); and how many right ones went
    to a clinician for uncertainty alone (right, not criteria_not_met, routed to clinical_review)."""
    if "route" not in review_df.columns or "determination" not in gold_df.columns:
        return None
    gold = as_text(gold_df).drop_duplicates("patient_id").set_index("patient_id")["determination"]
    got = as_text(review_df).drop_duplicates("patient_id").set_index("patient_id")
    both = [p for p in gold.index if p in got.index]
    wrong = [p for p in both if not values_agree("determination", gold[p], got.at[p, "determination"])]
    right = [p for p in both if p not in set(wrong)]
    route = got["route"]
    silent = [p for p in wrong if route[p] != "clinical_review"]
    return {"cases": len(both),
            "clinical_review": int(sum(route[p] == "clinical_review" for p in both)),
            "wrong": len(wrong), "wrong_to_clinical_review": len(wrong) - len(silent), "silent_wrong": len(silent),
            "silent_false_approvals": sum(route[p] == "approve" for p in silent),
            "silent_cases": silent,
            "right_to_review_for_uncertainty": sum(route[p] == "clinical_review"
                                                   and got.at[p, "determination"] != "criteria_not_met" for p in right),
            "right": len(right)}


def routing_line(result: AuditResult) -> str | None:
    r = result.summary.get("routing")
    if not r:
        return None
    share = 100.0 * r["clinical_review"] / r["cases"] if r["cases"] else 0.0
    unsure = 100.0 * r["right_to_review_for_uncertainty"] / r["right"] if r["right"] else 0.0
    return (f"routing: {r['clinical_review']}/{r['cases']} cases ({share:.1f}%) to clinical_review; wrong determinations "
            f"{r['wrong']}: {r['wrong_to_clinical_review']} routed to clinical_review, {r['silent_wrong']} silent "
            f"({r['silent_false_approvals']} false approvals); right ones sent for uncertainty alone "
            f"{r['right_to_review_for_uncertainty']}/{r['right']} ({unsure:.1f}%)")


def below(table: pd.DataFrame, min_agreement: float) -> pd.DataFrame:
    """The fields whose agreement is under `min_agreement` percent (a field with no cases counts as under)."""
    return table[~(table["pct"] >= min_agreement)]


def summary_line(result: AuditResult) -> str:
    """score_review.py's last line: `determination A/N (P%) fields F% cases_missing M`."""
    d, s = result.summary["determination"], result.summary
    det = f"{d['agree']}/{d['n']} ({d['pct']:.1f}%)" if d and d["n"] else "n/a"
    fields = f"{s['fields_pct']:.1f}%" if not math.isnan(s["fields_pct"]) else "n/a"
    return f"determination {det} fields {fields} cases_missing {s['cases_missing']}"


def field_lines(table: pd.DataFrame) -> list[str]:
    """One line per field, score_review.py's layout plus the interval and kappa."""
    lines = [f"{'field':20s} {'agree/n':^9s} {'%':>7s}  {'95% CI':^14s} {'kappa':>6s}"]
    for r in table.itertuples(index=False):
        kappa = "" if math.isnan(r.kappa) else f"{r.kappa:6.3f}"
        ci = "" if math.isnan(r.ci_low) else f"[{r.ci_low:5.1f},{r.ci_high:6.1f}]"
        mark = "" if r.in_score_review else "  (not in score_review.py's summary)"
        pct = 100.0 * r.agree / max(r.n, 1)
        lines.append(f"{r.field:20s} {r.agree:4d}/{r.n:<4d} {pct:6.1f}%  {ci:>14s} {kappa:>6s}{mark}")
    return lines


# ---------------------------------------------------------------------------------------------
# the QA sample


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """How many cases to draw from each stratum: one from each while n allows, the rest in
    proportion to size (largest remainder), never more than a stratum holds."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    strata = [s for s in sorted(sizes) if sizes[s] > 0]
    alloc = {s: 0 for s in sizes}
    if n >= len(strata):
        for s in strata:
            alloc[s] = 1
    remaining = n - sum(alloc.values())
    weights = {s: sizes[s] - alloc[s] for s in strata}
    w = sum(weights.values())
    if remaining and w:
        quota = {s: remaining * weights[s] / w for s in strata}
        for s in strata:
            alloc[s] += int(quota[s])
        left = n - sum(alloc.values())
        for s in sorted(strata, key=lambda s: (-(quota[s] - int(quota[s])), -sizes[s], s)):
            if left <= 0:
                break
            if alloc[s] < sizes[s]:
                alloc[s] += 1
                left -= 1
    return alloc


def stratified_sample(review_df: pd.DataFrame, n: int, seed: int, by: str = "determination") -> list[str]:
    """patient_ids of a random sample stratified by `by`: the same table, n and seed give the same
    sample whatever the row order of the file."""
    if n < 1:
        raise ValueError(f"sample size must be at least 1, got {n}")
    rows = by_case(review_df)
    strata: dict[str, list[str]] = {}
    for pid, r in rows.items():
        strata.setdefault(_label(r.get(by, "")), []).append(pid)
    alloc = allocate({s: len(ids) for s, ids in strata.items()}, n)
    rng = random.Random(seed)
    chosen = []
    for s in sorted(strata):
        chosen += rng.sample(sorted(strata[s]), alloc[s])
    return sorted(chosen)


def abstraction_form(review_df: pd.DataFrame, patient_ids: Sequence[str],
                     evidence_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The form a human abstractor fills in: patient_id and review_date given, the review's other
    columns blank (the pipeline's answers are not shown), and the notes worth reading."""
    rows = by_case(review_df)
    columns = [c for c in as_text(review_df.iloc[0:0]).columns if c not in ("patient_id", "review_date")]
    ev = as_text(evidence_df) if evidence_df is not None and len(evidence_df) else None
    notes_of: dict[str, list[str]] = {}
    if ev is not None and {"patient_id", "note_id"} <= set(ev.columns):
        if "note_date" not in ev.columns:
            ev["note_date"] = ""
        for pid, g in ev.sort_values(["note_date", "note_id"], kind="stable").groupby("patient_id", sort=False):
            notes_of[pid] = list(dict.fromkeys(x for x in g["note_id"] if x))
    form = pd.DataFrame({"patient_id": list(patient_ids),
                         "review_date": [rows[p].get("review_date", "") for p in patient_ids],
                         **{c: [""] * len(patient_ids) for c in columns},
                         "note_ids_to_read": [";".join(notes_of.get(p, [])) for p in patient_ids]})
    return form


# ---------------------------------------------------------------------------------------------
# files and the command line
