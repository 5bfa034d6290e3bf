"""`scs-abstract policies`: the shipped policies, with their title and the payer document they follow."""
from __future__ import annotations

import argparse
import json
import sys

from pipeline.scoring import policy as _policy
from pipeline.errors import PolicyError
from pipeline.scoring.policy import DEFAULT_POLICY, load_policy


def shipped_policies() -> list[dict]:
    """Every policy in patterns/policies/: name, title, source, path, default; invalid files carry an error."""
    out = []
    for path in sorted(_policy.policies_dir().glob("*.yaml")):
        try:
            p = load_policy(path)
            out.append({"name": p.name, "title": p.title, "source": p.source, "default": p.name == DEFAULT_POLICY,
                        "criteria": [c.name for c in p.criteria], "path": str(path)})
        except PolicyError as e:
            out.append({"name": path.stem, "error": str(e), "path": str(path)})
    return out


def run(args: argparse.Namespace) -> int:
    policies = shipped_policies()
    if args.json:
        print(json.dumps(policies, indent=2))
    else:
        for p in policies:
            if "error" in p:
                continue
            print(f"{p['name']}{'  (default)' if p['default'] else ''}\n  title:    {p['title']}\n"
                  f"  source:   {p['source']}\n  criteria: {', '.join(p['criteria'])}\n")
    bad = [p for p in policies if "error" in p]
    for p in bad:
        print(f"scs-abstract: error: {p['error']}", file=sys.stderr)
    return 1 if bad else 0


def add_parser(sub) -> None:
    p = sub.add_parser("policies", help="list the shipped policies (name, title, source)",
                       description="List the policies shipped in patterns/policies/: name, title, the payer "
                                   "document each follows, and its criteria. Use a name with run --policy NAME.")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=run)
