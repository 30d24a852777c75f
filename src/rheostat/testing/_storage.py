"""The conformance suite every storage backend must pass (the contract of ``storage._base``)."""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from rheostat.distributions import Categorical, Float, Int
from rheostat.exceptions import DuplicatedStudyError, StorageConflictError, StudyNotFoundError
from rheostat.storage import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    Storage,
    StudyState,
    TrialCreated,
)
from rheostat.trial import Direction, TrialRecord, TrialState

__all__ = ["StorageConformance", "same_value"]

_MIN = Direction.MINIMIZE
_MAX = Direction.MAXIMIZE
_NAN = float("nan")
_INF = float("inf")


def same_value(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are equal, with NaN equal to NaN and types compared exactly.

    ``1``, ``1.0`` and ``True`` differ; so do a list and a tuple. Dataclasses (events,
    distributions, records) are compared field by field, mappings key by key.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(
            same_value(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    return bool(a == b)


def _assert_same_events(got: Sequence[Event], want: Sequence[Event]) -> None:
    assert len(got) == len(want), f"read {len(got)} events, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert same_value(g, w), f"event {i + 1} came back as {g!r}, expected {w!r}"


def _attr(key: str, value: Any = None) -> AttrSet:
    return AttrSet(None, key, value)


def _every_event_type() -> list[Event]:
    """One or more events of every type, with the awkward values a backend must keep."""
    return [
        TrialCreated(
            0,
            TrialState.RUNNING,
            1_700_000_000.125,
            worker_id="host:123:abcd",
            proposal={"x": 0.5, "opt": "adam"},
            budget=3.0,
        ),
        TrialCreated(
            1,
            TrialState.WAITING,
            1_700_000_001.5,
            fixed_params={"x": 0.25, "n": 3, "flag": True, "none": None, "name": "ünï 研究 🙂"},
            proposal={"x": 0.125},
            parent=0,
        ),
        TrialCreated(2, TrialState.RUNNING, 2.0),
        ParamSet(0, "x", 0.5, Float(0.0, 1.0)),
        ParamSet(0, "lr", 1e-3, Float(1e-5, 1e-1, log=True)),
        ParamSet(0, "s", 0.25, Float(0.0, 1.0, step=0.25)),
        ParamSet(0, "n", 3, Int(1, 64, log=True)),
        ParamSet(0, "k", 20, Int(0, 100, step=10)),
        ParamSet(0, "opt", "adam", Categorical(["adam", "sgd", None, True, 1.5, 2])),
        ParamSet(0, "flag", None, Categorical([None, False])),
        ParamSet(0, "große", True, Categorical([True, False])),
        Reported(0, 0, 1.25),
        Reported(0, 1, _NAN),
        Reported(0, 2, _INF),
        Reported(0, 3, -_INF),
        Reported(0, 10**6, 1e-300),
        AttrSet(0, "nested", {"a": [1, 2.5, {"b": None}], "c": "ü", "d": True, "e": []}),
        AttrSet(0, "none", None),
        AttrSet(0, "big", 2**62),
        AttrSet(None, "study attr ✓", "value", system=True),
        AttrSet(None, "empty", {}),
        Heartbeat(0, 1_700_000_002.75),
        StateChanged(0, TrialState.COMPLETE, 3.0, values=(0.5, _NAN, _INF, -_INF), worker_id="w"),
        StateChanged(1, TrialState.RUNNING, 4.0, worker_id="host:456:ef01"),
        StateChanged(1, TrialState.PAUSED, 4.5),
        StateChanged(1, TrialState.PRUNED, 5.0, values=(1.0,)),
        StateChanged(2, TrialState.FAILED, 6.0, message="ValueError: ünïcödé 🙂\nTraceback …"),
    ]


def _scripted_study() -> list[list[Event]]:
    """The event batches of a small study covering every state, as a study would write them."""
    return [
        [AttrSet(None, "seed", 7, system=True), AttrSet(None, "note", "baseline first")],
        [TrialCreated(0, TrialState.WAITING, 10.0, fixed_params={"x": 0.5})],
        [TrialCreated(1, TrialState.RUNNING, 11.0, worker_id="a", proposal={"x": 0.1})],
        [StateChanged(0, TrialState.RUNNING, 12.0, worker_id="b")],
        [ParamSet(1, "x", 0.1, Float(0.0, 1.0)), Reported(1, 0, 3.0)],
        [ParamSet(0, "x", 0.5, Float(0.0, 1.0)), Reported(0, 0, 2.0), Reported(0, 1, 1.5)],
        [Heartbeat(1, 13.0), AttrSet(1, "epochs", [1, 2])],
        [StateChanged(0, TrialState.COMPLETE, 14.0, values=(1.5,))],
        [TrialCreated(2, TrialState.RUNNING, 15.0, worker_id="a")],
        [StateChanged(1, TrialState.PRUNED, 16.0, values=(3.0,))],
        [StateChanged(2, TrialState.FAILED, 17.0, message="boom")],
        [TrialCreated(3, TrialState.RUNNING, 18.0, worker_id="c", budget=2.0, parent=0)],
        [StateChanged(3, TrialState.PAUSED, 19.0)],
        [TrialCreated(4, TrialState.WAITING, 20.0, fixed_params={"x": 0.0})],
    ]


def _replay(study: str, events: Sequence[Event]) -> list[TrialRecord]:
    state = StudyState(study, (_MIN,))
    state.apply(events)
    return list(state.records())


class StorageConformance:
    """Tests that every ``rheostat.storage.Storage`` backend must pass.

    Subclass it in a test module (name the subclass ``Test…`` so pytest collects it) and define a
    ``storage`` fixture that yields a fresh, empty backend and closes it afterwards::

        import pytest
        from rheostat.testing import StorageConformance

        class TestMyStorage(StorageConformance):
            @pytest.fixture
            def storage(self, tmp_path):
                backend = MyStorage(tmp_path / "db")
                yield backend
                backend.close()

    The tests check the contract in ``rheostat.storage._base``: studies are created, listed and
    deleted with their directions; missing and duplicated studies raise the documented errors;
    ``append`` numbers events 1, 2, 3, … and ``read(since=s)`` returns exactly the events after
    ``s``; every event type comes back unchanged (NaN and infinite values, unicode, nested JSON);
    an event JSON cannot hold raises ``TypeError`` and nothing is written; a claim is taken at most
    once per study, a refused append writes nothing and takes none of its claims, ``unless``
    refuses when a key is taken, and appends without common keys never refuse each other;
    concurrent appends from many threads leave a log with no gap and no duplicate, each contested
    claim won by exactly one thread, and threads may come and go without exhausting the backend;
    replaying the log rebuilds the trials. The whole suite takes about a second per backend.
    """

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

        storage.append(names[0], [_attr("k", 1), _attr("k", 2)])
        storage.delete_study(names[0])
        assert [s.name for s in storage.list_studies()] == names[1:]
        with pytest.raises(StudyNotFoundError):
            storage.get_study(names[0])
        # A study created again under a deleted name starts empty.
        storage.create_study(names[0], [_MAX])
        assert storage.get_study(names[0]).directions == (_MAX,)
        assert storage.read(names[0]) == []
        assert storage.append(names[0], [_attr("again")]) == 1
        assert [s.name for s in storage.list_studies()] == [*names[1:], names[0]]

    def test_duplicated_study(self, storage: Storage) -> None:
        storage.create_study("dup", [_MIN])
        storage.append("dup", [_attr("k", 1)])
        with pytest.raises(DuplicatedStudyError, match="dup"):
            storage.create_study("dup", [_MAX])
        assert storage.get_study("dup").directions == (_MIN,)
        _assert_same_events(storage.read("dup"), [_attr("k", 1)])
        assert len(storage.list_studies()) == 1

    @pytest.mark.parametrize("operation", ["get", "append", "append_claim", "read", "delete"])
    def test_missing_study(self, storage: Storage, operation: str) -> None:
        storage.create_study("present", [_MIN])
        missing = "missing-ünï"
        calls: dict[str, Callable[[], object]] = {
            "get": lambda: storage.get_study(missing),
            "append": lambda: storage.append(missing, [_attr("k")]),
            "append_claim": lambda: storage.append(missing, [_attr("k")], ["trial:0"]),
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
        assert storage.append("s", [_attr("a")]) == 1
        assert storage.append("s", [_attr("b"), _attr("c"), _attr("d")]) == 4
        assert storage.append("s", [_attr("e")]) == 5
        assert storage.append("s", [_attr("f")], ["trial:0"]) == 6
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == list("abcdef")

    def test_read_since_returns_exactly_the_later_events(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        events: list[Event] = [_attr(f"k{i}", i) for i in range(12)]
        storage.append("s", events[:5])
        for e in events[5:]:
            storage.append("s", [e])
        for since in range(len(events) + 1):
            _assert_same_events(storage.read("s", since=since), events[since:])
        assert storage.read("s", since=len(events) + 5) == []
        # The returned list is the caller's: changing it changes nothing stored.
        got = storage.read("s")
        got.clear()
        assert len(storage.read("s")) == len(events)

    def test_every_event_type_round_trips(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        storage.create_study("one by one", [_MIN])
        events = _every_event_type()
        assert storage.append("s", events) == len(events)
        for e in events:
            storage.append("one by one", [e])
        _assert_same_events(storage.read("s"), events)
        _assert_same_events(storage.read("one by one"), events)
        _assert_same_events(storage.read("s", since=10), events[10:])

    def test_append_of_non_json_value_writes_nothing(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        storage.append("s", [_attr("ok")])
        for bad in ({1, 2}, object(), _NAN, {"deep": [float("inf")]}):
            with pytest.raises(TypeError, match="JSON"):
                storage.append("s", [_attr("fine"), AttrSet(0, "bad", bad)])
        assert len(storage.read("s")) == 1
        assert storage.append("s", [_attr("next")]) == 2

    def test_empty_append(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", []) == 0
        assert storage.append("s", [], ["x"]) == 0  # a claim alone
        storage.append("s", [_attr("a"), _attr("b")])
        assert storage.append("s", []) == 2
        assert storage.append("s", [], unless=["y"]) == 2
        with pytest.raises(StorageConflictError):
            storage.append("s", [], ["x"])
        with pytest.raises(StorageConflictError):
            storage.append("s", [], unless=["x"])
        assert len(storage.read("s")) == 2
        assert storage.append("s", [_attr("c")]) == 3

    # -- claims ----------------------------------------------------------------------------------

    def test_a_claim_is_taken_once(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", [_attr("a")], ["trial:0"]) == 1
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [_attr("lost")], ["trial:0"])
        # A refused append writes nothing and takes none of its claims.
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [_attr("lost"), _attr("lost too")], ["trial:1", "trial:0"])
        assert storage.append("s", [_attr("b"), _attr("c")], ["trial:1"]) == 3
        # Appends with no claim in common never refuse each other; repeated keys count once.
        assert storage.append("s", [_attr("d")]) == 4
        assert storage.append("s", [_attr("e")], ["state:0:1", "state:1:1", "state:0:1"]) == 5
        with pytest.raises(StorageConflictError, match="state:1:1"):
            storage.append("s", [_attr("lost")], ["state:1:1"])
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == list("abcde")

    def test_unless_refuses_when_a_key_is_taken(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", [_attr("a")], ["trial:0"], unless=["finished"]) == 1
        assert storage.append("s", [_attr("b")], unless=["trial:1"]) == 2  # not taken
        assert storage.append("s", [_attr("fin")], ["finished"]) == 3
        with pytest.raises(StorageConflictError, match="finished"):
            storage.append("s", [_attr("lost")], ["trial:1"], unless=["finished"])
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [_attr("lost")], unless=["trial:0"])
        # ``unless`` takes nothing, and the refused append did not take trial:1.
        assert storage.append("s", [_attr("c")], ["trial:1"]) == 4
        assert storage.append("s", [_attr("d")], unless=["trial:2"]) == 5
        assert storage.append("s", [_attr("e")], ["trial:2"]) == 6
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == [
            "a", "b", "fin", "c", "d", "e"
        ]  # fmt: skip

    @pytest.mark.parametrize("bad", ["", "k" * 201, 5, None, b"trial:0"])
    def test_bad_claim_keys_are_refused(self, storage: Storage, bad: Any) -> None:
        storage.create_study("s", [_MIN])
        with pytest.raises(ValueError, match="claim"):
            storage.append("s", [_attr("no")], ["ok", bad])
        with pytest.raises(ValueError, match="claim"):
            storage.append("s", [_attr("no")], unless=[bad])
        with pytest.raises(TypeError, match="list"):
            storage.append("s", [_attr("no")], "trial:0")
        assert storage.read("s") == []
        assert storage.append("s", [_attr("yes")], ["ok", "k" * 200]) == 1

    # -- isolation and concurrency ---------------------------------------------------------------

    def test_studies_have_independent_logs(self, storage: Storage) -> None:
        storage.create_study("a", [_MIN])
        storage.create_study("b", [_MAX])
        assert storage.append("a", [_attr("a1")]) == 1
        assert storage.append("b", [_attr("b1"), _attr("b2")]) == 2
        assert storage.append("a", [_attr("a2")], ["trial:0"]) == 2
        assert storage.append("b", [_attr("b3")], ["trial:0"]) == 3  # a's claim, not b's
        with pytest.raises(StorageConflictError):
            storage.append("b", [_attr("b?")], ["trial:0"])
        _assert_same_events(storage.read("a"), [_attr("a1"), _attr("a2")])
        _assert_same_events(storage.read("b", since=1), [_attr("b2"), _attr("b3")])
        storage.delete_study("a")
        _assert_same_events(storage.read("b"), [_attr("b1"), _attr("b2"), _attr("b3")])
        # A study created again under a deleted name has no claims.
        storage.create_study("a", [_MIN])
        assert storage.append("a", [_attr("again")], ["trial:0"]) == 1

    def test_concurrent_appends_from_threads(self, storage: Storage) -> None:
        n_threads, n_appends = 8, 50
        storage.create_study("s", [_MIN])
        storage.create_study("other", [_MIN])
        barrier = threading.Barrier(n_threads)
        returned: dict[tuple[int, int], int] = {}
        won: dict[int, list[int]] = {}  # contested claim -> the threads whose append took it
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work(t: int) -> None:
            try:
                barrier.wait()
                for i in range(n_appends):
                    # Every third append is a batch of two: a batch must stay contiguous.
                    batch: list[Event] = [AttrSet(t, f"{t}:{i}", [t, i])]
                    if i % 3 == 0:
                        batch.append(AttrSet(t, f"{t}:{i}+", [t, i]))
                    if i % 2:  # every thread competes for the claim "c:i"; one takes it
                        try:
                            seq = storage.append("s", batch, [f"c:{i}"])
                        except StorageConflictError:
                            continue
                        with lock:
                            won.setdefault(i, []).append(t)
                    else:  # plain appends are never refused
                        seq = storage.append("s", batch)
                    with lock:
                        returned[t, i] = seq
                    if i % 10 == 0:
                        storage.append("other", [Heartbeat(t, float(i))])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not errors, errors
        assert not any(th.is_alive() for th in threads), "an append hung"

        contested = range(1, n_appends, 2)
        assert sorted(won) == list(contested), "a contested claim was taken by nobody"
        assert all(len(w) == 1 for w in won.values()), f"a claim was taken twice: {won}"
        log = storage.read("s")
        keys = [e.key for e in log if isinstance(e, AttrSet)]
        size = {i: 2 if i % 3 == 0 else 1 for i in range(n_appends)}
        n_plain = n_threads * sum(size[i] for i in range(0, n_appends, 2))
        n_events = n_plain + sum(size[i] for i in contested)
        assert len(log) == len(keys) == n_events
        assert len(set(keys)) == n_events, "an event was stored twice"
        for i, [t] in won.items():
            assert f"{t}:{i}" in keys
        seqs = sorted(returned.values())
        assert len(set(seqs)) == len(seqs), "two appends got the same sequence number"
        for (t, i), seq in returned.items():
            last = log[seq - 1]
            assert isinstance(last, AttrSet)
            assert last.key == (f"{t}:{i}+" if i % 3 == 0 else f"{t}:{i}"), (
                f"append {i} of thread {t} returned {seq}, which holds {last.key!r}"
            )
            if i % 3 == 0:
                first = log[seq - 2]
                assert isinstance(first, AttrSet)
                assert first.key == f"{t}:{i}", "a batch was split"
        for t in range(n_threads):
            own = [e.value[1] for e in log if isinstance(e, AttrSet) and e.number == t]
            assert own == sorted(own), f"thread {t}'s events are out of order"
        assert len(storage.read("other")) == n_threads * len(range(0, n_appends, 10))
        assert len(storage.read("s", since=n_events - 1)) == 1

    def test_many_threads_come_and_go(self, storage: Storage) -> None:
        # A backend must not tie a resource to each thread that used it: a study runs new
        # worker threads for every optimize() call, and 24 threads may be alive at once.
        storage.create_study("s", [_MIN])
        n_alive, n_waves = 24, 2
        errors: list[BaseException] = []

        def work(t: int, barrier: threading.Barrier) -> None:
            try:
                storage.append("s", [AttrSet(t, "k", t)])
                barrier.wait()  # every thread of the wave is alive and has used the storage
                storage.read("s", since=0)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        for wave in range(n_waves):
            barrier = threading.Barrier(n_alive, timeout=20)
            threads = [
                threading.Thread(target=work, args=(wave * n_alive + t, barrier))
                for t in range(n_alive)
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=30)
            assert not errors, errors
            assert not any(th.is_alive() for th in threads), "a thread hung"
        assert len(storage.read("s")) == n_alive * n_waves

    # -- replay ----------------------------------------------------------------------------------

    def test_replaying_the_log_rebuilds_the_trials(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        batches = _scripted_study()
        known = 0
        for k, batch in enumerate(batches):
            if k % 2:
                known = storage.append("s", batch, [f"batch:{k}"])
            else:
                known = storage.append("s", batch)
        written = [e for batch in batches for e in batch]
        assert known == len(written)

        expected = _replay("s", written)
        rebuilt = _replay("s", storage.read("s"))
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
