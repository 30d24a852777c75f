"""Synchronous successive halving (Jamieson and Talwalkar 2016; Li et al. 2018, Algorithm 1's
inner loop): a rung waits until it is full, then its best ``1 / eta`` go on and the rest stop.

``SyncBracket`` holds the rules of one bracket; ``SynchronousBrackets`` runs brackets of
consecutively numbered trials with them, for ``SuccessiveHalving`` (one bracket shape, repeated)
and ``Hyperband`` (its brackets in turn).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

from rheostat.schedulers._base import Action, Decision, Resume, Scheduler, Start, Stop
from rheostat.schedulers._index import ReportIndex
from rheostat.schedulers._promotion import PromotionLadder
from rheostat.schedulers._rungs import check_int, check_resources, geometric_rungs
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["SuccessiveHalving", "SyncBracket", "SynchronousBrackets"]

_JUDGED_MAX = 64  # brackets whose last judgement is kept (open brackets are few)
_Judgement = tuple[Stop | None, Resume | None]


class SyncBracket:
    """One bracket of synchronous successive halving: ``counts[k]`` trials reach rung resource
    ``resources[k]`` (ascending integers, the last one the maximum), ``counts[0]`` trials in all.

    >>> SyncBracket([1, 3, 9], [9, 3, 1], reduction_factor=3).size
    9
    """

    def __init__(self, resources: Sequence[int], counts: Sequence[int], reduction_factor: int):
        if len(resources) != len(counts) or not counts:
            raise ValueError(
                f"SyncBracket: resources {list(resources)} and counts {list(counts)} must be "
                "non-empty and of the same length"
            )
        self.ladder = PromotionLadder(resources, reduction_factor, 1)
        self.resources = tuple(resources)
        self.counts = tuple(counts)
        # A cache, not state: per bracket (by its first trial's number), the members and the
        # sign last judged and the answer; records are frozen, so the same objects give the
        # same answer. Never pickled.
        self._judged: dict[int, tuple[tuple[TrialRecord, ...], float, _Judgement]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_judged": {}}

    @property
    def size(self) -> int:
        """How many trials start in the bracket (at its bottom rung)."""
        return self.counts[0]

    def on_report(self, trial: TrialRecord, step: int, value: float) -> Decision:
        """``PAUSE`` at the end of a budget below the top rung, ``STOP`` on NaN or past it."""
        return self.ladder.on_report(trial, step, value)

    def actions(
        self, members: Sequence[TrialRecord], sign: float
    ) -> tuple[Stop | None, Resume | None]:
        """The first ``Stop`` and the highest ``Resume`` that the full rungs of the bracket
        whose trials are ``members`` call for (``None`` when there is none).

        Rung ``k`` is full once every trial sent there reported at step ``resources[k] - 1``
        or finished without getting there; then its best ``counts[k + 1]`` (by that report,
        ties to the lower number, NaN last) go on and the others paused there are stopped.
        """
        if not members:
            return None, None
        first = members[0].number
        seen = self._judged.get(first)
        if (
            seen is not None
            and seen[1] == sign
            and len(seen[0]) == len(members)
            and all(map(operator.is_, seen[0], members))
        ):
            return seen[2]
        answer = self._actions(members, sign)
        if len(self._judged) >= _JUDGED_MAX:
            self._judged.clear()  # one call: safe if another thread judges at the same time
        self._judged[first] = (tuple(members), sign, answer)
        return answer

    def _actions(
        self, members: Sequence[TrialRecord], sign: float
    ) -> tuple[Stop | None, Resume | None]:
        resources = self.resources
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
            promoted = [item[3] for item in arrived[: self.counts[k + 1]]]
            chosen = {t.number for t in promoted}
            for _nan, _v, number, t in arrived:
                if self.ladder.paused_rung(t) != k:
                    continue
                if number not in chosen:
                    stop = stop or Stop(number)
                else:
                    resume = Resume(number, budget=resources[k + 1])  # the highest rung wins
            expected = promoted
        return stop, resume


class SynchronousBrackets(Scheduler):
    """Runs brackets of synchronous successive halving over consecutively numbered trials.

    Subclasses say, for a trial number, which bracket it joins and the number of that
    bracket's first trial (``_placement``); a bracket's trials are numbered
    ``first .. first + size - 1``. When a worker asks for work it gets, in this order: a
    ``Stop`` for a paused trial that a full rung did not promote (any open bracket); a
    ``Resume`` for one it promoted (the oldest bracket first, its highest rung first); else a
    ``Start`` of the next trial at the bottom rung of the bracket that trial joins. So a worker
    never waits for a rung to fill: it starts the next bracket's trials meanwhile. Stateless:
    every decision is derived from the history.
    """

    _index: ReportIndex  # only to know the unfinished trials cheaply: set by subclasses

    def _placement(self, number: int) -> tuple[int, SyncBracket]:
        """``(number of the bracket's first trial, bracket)`` of the bracket trial ``number``
        joins."""
        raise NotImplementedError

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        self._check_single_objective(history)
        return self._placement(trial.number)[1].on_report(trial, step, value)

    def next_action(self, history: History) -> Action:
        """Stop a paused trial that a full rung did not promote, else resume one it promoted
        (the highest rung of the oldest bracket first), else start the next trial."""
        self._check_single_objective(history)
        sign = -1.0 if history.direction is Direction.MAXIMIZE else 1.0
        resume: Resume | None = None
        with self._index.synced(history) as index:
            live = sorted(index.live)
        waiting = next((n for n in live if history.trials[n].state is TrialState.WAITING), None)
        done: set[int] = set()
        for number in live:  # a bracket whose trials all finished has nothing left to do
            first, bracket = self._placement(number)
            if first in done:
                continue
            done.add(first)
            members = history.trials[first : first + bracket.size]
            if len(members) < bracket.size:
                break  # not all started yet (the newest bracket): its bottom rung is not full
            stop, promote = bracket.actions(members, sign)
            if stop is not None:
                return stop
            if resume is None:
                resume = promote
        if resume is not None:
            return resume
        # The next trial to run: the oldest enqueued one, else a new one.
        number = len(history.trials) if waiting is None else waiting
        return Start(budget=self._placement(number)[1].resources[0])

    def _check_single_objective(self, history: History) -> None:
        if len(history.directions) != 1:
            raise ValueError(
                f"{type(self).__name__} needs a single-objective study; this one has "
                f"{len(history.directions)} objectives"
            )


class SuccessiveHalving(SynchronousBrackets):
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
        n = eta ** len(below) if n_configurations is None else n_configurations
        self.n_configurations = check_int("SuccessiveHalving", "n_configurations", n, 1)
        counts = [self.n_configurations]
        for _ in below:
            counts.append(max(1, counts[-1] // eta))
        self._bracket = SyncBracket([*below, hi], counts, eta)
        self._index = ReportIndex(())  # only to know the unfinished trials cheaply

    def rungs(self) -> list[int]:
        """The rung resources; the last one is always ``max_resource``."""
        return list(self._bracket.resources)

    def bracket(self) -> list[tuple[int, int]]:
        """Each rung of a bracket as ``(n_configurations, resource)``, bottom first."""
        return list(zip(self._bracket.counts, self._bracket.resources, strict=True))

    def _placement(self, number: int) -> tuple[int, SyncBracket]:
        n = self.n_configurations
        return number // n * n, self._bracket

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
