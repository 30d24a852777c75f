"""Chaos: four worker processes on one study, killed with SIGKILL at random; nothing is lost.

Each worker runs a grid study until the grid is exhausted and, after each trial is stored, logs
it. The harness kills a random worker every few tenths of a second and starts a new one; then it
lets workers finish the study. Afterwards: every logged trial is stored exactly once and
COMPLETE, trial numbers are unique and contiguous, no trial is RUNNING, and every grid point was
completed exactly once (a killed trial is failed and retried with its parameters).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialState

GRID_A, GRID_B = 20, 8  # 160 grid points

WORKER = textwrap.dedent(
    f"""
    import os, random, sys, time
    import rheostat
    from rheostat.samplers import GridSampler

    url, log_path = sys.argv[1], sys.argv[2]
    grid = GridSampler({{"a": list(range({GRID_A})), "b": list(range({GRID_B}))}})
    study = rheostat.create_study(
        study_name="chaos", storage=url, load_if_exists=True, sampler=grid, seed=0,
        heartbeat_interval=0.2, grace_period=1.0, max_retries=1000,
    )

    def objective(trial):
        a = trial.suggest_int("a", 0, {GRID_A - 1})
        b = trial.suggest_int("b", 0, {GRID_B - 1})
        time.sleep(random.uniform(0.0, 0.03))
        return a * 100 + b

    def log_stored(study, record):
        if record.state is rheostat.TrialState.COMPLETE:
            with open(log_path, "a") as f:
                f.write(f"{{record.number}} {{record.params['a']}} {{record.params['b']}} "
                        f"{{record.value}} {{os.getpid()}}\\n")
                f.flush()
                os.fsync(f.fileno())

    study.optimize(objective, callbacks=[log_stored])
    study.storage.close()
    """
)


def _start(script: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(script), url, str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _run_chaos(url: str, tmp_path: Path, *, kill_seconds: float = 5.0) -> int:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    log = tmp_path / "stored.log"
    rng = random.Random(1234)
    started: dict[subprocess.Popen[bytes], float] = {}

    def start() -> subprocess.Popen[bytes]:
        proc = _start(script, url, log)
        started[proc] = time.monotonic()
        return proc

    workers = [start() for _ in range(4)]
    kills = 0
    begin = time.monotonic()
    # Kill for kill_seconds, and on until six kills landed (a slow machine starts workers
    # slowly), but never for longer than a minute.
    while time.monotonic() - begin < 60 and (time.monotonic() - begin < kill_seconds or kills < 6):
        time.sleep(rng.uniform(0.1, 0.3))
        # Kill a worker that has stored a trial already, so the kill lands in its trial loop.
        busy = (
            {line.split()[-1] for line in log.read_text().splitlines()} if log.exists() else set()
        )
        ripe = [w for w in workers if w.poll() is None and str(w.pid) in busy]
        if ripe:
            victim = rng.choice(ripe)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
        workers = [w for w in workers if w.poll() is None]
        while len(workers) < 4:
            workers.append(start())
    # Let the study finish: new workers fail the killed trials and retry them.
    for _ in range(6):
        for w in workers:
            w.wait(timeout=120)
        workers = []
        study = rheostat.load_study("chaos", url)
        try:
            done = len(study.get_trials([TrialState.COMPLETE]))
        finally:
            study.storage.close()
        if done == GRID_A * GRID_B:
            break
        workers = [start() for _ in range(2)]
    for w in workers:
        w.wait(timeout=120)
    return kills


def _check(url: str, tmp_path: Path) -> None:
    study = rheostat.load_study("chaos", url)
    try:
        trials = study.trials
    finally:
        study.storage.close()
    numbers = [t.number for t in trials]
    assert numbers == list(range(len(trials)))  # unique and contiguous
    assert not [t.number for t in trials if t.state is TrialState.RUNNING]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    points = Counter((t.params["a"], t.params["b"]) for t in complete)
    assert len(points) == GRID_A * GRID_B  # the study reached its requested count
    assert set(points.values()) == {1}  # each grid point completed exactly once
    by_number = {t.number: t for t in trials}
    logged = [line.split() for line in (tmp_path / "stored.log").read_text().splitlines()]
    assert len(logged) == len({int(n) for n, *_ in logged})  # no result reported twice
    for number, a, b, value, _pid in logged:
        record = by_number[int(number)]
        assert record.state is TrialState.COMPLETE
        assert (record.params["a"], record.params["b"]) == (int(a), int(b))
        assert record.value == float(value)
    for t in trials:
        if t.state is TrialState.FAILED:
            assert "gone" in (t.message or "") or "no heartbeat" in (t.message or "")
    retries = [t for t in trials if "retry_of" in t.system_attrs]
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert len(retries) == len(failed)  # every lost trial was retried once
    assert failed, "no kill landed inside a trial: the test exercised nothing"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_chaos_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chaos.db'}"
    kills = _run_chaos(url, tmp_path)
    assert kills >= 5
    _check(url, tmp_path)
    assert os.path.getsize(tmp_path / "chaos.db") > 0


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_chaos_postgres(postgres_db: str, tmp_path: Path) -> None:
    kills = _run_chaos(postgres_db, tmp_path)
    assert kills >= 5
    _check(postgres_db, tmp_path)
