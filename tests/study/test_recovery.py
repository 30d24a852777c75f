"""Heartbeats, failing lost trials, and retrying them (nothing lost when a worker dies)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import Float, Study, Trial, TrialState
from rheostat.storage import ParamSet, TrialCreated
from rheostat.study._claims import trial_key
from rheostat.study._recovery import fail_stale_trials


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'r.db'}"


def _open(url: str, **kwargs: object) -> Study:
    return rheostat.create_study(study_name="r", storage=url, load_if_exists=True, seed=0, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def studies(url: str) -> Iterator[list[Study]]:
    opened: list[Study] = []
    yield opened
    for s in opened:
        s.storage.close()


def _plant_lost_trial(study: Study, x: float, worker: str = "elsewhere:1:dead") -> int:
    """A RUNNING trial of a worker on another machine that will never report again."""
    number = len(study.trials)
    study._write(
        [
            TrialCreated(number, TrialState.RUNNING, time.time(), worker_id=worker),
            ParamSet(number, "x", x, Float(-1.0, 1.0)),
        ],
        [trial_key(number)],
    )
    return number


def test_running_trials_send_heartbeats(url: str, studies: list[Study]) -> None:
    study = _open(url, heartbeat_interval=0.05)
    studies.append(study)

    def objective(trial: Trial) -> float:
        time.sleep(0.4)
        return trial.suggest_float("x", -1, 1)

    study.optimize(objective, n_trials=1)
    record = study.trials[0]
    assert record.last_heartbeat is not None
    assert record.datetime_start is not None
    assert record.last_heartbeat > record.datetime_start


def test_in_memory_studies_need_no_heartbeat() -> None:
    study = rheostat.create_study(heartbeat_interval=0.05)
    study.optimize(lambda t: time.sleep(0.2) or t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].last_heartbeat is None


def test_settings_are_stored_with_the_study(url: str, studies: list[Study]) -> None:
    studies.append(_open(url, heartbeat_interval=2.0, max_retries=3))
    loaded = rheostat.load_study("r", url)
    studies.append(loaded)
    assert loaded._heartbeat_interval == 2.0
    assert loaded._grace_period == 6.0  # three intervals by default
    assert loaded._max_retries == 3


def test_a_silent_trial_is_failed_and_retried_with_its_params(
    url: str, studies: list[Study]
) -> None:
    study = _open(url, heartbeat_interval=0.05, grace_period=0.2, max_retries=1)
    studies.append(study)
    lost = _plant_lost_trial(study, 0.25)
    time.sleep(0.3)
    seen: list[float] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        seen.append(x)
        return x**2

    study.optimize(objective, n_trials=2)
    trials = study.trials
    assert trials[lost].state is TrialState.FAILED
    assert "no heartbeat" in (trials[lost].message or "")
    assert "elsewhere:1:dead" in (trials[lost].message or "")
    retry = trials[lost + 1]
    assert retry.system_attrs["retry_of"] == lost
    assert retry.system_attrs["retry_count"] == 1
    assert retry.state is TrialState.COMPLETE
    assert retry.params["x"] == 0.25
    assert seen[0] == 0.25  # the retry ran first, with the lost trial's parameters


def test_retries_stop_at_max_retries(url: str, studies: list[Study]) -> None:
    study = _open(url, heartbeat_interval=0.05, grace_period=0.1, max_retries=1)
    studies.append(study)
    _plant_lost_trial(study, 0.5)
    time.sleep(0.15)
    assert fail_stale_trials(study) == [0]
    retry = study.ask()  # claims the WAITING retry...
    assert retry.number == 1
    retry._finished = True  # ...and loses it too (its worker "dies": no tell, no heartbeat)
    study._live.pop(1, None)
    time.sleep(0.15)
    assert fail_stale_trials(study) == [1]
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAILED, TrialState.FAILED]  # no third attempt


def test_without_retries_a_lost_trial_is_only_failed(url: str, studies: list[Study]) -> None:
    study = _open(url, heartbeat_interval=0.05, grace_period=0.1)
    studies.append(study)
    _plant_lost_trial(study, 0.5)
    time.sleep(0.15)
    assert fail_stale_trials(study) == [0]
    assert [t.state for t in study.trials] == [TrialState.FAILED]


def test_a_live_trial_of_another_worker_is_not_failed(url: str, studies: list[Study]) -> None:
    """Two study objects on one file stand for two workers: the one whose trial runs keeps
    beating, so the other, checking again and again past the grace period, leaves it alone."""
    worker_a = _open(url, heartbeat_interval=0.05, grace_period=0.2)
    worker_b = _open(url, heartbeat_interval=0.05, grace_period=0.2)
    studies += [worker_a, worker_b]
    trial = worker_a.ask()
    trial.suggest_float("x", -1, 1)
    deadline = time.monotonic() + 0.8
    while time.monotonic() < deadline:
        assert fail_stale_trials(worker_b) == []
        time.sleep(0.05)
    assert worker_b.trials[trial.number].state is TrialState.RUNNING
    worker_a.tell(trial, 1.0)
    assert worker_b.trials[trial.number].state is TrialState.COMPLETE


def test_two_workers_noticing_one_loss_retry_it_once(url: str, studies: list[Study]) -> None:
    worker_a = _open(url, heartbeat_interval=0.05, grace_period=0.1, max_retries=2)
    worker_b = _open(url, heartbeat_interval=0.05, grace_period=0.1, max_retries=2)
    studies += [worker_a, worker_b]
    _plant_lost_trial(worker_a, 0.1)
    time.sleep(0.15)
    failed = fail_stale_trials(worker_a) + fail_stale_trials(worker_b)
    assert failed == [0]
    trials = worker_b.trials
    assert len(trials) == 2
    assert trials[1].state is TrialState.WAITING
    assert trials[1].system_attrs["retry_of"] == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval=0"),
        ({"heartbeat_interval": -1.0}, "heartbeat_interval=-1.0"),
        ({"heartbeat_interval": 5.0, "grace_period": 5.0}, "grace_period=5 must be longer"),
        ({"max_retries": -1}, "max_retries=-1"),
        ({"max_retries": 1.5}, "max_retries=1.5"),
    ],
)
def test_bad_recovery_settings(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rheostat.create_study(**kwargs)  # type: ignore[arg-type]


def test_a_retry_keeps_the_samplers_proposal(url: str, studies: list[Study]) -> None:
    """A grid trial killed before its parameters were written is retried on its grid point."""
    from rheostat.samplers import GridSampler

    grid = GridSampler({"x": [0.1, 0.2, 0.3]})
    study = rheostat.create_study(
        study_name="g",
        storage=url,
        sampler=grid,
        heartbeat_interval=0.05,
        grace_period=0.1,
        max_retries=1,
    )
    studies.append(study)
    study._write(
        [
            TrialCreated(
                0, TrialState.RUNNING, time.time(), worker_id="elsewhere:1:x", proposal={"x": 0.2}
            )
        ],
        [trial_key(0)],
    )
    time.sleep(0.15)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0))
    trials = study.trials
    assert trials[1].system_attrs["retry_of"] == 0
    assert trials[1].params == {"x": 0.2}
    assert trials[1].state is TrialState.COMPLETE
    assert sorted(t.params["x"] for t in trials if t.state is TrialState.COMPLETE) == [
        0.1,
        0.2,
        0.3,
    ]
