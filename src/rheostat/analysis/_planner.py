"""The planner: which search to run for a space and a budget, before running anything.

Rules (each recorded in ``Plan.reasons`` when it applies):

- **grid** for 1-2 varied parameters whose full grid has fewer than ``GRID_MAX`` (50) points and
  fits the budget;
- **bayesian** for ``BAYES_MIN_PARAMS`` (5) or more parameters, or expensive trials (at least
  ``EXPENSIVE_MINUTES``, 30 minutes each), where each trial must be chosen with care;
- **random** otherwise (3-4 parameters, or 1-2 continuous ones on cheap trials);
- a scheduler when trials report intermediate values: ``"asha"`` (multi-fidelity) with
  ``ASHA_MIN_TRIALS`` (50) or more trials to fill its rungs, else ``"median"`` pruning;
- ``final_validation_seeds``: re-run the top ``VALIDATE_TOP_K`` (3) configurations with 5 seeds
  when the budget holds 200+ trials, 3 with 30+, else 2; those runs are taken off ``n_trials``;
- a warning when a full grid of a discrete space would not fit (k^n points), with what random
  search costs instead, and when a Bayesian search gets fewer than 10 trials per parameter.

>>> from rheostat.distributions import Float, Int
>>> p = plan({"lr": Float(1e-5, 1e-1, log=True), "layers": Int(1, 4)},
...          budget_hours=2, minutes_per_trial=1)
>>> p.strategy, p.n_trials, p.final_validation_seeds
('random', 111, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rheostat.distributions import Distribution

__all__ = [
    "ASHA_MIN_TRIALS",
    "BAYES_MIN_PARAMS",
    "EXPENSIVE_MINUTES",
    "GRID_MAX",
    "VALIDATE_TOP_K",
    "Plan",
    "plan",
]

GRID_MAX = 50
BAYES_MIN_PARAMS = 5
EXPENSIVE_MINUTES = 30.0
ASHA_MIN_TRIALS = 50
VALIDATE_TOP_K = 3

Strategy = Literal["grid", "random", "bayesian"]
SchedulerName = Literal["median", "asha"]


@dataclass(frozen=True)
class Plan:
    """A recommended search. Immutable.

    ``n_trials`` is for ``optimize(n_trials=...)``; ``budget_trials`` is how many trials the whole
    budget holds, search plus final validation (``VALIDATE_TOP_K`` configurations times
    ``final_validation_seeds``). ``scheduler`` is ``None``, ``"median"`` or ``"asha"``.
    """

    strategy: Strategy
    n_trials: int
    scheduler: SchedulerName | None
    final_validation_seeds: int
    budget_trials: int
    grid_size: int | None
    warnings: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-representable data."""
        return {
            "strategy": self.strategy,
            "n_trials": self.n_trials,
            "scheduler": self.scheduler,
            "final_validation_seeds": self.final_validation_seeds,
            "validate_top_k": VALIDATE_TOP_K,
            "budget_trials": self.budget_trials,
            "grid_size": self.grid_size,
            "warnings": list(self.warnings),
            "reasons": list(self.reasons),
        }


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"plan: {name} must be a number > 0, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"plan: {name} must be finite, got {value!r}")
    return float(value)


def _hours(trials: float, minutes: float) -> str:
    h = trials * minutes / 60
    return f"{h:.3g} h" if h < 1e6 else f"{h:.2e} h"


def _seeds(budget_trials: int) -> int:
    return 5 if budget_trials >= 200 else 3 if budget_trials >= 30 else 2


def plan(
    space: Mapping[str, Distribution],
    *,
    budget_hours: float,
    minutes_per_trial: float,
    reports_intermediate: bool = False,
) -> Plan:
    """Recommend a search strategy, a number of trials, a scheduler and final-validation seeds
    for ``space`` (a ``Space`` or a dict of name -> distribution) and a budget; see the module
    docstring for the rules. Raises ``ValueError`` for an empty space or a non-positive budget.
    """
    if not isinstance(space, Mapping) or not space:
        raise ValueError(
            f"plan: space must be a non-empty dict of name -> Float/Int/Categorical, got {space!r}"
        )
    for name, dist in space.items():
        if not isinstance(dist, Distribution):
            raise TypeError(f"plan: parameter {name!r} has {dist!r}, which is not a distribution")
    hours = _positive("budget_hours", budget_hours)
    minutes = _positive("minutes_per_trial", minutes_per_trial)
    warnings: list[str] = []
    reasons: list[str] = []
    budget = int(hours * 60 / minutes + 1e-9)
    fixed = [n for n, d in space.items() if d.n_values == 1]
    if fixed:
        names = ", ".join(map(repr, fixed))
        warnings.append(f"{names} can take one value only: drop it from the space")
    n = len(space) - len(fixed)
    sizes = [d.n_values for d in space.values() if d.n_values > 1]
    grid_size = int(math.prod(sizes)) if all(math.isfinite(s) for s in sizes) else None
    if budget < 1:
        warnings.append(
            f"the budget of {hours:g} h holds no trial of {minutes:g} min: raise the budget or "
            "make trials cheaper (fewer epochs or a data subset)"
        )
        return Plan("random", 0, None, 0, 0, grid_size, tuple(warnings), ("no trial fits",))
    seeds = _seeds(budget)
    validation = VALIDATE_TOP_K * seeds
    expensive = minutes >= EXPENSIVE_MINUTES
    strategy: Strategy
    if 1 <= n <= 2 and grid_size is not None and grid_size < GRID_MAX and grid_size <= budget:
        strategy = "grid"
        n_trials = grid_size
        reasons.append(
            f"{n} parameter(s) with a full grid of {grid_size} points (< {GRID_MAX}) that fits "
            f"the budget of {budget} trials: try every point"
        )
        if grid_size + validation > budget:
            warnings.append(
                f"the grid leaves {budget - grid_size} of the {validation} final-validation runs "
                "in the budget: raise the budget or validate fewer configurations"
            )
    else:
        n_trials = max(budget - validation, 1)
        if n >= BAYES_MIN_PARAMS or expensive:
            strategy = "bayesian"
            why = [f"{n} parameters (>= {BAYES_MIN_PARAMS})"] if n >= BAYES_MIN_PARAMS else []
            why += [f"{minutes:g} min per trial (>= {EXPENSIVE_MINUTES:g})"] if expensive else []
            reasons.append(
                f"Bayesian optimization: {' and '.join(why)}, so each trial should be chosen "
                "from what earlier trials showed"
            )
            if n_trials < 10 * n:
                warnings.append(
                    f"{n_trials} trials for {n} parameters is fewer than 10 per parameter: fix "
                    "the parameters that matter least, or raise the budget"
                )
        else:
            strategy = "random"
            reasons.append(
                f"random search: {n} parameter(s) on cheap trials; random search covers each "
                "parameter with as many distinct values as trials, which a grid does not"
            )
        if n == 0:
            warnings.append("no parameter varies: there is nothing to tune")
    explodes = grid_size is not None and (grid_size > budget or grid_size >= GRID_MAX)
    if grid_size is not None and strategy != "grid" and explodes:
        counts = {int(s) for s in sizes}
        shape = f"{counts.pop()}^{n}" if len(counts) == 1 else " x ".join(map(str, map(int, sizes)))
        warnings.append(
            f"a full grid would have {shape} = {grid_size} configurations, "
            f"{_hours(grid_size, minutes)} at {minutes:g} min each ({grid_size / budget:.3g}x the "
            f"budget); {strategy} search with {n_trials} trials costs {_hours(n_trials, minutes)}"
        )
    scheduler: SchedulerName | None = None
    if reports_intermediate:
        scheduler = "asha" if n_trials >= ASHA_MIN_TRIALS else "median"
        reasons.append(
            "trials report intermediate values: "
            + (
                f"ASHA (multi-fidelity) with {n_trials} trials (>= {ASHA_MIN_TRIALS}) to fill "
                "its rungs"
                if scheduler == "asha"
                else "median pruning stops the clearly bad trials early"
            )
            + "; pruned trials free budget, so stop with optimize(timeout=...) rather than "
            "n_trials"
        )
    if strategy != "grid":
        reasons.append(
            f"{validation} of the {budget} trials are kept to re-run the top {VALIDATE_TOP_K} "
            f"configurations with {seeds} seeds each"
        )
    else:
        reasons.append(
            f"then re-run the top {VALIDATE_TOP_K} points with {seeds} seeds each "
            f"({validation} trials)"
        )
    return Plan(
        strategy, n_trials, scheduler, seeds, budget, grid_size, tuple(warnings), tuple(reasons)
    )
