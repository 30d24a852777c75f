"""The planner gives the known answer for each of its rules."""

from __future__ import annotations

import dataclasses
import json

import pytest

import rheostat
from rheostat.analysis import Plan, plan
from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.space import Space


def floats(n: int) -> dict[str, Distribution]:
    return {f"p{i}": Float(0.0, 1.0) for i in range(n)}


def ints(n: int, k: int) -> dict[str, Distribution]:
    return {f"p{i}": Int(1, k) for i in range(n)}


def test_grid_for_two_parameters_and_a_small_grid() -> None:
    space = {"opt": Categorical(["sgd", "adam", "adamw"]), "layers": Int(1, 4)}
    p = plan(space, budget_hours=2, minutes_per_trial=1)
    assert p.strategy == "grid"
    assert p.n_trials == 12
    assert p.grid_size == 12
    assert p.scheduler is None
    assert not p.warnings
    assert any("full grid of 12 points" in r for r in p.reasons)


def test_no_grid_at_fifty_points_or_over_budget() -> None:
    big = plan(ints(2, 10) | {"p1": Int(1, 5)}, budget_hours=10, minutes_per_trial=1)
    assert big.grid_size == 50
    assert big.strategy == "random"
    over = plan(ints(2, 5), budget_hours=20 / 60, minutes_per_trial=1)  # 25 points, 20 trials
    assert over.strategy == "random"
    assert any("5^2 = 25" in w for w in over.warnings)


@pytest.mark.parametrize(
    ("n", "strategy"),
    [(1, "random"), (2, "random"), (3, "random"), (4, "random"), (5, "bayesian"), (8, "bayesian")],
)
def test_strategy_by_number_of_parameters(n: int, strategy: str) -> None:
    p = plan(floats(n), budget_hours=10, minutes_per_trial=1)
    assert p.strategy == strategy


def test_expensive_trials_get_bayesian_optimization() -> None:
    cheap = plan(floats(2), budget_hours=100, minutes_per_trial=29)
    dear = plan(floats(2), budget_hours=100, minutes_per_trial=30)
    assert (cheap.strategy, dear.strategy) == ("random", "bayesian")
    assert any("30 min per trial" in r for r in dear.reasons)


def test_trials_and_seeds_from_the_budget() -> None:
    p = plan(floats(3), budget_hours=2, minutes_per_trial=1)  # 120 trials
    assert (p.budget_trials, p.final_validation_seeds, p.n_trials) == (120, 3, 111)
    big = plan(floats(3), budget_hours=10, minutes_per_trial=1)  # 600 trials
    assert (big.final_validation_seeds, big.n_trials) == (5, 585)
    small = plan(floats(3), budget_hours=1, minutes_per_trial=3)  # 20 trials
    assert (small.final_validation_seeds, small.n_trials) == (2, 14)


@pytest.mark.parametrize(("hours", "scheduler"), [(0.5, "median"), (2.0, "asha")])
def test_pruning_when_trials_report(hours: float, scheduler: str) -> None:
    p = plan(floats(3), budget_hours=hours, minutes_per_trial=1, reports_intermediate=True)
    assert p.scheduler == scheduler
    assert plan(floats(3), budget_hours=hours, minutes_per_trial=1).scheduler is None


def test_exploding_grid_warns_with_the_cost_of_random_search() -> None:
    p = plan(ints(6, 4), budget_hours=10, minutes_per_trial=5)
    assert p.strategy == "bayesian"
    (warning,) = [w for w in p.warnings if "full grid" in w]
    assert "4^6 = 4096 configurations" in warning
    assert "341 h" in warning  # 4096 * 5 min
    assert "111 trials costs 9.25 h" in warning


def test_bayesian_with_too_few_trials_warns() -> None:
    p = plan(floats(8), budget_hours=10, minutes_per_trial=10)  # 60 trials, 51 to search
    assert p.n_trials == 51
    assert any("fewer than 10 per parameter" in w for w in p.warnings)


def test_budget_without_room_for_one_trial() -> None:
    p = plan(floats(2), budget_hours=0.1, minutes_per_trial=10)
    assert (p.n_trials, p.budget_trials) == (0, 0)
    assert any("holds no trial" in w for w in p.warnings)


def test_single_value_parameters_are_not_counted() -> None:
    space = {"a": Float(0.0, 1.0), "b": Float(0.9, 0.9), "c": Categorical(["x"])}
    p = plan(Space(space), budget_hours=1, minutes_per_trial=1)
    assert p.strategy == "random"
    assert any("'b', 'c'" in w for w in p.warnings)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        plan({}, budget_hours=1, minutes_per_trial=1)
    with pytest.raises(ValueError, match="budget_hours"):
        plan(floats(1), budget_hours=-1, minutes_per_trial=1)
    with pytest.raises(ValueError, match="minutes_per_trial"):
        plan(floats(1), budget_hours=1, minutes_per_trial=float("inf"))
    with pytest.raises(TypeError, match="not a distribution"):
        plan({"a": 3}, budget_hours=1, minutes_per_trial=1)  # type: ignore[dict-item]


def test_plan_is_a_frozen_json_able_value_exported_from_rheostat() -> None:
    p = rheostat.plan(floats(3), budget_hours=1, minutes_per_trial=1)
    assert isinstance(p, rheostat.Plan)
    assert isinstance(p, Plan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n_trials = 3  # type: ignore[misc]
    data = json.loads(json.dumps(p.to_json()))
    assert data["strategy"] == "random"
    assert data["validate_top_k"] == 3
