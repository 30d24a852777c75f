"""BOHB: Hyperband's brackets with a per-budget kernel density model (BOHBSampler)."""

from __future__ import annotations

import dataclasses
import math

import pytest

import rheostat
from rheostat import Trial
from rheostat.distributions import Categorical, Float
from rheostat.samplers import BOHBSampler, RandomSampler, Sampler
from rheostat.samplers._bohb import observations_by_budget
from rheostat.schedulers import BOHB, Hyperband, Scheduler
from rheostat.space import Space
from rheostat.testing import SamplerConformance, SchedulerConformance
from rheostat.trial import Direction, History, TrialRecord, TrialState

OPTIMUM = (0.7, 0.2)
SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def loss(x: float, y: float) -> float:
    return (x - OPTIMUM[0]) ** 2 + (y - OPTIMUM[1]) ** 2


def distance(params: dict[str, object]) -> float:
    return math.hypot(float(params["x"]) - OPTIMUM[0], float(params["y"]) - OPTIMUM[1])  # type: ignore[arg-type]


@pytest.mark.parametrize(("lo", "hi", "eta"), [(1, 81, 3), (1, 9, 3), (2, 64, 2), (1, 10, 3)])
def test_brackets_are_hyperbands(lo: int, hi: int, eta: int) -> None:
    bohb = BOHB(min_resource=lo, max_resource=hi, reduction_factor=eta)
    hb = Hyperband(min_resource=lo, max_resource=hi, reduction_factor=eta)
    assert bohb.brackets() == hb.brackets()
    assert [bohb.bracket_of(k) for k in range(200)] == [hb.bracket_of(k) for k in range(200)]


def history_at(budgets: dict[int, int], n: int = 40) -> History:
    """``n`` trials on a grid-like spread; trial ``i`` reports up to budget ``budgets`` allow."""
    trials = []
    for i in range(n):
        x, y = (i * 0.618) % 1.0, (i * 0.382 + 0.1) % 1.0
        reached = max((b for b, count in budgets.items() if i < count), default=1)
        trials.append(
            TrialRecord(
                number=i,
                state=TrialState.PRUNED,
                params={"x": x, "y": y},
                distributions=dict(SPACE),
                intermediate_values={s: loss(x, y) + 1 / (s + 1) for s in range(reached)},
                values=(loss(x, y) + 1 / reached,),
            )
        )
    return History("s", (Direction.MINIMIZE,), trials, {"seed": 0})


def test_model_uses_the_largest_budget_with_enough_observations() -> None:
    sampler = BOHBSampler()
    # 40 trials reached budget 1, 12 budget 3, 3 budget 9: d = 2 needs d + 1 + 2 = 5
    history = history_at({1: 40, 3: 12, 9: 3})
    assert sampler.model_budget(history, SPACE) == 3
    assert BOHBSampler(min_points_in_model=20).model_budget(history, SPACE) == 1
    assert sampler.model_budget(history_at({1: 4}, n=4), SPACE) is None


def test_with_rung_budgets_only_completed_rungs_are_observations() -> None:
    # Hyperband's rungs at 1, 3 and 9: 20 trials stopped at 1, 6 paused at 3, and 6 resumed to
    # 9 that have got to step 5 so far. Budget 6 (step 5) is no rung: the model uses budget 3,
    # where 12 trials completed, as the paper does; without budgets it would use step 5's 6.
    def trial(i: int, budget: int, reached: int, state: TrialState) -> TrialRecord:
        x, y = (i * 0.618) % 1.0, (i * 0.382 + 0.1) % 1.0
        return TrialRecord(
            number=i,
            state=state,
            params={"x": x, "y": y},
            distributions=dict(SPACE),
            intermediate_values={s: loss(x, y) + 1 / (s + 1) for s in range(reached)},
            budget=budget,
        )

    trials = [trial(i, 1, 1, TrialState.PRUNED) for i in range(20)]
    trials += [trial(i, 3, 3, TrialState.PAUSED) for i in range(20, 26)]
    trials += [trial(i, 9, 6, TrialState.RUNNING) for i in range(26, 32)]
    history = History("s", (Direction.MINIMIZE,), trials, {"seed": 0})
    by_budget = observations_by_budget(history)
    assert sorted(by_budget) == [1, 3]
    assert [len(by_budget[b]) for b in (1, 3)] == [32, 12]
    assert BOHBSampler().model_budget(history, SPACE) == 3
    bare = [dataclasses.replace(t, budget=None) for t in trials]
    assert BOHBSampler().model_budget(History("s", history.directions, bare), SPACE) == 6


def proposals(sampler: Sampler, history: History, n: int) -> list[dict[str, object]]:
    out = []
    for seed in range(n):
        h = History("s", history.directions, history.trials, {"seed": seed})
        out.append(sampler.propose(h, SPACE))
    return out


def test_proposals_concentrate_near_the_optimum() -> None:
    history = history_at({1: 40, 3: 30})
    model = proposals(BOHBSampler(random_fraction=0.0), history, 100)
    random = proposals(RandomSampler(), history, 100)
    model_d = sorted(distance(p) for p in model)
    random_d = sorted(distance(p) for p in random)
    # the median proposal is near (0.7, 0.2), as near as the best few observations are
    assert model_d[50] < 0.2, model_d[50]
    assert random_d[50] > 0.3
    assert model_d[50] < 0.5 * random_d[50]
    for p in model:
        assert SPACE["x"].contains(p["x"]) and SPACE["y"].contains(p["y"])


def test_a_fraction_of_proposals_stays_random() -> None:
    history = history_at({1: 40, 3: 30})
    far = [distance(p) > 0.3 for p in proposals(BOHBSampler(), history, 300)]
    only_model = [
        distance(p) > 0.3 for p in proposals(BOHBSampler(random_fraction=0), history, 300)
    ]
    # random points are far 3 times in 4 and a third of proposals are random: about 1 in 4
    assert 0.12 < sum(far) / len(far) < 0.4
    assert sum(only_model) / len(only_model) < 0.05
    always = proposals(BOHBSampler(random_fraction=1.0), history, 100)
    assert sorted(distance(p) for p in always)[50] > 0.3


def test_candidates_come_from_a_truncated_kernel_not_a_clipped_one() -> None:
    # The best points sit on the bound x = 0: a kernel clipped to [0, 1] would put about half
    # its candidates exactly on it; the paper's l' (truncated to the space) puts none there.
    trials = [
        TrialRecord(
            number=i,
            state=TrialState.COMPLETE,
            params={"x": (i % 10) / 200, "y": (i * 0.618) % 1.0},
            distributions=dict(SPACE),
            values=((i % 10) / 200 + ((i * 0.618) % 1.0 - 0.2) ** 2,),
        )
        for i in range(60)
    ]
    got = proposals(
        BOHBSampler(random_fraction=0.0), History("s", (Direction.MINIMIZE,), trials), 200
    )
    xs = [float(p["x"]) for p in got]  # type: ignore[arg-type]
    assert all(0.0 < x < 0.2 for x in xs), sorted(xs)[:5]


def test_model_proposal_is_what_propose_returns_without_random_draws() -> None:
    history = history_at({1: 40, 3: 30})
    sampler = BOHBSampler(random_fraction=0.0, seed=3)
    assert sampler.model_proposal(history, SPACE) == sampler.propose(history, SPACE)
    assert sampler.model_proposal(history_at({1: 4}, n=4), SPACE) is None


def test_few_observations_give_random_proposals() -> None:
    history = history_at({1: 4}, n=4)
    got = proposals(BOHBSampler(random_fraction=0.0), history, 100)
    assert sorted(distance(p) for p in got)[50] > 0.3


def test_categorical_parameters() -> None:
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b", "c"])})
    trials = [
        TrialRecord(
            number=i,
            state=TrialState.COMPLETE,
            params={"x": (i * 0.618) % 1.0, "c": "abc"[i % 3]},
            distributions=dict(space),
            values=(((i * 0.618) % 1.0 - 0.5) ** 2 + (0.0 if i % 3 == 1 else 1.0),),
        )
        for i in range(30)
    ]
    sampler = BOHBSampler(random_fraction=0.0)
    chosen = [
        sampler.propose(History("s", (Direction.MINIMIZE,), trials, {"seed": s}), space)["c"]
        for s in range(50)
    ]
    assert chosen.count("b") >= 40
    # l' keeps a categorical with probability 1 - bandwidth, else takes one of the others
    wide = BOHBSampler(random_fraction=0.0, bandwidth_factor=100.0)
    picked = [
        wide.propose(History("s", (Direction.MINIMIZE,), trials, {"seed": s}), space)["c"]
        for s in range(60)
    ]
    assert set(picked) <= {"a", "b", "c"}


def test_bohb_study_finds_the_optimum_faster_than_hyperband_with_random_search() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        assert trial.budget is not None
        value = math.inf
        for step in range(int(trial.budget)):
            value = loss(x, y) + 1 / (step + 1)
            trial.report(value, step)
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return value

    found = {}
    for name, sampler in (("bohb", BOHBSampler()), ("random", RandomSampler())):
        dists = []
        for seed in range(3):
            study = rheostat.create_study(
                scheduler=BOHB(max_resource=9), sampler=sampler, seed=seed
            )
            study.optimize(objective, n_trials=60)
            dists.append(sorted(distance(dict(t.params)) for t in study.trials[30:])[15])
            study.storage.close()
        found[name] = sum(dists) / len(dists)
    # the later proposals (half of them, apart from the random third) are near the optimum
    assert found["bohb"] < 0.6 * found["random"], found


class TestBOHBSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        return BOHBSampler(seed=seed)


class TestBOHB(SchedulerConformance):
    def make_scheduler(self) -> Scheduler:
        return BOHB(min_resource=1, max_resource=8, reduction_factor=2)
