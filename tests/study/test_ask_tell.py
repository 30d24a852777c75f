"""ask and tell, reading a study back, attributes, seeds, loading and deleting."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import Categorical, Float, Int, Space, Study, TrialRecord, TrialState


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture
def study(url: str) -> Iterator[Study]:
    s = rheostat.create_study(study_name="s", storage=url, seed=1)
    yield s
    s.storage.close()


def test_ask_suggest_tell_completes(study: Study) -> None:
    trial = study.ask()
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 1, 5)
    c = trial.suggest_categorical("c", ["a", "b"])
    record = study.tell(trial, x + n)
    assert record.state is TrialState.COMPLETE
    assert record.values == (x + n,)
    assert record.value == x + n
    assert dict(record.params) == {"x": x, "n": n, "c": c}
    assert record.distributions["n"] == Int(1, 5)
    assert record.datetime_start is not None
    assert record.datetime_complete is not None
    assert record.duration is not None
    assert record.duration >= 0
    assert study.trials == [record]


def test_suggest_again_returns_same_value_and_checks_distribution(study: Study) -> None:
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    assert trial.suggest_float("x", 0.0, 1.0) == x
    with pytest.raises(ValueError, match="was suggested as"):
        trial.suggest_float("x", 0.0, 2.0)
    study.tell(trial, 0.0)
    other = study.ask()
    with pytest.raises(ValueError, match="earlier trials of study 's' used"):
        other.suggest_int("x", 0, 1)


def test_ask_with_space_fills_params_up_front(study: Study) -> None:
    space = Space(
        {"lr": Float(1e-4, 1e-1, log=True), "layers": Int(1, 4), "opt": Categorical(["a", "b"])}
    )
    trial = study.ask(space)
    assert set(trial.params) == {"lr", "layers", "opt"}
    assert space.contains(trial.params)
    assert type(trial.params["layers"]) is int
    # suggesting a name of the space returns the value already drawn
    assert trial.suggest_int("layers", 1, 4) == trial.params["layers"]
    record = study.tell(trial, 1.0)
    assert dict(record.params) == trial.params
    # a plain dict works as a space too
    t2 = study.ask({"layers": Int(1, 4)})
    assert set(t2.params) == {"layers"}
    study.tell(t2, 2.0)


def test_tell_by_number(study: Study) -> None:
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("note", "by number")
    record = study.tell(trial.number, 0.25)
    assert record.state is TrialState.COMPLETE
    assert record.values == (0.25,)
    # what the live trial suggested is written although only its number was told
    assert dict(record.params) == {"x": x}
    assert dict(record.user_attrs) == {"note": "by number"}
    with pytest.raises(RuntimeError, match="has finished"):
        trial.suggest_float("y", 0.0, 1.0)
    # a trial asked by another handle on the same study can be told by number too
    other = rheostat.load_study("s", storage=study.storage)
    t1 = other.ask()
    t1.report(0.5, step=0)
    assert study.tell(1, 0.5).state is TrialState.COMPLETE
    assert dict(study.trials[1].intermediate_values) == {0: 0.5}
    with pytest.raises(ValueError, match="has no trial 7"):
        study.tell(7, 1.0)
    with pytest.raises(TypeError, match="expected a Trial or a trial number"):
        study.tell("0", 1.0)  # type: ignore[arg-type]


def test_tell_pruned_keeps_last_reported_value(study: Study) -> None:
    trial = study.ask()
    trial.report(3.0, step=0)
    trial.report(2.0, step=1)
    trial.report(1.5, step=4)
    record = study.tell(trial, state="pruned")
    assert record.state is TrialState.PRUNED
    assert record.values == (1.5,)
    assert dict(record.intermediate_values) == {0: 3.0, 1: 2.0, 4: 1.5}
    assert record.last_step == 4
    # without reports a pruned trial has no value
    bare = study.tell(study.ask(), state=TrialState.PRUNED)
    assert bare.state is TrialState.PRUNED
    assert bare.values is None


def test_tell_failed_with_message(study: Study) -> None:
    trial = study.ask()
    record = study.tell(trial, state=TrialState.FAILED, message="out of memory")
    assert record.state is TrialState.FAILED
    assert record.message == "out of memory"
    assert record.values is None


def test_tell_same_outcome_again_is_noop_different_raises(study: Study) -> None:
    trial = study.ask()
    first = study.tell(trial, 1.0)
    n_events = len(study.storage.read("s"))
    assert study.tell(trial, 1.0) == first
    assert study.tell(trial.number, 1.0) == first
    assert len(study.storage.read("s")) == n_events  # nothing written
    with pytest.raises(ValueError, match="already COMPLETE"):
        study.tell(trial, 2.0)
    with pytest.raises(ValueError, match="a finished trial never changes"):
        study.tell(trial, state="FAILED")
    assert study.trials[0].values == (1.0,)
    with pytest.raises(RuntimeError, match="has finished"):
        trial.suggest_float("late", 0.0, 1.0)


def test_tell_invalid_value_fails_the_trial(study: Study) -> None:
    record = study.tell(study.ask(), float("nan"))
    assert record.state is TrialState.FAILED
    assert record.message is not None
    assert "nan" in record.message
    with pytest.raises(ValueError, match="not a final state"):
        study.tell(study.ask(), 1.0, state="RUNNING")
    with pytest.raises(ValueError, match="not both"):
        study.tell(study.ask(), 1.0, values=[1.0])


def test_trial_numbers_count_up(study: Study) -> None:
    trials = [study.ask() for _ in range(4)]
    assert [t.number for t in trials] == [0, 1, 2, 3]
    for t in reversed(trials):
        study.tell(t, float(t.number))
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    assert study.ask().number == 4


@pytest.mark.parametrize(
    ("direction", "values", "best_number"),
    [
        ("minimize", [3.0, 1.0, 2.0, 1.0], 1),
        ("maximize", [3.0, 1.0, 5.0, 5.0], 2),
        ("minimize", [0.0, 0.0, 0.0], 0),
        ("maximize", [-1.0, -2.0], 0),
    ],
)
def test_best_trial(url: str, direction: str, values: list[float], best_number: int) -> None:
    study = rheostat.create_study(storage=url, direction=direction)
    try:
        for v in values:
            trial = study.ask()
            trial.suggest_float("x", 0.0, 10.0)
            study.tell(trial, v)
        # a better value that did not complete does not count
        pruned = study.ask()
        pruned.report(-1e9 if direction == "minimize" else 1e9, step=0)
        study.tell(pruned, state="PRUNED")
        study.tell(study.ask(), state="FAILED")
        study.ask()  # left RUNNING
        best = study.best_trial
        assert best.number == best_number
        assert study.best_value == values[best_number]
        assert study.best_params == dict(best.params)
        assert set(study.best_params) == {"x"}
    finally:
        study.storage.close()


def test_best_trial_without_completed_trial(study: Study) -> None:
    with pytest.raises(ValueError, match="has no completed trial"):
        _ = study.best_trial
    study.tell(study.ask(), state="FAILED")
    with pytest.raises(ValueError, match="'s' has no completed trial"):
        _ = study.best_value
    with pytest.raises(ValueError, match="no completed trial"):
        _ = study.best_params


def test_trials_are_frozen_records(study: Study) -> None:
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    trial.report(0.5, step=1)
    trial.set_user_attr("note", "hi")
    study.tell(trial, 1.0)
    record = study.trials[0]
    assert isinstance(record, TrialRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.state = TrialState.FAILED  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.values = (2.0,)  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.params["x"] = 2.0  # type: ignore[index]
    with pytest.raises(TypeError):
        record.intermediate_values[2] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        record.user_attrs["note"] = "changed"  # type: ignore[index]
    # the list itself is a copy: changing it does not change the study
    trials = study.trials
    trials.clear()
    assert len(study.trials) == 1
    assert study.trials[0] == record


def test_get_trials_by_state(study: Study) -> None:
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state="FAILED")
    study.ask()
    assert [t.number for t in study.get_trials([TrialState.COMPLETE])] == [0]
    assert [t.number for t in study.get_trials([TrialState.FAILED, TrialState.RUNNING])] == [1, 2]
    assert len(study.get_trials()) == 3


def test_trials_dataframe(study: Study) -> None:
    pd = pytest.importorskip("pandas")
    for i in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("opt", ["a", "b"])
        trial.set_user_attr("i", i)
        study.tell(trial, float(i))
    study.tell(study.ask(), state="FAILED", message="boom")
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 4
    assert {"number", "state", "value", "params_x", "params_opt", "user_attrs_i"} <= set(df.columns)
    assert list(df["number"]) == [0, 1, 2, 3]
    assert list(df["state"]) == ["COMPLETE", "COMPLETE", "COMPLETE", "FAILED"]
    assert list(df["value"][:3]) == [0.0, 1.0, 2.0]
    assert pd.isna(df["value"][3])
    assert df["message"][3] == "boom"
    assert list(df["params_x"][:3]) == [t.params["x"] for t in study.trials[:3]]


def test_user_attrs_round_trip_through_sqlite(url: str) -> None:
    study = rheostat.create_study(study_name="attrs", storage=url)
    trial = study.ask()
    trial.set_user_attr("tags", ["a", "b"])
    trial.set_user_attr("cfg", {"depth": 3, "ratio": 0.5, "name": None})
    study.tell(trial, 1.0)
    study.set_user_attr("owner", "me")
    study.set_user_attr("meta", {"k": [1, 2.5, True]})
    with pytest.raises(TypeError, match="JSON"):
        study.set_user_attr("bad", object())
    with pytest.raises(TypeError, match="JSON"):
        study.ask().set_user_attr("bad", {1, 2})
    study.storage.close()

    again = rheostat.load_study("attrs", storage=url)
    try:
        record = again.trials[0]
        assert dict(record.user_attrs) == {
            "tags": ["a", "b"],
            "cfg": {"depth": 3, "ratio": 0.5, "name": None},
        }
        assert again.user_attrs == {"owner": "me", "meta": {"k": [1, 2.5, True]}}
        assert "seed" in again.system_attrs
    finally:
        again.storage.close()


def test_load_study_sees_the_same_trials(url: str) -> None:
    study = rheostat.create_study(study_name="shared", storage=url, direction="maximize")
    for i in range(3):
        trial = study.ask()
        trial.suggest_int("k", 0, 10)
        trial.report(float(i), step=0)
        study.tell(trial, float(i))
    study.ask()  # RUNNING
    loaded = rheostat.load_study("shared", storage=url)
    try:
        assert loaded.trials == study.trials
        assert loaded.direction is rheostat.Direction.MAXIMIZE
        assert loaded.best_trial.number == 2
        assert loaded.seed == study.seed
        # the loaded study sees new trials of the other and can tell its running trial
        study.tell(study.ask(), 10.0)
        assert len(loaded.trials) == 5
        loaded.tell(3, 0.5)
        assert study.trials[3].state is TrialState.COMPLETE
        # and load_study(None) finds the only study
        only = rheostat.load_study(None, storage=url)
        assert only.study_name == "shared"
        only.storage.close()
    finally:
        loaded.storage.close()
        study.storage.close()
    with pytest.raises(rheostat.StudyNotFoundError, match="no study named 'missing'"):
        rheostat.load_study("missing", storage=url)


def test_create_study_duplicate_and_load_if_exists(url: str) -> None:
    first = rheostat.create_study(study_name="dup", storage=url, seed=5)
    first.tell(first.ask(), 1.0)
    first.storage.close()
    with pytest.raises(rheostat.DuplicatedStudyError, match="load_if_exists=True"):
        rheostat.create_study(study_name="dup", storage=url)
    again = rheostat.create_study(study_name="dup", storage=url, load_if_exists=True)
    try:
        assert len(again.trials) == 1
        assert again.seed == 5  # kept: no new seed given
    finally:
        again.storage.close()
    with pytest.raises(ValueError, match="exists with directions"):
        rheostat.create_study(
            study_name="dup", storage=url, direction="maximize", load_if_exists=True
        )


def test_trial_seed_stable_and_distinct(url: str) -> None:
    a = rheostat.create_study(study_name="a", storage=url, seed=42)
    b = rheostat.create_study(study_name="b", storage=url, seed=42)
    c = rheostat.create_study(study_name="c", storage=url, seed=43)
    try:
        seeds_a = [a.ask().seed for _ in range(20)]
        seeds_b = [b.ask().seed for _ in range(20)]
        seeds_c = [c.ask().seed for _ in range(20)]
        assert seeds_a == seeds_b  # same study seed, same trial seeds
        assert len(set(seeds_a)) == 20  # different trials, different seeds
        assert seeds_a != seeds_c
        assert all(isinstance(s, int) and 0 <= s < 2**31 for s in seeds_a)
        assert a.seed == 42
    finally:
        a.storage.close()
    reloaded = rheostat.load_study("a", storage=url)
    try:
        assert reloaded.seed == 42
        assert reloaded.ask().seed not in seeds_a  # trial 20: a new seed
    finally:
        reloaded.storage.close()


def test_study_without_seed_stores_one(url: str) -> None:
    study = rheostat.create_study(study_name="x", storage=url)
    seed = study.seed
    study.storage.close()
    loaded = rheostat.load_study("x", storage=url)
    try:
        assert loaded.seed == seed
    finally:
        loaded.storage.close()


def test_delete_study(url: str) -> None:
    keep = rheostat.create_study(study_name="keep", storage=url)
    gone = rheostat.create_study(study_name="gone", storage=url)
    keep.tell(keep.ask(), 1.0)
    gone.tell(gone.ask(), 2.0)
    keep.storage.close()
    gone.storage.close()
    rheostat.delete_study("gone", storage=url)
    with pytest.raises(rheostat.StudyNotFoundError):
        rheostat.load_study("gone", storage=url)
    with pytest.raises(rheostat.StudyNotFoundError):
        rheostat.delete_study("gone", storage=url)
    kept = rheostat.load_study("keep", storage=url)
    try:
        assert len(kept.trials) == 1
    finally:
        kept.storage.close()
    # the name can be used again, for an empty study
    fresh = rheostat.create_study(study_name="gone", storage=url)
    try:
        assert fresh.trials == []
    finally:
        fresh.storage.close()


def test_in_memory_study_works_too() -> None:
    study = rheostat.create_study()
    trial = study.ask()
    study.tell(trial, trial.suggest_float("x", 0.0, 1.0))
    assert study.best_value == study.best_params["x"]
    assert study.storage.url == "memory"
