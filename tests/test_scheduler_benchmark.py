"""The scheduler benchmark's replay of recorded curves (``benchmarks/_scheduler_curves.py`` and
``_scheduler_replay.py``): random draws without replacement, no configuration run twice in a pass,
and the exact expected best of random search for that sampling scheme."""

from __future__ import annotations

import importlib
import itertools
import random
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rheostat.distributions import Float
from rheostat.schedulers import FIFOScheduler
from rheostat.space import Space
from rheostat.testing import simulate_study
from rheostat.trial import Direction

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
FINALS = [0.5, 0.7, 0.7, 0.9, 0.6, 0.9, 0.8, 0.55, 0.7, 0.65, 0.95, 0.6]


def _benchmark(name: str) -> ModuleType:
    """A benchmark helper module; they import each other by their bare names."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.fixture
def problem() -> Any:
    """Twelve recorded 3-epoch curves, configuration ``i`` at ``x = i / 11``."""
    data = {
        "epochs": 3,
        "configs": [{"x": i / 11} for i in range(len(FINALS))],
        "curves": [[f / 3, f / 2, f] for f in FINALS],
    }
    curves = _benchmark("_scheduler_curves")
    return curves.RecordedCurves(data, Space({"x": Float(0.0, 1.0)}))


def test_random_draws_come_in_passes_without_replacement(problem: Any) -> None:
    draws = problem.draws(random.Random(3), 30)
    assert len(draws) == 30
    assert sorted(draws[:12]) == sorted(draws[12:24]) == list(range(12))
    assert draws[:12] != draws[12:24]
    assert len(set(draws[24:])) == 6


def test_expected_best_is_hypergeometric(problem: Any) -> None:
    for n in (1, 3, 5):
        every = [max(FINALS[i] for i in c) for c in itertools.combinations(range(12), n)]
        assert problem.expected_best(n) == pytest.approx(statistics.fmean(every), rel=1e-12)
    assert problem.expected_best(12) == problem.expected_best(20) == 0.95
    # and it is what the draws give: the best of the first n draws, over many repeats
    sampled = [max(FINALS[c] for c in problem.draws(random.Random(r), 3)) for r in range(4000)]
    assert statistics.fmean(sampled) == pytest.approx(problem.expected_best(3), abs=0.005)
    with_replacement = sum(
        level
        * ((sum(f <= level for f in FINALS) / 12) ** 3 - (sum(f < level for f in FINALS) / 12) ** 3)
        for level in set(FINALS)
    )
    assert abs(problem.expected_best(3) - with_replacement) > 0.01


class _AlwaysTheSame:
    """A stand-in for BOHB's sampler whose model always proposes ``x = 0``."""

    def __init__(self, random_fraction: float) -> None:
        self.random_fraction = random_fraction

    def model_proposal(self, history: Any, space: Any) -> dict[str, float]:
        return {"x": 0.0}


def _configs(problem: Any, draws: list[int], sampler: Any, n_trials: int) -> list[int]:
    replay = _benchmark("_scheduler_replay")
    wrapped = replay.Replay(FIFOScheduler(), problem, draws, 10**6, sampler)
    simulate_study(
        wrapped,
        wrapped.value,
        n_trials=n_trials,
        n_workers=1,
        max_steps=problem.epochs,
        direction=Direction.MAXIMIZE,
    )
    return [wrapped.config_of[k] for k in range(n_trials)]


def test_without_a_model_trial_k_runs_draw_k(problem: Any) -> None:
    draws = problem.draws(random.Random(0), 30)
    assert _configs(problem, draws, None, 30) == draws


def test_proposals_take_the_nearest_configuration_not_used_in_the_pass(problem: Any) -> None:
    draws = problem.draws(random.Random(0), 30)
    assert _configs(problem, draws, _AlwaysTheSame(0.0), 30) == [*range(12), *range(12), *range(6)]


def test_no_configuration_runs_twice_in_a_pass(problem: Any) -> None:
    draws = problem.draws(random.Random(1), 36)
    configs = _configs(problem, draws, _AlwaysTheSame(0.5), 36)
    assert sorted(configs[:12]) == sorted(configs[12:24]) == sorted(configs[24:]) == list(range(12))
    assert configs != draws  # the model's proposals took some of the trials
