"""Replayed learning curves on simulated workers, for the scheduler conformance suite.

``learning_curves`` makes curves with known bad ones (``is_bad``); ``simulate`` replays them on a
few simulated workers against a simulated clock, building the ``History`` by hand at each report
and checking every decision and action on the way (a paused trial is resumed or stopped only
while ``PAUSED``; a budget never shrinks). It differs from ``simulate_study`` in being strict
(assertions) and in giving each trial its own step time, so trials finish out of order.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from rheostat.distributions import Float, ParamValue
from rheostat.schedulers import Decision, Resume, Scheduler, Start, StartFrom, Stop
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["SimulatedRun", "finish", "is_bad", "learning_curves", "simulate"]

_BAD_OFFSET = 20.0


def learning_curves(n_trials: int, n_steps: int, *, seed: int = 0) -> list[list[float]]:
    """Replayed loss curves (lower is better): one list of ``n_steps`` values per trial.

    A good curve falls from about 2 to about its quality ``q`` in ``[0, 1)``; every third trial
    (numbers 2, 5, 8, …) is bad: the same shape shifted up by 20.
    """
    rng = random.Random(seed)
    curves = []
    for i in range(n_trials):
        q = rng.random()
        offset = _BAD_OFFSET if i % 3 == 2 else 0.0
        curves.append([offset + q + 1.0 / (s + 1) + 0.01 * rng.random() for s in range(n_steps)])
    return curves


def is_bad(curve: Sequence[float], direction: Direction = Direction.MINIMIZE) -> bool:
    """Whether a curve from ``learning_curves`` (negated for maximize) is one of the bad ones."""
    first = curve[0] if direction is Direction.MINIMIZE else -curve[0]
    return first >= _BAD_OFFSET


@dataclass
class _SimTrial:
    number: int
    curve: list[float]
    step_time: float
    state: TrialState = TrialState.RUNNING
    intermediate: dict[int, float] = field(default_factory=dict)
    values: tuple[float, ...] | None = None
    start: float = 0.0
    end: float | None = None
    budget: float | None = None
    parent: int | None = None
    params: dict[str, ParamValue] | None = None

    def record(self) -> TrialRecord:
        return TrialRecord(
            number=self.number,
            state=self.state,
            params=self.params or {"x": (self.number % 10) / 10},
            distributions={"x": Float(0.0, 1.0)},
            values=self.values,
            intermediate_values=dict(self.intermediate),
            datetime_start=self.start,
            datetime_complete=self.end,
            worker_id="simulated",
            budget=self.budget,
            parent=self.parent,
        )


@dataclass(frozen=True)
class SimulatedRun:
    """What ``simulate`` saw: the final records, every ``(trial, step, decision)``, every
    ``(trial, budget)`` resumed and every paused trial stopped (``Stop``)."""

    records: list[TrialRecord]
    decisions: list[tuple[int, int, Decision]]
    resumes: list[tuple[int, float | None]] = field(default_factory=list)
    stops: list[int] = field(default_factory=list)


def simulate(
    scheduler: Scheduler,
    curves: Sequence[Sequence[float]],
    *,
    n_workers: int = 3,
    direction: Direction = Direction.MINIMIZE,
) -> SimulatedRun:
    """Replay ``curves`` on ``n_workers`` simulated workers against a simulated clock.

    Trial ``i`` reports ``curves[i][s]`` at step ``s``; its steps take ``1 + (i % 4) / 4``
    simulated seconds, so trials overlap and finish out of order. At each report the scheduler
    gets a ``History`` of every trial started so far (running ones included) and decides; a
    ``STOP`` makes the trial ``PRUNED`` with its last value, a ``PAUSE`` leaves it ``PAUSED``.
    Either frees the worker, which then starts the next trial or resumes a ``PAUSED`` one (at the
    step after its last report, with the new budget) as the scheduler's ``next_action`` says;
    once every trial was started it asks only while some trial is ``PAUSED``. A resumed trial
    whose curve has no step left completes. A ``Stop`` makes a ``PAUSED`` trial ``PRUNED`` with
    its last value, and the worker asks again. Fails if a decision is not a ``Decision``, an
    action not a ``Start``, ``Resume``, ``StartFrom`` or ``Stop``, or a resumed or stopped trial
    not ``PAUSED``. A
    ``StartFrom`` starts a new trial (when fewer than ``len(curves)`` were started) that records
    its ``parent`` and ``params`` and reports its own curve from the step after the parent's
    last report, as if it had loaded the parent's checkpoint.
    """
    trials: list[_SimTrial] = []
    queue: list[tuple[float, int, int]] = []  # (time, trial number, step)
    decisions: list[tuple[int, int, Decision]] = []
    resumes: list[tuple[int, float | None]] = []
    stops: list[int] = []

    def history() -> History:
        return History("simulated", (direction,), [t.record() for t in trials], {"seed": 0})

    def start_next(now: float) -> None:
        while len(trials) < len(curves) or any(t.state is TrialState.PAUSED for t in trials):
            action = scheduler.next_action(history())
            if isinstance(action, Stop):
                stopped = trials[action.number]
                assert stopped.state is TrialState.PAUSED, (
                    f"next_action stopped trial {action.number}, which is {stopped.state}, "
                    "not PAUSED"
                )
                finish(stopped, Decision.STOP, now)
                stops.append(action.number)
                continue
            if not isinstance(action, Resume):
                break
            trial = trials[action.number]
            assert trial.state is TrialState.PAUSED, (
                f"next_action resumed trial {trial.number}, which is {trial.state}, not PAUSED"
            )
            grows = action.budget is None or trial.budget is None or action.budget > trial.budget
            assert grows, (
                f"trial {trial.number} was resumed with budget {action.budget}, not more than "
                f"its {trial.budget}"
            )
            resumes.append((trial.number, action.budget))
            trial.state = TrialState.RUNNING
            trial.budget = trial.budget if action.budget is None else action.budget
            step = max(trial.intermediate) + 1
            if step < len(trial.curve):
                heapq.heappush(queue, (now + trial.step_time, trial.number, step))
                return
            finish(trial, Decision.CONTINUE, now)  # nothing left to report: it completes
        else:
            return  # every trial was started and none is paused

        assert isinstance(action, (Start, StartFrom)), (
            f"next_action returned {action!r}, not a Start, Resume, StartFrom or Stop"
        )
        if len(trials) >= len(curves):
            return
        number = len(trials)
        step_time = 1.0 + (number % 4) / 4
        trial = _SimTrial(number, list(curves[number]), step_time, start=now, budget=action.budget)
        first = 0
        if isinstance(action, StartFrom):
            assert 0 <= action.parent < number, f"StartFrom names trial {action.parent}"
            parent = trials[action.parent]
            x = Float(0.0, 1.0)
            assert set(action.params) == {"x"} and x.contains(action.params["x"]), (
                f"StartFrom params {dict(action.params)} are not inside {{'x': {x!r}}}"
            )
            trial.parent, trial.params = action.parent, dict(action.params)
            # The child continues from the parent's checkpoint: it reports its own curve from
            # the step after the parent's last report.
            # A curve shorter than that leaves nothing to run: the child completes unreported.
            first = max(parent.intermediate) + 1 if parent.intermediate else 0
        trials.append(trial)
        if first < len(trial.curve):
            heapq.heappush(queue, (now + step_time, number, first))
        elif first > 0:
            trial.state, trial.end = TrialState.COMPLETE, now

    for _ in range(n_workers):
        start_next(0.0)
    while queue:
        now, number, step = heapq.heappop(queue)
        trial = trials[number]
        value = trial.curve[step]
        trial.intermediate[step] = value
        decision = scheduler.on_report(history(), trial.record(), step, value)
        assert isinstance(decision, Decision), (
            f"on_report returned {decision!r} for trial {number} at step {step}, not a Decision"
        )
        decisions.append((number, step, decision))
        if decision is Decision.CONTINUE and step + 1 < len(trial.curve):
            heapq.heappush(queue, (now + trial.step_time, number, step + 1))
            continue
        finish(trial, decision, now)
        start_next(now)
    return SimulatedRun([t.record() for t in trials], decisions, resumes, stops)


def finish(trial: _SimTrial, decision: Decision, now: float) -> None:
    """Apply the decision that ended a simulated trial's run."""
    if decision is Decision.PAUSE:
        trial.state = TrialState.PAUSED
    else:
        last = trial.intermediate[max(trial.intermediate)]
        trial.state = TrialState.PRUNED if decision is Decision.STOP else TrialState.COMPLETE
        trial.values = (last,) if math.isfinite(last) else None
        trial.end = now
