"""What happens when an objective fails, returns nonsense, is pruned, or is interrupted."""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rheostat
from rheostat import Study, Trial, TrialState
from rheostat.schedulers import ThresholdPruner
from rheostat.storage import TrialCreated


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    s = rheostat.create_study(study_name="f", storage=f"sqlite:///{tmp_path / 'f.db'}", seed=0)
    yield s
    s.storage.close()


def _states(study: Study) -> list[TrialState]:
    return [t.state for t in study.trials]


def _join_workers(timeout: float = 10.0) -> None:
    """Wait for optimize's worker threads that may outlive an interrupted call."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith("rheostat-worker"):
            thread.join(max(0.0, deadline - time.monotonic()))


# -- exceptions ----------------------------------------------------------------------------------


def test_exception_fails_trial_with_traceback_and_is_reraised(study: Study) -> None:
    def objective(trial: Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        trial.report(0.5, step=0)
        if trial.number == 1:
            raise ZeroDivisionError("the model diverged")
        return 1.0

    with pytest.raises(ZeroDivisionError, match="the model diverged"):
        study.optimize(objective, n_trials=5)
    assert _states(study) == [TrialState.COMPLETE, TrialState.FAILED]  # stopped at the failure
    failed = study.trials[1]
    assert failed.values is None
    assert failed.message is not None
    assert "ZeroDivisionError" in failed.message
    assert "the model diverged" in failed.message
    assert "Traceback" in failed.message
    assert "objective" in failed.message  # the frame where it was raised
    assert "x" in failed.params  # what was suggested before the failure is kept
    assert dict(failed.intermediate_values) == {0: 0.5}
    assert failed.datetime_complete is not None
    # the stored message survives a reload
    loaded = rheostat.load_study("f", storage=study.storage)
    assert loaded.trials[1].message == failed.message


def test_catch_lets_the_study_go_on(study: Study) -> None:
    def objective(trial: Trial) -> float:
        if trial.number in (0, 2):
            raise ValueError(f"bad config {trial.number}")
        if trial.number == 3:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "subclass of ValueError")
        return float(trial.number)

    study.optimize(objective, n_trials=6, catch=(ValueError,))
    assert _states(study) == [
        TrialState.FAILED,
        TrialState.COMPLETE,
        TrialState.FAILED,
        TrialState.FAILED,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    assert "bad config 2" in (study.trials[2].message or "")
    assert "Traceback" in (study.trials[2].message or "")
    assert "UnicodeDecodeError" in (study.trials[3].message or "")
    assert study.best_trial.number == 1


def test_catch_accepts_a_single_class_and_other_errors_still_raise(study: Study) -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 0:
            raise KeyError("k")
        raise RuntimeError("other")

    with pytest.raises(RuntimeError, match="other"):
        study.optimize(objective, n_trials=5, catch=KeyError)
    assert _states(study) == [TrialState.FAILED, TrialState.FAILED]


# -- invalid return values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (None, "None"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        ("0.5", "not a number"),
        ((1.0, 2.0), "not a number"),
        ([], "not a number"),
        (True, "not a number"),
        ({"loss": 1.0}, "not a number"),
    ],
    ids=repr,
)
def test_invalid_return_fails_trial_and_study_goes_on(
    study: Study, returned: object, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    def objective(trial: Trial) -> Any:
        return returned if trial.number == 0 else 2.0

    study.optimize(objective, n_trials=3)  # no exception
    assert _states(study) == [TrialState.FAILED, TrialState.COMPLETE, TrialState.COMPLETE]
    first = study.trials[0]
    assert first.values is None
    assert first.message is not None
    assert reason in first.message
    assert study.best_value == 2.0
    assert "trial 0" in caplog.text  # the reason is logged too


def test_numpy_results_are_accepted(study: Study) -> None:
    np = pytest.importorskip("numpy")
    results = [np.float32(0.5), np.float64(1.5), np.array(2.5), np.int64(3), [4.5]]
    study.optimize(lambda t: results[t.number], n_trials=len(results))
    assert [t.values for t in study.trials] == [(0.5,), (1.5,), (2.5,), (3.0,), (4.5,)]
    assert all(type(t.values[0]) is float for t in study.trials if t.values)


def test_wrong_count_for_several_objectives(tmp_path: Path) -> None:
    study = rheostat.create_study(directions=["minimize", "maximize"])
    returns: list[Any] = [(1.0, 2.0, 3.0), 1.0, (1.0, None), (1.0, math.nan), "ab", (1.0, 2.0)]
    study.optimize(lambda t: returns[t.number], n_trials=len(returns))
    states = _states(study)
    assert states == [TrialState.FAILED] * 5 + [TrialState.COMPLETE]
    messages = [t.message or "" for t in study.trials[:5]]
    assert "3 values" in messages[0]
    assert "2" in messages[0]
    assert "2 objectives" in messages[1]
    assert "objective value 1 is None" in messages[2]
    assert "nan" in messages[3]
    assert "2 objectives" in messages[4]
    assert study.trials[5].values == (1.0, 2.0)


# -- pruning -------------------------------------------------------------------------------------


def test_trial_pruned_keeps_last_intermediate_value(study: Study) -> None:
    def objective(trial: Trial) -> float:
        for step in range(5):
            trial.report(10.0 - step, step=step)
            if trial.number == 1 and step == 2:
                raise rheostat.TrialPruned()
        return 1.0

    study.optimize(objective, n_trials=3)
    assert _states(study) == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE]
    pruned = study.trials[1]
    assert pruned.values == (8.0,)
    assert dict(pruned.intermediate_values) == {0: 10.0, 1: 9.0, 2: 8.0}
    assert pruned.message is None


def test_pruned_without_report_has_no_value(study: Study) -> None:
    def objective(trial: Trial) -> float:
        raise rheostat.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert _states(study) == [TrialState.PRUNED, TrialState.PRUNED]
    assert [t.values for t in study.trials] == [None, None]


def test_should_prune_from_a_scheduler() -> None:
    study = rheostat.create_study(scheduler=ThresholdPruner(upper=5.0))

    def objective(trial: Trial) -> float:
        for step in range(3):
            trial.report(float(trial.number * 3 + step), step=step)
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=4)
    states = _states(study)
    assert states[0] is TrialState.COMPLETE
    assert states[2:] == [TrialState.PRUNED, TrialState.PRUNED]
    assert study.trials[3].values == (9.0,)  # pruned at its first report, above 5


# -- Ctrl-C --------------------------------------------------------------------------------------


def _assert_none_running(study: Study) -> None:
    running = [t.number for t in study.trials if t.state is TrialState.RUNNING]
    assert running == [], f"trials left RUNNING: {running}"


def test_keyboard_interrupt_leaves_no_trial_running(study: Study) -> None:
    def objective(trial: Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 2:
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10, catch=(Exception,))
    _assert_none_running(study)
    assert _states(study) == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAILED]
    message = study.trials[2].message or ""
    assert "interrupted" in message
    assert "KeyboardInterrupt" in message
    # the study can go on afterwards
    study.optimize(objective, n_trials=2, catch=(Exception,))
    assert _states(study)[3:] == [TrialState.COMPLETE, TrialState.COMPLETE]


def test_keyboard_interrupt_in_a_worker_thread(study: Study) -> None:
    def objective(trial: Trial) -> float:
        trial.suggest_int("k", 0, 3)
        if trial.number == 3:
            raise KeyboardInterrupt
        time.sleep(0.02)  # the other worker's trials are short
        return float(trial.number)

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=200, n_workers=2)
    _join_workers()
    _assert_none_running(study)
    trials = study.trials
    assert len(trials) < 200  # the run stopped
    interrupted = trials[3]
    assert interrupted.state is TrialState.FAILED
    assert "interrupted" in (interrupted.message or "")
    others = [t for t in trials if t.number != 3]
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAILED) for t in others)


def test_ctrl_c_in_main_thread_while_workers_run(study: Study) -> None:
    """A real SIGINT reaches the main thread while two workers are inside the objective: both
    trials are failed at once, not left RUNNING, and no new trial starts."""
    release = threading.Event()
    started = threading.Barrier(2, timeout=10)

    def objective(trial: Trial) -> float:
        started.wait()  # both workers are inside a trial
        if trial.number == 0:
            os.kill(os.getpid(), signal.SIGINT)
        release.wait(10)
        return 1.0

    try:
        with pytest.raises(KeyboardInterrupt):
            study.optimize(objective, n_trials=50, n_workers=2)
        _assert_none_running(study)  # before the objectives return
        assert _states(study) == [TrialState.FAILED, TrialState.FAILED]
        assert all("interrupted" in (t.message or "") for t in study.trials)
    finally:
        release.set()
        _join_workers()
    # the objectives finishing later change nothing: a finished trial never changes
    assert _states(study) == [TrialState.FAILED, TrialState.FAILED]
    assert len(study.trials) == 2


def test_ctrl_c_fails_only_the_trials_of_that_optimize_call(study: Study) -> None:
    """A trial the user asked for by hand before optimize is not this call's: it stays RUNNING."""
    manual = study.ask()

    def objective(trial: Trial) -> float:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5, n_workers=2)
    _join_workers()
    states = {t.number: t.state for t in study.trials}
    assert states[manual.number] is TrialState.RUNNING
    assert all(s is TrialState.FAILED for n, s in states.items() if n != manual.number)
    assert len(states) >= 2
    study.tell(manual, 1.0)
    assert study.trials[manual.number].state is TrialState.COMPLETE


def test_running_trial_of_a_dead_process_is_failed_on_start(study: Study) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(proc.stdout)  # the child has exited and been reaped
    with pytest.raises(ProcessLookupError):
        os.kill(dead_pid, 0)
    host = socket.gethostname()
    storage = study.storage
    now = time.time()
    storage.append(
        "f",
        [
            TrialCreated(0, TrialState.RUNNING, now, worker_id=f"{host}:{dead_pid}:x"),
            TrialCreated(1, TrialState.RUNNING, now, worker_id=f"{host}:{os.getpid()}:other"),
            TrialCreated(2, TrialState.RUNNING, now, worker_id=f"elsewhere-{host}:{dead_pid}:x"),
        ],
    )
    study.optimize(lambda t: 1.0, n_trials=1)
    trials = study.trials
    assert trials[0].state is TrialState.FAILED
    assert f"{host}:{dead_pid}:x" in (trials[0].message or "")
    assert "gone" in (trials[0].message or "")
    assert trials[1].state is TrialState.RUNNING  # this process is alive
    assert trials[2].state is TrialState.RUNNING  # another host: cannot tell, left alone
    assert trials[3].state is TrialState.COMPLETE
