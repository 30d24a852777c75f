"""The SQL backend's hot path: append and read on raw DBAPI connections.

SQLAlchemy builds the engine, the schema and the rare statements; the statements that run on
every trial go straight to the driver, which makes an append several times cheaper. Each call
checks a connection out of the engine's pool (so SQLite's PRAGMAs apply) and returns it at once
(~10 µs): a connection kept per thread would never return to the pool when its thread ends, and
the sixteenth thread would wait for the pool's timeout.

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
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from rheostat.exceptions import StorageConflictError, StudyNotFoundError

__all__ = ["PG_APPEND_FUNCTION", "DBAPIPath"]

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_NOT_FOUND = "RS404"  # SQLSTATEs raised by rheostat_append
_REFUSED = "RS409"
_UNIQUE_VIOLATION = "23505"

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
BEGIN
    UPDATE rheostat_studies SET last_seq = last_seq + v_n WHERE name = p_name
        RETURNING id, last_seq INTO o_study, o_last;
    IF o_study IS NULL THEN
        RAISE EXCEPTION 'no such study' USING ERRCODE = 'RS404';
    END IF;
    IF cardinality(p_claims) + cardinality(p_unless) > 0 THEN
        SELECT string_agg(claim, ', ') INTO v_taken FROM rheostat_claims
            WHERE study_id = o_study AND (claim = ANY (p_claims) OR claim = ANY (p_unless));
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
        self._dbapi_error: type[Exception] = engine.dialect.dbapi.Error  # type: ignore[union-attr]
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
        conn = self._conn()
        driver = conn.driver_connection
        # Alone, the call is its own transaction (one round trip); with ``also`` it is not
        # committed before ``also`` has run.
        driver.autocommit = also is None
        cur = conn.cursor()
        try:
            cur.execute(self._sql_pg_append, (study, list(payloads), list(claims), list(unless)))
            study_id, last = cur.fetchone()
            if also is not None:
                also(cur, int(study_id), int(last) - len(payloads))
                conn.commit()
            return int(last)
        except self._dbapi_error as exc:
            self._rollback(conn)
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
            raise
        except BaseException:
            self._rollback(conn)
            raise
        finally:
            cur.close()
            with contextlib.suppress(Exception):
                driver.autocommit = False  # as SQLAlchemy expects it on its next checkout
            self._put_back(conn)

    def _rollback(self, conn: Any) -> None:
        try:
            conn.rollback()
        except Exception:  # report the first error; drop the connection
            self._drop(conn)

    def read(self, study: str, since: int) -> list[str]:
        """The payloads after sequence ``since``, in order."""
        conn = self._conn()
        driver = conn.driver_connection
        if not self._sqlite:
            driver.autocommit = True  # one statement: no transaction to end
        cur = conn.cursor()
        try:
            cur.execute(self._sql_read, (study, since))
            rows = cur.fetchall()
            if not rows:
                cur.execute(self._sql_exists, (study,))
                if cur.fetchone() is None:
                    raise StudyNotFoundError(f"no study named {study!r}")
            return [r[0] for r in rows]
        except StudyNotFoundError:
            raise
        except BaseException:
            self._drop(conn)
            raise
        finally:
            cur.close()
            if not self._sqlite:
                with contextlib.suppress(Exception):
                    driver.autocommit = False
            self._put_back(conn)

    def close(self) -> None:
        """Nothing to release: every call returns its connection to the pool."""
