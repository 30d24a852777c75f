"""The in-memory backend: a dict of lists behind a lock. Fast; gone when the process ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from rheostat.exceptions import DuplicatedStudyError, StorageConflictError, StudyNotFoundError
from rheostat.storage._base import Storage, StudyInfo, check_claims
from rheostat.storage._events import AttrSet, Event, decode_event, encode_event
from rheostat.trial import Direction

__all__ = ["InMemoryStorage"]


@dataclass
class _Study:
    info: StudyInfo
    log: list[Event] = field(default_factory=list)
    claims: set[str] = field(default_factory=set)


class InMemoryStorage(Storage):
    """Studies held in this process's memory. Thread-safe; not shared between processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[str, _Study] = {}

    @property
    def url(self) -> str:
        return "memory"

    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        with self._lock:
            if name in self._studies:
                raise DuplicatedStudyError(
                    f"a study named {name!r} already exists in memory; pass load_if_exists=True "
                    "to continue it, or choose another name"
                )
            info = StudyInfo(name, tuple(directions), time.time())
            self._studies[name] = _Study(info)
            return info

    def _get(self, name: str) -> _Study:
        try:
            return self._studies[name]
        except KeyError:
            raise StudyNotFoundError(
                f"no study named {name!r} in memory; known studies: {sorted(self._studies)}"
            ) from None

    def get_study(self, name: str) -> StudyInfo:
        with self._lock:
            return self._get(name).info

    def list_studies(self) -> list[StudyInfo]:
        with self._lock:
            return [s.info for s in self._studies.values()]

    def delete_study(self, name: str) -> None:
        with self._lock:
            self._get(name)
            del self._studies[name]

    def append(
        self,
        study: str,
        events: Sequence[Event],
        claims: Collection[str] = (),
        *,
        unless: Collection[str] = (),
    ) -> int:
        keys, guards = check_claims(claims, unless)
        # Only attributes carry arbitrary user values: check those as a SQL backend would (the
        # same TypeError), and keep a JSON copy so a later change to the caller's dict is not
        # seen in the history. Other events hold only numbers, strings and distributions.
        events = [
            AttrSet(e.number, e.key, decode_event(encode_event(e)).value, e.system)  # type: ignore[union-attr]
            if isinstance(e, AttrSet)
            else e
            for e in events
        ]
        with self._lock:
            found = self._get(study)
            taken = [k for k in (*keys, *guards) if k in found.claims]
            if taken:
                raise StorageConflictError(f"study {study!r}: {', '.join(taken)} already taken")
            found.claims.update(keys)
            found.log.extend(events)
            return len(found.log)

    def read(self, study: str, since: int = 0) -> list[Event]:
        with self._lock:
            return self._get(study).log[since:]
