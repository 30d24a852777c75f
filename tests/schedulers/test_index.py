"""The incremental report index behind the rung schedulers: a cache that always equals a scan."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable

import pytest

from rheostat.schedulers import ASHA, PBT, Hyperband, Scheduler, SuccessiveHalving
from rheostat.schedulers._index import ReportIndex
from rheostat.testing import simulate_study
from rheostat.testing._replay import learning_curves
from rheostat.trial import Direction, History, TrialRecord, TrialState

MAKERS: list[Callable[[], Scheduler]] = [
    lambda: ASHA(max_resource=8),
    lambda: ASHA(max_resource=8, mode="promote"),
    lambda: Hyperband(max_resource=8),
    lambda: SuccessiveHalving(max_resource=9),
    lambda: PBT(perturbation_interval=2, max_resource=8),
]


@pytest.mark.parametrize("make", MAKERS)
def test_a_reused_or_pickled_scheduler_decides_as_a_fresh_one(
    make: Callable[[], Scheduler],
) -> None:
    used = make()
    simulate_study(used, learning_curves(40, 8, seed=1), n_workers=2)  # fills its index
    curves = learning_curves(30, 8, seed=2)
    fresh = simulate_study(make(), curves, n_workers=3, direction="maximize")
    for scheduler in (used, pickle.loads(pickle.dumps(used))):
        again = simulate_study(scheduler, curves, n_workers=3, direction="maximize")
        assert (again.decisions, again.resumes, again.stops) == (
            fresh.decisions,
            fresh.resumes,
            fresh.stops,
        )


def _t(
    number: int, values: dict[int, float], state: TrialState = TrialState.RUNNING, **kw: object
) -> TrialRecord:
    return TrialRecord(number=number, state=state, intermediate_values=values, **kw)  # type: ignore[arg-type]


def test_rows_follow_the_records() -> None:
    index = ReportIndex([0, 2], waits_at=lambda t: (0, 0))
    first = [_t(0, {0: 3.0}), _t(1, {0: math.nan}), _t(2, {0: -math.inf, 2: 1.0})]
    with index.synced(History("s", (Direction.MINIMIZE,), first)) as ix:
        assert [n for _nan, _v, n in ix.ranked(0, 0)] == [2, 0, 1]
        assert [n for _nan, _v, n in ix.finite(0, 0)] == [0]
        assert ix.better(0, 0, 3.0, 1.0) == 1
        assert ix.better(0, 0, math.nan, 1.0) == 2
        assert ix.has(2, 2) and not ix.has(0, 2)
        assert ix.live == {0, 1, 2} and ix.paused == {}
    paused = _t(0, {0: 3.0, 1: 9.0}, state=TrialState.PAUSED)  # step 1 is not indexed
    later = [paused, _t(1, {0: math.nan}, state=TrialState.PRUNED), first[2], _t(3, {0: 0.5})]
    with index.synced(History("s", (Direction.MAXIMIZE,), later)) as ix:  # direction flips
        assert [n for _nan, _v, n in ix.ranked(0, 0)] == [0, 3, 2, 1]
        assert ix.paused == {0: paused} and ix.live == {0, 2, 3}
        assert [row[2] for row in ix.waiting[0]] == [0]


def test_populations() -> None:
    index = ReportIndex([1], population_size=2)
    trials = [_t(0, {}), _t(1, {}), _t(2, {}, parent=0), _t(3, {}), _t(4, {}, parent=3)]
    with index.synced(History("s", (Direction.MINIMIZE,), trials)) as ix:
        assert ix.group_of == [0, 0, 0, 1, 1]
        assert ix.members == {0: [0, 1, 2], 1: [3, 4]}
        assert ix.founders == 3
    pbt = PBT(perturbation_interval=1, max_resource=4, population_size=2)
    assert pbt.populations(History("s", (Direction.MINIMIZE,), trials)) == [0, 0, 0, 1, 1]
