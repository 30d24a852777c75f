"""Turn a storage URL into a backend."""

from __future__ import annotations

import re

from rheostat.storage._base import Storage
from rheostat.storage._memory import InMemoryStorage

__all__ = ["open_storage"]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql")
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***``, for error messages."""
    return _PASSWORD.sub(r"\1***@", url)


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
    shown = _masked(storage)
    if storage in ("memory", "memory://"):
        return InMemoryStorage()
    scheme = storage.split(":", 1)[0].split("+", 1)[0].lower() if ":" in storage else ""
    if scheme == "postgres":  # SQLAlchemy 2 knows only the long name
        storage = "postgresql" + storage[len("postgres") :]
        scheme = "postgresql"
    if scheme in _SQL_SCHEMES:
        if scheme == "sqlite" and not storage.partition(":")[2].startswith("///"):
            raise ValueError(
                f"storage={shown!r}: a SQLite URL needs three slashes, e.g. "
                "'sqlite:///study.db' (relative) or 'sqlite:////abs/path/study.db'"
            )
        from rheostat.storage._sql import SQLStorage  # SQLAlchemy loads only when needed

        try:
            return SQLStorage(storage)
        except ModuleNotFoundError as exc:
            extra = "postgres" if scheme in ("postgresql", "postgres") else "sql driver"
            raise ImportError(
                f"storage={_masked(storage)!r} needs the database driver {exc.name!r}: "
                f"pip install 'rheostat[{extra}]'"
                if extra == "postgres"
                else f"storage={_masked(storage)!r} needs the database driver {exc.name!r}; "
                "install it with pip"
            ) from None
    hint = (
        f"'sqlite:///{shown}'"
        if storage.endswith((".db", ".sqlite", ".sqlite3"))
        else ("'sqlite:///study.db'")
    )
    raise ValueError(
        f"storage={shown!r}: unknown storage URL (scheme {scheme or 'missing'!r}); use None "
        f"for memory, {hint} for a SQLite file, or 'postgresql://user@host/db'"
    )
