"""Stopping rules end ``optimize`` at the right trial on designed objectives and say why."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

import rheostat
from rheostat.analysis import (
    STOP_REASON_ATTR,
    ImprovementBelow,
    NoImprovement,
    StoppingRule,
    TrialBudget,
)
from rheostat.trial import Direction, TrialRecord, TrialState


def by_number(values: Sequence[float]) -> Any:
    """An objective returning ``values[trial.number]`` (the last one after the list ends)."""

    def objective(trial: rheostat.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        return values[min(trial.number, len(values) - 1)]

    return objective


def test_no_improvement_stops_after_patience_trials() -> None:
    # improves at trials 0..9, then never again: 5 more trials, stop after trial 14
    values = [10.0 - i for i in range(10)] + [5.0] * 100
    study = rheostat.create_study(seed=0)
    rule = NoImprovement(patience=5)
    study.optimize(by_number(values), n_trials=100, callbacks=[rule])
    assert len(study.trials) == 15
    assert rule.stopped_after == 14
    assert rule.reason is not None
    assert "no improvement in 5 finished trials since trial 9" in rule.reason
    assert study.system_attrs[STOP_REASON_ATTR] == {
        "rule": "NoImprovement",
        "reason": rule.reason,
        "trial": 14,
    }


def test_no_improvement_maximize_and_min_delta() -> None:
    # gains of 0.001 per trial do not count with min_delta=0.01
    values = [0.5 + 0.001 * i for i in range(100)]
    study = rheostat.create_study(seed=0, direction="maximize")
    rule = NoImprovement(patience=3, min_delta=0.01)
    study.optimize(by_number(values), n_trials=100, callbacks=[rule])
    assert len(study.trials) == 4  # trial 0 sets the reference; 1, 2, 3 add < 0.01
    without = rheostat.create_study(seed=0, direction="maximize")
    rule = NoImprovement(patience=3)
    without.optimize(by_number(values), n_trials=30, callbacks=[rule])
    assert len(without.trials) == 30
    assert rule.reason is None
    assert STOP_REASON_ATTR not in without.system_attrs


def test_no_improvement_counts_pruned_and_failed_trials() -> None:
    def objective(trial: rheostat.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 0:
            return 1.0
        if trial.number % 2:
            raise rheostat.TrialPruned()
        raise ValueError("boom")

    study = rheostat.create_study(seed=0)
    rule = NoImprovement(patience=4)
    study.optimize(objective, n_trials=50, callbacks=[rule], catch=ValueError)
    assert len(study.trials) == 5
    states = [t.state for t in study.trials]
    assert states.count(TrialState.PRUNED) == 2
    assert states.count(TrialState.FAILED) == 2


def test_improvement_below_stops_when_gains_shrink() -> None:
    # the best halves every trial; over the last 5 trials the gain per trial is 6.2 * 2**-n,
    # which first drops below 0.01 at n = 10
    values = [2.0**-i for i in range(100)]
    study = rheostat.create_study(seed=0)
    rule = ImprovementBelow(threshold=0.01, window=5)
    study.optimize(by_number(values), n_trials=100, callbacks=[rule])
    assert rule.stopped_after == 10
    assert len(study.trials) == 11
    assert rule.reason is not None
    assert "over the last 5 completed trials" in rule.reason
    assert study.system_attrs[STOP_REASON_ATTR]["rule"] == "ImprovementBelow"


def test_improvement_below_needs_a_full_window() -> None:
    study = rheostat.create_study(seed=0)
    rule = ImprovementBelow(threshold=1.0, window=8)  # nothing ever improves by 1 per trial
    study.optimize(by_number([1.0]), n_trials=100, callbacks=[rule])
    assert len(study.trials) == 9  # 9 completed trials make a window of 8 gains


def test_trial_budget_counts_the_whole_study() -> None:
    study = rheostat.create_study(seed=0)
    study.optimize(by_number([1.0]), n_trials=4)
    rule = TrialBudget(max_trials=7)
    study.optimize(by_number([1.0]), n_trials=100, callbacks=[rule])
    assert len(study.trials) == 7
    assert rule.reason == "7 finished trials reached the budget of 7"


def test_trial_budget_in_seconds_is_the_summed_duration() -> None:
    def objective(trial: rheostat.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        time.sleep(0.02)
        return 1.0

    study = rheostat.create_study(seed=0)
    rule = TrialBudget(max_seconds=0.1)
    study.optimize(objective, n_trials=100, callbacks=[rule])
    durations = [t.duration or 0.0 for t in study.trials]
    assert sum(durations) >= 0.1 > sum(durations[:-1])
    assert 2 <= len(durations) <= 5
    assert rule.reason is not None
    assert "budget of 0.1 s" in rule.reason


def test_a_rule_fires_once_with_several_workers() -> None:
    study = rheostat.create_study(seed=0)
    rule = TrialBudget(max_trials=6)
    study.optimize(by_number([1.0]), n_trials=100, n_workers=2, callbacks=[rule])
    assert 6 <= len(study.trials) <= 7  # a trial already running when it fired finishes
    assert study.system_attrs[STOP_REASON_ATTR]["trial"] == rule.stopped_after


class FakeStudy:
    """Anything with directions, get_trials, stop and set_user_attr will do (no rheostat.Study)."""

    def __init__(self, values: Sequence[float]) -> None:
        self.directions = (Direction.MINIMIZE,)
        self.records = [
            TrialRecord(i, TrialState.COMPLETE, values=(v,)) for i, v in enumerate(values)
        ]
        self.stopped = False
        self.attrs: dict[str, Any] = {}

    def get_trials(self, states: Iterable[TrialState] | None = None) -> list[TrialRecord]:
        wanted = None if states is None else set(states)
        return [t for t in self.records if wanted is None or t.state in wanted]

    def stop(self, reason: Any = None) -> None:
        self.stopped = True
        if reason is not None:
            self.attrs[STOP_REASON_ATTR] = reason


def test_rules_need_only_the_protocol() -> None:
    fake = FakeStudy([3.0, 2.0, 2.0, 2.0])
    rule = NoImprovement(patience=2)
    rule(fake, fake.records[-1])
    assert fake.stopped
    assert fake.attrs[STOP_REASON_ATTR]["trial"] == 3
    assert isinstance(rule, StoppingRule)


def test_bad_arguments_and_several_objectives() -> None:
    with pytest.raises(ValueError, match="patience"):
        NoImprovement(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        NoImprovement(patience=1, min_delta=-1.0)
    with pytest.raises(ValueError, match="threshold"):
        ImprovementBelow(threshold=float("nan"), window=3)
    with pytest.raises(ValueError, match="window"):
        ImprovementBelow(threshold=0.1, window=0)
    with pytest.raises(ValueError, match="max_trials, max_seconds"):
        TrialBudget()
    study = rheostat.create_study(seed=0, directions=["minimize", "maximize"])

    def two(trial: rheostat.Trial) -> tuple[float, float]:
        return trial.suggest_float("x", 0.0, 1.0), 1.0

    with pytest.raises(ValueError, match="single-objective"):
        study.optimize(two, n_trials=3, callbacks=[NoImprovement(patience=2)])
    multi = rheostat.create_study(seed=0, directions=["minimize", "maximize"])
    multi.optimize(two, n_trials=10, callbacks=[TrialBudget(max_trials=4)])
    assert len(multi.trials) == 4
