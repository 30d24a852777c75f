"""Storage conformance, part one: studies, and the log (numbering, incremental reads, round
trips, refusals that write nothing, replay). ``StorageConformance`` gathers the parts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rheostat.exceptions import DuplicatedStudyError, StorageConflictError, StudyNotFoundError
from rheostat.storage import AttrSet, Event, Storage, StudyState
from rheostat.testing._storage_events import (
    assert_same_events,
    attr,
    every_event_type,
    replay,
    same_value,
    scripted_study,
)
from rheostat.trial import Direction, TrialState

__all__ = ["LogConformance"]

_MIN = Direction.MINIMIZE
_MAX = Direction.MAXIMIZE
_NAN = float("nan")


class LogConformance:
    """Tests of a backend's studies and its event log (see ``StorageConformance``)."""

    # -- studies ---------------------------------------------------------------------------------

    def test_create_get_list_delete(self, storage: Storage) -> None:
        assert storage.list_studies() == []
        names = ["a", "étude 研究 🙂", "x'; DROP TABLE rheostat_events; --", "n" * 512]
        dirs: list[tuple[Direction, ...]] = [(_MIN,), (_MAX, _MIN), (_MAX,), (_MIN, _MIN, _MAX)]
        for name, d in zip(names, dirs, strict=True):
            info = storage.create_study(name, list(d))
            assert info.name == name
            assert info.directions == d
        for name, d in zip(names, dirs, strict=True):
            info = storage.get_study(name)
            assert info.name == name
            assert info.directions == d
            assert all(type(x) is Direction for x in info.directions)
        listed = storage.list_studies()
        assert [s.name for s in listed] == names  # oldest first
        assert [s.directions for s in listed] == dirs
        assert [s.created_at for s in listed] == sorted(s.created_at for s in listed)

        storage.append(names[0], [attr("k", 1), attr("k", 2)])
        storage.delete_study(names[0])
        assert [s.name for s in storage.list_studies()] == names[1:]
        with pytest.raises(StudyNotFoundError):
            storage.get_study(names[0])
        # A study created again under a deleted name starts empty.
        storage.create_study(names[0], [_MAX])
        assert storage.get_study(names[0]).directions == (_MAX,)
        assert storage.read(names[0]) == []
        assert storage.append(names[0], [attr("again")]) == 1
        assert [s.name for s in storage.list_studies()] == [*names[1:], names[0]]

    def test_duplicated_study(self, storage: Storage) -> None:
        storage.create_study("dup", [_MIN])
        storage.append("dup", [attr("k", 1)])
        with pytest.raises(DuplicatedStudyError, match="dup"):
            storage.create_study("dup", [_MAX])
        assert storage.get_study("dup").directions == (_MIN,)
        assert_same_events(storage.read("dup"), [attr("k", 1)])
        assert len(storage.list_studies()) == 1

    @pytest.mark.parametrize("operation", ["get", "append", "append_claim", "read", "delete"])
    def test_missing_study(self, storage: Storage, operation: str) -> None:
        storage.create_study("present", [_MIN])
        missing = "missing-ünï"
        calls: dict[str, Callable[[], object]] = {
            "get": lambda: storage.get_study(missing),
            "append": lambda: storage.append(missing, [attr("k")]),
            "append_claim": lambda: storage.append(missing, [attr("k")], ["trial:0"]),
            "read": lambda: storage.read(missing, since=0),
            "delete": lambda: storage.delete_study(missing),
        }
        with pytest.raises(StudyNotFoundError) as info:
            calls[operation]()
        assert missing in str(info.value)
        assert [s.name for s in storage.list_studies()] == ["present"]
        assert storage.read("present") == []

    # -- appending and reading -------------------------------------------------------------------

    def test_append_numbers_events_consecutively(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", [attr("a")]) == 1
        assert storage.append("s", [attr("b"), attr("c"), attr("d")]) == 4
        assert storage.append("s", [attr("e")]) == 5
        assert storage.append("s", [attr("f")], ["trial:0"]) == 6
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == list("abcdef")

    def test_read_since_returns_exactly_the_later_events(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        events: list[Event] = [attr(f"k{i}", i) for i in range(12)]
        storage.append("s", events[:5])
        for e in events[5:]:
            storage.append("s", [e])
        for since in range(len(events) + 1):
            assert_same_events(storage.read("s", since=since), events[since:])
        assert storage.read("s", since=len(events) + 5) == []
        # The returned list is the caller's: changing it changes nothing stored.
        got = storage.read("s")
        got.clear()
        assert len(storage.read("s")) == len(events)

    def test_every_event_type_round_trips(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        storage.create_study("one by one", [_MIN])
        events = every_event_type()
        assert storage.append("s", events) == len(events)
        for e in events:
            storage.append("one by one", [e])
        assert_same_events(storage.read("s"), events)
        assert_same_events(storage.read("one by one"), events)
        assert_same_events(storage.read("s", since=10), events[10:])

    def test_append_of_non_json_value_writes_nothing(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        storage.append("s", [attr("ok")])
        for bad in ({1, 2}, object(), _NAN, {"deep": [float("inf")]}):
            with pytest.raises(TypeError, match="JSON"):
                storage.append("s", [attr("fine"), AttrSet(0, "bad", bad)])
        assert len(storage.read("s")) == 1
        assert storage.append("s", [attr("next")]) == 2

    def test_empty_append(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", []) == 0
        assert storage.append("s", [], ["x"]) == 0  # a claim alone
        storage.append("s", [attr("a"), attr("b")])
        assert storage.append("s", []) == 2
        assert storage.append("s", [], unless=["y"]) == 2
        with pytest.raises(StorageConflictError):
            storage.append("s", [], ["x"])
        with pytest.raises(StorageConflictError):
            storage.append("s", [], unless=["x"])
        assert len(storage.read("s")) == 2
        assert storage.append("s", [attr("c")]) == 3

    # -- replay ----------------------------------------------------------------------------------

    def test_replaying_the_log_rebuilds_the_trials(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        batches = scripted_study()
        known = 0
        for k, batch in enumerate(batches):
            if k % 2:
                known = storage.append("s", batch, [f"batch:{k}"])
            else:
                known = storage.append("s", batch)
        written = [e for batch in batches for e in batch]
        assert known == len(written)

        expected = replay("s", written)
        rebuilt = replay("s", storage.read("s"))
        assert len(rebuilt) == 5
        assert all(same_value(r, e) for r, e in zip(rebuilt, expected, strict=True))

        # Replaying in pieces, reading only what is new each time, gives the same state.
        state = StudyState("s", (_MIN,))
        for upto in (1, 3, 4, 9, 15, known):
            state.apply(storage.read("s", since=state.seq)[: upto - state.seq])
            assert state.seq == upto
        assert storage.read("s", since=state.seq) == []
        assert all(same_value(r, e) for r, e in zip(state.records(), expected, strict=True))

        t0, t1, t2, t3, t4 = rebuilt
        assert t0.state is TrialState.COMPLETE
        assert t0.values == (1.5,)
        assert dict(t0.params) == {"x": 0.5}
        assert dict(t0.intermediate_values) == {0: 2.0, 1: 1.5}
        assert t0.worker_id == "b"
        assert t1.state is TrialState.PRUNED
        assert dict(t1.user_attrs) == {"epochs": [1, 2]}
        assert t1.last_heartbeat == 13.0
        assert t2.state is TrialState.FAILED
        assert t2.message == "boom"
        assert t3.state is TrialState.PAUSED
        assert (t3.budget, t3.parent) == (2.0, 0)
        assert t4.state is TrialState.WAITING
        assert dict(t4.system_attrs) == {"fixed_params": {"x": 0.0}}
        assert state.system_attrs == {"seed": 7}
        assert state.user_attrs == {"note": "baseline first"}
