"""Recall and invented values per phrasing family: the matrix in tests/data/phrases/ run through the pipeline.

    .venv/bin/python benchmarks/phrases.py [--show missed|wrong|invented ...] [--write-known-misses] [MATRIX.csv ...]

Prints, per criterion and family, the values read of those to read, the traps passed, the values
invented and the wrong values; then the totals, and with --show the rows of those outcomes (the
matrix's text is written for testing, not taken from a patient).
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    from pipeline.audit.phrases import evaluate, family_table, matrix_files, read_matrix

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("matrix", nargs="*", help="matrix CSVs (default: tests/data/phrases/*.csv)")
    p.add_argument("--show", nargs="*", default=[], choices=["missed", "wrong", "invented"])
    p.add_argument("--write-known-misses", action="store_true",
                   help="rewrite tests/data/phrases/known_misses.csv with the rows not read right now (review the diff)")
    a = p.parse_args(argv)
    paths = a.matrix or matrix_files(ROOT / "tests" / "data" / "phrases")
    results = evaluate(read_matrix(paths))
    print(family_table(results).to_string(index=False))
    reads = results[results["kind"] == "read"]
    print(f"\nvalues read: {(reads['outcome'] == 'right').sum()}/{len(reads)} "
          f"({100.0 * (reads['outcome'] == 'right').mean():.1f}%); "
          f"traps right: {(results[results['kind'] == 'trap']['outcome'] == 'right').sum()}/"
          f"{(results['kind'] == 'trap').sum()}; invented: {(results['outcome'] == 'invented').sum()}; "
          f"wrong value: {(results['outcome'] == 'wrong').sum()} of {len(results)} rows")
    if a.write_known_misses:
        bad = results[results["outcome"] != "right"][["id", "outcome", "got"]].rename(columns={"got": "read"})
        bad.to_csv(ROOT / "tests" / "data" / "phrases" / "known_misses.csv", index=False)
    for kind in a.show:
        for r in results[results["outcome"] == kind].itertuples():
            print(f"[{kind}] {r.id} expected={r.expected!r} got={r.got!r} :: {r.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
