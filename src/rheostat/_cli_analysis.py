"""The analysis verbs of the command line: ``rheostat doctor`` and ``rheostat plan``.

::

    rheostat doctor STUDY --storage URL [--format table|json]
    rheostat importance STUDY --storage URL [--format table|json]
    rheostat plan --params N --budget-hours H --minutes-per-trial M [--grid-size K] [--reports]
    rheostat plan --space space.json --budget-hours H --minutes-per-trial M [--reports]

``rheostat.cli`` wires them in; this module renders and parses, ``rheostat.analysis`` decides.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rheostat._cli_format import render_json
from rheostat.analysis import Finding, Plan, plan
from rheostat.distributions import Distribution, Float, Int
from rheostat.space import Space
from rheostat.storage import Storage
from rheostat.study import load_study

__all__ = [
    "add_plan_verb",
    "cmd_doctor",
    "cmd_importance",
    "cmd_plan",
    "render_findings",
    "render_importance",
    "render_plan",
]

_WIDTH = 100


def _wrap(text: str, indent: str) -> str:
    rest = " " * (len(indent) + 2)
    return textwrap.fill(text, width=_WIDTH, initial_indent=indent, subsequent_indent=rest)


def _evidence(evidence: Any) -> str:
    def show(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(show(x) for x in v) + "]"
        return str(v)

    return ", ".join(f"{k}={show(v)}" for k, v in evidence.items())


def render_findings(study_name: str, n_trials: int, findings: Sequence[Finding]) -> str:
    """The doctor's text report: a summary line, then one block per finding."""
    if not findings:
        return f"study {study_name!r}: no findings ({n_trials} trials checked)\n"
    counts = Counter(f.severity for f in findings)
    names = {"error": "errors", "warning": "warnings", "info": "info"}
    summary = ", ".join(
        f"{counts[s]} {s.value if counts[s] == 1 else names[s.value]}"
        for s in sorted(counts, key=lambda s: s.rank)
    )
    out = [f"study {study_name!r}: {len(findings)} findings ({summary}; {n_trials} trials)"]
    for f in findings:
        out.append("")
        out.append(f"{f.severity.value.upper()}  {f.code}")
        out.append(_wrap(f.message, "  "))
        if f.evidence:
            out.append(_wrap("evidence: " + _evidence(f.evidence), "  "))
        out.append(_wrap("fix: " + f.fix, "  "))
    return "\n".join(out) + "\n"


def cmd_doctor(args: argparse.Namespace, storage: Storage) -> int:
    """``rheostat doctor STUDY``: print the findings; exit 0 whatever they are."""
    study = load_study(args.study, storage)
    trials = study.trials
    findings = study.doctor()
    if args.format == "json":
        sys.stdout.write(
            render_json(
                {
                    "study": study.study_name,
                    "trials": len(trials),
                    "findings": [f.to_json() for f in findings],
                }
            )
        )
    else:
        sys.stdout.write(render_findings(study.study_name, len(trials), findings))
    return 0


def render_importance(study_name: str, imp: dict[str | tuple[str, str], float]) -> str:
    """The importance table: one row per parameter or pair, most important first."""
    rows = [(k if isinstance(k, str) else " x ".join(k), v) for k, v in imp.items()]
    width = max([len("parameter"), *(len(name) for name, _ in rows)])
    out = [f"study {study_name!r}: share of the objective's variance (fANOVA)"]
    out.append(f"{'parameter'.ljust(width)}  share")
    out += [f"{name.ljust(width)}  {v:6.1%}" for name, v in rows]
    return "\n".join(out) + "\n"


def cmd_importance(args: argparse.Namespace, storage: Storage) -> int:
    """``rheostat importance STUDY``: each parameter's and pair's share of the variance."""
    study = load_study(args.study, storage)
    try:
        imp = study.importance()
    except ImportError as exc:  # printed as one error line, like any other
        raise ValueError(str(exc)) from None
    if args.format == "json":
        params = {k: v for k, v in imp.items() if isinstance(k, str)}
        pairs = [{"params": list(k), "share": v} for k, v in imp.items() if isinstance(k, tuple)]
        data = {"study": study.study_name, "params": params, "pairs": pairs}
        sys.stdout.write(render_json(data))
    else:
        sys.stdout.write(render_importance(study.study_name, imp))
    return 0


def render_plan(p: Plan) -> str:
    """The planner's text report."""
    rows = [
        ("strategy", p.strategy),
        ("n_trials", str(p.n_trials)),
        ("scheduler", p.scheduler or "none"),
        ("final_validation_seeds", str(p.final_validation_seeds)),
        ("budget_trials", str(p.budget_trials)),
        ("grid_size", "-" if p.grid_size is None else str(p.grid_size)),
    ]
    width = max(len(k) for k, _ in rows)
    out = [f"{k.ljust(width)}  {v}" for k, v in rows]
    for title, items in (("reasons", p.reasons), ("warnings", p.warnings)):
        if items:
            out.append(f"{title}:")
            out += [_wrap(item, "  - ") for item in items]
    return "\n".join(out) + "\n"


def _space(args: argparse.Namespace) -> Space:
    if (args.space is None) == (args.params is None):
        raise ValueError("plan: give either --space FILE or --params N (not both)")
    if args.space is not None:
        if args.grid_size is not None:
            raise ValueError("plan: --grid-size goes with --params; a space file has its ranges")
        with open(args.space, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as exc:
                raise ValueError(f"plan: {args.space} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(
                f"plan: {args.space} must hold a JSON object of name -> distribution, as "
                "Space.to_json() writes"
            )
        try:
            return Space.from_json(data)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"plan: {args.space} is not a space: {exc!r}") from None
    if args.params < 1:
        raise ValueError(f"plan: --params must be >= 1, got {args.params}")
    if args.grid_size is not None and args.grid_size < 1:
        raise ValueError(f"plan: --grid-size must be >= 1, got {args.grid_size}")
    dist: Distribution = Float(0.0, 1.0) if args.grid_size is None else Int(1, args.grid_size)
    return Space({f"p{i + 1}": dist for i in range(args.params)})


def cmd_plan(args: argparse.Namespace) -> int:
    """``rheostat plan``: print the recommended search; needs no storage."""
    p = plan(
        _space(args),
        budget_hours=args.budget_hours,
        minutes_per_trial=args.minutes_per_trial,
        reports_intermediate=args.reports,
    )
    sys.stdout.write(render_json(p.to_json()) if args.format == "json" else render_plan(p))
    return 0


def add_plan_verb(verbs: Any) -> argparse.ArgumentParser:
    """Add ``plan`` to the sub-command parsers ``verbs``; it runs without a storage."""
    help_ = "recommend a search (strategy, trials, pruning, seeds) for a space and a budget"
    p: argparse.ArgumentParser = verbs.add_parser("plan", help=help_, description=help_)
    p.add_argument("--space", metavar="FILE", help="a JSON space, as Space.to_json() writes")
    p.add_argument("--params", type=int, metavar="N", help="or: the number of parameters")
    p.add_argument(
        "--grid-size", type=int, metavar="K", help="values per parameter (with --params)"
    )
    p.add_argument("--budget-hours", type=float, required=True, metavar="H")
    p.add_argument("--minutes-per-trial", type=float, required=True, metavar="M")
    p.add_argument(
        "--reports", action="store_true", help="trials report intermediate values (epochs)"
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=cmd_plan, offline=True)
    return p
