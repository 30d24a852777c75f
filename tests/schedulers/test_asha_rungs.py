"""Known answers for ASHA's stopping type: rungs, decisions at a rung, arguments."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rheostat.schedulers import ASHA, Decision, Hyperband, Start, SuccessiveHalving
from rheostat.testing import simulate_study
from rheostat.trial import Direction, History, TrialRecord, TrialState

CONTINUE, STOP = Decision.CONTINUE, Decision.STOP
MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def sh(min_resource: int = 1, max_resource: int = 9, eta: int = 3, **kw: int) -> ASHA:
    return ASHA(min_resource=min_resource, max_resource=max_resource, reduction_factor=eta, **kw)


def decide(
    scheduler: ASHA,
    own: Mapping[int, float],
    peers: Sequence[Mapping[int, float]] = (),
    *,
    direction: Direction = MIN,
) -> Decision:
    """The decision on the last report of ``own`` (the newest trial), with ``peers`` before it."""
    trials = [
        TrialRecord(number=i, state=TrialState.PRUNED, intermediate_values=p)
        for i, p in enumerate(peers)
    ]
    me = TrialRecord(number=len(trials), state=TrialState.RUNNING, intermediate_values=own)
    step = max(own)
    history = History("hand-built", (direction,), [*trials, me], {"seed": 0})
    return scheduler.on_report(history, me, step, own[step])


# -- rungs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "rungs"),
    [
        ((1, 81, 3), [1, 3, 9, 27, 81]),
        ((1, 100, 3), [1, 3, 9, 27, 81]),
        ((2, 16, 2), [2, 4, 8, 16]),
        ((4, 4, 2), [4]),
        ((5, 14, 3), [5]),
        ((5, 15, 3), [5, 15]),
    ],
)
def test_rungs(args: tuple[int, int, int], rungs: list[int]) -> None:
    assert sh(*args).rungs() == rungs


def test_every_trial_starts_with_the_full_budget() -> None:
    empty = History("empty", (MIN,), [], {"seed": 0})
    assert sh(1, 27, 3).next_action(empty) == Start(budget=27)


# -- decisions -------------------------------------------------------------------------------------


def test_the_first_trials_at_a_rung_continue() -> None:
    # Fewer than n_min_trials (default: eta = 3) at the rung: no comparison yet.
    assert decide(sh(), {0: 5.0}) is CONTINUE
    assert decide(sh(), {0: 5.0}, [{0: 1.0}]) is CONTINUE
    assert decide(sh(), {0: 5.0}, [{0: 1.0}, {0: 2.0}]) is STOP  # 3 at the rung, keep 1


@pytest.mark.parametrize(
    ("peer_values", "value", "expected"),
    [
        # n = 3: keep 1
        ([1.0, 2.0], 0.5, CONTINUE),
        ([1.0, 2.0], 1.5, STOP),
        ([1.0, 2.0], 1.0, CONTINUE),  # a tie with the best is not worse
        # n = 6: keep 2
        ([1.0, 2.0, 3.0, 4.0, 5.0], 1.5, CONTINUE),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 2.5, STOP),
        # n = 9: keep 3
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 2.5, CONTINUE),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 3.5, STOP),
        # NaN peers are never better; infinities compare as numbers
        ([math.nan, math.nan], 9.0, CONTINUE),
        ([-math.inf, 2.0], 1.0, STOP),
        ([math.inf, 2.0], 1.0, CONTINUE),
    ],
)
def test_keeps_the_best_third(peer_values: list[float], value: float, expected: Decision) -> None:
    peers = [{0: v} for v in peer_values]
    assert decide(sh(), {0: value}, peers) is expected


def test_maximize_keeps_the_largest() -> None:
    peers = [{0: 1.0}, {0: 2.0}]
    assert decide(sh(), {0: 3.0}, peers, direction=MAX) is CONTINUE
    assert decide(sh(), {0: 1.5}, peers, direction=MAX) is STOP
    assert decide(sh(), {0: 1.5}, peers, direction=MIN) is STOP
    assert decide(sh(), {0: 0.5}, peers, direction=MIN) is CONTINUE


def test_judged_only_at_rungs() -> None:
    # (1, 9, 3): rungs at resource 1 and 3, judged at steps 0 and 2; 9 is the end.
    scheduler = sh(1, 9, 3)
    peers = [dict.fromkeys(range(9), 0.0) for _ in range(5)]
    bad = dict.fromkeys(range(9), 100.0)
    judged = [
        s for s in range(9) if decide(scheduler, {k: bad[k] for k in range(s + 1)}, peers) is STOP
    ]
    assert judged == [0, 2]


def test_later_first_rung() -> None:
    # (2, 8, 2): rungs at 2 and 4 (steps 1 and 3); step 0 is never judged.
    peers = [{0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}] * 4
    assert decide(sh(2, 8, 2), {0: 99.0}, peers) is CONTINUE
    assert decide(sh(2, 8, 2), {0: 99.0, 1: 99.0}, peers) is STOP


def test_peers_are_those_that_reached_the_rung() -> None:
    # Two peers stopped at step 0 never reached step 2: at step 2 the trial has one peer.
    peers: list[dict[int, float]] = [{0: 0.0}, {0: 0.0}, {0: 0.0, 1: 0.0, 2: 0.0}]
    assert decide(sh(), {0: 0.0, 1: 5.0, 2: 5.0}, peers) is CONTINUE
    peers.append({0: 0.0, 1: 0.0, 2: 0.0})
    assert decide(sh(), {0: 0.0, 1: 5.0, 2: 5.0}, peers) is STOP


def test_nan_and_reports_past_the_budget_are_stopped() -> None:
    assert decide(sh(), {0: math.nan}) is STOP
    assert decide(sh(), {4: math.nan}) is STOP  # between rungs too
    assert decide(sh(1, 9, 3), {8: 1.0}) is CONTINUE  # the last step of the budget
    assert decide(sh(1, 9, 3), {9: 1.0}) is STOP  # one past it


def test_n_min_trials() -> None:
    peers = [{0: 1.0}, {0: 2.0}, {0: 3.0}]
    assert decide(sh(n_min_trials=5), {0: 9.0}, peers) is CONTINUE
    assert decide(sh(n_min_trials=4), {0: 9.0}, peers) is STOP
    assert decide(sh(n_min_trials=1), {0: 9.0}) is CONTINUE  # alone it is the best


def test_needs_one_objective() -> None:
    me = TrialRecord(number=0, state=TrialState.RUNNING, intermediate_values={0: 1.0})
    history = History("two", (MIN, MAX), [me], {"seed": 0})
    with pytest.raises(ValueError, match="single-objective"):
        sh().on_report(history, me, 0, 1.0)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30),
    eta=st.integers(2, 5),
    maximize=st.booleans(),
)
def test_the_best_at_a_rung_is_never_stopped(values: list[float], eta: int, maximize: bool) -> None:
    direction = MAX if maximize else MIN
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return
    best = max(finite) if maximize else min(finite)
    peers = [{0: v} for v in values]
    assert decide(sh(1, 10, eta), {0: best}, peers, direction=direction) is CONTINUE


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40, unique=True
    ),
    eta=st.integers(2, 5),
    maximize=st.booleans(),
)
def test_exactly_the_best_share_continues(values: list[float], eta: int, maximize: bool) -> None:
    # Each value judged against all the others at the rung: the best max(1, n // eta) continue.
    direction = MAX if maximize else MIN
    n = len(values)
    continuing = {
        v
        for j, v in enumerate(values)
        if decide(
            sh(1, 10, eta),
            {0: v},
            [{0: w} for w in values[:j] + values[j + 1 :]],
            direction=direction,
        )
        is CONTINUE
    }
    ranked = sorted(values, reverse=maximize)
    expected = set(ranked) if n < eta else set(ranked[: max(1, n // eta)])
    assert continuing == expected


# -- on the simulated clock ------------------------------------------------------------------------


def _curves(n: int, steps: int, seed: int) -> list[list[float]]:
    """Loss curves that fall like 1/sqrt(step); the final quality q is random, the start varies."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q, b = rng.random(), 0.3 * rng.random()
        out.append([q + (1.0 + b) / math.sqrt(s + 1) for s in range(steps)])
    return out


@pytest.mark.parametrize("eta", [2, 3])
def test_share_continuing_past_a_rung_is_about_one_over_eta(eta: int) -> None:
    scheduler = sh(1, 81, eta)
    run = simulate_study(scheduler, _curves(400, 81, seed=3), n_workers=4)
    # The lowest two rungs see hundreds of trials; higher ones see too few for a share.
    for rung in scheduler.rungs()[:2]:
        reached = [t for t in run.records if t.last_step is not None and t.last_step >= rung - 1]
        went_on = [t for t in reached if t.last_step is not None and t.last_step >= rung]
        share = len(went_on) / len(reached)
        assert len(reached) >= 100
        assert abs(share - 1 / eta) < 0.08, f"rung {rung}: {len(went_on)}/{len(reached)}"


def test_saves_compute_and_keeps_the_best() -> None:
    curves = _curves(200, 81, seed=0)
    best = min(range(200), key=lambda i: curves[i][-1])
    run = simulate_study(sh(1, 81, 3), curves, n_workers=4)
    assert run.compute <= 0.15 * 200 * 81
    assert run.records[best].state is TrialState.COMPLETE
    found = run.best()
    assert found is not None
    assert found.number == best


# -- arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [SuccessiveHalving, ASHA, Hyperband])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource must be an integer >= 1, got 0"),
        ({"min_resource": -3}, "min_resource must be an integer >= 1"),
        ({"min_resource": 1.5}, "min_resource must be an integer"),
        ({"min_resource": True}, "min_resource must be an integer"),
        ({"max_resource": 0}, "max_resource must be an integer >= 1"),
        ({"min_resource": 10, "max_resource": 9}, "max_resource must be >= min_resource"),
        ({"reduction_factor": 1}, "reduction_factor must be an integer >= 2, got 1"),
        ({"reduction_factor": 2.5}, "reduction_factor must be an integer >= 2"),
    ],
)
def test_bad_arguments(cls: type, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        cls(**kwargs)
    assert cls.__name__ in str(info.value)


def test_bad_n_min_trials() -> None:
    with pytest.raises(ValueError, match="n_min_trials must be an integer >= 1"):
        ASHA(n_min_trials=0)
