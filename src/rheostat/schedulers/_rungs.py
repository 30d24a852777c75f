"""Rung-based stopping for ASHA's stopping type, and the checks every rung scheduler shares.

Resource is counted in steps: a trial that reported step ``s`` has used ``s + 1`` units, so the
objective reports one value per unit, ``for step in range(trial.budget)``. A rung at resource
``r`` is judged at step ``ceil(r) - 1``: the trial continues when its value there is among the
best ``max(1, n // reduction_factor)`` of the ``n`` trials of its group that reached that step
(itself included, running and stopped ones too), or when fewer than ``n_min_trials`` did.
The best value at a rung is never stopped; ties count in the trial's favour.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from rheostat.schedulers._base import Action, Decision, Scheduler, Start
from rheostat.schedulers._index import ReportIndex
from rheostat.trial import Direction, History, TrialRecord

__all__ = ["RungStopper", "check_int", "check_resources", "geometric_rungs"]


def check_int(owner: str, name: str, value: object, minimum: int) -> int:
    """``value`` when it is an integer ``>= minimum``, else a ``ValueError`` naming ``owner``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_resources(
    owner: str, min_resource: object, max_resource: object, reduction_factor: object
) -> tuple[int, int, int]:
    """Validated ``(min_resource, max_resource, reduction_factor)``, or a ``ValueError``."""
    lo = check_int(owner, "min_resource", min_resource, 1)
    hi = check_int(owner, "max_resource", max_resource, 1)
    if hi < lo:
        raise ValueError(
            f"{owner}: max_resource must be >= min_resource, got max_resource={hi} < "
            f"min_resource={lo}; raise max_resource or lower min_resource"
        )
    eta = check_int(owner, "reduction_factor", reduction_factor, 2)
    return lo, hi, eta


def geometric_rungs(min_resource: int, max_resource: int, reduction_factor: int) -> list[int]:
    """``min_resource * reduction_factor**k`` for every ``k`` that stays within ``max_resource``.

    >>> geometric_rungs(1, 81, 3)
    [1, 3, 9, 27, 81]
    >>> geometric_rungs(2, 100, 3)
    [2, 6, 18, 54]
    """
    rungs = [min_resource]
    while rungs[-1] * reduction_factor <= max_resource:
        rungs.append(rungs[-1] * reduction_factor)
    return rungs


class RungStopper(Scheduler):
    """Stop a trial that is not among the best ``1 / reduction_factor`` at a rung it reaches.

    Subclasses say which steps are rungs for a trial (``_rung_steps``) and which trials it is
    compared with (``_group``). Every new trial starts with ``budget=max_resource``; a report at
    a step past it, or of NaN, is stopped. Stateless: decisions depend only on the history (an
    incremental index of the reports at rung steps only makes them cheap).
    """

    min_resource: int
    max_resource: int
    reduction_factor: int
    n_min_trials: int
    _index: ReportIndex  # the reports at rung steps, by group: set by subclasses

    def _setup(
        self,
        min_resource: object,
        max_resource: object,
        reduction_factor: object,
        n_min_trials: object,
    ) -> None:
        owner = type(self).__name__
        lo, hi, eta = check_resources(owner, min_resource, max_resource, reduction_factor)
        self.min_resource, self.max_resource, self.reduction_factor = lo, hi, eta
        n_min = eta if n_min_trials is None else n_min_trials
        self.n_min_trials = check_int(owner, "n_min_trials", n_min, 1)

    def _rung_steps(self, number: int) -> Collection[int]:
        """The steps at which trial ``number`` is judged."""
        raise NotImplementedError

    def _group(self, number: int) -> int:
        """Trials are compared only with trials of the same group."""
        return 0

    def next_action(self, history: History) -> Action:
        return Start(budget=self.max_resource)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if len(history.directions) != 1:
            raise ValueError(
                f"{type(self).__name__} needs a single-objective study; this one has "
                f"{len(history.directions)} objectives"
            )
        if math.isnan(value) or step >= self.max_resource:
            return Decision.STOP
        if step not in self._rung_steps(trial.number):
            return Decision.CONTINUE
        group = self._group(trial.number)
        sign = -1.0 if history.direction is Direction.MAXIMIZE else 1.0
        with self._index.synced(history) as index:
            n = len(index.ranked(group, step)) + (0 if index.has(trial.number, step) else 1)
            better = index.better(group, step, value, sign)
        if n < self.n_min_trials:
            return Decision.CONTINUE
        keep = max(1, n // self.reduction_factor)
        return Decision.CONTINUE if better < keep else Decision.STOP

    def _settings(self) -> dict[str, Any]:
        return {
            "min_resource": self.min_resource,
            "max_resource": self.max_resource,
            "reduction_factor": self.reduction_factor,
            "n_min_trials": self.n_min_trials,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({args})"
