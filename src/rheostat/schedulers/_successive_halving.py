"""Successive halving (Jamieson and Talwalkar 2016) and ASHA (Li et al. 2020)."""

from __future__ import annotations

from typing import Any

from rheostat.schedulers._base import Action, Decision
from rheostat.schedulers._promotion import PromotionLadder
from rheostat.schedulers._rungs import RungStopper, geometric_rungs
from rheostat.trial import History, TrialRecord

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
    ``ASHA(mode="stop")``'s. For pausing at a rung and resuming promoted trials from their
    checkpoints, use ``ASHA(mode="promote")``.

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
    """Asynchronous successive halving (Li et al. 2020), in the stopping or the promotion type.

    ``mode="stop"``: every trial starts with ``trial.budget == max_resource`` and is judged at
    each rung with the trials that have reached it so far, exactly as ``SuccessiveHalving``
    (see there for rungs, budget and steps).

    ``mode="promote"`` (the paper's Algorithm 2): rungs sit at ``min_resource *
    reduction_factor**k`` below ``max_resource``, and ``max_resource`` is the top rung. A new
    trial starts with ``trial.budget`` equal to the bottom rung; when it reports the last step
    of its budget (step ``budget - 1``, below ``max_resource``) it is paused (``PAUSE``): the
    objective saves a checkpoint and gives the worker back. Whenever a worker asks for work,
    rungs are scanned from the top: a trial paused at rung ``k`` that is among the best
    ``floor(n_k / reduction_factor)`` of the ``n_k`` trials that reached rung ``k`` (every
    state counts; ties go to the lower number, NaN ranks last) is resumed with the budget of
    rung ``k + 1`` (``Resume``), and ``trial.checkpoint.load()`` gives what it saved;
    otherwise a new trial starts at the bottom rung. Promotion happens as soon as a trial is
    in that top fraction, without waiting for the rung to fill. At ``max_resource`` the trial
    runs to the end and completes.

    ``n_min_trials`` (default ``reduction_factor``): no promotion from a rung that fewer
    trials reached, and at least one from a rung that this many did. A NaN report, or a report
    past ``max_resource``, is stopped. The objective must report at every step (``for step in
    range(start, trial.budget)``) and resume from its checkpoint. Trials still waiting at a
    rung when the study ends stay ``PAUSED``; a trial enqueued without a budget pauses at the
    bottom rung like a new one. Stateless: every decision is derived from the history (the
    trials' budgets, states and reports).

    >>> ASHA(min_resource=1, max_resource=27, reduction_factor=3)
    ASHA(min_resource=1, max_resource=27, reduction_factor=3, n_min_trials=3, mode='stop')
    >>> ASHA(min_resource=2, max_resource=20, reduction_factor=3, mode="promote").rungs()
    [2, 6, 18, 20]
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
        super().__init__(
            min_resource=min_resource,
            max_resource=max_resource,
            reduction_factor=reduction_factor,
            n_min_trials=n_min_trials,
        )
        self.mode = mode
        self._ladder: PromotionLadder | None = None
        if mode == "promote":
            below = [r for r in super().rungs() if r < self.max_resource]
            self._ladder = PromotionLadder(
                [*below, self.max_resource], self.reduction_factor, self.n_min_trials
            )

    def rungs(self) -> list[int]:
        """The rung resources; in the promotion type the last one is always ``max_resource``."""
        if self._ladder is not None:
            return list(self._ladder.resources)
        return super().rungs()

    def next_action(self, history: History) -> Action:
        if self._ladder is None:
            return super().next_action(history)
        self._check_single_objective(history)
        return self._ladder.next_action(history)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if self._ladder is None:
            return super().on_report(history, trial, step, value)
        self._check_single_objective(history)
        return self._ladder.on_report(trial, step, value)

    def _check_single_objective(self, history: History) -> None:
        if len(history.directions) != 1:
            raise ValueError(
                f"ASHA needs a single-objective study; this one has {len(history.directions)} "
                "objectives"
            )

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "mode": self.mode}
