"""Known answers for TPESampler: it finds the optima of standard test functions, beats random
search, spreads parallel proposals, handles conditional, maximized and multi-objective studies,
and encodes each finished trial once."""

from __future__ import annotations

import math
import pickle
import statistics
from collections.abc import Callable, Sequence

import numpy as np
import pytest

import rheostat
from rheostat.distributions import Categorical, Float, Int
from rheostat.samplers import RandomSampler, Sampler
from rheostat.samplers._parzen import Parzen
from rheostat.samplers._parzen_column import Column
from rheostat.samplers._parzen_rows import Rows
from rheostat.samplers._tpe import TPESampler
from rheostat.samplers._tpe_rank import forgetting_weights, good_rows
from rheostat.space import Space
from rheostat.study import Trial
from rheostat.testing import SamplerConformance
from rheostat.testing._samplers import check_value
from rheostat.trial import Direction, History, TrialRecord, TrialState

from .functions import BRANIN_MIN, HARTMANN6_MIN, branin, hartmann6


class TestTPEConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        return TPESampler(seed=seed)


# -- test functions ------------------------------------------------------------------------------


BRANIN_SPACE = Space({"x": Float(-5.0, 10.0), "y": Float(0.0, 15.0)})
HARTMANN_SPACE = Space({f"x{i}": Float(0.0, 1.0) for i in range(6)})


def best_value(
    sampler: Sampler, space: Space, f: Callable[[dict[str, float]], float], n: int
) -> float:
    study = rheostat.create_study(sampler=sampler, seed=0)
    for _ in range(n):
        trial = study.ask(space)
        study.tell(trial, f(dict(trial.params)))  # type: ignore[arg-type]
    best = study.best_value
    study.storage.close()
    return best


def _branin(p: dict[str, float]) -> float:
    return branin(p["x"], p["y"])


def _hartmann(p: dict[str, float]) -> float:
    return hartmann6([p[f"x{i}"] for i in range(6)])


# -- optimization ----------------------------------------------------------------------------------


def test_finds_branin_optimum() -> None:
    regrets = [
        best_value(TPESampler(seed=s), BRANIN_SPACE, _branin, 60) - BRANIN_MIN for s in range(3)
    ]
    assert max(regrets) < 0.15, regrets


def test_finds_hartmann6_optimum() -> None:
    regrets = [
        best_value(TPESampler(seed=s), HARTMANN_SPACE, _hartmann, 150) - HARTMANN6_MIN
        for s in range(3)
    ]
    assert statistics.median(regrets) < 0.25, regrets


def test_univariate_finds_branin_optimum_and_keeps_values_valid() -> None:
    regret = best_value(TPESampler(seed=0, multivariate=False), BRANIN_SPACE, _branin, 60)
    assert regret - BRANIN_MIN < 0.3
    space = SamplerConformance.space
    study = rheostat.create_study(
        sampler=TPESampler(seed=0, multivariate=False, n_startup_trials=3)
    )
    for _ in range(12):
        trial = study.ask(space)
        for name, dist in space.items():
            check_value(name, dist, trial.params[name])
        study.tell(trial, sum(d.to_internal(trial.params[k]) for k, d in space.items()))
    study.storage.close()


def test_beats_random_search() -> None:
    def mean_regret(make: Callable[[int], Sampler]) -> float:
        return statistics.mean(
            best_value(make(s), HARTMANN_SPACE, _hartmann, 80) - HARTMANN6_MIN for s in range(4)
        )

    tpe, random = mean_regret(lambda s: TPESampler(seed=s)), mean_regret(RandomSampler)
    assert tpe < 0.6 * random, (tpe, random)


def test_maximize() -> None:
    study = rheostat.create_study(sampler=TPESampler(seed=1), direction="maximize")
    for _ in range(60):
        trial = study.ask(BRANIN_SPACE)
        study.tell(trial, -_branin(dict(trial.params)))  # type: ignore[arg-type]
    assert -study.best_value - BRANIN_MIN < 0.15


def test_int_step_and_log_parameters() -> None:
    # The optimum (n=37, k=40, lr=1e-3) lies on each parameter's grid.
    space = Space({"n": Int(1, 100), "k": Int(0, 100, step=5), "lr": Float(1e-5, 1.0, log=True)})

    def f(p: dict[str, float]) -> float:
        return abs(p["n"] - 37) / 10 + abs(p["k"] - 40) / 10 + abs(math.log10(p["lr"]) + 3)

    regret = best_value(TPESampler(seed=0), space, f, 80)
    assert regret < 0.8, regret


# -- parallel, conditional, multi-objective --------------------------------------------------------


def _pending_gap(constant_liar: bool, seed: int) -> float:
    """The median gap from each of 8 trials asked together (after 60 finished ones) to the
    nearest other one."""
    space = Space({"x": Float(0.0, 1.0)})
    study = rheostat.create_study(sampler=TPESampler(seed=seed, constant_liar=constant_liar))
    for _ in range(60):
        trial = study.ask(space)
        study.tell(trial, (trial.params["x"] - 0.3) ** 2)  # type: ignore[operator]
    pending = np.array([study.ask(space).params["x"] for _ in range(8)])
    study.storage.close()
    gaps = np.abs(pending[:, None] - pending[None, :]) + np.diag(np.full(8, np.inf))
    return float(np.median(gaps.min(axis=1)))


def test_constant_liar_spreads_parallel_proposals() -> None:
    # Running trials count as bad, so the next proposals keep away from them; without the liar
    # they pile up around the incumbent.
    with_liar = [_pending_gap(True, s) for s in range(4)]
    without = [_pending_gap(False, s) for s in range(4)]
    assert statistics.mean(with_liar) > 3 * statistics.mean(without), (with_liar, without)


def test_conditional_space_concentrates_on_the_better_branch() -> None:
    def objective(trial: Trial) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_float("x", -1.0, 1.0) ** 2 + 1.0
        return trial.suggest_float("y", -1.0, 1.0) ** 2

    study = rheostat.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60)
    trials = study.trials
    study.storage.close()
    late = [t.params["kind"] for t in trials[30:]]
    assert late.count("b") >= 24, late
    assert study_best(trials) < 0.01


def study_best(trials: Sequence[rheostat.TrialRecord]) -> float:
    return min(t.values[0] for t in trials if t.values)


def test_multi_objective_prefers_the_pareto_set() -> None:
    # Both objectives are smallest on the segment y = 0, 0 <= x <= 2.
    space = Space({"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)})

    def distance_to_front(x: float, y: float) -> float:
        return math.hypot(x - min(max(x, 0.0), 2.0), y)

    def mean_distance(sampler: Sampler) -> float:
        study = rheostat.create_study(sampler=sampler, directions=["minimize", "minimize"])
        for _ in range(60):
            trial = study.ask(space)
            x, y = trial.params["x"], trial.params["y"]
            study.tell(trial, [x * x + y * y, (x - 2) ** 2 + y * y])
        trials = study.trials[30:]
        study.storage.close()
        return statistics.mean(distance_to_front(t.params["x"], t.params["y"]) for t in trials)

    tpe, random = mean_distance(TPESampler(seed=0)), mean_distance(RandomSampler(seed=0))
    assert tpe < 0.5 * random, (tpe, random)


def test_failed_and_pruned_trials() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 5 == 3:
            raise RuntimeError("boom")
        if trial.number % 5 == 4:
            trial.report(x, 0)
            raise rheostat.TrialPruned()
        return (x - 0.25) ** 2

    sampler = TPESampler(seed=0)
    study = rheostat.create_study(sampler=sampler)
    study.optimize(objective, n_trials=41, catch=(RuntimeError,))
    states = [t.state for t in study.trials[:40]]  # the sampler saw these finish
    assert (
        sampler._cache[study.study_name].n
        == 32
        == states.count(TrialState.COMPLETE) + (states.count(TrialState.PRUNED))
    )
    assert study.best_value < 0.01
    study.storage.close()


def test_nan_and_infinite_values_are_ignored() -> None:
    dist = Float(0.0, 1.0)
    trials = [
        TrialRecord(i, TrialState.COMPLETE, {"x": i / 30}, {"x": dist}, values=(value,))
        for i, value in enumerate(
            [math.nan, math.inf, -math.inf] + [abs(k / 30 - 0.5) for k in range(3, 30)]
        )
    ]
    sampler = TPESampler(seed=0)
    proposal = sampler.propose(History("s", [Direction.MINIMIZE], trials), Space({"x": dist}))
    assert sampler._cache["s"].n == 27
    assert 0.0 <= proposal["x"] <= 1.0  # type: ignore[operator]


# -- cost ------------------------------------------------------------------------------------------


def test_each_finished_trial_is_encoded_once() -> None:
    sampler = TPESampler(seed=0)
    study = rheostat.create_study(sampler=sampler)
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(5)})
    for _ in range(120):
        trial = study.ask(space)
        study.tell(trial, sum(trial.params.values()))  # type: ignore[arg-type]
    cache = sampler._cache[study.study_name]
    assert cache.n_encoded == 119  # every trial but the last, once each (not 120 * 119 / 2)
    study.storage.close()


def test_sampler_reused_for_a_same_named_study_starts_afresh(tmp_path: object) -> None:
    space = Space({"x": Float(0.0, 1.0)})

    def run(sampler: Sampler, url: str, scale: float) -> list[float]:
        study = rheostat.create_study("s", url, sampler=sampler, seed=0)
        for _ in range(20):
            trial = study.ask(space)
            study.tell(trial, scale * trial.params["x"])  # type: ignore[operator]
        values = [t.params["x"] for t in study.trials]
        study.storage.close()
        return values  # type: ignore[return-value]

    shared = TPESampler(seed=3)
    run(shared, f"sqlite:///{tmp_path}/a.db", 1.0)
    reused = run(shared, f"sqlite:///{tmp_path}/b.db", -1.0)
    fresh = run(TPESampler(seed=3), f"sqlite:///{tmp_path}/c.db", -1.0)
    assert reused == fresh


def test_pickle_and_dump() -> None:
    sampler = TPESampler(seed=4, gamma=0.2, n_ei_candidates=16)
    best_value(sampler, BRANIN_SPACE, _branin, 15)
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone._cache == {}
    assert clone.dump() == sampler.dump()
    assert best_value(clone, BRANIN_SPACE, _branin, 15) == best_value(
        TPESampler(seed=4, gamma=0.2, n_ei_candidates=16), BRANIN_SPACE, _branin, 15
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"gamma": 0.0}, {"n_ei_candidates": 0}, {"min_bandwidth": -1.0}, {"multivariate": 1}],
)
def test_bad_settings_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        TPESampler(**kwargs)  # type: ignore[arg-type]


# -- the model -------------------------------------------------------------------------------------

_SETTINGS = {"prior_weight": 1.0, "bandwidth_factor": 1.0, "min_bandwidth": 0.01}


def parzen(x: np.ndarray, weights: np.ndarray, columns: list[Column]) -> Parzen:
    return Parzen([(Rows(columns, x), None, weights)], range(len(columns)), **_SETTINGS)


@pytest.mark.parametrize(
    "dist", [Float(0.0, 1.0), Int(-3, 7), Int(1, 1000, log=True), Float(0.0, 1.0, step=0.1)]
)
def test_numeric_density_sums_to_one(dist: Float | Int) -> None:
    col = Column.of(dist)
    x = np.array([[0.0], [0.02], [0.5], [0.97]])
    if col.kind != 0:
        x = col.cells(x)[0]
    model = parzen(x, np.array([1.0, 2.0, 1.0, 1.0]), [col])
    if col.kind == 0:
        grid = (np.arange(20000)[:, None] + 0.5) / 20000
        total = float(np.exp(model.log_pdf(grid)).mean())
    else:
        values = sorted({dist.to_internal(v) for v in range(dist.low, dist.high + 1)
                         if dist.contains(v)}) if isinstance(dist, Int) else \
            [dist.to_internal(dist.low + k * 0.1) for k in range(11)]  # fmt: skip
        total = float(np.exp(model.log_pdf(np.array(values)[:, None])).sum())
    assert total == pytest.approx(1.0, abs=2e-3)


def test_categorical_density_sums_to_one_and_samples_follow_it() -> None:
    col = Column.of(Categorical(["a", "b", "c", "d"]))
    model = parzen(np.array([[1.0], [1.0], [3.0]]), np.ones(3), [col])
    probs = np.exp(model.log_pdf(np.arange(4.0)[:, None]))
    assert probs.sum() == pytest.approx(1.0)
    draws = model.sample(np.random.default_rng(0), 20000)[:, 0]
    freq = np.bincount(draws.astype(int), minlength=4) / len(draws)
    np.testing.assert_allclose(freq, probs, atol=0.015)


def test_continuous_samples_follow_the_density() -> None:
    model = parzen(np.array([[0.1], [0.8]]), np.ones(2), [Column.of(Float(0, 1))])
    draws = model.sample(np.random.default_rng(1), 40000)[:, 0]
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    hist, edges = np.histogram(draws, bins=20, range=(0.0, 1.0), density=True)
    centres = (edges[:-1] + edges[1:])[:, None] / 2
    np.testing.assert_allclose(hist, np.exp(model.log_pdf(centres)), rtol=0.1, atol=0.05)


def test_good_rows_single_objective_ranks_pruned_after_complete() -> None:
    loss = np.array([[3.0], [1.0], [np.inf], [np.inf], [2.0]])
    pruned = np.array([False, False, True, True, False])
    steps = np.array([np.inf, np.inf, 4.0, 9.0, np.inf])
    last = np.array([0.0, 0.0, 0.1, 5.0, 0.0])
    assert sorted(good_rows(loss, pruned, steps, last, 2)) == [1, 4]
    # with too few complete rows, the pruned trial that got further comes first
    assert sorted(good_rows(loss, pruned, steps, last, 4)) == [0, 1, 3, 4]


def test_good_rows_multi_objective_by_fronts_and_crowding() -> None:
    loss = np.array([[0.0, 4.0], [1.0, 3.0], [1.1, 2.9], [4.0, 0.0], [3.0, 3.0], [5.0, 5.0]])
    none = np.zeros(6, dtype=bool)
    zeros = np.zeros(6)
    # the first front is rows 0-3; keeping 3 of them drops the most crowded (1 or 2)
    chosen = sorted(good_rows(loss, none, zeros, zeros, 3))
    assert chosen[0] == 0 and chosen[-1] == 3 and len(set(chosen) & {1, 2}) == 1
    assert sorted(good_rows(loss, none, zeros, zeros, 5)) == [0, 1, 2, 3, 4]


def test_forgetting_weights() -> None:
    np.testing.assert_allclose(forgetting_weights(6, keep=3), [0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(forgetting_weights(3, keep=3), [1.0, 1.0, 1.0])
