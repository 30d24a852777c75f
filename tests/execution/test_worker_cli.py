"""``rheostat worker``: several worker processes, started independently, share one study."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialState
from rheostat.cli import main

OBJECTIVE = textwrap.dedent(
    """
    import time

    def objective(trial):
        x = trial.suggest_float("x", -2.0, 2.0)
        time.sleep(0.05)
        return x * x

    not_a_function = 3
    """
)


def _study(tmp_path: Path, name: str = "shared") -> str:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    study = rheostat.create_study(study_name=name, storage=url, seed=0)
    study.storage.close()
    return url


def _worker(url: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    # The worker runs in another folder: a relative PYTHONPATH (PYTHONPATH=src) must still
    # find the rheostat under test, not another installed one.
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p
        )
    return subprocess.Popen(
        [sys.executable, "-m", "rheostat", "worker", "shared", "--storage", url, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_workers_complete_exactly_the_requested_trials(tmp_path: Path) -> None:
    url = _study(tmp_path)
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    spec = f"{tmp_path / 'obj.py'}:objective"
    procs = [_worker(url, "--objective", spec, "--n-trials", "30", cwd=tmp_path) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "rheostat: worker finished" in err
    study = rheostat.load_study("shared", url)
    try:
        trials = study.trials
    finally:
        study.storage.close()
    assert [t.number for t in trials] == list(range(30))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    finished = sum(int(err.split("finished ")[1].split()[0]) for _, err in outputs)
    assert finished == 30
    pids = {t.worker_id.split(":")[1] for t in trials if t.worker_id}
    assert len(pids) >= 2, f"expected the workers to share the trials, got {pids}"


def test_a_module_path_is_imported_from_the_current_directory(tmp_path: Path) -> None:
    url = _study(tmp_path)
    (tmp_path / "my_objective.py").write_text(OBJECTIVE)
    proc = _worker(url, "--objective", "my_objective:objective", "--n-trials", "3", cwd=tmp_path)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    study = rheostat.load_study("shared", url)
    try:
        assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    finally:
        study.storage.close()


@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        ("missing.py:objective", "there is no file 'missing.py'"),
        ("no_such_module_xyz:objective", "cannot import module 'no_such_module_xyz'"),
        ("{obj}:nothing", "has no function 'nothing'"),
        ("{obj}:not_a_function", "is 3 (int), not a function"),
        ("objective", "use MODULE:FUNCTION"),
    ],
)
def test_a_bad_objective_exits_2_with_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    objective: str,
    expected: str,
) -> None:
    url = _study(tmp_path)
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    monkeypatch.chdir(tmp_path)
    spec = objective.format(obj=tmp_path / "obj.py")
    status = main(["worker", "shared", "--storage", url, "--objective", spec])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("rheostat: error: "), err
    assert expected in err


def test_a_missing_study_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _study(tmp_path)
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    spec = f"{tmp_path / 'obj.py'}:objective"
    status = main(["worker", "nope", "--storage", url, "--objective", spec, "--n-trials", "2"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("rheostat: error: ") and "nope" in err


def test_n_trials_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _study(tmp_path)
    status = main(["worker", "shared", "--storage", url, "--objective", "a:b", "--n-trials", "0"])
    err = capsys.readouterr().err
    assert status == 2 and "expected a int > 0, got '0'" in err and err.count("\n") == 1
