"""Turn a storage URL into a backend."""

from __future__ import annotations

from rheostat.storage._base import Storage
from rheostat.storage._memory import InMemoryStorage

__all__ = ["open_storage"]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")


def open_storage(storage: str | Storage | None) -> Storage:
    """A backend for ``storage``: ``None`` or ``"memory"`` (in memory), ``sqlite:///path.db``,
    ``postgresql://…``, or a ``Storage`` instance (returned as it is)."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if not isinstance(storage, str):
        raise TypeError(
            f"storage={storage!r} is not a URL; pass None, 'sqlite:///study.db' or a Storage"
        )
    if storage in ("memory", "memory://"):
        return InMemoryStorage()
    scheme = storage.split(":", 1)[0].split("+", 1)[0].lower() if ":" in storage else ""
    if scheme in _SQL_SCHEMES:
        if scheme == "sqlite" and not storage.startswith("sqlite:///"):
            raise ValueError(
                f"storage={storage!r}: a SQLite URL needs three slashes, e.g. "
                "'sqlite:///study.db' (relative) or 'sqlite:////abs/path/study.db'"
            )
        from rheostat.storage._sql import SQLStorage  # SQLAlchemy loads only when needed

        return SQLStorage(storage)
    hint = f"'sqlite:///{storage}'" if storage.endswith((".db", ".sqlite", ".sqlite3")) else (
        "'sqlite:///study.db'"
    )
    raise ValueError(
        f"storage={storage!r}: unknown storage URL (scheme {scheme or 'missing'!r}); use None "
        f"for memory, {hint} for a SQLite file, or 'postgresql://user@host/db'"
    )
