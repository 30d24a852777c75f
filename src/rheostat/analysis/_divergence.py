"""The ``divergent-trials`` doctor check: trials whose training blew up (NaN, inf, one step)."""

from __future__ import annotations

import math
import re
import statistics

from rheostat.analysis._context import Context, fmt, position
from rheostat.analysis._findings import Finding, Severity
from rheostat.distributions import Categorical, Distribution
from rheostat.trial import TrialRecord, TrialState

__all__ = ["MANY_STEPS", "check_divergent_trials"]

MANY_STEPS = 5

_DIVERGED = re.compile(r"\b(nan|inf|infinity|infinite|overflow|diverg\w*)\b", re.IGNORECASE)


def _one_step(ctx: Context) -> list[TrialRecord]:
    """Complete trials that reported one step while most others reported ``MANY_STEPS``+."""
    reporting = [t for t in ctx.complete if t.intermediate_values]
    many = [t for t in reporting if len(t.intermediate_values) >= MANY_STEPS]
    if len(many) < 3 or len(many) * 2 < len(reporting):
        return []
    budgets = [t.budget for t in many if t.budget is not None]
    full = max(budgets) if budgets else None
    return [
        t
        for t in reporting
        if len(t.intermediate_values) == 1
        and (full is None or t.budget is None or t.budget >= full)
    ]


def _positions(dist: Distribution, name: str, trials: list[TrialRecord]) -> list[float]:
    found = (position(dist, t.params[name]) for t in trials if name in t.params)
    return [p for p in found if p is not None]


def _categorical_culprit(
    ctx: Context, diverged: list[TrialRecord], others: list[TrialRecord]
) -> str | None:
    """A sentence naming a categorical choice that most divergent trials and few others made."""
    for name, dist in ctx.distributions.items():
        if not isinstance(dist, Categorical):
            continue
        for choice in dist.choices:
            bad = sum(1 for t in diverged if name in t.params and t.params[name] == choice)
            good = sum(1 for t in others if name in t.params and t.params[name] == choice)
            if bad >= 0.8 * len(diverged) and good <= 0.2 * max(len(others), 1):
                return (
                    f"{bad} of the {len(diverged)} divergent trials have {name}={choice!r} "
                    f"(and {good} of the {len(others)} others): find out why that choice fails "
                    "(an early exit in the training loop, a step size too large for it), or "
                    "drop it from the choices"
                )
    return None


def _culprit(ctx: Context, bad: set[int]) -> str:
    """A sentence naming the numeric parameter whose values set the divergent trials apart."""
    diverged = [t for t in ctx.trials if t.number in bad]
    others = [t for t in ctx.finished if t.number not in bad]
    best: tuple[float, str, str, float] | None = None
    for name, dist in ctx.distributions.items():
        pb = _positions(dist, name, diverged)
        po = _positions(dist, name, others)
        if not pb or not po:
            continue
        gap = statistics.median(pb) - statistics.median(po)
        if abs(gap) >= 0.25 and (best is None or abs(gap) > abs(best[0])):
            values = [float(t.params[name]) for t in diverged if name in t.params]  # type: ignore[arg-type]
            side, edge = ("high", min(values)) if gap > 0 else ("low", max(values))
            best = (gap, name, side, edge)
    if best is None:
        return _categorical_culprit(ctx, diverged, others) or (
            "lower the upper bound of the learning rate (or any step size), add gradient "
            "clipping, and check the inputs for NaN"
        )
    _, name, side, edge = best
    verb = "lower the high bound of" if side == "high" else "raise the low bound of"
    return (
        f"the divergent trials have {name!r} near its {side} end: {verb} {name!r} to below "
        f"{fmt(edge)}"
        + (" (the smallest value that diverged)" if side == "high" else "")
        + ", or add gradient clipping"
    )


def check_divergent_trials(ctx: Context) -> list[Finding]:
    """``divergent-trials`` (WARNING; ERROR when half the finished trials or more): trials whose
    training blew up.

    Rule: any trial that reported a NaN or infinite intermediate value; any ``FAILED`` trial
    whose message mentions nan, inf, overflow or divergence; any ``COMPLETE`` trial that
    reported exactly one step (at full budget) while at least three and most reporting trials
    reported ``MANY_STEPS`` (5) or more.
    """
    nonfinite = {
        t.number
        for t in ctx.trials
        if any(not math.isfinite(v) for v in t.intermediate_values.values())
    }
    failed = {
        t.number
        for t in ctx.trials
        if t.state is TrialState.FAILED and t.message and _DIVERGED.search(t.message)
    }
    one_step = {t.number for t in _one_step(ctx)}
    bad = nonfinite | failed | one_step
    if not bad:
        return []
    n_finished = max(len(ctx.finished), 1)
    severity = Severity.ERROR if len(bad) * 2 >= n_finished else Severity.WARNING
    parts = [
        f"{len(s)} {label}"
        for s, label in (
            (nonfinite, "reported NaN or inf"),
            (failed, "failed with NaN, inf or overflow"),
            (one_step, "finished after one step while others ran many"),
        )
        if s
    ]
    return [
        Finding(
            "divergent-trials",
            severity,
            f"{len(bad)} trials diverged ({'; '.join(parts)})",
            {
                "divergent": len(bad),
                "finished": len(ctx.finished),
                "trials": sorted(bad)[:20],
                "nonfinite_reports": len(nonfinite),
                "failed_nonfinite": len(failed),
                "one_step": len(one_step),
            },
            _culprit(ctx, bad),
        )
    ]
