"""Promotion by rungs (Li et al. 2020, Algorithm 2): pause at a rung, resume when promoted.

Rungs sit at resources ``r_0 < r_1 < … < r_K = max_resource``. A trial starts with budget
``r_0`` and reports one value per resource unit (step ``s`` means ``s + 1`` units), so its value
at rung ``k`` is its report at step ``r_k - 1``. It pauses when it reaches the end of its budget
below ``r_K``. When a worker asks what to run, rungs are scanned from the top: a trial paused at
rung ``k`` is promoted (resumed with budget ``r_{k+1}``) when it is among the best
``floor(n_k / eta)`` of the ``n_k`` trials that reached rung ``k`` (in any state; ties go to
the lower number, NaN ranks last). Otherwise a new trial starts at ``r_0``. A trial is promoted
as soon as it is in that top fraction: nothing waits for a rung to fill.

Everything is derived from the history: the rung a paused trial waits at is the one its budget
names, and a promoted trial is no longer ``PAUSED`` (its budget has grown), so it cannot be
promoted twice from one rung.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from rheostat.schedulers._base import Action, Decision, Resume, Start
from rheostat.schedulers._index import ReportIndex
from rheostat.trial import History, TrialRecord, TrialState

__all__ = ["PromotionLadder"]


class PromotionLadder:
    """The promotion rules for rung resources ``resources`` (ascending, last = the maximum).

    ``keep(n) = max(1, n // reduction_factor)`` trials are promotable from a rung reached by
    ``n >= n_min_trials`` trials, none from a rung reached by fewer (with the default
    ``n_min_trials == reduction_factor`` this is the paper's ``floor(n / eta)``).

    >>> ladder = PromotionLadder([1, 3, 9], reduction_factor=3, n_min_trials=3)
    >>> [ladder.keep(n) for n in (1, 2, 3, 5, 6, 9)]
    [0, 0, 1, 1, 2, 3]
    """

    def __init__(self, resources: Sequence[int], reduction_factor: int, n_min_trials: int) -> None:
        self.resources = tuple(resources)
        self.reduction_factor = reduction_factor
        self.n_min_trials = n_min_trials
        self._rung_at: dict[float, int] = {r: k for k, r in enumerate(self.resources[:-1])}
        self._index = ReportIndex((r - 1 for r in self.resources[:-1]), waits_at=self._waits_at)

    @property
    def max_resource(self) -> int:
        return self.resources[-1]

    def keep(self, n: int) -> int:
        """How many of the ``n`` trials that reached a rung may be promoted from it."""
        if n < self.n_min_trials:
            return 0
        return max(1, n // self.reduction_factor)

    def budget_of(self, trial: TrialRecord) -> float:
        """The trial's budget; a trial started without one (enqueued) counts as the bottom rung."""
        return self.resources[0] if trial.budget is None else trial.budget

    def paused_rung(self, trial: TrialRecord) -> int | None:
        """The rung a ``PAUSED`` trial waits at: the highest its budget reaches below the top."""
        if trial.state is not TrialState.PAUSED:
            return None
        budget = self.budget_of(trial)
        exact = self._rung_at.get(budget)
        if exact is not None:
            return exact
        rung = None
        for k, resource in enumerate(self.resources[:-1]):
            if resource <= budget:
                rung = k
        return rung

    def _waits_at(self, trial: TrialRecord) -> tuple[int, int] | None:
        """``(rung, step of its report there)`` for a trial paused at a rung."""
        rung = self.paused_rung(trial)
        return None if rung is None else (rung, self.resources[rung] - 1)

    def on_report(self, trial: TrialRecord, step: int, value: float) -> Decision:
        """``STOP`` on NaN or past ``max_resource``; ``PAUSE`` at the end of a budget below it."""
        if math.isnan(value) or step >= self.max_resource:
            return Decision.STOP
        budget = self.budget_of(trial)
        if budget < self.max_resource and step >= math.ceil(budget) - 1:
            return Decision.PAUSE
        return Decision.CONTINUE

    def next_action(self, history: History) -> Action:
        """Promote the best promotable paused trial of the highest rung, else start a new one."""
        with self._index.synced(history) as index:
            for k in sorted(index.waiting, reverse=True):
                if not index.waiting[k]:
                    continue
                best = index.waiting[k][0]  # the best trial paused at rung k
                ranked = index.ranked(0, self.resources[k] - 1)
                if bisect.bisect_left(ranked, best) < self.keep(len(ranked)):
                    return Resume(best[2], budget=self.resources[k + 1])
        return Start(budget=self.resources[0])
