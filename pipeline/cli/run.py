"""`scs-abstract run NOTES --out DIR`: the whole review of a note export, written to a folder."""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path

from pipeline.cli.options import review_date_option
from pipeline.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, InputError, OutputError, PolicyError


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="abstract a note export into a review table with evidence",
                         description="Read a note export, run the medspaCy pipeline and the criteria scorer, and "
                                     "write review.csv/.parquet, evidence.csv/.parquet, rejected.csv, report.html "
                                     "and run.json to --out.")
    run.add_argument("notes", help="note export: .csv, .tsv, .parquet, .jsonl (optionally .gz), or a folder of "
                                   ".txt notes with a manifest.csv")
    run.add_argument("--cases", help="CSV of patient_id,review_date; decides which cases are reviewed and their "
                                     "review dates")
    run.add_argument("--review-date", help="one review date (YYYY-MM-DD) for every case when there is no --cases; "
                                           "default: each patient's latest note date")
    run.add_argument("--policy", default=None, help="shipped policy name or path to a policy YAML "
                                                    "(default: scs-permanent)")
    run.add_argument("--column", action="append", metavar="NAME=SOURCE", default=[],
                     help="map an input column, e.g. --column patient_id=MRN --column text=NOTE_TEXT (repeatable)")
    run.add_argument("--out", required=True, help="output folder (created if missing)")
    run.add_argument("--patterns", default=None, help="folder of rule files to use instead of the packaged patterns/")
    run.add_argument("--workers", type=int, default=1, metavar="N",
                     help="worker processes for the per-note extraction (default 1)")
    run.add_argument("--chunk-size", type=int, default=5000, metavar="ROWS",
                     help="rows read, extracted and checkpointed at a time (default 5000); memory stays bounded")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted run from its last finished chunk (same input, options and rules)")
    run.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal anyway)")
    run.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="run on a Dask cluster: the dask.distributed scheduler's address (e.g. tcp://10.0.0.5:8786); "
                          "the workers read NOTES by its path, so it must be on storage they share")
    run.add_argument("--partition-mb", type=float, default=64, metavar="MB",
                     help="with --scheduler: megabytes of CSV/JSONL per partition (default 64)")
    run.add_argument("--fhir", action="store_true",
                     help="also write one FHIR R4 QuestionnaireResponse per case to OUT/fhir/<patient_id>.json")
    run.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from pipeline.engines.batch import clear_checkpoints, run_batch
    from pipeline.io.exports import parse_column_map, read_cases
    from pipeline.outputs.folder import debug_mode, describe_failure, input_failure, write_outputs
    from pipeline.scoring.policy import load_policy

    started = dt.datetime.now(dt.timezone.utc)
    try:
        columns = parse_column_map(args.column)
        review_date = review_date_option(args.review_date)
        if args.workers < 1 or args.chunk_size < 1:
            raise InputError("--workers and --chunk-size must be at least 1")
        policy = load_policy(args.policy)
        cases = read_cases(args.cases) if args.cases else None
        if args.scheduler:
            if args.resume or args.workers != 1:
                raise InputError("--resume and --workers apply to local runs; with --scheduler the cluster's "
                                 "workers do the work")
            if "line" in columns:
                raise InputError("--column line: a table of one row per line is put together by a local run; "
                                 "run it without --scheduler")
            from pipeline.engines.distributed import run_on_cluster
            result = run_on_cluster(args.notes, args.scheduler, cases=cases, review_date=review_date,
                                    policy=policy, columns=columns, patterns_dir=args.patterns,
                                    blocksize=max(int(args.partition_mb * (1 << 20)), 1))
        else:
            result = run_batch(args.notes, args.out, cases=cases, review_date=review_date, policy=policy,
                               columns=columns, patterns_dir=args.patterns, chunk_size=args.chunk_size,
                               workers=args.workers, resume=args.resume, quiet=args.quiet)
    except (InputError, PolicyError) as e:
        print(f"scs-abstract: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("scs-abstract: interrupted; finished chunks are kept: rerun with --resume to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # unexpected: its message may quote a note, so only its kind and place are shown
        if debug_mode():
            raise
        print(f"scs-abstract: error: {describe_failure(e, args.out, args.notes)}", file=sys.stderr)
        return EXIT_USAGE if input_failure(e, args.notes) else EXIT_FAILED
    result.run.update(_what_was_read(args, columns, started))
    c = result.run["counts"]
    reasons = _reason_counts(result) if c["rows_rejected"] else ""  # before the checkpoints that hold them go
    if c["rows_read"] and c["rows_rejected"] * 2 > c["rows_read"]:
        result.run["warning"] = (f"{c['rows_rejected']} of {c['rows_read']} input rows were rejected "
                                 f"({reasons}): see rejected.csv")
    try:
        write_outputs(result, args.out, processes=args.workers)  # local runs: their tables are files
        if args.fhir:
            from pipeline.outputs.fhir import write_fhir
            write_fhir(result, args.out, policy=policy)
        clear_checkpoints(args.out)  # the run is complete: its checkpoints (which hold evidence) go
    except OutputError as e:
        print(f"scs-abstract: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:  # as above: never the exception's message
        if debug_mode():
            raise
        print(f"scs-abstract: error: {describe_failure(e, args.out, args.notes)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"scs-abstract: {c['rows_read']} rows read, {c['notes_processed']} notes processed, "
          f"{c['rows_rejected']} rejected; {c['cases']} cases -> {args.out}", file=sys.stderr)
    if c["rows_read"] and not c["notes_processed"]:
        print(f"scs-abstract: error: no input row could be processed ({reasons}); "
              f"see {Path(args.out) / 'rejected.csv'}", file=sys.stderr)
        return EXIT_USAGE
    if "warning" in result.run:
        print(f"scs-abstract: warning: {result.run['warning']}", file=sys.stderr)
    return EXIT_OK


_WHERE = r"\s*\([^()]*\b(?:line|entry) \d+\)$"  # where in a multi-file export a rejected record was: "(Binary.ndjson line 3)"


def _reason_counts(result, top: int = 4) -> str:
    """The commonest reasons rows were rejected, with their counts (never a row's text)."""
    counts: dict[str, int] = {}
    for frame in result.rejected_parts():
        kinds = frame["reason"].astype(str).str.replace(_WHERE, "", regex=True).str.split(":").str[0]
        for reason, k in kinds.value_counts().items():
            counts[reason] = counts.get(reason, 0) + int(k)
    ranked = sorted(counts.items(), key=lambda rk: -rk[1])
    return "; ".join(f"{k} x {r}" for r, k in ranked[:top]) + ("; ..." if len(ranked) > top else "")


def _fingerprint(path: Path) -> dict:
    """An input's path, size and sha256 (a folder: its manifest's), read in blocks."""
    target = path
    if path.is_dir():
        target = next((p for p in (path / "manifest.csv", path / "notes.csv") if p.is_file()), None)
        if target is None:
            return {"path": str(path), "folder": True}
    h = hashlib.sha256()
    with open(target, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"path": str(path), **({"manifest": str(target)} if target != path else {}),
            "size_bytes": target.stat().st_size, "sha256": h.hexdigest()}


def _what_was_read(args, columns, started) -> dict:
    """run.json's record of the inputs, the options and when the run started and ended: what a QA team needs to
    tie a review table to its export (never note text)."""
    inputs = {"notes": _fingerprint(Path(args.notes))}
    if args.cases:
        inputs["cases"] = _fingerprint(Path(args.cases))
    options = {"out": str(args.out), "cases": args.cases, "review_date": args.review_date, "policy": args.policy,
               "columns": dict(columns or {}), "patterns": args.patterns, "workers": args.workers,
               "chunk_size": args.chunk_size, "resume": args.resume, "fhir": args.fhir}
    return {"inputs": inputs, "options": options, "started": started.isoformat(timespec="seconds"),
            "ended": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}

