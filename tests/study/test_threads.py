"""Several worker threads on one study: every trial once, numbered without gaps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import rheostat
from rheostat import Study, Trial, TrialState


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    trial.report(x, step=0)
    time.sleep(0.001)  # let the threads interleave
    return x * x


def _check(study: Study, n_trials: int) -> None:
    trials = study.trials
    assert len(trials) == n_trials
    assert [t.number for t in trials] == list(range(n_trials))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    # x * x as the objective computes it: x ** 2 may differ in the last bit
    assert all(t.values == (t.params["x"] * t.params["x"],) for t in trials)  # type: ignore[operator]
    assert all(dict(t.intermediate_values) == {0: t.params["x"]} for t in trials)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_four_workers(backend: str, tmp_path: Path) -> None:
    storage = None if backend == "memory" else f"sqlite:///{tmp_path / 't.db'}"
    study = rheostat.create_study(storage=storage, seed=0)
    threads_seen: set[str] = set()
    lock = threading.Lock()

    def objective(trial: Trial) -> float:
        with lock:
            threads_seen.add(threading.current_thread().name)
        return _objective(trial)

    try:
        study.optimize(objective, n_trials=60, n_workers=4)
        _check(study, 60)
        assert len(threads_seen) > 1  # the work was really shared
        # a second call continues the numbering
        study.optimize(_objective, n_trials=10, n_workers=4)
        _check(study, 70)
    finally:
        study.storage.close()


def test_two_study_objects_on_one_sqlite_file(tmp_path: Path) -> None:
    """Two handles on the same study (as two processes would have) never share a number."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a = rheostat.create_study(study_name="shared", storage=url, seed=1)
    b = rheostat.load_study("shared", storage=url)
    try:
        runs = [
            threading.Thread(target=s.optimize, args=(_objective,), kwargs={"n_trials": 25})
            for s in (a, b)
        ]
        for t in runs:
            t.start()
        for t in runs:
            t.join(60)
        _check(a, 50)
        assert a.trials == b.trials
        workers = {t.worker_id for t in a.trials}
        assert len(workers) == 2
    finally:
        a.storage.close()
        b.storage.close()


def test_threads_with_failures_and_catch() -> None:
    def objective(trial: Trial) -> float:
        if trial.number % 5 == 0:
            raise ValueError("every fifth")
        return _objective(trial)

    study = rheostat.create_study()
    study.optimize(objective, n_trials=40, n_workers=4, catch=(ValueError,))
    trials = study.trials
    assert [t.number for t in trials] == list(range(40))
    failed = [t.number for t in trials if t.state is TrialState.FAILED]
    assert failed == list(range(0, 40, 5))
    assert all(t.state is TrialState.COMPLETE for t in trials if t.number % 5)


def test_exception_in_a_worker_stops_all_and_is_raised() -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 5:
            raise RuntimeError("worker failed")
        time.sleep(0.005)
        return 1.0

    study = rheostat.create_study()
    with pytest.raises(RuntimeError, match="worker failed"):
        study.optimize(objective, n_trials=500, n_workers=4)
    trials = study.trials
    assert len(trials) < 500
    assert trials[5].state is TrialState.FAILED
    assert not [t for t in trials if t.state is TrialState.RUNNING]


def test_callbacks_and_stop_with_threads() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def callback(study: Study, record: rheostat.TrialRecord) -> None:
        with lock:
            seen.append(record.number)
            if len(seen) == 10:
                study.stop()

    study = rheostat.create_study()
    study.optimize(_objective, n_trials=200, n_workers=4, callbacks=[callback])
    n = len(study.trials)
    assert 10 <= n <= 14  # the trials already running when stop() came finish
    assert sorted(seen) == list(range(n))
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
