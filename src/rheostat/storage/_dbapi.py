"""The SQL backend's hot path: append and read on raw DBAPI connections.

SQLAlchemy builds the engine, the schema and the rare statements; the two statements that run on
every trial go straight to the driver, which makes an append several times cheaper. Each call
checks a connection out of the engine's pool (so SQLite's PRAGMAs apply) and returns it at once
(~10 µs): a connection kept per thread would never return to the pool when its thread ends, and
the sixteenth thread would wait for the pool's timeout.

On a server database, appenders to one study take turns: each locks the study's row
(PostgreSQL: ``FOR NO KEY UPDATE``, which foreign-key checks do not wait for) before reading
the last sequence number, so writers queue instead of all inserting the same number, failing and
retrying. The primary key stays the compare-and-set: an insert that still collides (a writer
that does not lock) raises ``IntegrityError``, which aborts the transaction; it is rolled back
and the append retried, or reported as a conflict when it was conditional.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from rheostat.exceptions import StorageConflictError, StudyNotFoundError

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
        self._sql_sid = f"SELECT id FROM rheostat_studies WHERE name = {p}"
        self._sql_sid_lock = self._sql_sid + (
            " FOR NO KEY UPDATE" if engine.dialect.name == "postgresql" else ""
        )
        self._sql_last = f"SELECT COALESCE(MAX(seq), 0) FROM rheostat_events WHERE study_id = {p}"
        self._sql_head = (
            "SELECT s.id, COALESCE((SELECT MAX(e.seq) FROM rheostat_events e "
            f"WHERE e.study_id = s.id), 0) FROM rheostat_studies s WHERE s.name = {p}"
        )
        self._sql_insert = (
            f"INSERT INTO rheostat_events (study_id, seq, payload) VALUES ({p}, {p}, {p})"
        )
        self._sql_read = (
            f"SELECT payload FROM rheostat_events WHERE study_id = {p} AND seq > {p} ORDER BY seq"
        )

    def _conn(self) -> Any:
        return self._engine.raw_connection()

    @staticmethod
    def _put_back(conn: Any) -> None:
        with contextlib.suppress(Exception):  # an invalidated connection is already back
            conn.close()

    @staticmethod
    def _drop(conn: Any) -> None:
        with contextlib.suppress(Exception):  # the connection is already broken
            conn.invalidate()

    def _study_id(self, cur: Any, study: str, *, lock: bool = False) -> int:
        # Looked up every time (it costs microseconds): a cached id would go stale when another
        # process deletes the study, or deletes it and creates another of the same name.
        cur.execute(self._sql_sid_lock if lock else self._sql_sid, (study,))
        row = cur.fetchone()
        if row is None:
            raise StudyNotFoundError(f"no study named {study!r}")
        return int(row[0])

    def _head(self, cur: Any, study: str) -> tuple[int, int]:
        """The study's id and last sequence number, inside the append's transaction."""
        if self._sqlite:  # one statement: the write lock is already ours (BEGIN IMMEDIATE)
            cur.execute(self._sql_head, (study,))
            row = cur.fetchone()
            if row is None:
                raise StudyNotFoundError(f"no study named {study!r}")
            return int(row[0]), int(row[1])
        study_id = self._study_id(cur, study, lock=True)
        cur.execute(self._sql_last, (study_id,))
        return study_id, int(cur.fetchone()[0])

    def append(
        self,
        study: str,
        payloads: Sequence[str],
        expect_seq: int | None,
        also: Callable[[Any, int, int], None] | None = None,
    ) -> int:
        """Append ``payloads`` after the study's last event; return the new last sequence.

        ``also(cursor, study_id, last)`` runs in the same transaction, after the insert, with
        the sequence number before it (it keeps the trials table up to date); what it raises
        aborts the append. With no payloads it still runs, under the study's write lock."""
        for _ in range(_MAX_RETRIES):
            conn = self._conn()
            cur = conn.cursor()
            try:
                if self._sqlite:
                    cur.execute("BEGIN IMMEDIATE")
                study_id, last = self._head(cur, study)
                if expect_seq is not None and last != expect_seq:
                    self._rollback(conn, cur)
                    raise StorageConflictError(f"the study is at sequence {last}, not {expect_seq}")
                if payloads:
                    cur.executemany(
                        self._sql_insert,
                        [(study_id, last + i + 1, p) for i, p in enumerate(payloads)],
                    )
                if also is not None:
                    also(cur, study_id, last)
                self._commit(conn, cur)
                return last + len(payloads)
            except StudyNotFoundError:
                self._rollback(conn, cur)
                raise
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
                    self._drop(conn)
                raise
            finally:
                cur.close()
                self._put_back(conn)
        raise StorageConflictError("could not append: too much contention")

    def read(self, study: str, since: int) -> list[str]:
        """The payloads after sequence ``since``, in order."""
        conn = self._conn()
        cur = conn.cursor()
        try:
            cur.execute(self._sql_read, (self._study_id(cur, study), since))
            rows = cur.fetchall()
            if not self._sqlite:
                conn.commit()  # end the implicit read transaction
            return [r[0] for r in rows]
        except StudyNotFoundError:
            if not self._sqlite:
                conn.rollback()
            raise
        except BaseException:
            self._drop(conn)
            raise
        finally:
            cur.close()
            self._put_back(conn)

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
        """Nothing to release: every call returns its connection to the pool."""
