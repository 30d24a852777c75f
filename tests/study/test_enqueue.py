"""enqueue_trial: configurations that run before sampled ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import Float, Int, Space, Study, Trial, TrialState


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    s = rheostat.create_study(study_name="q", storage=f"sqlite:///{tmp_path / 'q.db'}", seed=0)
    yield s
    s.storage.close()


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 100)
    opt = trial.suggest_categorical("opt", ["adam", "sgd", "rmsprop"])
    return x * x + n + (0.5 if opt == "sgd" else 0.0)


def test_enqueued_configuration_runs_first(study: Study) -> None:
    number = study.enqueue_trial({"x": 1.25, "n": 7, "opt": "sgd"}, user_attrs={"why": "baseline"})
    assert number == 0
    waiting = study.trials[0]
    assert waiting.state is TrialState.WAITING
    assert waiting.datetime_start is None
    assert dict(waiting.user_attrs) == {"why": "baseline"}

    study.optimize(_objective, n_trials=3)
    first = study.trials[0]
    assert first.state is TrialState.COMPLETE
    assert dict(first.params) == {"x": 1.25, "n": 7, "opt": "sgd"}
    assert type(first.params["n"]) is int
    assert first.values == (1.25**2 + 7 + 0.5,)
    assert dict(first.user_attrs) == {"why": "baseline"}
    assert len(study.trials) == 3  # the enqueued trial counts toward n_trials
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_values_are_cast_to_the_distribution(study: Study) -> None:
    study.enqueue_trial({"x": 2, "n": 5.0, "opt": "adam"})  # an int for a float, 5.0 for an int
    study.optimize(_objective, n_trials=1)
    params = study.trials[0].params
    assert params == {"x": 2.0, "n": 5, "opt": "adam"}
    assert type(params["x"]) is float
    assert type(params["n"]) is int


def test_unspecified_params_are_sampled(study: Study) -> None:
    study.enqueue_trial({"n": 42})
    study.optimize(_objective, n_trials=1)
    record = study.trials[0]
    assert record.params["n"] == 42
    assert set(record.params) == {"x", "n", "opt"}
    assert -10.0 <= record.params["x"] <= 10.0  # type: ignore[operator]
    assert record.params["opt"] in ("adam", "sgd", "rmsprop")


def test_extra_enqueued_names_are_ignored(study: Study) -> None:
    study.enqueue_trial({"x": 0.0, "not_suggested": 3})
    study.optimize(_objective, n_trials=1)
    assert set(study.trials[0].params) == {"x", "n", "opt"}
    assert study.trials[0].params["x"] == 0.0


def test_enqueued_value_out_of_range_fails_clearly(study: Study) -> None:
    study.enqueue_trial({"x": 50.0})
    with pytest.raises(ValueError, match=r"enqueued value 50\.0 is not in"):
        study.optimize(_objective, n_trials=3)
    failed = study.trials[0]
    assert failed.state is TrialState.FAILED
    message = failed.message or ""
    assert "'x'" in message
    assert "enqueued value 50.0" in message
    assert "Float(-10.0, 10.0)" in message
    # with catch, the study goes on with sampled trials
    study.optimize(_objective, n_trials=2, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAILED] + [TrialState.COMPLETE] * 2


def test_enqueued_value_of_wrong_kind_fails_clearly(study: Study) -> None:
    study.enqueue_trial({"opt": "lbfgs", "n": 2.5})
    study.optimize(_objective, n_trials=1, catch=(ValueError,))
    message = study.trials[0].message or ""
    assert study.trials[0].state is TrialState.FAILED
    assert "'n'" in message
    assert "2.5" in message
    assert "Int(1, 100)" in message


def test_enqueue_checks_against_known_distributions(study: Study) -> None:
    study.optimize(_objective, n_trials=1)
    with pytest.raises(ValueError, match=r"'n' = 500 is not in Int\(1, 100\)"):
        study.enqueue_trial({"n": 500})
    with pytest.raises(TypeError, match="of type list"):
        study.enqueue_trial({"n": [1]})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a dict"):
        study.enqueue_trial([("n", 1)])  # type: ignore[arg-type]
    assert len(study.trials) == 1  # nothing was enqueued


def test_two_enqueued_trials_run_in_order(study: Study) -> None:
    study.optimize(_objective, n_trials=1)
    a = study.enqueue_trial({"n": 11})
    b = study.enqueue_trial({"n": 22})
    assert (a, b) == (1, 2)
    order: list[int] = []

    def objective(trial: Trial) -> float:
        order.append(trial.number)
        return _objective(trial)

    study.optimize(objective, n_trials=3)
    assert order == [1, 2, 3]
    assert [t.params["n"] for t in study.trials[1:3]] == [11, 22]
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_ask_takes_enqueued_trials_first(study: Study) -> None:
    study.enqueue_trial({"x": 3.0})
    study.enqueue_trial({"x": -3.0})
    space = Space({"x": Float(-10.0, 10.0), "n": Int(1, 100)})
    t0 = study.ask(space)
    t1 = study.ask(space)
    t2 = study.ask(space)
    assert [t.number for t in (t0, t1, t2)] == [0, 1, 2]
    assert t0.params["x"] == 3.0
    assert t1.params["x"] == -3.0
    assert set(t0.params) == {"x", "n"}
    for t in (t2, t0, t1):
        study.tell(t, 1.0)
    assert [t.params["x"] for t in study.trials[:2]] == [3.0, -3.0]


def test_telling_a_waiting_trial_is_an_error(study: Study) -> None:
    number = study.enqueue_trial({"x": 1.0})
    with pytest.raises(ValueError, match="WAITING"):
        study.tell(number, 1.0)
    assert study.trials[0].state is TrialState.WAITING


def test_enqueued_trials_survive_reload(study: Study, tmp_path: Path) -> None:
    study.enqueue_trial({"x": 4.5, "opt": "rmsprop"})
    other = rheostat.load_study("q", storage=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        other.optimize(_objective, n_trials=1)
        assert other.trials[0].params["x"] == 4.5
        assert other.trials[0].params["opt"] == "rmsprop"
    finally:
        other.storage.close()
    # the first study sees it as taken: its next trial is a new one
    study.optimize(_objective, n_trials=1)
    assert len(study.trials) == 2
    assert study.trials[1].params["x"] != 4.5


# -- budgets from the scheduler ----------------------------------------------------------------


def _training(trial: Trial) -> float:
    """Loss falls like 1/step towards x; resumes from its checkpoint; records its budgets."""
    x = trial.suggest_float("x", 0.0, 1.0)
    assert trial.budget is not None, f"trial {trial.number} got no budget"
    trial.set_user_attr(f"budget_{trial.budget:g}", True)
    state = trial.checkpoint.load() or {"step": 0}
    loss = 1.0
    for step in range(state["step"], int(trial.budget)):
        loss = x + 1.0 / (step + 1)
        trial.checkpoint.save({"step": step + 1})
        trial.report(loss, step)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    return loss


def test_an_enqueued_trial_gets_its_budget_from_the_scheduler() -> None:
    # Hyperband(1, 9, 3): trials 0-8 form a bracket starting at resource 1, trials 9-13 one
    # starting at 3. The trial enqueued after nine have run is trial 9: it starts at 3.
    scheduler = rheostat.schedulers.Hyperband(min_resource=1, max_resource=9, reduction_factor=3)
    study = rheostat.create_study(scheduler=scheduler, seed=0)
    study.enqueue_trial({"x": 0.0})  # trial 0, the best configuration: bracket 0, budget 1
    study.optimize(_training, n_trials=9)
    first = study.trials[0]
    assert first.state is TrialState.COMPLETE  # promoted twice, to the full budget
    assert first.budget == 9
    assert {k for k in first.user_attrs if k.startswith("budget_")} == {
        "budget_1",
        "budget_3",
        "budget_9",
    }
    assert study.enqueue_trial({"x": 0.5}) == 9
    study.optimize(_training, n_trials=1)
    queued = study.trials[9]
    assert queued.params == {"x": 0.5}
    assert "budget_3" in queued.user_attrs  # bracket 1's bottom rung, set by the scheduler
    assert queued.state is TrialState.PAUSED  # waits there for the rest of its bracket
    assert sorted(queued.intermediate_values) == [0, 1, 2]


def test_an_enqueued_trial_pauses_at_the_bottom_rung_of_asha() -> None:
    scheduler = rheostat.schedulers.ASHA(max_resource=9, mode="promote")
    study = rheostat.create_study(scheduler=scheduler, seed=0)
    study.enqueue_trial({"x": 0.9})  # a bad one: paused at resource 1, never promoted
    study.optimize(_training, n_trials=6)
    queued = study.trials[0]
    assert queued.budget == 1
    assert queued.state is TrialState.PAUSED
    assert dict(queued.intermediate_values) == {0: 0.9 + 1.0}
