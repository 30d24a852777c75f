"""GridSampler: each grid point exactly once (threads, processes, resume), and clear errors."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

import rheostat
from rheostat import GridExhaustedError, TrialState
from rheostat.distributions import Float, Int, ParamValue
from rheostat.samplers import GridSampler
from rheostat.space import Space
from rheostat.study import Study, Trial
from rheostat.trial import TrialRecord

GRID: dict[str, list[ParamValue]] = {"x": list(range(10)), "y": ["a", "b", "c"]}


def objective(trial: Trial) -> float:
    x = trial.suggest_int("x", 0, 9)
    y = trial.suggest_categorical("y", ["a", "b", "c"])
    return x + ["a", "b", "c"].index(y) / 10


def points(trials: Sequence[TrialRecord]) -> Counter[tuple[ParamValue, ...]]:
    return Counter((t.params["x"], t.params["y"]) for t in trials)


def assert_each_point_once(study: Study) -> None:
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials), [t.message for t in trials]
    assert points(trials) == Counter(itertools.product(GRID["x"], GRID["y"]))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_grid_size_repr_and_dump() -> None:
    sampler = GridSampler(GRID, seed=1)
    assert sampler.grid_size == 30
    assert repr(sampler).startswith("GridSampler({'x': (0, 1,")
    dump = sampler.dump()
    assert json.loads(json.dumps(dump)) == dump
    assert dump["search_space"] == GRID
    assert dump["seed"] == 1


def test_each_point_once_then_stops_by_itself() -> None:
    study = rheostat.create_study(sampler=GridSampler(GRID, seed=0))
    study.optimize(objective, n_trials=None)
    assert_each_point_once(study)
    with pytest.raises(GridExhaustedError, match="all 30 grid points"):
        study.ask()
    study.optimize(objective, n_trials=5)  # nothing left: returns at once
    assert len(study.trials) == 30
    study.storage.close()


def test_stops_before_n_trials_when_exhausted() -> None:
    study = rheostat.create_study(sampler=GridSampler(GRID))
    study.optimize(objective, n_trials=100)
    assert_each_point_once(study)
    study.storage.close()


def test_ask_with_a_space() -> None:
    space = Space({"x": Int(0, 9), "y": rheostat.Categorical(["a", "b", "c"])})
    study = rheostat.create_study(sampler=GridSampler(GRID, seed=2))
    for _ in range(30):
        trial = study.ask(space)
        study.tell(trial, float(trial.params["x"]))  # type: ignore[arg-type]
    assert_each_point_once(study)
    with pytest.raises(GridExhaustedError):
        study.ask(space)
    study.storage.close()


def test_each_point_once_with_four_threads() -> None:
    def slow(trial: Trial) -> float:
        time.sleep(0.002)  # let the threads interleave
        return objective(trial)

    study = rheostat.create_study(sampler=GridSampler(GRID, seed=0))
    study.optimize(slow, n_trials=None, n_workers=4)
    assert_each_point_once(study)
    study.storage.close()


def test_each_point_once_with_four_threads_on_sqlite(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "grid.db")
    study = rheostat.create_study("grid", url, sampler=GridSampler(GRID, seed=0))
    study.optimize(objective, n_trials=None, n_workers=4)
    assert_each_point_once(study)
    study.storage.close()


_WORKER = textwrap.dedent(
    """
    import sys, time, pathlib
    import rheostat
    from rheostat.samplers import GridSampler

    url, folder, me = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    study = rheostat.load_study("grid", url, sampler=GridSampler({grid!r}, seed=0))
    (folder / f"ready-{{me}}").touch()
    deadline = time.monotonic() + 60
    while len(list(folder.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)

    def objective(trial):
        x = trial.suggest_int("x", 0, 9)
        y = trial.suggest_categorical("y", ["a", "b", "c"])
        time.sleep(0.01)
        return x

    study.optimize(objective, n_trials=None)
    study.storage.close()
    """
).format(grid=GRID)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_point_once_with_two_processes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "grid.db")
    else:
        url = request.getfixturevalue("postgres_db")  # a private server (tests/conftest.py)
    rheostat.create_study("grid", url, seed=0).storage.close()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, str(tmp_path), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for w in workers:
        _out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    study = rheostat.load_study("grid", url, sampler=GridSampler(GRID))
    assert_each_point_once(study)
    assert sorted(t.number for t in study.trials) == list(range(len(study.trials)))
    pids = {t.worker_id.split(":")[1] for t in study.trials if t.worker_id}
    assert len(pids) == 2, f"one process ran every trial ({pids}); the test checked nothing"
    with pytest.raises(GridExhaustedError):
        study.ask()
    study.storage.close()


def test_each_point_once_across_a_resume(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "grid.db")
    study = rheostat.create_study("grid", url, sampler=GridSampler(GRID), seed=4)
    study.optimize(objective, n_trials=7)
    assert len(study.trials) == 7
    study.storage.close()
    study = rheostat.create_study("grid", url, sampler=GridSampler(GRID), load_if_exists=True)
    study.optimize(objective, n_trials=None)
    assert_each_point_once(study)
    study.storage.close()


def test_resume_continues_the_same_order(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "grid.db")
    study = rheostat.create_study("grid", url, sampler=GridSampler(GRID), seed=4)
    study.optimize(objective, n_trials=10)
    study.storage.close()
    study = rheostat.create_study("grid", url, sampler=GridSampler(GRID), load_if_exists=True)
    study.optimize(objective, n_trials=None)
    resumed = [(t.params["x"], t.params["y"]) for t in study.trials]
    study.storage.close()
    whole = rheostat.create_study(sampler=GridSampler(GRID), seed=4)
    whole.optimize(objective, n_trials=None)
    assert resumed == [(t.params["x"], t.params["y"]) for t in whole.trials]
    whole.storage.close()


def test_order_depends_on_the_seed() -> None:
    def order(seed: int) -> list[tuple[ParamValue, ...]]:
        study = rheostat.create_study(sampler=GridSampler(GRID, seed=seed))
        study.optimize(objective, n_trials=None)
        result = [(t.params["x"], t.params["y"]) for t in study.trials]
        study.storage.close()
        return result

    assert order(0) == order(0)
    assert order(0) != order(1)
    assert sorted(order(0)) == sorted(order(1))


def test_a_failed_trial_takes_its_point() -> None:
    def flaky(trial: Trial) -> float:
        if trial.suggest_int("x", 0, 9) == 3:
            raise RuntimeError("diverged")
        trial.suggest_categorical("y", ["a", "b", "c"])
        return 0.0

    study = rheostat.create_study(sampler=GridSampler(GRID, seed=0))
    study.optimize(flaky, n_trials=None, catch=RuntimeError)
    trials = study.trials
    study.storage.close()
    assert len(trials) == 30
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert len(failed) == 3
    assert all(t.params["x"] == 3 for t in failed)


def test_int_and_float_values_are_the_same_point(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'x' lists a value twice"):
        GridSampler({"x": [1, 1.0]})
    url = sqlite_url(tmp_path / "grid.db")

    def f(trial: Trial) -> float:
        return trial.suggest_float("x", 0.0, 5.0)

    study = rheostat.create_study("g", url, sampler=GridSampler({"x": [1, 2, 3]}, seed=0))
    study.optimize(f, n_trials=2)
    study.storage.close()
    # The stored values are floats (1.0, ...); a grid of floats sees them as taken.
    study = rheostat.create_study(
        "g", url, sampler=GridSampler({"x": [1.0, 2.0, 3.0]}, seed=0), load_if_exists=True
    )
    study.optimize(f, n_trials=None)
    values = [t.params["x"] for t in study.trials]
    study.storage.close()
    assert sorted(values) == [1.0, 2.0, 3.0]
    assert all(type(v) is float for v in values)


def test_bool_and_int_values_are_different_points() -> None:
    sampler = GridSampler({"c": [True, 1, None, "1"]})
    assert sampler.grid_size == 4
    study = rheostat.create_study(sampler=sampler)
    study.optimize(
        lambda t: float(t.suggest_categorical("c", [True, 1, None, "1"]) == 1), n_trials=None
    )
    values = [t.params["c"] for t in study.trials]
    study.storage.close()
    assert sorted(repr(v) for v in values) == ["'1'", "1", "None", "True"]


def test_grid_values_take_the_suggested_type() -> None:
    study = rheostat.create_study(sampler=GridSampler({"n": [1.0, 2.0], "x": [1, 2]}))
    study.optimize(lambda t: t.suggest_int("n", 0, 5) + t.suggest_float("x", 0, 5), n_trials=None)
    trials = study.trials
    study.storage.close()
    assert len(trials) == 4
    assert all(type(t.params["n"]) is int and type(t.params["x"]) is float for t in trials)


# -- errors --------------------------------------------------------------------------------------


def test_empty_grid() -> None:
    with pytest.raises(ValueError, match="grid is empty"):
        GridSampler({})


def test_parameter_without_values() -> None:
    with pytest.raises(ValueError, match=r"parameter 'lr' has no values"):
        GridSampler({"x": [1], "lr": []})


@pytest.mark.parametrize(
    ("value", "type_name"), [([1, 2], "list"), ({"a": 1}, "dict"), (b"x", "bytes")]
)
def test_value_of_a_type_a_grid_cannot_hold(value: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"parameter 'x' has value .* of type {type_name}"):
        GridSampler({"x": [0.1, value]})  # type: ignore[list-item]


def test_values_not_in_a_list() -> None:
    with pytest.raises(TypeError, match=r"parameter 'x' has 'abc'; give a list"):
        GridSampler({"x": "abc"})
    with pytest.raises(ValueError, match=r"parameter 'x' has value nan"):
        GridSampler({"x": [float("nan")]})


def test_suggested_parameter_missing_from_the_grid() -> None:
    def f(trial: Trial) -> float:
        return trial.suggest_float("x", 0, 10) + trial.suggest_float("lr", 1e-4, 1, log=True)

    study = rheostat.create_study(sampler=GridSampler({"x": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"parameter 'lr' .* is not in the grid"):
        study.optimize(f, n_trials=None)
    (trial,) = study.trials
    study.storage.close()
    assert trial.state is TrialState.FAILED
    assert trial.message is not None
    assert "'lr'" in trial.message
    assert "not in the grid" in trial.message


@pytest.mark.parametrize(
    ("grid_value", "dist", "shown"),
    [
        (5.0, Float(0.0, 1.0), "Float(0.0, 1.0)"),
        (2.5, Int(0, 5), "Int(0, 5)"),
        (7, Int(0, 5), "Int(0, 5)"),
        (0.3, Float(0.0, 1.0, step=0.25), "Float(0.0, 1.0, step=0.25)"),
        ("adam", rheostat.Categorical(["sgd", "rmsprop"]), "Categorical(['sgd', 'rmsprop'])"),
    ],
)
def test_grid_value_outside_the_suggested_range(
    grid_value: ParamValue, dist: rheostat.Distribution, shown: str
) -> None:
    study = rheostat.create_study(sampler=GridSampler({"p": [grid_value]}))
    with pytest.raises(ValueError, match="'p'") as info:
        study.optimize(lambda t: float(bool(t.suggest("p", dist))), n_trials=None)
    (trial,) = study.trials
    study.storage.close()
    for text in (str(info.value), trial.message or ""):
        assert "'p'" in text
        assert repr(grid_value) in text
        assert shown in text
    assert trial.state is TrialState.FAILED
