"""The simulated clock resumes PAUSED trials where they paused when ``next_action`` says so."""

from __future__ import annotations

import pytest

from rheostat.schedulers import Action, Decision, Resume, Scheduler, Start
from rheostat.testing import simulate_study
from rheostat.trial import History, TrialRecord, TrialState


class PauseThenResume(Scheduler):
    """New trials get budget ``first``; each pauses at its end and is resumed with ``then``.

    With ``together``, paused trials are resumed only once ``together`` trials have paused.
    """

    def __init__(self, first: int = 2, then: int = 4, together: int = 1) -> None:
        self.first, self.then, self.together = first, then, together

    def next_action(self, history: History) -> Action:
        paused = history.get_trials([TrialState.PAUSED])
        ever = sum(
            1 for t in history.trials if t.state is TrialState.PAUSED or t.budget != self.first
        )
        if paused and ever >= self.together:
            return Resume(paused[0].number, budget=self.then)
        return Start(budget=self.first)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        if trial.budget == self.first and step == self.first - 1:
            return Decision.PAUSE
        return Decision.CONTINUE


def test_a_resumed_trial_continues_its_curve_with_the_new_budget() -> None:
    curves = [[10.0, 11.0, 12.0, 13.0, 14.0], [20.0, 21.0, 22.0, 23.0, 24.0]]
    run = simulate_study(PauseThenResume(), curves, n_workers=1)
    assert [(n, s) for n, s, _d in run.decisions] == [
        (0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3),
    ]  # fmt: skip
    assert run.resumes == ((0, 4), (1, 4))
    assert (run.compute, run.time) == (8, 8.0)  # no step run twice, the budget caps at 4
    for t, curve in zip(run.records, curves, strict=True):
        assert t.state is TrialState.COMPLETE
        assert dict(t.intermediate_values) == dict(enumerate(curve[:4]))
        assert t.values == (curve[3],)
        assert t.budget == 4
    assert [t.datetime_start for t in run.records] == [0.0, 4.0]  # kept across the pause


def test_a_waiting_worker_is_woken_by_the_next_pause() -> None:
    # Three workers, two trials: worker 2 has nothing to run at first; trial 0 pauses at t=1
    # but is resumed only when both are paused, so both resume at t=1 and end at t=2.
    run = simulate_study(PauseThenResume(1, 2, together=2), [[1.0, 2.0]] * 2, n_workers=3)
    assert run.resumes == ((0, 2), (1, 2))
    assert run.time == 2.0
    assert [t.state for t in run.records] == [TrialState.COMPLETE] * 2


def test_trials_never_resumed_stay_paused() -> None:
    run = simulate_study(PauseThenResume(together=3), [[1.0, 2.0, 3.0]] * 2, n_workers=2)
    assert [t.state for t in run.records] == [TrialState.PAUSED] * 2
    assert run.resumes == ()
    assert [t.last_step for t in run.records] == [1, 1]


class ResumeWhat(Scheduler):
    def __init__(self, action: object) -> None:
        self.action = action
        self.calls = 0

    def next_action(self, history: History) -> Action:
        self.calls += 1
        return Start(budget=1) if self.calls == 1 else self.action  # type: ignore[return-value]

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        return Decision.PAUSE if step == 0 else Decision.CONTINUE


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (Resume(5, budget=2), ValueError, "resume trial 5, which is not started, not PAUSED"),
        (Resume(0, budget=1), ValueError, "resumed trial 0 has no step to run after step 0"),
        (Resume(0, budget=0), ValueError, "budget of 0"),
        ("resume", TypeError, "next_action returned 'resume', not a Start, Resume"),
    ],
)
def test_wrong_resumes(action: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        simulate_study(ResumeWhat(action), [[1.0, 2.0]] * 2, n_workers=1)


def test_resuming_a_running_trial_is_an_error() -> None:
    class Twice(Scheduler):
        def next_action(self, history: History) -> Action:
            if history.trials:
                return Resume(0, budget=2)
            return Start(budget=1)

    with pytest.raises(ValueError, match="resume trial 0, which is RUNNING, not PAUSED"):
        simulate_study(Twice(), [[1.0, 2.0]] * 2, n_workers=2)
