"""Pruners: stop a trial whose intermediate results are worse than its peers' or a threshold."""

from __future__ import annotations

import math
from typing import Any

from rheostat.schedulers._base import Decision, Scheduler
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["MedianPruner", "PercentilePruner", "ThresholdPruner"]


def _check_int(owner: str, name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def _in_check_window(trial: TrialRecord, step: int, warmup: int, interval: int) -> bool:
    """True for the first report at or after each ``interval`` boundary past the warm-up."""
    if step < warmup:
        return False
    earlier = [s for s in trial.intermediate_values if s < step]
    if not earlier:
        return True
    prev = max(earlier)
    if prev < warmup:
        return True
    return (step - warmup) // interval > (prev - warmup) // interval


class PercentilePruner(Scheduler):
    """Stop a trial whose best value so far is worse than the ``percentile`` of the values that
    completed trials reported at the same step.

    ``n_startup_trials``: no pruning until that many trials have completed. ``n_warmup_steps``:
    no pruning before that step. ``interval_steps``: check once per that many steps.
    ``n_min_trials``: no pruning at a step that fewer completed trials reached.
    A NaN value is always pruned.
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        owner = type(self).__name__
        if (
            isinstance(percentile, bool)
            or not isinstance(percentile, (int, float))
            or not 0.0 <= percentile <= 100.0
        ):
            raise ValueError(f"{owner}: percentile must be in [0, 100], got {percentile!r}")
        self.percentile = float(percentile)
        self.n_startup_trials = _check_int(owner, "n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = _check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int(owner, "interval_steps", interval_steps, 1)
        self.n_min_trials = _check_int(owner, "n_min_trials", n_min_trials, 1)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self.percentile}, "
            f"n_startup_trials={self.n_startup_trials}, n_warmup_steps={self.n_warmup_steps}, "
            f"interval_steps={self.interval_steps})"
        )

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if len(history.directions) != 1:
            raise ValueError(
                f"{type(self).__name__} needs a single-objective study; this one has "
                f"{len(history.directions)} objectives"
            )
        if math.isnan(value):
            return Decision.STOP
        if not _in_check_window(trial, step, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        completed = history.get_trials((TrialState.COMPLETE,))
        if len(completed) < self.n_startup_trials:
            return Decision.CONTINUE
        peers = [t.intermediate_values[step] for t in completed if step in t.intermediate_values]
        peers = [v for v in peers if not math.isnan(v)]
        if len(peers) < max(self.n_min_trials, 1):
            return Decision.CONTINUE
        own = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        minimize = history.direction is Direction.MINIMIZE
        best = min(own) if minimize else max(own)
        q = self.percentile if minimize else 100.0 - self.percentile
        import numpy as np  # imported on first use: keeps `import rheostat` fast

        threshold = float(np.percentile(peers, q))
        worse = best > threshold if minimize else best < threshold
        return Decision.STOP if worse else Decision.CONTINUE

    def _settings(self) -> dict[str, Any]:
        return {
            "percentile": self.percentile,
            "n_startup_trials": self.n_startup_trials,
            "n_warmup_steps": self.n_warmup_steps,
            "interval_steps": self.interval_steps,
            "n_min_trials": self.n_min_trials,
        }


class MedianPruner(PercentilePruner):
    """Stop a trial whose best value so far is worse than the median of completed trials'
    values at the same step (the median stopping rule)."""

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )

    def _settings(self) -> dict[str, Any]:
        settings = super()._settings()
        del settings["percentile"]  # always 50
        return settings


class ThresholdPruner(Scheduler):
    """Stop a trial whose value falls below ``lower`` or rises above ``upper`` (or is NaN)."""

    def __init__(
        self,
        *,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = "ThresholdPruner"
        if lower is None and upper is None:
            raise ValueError(f"{owner}: give lower, upper or both, e.g. ThresholdPruner(upper=10)")
        for name, v in (("lower", lower), ("upper", upper)):
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v)
            ):
                raise ValueError(f"{owner}: {name} must be a number, got {v!r}")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"{owner}: lower={lower} > upper={upper}; lower must not exceed upper")
        self.lower = lower
        self.upper = upper
        self.n_warmup_steps = _check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int(owner, "interval_steps", interval_steps, 1)

    def __repr__(self) -> str:
        return f"ThresholdPruner(lower={self.lower!r}, upper={self.upper!r})"

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if math.isnan(value):
            return Decision.STOP
        if not _in_check_window(trial, step, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        if (self.lower is not None and value < self.lower) or (
            self.upper is not None and value > self.upper
        ):
            return Decision.STOP
        return Decision.CONTINUE

    def _settings(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "n_warmup_steps": self.n_warmup_steps,
            "interval_steps": self.interval_steps,
        }
