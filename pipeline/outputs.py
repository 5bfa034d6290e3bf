"""Writing the output folder: each file appears complete or not at all."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from .report import render_report
from .review import ReviewResult


_UMASK = os.umask(0)
os.umask(_UMASK)


class OutputError(OSError):
    """The output folder cannot be written (read-only, full disk, ...)."""


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the mode any new file would get
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _csv(df: pd.DataFrame, path: Path) -> None:
    _atomic(path, lambda tmp: df.to_csv(tmp, index=False, date_format="%Y-%m-%d"))


def _parquet(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    _atomic(path, lambda tmp: out.to_parquet(tmp, index=False))


def write_outputs(result: ReviewResult, out_dir: str | Path) -> list[Path]:
    """review.csv/.parquet, evidence.csv/.parquet, rejected.csv, report.html, run.json."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _csv(result.review, out / "review.csv")
        _parquet(result.review, out / "review.parquet")
        _csv(result.evidence, out / "evidence.csv")
        _parquet(result.evidence, out / "evidence.parquet")
        _csv(result.rejected, out / "rejected.csv")
        html = render_report(result)
        _atomic(out / "report.html", lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
        text = json.dumps(result.run, indent=2, default=str)
        _atomic(out / "run.json", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    except OSError as e:
        raise OutputError(f"cannot write to output folder {out}: {e.strerror or e.__class__.__name__}") from None
    return [out / n for n in ("review.csv", "review.parquet", "evidence.csv", "evidence.parquet",
                              "rejected.csv", "report.html", "run.json")]
