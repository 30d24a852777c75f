"""Storage conformance, part two: claims (taken once, ``unless``, bad keys), studies' separate
logs and claims, and many threads appending at once. ``StorageConformance`` gathers the parts."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from rheostat.exceptions import StorageConflictError
from rheostat.storage import AttrSet, Event, Heartbeat, Storage
from rheostat.testing._storage_events import assert_same_events, attr
from rheostat.trial import Direction

__all__ = ["ClaimConformance"]

_MIN = Direction.MINIMIZE
_MAX = Direction.MAXIMIZE


def _run_threads(
    threads: list[threading.Thread], errors: list[BaseException], timeout: float, hung: str
) -> None:
    """Start ``threads``, wait ``timeout`` seconds for each, and fail with what they raised
    (``errors``) or, for one still running, with ``hung``."""
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=timeout)
    assert not errors, errors
    assert not any(th.is_alive() for th in threads), hung


class ClaimConformance:
    """Tests of a backend's claims and its appends from many threads (see
    ``StorageConformance``)."""

    # -- claims ----------------------------------------------------------------------------------

    def test_a_claim_is_taken_once(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", [attr("a")], ["trial:0"]) == 1
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [attr("lost")], ["trial:0"])
        # A refused append writes nothing and takes none of its claims.
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [attr("lost"), attr("lost too")], ["trial:1", "trial:0"])
        assert storage.append("s", [attr("b"), attr("c")], ["trial:1"]) == 3
        # Appends with no claim in common never refuse each other; repeated keys count once.
        assert storage.append("s", [attr("d")]) == 4
        assert storage.append("s", [attr("e")], ["state:0:1", "state:1:1", "state:0:1"]) == 5
        with pytest.raises(StorageConflictError, match="state:1:1"):
            storage.append("s", [attr("lost")], ["state:1:1"])
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == list("abcde")

    def test_unless_refuses_when_a_key_is_taken(self, storage: Storage) -> None:
        storage.create_study("s", [_MIN])
        assert storage.append("s", [attr("a")], ["trial:0"], unless=["finished"]) == 1
        assert storage.append("s", [attr("b")], unless=["trial:1"]) == 2  # not taken
        assert storage.append("s", [attr("fin")], ["finished"]) == 3
        with pytest.raises(StorageConflictError, match="finished"):
            storage.append("s", [attr("lost")], ["trial:1"], unless=["finished"])
        with pytest.raises(StorageConflictError, match="trial:0"):
            storage.append("s", [attr("lost")], unless=["trial:0"])
        # ``unless`` takes nothing, and the refused append did not take trial:1.
        assert storage.append("s", [attr("c")], ["trial:1"]) == 4
        assert storage.append("s", [attr("d")], unless=["trial:2"]) == 5
        assert storage.append("s", [attr("e")], ["trial:2"]) == 6
        assert [e.key for e in storage.read("s") if isinstance(e, AttrSet)] == [
            "a", "b", "fin", "c", "d", "e"
        ]  # fmt: skip

    @pytest.mark.parametrize("bad", ["", "k" * 201, 5, None, b"trial:0"])
    def test_bad_claim_keys_are_refused(self, storage: Storage, bad: Any) -> None:
        storage.create_study("s", [_MIN])
        with pytest.raises(ValueError, match="claim"):
            storage.append("s", [attr("no")], ["ok", bad])
        with pytest.raises(ValueError, match="claim"):
            storage.append("s", [attr("no")], unless=[bad])
        with pytest.raises(TypeError, match="list"):
            storage.append("s", [attr("no")], "trial:0")
        assert storage.read("s") == []
        assert storage.append("s", [attr("yes")], ["ok", "k" * 200]) == 1

    # -- isolation and concurrency ---------------------------------------------------------------

    def test_studies_have_independent_logs(self, storage: Storage) -> None:
        storage.create_study("a", [_MIN])
        storage.create_study("b", [_MAX])
        assert storage.append("a", [attr("a1")]) == 1
        assert storage.append("b", [attr("b1"), attr("b2")]) == 2
        assert storage.append("a", [attr("a2")], ["trial:0"]) == 2
        assert storage.append("b", [attr("b3")], ["trial:0"]) == 3  # a's claim, not b's
        with pytest.raises(StorageConflictError):
            storage.append("b", [attr("b?")], ["trial:0"])
        assert_same_events(storage.read("a"), [attr("a1"), attr("a2")])
        assert_same_events(storage.read("b", since=1), [attr("b2"), attr("b3")])
        storage.delete_study("a")
        assert_same_events(storage.read("b"), [attr("b1"), attr("b2"), attr("b3")])
        # A study created again under a deleted name has no claims.
        storage.create_study("a", [_MIN])
        assert storage.append("a", [attr("again")], ["trial:0"]) == 1

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
        _run_threads(threads, errors, 60, "an append hung")

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
            _run_threads(threads, errors, 30, "a thread hung")
        assert len(storage.read("s")) == n_alive * n_waves
