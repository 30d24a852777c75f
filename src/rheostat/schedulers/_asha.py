"""ASHA: asynchronous successive halving (Li et al. 2020), stopping or promotion type."""

from __future__ import annotations

from typing import Any

from rheostat.schedulers._base import Action, Decision
from rheostat.schedulers._index import ReportIndex
from rheostat.schedulers._promotion import PromotionLadder
from rheostat.schedulers._rungs import RungStopper, geometric_rungs
from rheostat.trial import History, TrialRecord

__all__ = ["ASHA"]

_ASHA_MODES = ("stop", "promote")


class ASHA(RungStopper):
    """Asynchronous successive halving (Li et al. 2020), in the stopping or the promotion type.

    ``mode="stop"``: rungs sit at ``min_resource * reduction_factor**k`` up to
    ``max_resource``. Every trial starts with ``trial.budget == max_resource`` and reports one
    value per resource unit (step ``s`` means ``s + 1`` units used), so the rung at resource
    ``r`` is judged at step ``r - 1``. There, a trial continues when its value is among the
    best ``max(1, n // reduction_factor)`` of the ``n`` trials that reached that step so far
    (itself included), or when ``n < n_min_trials``; otherwise it is stopped. A trial is judged
    against whoever got to the rung first: nothing waits (for that, see ``SuccessiveHalving``).

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

    ``n_min_trials`` (default ``reduction_factor``): no stop at, or promotion from, a rung that
    fewer trials reached (and in the promotion type at least one promotion from a rung that
    this many did). A NaN report, or a report past ``max_resource``, is stopped. In the
    promotion type the objective must report at every step (``for step in range(start,
    trial.budget)``) and resume from its checkpoint. Trials still waiting at a rung when the
    study ends stay ``PAUSED``, and a later ``optimize`` call may promote them; a trial
    enqueued without a budget pauses at the bottom rung like a new one. Stateless: every
    decision is derived from the history (the trials' budgets, states and reports).

    >>> ASHA(min_resource=1, max_resource=27, reduction_factor=3)
    ASHA(min_resource=1, max_resource=27, reduction_factor=3, n_min_trials=3, mode='stop')
    >>> ASHA(min_resource=1, max_resource=81, reduction_factor=3).rungs()
    [1, 3, 9, 27, 81]
    >>> ASHA(min_resource=2, max_resource=20, reduction_factor=3, mode="promote").rungs()
    [2, 6, 18, 20]
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
        n_min_trials: int | None = None,
        mode: str = "stop",
    ) -> None:
        if mode not in _ASHA_MODES:
            raise ValueError(f"ASHA: mode must be one of {_ASHA_MODES}, got {mode!r}")
        self._setup(min_resource, max_resource, reduction_factor, n_min_trials)
        self.mode = mode
        grid = geometric_rungs(self.min_resource, self.max_resource, self.reduction_factor)
        self._steps = frozenset(r - 1 for r in grid if r < self.max_resource)
        self._index = ReportIndex(self._steps)
        self._ladder: PromotionLadder | None = None
        if mode == "promote":
            below = [r for r in grid if r < self.max_resource]
            self._ladder = PromotionLadder(
                [*below, self.max_resource], self.reduction_factor, self.n_min_trials
            )

    def rungs(self) -> list[int]:
        """The rung resources. In the stopping type the last one is ``max_resource`` when it is
        on the grid; in the promotion type it always is."""
        if self._ladder is not None:
            return list(self._ladder.resources)
        return geometric_rungs(self.min_resource, self.max_resource, self.reduction_factor)

    def _rung_steps(self, number: int) -> frozenset[int]:
        return self._steps

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
