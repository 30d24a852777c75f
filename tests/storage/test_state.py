"""Replay invariants of ``StudyState``: late, duplicated or out-of-order events are harmless."""

from __future__ import annotations

import pytest

from rheostat.distributions import Float, Int
from rheostat.storage import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    StudyState,
    TrialCreated,
)
from rheostat.testing._storage import same_value
from rheostat.trial import Direction, History, TrialState

RUNNING, WAITING, PAUSED = TrialState.RUNNING, TrialState.WAITING, TrialState.PAUSED
COMPLETE, PRUNED, FAILED = TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED
X = Float(0.0, 1.0)


def _state(*events: Event) -> StudyState:
    state = StudyState("s", (Direction.MINIMIZE,))
    state.apply(events)
    return state


@pytest.mark.parametrize("final", [COMPLETE, PRUNED, FAILED])
def test_a_finished_trial_never_changes(final: TrialState) -> None:
    state = _state(
        TrialCreated(0, RUNNING, 1.0, worker_id="a"),
        ParamSet(0, "x", 0.5, X),
        Reported(0, 0, 2.0),
        StateChanged(0, final, 2.0, values=(1.0,), message="first"),
    )
    before = state.trial(0)
    assert before.state is final
    late: list[Event] = [
        StateChanged(0, COMPLETE, 3.0, values=(9.0,)),
        StateChanged(0, FAILED, 3.0, message="second"),
        StateChanged(0, RUNNING, 3.0, worker_id="b"),
        StateChanged(0, PAUSED, 3.0),
        ParamSet(0, "x", 0.9, X),
        ParamSet(0, "y", 3, Int(0, 5)),
        Reported(0, 1, 0.1),
        AttrSet(0, "late", True),
        AttrSet(0, "late", True, system=True),
        Heartbeat(0, 4.0),
    ]
    state.apply(late)
    after = state.trial(0)
    assert state.seq == 4 + len(late)
    assert same_value(after, before)
    assert after.values == (1.0,)
    assert after.message == "first"
    assert after.datetime_complete == 2.0
    assert dict(after.params) == {"x": 0.5}
    assert dict(after.intermediate_values) == {0: 2.0}
    assert dict(after.user_attrs) == {}
    assert after.last_heartbeat is None
    assert after.worker_id == "a"
    assert state.records()[0] is after  # unchanged, so still the cached record


def test_only_a_waiting_trial_can_be_claimed_and_the_first_claim_wins() -> None:
    state = _state(TrialCreated(0, WAITING, 1.0, fixed_params={"x": 0.5}))
    assert list(state.waiting) == [0]
    assert state.trial(0).datetime_start is None
    state.apply([StateChanged(0, RUNNING, 2.0, worker_id="first")])
    state.apply([StateChanged(0, RUNNING, 3.0, worker_id="second")])
    record = state.trial(0)
    assert record.state is RUNNING
    assert record.worker_id == "first"
    assert record.datetime_start == 2.0
    assert state.waiting == {}

    # A trial created RUNNING cannot be claimed by another worker either.
    state.apply([TrialCreated(1, RUNNING, 4.0, worker_id="owner")])
    state.apply([StateChanged(1, RUNNING, 5.0, worker_id="thief")])
    assert state.trial(1).worker_id == "owner"
    assert state.trial(1).datetime_start == 4.0


def test_pause_and_resume_moves() -> None:
    state = _state(
        TrialCreated(0, WAITING, 1.0),
        StateChanged(0, PAUSED, 1.5),  # only a RUNNING trial can pause
    )
    assert state.state_of(0) is WAITING
    state.apply(
        [
            StateChanged(0, RUNNING, 2.0, worker_id="a"),
            StateChanged(0, PAUSED, 3.0),
            StateChanged(0, WAITING, 3.5),  # never a move back to WAITING
        ]
    )
    assert state.state_of(0) is PAUSED
    state.apply([StateChanged(0, RUNNING, 4.0, worker_id="b")])  # resumed by another worker
    record = state.trial(0)
    assert (record.state, record.worker_id, record.datetime_start) == (RUNNING, "b", 2.0)


def test_out_of_order_trial_created_is_ignored() -> None:
    state = _state(TrialCreated(1, RUNNING, 1.0))  # number 1 before number 0
    assert state.n_trials == 0
    assert state.records() == []
    state.apply([TrialCreated(0, RUNNING, 2.0, worker_id="a"), ParamSet(0, "x", 0.5, X)])
    state.apply([TrialCreated(0, WAITING, 3.0, worker_id="b")])  # a duplicate number 0
    state.apply([TrialCreated(5, RUNNING, 3.0)])  # a gap
    assert state.n_trials == 1
    assert state.seq == 5
    record = state.trial(0)
    assert (record.state, record.worker_id, dict(record.params)) == (RUNNING, "a", {"x": 0.5})
    assert state.waiting == {}
    state.apply([TrialCreated(1, RUNNING, 4.0)])
    assert [r.number for r in state.records()] == [0, 1]


def test_events_for_unknown_trials_are_ignored() -> None:
    state = _state(TrialCreated(0, RUNNING, 1.0))
    state.apply(
        [
            ParamSet(3, "x", 0.5, X),
            Reported(1, 0, 1.0),
            StateChanged(7, COMPLETE, 2.0, values=(1.0,)),
            AttrSet(2, "k", 1),
            Heartbeat(9, 3.0),
        ]
    )
    assert state.n_trials == 1
    assert same_value(state.trial(0), _state(TrialCreated(0, RUNNING, 1.0)).trial(0))
    with pytest.raises(KeyError, match="trial 3 does not exist"):
        state.trial(3)


def test_first_param_and_first_report_of_a_step_win() -> None:
    state = _state(
        TrialCreated(0, RUNNING, 1.0),
        ParamSet(0, "x", 0.25, X),
        ParamSet(0, "x", 0.75, X),
        Reported(0, 3, 1.0),
        Reported(0, 3, 2.0),
        Reported(0, 1, 5.0),
    )
    record = state.trial(0)
    assert dict(record.params) == {"x": 0.25}
    assert dict(record.intermediate_values) == {3: 1.0, 1: 5.0}
    assert record.last_step == 3
    assert state.distributions == {"x": X}


def test_records_are_cached_and_refreshed() -> None:
    state = _state(TrialCreated(0, RUNNING, 1.0), TrialCreated(1, RUNNING, 1.0))
    records = state.records()
    first, second = records
    assert state.trial(0) is first
    assert state.records() is records  # nothing new: the same list

    state.apply([Reported(0, 0, 4.0), AttrSet(0, "note", "hi")])
    fresh = state.records()
    assert dict(fresh[0].intermediate_values) == {0: 4.0}
    assert dict(fresh[0].user_attrs) == {"note": "hi"}
    assert fresh[1] is second  # untouched trials keep their record
    assert dict(first.intermediate_values) == {}  # an old record is a frozen snapshot
    assert state.trial(0) is fresh[0]

    state.trial(1)  # building one record before the list refresh must not go stale
    state.apply([Heartbeat(1, 9.0)])
    assert state.trial(1).last_heartbeat == 9.0
    assert state.records()[1].last_heartbeat == 9.0

    state.apply([TrialCreated(2, WAITING, 2.0), StateChanged(0, COMPLETE, 3.0, values=(4.0,))])
    numbers_states = [(r.number, r.state) for r in state.records()]
    assert numbers_states == [(0, COMPLETE), (1, RUNNING), (2, WAITING)]
    assert state.records()[0].values == (4.0,)


def test_history_is_refreshed_after_new_events() -> None:
    state = _state(AttrSet(None, "seed", 3, system=True), TrialCreated(0, RUNNING, 1.0))
    history = state.history()
    assert state.history() is history
    assert history.attrs["seed"] == 3
    state.apply([StateChanged(0, COMPLETE, 2.0, values=(1.0,)), AttrSet(None, "tag", "x")])
    newer = state.history()
    assert newer is not history
    assert [t.state for t in history.trials] == [RUNNING]  # a handed-out history never changes
    assert [t.state for t in newer.trials] == [COMPLETE]
    assert dict(newer.attrs) == {"seed": 3, "tag": "x"}
    assert state.user_attrs == {"tag": "x"}
    assert state.system_attrs == {"seed": 3}


def test_waiting_set_follows_claims_and_failures() -> None:
    state = _state(*(TrialCreated(n, WAITING, 1.0) for n in range(4)))
    assert list(state.waiting) == [0, 1, 2, 3]
    state.apply(
        [
            StateChanged(1, RUNNING, 2.0, worker_id="a"),
            StateChanged(2, FAILED, 2.0, message="cancelled"),
        ]
    )
    assert list(state.waiting) == [0, 3]


def test_history_get_trials_filters_by_state() -> None:
    events: list[Event] = []
    finals = [COMPLETE, PRUNED, FAILED, COMPLETE, None, None]
    for n, final in enumerate(finals):
        events.append(TrialCreated(n, WAITING if n == 5 else RUNNING, float(n)))
        if final is not None:
            events.append(StateChanged(n, final, float(n) + 0.5, values=(float(n),)))
    history = _state(*events).history()
    assert isinstance(history, History)
    assert len(history) == 6

    def numbers(states: tuple[TrialState, ...] | None) -> list[int]:
        return [t.number for t in history.get_trials(states)]

    assert numbers(None) == [0, 1, 2, 3, 4, 5]
    assert numbers((COMPLETE,)) == [0, 3]
    assert numbers((PRUNED, COMPLETE)) == [0, 1, 3]
    assert numbers((RUNNING, WAITING)) == [4, 5]
    assert numbers((PAUSED,)) == []
    assert history.get_trials((COMPLETE,)) is history.get_trials((COMPLETE,))  # cached
    best = history.best_trial()
    assert best is not None
    assert best.number == 0
