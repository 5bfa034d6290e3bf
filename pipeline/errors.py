"""The errors a user can meet, and the exit codes they map to: a leaf module every stage may import."""
from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class InputError(ValueError):
    """Input that cannot be read at all (exit code 2); the message names the file and what to do."""


class PolicyError(ValueError):
    """A policy file that cannot be used, with the file and the problem named (exit code 2)."""


class OutputError(OSError):
    """The output folder cannot be written (read-only, full disk, ...; exit code 1)."""


class AuditOutputError(OSError):
    """The audit's output cannot be written (exit code 1)."""


class ReportInputError(ValueError):
    """An output folder whose files cannot rebuild the report."""
