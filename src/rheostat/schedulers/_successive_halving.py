"""Successive halving (Jamieson and Talwalkar 2016) and ASHA (Li et al. 2020), stopping type."""

from __future__ import annotations

from typing import Any

from rheostat.schedulers._rungs import RungStopper, geometric_rungs

__all__ = ["ASHA", "SuccessiveHalving"]

_ASHA_MODES = ("stop", "promote")


class SuccessiveHalving(RungStopper):
    """Keep the best ``1 / reduction_factor`` of the trials at each rung; stop the rest.

    Rungs sit at ``min_resource * reduction_factor**k`` up to ``max_resource``. Every trial
    starts with ``trial.budget == max_resource`` and reports one value per resource unit
    (step ``s`` means ``s + 1`` units used), so the rung at resource ``r`` is judged at step
    ``r - 1``. There, a trial continues when its value is among the best
    ``max(1, n // reduction_factor)`` of the ``n`` trials that reached that step so far (itself
    included), or when ``n < n_min_trials`` (default: ``reduction_factor``); otherwise it is
    stopped. A NaN report, or a report past ``max_resource``, is stopped.

    This is the stopping type, as in ASHA's and Optuna's pruners: a trial is judged when it
    reaches a rung, against whoever got there first, so its decisions equal
    ``ASHA(mode="stop")``'s. The synchronous type that waits for a rung to fill needs
    pause and resume.

    >>> SuccessiveHalving(min_resource=1, max_resource=81, reduction_factor=3).rungs()
    [1, 3, 9, 27, 81]
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
        n_min_trials: int | None = None,
    ) -> None:
        self._setup(min_resource, max_resource, reduction_factor, n_min_trials)
        rungs = geometric_rungs(self.min_resource, self.max_resource, self.reduction_factor)
        self._steps = frozenset(r - 1 for r in rungs if r < self.max_resource)

    def rungs(self) -> list[int]:
        """The rung resources; the last one is ``max_resource`` when it is on the grid."""
        return geometric_rungs(self.min_resource, self.max_resource, self.reduction_factor)

    def _rung_steps(self, number: int) -> frozenset[int]:
        return self._steps


class ASHA(SuccessiveHalving):
    """Asynchronous successive halving (Li et al. 2020).

    ``mode="stop"``: decide at each rung with the trials that have reached it so far, exactly
    as ``SuccessiveHalving`` (see there for rungs, budget and steps). ``mode="promote"`` (pause
    a trial at a rung and resume it from its checkpoint when it is promoted) needs pause and
    resume in the study loop and is not available in this version: it raises ``ValueError``.

    >>> ASHA(min_resource=1, max_resource=27, reduction_factor=3)
    ASHA(min_resource=1, max_resource=27, reduction_factor=3, n_min_trials=3, mode='stop')
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
        mode: str = "stop",
        n_min_trials: int | None = None,
    ) -> None:
        if mode not in _ASHA_MODES:
            raise ValueError(f"ASHA: mode must be one of {_ASHA_MODES}, got {mode!r}")
        if mode == "promote":
            raise ValueError(
                "ASHA: mode='promote' is not yet available in this version: promotion pauses "
                "trials at a rung and resumes them from checkpoints, which the study loop does "
                "not do yet; use mode='stop'"
            )
        super().__init__(
            min_resource=min_resource,
            max_resource=max_resource,
            reduction_factor=reduction_factor,
            n_min_trials=n_min_trials,
        )
        self.mode = mode

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "mode": self.mode}
