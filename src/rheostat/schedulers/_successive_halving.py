"""Synchronous successive halving (Jamieson and Talwalkar 2016; Li et al. 2018, Algorithm 1's
inner loop): a rung waits until it is full, then its best ``1 / eta`` go on and the rest stop."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rheostat.schedulers._base import Action, Decision, Resume, Scheduler, Start, Stop
from rheostat.schedulers._index import ReportIndex
from rheostat.schedulers._promotion import PromotionLadder
from rheostat.schedulers._rungs import check_int, check_resources, geometric_rungs
from rheostat.trial import Direction, History, TrialRecord

__all__ = ["SuccessiveHalving"]


class SuccessiveHalving(Scheduler):
    """Synchronous successive halving: brackets of ``n_configurations`` trials, halved by rungs.

    Rungs sit at ``min_resource * reduction_factor**k`` below ``max_resource``, and
    ``max_resource`` is the top rung (``rungs()``). Trials are grouped by number into
    brackets of ``n = n_configurations`` (default: ``reduction_factor`` to the power of the
    number of rungs above the bottom, so that one trial reaches the top): trials ``b * n`` to
    ``b * n + n - 1`` form bracket ``b``. In a bracket, ``n_0 = n`` trials run to the bottom
    rung and rung ``k + 1`` gets ``n_{k+1} = max(1, n_k // reduction_factor)`` of them
    (``bracket()``):

    >>> SuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3).bracket()
    [(9, 1), (3, 3), (1, 9)]

    A new trial starts with ``trial.budget`` equal to the bottom rung and reports one value per
    resource unit (step ``s`` means ``s + 1`` units used). When it reports the last step of its
    budget below ``max_resource`` it pauses (``PAUSE``: the objective saves a checkpoint and
    gives the worker back). Rung ``k`` of a bracket is *full* once all ``n_k`` trials sent
    there have reported at step ``r_k - 1`` (a trial that failed or ended before getting there
    no longer counts). Then, and only then, the best ``n_{k+1}`` of them by that report (ties
    go to the lower number, NaN ranks last) are resumed with the budget of rung ``k + 1``
    (``Resume``; ``trial.checkpoint.load()`` gives what they saved) and the others are stopped
    (``Stop``: recorded ``PRUNED`` with their last report). Trials at ``max_resource`` run to
    the end and complete. While no rung is full, a worker that asks for work starts a new
    trial, which opens the next bracket once this one has ``n`` trials: workers never idle.

    A NaN report, or a report past ``max_resource``, is stopped at once. The objective must
    report at every step (``for step in range(start, trial.budget)``) and resume from its
    checkpoint. A bracket whose ``n`` trials have not all been started (the study's
    ``n_trials`` ran out) keeps its trials ``PAUSED`` at the bottom rung; a later ``optimize``
    call starts the rest and goes on. Stateless: every decision is derived from the history.

    For judging each trial against whoever reached a rung first, without waiting, use
    ``ASHA`` (``mode="stop"`` or ``"promote"``).

    >>> SuccessiveHalving(min_resource=2, max_resource=20, reduction_factor=3).rungs()
    [2, 6, 18, 20]
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
        n_configurations: int | None = None,
    ) -> None:
        lo, hi, eta = check_resources(
            "SuccessiveHalving", min_resource, max_resource, reduction_factor
        )
        self.min_resource, self.max_resource, self.reduction_factor = lo, hi, eta
        below = [r for r in geometric_rungs(lo, hi, eta) if r < hi]
        self._ladder = PromotionLadder([*below, hi], eta, 1)
        top = len(self._ladder.resources) - 1
        n = eta**top if n_configurations is None else n_configurations
        self.n_configurations = check_int("SuccessiveHalving", "n_configurations", n, 1)
        counts = [self.n_configurations]
        for _ in range(top):
            counts.append(max(1, counts[-1] // eta))
        self._counts = tuple(counts)
        self._index = ReportIndex(())  # only to know the unfinished trials cheaply

    def rungs(self) -> list[int]:
        """The rung resources; the last one is always ``max_resource``."""
        return list(self._ladder.resources)

    def bracket(self) -> list[tuple[int, int]]:
        """Each rung of a bracket as ``(n_configurations, resource)``, bottom first."""
        return list(zip(self._counts, self._ladder.resources, strict=True))

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        self._check_single_objective(history)
        return self._ladder.on_report(trial, step, value)

    def next_action(self, history: History) -> Action:
        """Stop a paused trial that a full rung did not promote, else resume one it promoted
        (the highest rung of the oldest bracket first), else start a new trial."""
        self._check_single_objective(history)
        n = self.n_configurations
        sign = -1.0 if history.direction is Direction.MAXIMIZE else 1.0
        resume: Resume | None = None
        with self._index.synced(history) as index:
            open_brackets = sorted({number // n for number in index.live})
        for b in open_brackets:  # a bracket whose trials all finished has nothing left to do
            members = history.trials[b * n : b * n + n]
            if len(members) < n:
                break  # not all started yet: its bottom rung cannot be full
            stop, promote = self._bracket_actions(members, sign)
            if stop is not None:
                return stop
            if resume is None:
                resume = promote
        return resume if resume is not None else Start(budget=self._ladder.resources[0])

    def _bracket_actions(
        self, members: Sequence[TrialRecord], sign: float
    ) -> tuple[Stop | None, Resume | None]:
        """The first ``Stop`` and the highest ``Resume`` that the full rungs of a bracket call
        for (``None`` when there is none)."""
        resources = self._ladder.resources
        stop: Stop | None = None
        resume: Resume | None = None
        expected: Sequence[TrialRecord] = members
        for k in range(len(resources) - 1):
            step = resources[k] - 1
            arrived: list[tuple[bool, float, int, TrialRecord]] = []
            for t in expected:
                v = t.intermediate_values.get(step)
                if v is not None:
                    nan = math.isnan(v)
                    arrived.append((nan, 0.0 if nan else sign * v, t.number, t))
                elif not t.state.is_finished():
                    return stop, resume  # rung k is not full yet
            arrived.sort(key=lambda item: item[:3])
            promoted = [item[3] for item in arrived[: self._counts[k + 1]]]
            chosen = {t.number for t in promoted}
            for _nan, _v, number, t in arrived:
                if self._ladder.paused_rung(t) != k:
                    continue
                if number not in chosen:
                    stop = stop or Stop(number)
                else:
                    resume = Resume(number, budget=resources[k + 1])  # the highest rung wins
            expected = promoted
        return stop, resume

    def _check_single_objective(self, history: History) -> None:
        if len(history.directions) != 1:
            raise ValueError(
                "SuccessiveHalving needs a single-objective study; this one has "
                f"{len(history.directions)} objectives"
            )

    def _settings(self) -> dict[str, Any]:
        return {
            "min_resource": self.min_resource,
            "max_resource": self.max_resource,
            "reduction_factor": self.reduction_factor,
            "n_configurations": self.n_configurations,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"SuccessiveHalving({args})"
