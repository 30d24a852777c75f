"""The storage interface: a named, append-only event log per study.

A backend implements six methods. Contract, for every backend:

- **Thread- and process-safe.** Any number of threads (and, for SQL backends, processes and
  machines) may call any method at once.
- **Append-only and ordered.** ``append`` gives the study's events consecutive sequence numbers
  1, 2, 3, … and never changes or drops an event once ``append`` has returned; ``read(since=s)``
  returns every event with a sequence number above ``s``, in order, with no gaps.
- **Conditional append.** With ``expect_seq``, ``append`` writes only if the study's last sequence
  number is still ``expect_seq``, and raises ``StorageConflictError`` otherwise (nothing written).
  This is how a trial number, a grid point or a waiting trial is claimed exactly once.
- **Durable.** Once ``append`` returns, the events survive the writing process being killed.
- **Data only.** Events are stored as JSON; nothing is pickled.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from rheostat.storage._events import Event
from rheostat.trial import Direction

__all__ = ["Storage", "StudyInfo"]


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
    def append(self, study: str, events: Sequence[Event], expect_seq: int | None = None) -> int:
        """Append ``events`` atomically; return the sequence number of the last one.

        With ``expect_seq``, append only if the study's last sequence number equals it, else
        raise ``StorageConflictError``. ``StudyNotFoundError`` if the study does not exist.
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
