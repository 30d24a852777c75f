"""The storage interface: a named, append-only event log per study.

A backend implements six methods. Contract, for every backend:

- **Thread- and process-safe.** Any number of threads (and, for SQL backends, processes and
  machines) may call any method at once.
- **Append-only and ordered.** ``append`` gives the study's events consecutive sequence numbers
  1, 2, 3, … and never changes or drops an event once ``append`` has returned; ``read(since=s)``
  returns every event with a sequence number above ``s``, in order, with no gaps.
- **Claims.** An append may take ``claims``: keys such as ``"trial:42"`` (the trial number 42)
  or ``"state:7:3"`` (the third state change of trial 7). A key is taken at most once per study,
  for good: the append writes its events and takes its keys only if no earlier append of the
  study took any of them, and only if none of its ``unless`` keys is taken; otherwise it raises
  ``StorageConflictError`` and writes nothing. Appends with no claims in common never refuse
  each other, so a tell or a heartbeat never makes a claim of the next trial number fail. This
  is how a trial number, a waiting trial or a paused trial's resumption is taken exactly once.
  Keys are non-empty strings of at most ``MAX_CLAIM_LENGTH`` characters; what they mean is the
  caller's business (``rheostat.study._claims``).
- **Durable.** Once ``append`` returns, the events survive the writing process being killed.
- **Data only.** Events are stored as JSON; nothing is pickled.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rheostat.storage._events import Event
from rheostat.trial import Direction

__all__ = ["MAX_CLAIM_LENGTH", "Storage", "StudyInfo", "check_claims"]

MAX_CLAIM_LENGTH = 200


@dataclass(frozen=True)
class StudyInfo:
    """What a storage keeps of a study besides its events."""

    name: str
    directions: tuple[Direction, ...]
    created_at: float


class Storage(ABC):
    """A set of named studies, each an append-only event log. See the module docstring."""

    @abstractmethod
    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        """Create an empty study; ``DuplicatedStudyError`` if the name is taken."""

    @abstractmethod
    def get_study(self, name: str) -> StudyInfo:
        """The study called ``name``; ``StudyNotFoundError`` if there is none."""

    @abstractmethod
    def list_studies(self) -> list[StudyInfo]:
        """All studies, oldest first."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete a study and its events; ``StudyNotFoundError`` if there is none."""

    @abstractmethod
    def append(
        self,
        study: str,
        events: Sequence[Event],
        claims: Collection[str] = (),
        *,
        unless: Collection[str] = (),
    ) -> int:
        """Append ``events`` atomically and take the keys in ``claims``; return the sequence
        number of the last event (the study's last sequence number when ``events`` is empty).

        ``StorageConflictError`` (nothing written, no key taken) if an earlier append of this
        study took a key in ``claims`` or in ``unless``. ``StudyNotFoundError`` if the study
        does not exist; ``ValueError`` for a key that is not a string of 1 to
        ``MAX_CLAIM_LENGTH`` characters; ``TypeError`` for an event JSON cannot hold.
        """

    @abstractmethod
    def read(self, study: str, since: int = 0) -> list[Event]:
        """The events after sequence number ``since``, in order (the first is ``since + 1``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the storage must not be used afterwards."""

    @property
    def url(self) -> str:
        """A display form of where the data lives, with any password masked."""
        return f"<{type(self).__name__}>"

    def worker_url(self) -> str | None:
        """The URL another process or machine opens to share this storage, password included
        (never print it); ``None`` when it cannot be shared (in memory)."""
        return None


def check_claims(claims: Collection[str], unless: Collection[str]) -> tuple[list[str], list[str]]:
    """``claims`` and ``unless`` as lists without repeats; ``ValueError`` for a bad key."""
    if isinstance(claims, str) or isinstance(unless, str):
        raise TypeError(
            f"claims={claims!r}, unless={unless!r}: pass a list of keys, e.g. ['trial:42']"
        )
    for key in (*claims, *unless):
        if not isinstance(key, str) or not 0 < len(key) <= MAX_CLAIM_LENGTH:
            raise ValueError(
                f"claim key {key!r}: a claim is a str of 1 to {MAX_CLAIM_LENGTH} characters, "
                "e.g. 'trial:42'"
            )
    return list(dict.fromkeys(claims)), list(dict.fromkeys(unless))
