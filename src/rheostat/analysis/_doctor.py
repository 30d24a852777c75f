"""The tuning doctor: a senior engineer's checklist, run over a study's trial records.

>>> from rheostat.trial import Direction, TrialRecord, TrialState
>>> from rheostat.distributions import Float
>>> lr = Float(1e-5, 1e-1)  # linear over four decades
>>> trials = [
...     TrialRecord(i, TrialState.COMPLETE, {"lr": 0.01 * (i + 1)}, {"lr": lr}, (float(i),))
...     for i in range(5)
... ]
>>> [f.code for f in doctor(trials, [Direction.MINIMIZE])]
['linear-scale-wide', 'too-few-trials']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rheostat.analysis._context import Context
from rheostat.analysis._curve_checks import curve_check
from rheostat.analysis._divergence import check_divergent_trials
from rheostat.analysis._findings import Finding
from rheostat.analysis._holdout_check import check_holdout_peeked
from rheostat.analysis._importance_check import check_unimportant_parameter
from rheostat.analysis._result_checks import (
    check_baseline_wins,
    check_diminishing_returns,
    check_flat_results,
    check_over_pruned,
    check_single_seed,
)
from rheostat.analysis._space_checks import (
    check_edge_of_range,
    check_grid_too_large,
    check_linear_scale_wide,
    check_never_varied,
    check_too_few_trials,
)
from rheostat.analysis._validation import is_validation
from rheostat.trial import Direction, TrialRecord

__all__ = ["CHECKS", "doctor"]

Check = Callable[[Context], list[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("edge-of-range", check_edge_of_range),
    ("linear-scale-wide", check_linear_scale_wide),
    ("grid-too-large", check_grid_too_large),
    ("over-pruned", check_over_pruned),
    ("flat-results", check_flat_results),
    ("divergent-trials", check_divergent_trials),
    ("baseline-wins", check_baseline_wins),
    ("too-few-trials", check_too_few_trials),
    ("never-varied", check_never_varied),
    ("single-seed", check_single_seed),
    ("diminishing-returns", check_diminishing_returns),
    ("underfitting", curve_check("underfitting")),
    ("overfitting", curve_check("overfitting")),
    ("unstable-training", curve_check("unstable-training")),
    ("slow-convergence", curve_check("slow-convergence")),
    ("unimportant-parameter", check_unimportant_parameter),
    ("holdout-peeked", check_holdout_peeked),
)
"""Every check, by the code it reports, in the order findings of equal severity are listed."""


def doctor(
    trials: Sequence[TrialRecord],
    directions: Sequence[Direction | str],
    *,
    sampler_info: Mapping[str, Any] | None = None,
    baseline_numbers: Iterable[int] | None = None,
    trial_budget: int | None = None,
    study_attrs: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Check a study's trials against a tuning checklist; return the findings, most severe first.

    A pure function of the records: ``trials`` (any order; all states), ``directions`` (one per
    objective). ``sampler_info`` is ``sampler.dump()`` (it tells a grid from other samplers).
    ``baseline_numbers`` are the trials that ran the baseline configuration; by default the first
    trial enqueued with ``enqueue_trial``. ``trial_budget`` is the number of trials the user means
    to run, when known. ``study_attrs`` are the study's system attributes (the held-out test
    set's record, for ``holdout-peeked``). The checks and their thresholds are listed in
    ``CHECKS``; each is documented in ``rheostat.analysis._space_checks``, ``_result_checks``,
    ``_divergence``, ``_curves`` (learning curves of the best trials), ``_importance_check`` and
    ``_holdout_check``.
    Validation re-runs (``study.validate_top``) are never taken for the baseline.
    Value-based checks that need one best trial (edge of range, baseline, single seed,
    diminishing returns) are skipped for multi-objective studies.
    """
    dirs = tuple(Direction.parse(d) for d in directions)
    if not dirs:
        raise ValueError("doctor: directions is empty; pass one direction per objective")
    if trial_budget is not None and (
        isinstance(trial_budget, bool) or not isinstance(trial_budget, int) or trial_budget < 1
    ):
        raise ValueError(
            f"doctor: trial_budget must be an integer >= 1 or None, got {trial_budget!r}"
        )
    records = tuple(sorted(trials, key=lambda t: t.number))
    if baseline_numbers is None:
        first = next(
            (
                t.number
                for t in records
                if "fixed_params" in t.system_attrs and not is_validation(t)
            ),
            None,
        )
        baseline = frozenset(() if first is None else (first,))
    else:
        baseline = frozenset(baseline_numbers)
    ctx = Context(
        records, dirs, dict(sampler_info or {}), baseline, trial_budget, dict(study_attrs or {})
    )
    order = {code: i for i, (code, _) in enumerate(CHECKS)}
    findings = [f for _, check in CHECKS for f in check(ctx)]
    return sorted(findings, key=lambda f: (f.severity.rank, order.get(f.code, len(order))))
