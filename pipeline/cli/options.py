"""Options more than one command reads, parsed in one place."""
from __future__ import annotations

from pipeline.errors import InputError
from pipeline.io.dates import parse_date


def review_date_option(value: str | None):
    """--review-date as a date (None when not given); a bad value is an input error."""
    if not value:
        return None
    d = parse_date(value)
    if d is None:
        raise InputError(f"--review-date {value!r}: not a date (use YYYY-MM-DD)")
    return d
