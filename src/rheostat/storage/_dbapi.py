"""The SQL backend's hot path: append and read on raw DBAPI connections, one per thread.

SQLAlchemy builds the engine, the schema and the rare statements; the two statements that run on
every trial go straight to the driver, which makes an append several times cheaper. Each thread
keeps one connection (checked out of the engine's pool, so SQLite's PRAGMAs apply); ``close``
returns them all.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from rheostat.exceptions import StorageConflictError

__all__ = ["DBAPIPath"]

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_MAX_RETRIES = 50


class DBAPIPath:
    """Conditional appends and incremental reads of ``rheostat_events``, thread-safe."""

    def __init__(self, engine: Engine, *, sqlite: bool) -> None:
        style = engine.dialect.paramstyle
        p = _PLACEHOLDERS.get(style)
        if p is None:
            raise ValueError(f"the database driver's paramstyle {style!r} is not supported")
        self._engine = engine
        self._sqlite = sqlite
        self._integrity_error: type[Exception] = engine.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[Any] = []
        self._sql_last = f"SELECT COALESCE(MAX(seq), 0) FROM rheostat_events WHERE study_id = {p}"
        self._sql_insert = (
            f"INSERT INTO rheostat_events (study_id, seq, payload) VALUES ({p}, {p}, {p})"
        )
        self._sql_read = (
            f"SELECT payload FROM rheostat_events WHERE study_id = {p} AND seq > {p} ORDER BY seq"
        )

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = self._engine.raw_connection()
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._lock:
                self._conns.append(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            with contextlib.suppress(Exception):  # the connection is already broken
                conn.invalidate()

    def append(self, study_id: int, payloads: Sequence[str], expect_seq: int | None) -> int:
        """Append ``payloads`` after the study's last event; return the new last sequence."""
        for _ in range(_MAX_RETRIES):
            conn = self._conn()
            cur = conn.cursor()
            try:
                if self._sqlite:
                    cur.execute("BEGIN IMMEDIATE")
                cur.execute(self._sql_last, (study_id,))
                last = int(cur.fetchone()[0])
                if expect_seq is not None and last != expect_seq:
                    self._rollback(conn, cur)
                    raise StorageConflictError(f"the study is at sequence {last}, not {expect_seq}")
                if payloads:
                    cur.executemany(
                        self._sql_insert,
                        [(study_id, last + i + 1, p) for i, p in enumerate(payloads)],
                    )
                self._commit(conn, cur)
                return last + len(payloads)
            except StorageConflictError:
                raise
            except self._integrity_error:
                # Another writer took these sequence numbers first (server databases).
                self._rollback(conn, cur)
                if expect_seq is not None:
                    raise StorageConflictError(
                        f"the study moved past sequence {expect_seq}"
                    ) from None
            except BaseException:
                try:
                    self._rollback(conn, cur)
                except Exception:  # report the first error; drop the connection
                    self._drop()
                raise
            finally:
                cur.close()
        raise StorageConflictError("could not append: too much contention")

    def read(self, study_id: int, since: int) -> list[str]:
        """The payloads after sequence ``since``, in order."""
        conn = self._conn()
        cur = conn.cursor()
        try:
            cur.execute(self._sql_read, (study_id, since))
            rows = cur.fetchall()
            if not self._sqlite:
                conn.commit()  # end the implicit read transaction
            return [r[0] for r in rows]
        except BaseException:
            self._drop()
            raise
        finally:
            cur.close()

    def _commit(self, conn: Any, cur: Any) -> None:
        if self._sqlite:
            cur.execute("COMMIT")
        else:
            conn.commit()

    def _rollback(self, conn: Any, cur: Any) -> None:
        if self._sqlite:
            if conn.in_transaction:
                cur.execute("ROLLBACK")
        else:
            conn.rollback()

    def close(self) -> None:
        """Return every thread's connection to the pool."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(Exception):  # closing a dead connection
                conn.close()
        self._local = threading.local()
