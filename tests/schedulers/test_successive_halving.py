"""Synchronous successive halving: a rung waits until it is full, then promotes its best."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rheostat
from rheostat import Trial, TrialState
from rheostat.schedulers import ASHA, Decision, Resume, Start, Stop, SuccessiveHalving
from rheostat.testing import simulate_study
from rheostat.trial import Direction, History, TrialRecord


def sh(min_resource: int = 1, max_resource: int = 9, eta: int = 3, **kw: int) -> SuccessiveHalving:
    return SuccessiveHalving(
        min_resource=min_resource, max_resource=max_resource, reduction_factor=eta, **kw
    )


# Nine loss curves over 9 steps. At step 0 (resource 1) the best three are 3, 7 and 5; at step 2
# (resource 3) 7 leads them. Trial 0 is the best of the first three to arrive, so ASHA promotes
# it at once; synchronous successive halving waits for all nine and never runs it further.
START = [0.5, 0.9, 0.8, 0.1, 0.7, 0.35, 0.95, 0.2, 0.6]
LATE = {0: -0.4, 3: 0.3, 7: 0.1}  # change between step 0 and step 2


def curve(config: int, step: int) -> float:
    drift = LATE.get(config, 0.0) * min(step, 2) / 2
    return START[config] + drift - 0.001 * step


def paper_curves() -> list[list[float]]:
    return [[curve(c, s) for s in range(9)] for c in range(9)]


# -- the bracket -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kw", "bracket"),
    [
        ((1, 9, 3), {}, [(9, 1), (3, 3), (1, 9)]),
        ((1, 81, 3), {}, [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]),
        ((1, 9, 3), {"n_configurations": 10}, [(10, 1), (3, 3), (1, 9)]),
        ((1, 9, 3), {"n_configurations": 4}, [(4, 1), (1, 3), (1, 9)]),
        ((2, 20, 3), {}, [(27, 2), (9, 6), (3, 18), (1, 20)]),
        ((1, 8, 2), {}, [(8, 1), (4, 2), (2, 4), (1, 8)]),
        ((5, 5, 3), {}, [(1, 5)]),
    ],
)
def test_bracket(args: tuple[int, int, int], kw: dict[str, int], bracket: list[object]) -> None:
    scheduler = sh(*args, **kw)
    assert scheduler.bracket() == bracket
    assert scheduler.rungs() == [r for _n, r in bracket]


def test_first_action_starts_at_the_bottom_rung() -> None:
    empty = History("empty", (Direction.MINIMIZE,), [], {"seed": 0})
    assert sh(2, 18, 3).next_action(empty) == Start(budget=2)


# -- the paper's example: n = 9, eta = 3 -------------------------------------------------------


@pytest.mark.parametrize("n_workers", [1, 2, 4, 9])
def test_nine_three_one_exactly_the_best_are_promoted(n_workers: int) -> None:
    result = simulate_study(sh(1, 9, 3), paper_curves(), n_workers=n_workers)
    records = result.records
    reached = [
        sorted(t.number for t in records if t.last_step is not None and t.last_step >= s)
        for s in (0, 2, 8)
    ]
    by_first = sorted(range(9), key=lambda c: curve(c, 0))
    assert reached[0] == list(range(9))
    assert reached[1] == sorted(by_first[:3]) == [3, 5, 7]
    assert reached[2] == [min((3, 5, 7), key=lambda c: curve(c, 2))] == [7]
    assert [t.state for t in records].count(TrialState.COMPLETE) == 1
    assert records[7].state is TrialState.COMPLETE
    for t in records:
        if t.number != 7:
            assert t.state is TrialState.PRUNED
            assert t.values == (t.intermediate_values[t.last_step],)  # type: ignore[index]
    assert result.compute == 9 * 1 + 3 * 2 + 1 * 6
    assert sorted(result.stops) == [0, 1, 2, 3, 4, 5, 6, 8]
    assert sorted(result.resumes) == [(3, 3), (5, 3), (7, 3), (7, 9)]


@pytest.mark.parametrize("n_workers", [1, 2, 4])
def test_nothing_is_promoted_before_the_rung_is_full(n_workers: int) -> None:
    result = simulate_study(sh(1, 9, 3), paper_curves(), n_workers=n_workers)
    first_step_1 = next(i for i, (_n, s, _d) in enumerate(result.decisions) if s == 1)
    assert {n for n, s, _d in result.decisions[:first_step_1] if s == 0} == set(range(9))
    # every trial pauses at the bottom rung; none is stopped by a report
    assert all(d is Decision.PAUSE for _n, s, d in result.decisions if s in (0, 2))
    # ASHA promotes before the rung is full, so it runs a different trial past step 0
    asha = simulate_study(ASHA(max_resource=9, mode="promote"), paper_curves(), n_workers=n_workers)
    first_asha = next(i for i, (_n, s, _d) in enumerate(asha.decisions) if s == 1)
    assert first_asha < 9


def test_a_second_bracket_keeps_idle_workers_busy() -> None:
    curves = paper_curves() + paper_curves()
    result = simulate_study(sh(1, 9, 3), curves, n_workers=4)
    assert result.records[9].datetime_start is not None
    first_resume_time = min(
        t.datetime_start for t in result.records[9:] if t.datetime_start is not None
    )
    assert first_resume_time < 3.0  # bracket 1 began while bracket 0 was still filling
    for offset in (0, 9):
        bracket = result.records[offset : offset + 9]
        assert [t.number - offset for t in bracket if t.state is TrialState.COMPLETE] == [7]
    assert result.compute == 2 * 21


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    eta=st.integers(2, 4),
    n_workers=st.integers(1, 5),
    maximize=st.booleans(),
)
def test_each_rung_promotes_its_best(seed: int, eta: int, n_workers: int, maximize: bool) -> None:
    rng = random.Random(seed)
    top = eta**2
    curves = [[rng.random() for _ in range(top)] for _ in range(eta**2)]
    scheduler = sh(1, top, eta)
    direction = Direction.MAXIMIZE if maximize else Direction.MINIMIZE
    result = simulate_study(scheduler, curves, n_workers=n_workers, direction=direction)
    expected = list(range(len(curves)))
    rungs = scheduler.bracket()
    for (n, resource), (n_next, _r) in itertools.pairwise(rungs):
        assert len(expected) == n
        ranked = sorted(expected, key=lambda c: curves[c][resource - 1], reverse=maximize)
        expected = sorted(ranked[:n_next])
        went_on = sorted(
            t.number for t in result.records if t.last_step is not None and t.last_step >= resource
        )
        assert went_on == expected
    assert [t.number for t in result.records if t.state is TrialState.COMPLETE] == expected


def test_nan_is_stopped_and_ranks_last() -> None:
    curves = paper_curves()
    curves[3] = [float("nan")] * 9
    result = simulate_study(sh(1, 9, 3), curves, n_workers=2)
    assert result.records[3].state is TrialState.PRUNED
    assert (3, 0, Decision.STOP) in result.decisions
    went_on = sorted(t.number for t in result.records if (t.last_step or 0) >= 2)
    assert went_on == [0, 5, 7]  # the next best at step 0 takes 3's place


def _history(trials: list[TrialRecord]) -> History:
    return History("h", (Direction.MINIMIZE,), trials, {"seed": 0})


def test_actions_by_hand() -> None:
    scheduler = sh(1, 9, 3, n_configurations=3)  # 3 at resource 1, 1 at 3, 1 at 9
    paused = [
        TrialRecord(number=i, state=TrialState.PAUSED, intermediate_values={0: v}, budget=1)
        for i, v in enumerate([0.5, 0.2, 0.9])
    ]
    running = TrialRecord(number=2, state=TrialState.RUNNING, intermediate_values={}, budget=1)
    # the rung is not full while trial 2 runs: start another trial (the next bracket)
    assert scheduler.next_action(_history([*paused[:2], running])) == Start(budget=1)
    # full: stop the losers first, then promote the best
    assert scheduler.next_action(_history(paused)) == Stop(0)
    stopped = TrialRecord(number=0, state=TrialState.PRUNED, intermediate_values={0: 0.5})
    assert scheduler.next_action(_history([stopped, *paused[1:]])) == Stop(2)
    stopped2 = TrialRecord(number=2, state=TrialState.PRUNED, intermediate_values={0: 0.9})
    assert scheduler.next_action(_history([stopped, paused[1], stopped2])) == Resume(1, budget=3)
    # a failed trial no longer counts: the rung of the other two is full
    failed = TrialRecord(number=2, state=TrialState.FAILED, intermediate_values={})
    assert scheduler.next_action(_history([*paused[:2], failed])) == Stop(0)


def test_on_report() -> None:
    scheduler = sh(1, 9, 3)
    me = TrialRecord(number=0, state=TrialState.RUNNING, intermediate_values={0: 1.0}, budget=1)
    history = _history([me])
    assert scheduler.on_report(history, me, 0, 1.0) is Decision.PAUSE
    assert scheduler.on_report(history, me, 0, float("nan")) is Decision.STOP
    mid = TrialRecord(number=0, state=TrialState.RUNNING, budget=3)
    assert scheduler.on_report(history, mid, 1, 1.0) is Decision.CONTINUE
    assert scheduler.on_report(history, mid, 2, 1.0) is Decision.PAUSE
    top = TrialRecord(number=0, state=TrialState.RUNNING, budget=9)
    assert scheduler.on_report(history, top, 8, 1.0) is Decision.CONTINUE
    assert scheduler.on_report(history, top, 9, 1.0) is Decision.STOP
    two = History("two", (Direction.MINIMIZE, Direction.MAXIMIZE), [me])
    with pytest.raises(ValueError, match="single-objective"):
        scheduler.on_report(two, me, 0, 1.0)
    with pytest.raises(ValueError, match="single-objective"):
        scheduler.next_action(two)


# -- in a real study, from checkpoints -------------------------------------------------------------


def objective(trial: Trial) -> float:
    config = trial.number % 9
    state = trial.checkpoint.load() or {"step": 0}
    assert trial.budget is not None
    value = curve(config, 0)
    for step in range(state["step"], int(trial.budget)):
        value = curve(config, step)
        trial.checkpoint.save({"step": step + 1})
        trial.report(value, step)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    return value


@pytest.mark.parametrize("n_workers", [1, 3])
def test_real_study_resumes_from_checkpoints(n_workers: int) -> None:
    study = rheostat.create_study(scheduler=sh(1, 9, 3))
    study.optimize(objective, n_trials=9, n_workers=n_workers)
    trials = study.trials
    assert [t.state for t in trials].count(TrialState.COMPLETE) == 1
    assert study.best_trial.number == 7
    assert sorted(len(t.intermediate_values) for t in trials) == [1] * 6 + [3] * 2 + [9]
    for t in trials:
        # resumed runs carried on from their checkpoint: one report per step, none repeated
        assert sorted(t.intermediate_values) == list(range(len(t.intermediate_values)))
        if t.state is TrialState.PRUNED:
            assert t.values == (t.intermediate_values[t.last_step],)  # type: ignore[index]


def test_a_bracket_started_partly_waits_for_the_next_call() -> None:
    study = rheostat.create_study(scheduler=sh(1, 9, 3))
    study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials][:5] == [TrialState.PAUSED] * 5
    study.optimize(objective, n_trials=4)
    states = [t.state for t in study.trials]
    assert len(states) == 9
    assert states.count(TrialState.COMPLETE) == 1
    assert states.count(TrialState.PRUNED) == 8
    assert study.best_trial.number == 7


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "9"])
def test_bad_n_configurations(n: object) -> None:
    with pytest.raises(ValueError, match="SuccessiveHalving: n_configurations must be an integer"):
        SuccessiveHalving(n_configurations=n)  # type: ignore[arg-type]


def test_dump_load_and_repr() -> None:
    scheduler = sh(2, 54, 3, n_configurations=20)
    state = scheduler.dump()
    assert (
        json.loads(json.dumps(state))
        == state
        == {
            "type": "SuccessiveHalving",
            "min_resource": 2,
            "max_resource": 54,
            "reduction_factor": 3,
            "n_configurations": 20,
        }
    )
    assert repr(scheduler) == (
        "SuccessiveHalving(min_resource=2, max_resource=54, reduction_factor=3, "
        "n_configurations=20)"
    )
    fresh = SuccessiveHalving()
    fresh.load(state)
    assert fresh.dump() == state
    assert fresh.bracket() == scheduler.bracket()
    with pytest.raises(ValueError, match="the state is of a 'ASHA'"):
        fresh.load(ASHA().dump())
    with pytest.raises(ValueError, match="n_configurations"):
        fresh.load({**state, "n_configurations": 0})
