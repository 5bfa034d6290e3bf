"""The policy: which criteria a review checks and their thresholds, read from YAML."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

import yaml

from pipeline.errors import PolicyError
from pipeline.resources import policies_dir

DEFAULT_POLICY = "scs-permanent"
POLICY_KEYS = {"name", "title", "source", "description", "criteria"}
CRITERION_KEYS = {"name", "scorer", "description", "review_margin"}


class Criterion(NamedTuple):
    name: str
    scorer: str
    description: str
    params: dict
    review_margin: float | None = None  # a value this close to the threshold goes to a clinician

    @property
    def threshold(self) -> float | None:
        """The bound the value is held to (the scorer's `min_...` parameter), if it has one."""
        return next((v for k, v in self.params.items() if k.startswith("min_") and isinstance(v, (int, float))), None)


class Policy(NamedTuple):
    name: str
    title: str
    source: str
    description: str
    criteria: tuple[Criterion, ...]
    path: str
    sha256: str

    @property
    def criterion_names(self) -> frozenset:
        """The criteria scored, which are the criteria of the mentions read (a scorer reads its criterion's)."""
        return frozenset(c.name for c in self.criteria)


def resolve_policy_path(policy: str | Path | None) -> Path:
    """A policy by shipped name ("scs-permanent") or by path to a YAML file."""
    if policy is None:
        policy = DEFAULT_POLICY
    p = Path(policy)
    if p.suffix in {".yaml", ".yml"} or p.exists():
        if not p.is_file():
            raise PolicyError(f"policy file not found: {p}")
        return p
    shipped = policies_dir() / f"{policy}.yaml"
    if not shipped.is_file():
        names = sorted(x.stem for x in policies_dir().glob("*.yaml"))
        raise PolicyError(f"unknown policy {str(policy)!r}; shipped policies: {', '.join(names)}")
    return shipped


def load_policy(policy: str | Path | None = None) -> Policy:
    """Read and validate a policy; unknown keys and unknown scorers are errors, not silently ignored."""
    from pipeline.scoring.scorers import SCORERS  # every registered criterion scorer

    path = resolve_policy_path(policy)
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise PolicyError(f"{path}: not valid YAML ({e.__class__.__name__})") from e
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping with keys {sorted(POLICY_KEYS)}")
    unknown = set(data) - POLICY_KEYS
    if unknown:
        raise PolicyError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(POLICY_KEYS)}")
    if not data.get("name") or not data.get("criteria"):
        raise PolicyError(f"{path}: 'name' and a non-empty 'criteria' list are required")
    criteria = []
    for i, c in enumerate(data["criteria"]):
        if not isinstance(c, dict) or "name" not in c or "scorer" not in c:
            raise PolicyError(f"{path}: criterion #{i + 1} needs 'name' and 'scorer'")
        scorer = SCORERS.get(c["scorer"])
        if scorer is None:
            raise PolicyError(f"{path}: criterion {c['name']!r}: unknown scorer {c['scorer']!r}; "
                              f"known: {', '.join(sorted(SCORERS))}")
        params = {k: v for k, v in c.items() if k not in CRITERION_KEYS}
        bad = set(params) - set(scorer.params)
        if bad:
            raise PolicyError(f"{path}: criterion {c['name']!r}: unknown parameters {sorted(bad)}; "
                              f"{c['scorer']} takes {sorted(scorer.params)}")
        for k, v in params.items():
            if isinstance(scorer.params[k], (list, tuple)):  # a parameter whose default is a list takes names
                if not (isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)):
                    raise PolicyError(f"{path}: criterion {c['name']!r}: {k} must be a list of names, got {v!r}")
                params[k] = tuple(v)
            elif not isinstance(v, (int, float)) or isinstance(v, bool):
                raise PolicyError(f"{path}: criterion {c['name']!r}: {k} must be a number, got {v!r}")
        margin = c.get("review_margin")
        if margin is not None and (not isinstance(margin, (int, float)) or isinstance(margin, bool) or margin < 0):
            raise PolicyError(f"{path}: criterion {c['name']!r}: review_margin must be a number >= 0, got {margin!r}")
        criteria.append(Criterion(c["name"], c["scorer"], c.get("description", ""), {**scorer.params, **params},
                                  margin))
    return Policy(str(data["name"]), str(data.get("title", "")), str(data.get("source", "")).strip(),
                  str(data.get("description", "")).strip(), tuple(criteria), str(path),
                  hashlib.sha256(raw).hexdigest())
