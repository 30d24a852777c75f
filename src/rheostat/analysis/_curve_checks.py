"""The doctor's learning-curve checks: ``diagnose_curves`` run on the best trials' curves.

For a single-objective study, the ``TOP_TRIALS`` (3) best complete trials of distinct
configurations are diagnosed: the validation curve is the trial's intermediate values (in the
study's direction), the training curve its ``train_curve`` user attribute when it has one. Each
code found becomes one finding naming the trials it was found in; the evidence is the best of
them. The rules are in ``rheostat.analysis._curves``.
"""

from __future__ import annotations

from collections.abc import Callable

from rheostat.analysis._context import Context, config_key
from rheostat.analysis._curves import TRAIN_CURVE_ATTR, diagnose_curves
from rheostat.analysis._findings import Finding
from rheostat.trial import Direction, TrialRecord

__all__ = ["TOP_TRIALS", "curve_check", "top_trials"]

TOP_TRIALS = 3


def top_trials(ctx: Context, k: int) -> list[TrialRecord]:
    """The ``k`` best complete trials of distinct configurations (single objective)."""
    if ctx.direction is None:
        return []
    sign = 1.0 if ctx.direction is Direction.MINIMIZE else -1.0
    ranked = sorted(ctx.complete, key=lambda t: (sign * ctx.value(t), t.number))
    seen: set[object] = set()
    out: list[TrialRecord] = []
    for t in ranked:
        key = config_key(t.params)
        if key not in seen:
            seen.add(key)
            out.append(t)
        if len(out) == k:
            break
    return out


def _diagnosed(ctx: Context) -> list[tuple[TrialRecord, Finding]]:
    if ctx.direction is None:
        return []
    out = []
    for t in top_trials(ctx, TOP_TRIALS):
        train = t.user_attrs.get(TRAIN_CURVE_ATTR)
        valid = dict(t.intermediate_values) or None
        if valid is None and train is None:
            continue
        out += [(t, f) for f in diagnose_curves(train, valid, ctx.direction)]
    return out


def curve_check(code: str) -> Callable[[Context], list[Finding]]:
    """The doctor check for one curve code (one of ``CURVE_CODES``)."""

    def check(ctx: Context) -> list[Finding]:
        hits = [(t, f) for t, f in _diagnosed(ctx) if f.code == code]
        if not hits:
            return []
        numbers = [t.number for t, _ in hits]
        first_trial, first = hits[0]
        n_top = len(top_trials(ctx, TOP_TRIALS))
        return [
            Finding(
                code,
                first.severity,
                f"{len(hits)} of the {n_top} best trials: trial {first_trial.number}: "
                + first.message,
                {"trials": numbers, "trial": first_trial.number, **first.evidence},
                first.fix,
            )
        ]

    check.__name__ = f"check_{code.replace('-', '_')}"
    check.__doc__ = f"``{code}`` on the best trials' learning curves (see ``_curves``)."
    return check
