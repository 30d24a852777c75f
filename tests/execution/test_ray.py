"""RayExecutor: a real study on a local Ray instance with 2 CPUs, trials as Ray tasks.

Skipped only when Ray cannot be imported (``pip install 'rheostat[ray]'``; the ``test`` extra
installs it, so CI runs these).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialState
from rheostat.execution import RayExecutor

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'rheostat[ray]'")


def quadratic(trial: rheostat.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", -3, 3)
    return (x - 1.5) ** 2 + (y + 1) ** 2


def raises_value_error(trial: rheostat.Trial) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    raise ValueError("bad configuration")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # Ray's workers import the objective by reference; ship this test module by value instead.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def study(tmp_path: Path) -> Iterator[rheostat.Study]:
    s = rheostat.create_study(study_name="r", storage=f"sqlite:///{tmp_path / 'r.db'}", seed=3)
    yield s
    s.storage.close()


def test_a_real_study_runs_as_ray_tasks(local_ray: None, study: rheostat.Study) -> None:
    executor = RayExecutor(resources_per_trial={"cpu": 1})
    study.optimize(quadratic, n_trials=20, n_workers=2, executor=executor)
    trials = study.trials
    assert [t.number for t in trials] == list(range(20))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert study.best_value < 2.0  # the optimum is 0 at x=1.5, y=-1; random search gets close
    assert study.best_params["y"] in (-2, -1, 0)
    executor.close()  # Ray was started by the fixture, not the executor: still up
    assert ray.is_initialized()


def test_a_worker_error_is_reraised_with_its_type(local_ray: None, study: rheostat.Study) -> None:
    with pytest.raises(ValueError, match="bad configuration"):
        study.optimize(raises_value_error, n_trials=10, n_workers=2, executor=RayExecutor())
    trials = study.trials
    assert trials and all(t.state is TrialState.FAILED for t in trials)
    assert len(trials) < 10


def test_resources_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match=r"resources_per_trial\['gpu'\] must be a number >= 0"):
        RayExecutor(resources_per_trial={"cpu": 1, "gpu": -1})
    assert RayExecutor()._options() == {"num_cpus": 1.0, "num_gpus": 0.0, "max_retries": 0}
    options = RayExecutor(resources_per_trial={"GPU": 1, "cpu": 2, "tpu": 4})._options()
    assert options["num_gpus"] == 1.0 and options["resources"] == {"tpu": 4.0}


def test_ray_workers_share_a_postgresql_study(local_ray: None, postgres_db: str) -> None:
    # the scale-out set-up: Ray tasks on a cluster, the study in PostgreSQL
    study = rheostat.create_study(study_name="pg", storage=postgres_db, seed=4)
    try:
        executor = RayExecutor(resources_per_trial={"cpu": 1})
        study.optimize(quadratic, n_trials=16, n_workers=2, executor=executor)
        trials = study.trials
        assert [t.number for t in trials] == list(range(16))
        assert all(t.state is TrialState.COMPLETE for t in trials)
        assert all(t.worker_id and t.worker_id.count(":") == 2 for t in trials)  # host:pid:token
        assert study.best_value < 3.0
    finally:
        study.storage.close()
