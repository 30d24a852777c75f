"""The SQL backend's hot path: append and read on raw DBAPI connections.

SQLAlchemy builds the engine, the schema and the rare statements; the statements that run on
every trial go straight to the driver, which makes an append several times cheaper. On SQLite
each call checks a connection out of the engine's pool (so the PRAGMAs apply) and returns it at
once (~10 µs): a connection kept per thread would never return to the pool when its thread
ends, and the sixteenth thread would wait for the pool's timeout. On a server the pool pings
the server on every checkout, a round trip as dear as the statement itself; so the hot path
keeps its own stack of idle connections (in autocommit, taken out of the engine's pool, shared
by all threads, at most ``_MAX_IDLE`` kept), and a call that finds its connection closed (the
server restarted, a proxy or ``pg_terminate_backend`` closed it while it idled) retries once on
a new one. (Only a server that dies between committing an append and answering leaves the
outcome unknown; the retry then finds its claims taken and reports a conflict.)

An append, in one transaction:

1. ``UPDATE rheostat_studies SET last_seq = last_seq + n … RETURNING id, last_seq`` allocates
   the sequence numbers and locks the study's row until the commit (PostgreSQL: a ``FOR NO KEY
   UPDATE`` lock, which foreign-key checks do not wait for; SQLite: ``BEGIN IMMEDIATE`` already
   holds the write lock). Appends to one study therefore commit in sequence order, so a reader
   never sees event ``s + 1`` before event ``s``, and a refused or failed append rolls its
   numbers back: the sequence stays gap-free.
2. If any key in ``claims`` or ``unless`` is in ``rheostat_claims`` (primary key
   ``(study_id, claim)``), the append is refused: rolled back, ``StorageConflictError``.
   Otherwise the claims are inserted. Claims are only written under the row lock of step 1, so
   the check sees every claim committed before.
3. The events are inserted; the primary key ``(study_id, seq)`` of ``rheostat_events`` is a
   last guard (a collision aborts the append).

On PostgreSQL, steps 1-3 are one call of the server-side function ``rheostat_append`` (created
with the schema), run in autocommit: one round trip per append, and the row lock is held only
while the function runs. Reads are one statement too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from rheostat.exceptions import StorageConflictError, StudyNotFoundError

__all__ = ["PG_APPEND_FUNCTION", "DBAPIPath"]

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_NOT_FOUND = "RS404"  # SQLSTATEs raised by rheostat_append
_REFUSED = "RS409"
_UNIQUE_VIOLATION = "23505"
_MAX_IDLE = 16

# The append of steps 1-3 above, for PostgreSQL. Every value is a parameter; the study name is
# only ever compared with a column.
PG_APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION rheostat_append(
    p_name text, p_payloads text[], p_claims text[], p_unless text[],
    OUT o_study integer, OUT o_last integer
) LANGUAGE plpgsql AS $$
DECLARE
    v_n integer := cardinality(p_payloads);
    v_taken text;
    v_key text;
BEGIN
    UPDATE rheostat_studies SET last_seq = last_seq + v_n WHERE name = p_name
        RETURNING id, last_seq INTO o_study, o_last;
    IF o_study IS NULL THEN
        RAISE EXCEPTION 'no such study' USING ERRCODE = 'RS404';
    END IF;
    IF cardinality(p_claims) + cardinality(p_unless) > 0 THEN
        -- One primary-key probe per key: a single "claim = ANY (...)" was planned as a scan of
        -- all the study's claims, so an append grew slower as the study grew.
        FOREACH v_key IN ARRAY p_claims || p_unless LOOP
            IF EXISTS (SELECT 1 FROM rheostat_claims
                       WHERE study_id = o_study AND claim = v_key) THEN
                v_taken := concat_ws(', ', v_taken, v_key);
            END IF;
        END LOOP;
        IF v_taken IS NOT NULL THEN
            RAISE EXCEPTION '% already taken', v_taken USING ERRCODE = 'RS409';
        END IF;
        INSERT INTO rheostat_claims (study_id, claim, seq)
            SELECT o_study, k, o_last FROM unnest(p_claims) AS k;
    END IF;
    INSERT INTO rheostat_events (study_id, seq, payload)
        SELECT o_study, o_last - v_n + u.o, u.p FROM unnest(p_payloads) WITH ORDINALITY AS u (p, o);
END
$$
"""


class DBAPIPath:
    """Appends with claims and incremental reads of ``rheostat_events``, thread-safe."""

    def __init__(self, engine: Engine, *, sqlite: bool) -> None:
        style = engine.dialect.paramstyle
        p = _PLACEHOLDERS.get(style)
        if p is None:
            raise ValueError(f"the database driver's paramstyle {style!r} is not supported")
        self._engine = engine
        self._sqlite = sqlite
        self._p = p
        dbapi: Any = engine.dialect.dbapi
        self._dbapi_error: type[Exception] = dbapi.Error
        self._operational_error: type[Exception] = dbapi.OperationalError
        self._idle: list[Any] = []  # server connections in autocommit, most recent last
        self._idle_lock = threading.Lock()
        self._sql_exists = f"SELECT 1 FROM rheostat_studies WHERE name = {p}"
        self._sql_read = (
            "SELECT payload FROM rheostat_events WHERE study_id = "
            f"(SELECT id FROM rheostat_studies WHERE name = {p}) AND seq > {p} ORDER BY seq"
        )
        self._sql_pg_append = (
            f"SELECT o_study, o_last FROM rheostat_append({p}, {p}::text[], {p}::text[], "
            f"{p}::text[])"
        )
        self._sql_bump = (
            f"UPDATE rheostat_studies SET last_seq = last_seq + {p} WHERE name = {p} "
            "RETURNING id, last_seq"
        )
        self._sql_claim = (
            f"INSERT INTO rheostat_claims (study_id, claim, seq) VALUES ({p}, {p}, {p})"
        )
        self._sql_insert = (
            f"INSERT INTO rheostat_events (study_id, seq, payload) VALUES ({p}, {p}, {p})"
        )

    def _conn(self) -> Any:
        return self._engine.raw_connection()

    @contextlib.contextmanager
    def _server_conn(self, fresh: bool = False) -> Iterator[Any]:
        """An autocommit connection from the idle stack (or a new one), put back afterwards
        unless it broke. ``fresh``: a new one, not one that may have gone stale."""
        conn = None
        if not fresh:
            with self._idle_lock:
                conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._engine.raw_connection()  # pinged by the pool: good now
            new: Any = conn.driver_connection
            new.autocommit = True
        try:
            yield conn
        finally:
            driver = conn.driver_connection
            if driver is None or driver.closed or not driver.autocommit:
                self._drop(conn)  # broken, or left inside a transaction
            else:
                self._keep(conn)

    def _keep(self, conn: Any) -> None:
        with self._idle_lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                return
        self._give_back(conn)

    def _give_back(self, conn: Any) -> None:
        with contextlib.suppress(Exception):
            conn.driver_connection.autocommit = False  # as SQLAlchemy expects it
        self._put_back(conn)

    def _dropped(self, exc: BaseException, conn_closed: bool) -> bool:
        """Whether ``exc`` says the connection was gone before the statement ran."""
        return isinstance(exc, self._operational_error) and conn_closed

    @staticmethod
    def _put_back(conn: Any) -> None:
        with contextlib.suppress(Exception):  # an invalidated connection is already back
            conn.close()

    @staticmethod
    def _drop(conn: Any) -> None:
        with contextlib.suppress(Exception):  # the connection is already broken
            conn.invalidate()

    def append(
        self,
        study: str,
        payloads: Sequence[str],
        claims: Sequence[str] = (),
        unless: Sequence[str] = (),
        also: Callable[[Any, int, int], None] | None = None,
    ) -> int:
        """Append ``payloads`` after the study's last event and take ``claims`` (refused if
        any key of ``claims`` or ``unless`` is taken); return the new last sequence number.

        ``also(cursor, study_id, last)`` runs in the same transaction, after the insert, with
        the sequence number before it (it keeps the trials table up to date); what it raises
        aborts the append. With no payloads it still runs, under the study's row lock."""
        if self._sqlite:
            return self._append_sqlite(study, payloads, claims, unless, also)
        return self._append_server(study, payloads, claims, unless, also)

    def _append_sqlite(
        self,
        study: str,
        payloads: Sequence[str],
        claims: Sequence[str],
        unless: Sequence[str],
        also: Callable[[Any, int, int], None] | None,
    ) -> int:
        conn = self._conn()
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(self._sql_bump, (len(payloads), study))
            row = cur.fetchone()
            if row is None:
                raise StudyNotFoundError(f"no study named {study!r}")
            study_id, last = int(row[0]), int(row[1])
            keys = [*claims, *unless]
            if keys:
                marks = ", ".join([self._p] * len(keys))
                cur.execute(
                    "SELECT claim FROM rheostat_claims WHERE study_id = "
                    f"{self._p} AND claim IN ({marks})",
                    (study_id, *keys),
                )
                taken = sorted(r[0] for r in cur.fetchall())
                if taken:
                    raise StorageConflictError(f"{', '.join(taken)} already taken")
                cur.executemany(self._sql_claim, [(study_id, k, last) for k in claims])
            first = last - len(payloads)
            if payloads:
                cur.executemany(
                    self._sql_insert,
                    [(study_id, first + i + 1, p) for i, p in enumerate(payloads)],
                )
            if also is not None:
                also(cur, study_id, first)
            cur.execute("COMMIT")
            return last
        except BaseException:
            try:
                if conn.in_transaction:
                    cur.execute("ROLLBACK")
            except Exception:  # report the first error; drop the connection
                self._drop(conn)
            raise
        finally:
            cur.close()
            self._put_back(conn)

    def _append_server(
        self,
        study: str,
        payloads: Sequence[str],
        claims: Sequence[str],
        unless: Sequence[str],
        also: Callable[[Any, int, int], None] | None,
    ) -> int:
        params = (study, list(payloads), list(claims), list(unless))
        for attempt in range(2):
            with self._server_conn(fresh=attempt > 0) as conn:
                driver = conn.driver_connection
                cur = conn.cursor()
                try:
                    if also is not None:
                        # Not committed before ``also`` has run (alone, the call is its own
                        # transaction: one round trip).
                        driver.autocommit = False
                    cur.execute(self._sql_pg_append, params)
                    study_id, last = cur.fetchone()
                    if also is not None:
                        also(cur, int(study_id), int(last) - len(payloads))
                        conn.commit()
                        driver.autocommit = True
                    return int(last)
                except self._dbapi_error as exc:
                    if attempt == 0 and self._dropped(exc, driver.closed):
                        continue  # a stale connection: once more on a new one
                    self._rollback(conn)
                    self._raise_append_error(exc, study)
                    raise
                except BaseException:
                    self._rollback(conn)
                    raise
                finally:
                    cur.close()
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _raise_append_error(exc: BaseException, study: str) -> None:
        state = getattr(exc, "sqlstate", None)
        if state == _NOT_FOUND:
            raise StudyNotFoundError(f"no study named {study!r}") from None
        if state == _REFUSED:
            detail = getattr(getattr(exc, "diag", None), "message_primary", None)
            raise StorageConflictError(str(detail or "a claim is already taken")) from None
        if state == _UNIQUE_VIOLATION:
            raise StorageConflictError(
                "another writer stored these sequence numbers or claims first"
            ) from None

    def _rollback(self, conn: Any) -> None:
        try:
            conn.rollback()
            conn.driver_connection.autocommit = True
        except Exception:  # report the first error; the connection is dropped
            with contextlib.suppress(Exception):
                conn.driver_connection.close()

    def read(self, study: str, since: int) -> list[str]:
        """The payloads after sequence ``since``, in order."""
        if self._sqlite:
            conn = self._conn()
            try:
                return self._read(conn, study, since)
            except StudyNotFoundError:
                raise
            except BaseException:
                self._drop(conn)
                raise
            finally:
                self._put_back(conn)
        for attempt in range(2):
            with self._server_conn(fresh=attempt > 0) as conn:
                try:
                    return self._read(conn, study, since)
                except self._operational_error as exc:
                    if attempt == 0 and self._dropped(exc, conn.driver_connection.closed):
                        continue  # a stale connection: once more on a new one
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, conn: Any, study: str, since: int) -> list[str]:
        cur = conn.cursor()
        try:
            cur.execute(self._sql_read, (study, since))
            rows = cur.fetchall()
            if not rows:
                cur.execute(self._sql_exists, (study,))
                if cur.fetchone() is None:
                    raise StudyNotFoundError(f"no study named {study!r}")
            return [r[0] for r in rows]
        finally:
            cur.close()

    def close(self) -> None:
        """Return the idle server connections to the engine's pool."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self._give_back(conn)
