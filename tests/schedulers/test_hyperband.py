"""Hyperband: the bracket table of Li et al. (2018), bracket assignment, stopping in brackets."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rheostat.schedulers import Decision, Hyperband, Start
from rheostat.testing import simulate_study
from rheostat.trial import Direction, History, TrialRecord, TrialState

CONTINUE, STOP = Decision.CONTINUE, Decision.STOP


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


def test_one_cycle_fills_each_bracket_with_its_n() -> None:
    scheduler = hb()
    counts = Counter(scheduler.bracket_of(k) for k in range(143))
    assert counts == {0: 81, 1: 34, 2: 15, 3: 8, 4: 5}
    # the next cycle repeats it
    assert [scheduler.bracket_of(k) for k in range(143)] == [
        scheduler.bracket_of(k) for k in range(143, 286)
    ]


def test_brackets_are_interleaved() -> None:
    # A short study still tries every bracket, not only the most aggressive one.
    scheduler = hb()
    assert set(scheduler.bracket_of(k) for k in range(30)) == {0, 1, 2, 3, 4}


def test_every_trial_starts_with_the_full_budget() -> None:
    empty = History("empty", (Direction.MINIMIZE,), [], {"seed": 0})
    assert hb(1, 27, 3).next_action(empty) == Start(budget=27)


# -- stopping inside brackets ----------------------------------------------------------------------


def _numbers_in(scheduler: Hyperband, bracket: int, count: int) -> list[int]:
    return [k for k in range(10_000) if scheduler.bracket_of(k) == bracket][:count]


def _decide(
    scheduler: Hyperband, me: int, own: dict[int, float], peers: dict[int, dict[int, float]]
) -> Decision:
    trials = [
        TrialRecord(number=k, state=TrialState.PRUNED, intermediate_values=v)
        for k, v in sorted(peers.items())
    ]
    record = TrialRecord(number=me, state=TrialState.RUNNING, intermediate_values=own)
    history = History("hand-built", (Direction.MINIMIZE,), [*trials, record], {"seed": 0})
    step = max(own)
    return scheduler.on_report(history, record, step, own[step])


def test_compared_only_within_the_bracket() -> None:
    scheduler = hb(1, 9, 3)  # brackets [(9,1),(3,3),(1,9)], [(5,3),(1,9)], [(3,9)]
    b0 = _numbers_in(scheduler, 0, 6)
    b1 = _numbers_in(scheduler, 1, 6)
    good_at_0 = {0: 0.0}
    # five good peers at step 0 in bracket 1: a bad trial of bracket 0 is alone at its rung
    peers = {k: good_at_0 for k in b1[:5]}
    assert _decide(scheduler, b0[0], {0: 50.0}, peers) is CONTINUE
    # the same peers in bracket 0: it is stopped
    peers = {k: good_at_0 for k in b0[1:6]}
    assert _decide(scheduler, b0[0], {0: 50.0}, peers) is STOP


def test_each_bracket_judges_at_its_own_rungs() -> None:
    scheduler = hb(1, 9, 3)
    good = {s: 0.0 for s in range(9)}

    def stopped_steps(bracket: int) -> list[int]:
        numbers = _numbers_in(scheduler, bracket, 6)
        peers = {k: good for k in numbers[1:]}
        return [
            s
            for s in range(9)
            if _decide(scheduler, numbers[0], {k: 50.0 for k in range(s + 1)}, peers) is STOP
        ]

    assert stopped_steps(0) == [0, 2]  # rungs at 1 and 3
    assert stopped_steps(1) == [2]  # rung at 3
    assert stopped_steps(2) == []  # no rung below max_resource: random search at full budget


def test_fractional_rungs_are_judged_once_reached() -> None:
    # (1, 10, 3): bracket 0 has rungs at 10/9 and 10/3: judged at steps 1 and 3.
    scheduler = hb(1, 10, 3)
    numbers = _numbers_in(scheduler, 0, 6)
    good = {s: 0.0 for s in range(10)}
    peers = {k: good for k in numbers[1:]}
    stopped = [
        s
        for s in range(10)
        if _decide(scheduler, numbers[0], {k: 50.0 for k in range(s + 1)}, peers) is STOP
    ]
    assert stopped == [1, 3]


def test_reports_past_the_budget_are_stopped() -> None:
    scheduler = hb(1, 9, 3)
    numbers = _numbers_in(scheduler, 2, 1)
    assert _decide(scheduler, numbers[0], {8: 1.0}, {}) is CONTINUE
    assert _decide(scheduler, numbers[0], {9: 1.0}, {}) is STOP


# -- on the simulated clock ------------------------------------------------------------------------


def test_saves_compute_and_keeps_the_best() -> None:
    rng = random.Random(0)
    curves = []
    for _ in range(286):  # two full cycles of the brackets
        q, b = rng.random(), 0.3 * rng.random()
        curves.append([q + (1.0 + b) / math.sqrt(s + 1) for s in range(81)])
    best = min(range(len(curves)), key=lambda i: curves[i][-1])
    run = simulate_study(hb(), curves, n_workers=4)
    full = len(curves) * 81
    # Hyperband hedges with brackets that run to the end, so it saves less than ASHA does.
    assert run.compute <= 0.3 * full
    assert run.records[best].state is TrialState.COMPLETE
    assert all(t.last_step is not None and t.last_step < 81 for t in run.records)
    # bracket s = 0 (index 4) never stops anything
    last = [t for t in run.records if hb().bracket_of(t.number) == 4]
    assert last
    assert all(t.state is TrialState.COMPLETE for t in last)


def test_dump() -> None:
    state = hb(1, 27, 3).dump()
    assert (
        json.loads(json.dumps(state))
        == state
        == {
            "type": "Hyperband",
            "min_resource": 1,
            "max_resource": 27,
            "reduction_factor": 3,
            "n_min_trials": 3,
        }
    )
