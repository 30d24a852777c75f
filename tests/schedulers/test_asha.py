"""ASHA in the stopping type: modes, compute saved on the simulated clock, a real study."""

from __future__ import annotations

import json
import math
import random

import pytest

import rheostat
from rheostat.schedulers import ASHA
from rheostat.study import Trial
from rheostat.testing import simulate_study
from rheostat.trial import TrialState


def asha(min_resource: int = 1, max_resource: int = 81, eta: int = 3) -> ASHA:
    return ASHA(min_resource=min_resource, max_resource=max_resource, reduction_factor=eta)


def test_promote_mode_is_available() -> None:
    # the promotion type is tested in test_asha_promote.py
    assert ASHA(mode="promote").dump()["mode"] == "promote"


@pytest.mark.parametrize("mode", ["pause", "STOP", "", None])
def test_unknown_mode(mode: object) -> None:
    with pytest.raises(ValueError, match=r"mode must be one of \('stop', 'promote'\)"):
        ASHA(mode=mode)  # type: ignore[arg-type]


def test_dump_and_repr() -> None:
    scheduler = ASHA(min_resource=1, max_resource=27, reduction_factor=3, n_min_trials=5)
    state = scheduler.dump()
    assert json.loads(json.dumps(state)) == state
    assert state == {
        "type": "ASHA",
        "min_resource": 1,
        "max_resource": 27,
        "reduction_factor": 3,
        "n_min_trials": 5,
        "mode": "stop",
    }
    assert repr(scheduler) == (
        "ASHA(min_resource=1, max_resource=27, reduction_factor=3, n_min_trials=5, mode='stop')"
    )


# -- on the simulated clock ------------------------------------------------------------------------


def _curves(n: int, steps: int, seed: int) -> list[list[float]]:
    """Loss curves falling like 1/sqrt(step) to a random final quality; the start varies."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q, b = rng.random(), 0.3 * rng.random()
        out.append([q + (1.0 + b) / math.sqrt(s + 1) for s in range(steps)])
    return out


def test_four_workers_use_far_less_compute_and_keep_the_best() -> None:
    curves = _curves(200, 81, seed=0)
    best = min(range(len(curves)), key=lambda i: curves[i][-1])
    run = simulate_study(asha(), curves, n_workers=4)
    full = simulate_study(rheostat.schedulers.FIFOScheduler(), curves, n_workers=4)
    assert full.compute == 200 * 81
    assert run.compute <= 0.15 * full.compute  # 1,862 of 16,200 steps
    assert run.time <= 0.15 * full.time
    assert run.records[best].state is TrialState.COMPLETE
    found = run.best()
    assert found is not None
    assert found.number == best
    # the curves run to step 80 only: budget = max_resource caps every trial
    assert max(t.last_step or 0 for t in run.records) == 80


def test_budget_caps_longer_curves() -> None:
    # Curves longer than max_resource: every trial stops at max_resource steps.
    run = simulate_study(asha(1, 27, 3), _curves(40, 60, seed=2), n_workers=4)
    assert all(t.budget == 27 for t in run.records)
    assert max(len(t.intermediate_values) for t in run.records) == 27
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in run.records)


def test_more_workers_same_quality_less_time() -> None:
    curves = _curves(200, 27, seed=4)
    best = min(range(len(curves)), key=lambda i: curves[i][-1])
    one = simulate_study(asha(1, 27, 3), curves, n_workers=1)
    eight = simulate_study(asha(1, 27, 3), curves, n_workers=8)
    for run in (one, eight):
        assert run.records[best].state is TrialState.COMPLETE
    assert eight.time <= one.time / 6
    assert one.time == one.compute  # one worker, one second per step: never idle


# -- a real study ----------------------------------------------------------------------------------


def _loss(x: float, step: int) -> float:
    # Every curve falls the same way; the final quality is (x - 0.3)**2, so the ranking of
    # configurations is the same at every step.
    return (x - 0.3) ** 2 + 1.0 / (step + 1)


@pytest.mark.parametrize("n_workers", [1, 3])
def test_end_to_end_in_memory_study(n_workers: int) -> None:
    max_resource = 27
    seen_budgets: list[float | None] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        seen_budgets.append(trial.budget)
        assert trial.budget is not None
        value = math.nan
        for step in range(int(trial.budget)):
            value = _loss(x, step)
            trial.report(value, step)
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return value

    study = rheostat.create_study(
        scheduler=ASHA(min_resource=1, max_resource=max_resource, reduction_factor=3), seed=0
    )
    study.optimize(objective, n_trials=60, n_workers=n_workers)
    trials = study.trials
    study.storage.close()

    assert seen_budgets == [max_resource] * 60
    assert all(t.budget == max_resource for t in trials)
    assert all(len(t.intermediate_values) <= max_resource for t in trials)
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(pruned) + len(complete) == 60
    assert len(pruned) >= 30
    assert all(t.last_step == max_resource - 1 for t in complete)
    # the configuration closest to 0.3 is never stopped and wins
    closest = min(trials, key=lambda t: abs(float(t.params["x"]) - 0.3))
    assert closest.state is TrialState.COMPLETE
    assert study.best_trial.number == closest.number
    steps = sum(len(t.intermediate_values) for t in trials)
    assert steps <= 0.5 * 60 * max_resource


def test_an_objective_that_ignores_the_budget_is_stopped_just_past_it() -> None:
    def objective(trial: Trial) -> float:
        for step in range(100):
            trial.report(1.0, step)  # all equal: never stopped at a rung
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return 1.0

    study = rheostat.create_study(scheduler=asha(1, 9, 3), seed=0)
    study.optimize(objective, n_trials=3)
    trials = study.trials
    study.storage.close()
    assert [(t.state, t.last_step) for t in trials] == [(TrialState.PRUNED, 9)] * 3
