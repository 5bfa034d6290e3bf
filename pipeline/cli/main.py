"""Command line: `scs-abstract run NOTES --out DIR`.

Exit codes: 0 ok, 1 the run failed, 2 bad usage or input.
"""
from __future__ import annotations

import argparse
import sys

from pipeline.about import __version__
from pipeline.cli import audit, policies, report, run


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scs-abstract", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"scs-abstract {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    # each command's module adds its parser with add_parser(sub) and sets func=handler(args) -> exit code
    for add_parser in (run.add_parser, policies.add_parser, report.add_parser, audit.add_parser):
        add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
