"""The simulated-clock executor: time, compute, budgets, decisions, errors."""

from __future__ import annotations

import doctest
import math
from typing import Any

import pytest

from rheostat.schedulers import ASHA, Decision, FIFOScheduler, Scheduler, Start
from rheostat.testing import SimulationResult, simulate_study
from rheostat.testing import _simulator as simulator_module
from rheostat.trial import History, TrialRecord, TrialState


class _Scripted(Scheduler):
    """Fixed budget; stops trial numbers in ``stop`` at step ``at``; pauses those in ``pause``."""

    def __init__(
        self,
        budget: float | None = None,
        stop: frozenset[int] = frozenset(),
        pause: frozenset[int] = frozenset(),
        at: int = 0,
    ) -> None:
        self.budget, self.stop, self.pause, self.at = budget, stop, pause, at
        self.histories: list[int] = []

    def next_action(self, history: History) -> Start:
        self.histories.append(len(history))
        return Start(budget=self.budget)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        assert trial.intermediate_values[step] == value
        assert history.trials[trial.number] == trial
        if step == self.at and trial.number in self.stop:
            return Decision.STOP
        if step == self.at and trial.number in self.pause:
            return Decision.PAUSE
        return Decision.CONTINUE


def test_docstring_example() -> None:
    result = doctest.testmod(simulator_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_fifo_runs_everything_and_keeps_the_clock() -> None:
    # Four trials of three steps on two workers, one second a step: 6 s, 12 steps.
    curves = [[float(i), float(i) + 1, float(i) + 2] for i in range(4)]
    run = simulate_study(FIFOScheduler(), curves, n_workers=2)
    assert isinstance(run, SimulationResult)
    assert (run.time, run.compute, run.busy_time) == (6.0, 12, 12.0)
    assert [t.state for t in run.records] == [TrialState.COMPLETE] * 4
    assert [t.values for t in run.records] == [(2.0,), (3.0,), (4.0,), (5.0,)]
    assert [(t.datetime_start, t.datetime_complete) for t in run.records] == [
        (0.0, 3.0),
        (0.0, 3.0),
        (3.0, 6.0),
        (3.0, 6.0),
    ]
    assert [t.worker_id for t in run.records] == [
        "simulated-0",
        "simulated-1",
        "simulated-0",
        "simulated-1",
    ]
    assert [t.params["config"] for t in run.records] == [0, 1, 2, 3]
    assert len(run.decisions) == 12
    assert all(d is Decision.CONTINUE for _n, _s, d in run.decisions)


def test_stop_frees_the_worker_and_keeps_the_last_value() -> None:
    curves = [[1.0, 2.0, 3.0]] * 3
    run = simulate_study(_Scripted(stop=frozenset({0}), at=1), curves, n_workers=1)
    assert [(t.state, t.values, t.last_step) for t in run.records] == [
        (TrialState.PRUNED, (2.0,), 1),
        (TrialState.COMPLETE, (3.0,), 2),
        (TrialState.COMPLETE, (3.0,), 2),
    ]
    assert (run.time, run.compute) == (8.0, 8)


def test_pause_leaves_the_trial_paused() -> None:
    run = simulate_study(_Scripted(pause=frozenset({1})), [[1.0, 2.0]] * 3, n_workers=2)
    assert [t.state for t in run.records] == [
        TrialState.COMPLETE,
        TrialState.PAUSED,
        TrialState.COMPLETE,
    ]
    assert run.records[1].values is None
    assert run.records[1].datetime_complete is None


def test_budget_limits_the_steps() -> None:
    run = simulate_study(_Scripted(budget=2.5), [[0.0] * 10] * 2, n_workers=2)
    assert [t.last_step for t in run.records] == [2, 2]  # ceil(2.5) = 3 steps
    assert [t.budget for t in run.records] == [2.5, 2.5]


def test_curve_function_and_step_time() -> None:
    calls: list[tuple[int, int]] = []

    def curve(config: int, step: int) -> float:
        calls.append((config, step))
        return config * 10.0 + step

    run = simulate_study(
        FIFOScheduler(),
        curve,
        n_trials=3,
        max_steps=4,
        n_workers=3,
        step_time=lambda config, step: 1.0 + config,
    )
    assert [dict(t.intermediate_values) for t in run.records] == [
        {s: c * 10.0 + s for s in range(4)} for c in range(3)
    ]
    assert run.time == 12.0  # config 2: four steps of 3 s
    assert run.busy_time == 4 * (1 + 2 + 3)
    assert len(calls) == 12


def test_history_grows_with_started_trials() -> None:
    scheduler = _Scripted()
    simulate_study(scheduler, [[0.0, 0.0]] * 5, n_workers=2)
    assert scheduler.histories == [0, 1, 2, 3, 4]


def test_deterministic() -> None:
    curves = [[math.sin(i * 7 + s) + 1.0 / (s + 1) for s in range(27)] for i in range(50)]

    def once() -> tuple[Any, ...]:
        run = simulate_study(
            ASHA(max_resource=27), curves, n_workers=3, step_time=lambda c, s: 1 + (c % 4) / 4
        )
        return run.decisions, run.time, run.compute, [t.state for t in run.records]

    assert once() == once()


def test_best() -> None:
    run = simulate_study(FIFOScheduler(), [[3.0], [1.0], [math.nan], [2.0]], n_workers=2)
    best_min, best_max = run.best(), run.best("maximize")
    assert best_min is not None
    assert best_min.number == 1
    assert best_max is not None
    assert best_max.number == 0


class _Wrong(Scheduler):
    def __init__(self, what: str) -> None:
        self.what = what

    def next_action(self, history: History) -> Any:
        return "start" if self.what == "action" else Start(budget=0 if self.what == "zero" else 1)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Any:
        return "continue"


@pytest.mark.parametrize(
    ("scheduler", "error", "message"),
    [
        (_Wrong("action"), TypeError, "next_action returned 'start', not a Start"),
        (_Wrong("decision"), TypeError, "on_report returned 'continue' for trial 0 at step 0"),
        (_Wrong("zero"), ValueError, "budget of 0"),
    ],
)
def test_wrong_scheduler_answers(scheduler: Scheduler, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        simulate_study(scheduler, [[1.0]], n_workers=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"curves": lambda c, s: 0.0}, "give n_trials when curves is a function"),
        ({"curves": lambda c, s: 0.0, "n_trials": 2}, "no step to run"),
        ({"curves": [[1.0]], "n_trials": 2}, "n_trials=2 but the table has 1 curves"),
        ({"curves": [[1.0]], "n_workers": 0}, "n_workers must be an integer >= 1"),
        ({"curves": [[]]}, "no step to run"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_study(FIFOScheduler(), **kwargs)


def test_no_trials() -> None:
    run = simulate_study(FIFOScheduler(), [], n_workers=2)
    assert (run.records, run.decisions, run.time, run.compute) == ((), (), 0.0, 0)
