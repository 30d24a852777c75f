"""A study killed with SIGKILL mid-run and started again loses no trial and repeats none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import rheostat
from rheostat.trial import TrialRecord, TrialState

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

TOTAL = 24
KILL_AT = 10  # the process is killed while it runs this trial

_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import rheostat

    url, side, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hang_at = int(os.environ.get("HANG_AT", "-1"))

    def log(line):
        with open(side, "a") as f:
            f.write(line + "\\n")

    def objective(trial):
        x = trial.suggest_float("x", -5.0, 5.0)
        n = trial.suggest_int("n", 1, 64, log=True)
        opt = trial.suggest_categorical("opt", ["adam", "sgd", "rmsprop"])
        log(f"start {trial.number}")
        time.sleep(600 if trial.number == hang_at else 0.02)
        value = (x - 1.0) ** 2 + n / 64 + len(opt)
        log(f"done {trial.number} {value!r}")
        return value

    # Random search: trial k's params depend on k only, not on the failed trial's outcome.
    study = rheostat.create_study(
        study_name="s",
        storage=url,
        load_if_exists=True,
        seed=7,
        sampler=rheostat.samplers.RandomSampler(),
    )
    study.optimize(objective, n_trials=max(0, total - len(study.trials)))
    study.storage.close()
    """
)


def _run(script: Path, db: Path, side: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), f"sqlite:///{db}", str(side), str(TOTAL)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(side: Path) -> list[list[str]]:
    return [line.split() for line in side.read_text().splitlines()] if side.exists() else []


def _trials(db: Path) -> list[TrialRecord]:
    study = rheostat.load_study("s", storage=f"sqlite:///{db}")
    try:
        return study.trials
    finally:
        study.storage.close()


def _finish(proc: subprocess.Popen[str]) -> None:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"


def test_killed_study_resumes_without_losing_or_repeating_trials(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    db, side = tmp_path / "study.db", tmp_path / "side.txt"

    # 1. Run until trial KILL_AT is inside the objective (all before it have returned), then
    #    SIGKILL: no cleanup, no Ctrl-C handler, the trial is left RUNNING in storage.
    proc = _run(script, db, side, HANG_AT=str(KILL_AT))
    try:
        deadline = time.monotonic() + 60
        while ["start", str(KILL_AT)] not in _lines(side):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the study did not reach the trial to kill"
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    killed_pid = proc.pid
    before = _trials(db)
    assert [t.state for t in before] == [TrialState.COMPLETE] * KILL_AT + [TrialState.RUNNING]
    assert before[KILL_AT].worker_id is not None
    assert f":{killed_pid}:" in before[KILL_AT].worker_id

    # 2. Start the same script again: it resumes and runs the study to TOTAL trials.
    _finish(_run(script, db, side))
    resumed = _trials(db)

    # 3. The same script, uninterrupted, on a fresh database.
    fresh_db, fresh_side = tmp_path / "fresh.db", tmp_path / "fresh.txt"
    _finish(_run(script, fresh_db, fresh_side))
    fresh = _trials(fresh_db)

    # Trial numbers are unique and contiguous; nothing is left RUNNING or WAITING.
    assert [t.number for t in resumed] == list(range(TOTAL))
    states = {t.number: t.state for t in resumed}
    assert states == {n: TrialState.FAILED if n == KILL_AT else TrialState.COMPLETE for n in states}

    # The orphan of the dead process was failed, and says why.
    orphan = resumed[KILL_AT]
    assert orphan.message is not None
    assert "worker" in orphan.message
    assert "is gone" in orphan.message
    assert f":{killed_pid}:" in orphan.message

    # Every trial whose objective returned is stored COMPLETE with the value it returned, and
    # no trial number ran twice (each was started exactly once, across both runs).
    lines = _lines(side)
    started = [int(w[1]) for w in lines if w[0] == "start"]
    returned = {int(w[1]): float(w[2]) for w in lines if w[0] == "done"}
    assert sorted(started) == list(range(TOTAL))
    assert set(returned) == set(range(TOTAL)) - {KILL_AT}
    for number, value in returned.items():
        assert resumed[number].state is TrialState.COMPLETE
        assert resumed[number].values == (value,)
    for t in before[:KILL_AT]:  # the first run's results are untouched
        assert resumed[t.number].values == t.values
        assert resumed[t.number].params == t.params

    # The seeded sampler gives trial k the same params as in an uninterrupted run.
    assert [t.state for t in fresh] == [TrialState.COMPLETE] * TOTAL
    for r, f in zip(resumed, fresh, strict=True):
        if r.number == KILL_AT:
            assert r.params.items() <= f.params.items()  # its params were never written
            continue
        assert dict(r.params) == dict(f.params), f"trial {r.number} has other params"
        assert r.values == f.values
    assert len({(t.params["x"], t.params["n"]) for t in fresh}) == TOTAL  # not constant
