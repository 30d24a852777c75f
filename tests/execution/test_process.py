"""ProcessExecutor: worker processes share one SQLite study through storage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialState
from rheostat.execution import ProcessExecutor


def slow_square(trial: rheostat.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    time.sleep(0.1)
    return (x - 1.0) ** 2


def fails_on_third(trial: rheostat.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.number == 2:
        raise ZeroDivisionError("trial 2 divides by zero")
    time.sleep(0.05)
    return x


@pytest.fixture
def study(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = rheostat.create_study(study_name="p", storage=f"sqlite:///{tmp_path / 'p.db'}", seed=0)
    yield s
    s.storage.close()


def test_two_processes_run_the_trials_and_share_the_count(study: rheostat.Study) -> None:
    study.optimize(slow_square, n_trials=16, n_workers=2, executor=ProcessExecutor())
    trials = study.trials  # the caller's study object sees the workers' results
    assert [t.number for t in trials] == list(range(16))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    pids = {t.worker_id.split(":")[1] for t in trials if t.worker_id}
    assert str(os.getpid()) not in pids
    assert len(pids) == 2, f"expected both worker processes to run trials, got {pids}"
    # n_trials counts new trials of this call, on top of the existing ones
    study.optimize(slow_square, n_trials=3, n_workers=2, executor=ProcessExecutor())
    assert [t.number for t in study.trials] == list(range(19))
    assert study.best_value < 0.5


def test_a_worker_error_is_reraised_and_no_trial_is_left_running(
    study: rheostat.Study,
) -> None:
    with pytest.raises(ZeroDivisionError, match="trial 2 divides by zero"):
        study.optimize(fails_on_third, n_trials=30, n_workers=2, executor=ProcessExecutor())
    trials = study.trials
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert 2 in {t.number for t in failed}
    two = next(t for t in trials if t.number == 2)
    assert two.message is not None and "ZeroDivisionError" in two.message
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    assert len(trials) < 30  # the error stopped the other worker early


def test_caught_errors_fail_the_trial_and_the_workers_go_on(study: rheostat.Study) -> None:
    study.optimize(
        fails_on_third, n_trials=6, n_workers=2, catch=ZeroDivisionError, executor=ProcessExecutor()
    )
    states = {t.number: t.state for t in study.trials}
    assert len(states) == 6
    assert states.pop(2) is TrialState.FAILED
    assert set(states.values()) == {TrialState.COMPLETE}


def test_an_in_memory_study_says_to_use_a_file() -> None:
    study = rheostat.create_study()
    with pytest.raises(ValueError, match=r"in memory.*sqlite:///study\.db"):
        study.optimize(slow_square, n_trials=2, n_workers=2, executor=ProcessExecutor())
    assert study.trials == []


def test_sqlite_in_memory_is_not_shared_either() -> None:
    study = rheostat.create_study(storage="sqlite:///:memory:")
    try:
        with pytest.raises(ValueError, match="in memory"):
            study.optimize(slow_square, n_trials=2, executor=ProcessExecutor())
    finally:
        study.storage.close()


def test_a_lambda_cannot_be_pickled_and_the_error_says_what_to_do(study: rheostat.Study) -> None:
    with pytest.raises(TypeError, match=r"cannot be pickled.*def at the top of.*RayExecutor"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, executor=ProcessExecutor())
    assert study.trials == []


def test_callbacks_need_an_in_process_executor(study: rheostat.Study) -> None:
    with pytest.raises(ValueError, match="callbacks"):
        study.optimize(
            slow_square, n_trials=2, callbacks=[lambda s, r: None], executor=ProcessExecutor()
        )


def test_executor_must_be_an_executor(study: rheostat.Study) -> None:
    with pytest.raises(TypeError, match=r"executor must be a rheostat\.execution\.Executor"):
        study.optimize(slow_square, n_trials=1, executor="ray")  # type: ignore[arg-type]


DRIVER = """
import time
import rheostat
from rheostat.execution import ProcessExecutor

def objective(trial):
    trial.suggest_float("x", 0, 1)
    time.sleep(0.3)
    return 1.0

if __name__ == "__main__":
    # random search: this test is about stopping processes, not about how long a GP fit
    # (which may outlast the stop grace on a loaded machine) takes to notice Ctrl-C
    study = rheostat.load_study("p", {url!r}, sampler=rheostat.samplers.RandomSampler())
    try:
        study.optimize(objective, n_trials=200, n_workers=2, executor=ProcessExecutor())
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    study.storage.close()
"""


def test_ctrl_c_stops_the_workers_and_leaves_no_trial_running(
    study: rheostat.Study, tmp_path: Path
) -> None:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(url=f"sqlite:///{tmp_path / 'p.db'}"))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            len(study.get_trials([TrialState.COMPLETE])) >= 2
            and study.get_trials([TrialState.RUNNING])  # not between trials, in the sampler
        ):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "interrupted" in out, err
    trials = study.trials
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert failed and all("KeyboardInterrupt" in (t.message or "") for t in failed)
    assert len(trials) < 200
