"""A simulated-clock executor: replay learning curves on N simulated workers.

``simulate_study(scheduler, curves, n_workers=4)`` plays one trial per configuration against a
simulated clock, asks the scheduler what to start or resume (``next_action``) and what to do
after each report (``on_report``) exactly as a study would, and returns every trial's final
record with the simulated time and the compute used. No threads, no sleeping, no storage:
deterministic and fast, for scheduler tests and benchmarks (STYLE.md item 17).

>>> from rheostat.schedulers import ASHA
>>> curves = [[q + 1 / (s + 1) for s in range(9)] for q in (0.5, 0.1, 0.9, 0.3, 0.7, 0.2)]
>>> result = simulate_study(ASHA(max_resource=9), curves, n_workers=2)
>>> [(t.state.value, t.last_step) for t in result.records]  # doctest: +NORMALIZE_WHITESPACE
[('COMPLETE', 8), ('COMPLETE', 8), ('PRUNED', 0), ('PRUNED', 0), ('PRUNED', 0),
 ('PRUNED', 2)]
>>> result.compute, 6 * 9, result.time
(24, 54, 13.0)

In ASHA's promotion type trials pause at a rung and resume where they paused when promoted:

>>> qualities = (0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6)
>>> curves = [[q + 1 / (s + 1) for s in range(9)] for q in qualities]
>>> result = simulate_study(ASHA(max_resource=9, mode="promote"), curves, n_workers=2)
>>> [t.last_step for t in result.records], result.records[1].state.value
([0, 8, 0, 2, 0, 2, 0, 0, 0], 'COMPLETE')
>>> result.resumes, result.compute
(((1, 3), (5, 3), (3, 3), (1, 9)), 21)
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rheostat.distributions import Int, ParamValue
from rheostat.schedulers import Decision, Resume, Scheduler, Start, StartFrom, Stop
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["SimulationResult", "simulate_study"]

CurveTable = Sequence[Sequence[float]]
"""``curves[config][step]``: the value configuration ``config`` reports at ``step``."""
CurveFunction = Callable[[int, int], float]
"""``curve(config, step)``: the value configuration ``config`` reports at ``step``."""


@dataclass(frozen=True)
class SimulationResult:
    """What ``simulate_study`` saw.

    ``records``: every trial's final record, in number order (trial ``k`` replays
    configuration ``k``, recorded as ``params["config"]``). ``decisions``: every
    ``(trial, step, decision)`` in the order they were made. ``time``: simulated wall-clock
    time until the last trial ended. ``compute``: resource units (steps) run by all trials
    together. ``busy_time``: simulated seconds the workers spent running steps. ``resumes``:
    every ``(trial, budget)`` the scheduler resumed, in order. ``stops``: every paused trial
    the scheduler stopped (``Stop``), in order.
    """

    records: tuple[TrialRecord, ...]
    decisions: tuple[tuple[int, int, Decision], ...]
    time: float
    compute: int
    busy_time: float
    resumes: tuple[tuple[int, float | None], ...] = ()
    stops: tuple[int, ...] = ()

    def best(self, direction: Direction | str = Direction.MINIMIZE) -> TrialRecord | None:
        """The finished trial with the best last reported value (pruned ones included)."""
        direction = Direction.parse(direction)
        best: TrialRecord | None = None
        for t in self.records:
            if t.values is None or math.isnan(t.values[0]) or not t.state.is_finished():
                continue
            if best is None or direction.better(t.values[0], best.values[0]):  # type: ignore[index]
                best = t
        return best


@dataclass
class _Run:
    number: int
    n_steps: int
    start: float
    worker: int
    budget: float | None
    state: TrialState = TrialState.RUNNING
    intermediate: dict[int, float] = field(default_factory=dict)
    values: tuple[float, ...] | None = None
    end: float | None = None
    parent: int | None = None
    params: dict[str, ParamValue] | None = None


def simulate_study(
    scheduler: Scheduler,
    curves: CurveTable | CurveFunction,
    *,
    n_trials: int | None = None,
    n_workers: int = 4,
    max_steps: int | None = None,
    step_time: float | Callable[[int, int], float] = 1.0,
    direction: Direction | str = Direction.MINIMIZE,
) -> SimulationResult:
    """Replay ``curves`` on ``n_workers`` simulated workers against a simulated clock.

    ``curves`` is a table (``curves[config][step]``) or a function ``curve(config, step)``.
    ``n_trials`` trials are started (default: one per row of the table; required with a
    function), trial ``k`` replaying configuration ``k``. A trial runs steps ``0, 1, …`` until
    its curve ends, ``max_steps`` or its budget (``ceil(action.budget)`` steps) runs out, or the
    scheduler says otherwise; step ``s`` of configuration ``c`` takes ``step_time`` simulated
    seconds (a number or a function ``(c, s) -> seconds``).

    At each report the scheduler decides with a ``History`` of every trial started so far
    (running ones included). ``CONTINUE`` runs the next step, or completes the trial at its
    last; ``STOP`` makes it ``PRUNED``; ``PAUSE`` leaves it ``PAUSED``. A finished, stopped or
    paused trial frees its worker, which asks ``next_action``: ``Start`` starts the next trial
    (while fewer than ``n_trials`` were started), ``Resume(number, budget)`` resumes that
    ``PAUSED`` trial with the new budget, continuing its curve at the step after its last
    report (its number, start time and reports are kept). Resumes do not count in
    ``n_trials``. ``StartFrom(parent, params, budget)`` starts the next trial ``k`` as if from
    the parent's checkpoint: it replays configuration ``k`` from the step after the parent's
    last report and records ``parent`` and ``params`` (``config`` set to ``k``); replayed curves do
    not depend on the weights copied, so this models exploitation only roughly.
    ``Stop(number)`` makes that ``PAUSED`` trial ``PRUNED`` with its last report, and the worker
    asks again. Once every trial was started, a free worker asks only while some trial is
    ``PAUSED``; one that gets nothing to resume waits, and every waiting worker asks again after
    the next pause or end. A finished trial's value is its last report. ``TypeError`` when the
    scheduler returns something that is not a ``Decision`` or an action; ``ValueError`` for a
    budget that is not positive, a trial with no step to run, or a resume or stop of a trial
    that is not ``PAUSED``.
    """
    direction = Direction.parse(direction)
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"simulate_study: n_workers must be an integer >= 1, got {n_workers!r}")
    if callable(curves):
        if n_trials is None:
            raise ValueError("simulate_study: give n_trials when curves is a function")
        curve_fn: CurveFunction = curves
        lengths: Sequence[int] | None = None
    else:
        table = curves

        def curve_fn(config: int, step: int) -> float:
            return table[config][step]

        lengths = [len(row) for row in table]
        n_trials = len(table) if n_trials is None else n_trials
        if n_trials > len(table):
            raise ValueError(
                f"simulate_study: n_trials={n_trials} but the table has {len(table)} curves"
            )
    if callable(step_time):
        seconds = step_time
    else:
        fixed_time = float(step_time)

        def seconds(config: int, step: int) -> float:
            return fixed_time

    config_dist = {"config": Int(0, max(n_trials - 1, 0))}

    runs: list[_Run] = []
    records: list[TrialRecord] = []
    queue: list[tuple[float, int, int]] = []  # (time, trial number, step)
    decisions: list[tuple[int, int, Decision]] = []
    compute, busy = 0, 0.0
    resumes: list[tuple[int, float | None]] = []
    stops: list[int] = []
    idle: list[int] = []  # workers with nothing to run, lowest first

    def record(run: _Run) -> TrialRecord:
        return TrialRecord(
            number=run.number,
            state=run.state,
            params=run.params or {"config": run.number},
            distributions=config_dist,
            values=run.values,
            intermediate_values=run.intermediate,
            datetime_start=run.start,
            datetime_complete=run.end,
            worker_id=f"simulated-{run.worker}",
            budget=run.budget,
            parent=run.parent,
        )

    def history() -> History:
        return History("simulated", (direction,), records, {"seed": 0})

    def steps_for(number: int, budget: float | None) -> list[int]:
        limits = [lengths[number]] if lengths is not None else []
        if budget is not None:
            limits.append(math.ceil(budget))
        if max_steps is not None:
            limits.append(max_steps)
        return limits

    def start_next(now: float, worker: int) -> bool:
        """Give ``worker`` what ``next_action`` says; ``False`` when it has nothing to run."""
        number = len(runs)
        while True:
            if number >= n_trials and not any(r.state is TrialState.PAUSED for r in runs):
                return False
            action = scheduler.next_action(history())
            if not isinstance(action, Stop):
                break
            stop(now, action.number)
        if not isinstance(action, (Start, Resume, StartFrom)):
            raise TypeError(
                f"next_action returned {action!r}, not a Start, Resume, StartFrom or Stop"
            )
        if action.budget is not None and not action.budget > 0:
            raise ValueError(f"next_action returned a budget of {action.budget!r}; need > 0")
        if isinstance(action, Resume):
            resume(now, worker, action)
            return True
        if number >= n_trials:
            return False
        first = 0
        if isinstance(action, StartFrom):
            if not 0 <= action.parent < number:
                raise ValueError(f"next_action asked to start from trial {action.parent}")
            parent = runs[action.parent]
            first = max(parent.intermediate) + 1 if parent.intermediate else 0
        limits = steps_for(number, action.budget)
        if not limits or min(limits) <= first:
            raise ValueError(
                f"simulate_study: trial {number} has no step to run from step {first} (curve "
                f"length, budget and max_steps give {limits}); give max_steps with a curve "
                "function"
            )
        run = _Run(number, min(limits), now, worker, action.budget)
        if isinstance(action, StartFrom):
            run.parent, run.params = action.parent, {**action.params, "config": number}
        runs.append(run)
        records.append(record(run))
        heapq.heappush(queue, (now + seconds(number, first), number, first))
        return True

    def stop(now: float, number: int) -> None:
        if not 0 <= number < len(runs) or runs[number].state is not TrialState.PAUSED:
            state = runs[number].state if 0 <= number < len(runs) else "not started"
            raise ValueError(
                f"next_action asked to stop trial {number}, which is {state}, not PAUSED"
            )
        run = runs[number]
        last = run.intermediate[max(run.intermediate)] if run.intermediate else math.nan
        run.state, run.values, run.end = TrialState.PRUNED, (last,), now
        stops.append(number)
        records[number] = record(run)

    def resume(now: float, worker: int, action: Resume) -> None:
        number = action.number
        if not 0 <= number < len(runs) or runs[number].state is not TrialState.PAUSED:
            state = runs[number].state if 0 <= number < len(runs) else "not started"
            raise ValueError(
                f"next_action asked to resume trial {number}, which is {state}, not PAUSED"
            )
        run = runs[number]
        budget = run.budget if action.budget is None else action.budget
        nxt = max(run.intermediate) + 1 if run.intermediate else 0
        limits = steps_for(number, budget)
        if not limits or min(limits) <= nxt:
            raise ValueError(
                f"simulate_study: resumed trial {number} has no step to run after step "
                f"{nxt - 1} (curve length, budget and max_steps give {limits})"
            )
        run.state, run.budget, run.worker, run.n_steps = (
            TrialState.RUNNING,
            budget,
            worker,
            min(limits),
        )
        resumes.append((number, action.budget))
        records[number] = record(run)
        heapq.heappush(queue, (now + seconds(number, nxt), number, nxt))

    def fill(now: float) -> None:
        """Give work to waiting workers, lowest first, until one gets none."""
        while idle and start_next(now, idle[0]):
            idle.pop(0)

    idle.extend(range(n_workers))
    fill(0.0)
    now = 0.0
    while queue:
        now, number, step = heapq.heappop(queue)
        run = runs[number]
        value = float(curve_fn(number, step))
        run.intermediate[step] = value
        compute += 1
        busy += seconds(number, step)
        records[number] = record(run)
        decision = scheduler.on_report(history(), records[number], step, value)
        if not isinstance(decision, Decision):
            raise TypeError(
                f"on_report returned {decision!r} for trial {number} at step {step}, not a Decision"
            )
        decisions.append((number, step, decision))
        if decision is Decision.CONTINUE and step + 1 < run.n_steps:
            heapq.heappush(queue, (now + seconds(number, step + 1), number, step + 1))
            continue
        if decision is Decision.PAUSE:
            run.state = TrialState.PAUSED
        else:
            run.state = TrialState.PRUNED if decision is Decision.STOP else TrialState.COMPLETE
            run.values = (value,)
            run.end = now
        records[number] = record(run)
        idle.append(run.worker)
        idle.sort()
        fill(now)
    return SimulationResult(
        tuple(records), tuple(decisions), now, compute, busy, tuple(resumes), tuple(stops)
    )
