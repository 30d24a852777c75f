"""Where studies live: an append-only event log per study, behind one small interface.

Backends: ``InMemoryStorage`` and ``SQLStorage`` (SQLite, PostgreSQL). ``open_storage(url)`` picks
one from a URL. ``StudyState`` rebuilds a study's trials by replaying its events.
"""

from rheostat.storage._base import Storage, StudyInfo
from rheostat.storage._events import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    TrialCreated,
    decode_event,
    encode_event,
)
from rheostat.storage._memory import InMemoryStorage
from rheostat.storage._state import StudyState
from rheostat.storage._trials import TrialSummary
from rheostat.storage._url import open_storage

__all__ = [
    "AttrSet",
    "Event",
    "Heartbeat",
    "InMemoryStorage",
    "ParamSet",
    "Reported",
    "SQLStorage",
    "StateChanged",
    "Storage",
    "StudyInfo",
    "StudyState",
    "TrialCreated",
    "TrialSummary",
    "decode_event",
    "encode_event",
    "open_storage",
]


def __getattr__(name: str) -> object:
    if name == "SQLStorage":  # lazy: importing SQLAlchemy costs ~0.1 s
        from rheostat.storage._sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module 'rheostat.storage' has no attribute {name!r}")
