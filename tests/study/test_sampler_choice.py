"""The study keeps its planned size and what a sampler chose (``describe_choice``) in its
system attributes, so ``AutoSampler`` can read the budget and users can read its decisions."""

from __future__ import annotations

from typing import Any

import rheostat
from rheostat.samplers import RandomSampler
from rheostat.space import Space
from rheostat.study import Trial
from rheostat.trial import History


class Phased(RandomSampler):
    """Random sampling that calls itself "early" for 3 trials and "late" after."""

    def describe_choice(self, history: History, space: Space | None) -> dict[str, Any] | None:
        phase = "early" if len(history) < 3 else "late"
        return {"sampler": phase, "reason": f"{phase} phase"}


def objective(trial: Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_planned_trials_grow_with_each_optimize_call() -> None:
    study = rheostat.create_study(sampler=RandomSampler(), seed=0)
    assert "planned_trials" not in study.system_attrs
    study.optimize(objective, n_trials=5)
    assert study.system_attrs["planned_trials"] == 5
    study.optimize(objective, n_trials=4)
    assert study.system_attrs["planned_trials"] == 9
    study.optimize(objective, timeout=0.05, n_trials=None)  # no count: the plan stays
    assert study.system_attrs["planned_trials"] == 9


def test_enqueued_trials_count_once_in_the_plan() -> None:
    study = rheostat.create_study(sampler=RandomSampler(), seed=0)
    study.enqueue_trial({"x": 0.5})
    study.optimize(objective, n_trials=3)  # the enqueued trial is one of the 3
    assert study.system_attrs["planned_trials"] == 3
    assert len(study.trials) == 3


def test_choice_changes_are_kept_with_their_trial_numbers(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = rheostat.create_study(study_name="s", storage=url, sampler=Phased(), seed=0)
    study.optimize(objective, n_trials=6)
    choice = study.system_attrs["sampler_choice"]
    assert choice["sampler"] == "late" and choice["from_trial"] == 3
    phases = [(p["sampler"], p["from_trial"]) for p in choice["phases"]]
    assert phases == [("early", 0), ("late", 3)]
    # Unchanged choices write nothing more: one attribute event per phase.
    again = rheostat.load_study("s", url, sampler=Phased())
    again.optimize(objective, n_trials=2)
    assert again.system_attrs["sampler_choice"]["phases"] == choice["phases"]


def test_samplers_with_one_strategy_record_no_choice() -> None:
    study = rheostat.create_study(sampler=RandomSampler(), seed=0)
    study.optimize(objective, n_trials=3)
    assert "sampler_choice" not in study.system_attrs
