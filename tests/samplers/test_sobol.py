"""Known answers for SobolSampler: its points cover a space more evenly than random ones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

import rheostat
from rheostat.distributions import Categorical, Float, Int
from rheostat.samplers import RandomSampler, Sampler, SobolSampler
from rheostat.space import Space
from rheostat.study import Trial

SPACE = Space({"x": Float(-5.0, 10.0), "y": Float(1e-3, 1e2, log=True)})


def unit_points(sampler: Sampler, n: int, *, define_by_run: bool = False) -> np.ndarray:
    """The first ``n`` trials of ``sampler`` on ``SPACE``, mapped to the unit square."""
    study = rheostat.create_study(sampler=sampler, seed=0)
    if define_by_run:

        def objective(trial: Trial) -> float:
            return sum(float(trial.suggest(name, dist)) for name, dist in SPACE.items())

        study.optimize(objective, n_trials=n)
    else:
        for _ in range(n):
            trial = study.ask(SPACE)
            study.tell(trial, 0.0)
    points = [[SPACE[k].to_internal(t.params[k]) for k in SPACE] for t in study.trials]
    study.storage.close()
    return np.array(points)


@pytest.mark.parametrize("seed", range(3))
def test_lower_discrepancy_than_random(seed: int) -> None:
    sobol = qmc.discrepancy(unit_points(SobolSampler(seed=seed), 64))
    random = qmc.discrepancy(unit_points(RandomSampler(seed=seed), 64))
    assert sobol < random / 2, (sobol, random)


def test_lower_discrepancy_than_random_define_by_run() -> None:
    # The first trial has no shared space yet and is drawn at random; the rest follow Sobol'.
    sobol = qmc.discrepancy(unit_points(SobolSampler(seed=0), 64, define_by_run=True))
    random = qmc.discrepancy(unit_points(RandomSampler(seed=0), 64, define_by_run=True))
    assert sobol < random, (sobol, random)


def test_points_follow_scipy_sobol_sequence() -> None:
    points = unit_points(SobolSampler(seed=4), 16)
    expected = qmc.Sobol(2, scramble=True, seed=4).random(16)
    np.testing.assert_allclose(points, expected, atol=1e-9)


def test_unscrambled_points_are_the_plain_sequence() -> None:
    points = unit_points(SobolSampler(seed=4, scramble=False), 8)
    expected = qmc.Sobol(2, scramble=False).random(8)
    np.testing.assert_allclose(points, expected, atol=1e-9)
    again = unit_points(SobolSampler(seed=5, scramble=False), 8)
    np.testing.assert_array_equal(points, again)


def test_each_integer_and_choice_is_balanced() -> None:
    # 64 Sobol' points put exactly 16 in each quarter of every axis.
    space = Space({"n": Int(1, 4), "c": Categorical(["a", "b", "c", "d"])})
    study = rheostat.create_study(sampler=SobolSampler(seed=2))
    for _ in range(64):
        study.tell(study.ask(space), 0.0)
    trials = study.trials
    study.storage.close()
    assert sorted(t.params["n"] for t in trials) == sorted([1, 2, 3, 4] * 16)
    assert sorted(t.params["c"] for t in trials) == sorted(["a", "b", "c", "d"] * 16)


def test_resumed_engine_skips_ahead() -> None:
    # One sampler serving two studies (or a study whose history was rewound) must still give
    # point ``len(history)`` of the sequence.
    sampler = SobolSampler(seed=1)
    first = unit_points(sampler, 8)
    second = unit_points(sampler, 8)
    np.testing.assert_array_equal(first, second)


def test_repr_and_dump() -> None:
    sampler = SobolSampler(seed=2, scramble=False)
    assert repr(sampler) == "SobolSampler(seed=2, scramble=False)"
    assert sampler.dump() == {"type": "SobolSampler", "seed": 2, "scramble": False}
