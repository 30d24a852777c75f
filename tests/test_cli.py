"""The command line, run in-process through ``main`` against real SQLite studies."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import rheostat
from rheostat.cli import main
from rheostat.distributions import distribution_from_json

BEST_X = 1 / 3


@dataclass(frozen=True)
class Db:
    url: str
    path: Path
    single: list[rheostat.TrialRecord]
    best: rheostat.TrialRecord
    front: list[int]


def _build(path: Path) -> Db:
    url = f"sqlite:///{path}"
    study = rheostat.create_study(study_name="tune", storage=url, seed=3)
    try:
        # complete: 0, 1, 3, 5 (best is 3); pruned: 2, 6; failed: 4
        for x, opt, outcome in [
            (0.5, "adam", "complete"),
            (-1.5, "sgd", "complete"),
            (2.0, "sgd", "pruned"),
            (BEST_X, "adam", "complete"),
            (3.0, "adam", "failed"),
            (-2.0, "sgd", "complete"),
            (1.0, "adam", "pruned"),
        ]:
            study.enqueue_trial({"x": x, "opt": opt})
            trial = study.ask()
            trial.suggest_float("x", -4.0, 4.0)
            trial.suggest_categorical("opt", ["adam", "sgd"])
            trial.suggest_int("layers", 1, 4)
            trial.report(x * x + 1.0, step=0)
            if outcome == "complete":
                if x == BEST_X:
                    trial.set_user_attr("note", "the best")
                study.tell(trial, x * x)
            elif outcome == "pruned":
                study.tell(trial, state="PRUNED")
            else:
                message = "ValueError: diverged\nTraceback (most recent call last):\n  File x"
                study.tell(trial, state="FAILED", message=message)
        multi = rheostat.create_study(
            study_name="pareto", storage=study.storage, directions=["minimize", "maximize"]
        )
        for a, b in [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.5, 0.5)]:
            trial = multi.ask()
            trial.suggest_float("a", 0.0, 5.0)
            multi.tell(trial, values=[a, b])
        rheostat.create_study(study_name="empty", storage=study.storage)
        return Db(url, path, study.trials, study.best_trial, [t.number for t in multi.best_trials])
    finally:
        study.storage.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Db:
    return _build(tmp_path_factory.mktemp("cli") / "studies.db")


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RHEOSTAT_STORAGE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- studies ---------------------------------------------------------------------------------------


def test_studies_table_lists_counts_and_best(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "studies", "--storage", db.url)
    assert (code, err) == (0, "")
    header, rule, *lines = out.splitlines()
    assert header.split() == [
        "name",
        "directions",
        "trials",
        "complete",
        "pruned",
        "failed",
        "running",
        "best",
        "sampler",
        "created",
    ]
    assert set(rule) <= {"-", " "}
    rows = {line.split()[0]: line.split() for line in lines}
    assert set(rows) == {"tune", "pareto", "empty"}
    assert rows["tune"][1:7] == ["minimize", "7", "4", "2", "1", "0"]
    assert float(rows["tune"][7]) == pytest.approx(db.best.value, rel=1e-5)
    assert rows["pareto"][1:3] == ["minimize,maximize", "4"]
    assert "front of 3" in out
    assert rows["empty"][1:7] == ["minimize", "0", "0", "0", "0", "0"]


def test_studies_json_and_storage_from_environment(
    db: Db, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RHEOSTAT_STORAGE", db.url)
    code, out, _ = run(capsys, "studies", "--format", "json")
    assert code == 0
    by_name = {s["name"]: s for s in json.loads(out)}
    assert by_name["tune"]["best"] == db.best.value
    assert by_name["tune"]["failed"] == 1
    assert by_name["empty"]["best"] is None


# -- trials ----------------------------------------------------------------------------------------


def test_trials_table_has_one_row_per_trial(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trials", "tune", "--storage", db.url)
    assert code == 0
    header, _rule, *lines = out.splitlines()
    assert header.split() == [
        "number",
        "state",
        "value",
        "duration",
        "params_layers",
        "params_opt",
        "params_x",
        "message",
    ]
    assert [line.split()[:2] for line in lines] == [
        [str(t.number), t.state.value] for t in db.single
    ]
    assert "ValueError: diverged" in lines[4]
    assert "Traceback" not in out  # only the message's first line
    assert lines[3].split()[2] == f"{db.best.value:.6g}"


def test_trials_csv_parses(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trials", "tune", "--storage", db.url, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["number"]) for r in rows] == [t.number for t in db.single]
    for row, t in zip(rows, db.single, strict=True):
        assert row["state"] == t.state.value
        assert float(row["params_x"]) == t.params["x"]
        assert row["params_opt"] == t.params["opt"]
        assert int(row["params_layers"]) == t.params["layers"]
        assert (float(row["value"]) if row["value"] else None) == (
            t.values[0] if t.values else None
        )
    assert rows[4]["message"] == "ValueError: diverged"


def test_trials_json_round_trips_params(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trials", "tune", "--storage", db.url, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [d["params"] for d in data] == [dict(t.params) for t in db.single]
    assert [type(d["params"]["layers"]) for d in data] == [int] * len(db.single)
    assert [d["state"] for d in data] == [t.state.value for t in db.single]
    assert data[3]["values"] == [db.best.value]


def test_trials_state_filter(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "trials",
        "tune",
        "--storage",
        db.url,
        "--state",
        "Pruned",
        "--state",
        "failed",
        "--format",
        "json",
    )
    assert code == 0
    assert [(d["number"], d["state"]) for d in json.loads(out)] == [
        (2, "PRUNED"),
        (4, "FAILED"),
        (6, "PRUNED"),
    ]
    code, out, _ = run(capsys, "trials", "pareto", "--storage", db.url, "--state", "failed")
    assert code == 0
    assert "no trials in state FAILED" in out


def test_trials_of_a_multi_objective_study(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trials", "pareto", "--storage", db.url, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(float(r["values_0"]), float(r["values_1"])) for r in rows] == [
        (1.0, 1.0),
        (2.0, 3.0),
        (3.0, 2.0),
        (0.5, 0.5),
    ]


# -- best ------------------------------------------------------------------------------------------


def test_best_table(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "best", "tune", "--storage", db.url)
    assert code == 0
    fields = dict(line.split(None, 1) for line in out.splitlines())
    assert fields["number"] == str(db.best.number)
    assert float(fields["value"]) == db.best.value
    assert float(fields["params.x"]) == db.best.params["x"]
    assert fields["params.opt"] == db.best.params["opt"]
    assert fields["user_attrs.note"] == "the best"


def test_best_json_matches_study(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "best", "tune", "--storage", db.url, "--format", "json")
    assert code == 0
    data = json.loads(out)
    study = rheostat.load_study("tune", db.url)
    try:
        assert data["value"] == study.best_value
        assert data["number"] == study.best_trial.number
        assert data["params"] == study.best_params
        assert data["user_attrs"] == {"note": "the best"}
    finally:
        study.storage.close()


def test_best_of_a_multi_objective_study_is_the_pareto_front(
    db: Db, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "best", "pareto", "--storage", db.url, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["directions"] == ["minimize", "maximize"]
    assert [t["number"] for t in data["pareto_front"]] == db.front == [0, 1, 3]
    code, out, _ = run(capsys, "best", "pareto", "--storage", db.url)
    assert code == 0
    assert out.startswith("Pareto front of study 'pareto' (minimize, maximize): 3 trials")
    assert [line.split()[0] for line in out.splitlines()[3:]] == ["0", "1", "3"]


def test_best_without_a_completed_trial_exits_1(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "best", "empty", "--storage", db.url)
    assert (code, out) == (1, "")
    assert err == "rheostat: study 'empty' has no completed trial yet (no trials)\n"


# -- export ----------------------------------------------------------------------------------------


def test_export_json_to_file_keeps_every_field(
    db: Db, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "trials.json"
    code, out, err = run(
        capsys, "export", "tune", "--storage", db.url, "--format", "json", "-o", str(target)
    )
    assert (code, out) == (0, "")
    assert "wrote 7 trials" in err
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data) == len(db.single)
    for d, t in zip(data, db.single, strict=True):
        assert d["number"] == t.number
        assert d["state"] == t.state.value
        assert d["params"] == dict(t.params)
        assert {k: distribution_from_json(v) for k, v in d["distributions"].items()} == dict(
            t.distributions
        )
        assert d["values"] == (list(t.values) if t.values is not None else None)
        assert {int(k): v for k, v in d["intermediate_values"].items()} == dict(
            t.intermediate_values
        )
        assert d["user_attrs"] == dict(t.user_attrs)
        assert (d["datetime_start"], d["datetime_complete"]) == (
            t.datetime_start,
            t.datetime_complete,
        )
        assert d["message"] == t.message
    assert data[4]["message"].startswith("ValueError: diverged\nTraceback")


def test_export_csv_to_stdout(db: Db, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "tune", "--storage", db.url, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 7
    assert {"datetime_start", "datetime_complete", "user_attrs_note"} <= set(rows[0])
    assert rows[3]["user_attrs_note"] == "the best"
    assert rows[4]["message"] == db.single[4].message  # the whole message, newlines kept


# -- errors and the entry points -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["trials", "nope"], "no study named 'nope'", id="missing-study"),
        pytest.param(["best", "nope"], "no study named 'nope'", id="missing-study-best"),
        pytest.param(
            ["studies", "--storage", "foo://x"],
            "unknown storage URL (scheme 'foo')",
            id="bad-scheme",
        ),
        pytest.param(
            ["studies", "--storage", "sqlite://x.db"], "needs three slashes", id="two-slashes"
        ),
        pytest.param(
            ["studies", "--storage", "sqlite:///no/such/file.db"],
            "there is no file",
            id="missing-file",
        ),
        pytest.param(
            ["trials", "tune", "--state", "finished"],
            "unknown state 'finished'; use one of",
            id="unknown-state",
        ),
        pytest.param(
            ["trials", "tune", "--format", "xml"], "invalid choice: 'xml'", id="unknown-format"
        ),
        pytest.param(
            ["export", "tune"],
            "the following arguments are required: --format",
            id="export-needs-format",
        ),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown-verb"),
    ],
)
def test_errors_print_one_line_and_exit_2(
    db: Db, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    if "--storage" not in argv and argv != ["frobnicate"]:
        argv = [*argv, "--storage", db.url]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("rheostat: error: ")
    assert err.count("\n") == 1
    assert expected in err
    assert "Traceback" not in err


def test_no_storage_given_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "studies")
    assert code == 2
    assert err == (
        "rheostat: error: no storage given; pass --storage URL (e.g. --storage "
        "sqlite:///study.db) or set RHEOSTAT_STORAGE\n"
    )


@pytest.mark.parametrize(
    "url",
    ["postgresql://alice:hunter2@127.0.0.1:1/db", "foo://alice:hunter2@host/db"],
    ids=["postgresql", "unknown-scheme"],
)
def test_a_password_is_never_printed(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, err = run(capsys, "studies", "--storage", url)
    assert code == 2
    assert "hunter2" not in out + err
    assert "alice:***@" in err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"rheostat {rheostat.__version__}\n")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert all(verb in out for verb in ("studies", "trials", "best", "export"))
    code, _, err = run(capsys)
    assert code == 2
    assert "usage: rheostat" in err


def test_python_dash_m_rheostat(db: Db) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    env.pop("RHEOSTAT_STORAGE", None)
    done = subprocess.run(
        [sys.executable, "-m", "rheostat", "studies", "--storage", db.url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert [line.split()[0] for line in done.stdout.splitlines()[2:]] == ["tune", "pareto", "empty"]
