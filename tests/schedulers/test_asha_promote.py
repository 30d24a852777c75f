"""ASHA in the promotion type (Li et al. 2020, Algorithm 2): pause at rungs, resume promoted."""

from __future__ import annotations

import itertools
import math
import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import rheostat
from rheostat import Study, Trial, TrialState
from rheostat.schedulers import ASHA, Decision, FIFOScheduler, Resume, Scheduler, Start
from rheostat.testing import SchedulerConformance, simulate_study
from rheostat.trial import Direction, History, TrialRecord


def promote(min_resource: int = 1, max_resource: int = 9, eta: int = 3, **kw: int) -> ASHA:
    return ASHA(
        min_resource=min_resource,
        max_resource=max_resource,
        reduction_factor=eta,
        mode="promote",
        **kw,
    )


class TestASHAPromote(SchedulerConformance):
    stops_bad_trials = False  # it pauses bad trials at a rung instead

    def make_scheduler(self) -> Scheduler:
        return promote(1, 8, 2)


class TestASHAPromoteLateFirstRung(SchedulerConformance):
    stops_bad_trials = False

    def make_scheduler(self) -> Scheduler:
        return promote(2, 8, 2)


# -- settings ----------------------------------------------------------------------------------


def test_rungs_dump_and_repr() -> None:
    assert promote(1, 9, 3).rungs() == [1, 3, 9]
    assert promote(2, 20, 3).rungs() == [2, 6, 18, 20]  # max_resource is always the top rung
    assert promote(5, 5, 3).rungs() == [5]
    assert promote(1, 9, 3).dump()["mode"] == "promote"
    assert repr(promote(1, 9, 3)) == (
        "ASHA(min_resource=1, max_resource=9, reduction_factor=3, n_min_trials=3, mode='promote')"
    )
    stop = ASHA(min_resource=1, max_resource=9, reduction_factor=3)
    assert stop.next_action(History("h", (Direction.MINIMIZE,), [])) == Start(budget=9)


# -- decisions on hand-made histories -----------------------------------------------------------


def rec(
    number: int,
    values: list[float],
    budget: float | None,
    state: TrialState = TrialState.PAUSED,
) -> TrialRecord:
    return TrialRecord(
        number=number, state=state, intermediate_values=dict(enumerate(values)), budget=budget
    )


def hist(*trials: TrialRecord, direction: Direction = Direction.MINIMIZE) -> History:
    return History("h", (direction,), trials)


def test_on_report_pauses_at_the_end_of_a_budget_below_the_maximum() -> None:
    asha = promote(1, 9, 3)
    h = hist()
    running = TrialState.RUNNING
    assert asha.on_report(h, rec(0, [1.0], 1, running), 0, 1.0) is Decision.PAUSE
    assert asha.on_report(h, rec(0, [1.0] * 2, 3, running), 1, 1.0) is Decision.CONTINUE
    assert asha.on_report(h, rec(0, [1.0] * 3, 3, running), 2, 1.0) is Decision.PAUSE
    assert asha.on_report(h, rec(0, [1.0] * 8, 9, running), 7, 1.0) is Decision.CONTINUE
    assert asha.on_report(h, rec(0, [1.0] * 9, 9, running), 8, 1.0) is Decision.CONTINUE  # ends
    assert asha.on_report(h, rec(0, [1.0] * 10, 9, running), 9, 1.0) is Decision.STOP  # past max
    assert asha.on_report(h, rec(0, [1.0] * 5, 3, running), 4, 1.0) is Decision.PAUSE  # past it
    assert asha.on_report(h, rec(0, [math.nan], 1, running), 0, math.nan) is Decision.STOP
    assert asha.on_report(h, rec(0, [1.0], None, running), 0, 1.0) is Decision.PAUSE  # enqueued


def test_nothing_promoted_before_eta_trials_reach_a_rung() -> None:
    asha = promote(1, 9, 3)
    assert asha.next_action(hist()) == Start(budget=1)
    assert asha.next_action(hist(rec(0, [0.1], 1), rec(1, [0.5], 1))) == Start(budget=1)


def test_promotes_as_soon_as_a_trial_is_in_the_top_fraction() -> None:
    # Three of a bottom rung meant for many: the best is promoted now, not when the rung fills.
    asha = promote(1, 27, 3)
    h = hist(rec(0, [0.5], 1), rec(1, [0.1], 1), rec(2, [0.9], 1))
    assert asha.next_action(h) == Resume(1, budget=3)
    # maximizing, the largest value is the best
    assert asha.next_action(
        hist(rec(0, [0.5], 1), rec(1, [0.1], 1), rec(2, [0.9], 1), direction=Direction.MAXIMIZE)
    ) == Resume(2, budget=3)


def test_a_promoted_trial_is_not_promoted_again() -> None:
    asha = promote(1, 27, 3)
    running = rec(1, [0.1], 3, TrialState.RUNNING)  # promoted, training to 3
    h = hist(rec(0, [0.5], 1), running, rec(2, [0.9], 1))
    assert asha.next_action(h) == Start(budget=1)  # top 1 of 3 is taken by trial 1
    # six trials: the top two are 1 and 4; trial 1 is on its way, so 4 is promoted
    more = [rec(3, [0.7], 1), rec(4, [0.2], 1), rec(5, [0.6], 1)]
    assert asha.next_action(hist(*h.trials, *more)) == Resume(4, budget=3)


def test_scans_rungs_from_the_top() -> None:
    asha = promote(1, 27, 3)
    h = hist(
        rec(0, [0.1, 0.3, 0.2], 3),  # paused at rung 1 (resource 3), best there of three
        rec(1, [0.2, 0.5, 0.4], 3),
        rec(2, [0.3, 0.6, 0.5], 3, TrialState.COMPLETE),
        rec(3, [0.05], 1),  # best at rung 0 too, but rung 1 comes first
        *(rec(n, [0.9], 1) for n in range(4, 9)),
    )
    assert asha.next_action(h) == Resume(0, budget=9)
    after = hist(rec(0, [0.1, 0.3, 0.2], 9, TrialState.RUNNING), *h.trials[1:])
    assert asha.next_action(after) == Resume(3, budget=3)


def test_ties_go_to_the_lower_number_and_nan_ranks_last() -> None:
    asha = promote(1, 9, 3)
    assert asha.next_action(hist(rec(0, [1.0], 1), rec(1, [1.0], 1), rec(2, [1.0], 1))) == (
        Resume(0, budget=3)
    )
    nan = rec(0, [math.nan], 1, TrialState.PRUNED)
    assert asha.next_action(hist(nan, rec(1, [5.0], 1), rec(2, [7.0], 1))) == Resume(1, budget=3)


def test_n_min_trials() -> None:
    eager = promote(1, 9, 3, n_min_trials=1)
    assert eager.next_action(hist(rec(0, [1.0], 1))) == Resume(0, budget=3)
    patient = promote(1, 9, 3, n_min_trials=5)
    four = hist(*(rec(n, [float(n)], 1) for n in range(4)))
    assert patient.next_action(four) == Start(budget=1)


def test_needs_a_single_objective() -> None:
    two = History("h", (Direction.MINIMIZE, Direction.MAXIMIZE), [])
    with pytest.raises(ValueError, match="single-objective study; this one has 2"):
        promote().next_action(two)


# -- on the simulated clock ----------------------------------------------------------------------


def _curves(n: int, steps: int, seed: int) -> list[list[float]]:
    """Loss curves falling like 1/sqrt(step) to a random final quality; the start varies."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q, b = rng.random(), 0.3 * rng.random()
        out.append([q + (1.0 + b) / math.sqrt(s + 1) for s in range(steps)])
    return out


def _reached(records: tuple[TrialRecord, ...], resource: int) -> int:
    return sum(1 for t in records if resource - 1 in t.intermediate_values)


@pytest.mark.parametrize("n_workers", [1, 4])
def test_designed_curves_best_reaches_the_top_and_rungs_shrink_by_eta(n_workers: int) -> None:
    # Parallel curves: the ranking is the same at every step, so promotions are never wrong.
    qualities = random.Random(3).sample(range(81), 81)
    curves = [[q + 10.0 / (s + 1) for s in range(27)] for q in qualities]
    best = qualities.index(0)
    run = simulate_study(promote(1, 27, 3), curves, n_workers=n_workers)
    assert run.records[best].state is TrialState.COMPLETE
    assert run.records[best].last_step == 26
    found = run.best()
    assert found is not None
    assert found.number == best
    reached = [_reached(run.records, r) for r in (1, 3, 9, 27)]
    # everyone in the final top 1/eta of a rung was promoted, and a few more early on, while
    # the rung held few trials (the paper's price for not waiting)
    assert reached == [81, 31, 11, 3]
    assert [t.state for t in run.records].count(TrialState.COMPLETE) == reached[3]
    assert all(t.state in (TrialState.COMPLETE, TrialState.PAUSED) for t in run.records)
    # each promotion resumed the trial where it paused: no step was run twice
    assert run.compute == sum(len(t.intermediate_values) for t in run.records)
    assert Counter(n for n, _b in run.resumes).most_common(1)[0][1] <= 3  # 1 -> 3 -> 9 -> 27


def test_one_worker_promotes_before_starting_the_fourth_trial() -> None:
    curves = [[q + 1.0 / (s + 1) for s in range(9)] for q in (0.5, 0.1, 0.9, 0.3, 0.7)]
    run = simulate_study(promote(1, 9, 3), curves, n_workers=1)
    order = [(n, s) for n, s, _d in run.decisions]
    assert order[:6] == [(0, 0), (1, 0), (2, 0), (1, 1), (1, 2), (3, 0)]
    assert run.resumes[0] == (1, 3)


def test_four_workers_compute_against_running_every_trial_to_the_maximum() -> None:
    curves = _curves(200, 81, seed=0)
    best = min(range(len(curves)), key=lambda i: curves[i][-1])
    promoted = simulate_study(promote(1, 81, 3), curves, n_workers=4)
    stopped = simulate_study(ASHA(max_resource=81), curves, n_workers=4)
    full = simulate_study(FIFOScheduler(), curves, n_workers=4)
    assert full.compute == 200 * 81
    # figures: promote 1,294 steps (8.0% of 16,200), 332 s; stop 1,660 steps, 434 s;
    # every trial to max_resource 16,200 steps, 4,050 s
    assert promoted.compute <= 0.1 * full.compute
    assert promoted.compute < stopped.compute
    assert promoted.time <= 0.1 * full.time
    assert promoted.busy_time >= 0.95 * 4 * promoted.time  # the workers were hardly ever idle
    # rungs at 1, 3, 9, 27, 81 were reached by 200, 73, 35, 17 and 8 trials
    reached = [_reached(promoted.records, r) for r in (1, 3, 9, 27, 81)]
    assert reached[0] == 200
    assert all(lo // 3 <= up <= lo // 2 for lo, up in itertools.pairwise(reached))
    found = promoted.best()
    assert found is not None
    assert found.number == best
    assert found.last_step == 80


# -- real studies ----------------------------------------------------------------------------------


class Training:
    """An objective that resumes from its checkpoint and trains ``range(start, trial.budget)``."""

    def __init__(self) -> None:
        self.reports: list[tuple[int, int]] = []  # (trial, step), every report made
        self.runs: list[tuple[int, int, int]] = []  # (trial, first step, budget), every run
        self.lock = threading.Lock()

    def __call__(self, trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        state = trial.checkpoint.load() or {"step": 0, "loss": 5.0}
        assert trial.budget is not None
        with self.lock:
            self.runs.append((trial.number, state["step"], int(trial.budget)))
        loss = state["loss"]
        for step in range(state["step"], int(trial.budget)):
            loss = (x - 0.3) ** 2 + 0.5 * loss  # "training": depends on the previous epoch
            trial.checkpoint.save({"step": step + 1, "loss": loss})
            with self.lock:
                self.reports.append((trial.number, step))
            trial.report(loss, step)
            if trial.should_prune():
                raise rheostat.TrialPruned()
        return float(loss)


def _check_real_study(study: Study, training: Training, n_trials: int) -> None:
    trials = study.trials
    assert len(trials) == n_trials  # resumes are extra, not new trials
    dupes = [k for k, c in Counter(training.reports).items() if c > 1]
    assert dupes == [], f"(trial, step) reported twice: {dupes}"
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert complete, "no trial reached max_resource"
    for t in complete:
        assert sorted(t.intermediate_values) == list(range(9))
        assert t.budget == 9
    for t in trials:
        assert t.state in (TrialState.COMPLETE, TrialState.PAUSED)
        runs = [(first, budget) for n, first, budget in training.runs if n == t.number]
        # each run starts where the previous one paused: resumed, never restarted
        assert runs[0] == (0, 1)
        for (_f, budget), (first, _b) in itertools.pairwise(runs):
            assert first == budget
        assert [b for _f, b in runs] == [1, 3, 9][: len(runs)]  # resumed once per rung
        paused_at = t.last_step
        assert paused_at is not None
        assert paused_at == runs[-1][1] - 1
        assert t.budget == runs[-1][1]
    reached = [sum(1 for t in trials if r - 1 in t.intermediate_values) for r in (1, 3, 9)]
    assert reached[0] == n_trials
    assert reached[1] >= n_trials // 3  # no trial in the top third of a rung is left paused
    assert reached[2] >= reached[1] // 3
    resumed = {n for n, first, _b in training.runs if first > 0}
    assert len(resumed) >= n_trials // 3
    # the value is the last loss, continued across pauses (x fixed, 9 epochs of the recurrence)
    for t in complete:
        loss = 5.0
        for _ in range(9):
            loss = (float(t.params["x"]) - 0.3) ** 2 + 0.5 * loss
        assert t.value == pytest.approx(loss)
    closest = min(trials, key=lambda t: abs(float(t.params["x"]) - 0.3))
    assert closest.state is TrialState.COMPLETE
    assert study.best_trial.number == closest.number


def test_in_memory_study_resumes_from_checkpoints() -> None:
    study = rheostat.create_study(scheduler=promote(1, 9, 3), seed=0)
    training = Training()
    study.optimize(training, n_trials=27)
    try:
        _check_real_study(study, training, 27)
    finally:
        study.storage.close()


@pytest.fixture
def closing() -> Iterator[list[Study]]:
    opened: list[Study] = []
    yield opened
    for s in opened:
        s.storage.close()


def test_sqlite_two_workers_never_resume_a_trial_twice(
    tmp_path: Path, closing: list[Study]
) -> None:
    url = f"sqlite:///{tmp_path / 'asha.db'}"
    study = rheostat.create_study(storage=url, scheduler=promote(1, 9, 3), seed=1)
    closing.append(study)
    training = Training()
    study.optimize(training, n_trials=27, n_workers=2)
    _check_real_study(study, training, 27)
    runs = Counter((n, first) for n, first, _b in training.runs)
    assert max(runs.values()) == 1, "a trial was resumed twice from the same pause"
    assert (tmp_path / "asha.artifacts").is_dir()
