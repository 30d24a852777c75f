"""The held-out test set: locked until tuning is finished, fingerprinted, every scoring kept."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rheostat
from rheostat.analysis import (
    HOLDOUT_ATTR,
    HOLDOUT_SCORES_ATTR,
    TUNING_FINISHED_ATTR,
    Severity,
    doctor,
)
from rheostat.storage import encode_event
from rheostat.study._holdout import fingerprint
from rheostat.trial import TrialRecord, TrialState

X_TEST = np.array([[123.456789, 2.5], [987.654321, -1.0], [55.5, 0.25]])
Y_TEST = np.array([1, 0, 1])


def objective(t: rheostat.Trial) -> float:
    return (math.log10(t.suggest_float("lr", 1e-4, 1e-1, log=True)) + 2.5) ** 2


def test_scoring_is_refused_until_tuning_is_finished() -> None:
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    holdout = study.register_holdout(X_TEST, Y_TEST)
    study.optimize(objective, n_trials=5)
    calls = []

    def fn(X: np.ndarray, y: np.ndarray) -> float:  # noqa: N803
        calls.append(len(y))
        return float(X[:, 1].mean())

    with pytest.raises(rheostat.HoldoutLockedError, match="finish_tuning"):
        holdout.score(fn)
    assert calls == []  # the data was not touched
    assert isinstance(rheostat.HoldoutLockedError("x"), rheostat.RheostatError)
    assert holdout.scores == []
    study.finish_tuning()
    assert holdout.score(fn) == pytest.approx(X_TEST[:, 1].mean())
    assert calls == [3]
    assert study.system_attrs[TUNING_FINISHED_ATTR]["n_trials"] == 5
    assert [s["value"] for s in holdout.scores] == [pytest.approx(0.5833333)]
    assert [f for f in study.doctor() if f.code == "holdout-peeked"] == []


def test_only_a_fingerprint_is_stored() -> None:
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    holdout = study.register_holdout(X_TEST, Y_TEST)
    record = study.system_attrs[HOLDOUT_ATTR]
    assert record["fingerprint"] == holdout.fingerprint == fingerprint(X_TEST, Y_TEST)[0]
    assert record["n_rows"] == 3
    log = "\n".join(encode_event(e) for e in study.storage.read(study.study_name))
    for value in ("123.456789", "987.654321", "55.5"):
        assert value not in log


def test_fingerprint_tells_data_apart() -> None:
    base = fingerprint(X_TEST, Y_TEST)[0]
    assert fingerprint(X_TEST.copy(), list(Y_TEST))[0] == base  # same values, other containers
    changed = X_TEST.copy()
    changed[2, 1] += 1e-9
    assert fingerprint(changed, Y_TEST)[0] != base
    assert fingerprint(X_TEST, np.array([1, 1, 0]))[0] != base
    assert fingerprint(X_TEST.astype(np.float32), Y_TEST)[0] != base
    assert fingerprint(X_TEST)[0] != base  # y matters
    mixed = np.array([["a", 1], ["b", 2]], dtype=object)
    assert fingerprint(mixed)[0] == fingerprint(mixed.copy())[0]


def test_one_holdout_per_study() -> None:
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    first = study.register_holdout(X_TEST, Y_TEST)
    again = study.register_holdout(X_TEST.copy(), Y_TEST.copy())
    assert again.fingerprint == first.fingerprint
    with pytest.raises(rheostat.HoldoutMismatchError, match="already has a held-out"):
        study.register_holdout(X_TEST[:2], Y_TEST[:2])


def test_finishing_is_seen_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = rheostat.create_study("s", storage=url, seed=0, heartbeat_interval=None)
    study.optimize(objective, n_trials=3)
    holdout = study.register_holdout(X_TEST, Y_TEST)
    code = f"import rheostat; s = rheostat.load_study('s', storage={url!r}); s.finish_tuning()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert holdout.score(lambda x, y: 0.75) == 0.75
    reopened = rheostat.load_study("s", storage=url)
    assert len(reopened.system_attrs[HOLDOUT_SCORES_ATTR]) == 1


def test_scoring_twice_is_recorded_and_diagnosed(caplog: pytest.LogCaptureFixture) -> None:
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    holdout = study.register_holdout(X_TEST, Y_TEST)
    study.optimize(objective, n_trials=20)
    study.finish_tuning()
    study.finish_tuning()  # idempotent
    holdout.score(lambda x, y: 0.7)
    with caplog.at_level(logging.WARNING, logger="rheostat"):
        holdout.score(lambda x, y: 0.9)
    assert "scored 2 times" in caplog.text
    assert [s["value"] for s in holdout.scores] == [0.7, 0.9]
    [finding] = [f for f in study.doctor() if f.code == "holdout-peeked"]
    assert finding.severity is Severity.WARNING
    assert finding.evidence["n_scorings"] == 2
    assert finding.evidence["trials_after_first_scoring"] == []


def test_no_trial_runs_after_finish_tuning(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = rheostat.create_study(study_name="s", storage=url, seed=0, heartbeat_interval=None)
    stale = rheostat.load_study("s", url)  # opened before tuning finished
    holdout = study.register_holdout(X_TEST, Y_TEST)
    study.optimize(objective, n_trials=10)
    study.finish_tuning()
    holdout.score(lambda x, y: 0.7)
    with pytest.raises(rheostat.TuningFinishedError, match="after 10 trials"):
        study.optimize(objective, n_trials=4)
    with pytest.raises(rheostat.TuningFinishedError, match="validate_top"):
        study.ask()
    with pytest.raises(rheostat.TuningFinishedError):
        stale.ask()  # its view was stale; the conditional append made it look again
    assert len(rheostat.load_study("s", url).trials) == 10
    assert [f for f in study.doctor() if f.severity is Severity.ERROR] == []


def test_trials_recorded_after_a_scoring_are_an_error() -> None:
    # The API refuses such trials; records from elsewhere (another tool, an older version)
    # are still judged.
    study = rheostat.create_study(seed=0, heartbeat_interval=None)
    holdout = study.register_holdout(X_TEST, Y_TEST)
    study.optimize(objective, n_trials=10)
    study.finish_tuning()
    holdout.score(lambda x, y: 0.7)
    scored = study.system_attrs[HOLDOUT_SCORES_ATTR][0]["time"]
    later = [
        TrialRecord(
            number=n,
            state=TrialState.COMPLETE,
            values=(1.0,),
            datetime_start=scored + 1.0 + n,
            datetime_complete=scored + 2.0 + n,
        )
        for n in range(10, 14)
    ]
    findings = doctor([*study.trials, *later], study.directions, study_attrs=study.system_attrs)
    [finding] = [f for f in findings if f.code == "holdout-peeked"]
    assert finding.severity is Severity.ERROR
    assert finding.evidence["trials_after_first_scoring"] == [10, 11, 12, 13]
    assert "4 more search trial(s)" in finding.message
    assert finding.fix
