"""PAUSE decisions, resuming paused trials with a larger budget, and their checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import Study, Trial, TrialState
from rheostat.schedulers import Action, Decision, Resume, Scheduler, Start
from rheostat.trial import History, TrialRecord


class PauseOnce(Scheduler):
    """Start trials with budget 3, pause them at their last step, resume them with budget 5."""

    def __init__(self, *, resume: bool = True) -> None:
        self.resume = resume

    def next_action(self, history: History) -> Action:
        paused = history.get_trials([TrialState.PAUSED])
        if self.resume and paused:
            return Resume(paused[0].number, budget=5)
        return Start(budget=3)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if trial.budget is not None and trial.budget < 5 and step == trial.budget - 1:
            return Decision.PAUSE
        return Decision.CONTINUE


class Runs:
    """An objective that trains from its checkpoint and logs where each run started."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int]] = []

    def __call__(self, trial: Trial) -> float:
        state = trial.checkpoint.load() or {"epoch": 0, "loss": 1.0}
        x = trial.suggest_float("x", 0.1, 0.9)
        self.starts.append((trial.number, state["epoch"]))
        assert trial.budget is not None
        for epoch in range(state["epoch"], int(trial.budget)):
            state = {"epoch": epoch + 1, "loss": state["loss"] * x}
            trial.checkpoint.save(state)
            trial.report(state["loss"], step=epoch)
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return float(state["loss"])


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'p.db'}"


@pytest.fixture
def closing() -> Iterator[list[Study]]:
    opened: list[Study] = []
    yield opened
    for s in opened:
        s.storage.close()


def test_paused_trials_resume_from_their_checkpoint(url: str, closing: list[Study]) -> None:
    study = rheostat.create_study(storage=url, scheduler=PauseOnce(), seed=0)
    closing.append(study)
    runs = Runs()
    study.optimize(runs, n_trials=3)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3  # resumes cost no new trial
    for t in trials:
        assert sorted(t.intermediate_values) == [0, 1, 2, 3, 4]  # no step lost or repeated
        assert t.budget == 5
        x = t.params["x"]
        assert t.value == pytest.approx(x**5)  # the resumed run continued the paused one
    assert runs.starts == [(0, 0), (0, 3), (1, 0), (1, 3), (2, 0), (2, 3)]


def test_a_returning_objective_paused_at_its_last_report_is_paused(closing: list[Study]) -> None:
    study = rheostat.create_study(scheduler=PauseOnce(resume=False), seed=0)

    def objective(trial: Trial) -> float:
        assert trial.budget is not None
        for step in range(int(trial.budget)):
            trial.report(float(step), step=step)
        return 0.0  # ignores should_prune(): the study still applies the PAUSE

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PAUSED] * 2
    assert all(t.values is None for t in study.trials)


def test_a_paused_trial_survives_a_restart(url: str, closing: list[Study]) -> None:
    first = rheostat.create_study(study_name="s", storage=url, scheduler=PauseOnce(resume=False))
    closing.append(first)
    runs = Runs()
    first.optimize(runs, n_trials=1)
    assert first.trials[0].state is TrialState.PAUSED
    first.storage.close()

    again = rheostat.load_study("s", url, scheduler=PauseOnce())
    closing.append(again)
    again.optimize(runs, n_trials=0)  # no new trial: only resume what is paused
    trials = again.trials
    assert len(trials) == 1
    assert trials[0].state is TrialState.COMPLETE
    assert runs.starts == [(0, 0), (0, 3)]
    assert (Path(url[len("sqlite:///") :]).parent / "p.artifacts").is_dir()


def test_two_workers_never_resume_the_same_trial(url: str, closing: list[Study]) -> None:
    setup = rheostat.create_study(study_name="s", storage=url, scheduler=PauseOnce(resume=False))
    closing.append(setup)
    setup.optimize(Runs(), n_trials=1)
    worker_a = rheostat.load_study("s", url, scheduler=PauseOnce())
    worker_b = rheostat.load_study("s", url, scheduler=PauseOnce())
    closing += [worker_a, worker_b]
    got_a = worker_a._ask(None, allow_new=False)
    got_b = worker_b._ask(None, allow_new=False)  # saw trial 0 PAUSED, lost the claim
    assert got_a is not None
    assert got_a.number == 0
    assert got_a.budget == 5
    assert got_b is None
    assert worker_b.trials[0].state is TrialState.RUNNING
    worker_a.tell(got_a, 0.5)


def test_resume_of_a_trial_that_is_not_paused_is_a_clear_error(closing: list[Study]) -> None:
    class Broken(Scheduler):
        def next_action(self, history: History) -> Action:
            return Resume(0, budget=2) if len(history) else Start()

    study = rheostat.create_study(scheduler=Broken())
    study.tell(study.ask(), 1.0)
    with pytest.raises(ValueError, match="resume trial 0, which is COMPLETE, not PAUSED"):
        study.ask()


def test_start_from_copies_a_parents_checkpoint_with_new_params(
    url: str, closing: list[Study]
) -> None:
    from rheostat.schedulers import StartFrom

    class ExploitFirst(Scheduler):
        def next_action(self, history: History) -> Action:
            done = history.get_trials([TrialState.COMPLETE])
            if done:
                return StartFrom(parent=done[0].number, params={"x": 0.5}, budget=2)
            return Start(budget=1)

    study = rheostat.create_study(storage=url, scheduler=ExploitFirst(), seed=0)
    closing.append(study)
    seen: list[object] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        seen.append(trial.checkpoint.load())
        trial.checkpoint.save({"from": trial.number, "x": x})
        return x

    study.optimize(objective, n_trials=3)
    trials = study.trials
    assert seen[0] is None  # a fresh start
    assert seen[1] == {"from": 0, "x": trials[0].params["x"]}  # the parent's checkpoint
    assert seen[2] == {"from": 0, "x": trials[0].params["x"]}  # still trial 0: the first done
    assert [t.parent for t in trials] == [None, 0, 0]  # the lineage is stored
    assert [t.params["x"] for t in trials[1:]] == [0.5, 0.5]
    assert [t.budget for t in trials] == [1, 2, 2]
