"""The refine phase: a smaller space around the top configurations that keeps the optimum."""

from __future__ import annotations

import math

import pytest

import rheostat
from rheostat.analysis import refine_space
from rheostat.distributions import Categorical, Float, Int
from rheostat.trial import Direction, TrialRecord, TrialState

OPT = {"lr": 3e-3, "depth": 5, "dropout": 0.3, "opt": "adam"}


def objective(t: rheostat.Trial) -> float:
    lr = t.suggest_float("lr", 1e-6, 1.0, log=True)
    depth = t.suggest_int("depth", 1, 12)
    dropout = t.suggest_float("dropout", 0.0, 0.8, step=0.05)
    opt = t.suggest_categorical("opt", ["sgd", "adam", "rmsprop", "adagrad"])
    penalty = {"sgd": 0.5, "adam": 0.0, "rmsprop": 0.1, "adagrad": 2.0}[opt]
    return (
        (math.log10(lr) - math.log10(OPT["lr"])) ** 2  # type: ignore[arg-type]
        + 0.3 * (depth - 5) ** 2
        + 4 * (dropout - 0.3) ** 2
        + penalty
    )


def width(d: Float | Int) -> float:
    lo, hi = float(d.low), float(d.high)
    return math.log(hi) - math.log(lo) if d.log else hi - lo


def test_refined_space_is_smaller_and_contains_the_optimum() -> None:
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    study.optimize(objective, n_trials=120)
    original = {n: d for t in study.trials for n, d in t.distributions.items()}
    refined = study.refine_space(top_k=5, margin=0.05)
    assert set(refined) == set(original)
    assert refined.contains(OPT), refined
    for name in ("lr", "depth", "dropout"):
        new, old = refined[name], original[name]
        assert isinstance(new, (Float, Int))
        assert isinstance(old, (Float, Int))
        assert old.low <= new.low <= new.high <= old.high  # never outside the original bounds
        assert new.log == old.log
        assert width(new) <= 0.85 * width(old), (name, new, old)
    assert width(refined["lr"]) < 0.5 * width(original["lr"])  # type: ignore[arg-type]
    assert refined["dropout"].step == 0.05  # type: ignore[union-attr]
    assert refined["dropout"].contains(0.3)
    assert isinstance(refined["opt"], Categorical)
    assert "adagrad" not in refined["opt"].choices  # never among the best
    assert "adam" in refined["opt"].choices
    # the refine phase: a new study on the refined space does better than the explore phase
    study2 = rheostat.create_study(seed=1, heartbeat_interval=None)
    study2.optimize(lambda t: objective_on(t, refined), n_trials=60)
    assert study2.best_value <= study.best_value + 1e-9


def objective_on(t: rheostat.Trial, space: rheostat.Space) -> float:
    p = {name: t.suggest(name, dist) for name, dist in space.items()}
    penalty = {"sgd": 0.5, "adam": 0.0, "rmsprop": 0.1, "adagrad": 2.0}[str(p["opt"])]
    return (
        (math.log10(float(p["lr"])) - math.log10(3e-3)) ** 2  # type: ignore[arg-type]
        + 0.3 * (float(p["depth"]) - 5) ** 2  # type: ignore[arg-type]
        + 4 * (float(p["dropout"]) - 0.3) ** 2  # type: ignore[arg-type]
        + penalty
    )


def rec(n: int, params: dict[str, object], dists: dict[str, object], value: float) -> TrialRecord:
    return TrialRecord(n, TrialState.COMPLETE, params, dists, (value,))  # type: ignore[arg-type]


def test_log_ranges_are_widened_in_log_scale_and_clipped() -> None:
    lr = Float(1e-5, 1e-1, log=True)
    trials = [rec(i, {"lr": v}, {"lr": lr}, v) for i, v in enumerate([1e-4, 1e-3, 1e-2, 1e-1])]
    # maximize: the top two are 1e-1 and 1e-2; 10% of four decades is 0.4 decade each side
    out = refine_space(trials, Direction.MAXIMIZE, top_k=2, margin=0.1)["lr"]
    assert out.low == pytest.approx(10**-2.4)  # type: ignore[union-attr]
    assert out.high == 1e-1  # type: ignore[union-attr]  # clipped at the original bound
    assert out.log  # type: ignore[union-attr]


def test_ints_and_steps_stay_on_their_grid() -> None:
    n = Int(0, 100, step=10)
    x = Float(0.0, 1.0, step=0.25)
    trials = [
        rec(0, {"n": 40, "x": 0.5}, {"n": n, "x": x}, 0.0),
        rec(1, {"n": 50, "x": 0.5}, {"n": n, "x": x}, 0.1),
        rec(2, {"n": 100, "x": 0.0}, {"n": n, "x": x}, 5.0),
    ]
    space = refine_space(trials, "minimize", top_k=2, margin=0.03)
    assert space["n"] == Int(30, 60, step=10)  # 40 - 3 -> 30, 50 + 3 -> 60
    assert space["x"] == Float(0.25, 0.75, step=0.25)


def test_conditional_parameters_the_top_never_used_are_dropped() -> None:
    kind = Categorical(["linear", "rbf"])
    gamma = Float(1e-3, 1.0, log=True)
    trials = [
        rec(0, {"kind": "linear"}, {"kind": kind}, 0.1),
        rec(1, {"kind": "rbf", "gamma": 0.1}, {"kind": kind, "gamma": gamma}, 0.9),
    ]
    space = refine_space(trials, "minimize", top_k=1)
    assert dict(space) == {"kind": Categorical(["linear"])}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="top_k must be"):
        refine_space([], "minimize", top_k=0)
    with pytest.raises(ValueError, match="margin must be"):
        refine_space([], "minimize", margin=-0.1)
    with pytest.raises(ValueError, match="no completed search trial"):
        refine_space([], "minimize")
