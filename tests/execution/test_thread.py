"""ThreadExecutor: the contract every executor keeps, on threads (the optimize default)."""

from __future__ import annotations

import threading

import pytest

import rheostat
from rheostat import TrialState
from rheostat.execution import Executor, ThreadExecutor


def test_runs_the_worker_n_times_at_once() -> None:
    barrier = threading.Barrier(3, timeout=5)  # fails unless all three run concurrently
    names: list[str] = []

    def worker() -> None:
        names.append(threading.current_thread().name)
        barrier.wait()

    ThreadExecutor().run(worker, 3)
    assert len(names) == 3 and len(set(names)) == 3


def test_one_worker_runs_in_the_calling_thread() -> None:
    seen: list[threading.Thread] = []
    ThreadExecutor().run(lambda: seen.append(threading.current_thread()), 1)
    assert seen == [threading.current_thread()]


def test_the_first_error_is_reraised_after_the_others_return() -> None:
    finished = threading.Event()

    def worker() -> None:
        if threading.current_thread().name.endswith("_0"):
            raise KeyError("first")
        finished.wait(0.3)

    with pytest.raises(KeyError, match="first"):
        ThreadExecutor().run(worker, 2)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_n_workers_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="n_workers must be an integer >= 1"):
        ThreadExecutor().run(lambda: None, bad)  # type: ignore[arg-type]


def test_optimize_with_an_explicit_thread_executor_keeps_callbacks() -> None:
    seen: list[int] = []
    study = rheostat.create_study(seed=0)
    with ThreadExecutor() as executor:
        assert isinstance(executor, Executor)
        study.optimize(
            lambda t: t.suggest_float("x", 0, 1),
            n_trials=12,
            n_workers=3,
            executor=executor,
            callbacks=[lambda s, r: seen.append(r.number)],
        )
    assert sorted(seen) == list(range(12))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}
