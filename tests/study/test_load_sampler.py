"""A study opened by name samples as its creator chose: ``load_study`` rebuilds a built-in
sampler from the settings the study stored (JSON, never code)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rheostat
from rheostat.samplers import (
    AutoSampler,
    GPSampler,
    GridSampler,
    RandomSampler,
    Sampler,
    TPESampler,
    restore_sampler,
)


@pytest.mark.parametrize(
    "sampler",
    [
        TPESampler(seed=3, n_startup_trials=7, multivariate=False),
        GPSampler(seed=2, acquisition="ucb"),
        GridSampler({"x": [0.0, 0.5, 1.0]}, seed=1),
        RandomSampler(seed=5),
    ],
    ids=lambda s: type(s).__name__,
)
def test_load_study_restores_the_stored_sampler(sampler: Sampler, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    rheostat.create_study(study_name="s", storage=url, sampler=sampler).storage.close()
    loaded = rheostat.load_study("s", url)
    try:
        assert type(loaded.sampler) is type(sampler)
        assert loaded.sampler.dump() == sampler.dump()
        assert loaded.sampler is not sampler
        given = rheostat.load_study("s", url, sampler=RandomSampler())
        assert type(given.sampler) is RandomSampler  # a sampler passed in wins
        given.storage.close()
    finally:
        loaded.storage.close()


class Mine(RandomSampler):
    """A sampler of the user's own: its class is not known to a process that opens the study."""


def test_a_users_own_sampler_is_not_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    rheostat.create_study(study_name="s", storage=url, sampler=Mine(seed=1)).storage.close()
    loaded = rheostat.load_study("s", url)
    try:
        assert loaded.system_attrs["sampler"]["type"] == "Mine"
        assert type(loaded.sampler) is AutoSampler
    finally:
        loaded.storage.close()


@pytest.mark.parametrize(
    "state",
    [{"type": "Pickled", "payload": "..."}, {"type": "GridSampler"}, {}],
    ids=["unknown", "grid-without-space", "empty"],
)
def test_restore_refuses_what_it_cannot_rebuild(state: dict[str, Any]) -> None:
    assert restore_sampler(state) is None


def test_grid_workers_started_by_name_share_the_grid(tmp_path: Path) -> None:
    # `rheostat worker` opens the study by name, with no sampler: it must run the study's grid
    url = f"sqlite:///{tmp_path / 'g.db'}"
    grid = {"a": [1, 2, 3], "b": [10, 20]}
    rheostat.create_study(study_name="g", storage=url, sampler=GridSampler(grid)).storage.close()
    (tmp_path / "obj.py").write_text(
        "def objective(trial):\n"
        "    return trial.suggest_int('a', 1, 3) * trial.suggest_int('b', 10, 20)\n"
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rheostat",
                "worker",
                "g",
                "--storage",
                url,
                "--objective",
                f"{tmp_path / 'obj.py'}:objective",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    study = rheostat.load_study("g", url)
    try:
        done = sorted((t.params["a"], t.params["b"]) for t in study.trials)
    finally:
        study.storage.close()
    assert done == [(a, b) for a in (1, 2, 3) for b in (10, 20)]  # each point once, then stop
