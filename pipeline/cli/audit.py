"""`scs-abstract audit`: agreement with a human abstractor's gold table, and `audit sample` for QA draws."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from pipeline.audit.compare import (_label, abstraction_form, as_text, audit, below, by_case,
                                    field_lines, routing_line, stratified_sample, summary_line)
from pipeline.audit.report import write_audit
from pipeline.cli.options import review_date_option
from pipeline.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, AuditOutputError, InputError
from pipeline.io.atomic import atomic_write


def _read(path: str | Path, what: str, need_patient_id: bool = True) -> pd.DataFrame:
    from pipeline.io.exports import read_table

    df = read_table(path)
    df.columns = [str(c).strip() for c in df.columns]
    if need_patient_id and "patient_id" not in df.columns:
        raise InputError(f"{path}: the {what} table has no patient_id column; it has: "
                         f"{', '.join(map(str, df.columns)) or '(no columns)'}")
    return as_text(df)


def evidence_beside(review_path: str | Path) -> Path | None:
    """evidence.csv (or .parquet) in the folder of the review table, as `run` writes them."""
    folder = Path(review_path).parent
    for name in ("evidence.csv", "evidence.parquet"):
        if (folder / name).is_file():
            return folder / name
    return None


def add_parser(sub) -> argparse.ArgumentParser:
    """`audit` (compare with a gold table) and `audit sample` (draw cases for a human abstractor)."""
    p = sub.add_parser(
        "audit", help="compare a review table with a human abstractor's gold table, or draw a QA sample",
        description="Compare the pipeline's review table with a gold table (per-field agreement with Wilson 95% "
                    "intervals, Cohen's kappa, documentation found P/R/F1, confusion matrices, discrepancies with "
                    "their evidence) and write report.md, report.html, metrics.json and discrepancies.csv to --out. "
                    "`audit sample REVIEW` instead draws a stratified random sample of cases and writes a blank "
                    "abstraction form CSV to --out.",
        epilog="examples:\n"
               "  scs-abstract audit --gold gold_review.csv --review out/review.csv --out audit/\n"
               "  scs-abstract audit --gold gold_review.csv --notes notes.csv --cases cases.csv --out audit/\n"
               "  scs-abstract audit sample out/review.csv --n 30 --seed 7 --out qa_sample.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", nargs="?", choices=["sample"], help="`sample`: draw a QA sample instead of auditing")
    p.add_argument("sample_review", nargs="?", metavar="REVIEW", help="with sample: the review.csv to sample from")
    p.add_argument("--gold", help="the human abstractor's table (review.csv columns, any subset; patient_id required)")
    p.add_argument("--review", help="the pipeline's review.csv; evidence.csv beside it gives the evidence")
    p.add_argument("--notes", help="a note export to run the pipeline on first (instead of --review); its outputs "
                                   "go to OUT/run/")
    p.add_argument("--cases", help="with --notes: CSV of patient_id,review_date")
    p.add_argument("--review-date", help="with --notes: one review date (YYYY-MM-DD) for every case")
    p.add_argument("--policy", default=None, help="with --notes: policy name or YAML path (default: scs-permanent)")
    p.add_argument("--column", action="append", metavar="NAME=SOURCE", default=[],
                   help="with --notes: map an input column, e.g. --column patient_id=MRN (repeatable)")
    p.add_argument("--min-agreement", type=float, metavar="P",
                   help="exit 1 when any field's agreement is below P percent")
    p.add_argument("--n", type=int, default=30, help="with sample: number of cases (default 30)")
    p.add_argument("--seed", type=int, default=0, help="with sample: random seed (default 0); same seed, same sample")
    p.add_argument("--out", required=True, help="audit: output folder; sample: the form CSV to write")
    p.set_defaults(func=run_cli)
    return p


def _error(msg: str) -> int:
    print(f"scs-abstract audit: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def run_cli(args) -> int:

    try:
        if args.action == "sample":
            return _sample_cli(args)
        return _audit_cli(args)
    except InputError as e:
        return _error(str(e))
    except AuditOutputError as e:
        print(f"scs-abstract audit: error: {e}", file=sys.stderr)
        return EXIT_FAILED


def policy_beside(review_path: Path) -> dict | None:
    """The policy the review was scored with, from the run.json written beside review.csv."""
    run_json = Path(review_path).parent / "run.json"
    try:
        policy = json.loads(run_json.read_text(encoding="utf-8")).get("policy")
    except (OSError, ValueError, AttributeError):
        return None
    return {k: policy.get(k) for k in ("name", "source", "sha256")} if isinstance(policy, dict) else None


def _run_pipeline(args, out: Path) -> Path:
    from pipeline.io.exports import parse_column_map, read_cases, read_table
    from pipeline.errors import OutputError
    from pipeline.outputs.folder import write_outputs
    from pipeline.errors import PolicyError
    from pipeline.scoring.policy import load_policy
    from pipeline.engines.memory import review

    columns = parse_column_map(args.column)
    review_date = review_date_option(args.review_date)
    try:
        policy = load_policy(args.policy)
    except PolicyError as e:
        raise InputError(str(e)) from None
    cases = read_cases(args.cases) if args.cases else None
    result = review(read_table(args.notes), cases=cases, policy=policy, review_date=review_date,
                    columns=columns, source=str(args.notes))
    try:
        write_outputs(result, out / "run")
    except OutputError as e:
        raise AuditOutputError(str(e)) from None
    c = result.run["counts"]
    print(f"scs-abstract audit: ran the pipeline: {c['rows_read']} rows read, {c['notes_processed']} notes "
          f"processed, {c['rows_rejected']} rejected; {c['cases']} cases -> {out / 'run'}", file=sys.stderr)
    return out / "run" / "review.csv"


def _audit_cli(args) -> int:
    if args.sample_review:
        return _error(f"unexpected argument {args.sample_review!r}; use --review FILE (or `audit sample FILE`)")
    if not args.gold:
        return _error("--gold is required: the human abstractor's table")
    if bool(args.review) == bool(args.notes):
        return _error("give either --review out/review.csv or --notes NOTES (to run the pipeline first)")
    if not args.notes and (args.cases or args.review_date or args.policy or args.column):
        return _error("--cases, --review-date, --policy and --column go with --notes")
    if args.min_agreement is not None and not 0 <= args.min_agreement <= 100:
        return _error(f"--min-agreement is a percent from 0 to 100, got {args.min_agreement:g}")
    if args.min_agreement is not None and 0 < args.min_agreement < 1:
        return _error(f"--min-agreement is a percent: {args.min_agreement:g} reads as {args.min_agreement:g} %; "
                      f"for {args.min_agreement * 100:g} % give {args.min_agreement * 100:g}")
    out = Path(args.out)
    gold = _read(args.gold, "gold")
    if not len(gold):
        return _error(f"{args.gold}: the gold table has no cases")
    filled = [c for c in gold.columns if c not in ("patient_id", "review_date")
              and gold[c].astype(str).str.strip().replace({"nan": "", "None": ""}).ne("").any()]
    if not filled:
        return _error(f"{args.gold}: the gold table has no filled value (an abstraction form passed back blank?); "
                      f"fill in what the abstractor found before auditing")
    review_path = Path(args.review) if args.review else _run_pipeline(args, out)
    review_df = _read(review_path, "review")
    ev_path = evidence_beside(review_path)
    evidence = _read(ev_path, "evidence", need_patient_id=False) if ev_path else None
    result = audit(gold, review_df, evidence)
    notes = list(result.notes)
    if ev_path is None:
        notes.append(f"note: no evidence.csv beside {review_path}: discrepancies list no evidence")
    result = result._replace(notes=notes)
    for n in notes:
        print(f"scs-abstract audit: {n}", file=sys.stderr)
    inputs = {"gold": str(args.gold), "review": str(review_path), "evidence": str(ev_path) if ev_path else None,
              "notes": str(args.notes) if args.notes else None, "cases": str(args.cases) if args.cases else None,
              "policy": policy_beside(review_path)}
    write_audit(result, out, inputs, args.min_agreement)
    print("\n".join(field_lines(result.agreement)))
    if routing_line(result):
        print(routing_line(result))
    print(summary_line(result))  # last, as score_review.py prints it
    print(f"scs-abstract audit: {result.summary['discrepancies']} discrepancies; wrote report.html, report.md, "
          f"metrics.json, discrepancies.csv to {out}", file=sys.stderr)
    if args.min_agreement is not None:
        low = below(result.agreement, args.min_agreement)
        if len(low):
            print(f"scs-abstract audit: below --min-agreement {args.min_agreement:g}%: "
                  + ", ".join(f"{r.field} {r.pct:.1f}%" for r in low.itertuples()), file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _sample_cli(args) -> int:
    if args.sample_review and args.review and args.sample_review != args.review:
        return _error("give the review table once: `audit sample out/review.csv`")
    path = args.sample_review or args.review
    if not path:
        return _error("`audit sample` needs the review table: scs-abstract audit sample out/review.csv --n 30 "
                      "--seed 7 --out qa_sample.csv")
    if args.gold or args.notes:
        return _error("`audit sample` takes a review table only (no --gold or --notes)")
    if args.n < 1:
        return _error(f"--n {args.n}: the sample needs at least 1 case")
    review_df = _read(path, "review")
    if not len(review_df):
        return _error(f"{path}: the review table has no cases")
    if "determination" not in review_df.columns:
        print(f"scs-abstract audit: warning: {path} has no determination column; the sample is not stratified",
              file=sys.stderr)
    ev_path = evidence_beside(path)
    if ev_path is None:
        print(f"scs-abstract audit: note: no evidence.csv beside {path}: note_ids_to_read is left empty",
              file=sys.stderr)
    evidence = _read(ev_path, "evidence", need_patient_id=False) if ev_path else None
    ids = stratified_sample(review_df, args.n, args.seed)
    form = abstraction_form(review_df, ids, evidence)
    out = Path(args.out)
    if out.is_dir():
        out = out / "qa_sample.csv"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, lambda tmp: form.to_csv(tmp, index=False))
    except OSError as e:
        raise AuditOutputError(f"cannot write {out}: {e.strerror or e.__class__.__name__}") from None
    cases = by_case(review_df)
    strata = pd.Series([_label(cases[p].get("determination", "")) for p in cases]).value_counts()
    drawn = pd.Series([_label(cases[p].get("determination", "")) for p in ids]).value_counts()
    if args.n > len(cases):
        print(f"scs-abstract audit: note: --n {args.n} is more than the {len(cases)} cases; all are in the form",
              file=sys.stderr)
    print(f"scs-abstract audit: sampled {len(ids)} of {len(cases)} cases (seed {args.seed}): "
          + ", ".join(f"{s} {int(drawn.get(s, 0))}/{int(strata[s])}" for s in sorted(strata.index))
          + f" -> {out}", file=sys.stderr)
    return EXIT_OK
