"""`scs-abstract report OUT_DIR`: rebuild the reviewer's page from a finished run's tables."""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ReportInputError


def add_parser(sub) -> None:
    """Register `scs-abstract report OUT_DIR` on the CLI's subparsers."""
    p = sub.add_parser("report", help="rebuild report.html from an output folder",
                       description="Rebuild OUT_DIR/report.html from the review.csv, evidence.csv and run.json that "
                                   "`scs-abstract run` wrote there (e.g. after editing the page's code, or to "
                                   "show the current policy's thresholds). The page is replaced atomically.")
    p.add_argument("out_dir", metavar="OUT_DIR", help="output folder of a run")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    """Exit 0 ok, 1 the page cannot be written, 2 the folder's files are missing or unreadable."""
    try:
        from pipeline.outputs.report.render import write_report

        path = write_report(args.out_dir)
    except ReportInputError as e:
        print(f"scs-abstract: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"scs-abstract: error: cannot write {Path(args.out_dir) / 'report.html'}: "
              f"{e.strerror or e.__class__.__name__}", file=sys.stderr)
        return EXIT_FAILED
    print(f"scs-abstract: report -> {path}", file=sys.stderr)
    return EXIT_OK
