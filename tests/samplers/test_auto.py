"""AutoSampler: its decision matrix (parameters x budget) on known cases, and that each choice
does its job in a real study: a grid covers a small discrete space once, the GP finds Branin's
optimum, TPE takes a conditional space; the choice and its reason are kept and shown."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

import rheostat
from rheostat.cli import main
from rheostat.distributions import Categorical, Float, Int
from rheostat.samplers import AutoSampler, Sampler
from rheostat.samplers._auto import GP_MAX_PARAMS, GP_MAX_TRIALS, LARGE_BUDGET, grid_values
from rheostat.space import Space
from rheostat.study import Trial
from rheostat.testing import SamplerConformance
from rheostat.trial import Direction, History, TrialRecord, TrialState

from .functions import BRANIN_MIN, branin


def history(
    space: Space,
    n_complete: int,
    *,
    planned: int | None = None,
    directions: tuple[Direction, ...] = (Direction.MINIMIZE,),
    shapes: list[Space] | None = None,
) -> History:
    """``n_complete`` finished trials on ``space`` (or cycling through ``shapes``)."""
    trials = []
    for n in range(n_complete):
        shape = shapes[n % len(shapes)] if shapes else space
        params = {k: d.from_unit(0.5) for k, d in shape.items()}
        trials.append(
            TrialRecord(
                number=n,
                state=TrialState.COMPLETE,
                values=(float(n),) * len(directions),
                params=params,
                distributions=dict(shape),
            )
        )
    attrs = {"seed": 0, **({"planned_trials": planned} if planned else {})}
    return History("s", directions, trials, attrs)


def floats(d: int) -> Space:
    return Space({f"x{i}": Float(0.0, 1.0) for i in range(d)})


DISCRETE = Space({"k": Int(1, 4), "kind": Categorical(["a", "b", "c"])})  # 12 configurations


@pytest.mark.parametrize(
    ("space", "n", "planned", "expected"),
    [
        (DISCRETE, 0, None, "grid"),  # 12 <= 32: a grid with no known budget
        (Space({"k": Int(1, 10), "j": Int(1, 10)}), 0, 100, "grid"),  # 100 <= planned 100
        (Space({"k": Int(1, 10), "j": Int(1, 10)}), 0, 99, "sobol"),  # too big for the budget
        (Space({"k": Int(1, 10), "j": Int(1, 10)}), 20, None, "gp"),  # 100 > 32, no budget
        (floats(3), 3, 50, "sobol"),  # the start: d + 1 = 4, at least 5
        (floats(3), 5, 50, "gp"),
        (floats(GP_MAX_PARAMS), 20, 100, "gp"),
        (floats(GP_MAX_PARAMS + 1), 20, 100, "tpe"),  # high-dimensional
        (floats(3), 20, LARGE_BUDGET, "tpe"),  # a large budget
        (floats(3), GP_MAX_TRIALS, None, "tpe"),  # the GP's n^3 cost
        (floats(3), GP_MAX_TRIALS - 1, None, "gp"),
    ],
)
def test_decision_matrix(space: Space, n: int, planned: int | None, expected: str) -> None:
    choice = AutoSampler().choice(history(space, n, planned=planned), space)
    assert choice.sampler == expected, choice
    assert choice.reason


def test_multi_objective_and_conditional_spaces_go_to_tpe() -> None:
    two = (Direction.MINIMIZE, Direction.MAXIMIZE)
    assert AutoSampler().choice(history(floats(3), 20, directions=two), floats(3)).sampler == "tpe"
    a = Space({"kind": Categorical(["a", "b"]), "alpha": Float(0.0, 1.0)})
    b = Space({"kind": Categorical(["a", "b"]), "depth": Int(1, 8)})
    h = history(a, 20, shapes=[a, b])  # define-by-run: trials differ in their parameters
    choice = AutoSampler().choice(h, None)
    assert (choice.sampler, choice.reason) == ("tpe", choice.reason)
    assert "conditional" in choice.reason


def test_grid_values_enumerate_each_discrete_kind() -> None:
    assert grid_values(Int(2, 10, step=4)) == [2, 6, 10]
    assert grid_values(Int(1, 8, log=True)) == list(range(1, 9))
    assert grid_values(Float(0.0, 0.5, step=0.25)) == [0.0, 0.25, 0.5]
    assert grid_values(Categorical([None, "x"])) == [None, "x"]
    assert grid_values(Float(1e-3, 1.0, log=True)) is None


def test_default_sampler_is_auto_and_a_small_discrete_space_is_covered_once() -> None:
    study = rheostat.create_study(seed=3)
    assert isinstance(study.sampler, AutoSampler)

    def objective(t: Trial) -> float:
        return t.suggest_int("k", 1, 4) + len(t.suggest_categorical("kind", ["a", "bb", "ccc"]))

    study.optimize(objective, n_trials=30)  # stops when every configuration has run
    configs = [(t.params["k"], t.params["kind"]) for t in study.trials]
    assert len(configs) == 12 and len(set(configs)) == 12
    assert set(configs) == set(itertools.product(range(1, 5), ["a", "bb", "ccc"]))
    assert study.best_value == 2
    assert study.system_attrs["sampler_choice"]["sampler"] == "grid"


@pytest.mark.parametrize("seed", [0, 1])
def test_finds_branins_optimum_with_the_gp(seed: int) -> None:
    study = rheostat.create_study(seed=seed)
    study.optimize(
        lambda t: branin(t.suggest_float("x", -5.0, 10.0), t.suggest_float("y", 0.0, 15.0)),
        n_trials=35,
    )
    assert study.best_value - BRANIN_MIN < 0.1, study.best_value
    phases = study.system_attrs["sampler_choice"]["phases"]
    assert [p["sampler"] for p in phases] == ["sobol", "gp"]
    assert phases[1]["from_trial"] == 5


def test_conditional_objective_switches_to_tpe_and_the_cli_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    study = rheostat.create_study(study_name="cond", storage=url, seed=0)

    def objective(t: Trial) -> float:
        if t.suggest_categorical("kind", ["linear", "tree"]) == "linear":
            return (math.log10(t.suggest_float("alpha", 1e-4, 1.0, log=True)) + 2) ** 2
        return 1.0 + abs(t.suggest_int("depth", 1, 8) - 3)

    study.optimize(objective, n_trials=25)
    choice = study.system_attrs["sampler_choice"]
    assert choice["sampler"] == "tpe" and "conditional" in choice["reason"]
    assert study.best_value < 0.5  # the linear branch, alpha near 1e-2
    assert main(["best", "cond", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "AutoSampler(tpe) since trial" in out and "conditional" in out
    assert main(["studies", "--storage", url]) == 0
    assert "AutoSampler(tpe)" in capsys.readouterr().out


def test_dump_and_load_keep_the_seed() -> None:
    sampler = AutoSampler(seed=7)
    other = AutoSampler()
    other.load(sampler.dump())
    assert other.dump() == sampler.dump() == {"type": "AutoSampler", "seed": 7}


class TestAutoConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        return AutoSampler(seed=seed)


def test_cached_decisions_match_a_fresh_sampler_as_the_study_grows() -> None:
    # The cache reads each completed trial once; a new sampler reading everything must agree,
    # also when trials of another shape (a conditional branch) arrive late.
    a = Space({"kind": Categorical(["a", "b"]), "alpha": Float(0.0, 1.0)})
    b = Space({"kind": Categorical(["a", "b"]), "depth": Int(1, 8)})
    records = [
        TrialRecord(
            number=n,
            state=TrialState.COMPLETE,
            values=(float(n),),
            params={k: d.from_unit(0.5) for k, d in shape.items()},
            distributions=dict(shape),
        )
        for n, shape in enumerate(b if n >= 20 and n % 3 == 2 else a for n in range(40))
    ]
    cached = AutoSampler()
    for n in range(0, 41, 3):
        h = History("s", (Direction.MINIMIZE,), records[:n], {"seed": 0})
        assert cached.choice(h, None) == AutoSampler().choice(h, None), n
        assert cached._shared(h) == AutoSampler()._shared(h), n
    assert cached.choice(h, None).sampler == "tpe"
    assert list(cached._shared(h)) == ["kind"]
