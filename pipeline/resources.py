"""Where the packaged rules and policies are (importlib.resources): no spaCy, so light commands can ask."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def default_patterns_dir() -> Path:
    """The rule files installed with the package (the repository's `patterns/`)."""
    return Path(str(resources.files("pipeline.patterns")))


def policies_dir() -> Path:
    """The shipped payer policies."""
    return default_patterns_dir() / "policies"
