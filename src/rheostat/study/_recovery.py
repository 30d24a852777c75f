"""Nothing lost when a worker dies: heartbeats, failing lost trials, and retrying them.

- A ``Heartbeater`` thread per study object appends a ``Heartbeat`` for each of its running
  trials every ``heartbeat_interval`` seconds, and stops when it has none.
- Whichever worker notices a ``RUNNING`` trial whose last sign of life (heartbeat, or start) is
  older than ``grace_period`` fails it, with the reason stored. A trial of a process on this host
  that no longer exists is failed at once.
- A failed lost trial is retried with the same parameters while it has retries left
  (``max_retries``): the retry is a new ``WAITING`` trial whose system attribute ``retry_of``
  names the trial it repeats. Failing and enqueueing go in one append that claims the lost
  trial's next state change and the retry's number (``_claims``), so two workers noticing the
  same loss retry it once, and a trial whose worker tells its result meanwhile is not failed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from rheostat.exceptions import StorageConflictError
from rheostat.storage import AttrSet, Event, Heartbeat, StateChanged, TrialCreated
from rheostat.study._claims import change_key, trial_key
from rheostat.trial import TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = [
    "Heartbeater",
    "fail_dead_local_workers",
    "fail_own_running",
    "fail_stale_trials",
    "worker_is_dead",
]

logger = logging.getLogger("rheostat")

HOST = socket.gethostname()
_MAX_ATTEMPTS = 100


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_is_dead(worker_id: str) -> bool:
    """Whether ``worker_id`` (``host:pid:token``) names a process on this host that is gone."""
    host, _, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _pid_alive(pid)


class Heartbeater:
    """Beats for the running trials of one study object, in a daemon thread."""

    def __init__(self, study: Study, interval: float | None) -> None:
        self._study = study
        self._interval = interval
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Make sure the thread runs (called when a trial starts)."""
        if self._interval is None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="rheostat-heartbeat", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        interval = self._interval
        assert interval is not None  # poke() starts no thread without one
        idle = 0
        while True:
            time.sleep(interval)
            numbers = self._study._live_running()
            if not numbers:
                idle += 1
                with self._lock:
                    if idle >= 2 and not self._study._live_running():
                        self._thread = None
                        return
                continue
            idle = 0
            now = time.time()
            try:
                self._study._write([Heartbeat(n, now) for n in numbers])
            except Exception as exc:  # a storage hiccup must not kill the heartbeat
                logger.warning("heartbeat of study %r failed: %s", self._study.study_name, exc)


def _retry_events(study: Study, record: TrialRecord, number: int) -> list[Event]:
    """A WAITING copy of ``record`` with the same parameters, if it has retries left."""
    count = int(record.system_attrs.get("retry_count", 0))
    if count >= study._max_retries:
        return []
    fixed = {**(record.system_attrs.get("fixed_params") or {}), **record.params}
    proposal = record.system_attrs.get("proposal")
    return [
        TrialCreated(
            number,
            TrialState.WAITING,
            time.time(),
            fixed_params=fixed,
            proposal=dict(proposal) if proposal else None,
            budget=record.budget,
        ),
        AttrSet(number, "retry_of", record.number, system=True),
        AttrSet(number, "retry_count", count + 1, system=True),
    ]


def _fail(study: Study, pick: Callable[[TrialRecord], str | None], *, retry: bool) -> list[int]:
    """Fail every RUNNING trial for which ``pick`` gives a reason; retry it if allowed.

    One append per attempt, claiming each failed trial's next state change and each retry's
    number, so a trial is failed and retried once however many workers notice it. Returns the
    numbers failed by this call.
    """
    with study._lock:
        for _ in range(_MAX_ATTEMPTS):
            study._sync()
            state = study._state
            now = time.time()
            events: list[Event] = []
            claims: list[str] = []
            failed: list[int] = []
            next_number = state.n_trials
            for number in sorted(state.running):
                record = state.trial(number)
                reason = pick(record)
                if reason is None:
                    continue
                events.append(StateChanged(number, TrialState.FAILED, now, message=reason))
                claims.append(change_key(state, number))
                failed.append(number)
                if retry:
                    extra = _retry_events(study, record, next_number)
                    if extra:
                        claims.append(trial_key(next_number))
                        next_number += 1
                        events += extra
            if not events:
                return []
            try:
                study._write(events, claims)
            except StorageConflictError:
                continue
            for number in failed:
                logger.warning(
                    "trial %d of study %r failed: %s",
                    number,
                    study.study_name,
                    state.trial(number).message,
                )
            return failed
    return []


def fail_stale_trials(study: Study) -> list[int]:
    """Fail (and retry) running trials with no sign of life for longer than the grace period."""
    grace = study._grace_period
    if grace is None:
        return []
    now = time.time()

    def pick(record: TrialRecord) -> str | None:
        if record.number in study._live_running():
            return None  # ours, and alive: this process beats for it
        seen = record.last_heartbeat or record.datetime_start
        if seen is None or now - seen <= grace:
            return None
        return (
            f"no heartbeat from its worker {record.worker_id} for {now - seen:.1f} s (grace "
            f"period {grace:g} s): the worker is presumed dead"
        )

    return _fail(study, pick, retry=True)


def fail_dead_local_workers(study: Study) -> list[int]:
    """Fail (and retry) the running trials of processes on this host that no longer exist."""

    def pick(record: TrialRecord) -> str | None:
        if record.worker_id is None or not worker_is_dead(record.worker_id):
            return None
        return f"its worker {record.worker_id} is gone: the process ended while the trial ran"

    return _fail(study, pick, retry=True)


def fail_own_running(study: Study, reason: str, keep: Collection[int] = ()) -> list[int]:
    """Fail every running trial of this study object but those in ``keep`` (after Ctrl-C,
    the trials it ran before ``optimize`` began, e.g. asked by hand); no retry.

    Every other one, not only those whose objective had started: Ctrl-C may land between the
    claim that created a trial and the runner noting it, and the trial must not stay RUNNING
    until another worker finds its process gone."""

    def pick(record: TrialRecord) -> str | None:
        if record.worker_id == study._worker_id and record.number not in keep:
            return reason
        return None

    return _fail(study, pick, retry=False)
