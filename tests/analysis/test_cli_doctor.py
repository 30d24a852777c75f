"""``rheostat doctor`` and ``rheostat plan``, run in-process through ``main``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import rheostat
from rheostat.cli import main


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with a study whose learning rate is on a linear scale, and a study with
    nothing to report (two objectives, both moving)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('doctor') / 'studies.db'}"
    study = rheostat.create_study(study_name="linear-lr", storage=url, seed=0)
    try:
        study.optimize(
            lambda t: (math.log10(t.suggest_float("lr", 1e-5, 1e-1)) + 3) ** 2, n_trials=25
        )
        pareto = rheostat.create_study(
            study_name="pareto", storage=study.storage, directions=["minimize", "minimize"]
        )

        def two(t: rheostat.Trial) -> tuple[float, float]:
            w = t.suggest_int("width", 16, 512, log=True)
            return 1 / w, 0.001 * w

        pareto.optimize(two, n_trials=25)
    finally:
        study.storage.close()
    return url


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RHEOSTAT_STORAGE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_doctor_table_shows_code_severity_evidence_and_fix(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "doctor", "linear-lr", "--storage", db)
    assert (code, err) == (0, "")
    assert out.startswith("study 'linear-lr': ")
    assert "WARNING  linear-scale-wide" in out
    assert "evidence: param=lr, low=1e-05, high=0.1, decades=4" in out
    assert "fix: sample 'lr' on a log scale: suggest_float('lr', 1e-05, 0.1, log=True)" in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_doctor_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "doctor", "linear-lr", "--storage", db, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["study"] == "linear-lr"
    assert data["trials"] == 25
    by_code = {f["code"]: f for f in data["findings"]}
    assert by_code["linear-scale-wide"]["severity"] == "warning"
    assert by_code["linear-scale-wide"]["evidence"]["decades"] == 4.0
    assert set(by_code["linear-scale-wide"]) == {"code", "severity", "message", "evidence", "fix"}


def test_doctor_on_a_healthy_study_says_no_findings(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "doctor", "pareto", "--storage", db)
    assert code == 0
    assert out == "study 'pareto': no findings (25 trials checked)\n"
    code, out, _ = run(capsys, "doctor", "pareto", "--storage", db, "--format", "json")
    assert json.loads(out)["findings"] == []


def test_doctor_unknown_study_is_an_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "doctor", "nope", "--storage", db)
    assert code == 2
    assert out == ""
    assert err.startswith("rheostat: error: ")
    assert "nope" in err


def test_plan_from_a_parameter_count_needs_no_storage(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--params", "2", "--grid-size", "5", "--budget-hours", "10"]
    code, out, err = run(capsys, *argv, "--minutes-per-trial", "5")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == ["strategy", "grid"]
    assert out.splitlines()[1].split() == ["n_trials", "25"]
    code, out, _ = run(
        capsys,
        "plan",
        "--params",
        "6",
        "--grid-size",
        "4",
        "--budget-hours",
        "10",
        "--minutes-per-trial",
        "5",
        "--reports",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["strategy"], data["scheduler"], data["grid_size"]) == ("bayesian", "asha", 4096)
    assert any("4^6 = 4096" in w for w in data["warnings"])


def test_plan_from_a_space_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = rheostat.Space({f"p{i}": rheostat.Float(0.0, 1.0) for i in range(3)})
    path = tmp_path / "space.json"
    path.write_text(json.dumps(space.to_json()))
    code, out, _ = run(
        capsys, "plan", "--space", str(path), "--budget-hours", "2", "--minutes-per-trial", "1"
    )
    assert code == 0
    assert "strategy                random" in out
    assert "n_trials                111" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--budget-hours", "1", "--minutes-per-trial", "1"], "--space FILE or --params N"),
        (["plan", "--params", "2", "--minutes-per-trial", "1"], "--budget-hours"),
        (["plan", "--params", "0", "--budget-hours", "1", "--minutes-per-trial", "1"], ">= 1"),
        (["plan", "--params", "2", "--budget-hours", "-1", "--minutes-per-trial", "1"], "> 0"),
    ],
)
def test_plan_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("rheostat: error: ")
    assert message in err


def test_plan_with_a_missing_space_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--space", str(tmp_path / "none.json"), "--budget-hours", "1"]
    code, _, err = run(capsys, *argv, "--minutes-per-trial", "1")
    assert code == 2
    assert "none.json" in err
