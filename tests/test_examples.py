"""The examples run, and the quickstart resumes its study when run again."""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

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
