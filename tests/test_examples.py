"""The examples run, and the quickstart resumes its study when run again."""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

import rheostat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_runs_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quickstart = _load("quickstart")
    url = f"sqlite:///{tmp_path / 'q.db'}"
    assert quickstart.main(["--storage", url, "--n-trials", "3"]) == 0
    first = capsys.readouterr()
    assert "Best trial: #" in first.out
    assert "Resuming" not in first.out
    assert "3/3 trials" in first.err  # the progress bar

    assert quickstart.main(["--storage", url, "--n-trials", "5"]) == 0
    second = capsys.readouterr()
    assert "Resuming study 'digits-svc': 3 trials already finished." in second.out
    assert "5 trials stored" in second.out

    with contextlib.closing(sqlite3.connect(tmp_path / "q.db")) as db:
        (n_events,) = db.execute("SELECT COUNT(*) FROM rheostat_events").fetchone()
    assert n_events > 5  # the trials really are in the file
    accuracy = float(second.out.split("accuracy ")[1].split()[0])
    assert 0.5 < accuracy <= 1.0  # a real cross-validated accuracy on digits


def test_asha_digits_torch_resumes_from_checkpoints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = pytest.importorskip("torch", reason="the torch example needs pip install torch==2.13.0")
    example = _load("asha_digits_torch")
    loads: list[object] = []
    real_load = torch.load

    def counting_load(*args: object, **kwargs: object) -> object:
        assert kwargs.get("weights_only") is True  # nothing is unpickled beyond tensors
        loads.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", counting_load)
    reports: list[tuple[int, int]] = []  # (trial, epoch): the example reports every epoch it trains
    real_report = rheostat.Trial.report

    def logging_report(trial: rheostat.Trial, value: float, step: int) -> None:
        reports.append((trial.number, step))
        real_report(trial, value, step)

    monkeypatch.setattr(rheostat.Trial, "report", logging_report)
    assert example.main(["--n-trials", "9", "--max-epochs", "9"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("accuracy ")[1].split()[0])
    assert 0.5 < accuracy <= 1.0  # a real validation accuracy on digits, at most 9 epochs
    assert "after 9 epochs" in out  # the best trial was promoted up to max_resource
    resumed = int(out.split(" trials, ")[1].split(" resumed")[0])
    assert resumed >= 3  # the top third of the first rung, at least
    assert len(loads) >= resumed + 1  # each resume loaded its checkpoint (the best: twice)
    assert len(reports) == len(set(reports)), "an epoch was trained twice"
    assert f"{len(reports)} epochs trained, against 81" in out
    assert len(reports) <= 9 + 4 * 2 + 2 * 6  # 21 here: 9 + 3 * 2 + 1 * 6
