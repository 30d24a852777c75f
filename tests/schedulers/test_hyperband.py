"""Hyperband: the bracket table of Li et al. (2018), brackets filled in the paper's order and
cycled, synchronous successive halving inside each bracket, from checkpoints."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rheostat
from rheostat import Trial
from rheostat.schedulers import Decision, Hyperband, Start
from rheostat.testing import simulate_study
from rheostat.trial import Direction, History, TrialRecord, TrialState


def hb(min_resource: int = 1, max_resource: int = 81, eta: int = 3) -> Hyperband:
    return Hyperband(min_resource=min_resource, max_resource=max_resource, reduction_factor=eta)


# -- the bracket table -----------------------------------------------------------------------------

# Li et al. (2018), Table 1: R = 81, eta = 3; bracket s = 4 down to s = 0, rungs (n_i, r_i).
PAPER_TABLE_1 = [
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    [(34, 3), (11, 9), (3, 27), (1, 81)],
    [(15, 9), (5, 27), (1, 81)],
    [(8, 27), (2, 81)],
    [(5, 81)],
]


def test_brackets_match_the_paper() -> None:
    brackets = Hyperband(min_resource=1, max_resource=81, reduction_factor=3).brackets()
    assert brackets == PAPER_TABLE_1
    # whole resources come back as ints, as printed in the paper
    assert all(type(r) is int for bracket in brackets for _n, r in bracket)


def test_default_is_the_paper_setting() -> None:
    assert Hyperband().brackets() == PAPER_TABLE_1


@pytest.mark.parametrize(
    ("args", "table"),
    [
        # s_max = 3, B = 4R: n = ceil(4/(s+1) * 3**s) = 27, 12, 6, 4
        (
            (1, 27, 3),
            [
                [(27, 1), (9, 3), (3, 9), (1, 27)],
                [(12, 3), (4, 9), (1, 27)],
                [(6, 9), (2, 27)],
                [(4, 27)],
            ],
        ),
        # R = 81 counted in units of 3: the same n as (1, 27, 3), resources times 3
        (
            (3, 81, 3),
            [
                [(27, 3), (9, 9), (3, 27), (1, 81)],
                [(12, 9), (4, 27), (1, 81)],
                [(6, 27), (2, 81)],
                [(4, 81)],
            ],
        ),
        # eta = 2, R = 8 (the table in mlr3hyperband's documentation)
        (
            (1, 8, 2),
            [
                [(8, 1), (4, 2), (2, 4), (1, 8)],
                [(6, 2), (3, 4), (1, 8)],
                [(4, 4), (2, 8)],
                [(4, 8)],
            ],
        ),
        # min 2, max 16, eta 2: R = 8 units of 2
        (
            (2, 16, 2),
            [
                [(8, 2), (4, 4), (2, 8), (1, 16)],
                [(6, 4), (3, 8), (1, 16)],
                [(4, 8), (2, 16)],
                [(4, 16)],
            ],
        ),
        # eta = 4, R = 64: s_max = 3, n = ceil(4/(s+1) * 4**s) = 64, 22, 8, 4
        (
            (1, 64, 4),
            [
                [(64, 1), (16, 4), (4, 16), (1, 64)],
                [(22, 4), (5, 16), (1, 64)],
                [(8, 16), (2, 64)],
                [(4, 64)],
            ],
        ),
        # min == max: one bracket, one configuration at full budget
        ((5, 5, 3), [[(1, 5)]]),
        # R < eta: still one bracket
        ((1, 2, 3), [[(1, 2)]]),
    ],
)
def test_brackets_by_hand(args: tuple[int, int, int], table: list[list[tuple[int, int]]]) -> None:
    assert hb(*args).brackets() == table


def test_brackets_when_the_ratio_is_not_a_power() -> None:
    # R = 10, eta = 3: s_max = 2, r = 10 / 3**s, anchored at max_resource as in the paper.
    brackets = hb(1, 10, 3).brackets()
    assert [[n for n, _r in b] for b in brackets] == [[9, 3, 1], [5, 1], [3]]
    resources = [[r for _n, r in b] for b in brackets]
    expected = [[10 / 9, 10 / 3, 10], [10 / 3, 10], [10]]
    assert all(
        r == pytest.approx(e)
        for rs, es in zip(resources, expected, strict=True)
        for r, e in zip(rs, es, strict=True)
    )
    assert type(resources[0][-1]) is int


@settings(max_examples=80, deadline=None)
@given(lo=st.integers(1, 20), ratio=st.integers(1, 500), eta=st.integers(2, 6))
def test_bracket_properties(lo: int, ratio: int, eta: int) -> None:
    hi = lo * ratio
    brackets = hb(lo, hi, eta).brackets()
    s_max = len(brackets) - 1
    assert lo * eta**s_max <= hi < lo * eta ** (s_max + 1)
    for index, bracket in enumerate(brackets):
        s = s_max - index
        assert len(bracket) == s + 1
        n0 = bracket[0][0]
        assert n0 == math.ceil((s_max + 1) * eta**s / (s + 1))
        assert [n for n, _r in bracket] == [n0 // eta**i for i in range(s + 1)]
        assert bracket[-1][1] == hi
        assert bracket[0][1] >= lo - 1e-9
        for (_n1, r1), (_n2, r2) in itertools.pairwise(bracket):
            assert r2 == pytest.approx(r1 * eta)
        # every bracket spends about the same budget, (s_max + 1) * R, give or take one rung
        spent = sum(n * r for n, r in bracket)
        assert spent <= (s_max + 1 + s + 1) * hi + 1e-6


# -- bracket assignment ----------------------------------------------------------------------------


def test_brackets_are_filled_in_the_papers_order_and_cycle() -> None:
    scheduler = hb()
    assert scheduler.cycle_length() == 143
    one_cycle = [scheduler.bracket_of(k) for k in range(143)]
    assert one_cycle == [0] * 81 + [1] * 34 + [2] * 15 + [3] * 8 + [4] * 5
    assert [scheduler.bracket_of(k) for k in range(143, 286)] == one_cycle
    assert Counter(one_cycle) == {0: 81, 1: 34, 2: 15, 3: 8, 4: 5}


def _history(trials: list[TrialRecord]) -> History:
    return History("h", (Direction.MINIMIZE,), trials, {"seed": 0})


def test_a_trial_starts_at_the_bottom_rung_of_its_bracket() -> None:
    scheduler = hb(1, 9, 3)  # [(9,1),(3,3),(1,9)], [(5,3),(1,9)], [(3,9)]: 17 trials a cycle
    empty = History("empty", (Direction.MINIMIZE,), [], {"seed": 0})
    assert scheduler.next_action(empty) == Start(budget=1)

    def running(count: int) -> list[TrialRecord]:
        return [TrialRecord(number=k, state=TrialState.RUNNING) for k in range(count)]

    # trials 0-8 run in bracket 0, so the next one opens bracket 1, and so on
    assert scheduler.next_action(_history(running(9))) == Start(budget=3)
    assert scheduler.next_action(_history(running(14))) == Start(budget=9)
    assert scheduler.next_action(_history(running(17))) == Start(budget=1)
    # an enqueued (WAITING) trial runs next, whatever its number: its bracket decides its budget
    queued = running(11)
    queued[5] = TrialRecord(number=5, state=TrialState.WAITING)
    assert scheduler.next_action(_history(queued)) == Start(budget=1)  # trial 5, bracket 0
    queued[5] = TrialRecord(number=5, state=TrialState.RUNNING)
    assert scheduler.next_action(_history(queued)) == Start(budget=3)  # trial 11, bracket 1


# -- synchronous successive halving in each bracket, on the simulated clock ------------------------

# Bracket 0 (trials 0-8): the curves of test_successive_halving. At step 0 the best three are
# 3, 7 and 5; at step 2 trial 7 leads them. Bracket 1 (trials 9-13) starts at resource 3: at step
# 2 trial 12 is the best. Bracket 2 (trials 14-16) runs every trial to resource 9.
START = [0.5, 0.9, 0.8, 0.1, 0.7, 0.35, 0.95, 0.2, 0.6]
LATE = {0: -0.4, 3: 0.3, 7: 0.1}
BRACKET_1 = [0.6, 0.4, 0.8, 0.3, 0.5]  # trials 9-13, at step 2
BRACKET_2 = [0.7, 0.45, 0.65]  # trials 14-16


def curve(number: int, step: int) -> float:
    if number < 9:
        drift = LATE.get(number, 0.0) * min(step, 2) / 2
        return START[number] + drift - 0.001 * step
    if number < 14:
        return BRACKET_1[number - 9] + 0.5 / (step + 1)
    return BRACKET_2[number - 14] + 0.5 / (step + 1)


def table() -> list[list[float]]:
    return [[curve(k, s) for s in range(9)] for k in range(17)]


def reached(records: tuple[TrialRecord, ...], step: int) -> list[int]:
    return sorted(t.number for t in records if t.last_step is not None and t.last_step >= step)


@pytest.mark.parametrize("n_workers", [1, 2, 4, 9])
def test_one_cycle_promotes_exactly_the_best_of_each_rung(n_workers: int) -> None:
    result = simulate_study(hb(1, 9, 3), table(), n_workers=n_workers)
    records = result.records
    assert reached(records, 0) == list(range(17))
    assert reached(records, 2) == [3, 5, 7, *range(9, 14), 14, 15, 16]
    assert reached(records, 8) == [7, 12, 14, 15, 16]
    complete = [t.number for t in records if t.state is TrialState.COMPLETE]
    assert complete == [7, 12, 14, 15, 16]
    assert all(t.state is TrialState.PRUNED for t in records if t.number not in complete)
    for t in records:
        assert t.values == (t.intermediate_values[t.last_step],)  # type: ignore[index]
    assert sorted(result.resumes) == [(3, 3), (5, 3), (7, 3), (7, 9), (12, 9)]
    assert sorted(result.stops) == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13]
    # budgets: 9 x 1 + 3 x 2 more + 1 x 6 more; 5 x 3 + 1 x 6 more; 3 x 9
    assert result.compute == (9 + 6 + 6) + (15 + 6) + 27
    assert records[12].budget == 9 and records[9].budget == 3
    assert [records[k].budget for k in (14, 15, 16)] == [9, 9, 9]
    assert result.best() is not None and result.best().number == 7  # type: ignore[union-attr]


@pytest.mark.parametrize("n_workers", [2, 4])
def test_nothing_is_promoted_before_its_rung_is_full(n_workers: int) -> None:
    result = simulate_study(hb(1, 9, 3), table(), n_workers=n_workers)
    # every trial of bracket 0 pauses at step 0; none goes on until all nine reported there
    first_step_1 = next(i for i, (n, s, _d) in enumerate(result.decisions) if n < 9 and s == 1)
    assert {n for n, s, _d in result.decisions[:first_step_1] if s == 0 and n < 9} == set(range(9))
    assert all(d is Decision.PAUSE for n, s, d in result.decisions if n < 9 and s in (0, 2))
    # bracket 1's trials pause at resource 3 and only its best goes on once all five got there
    first_step_3 = next(
        i for i, (n, s, _d) in enumerate(result.decisions) if 9 <= n < 14 and s == 3
    )
    at_rung = {n for n, s, _d in result.decisions[:first_step_3] if 9 <= n < 14 and s == 2}
    assert at_rung == set(range(9, 14))


def test_idle_workers_start_the_next_bracket_meanwhile() -> None:
    # With 4 workers bracket 0's bottom rung fills after 3 rounds: trials of bracket 1 start
    # before any trial of bracket 0 is resumed, so no worker waits.
    result = simulate_study(hb(1, 9, 3), table(), n_workers=4)
    starts = [t.datetime_start for t in result.records]
    assert all(s is not None for s in starts)
    assert min(starts[9:14]) < 3.0  # type: ignore[type-var]
    assert result.busy_time == result.compute  # one simulated second per step
    assert result.time < result.compute / 4 + 9


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    eta=st.integers(2, 3),
    n_workers=st.integers(1, 6),
    maximize=st.booleans(),
)
def test_each_rung_of_each_bracket_promotes_its_best(
    seed: int, eta: int, n_workers: int, maximize: bool
) -> None:
    rng = random.Random(seed)
    top = eta**2
    scheduler = hb(1, top, eta)
    n = scheduler.cycle_length()
    curves = [[rng.random() for _ in range(top)] for _ in range(n)]
    direction = Direction.MAXIMIZE if maximize else Direction.MINIMIZE
    result = simulate_study(scheduler, curves, n_workers=n_workers, direction=direction)
    went_on = {
        resource: {t.number for t in result.records if (t.last_step or 0) >= resource}
        for resource in range(1, top + 1)
    }
    first = 0
    for bracket in scheduler.brackets():
        expected = list(range(first, first + bracket[0][0]))
        for (_n, resource), (n_next, _r) in itertools.pairwise(bracket):
            r = int(resource)
            ranked = sorted(expected, key=lambda c: (curves[c][r - 1] * (-1 if maximize else 1), c))
            expected = sorted(ranked[:n_next])
            assert sorted(went_on[r] & set(range(first, first + bracket[0][0]))) == expected
        members = result.records[first : first + bracket[0][0]]
        assert [t.number for t in members if t.state is TrialState.COMPLETE] == expected
        first += bracket[0][0]


def test_fractional_rungs_run_to_their_ceiling() -> None:
    # (1, 10, 3): bracket 0 has rungs at 10/9, 10/3 and 10: budgets of 2, 4 and 10 steps.
    scheduler = hb(1, 10, 3)
    rng = random.Random(3)
    curves = [[rng.random() for _ in range(10)] for _ in range(scheduler.cycle_length())]
    result = simulate_study(scheduler, curves, n_workers=3)
    bracket_0 = result.records[:9]
    assert sorted(Counter(len(t.intermediate_values) for t in bracket_0).items()) == [
        (2, 6),
        (4, 2),
        (10, 1),
    ]
    assert sorted({b for n, b in result.resumes if n < 9}) == [4, 10]
    assert all(t.budget is not None and t.budget <= 10 for t in result.records)


def test_nan_is_stopped_and_ranks_last() -> None:
    curves = table()
    curves[3] = [float("nan")] * 9
    result = simulate_study(hb(1, 9, 3), curves, n_workers=2)
    assert result.records[3].state is TrialState.PRUNED
    assert (3, 0, Decision.STOP) in result.decisions
    assert reached(result.records, 2)[:3] == [0, 5, 7]  # the next best at step 0 takes its place


def test_saves_compute_and_keeps_a_near_best() -> None:
    rng = random.Random(0)
    curves = []
    for _ in range(286):  # two full cycles of the brackets
        q, b = rng.random(), 0.3 * rng.random()
        curves.append([q + (1.0 + b) / math.sqrt(s + 1) for s in range(81)])
    best = min(c[-1] for c in curves)
    run = simulate_study(hb(), curves, n_workers=4)
    full = len(curves) * 81
    # one cycle runs every bracket to the end once: 5 brackets of about 5 * 81 epochs each
    per_cycle = sum(
        n_i * (r_i - r_prev)
        for bracket in hb().brackets()
        for (n_i, r_i), r_prev in zip(bracket, [0] + [r for _n, r in bracket[:-1]], strict=True)
    )
    assert run.compute == 2 * per_cycle < 0.2 * full
    assert all(t.state is not TrialState.PAUSED for t in run.records)
    found = run.best()
    assert found is not None and found.values is not None
    assert found.values[0] - best < 0.02
    # bracket s = 0 (the last five of each cycle) stops nothing
    last = [t for t in run.records if hb().bracket_of(t.number) == 4]
    assert len(last) == 10 and all(t.state is TrialState.COMPLETE for t in last)


def test_single_objective_only() -> None:
    me = TrialRecord(number=0, state=TrialState.RUNNING, intermediate_values={0: 1.0}, budget=1)
    two = History("two", (Direction.MINIMIZE, Direction.MAXIMIZE), [me])
    with pytest.raises(ValueError, match="Hyperband needs a single-objective study"):
        hb().on_report(two, me, 0, 1.0)
    with pytest.raises(ValueError, match="Hyperband needs a single-objective study"):
        hb().next_action(two)


# -- in a real study, from checkpoints -------------------------------------------------------------


def objective(trial: Trial) -> float:
    state = trial.checkpoint.load() or {"step": 0}
    assert trial.budget is not None
    value = math.nan
    for step in range(state["step"], int(trial.budget)):
        value = curve(trial.number % 17, step)
        trial.checkpoint.save({"step": step + 1})
        trial.report(value, step)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    return value


@pytest.mark.parametrize("n_workers", [1, 3])
def test_real_study_resumes_from_checkpoints(n_workers: int) -> None:
    study = rheostat.create_study(scheduler=hb(1, 9, 3))
    study.optimize(objective, n_trials=17, n_workers=n_workers)
    trials = study.trials
    assert [t.number for t in trials if t.state is TrialState.COMPLETE] == [7, 12, 14, 15, 16]
    assert study.best_trial.number == 7
    for t in trials:
        # resumed runs carried on from their checkpoint: one report per step, none repeated
        assert sorted(t.intermediate_values) == list(range(len(t.intermediate_values)))


def test_dump() -> None:
    state = hb(1, 27, 3).dump()
    assert (
        json.loads(json.dumps(state))
        == state
        == {"type": "Hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3}
    )
    assert repr(hb(1, 27, 3)) == "Hyperband(min_resource=1, max_resource=27, reduction_factor=3)"
