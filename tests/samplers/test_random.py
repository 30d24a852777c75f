"""Known answers for RandomSampler: it finds an easy optimum and draws from each prior."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from scipy import stats

import rheostat
from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.samplers import RandomSampler
from rheostat.study import Trial


def draws(dist: Distribution, n: int, seed: int = 0) -> list[Any]:
    """``n`` values of ``dist`` drawn by ``RandomSampler(seed)`` through ``study.ask``."""
    study = rheostat.create_study(sampler=RandomSampler(seed=seed))
    values = []
    for _ in range(n):
        trial = study.ask({"p": dist})
        values.append(trial.params["p"])
        study.tell(trial, 0.0)
    study.storage.close()
    return values


def draws_define_by_run(dist: Distribution, n: int, seed: int = 0) -> list[Any]:
    """``n`` values of ``dist`` drawn by ``RandomSampler(seed)`` in a define-by-run objective."""
    values = []

    def objective(trial: Trial) -> float:
        values.append(trial.suggest("p", dist))
        return 0.0

    study = rheostat.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n)
    study.storage.close()
    return values


@pytest.mark.parametrize("seed", range(5))
def test_finds_the_optimum_of_a_parabola(seed: int) -> None:
    study = rheostat.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=100)
    study.storage.close()
    assert abs(study.best_params["x"] - 2) < 0.5
    assert study.best_value == pytest.approx((study.best_params["x"] - 2) ** 2)


@pytest.mark.parametrize("draw", [draws, draws_define_by_run])
def test_log_float_is_log_uniform(draw: Callable[[Distribution, int], list[Any]]) -> None:
    dist = Float(1e-5, 1e-1, log=True)
    values = draw(dist, 2000)
    assert all(1e-5 <= v <= 1e-1 for v in values)
    logs = [(math.log10(v) + 5) / 4 for v in values]  # log10 in [-5, -1] mapped to [0, 1]
    assert stats.kstest(logs, "uniform").pvalue > 0.001
    # A linear-scale draw would put almost everything in the top decade: check it does not.
    assert 0.2 < sum(v < 1e-3 for v in values) / len(values) < 0.8


def test_linear_float_is_uniform() -> None:
    values = draws(Float(-3.0, 5.0), 2000)
    assert stats.kstest([(v + 3) / 8 for v in values], "uniform").pvalue > 0.001


@pytest.mark.parametrize("draw", [draws, draws_define_by_run])
def test_int_hits_each_value_equally(draw: Callable[[Distribution, int], list[Any]]) -> None:
    values = draw(Int(1, 4), 2000)
    assert all(type(v) is int for v in values)
    counts = [values.count(k) for k in (1, 2, 3, 4)]
    assert sum(counts) == 2000
    assert stats.chisquare(counts).pvalue > 0.001


def test_int_step_and_categorical_hit_each_value_equally() -> None:
    values = draws(Int(0, 20, step=5), 2000)
    counts = [values.count(k) for k in (0, 5, 10, 15, 20)]
    assert sum(counts) == 2000
    assert stats.chisquare(counts).pvalue > 0.001
    choices = [None, True, 1, "a"]
    picked = draws(Categorical(choices), 2000)
    counts = [sum(1 for v in picked if type(v) is type(c) and v == c) for c in choices]
    assert sum(counts) == 2000
    assert stats.chisquare(counts).pvalue > 0.001


def test_log_int_is_log_uniform() -> None:
    values = draws(Int(1, 1000, log=True), 2000)
    small = sum(v <= 31 for v in values) / len(values)
    assert 0.4 < small < 0.6  # half of the log range lies below sqrt(1000) ~ 31.6


def test_seed_must_be_an_int() -> None:
    with pytest.raises(TypeError, match=r"seed='1'"):
        RandomSampler(seed="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed=True"):
        RandomSampler(seed=True)


def test_repr_and_dump() -> None:
    sampler = RandomSampler(seed=3)
    assert repr(sampler) == "RandomSampler(seed=3)"
    assert sampler.dump() == {"type": "RandomSampler", "seed": 3}
