"""The SQL backend on SQLAlchemy Core: SQLite (the embedded default) and PostgreSQL.

Tables: ``rheostat_schema`` (one row: the schema version); ``rheostat_studies``, whose
``last_seq`` is the sequence number of each study's last event (since schema version 3);
``rheostat_events`` (primary key ``(study_id, seq)``); since version 2 ``rheostat_trials``, one
row per trial for ``query_trials``, and ``rheostat_trials_seq``, the last event each study's rows
include (see ``_trials``); since version 3 ``rheostat_claims`` (primary key
``(study_id, claim)``): the keys appends have taken, each with the sequence number of the append
that took it. How an append allocates numbers and takes claims is in ``_dbapi``; on PostgreSQL
it is the server-side function ``rheostat_append``, created with the schema.

Opening an older database migrates it under the schema lock, one version at a time (1 -> 2
fills the trials table; 2 -> 3 adds ``last_seq`` from each study's log, the claims table and the
function). Stop workers of an older rheostat before upgrading: they would not keep ``last_seq``.
SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed append survives the process
being killed, and readers never block the writer. PostgreSQL runs on psycopg 3 (a bare
``postgresql://`` URL means ``postgresql+psycopg://``); processes that open a fresh database at
once create the schema under a transaction-scoped advisory lock, one after the other. Every
statement is parameterized; a study name is only ever data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from rheostat.exceptions import (
    DuplicatedStudyError,
    RheostatError,
    StorageConflictError,
    StudyNotFoundError,
)
from rheostat.storage._base import MAX_CLAIM_LENGTH, Storage, StudyInfo, check_claims
from rheostat.storage._dbapi import PG_APPEND_FUNCTION, DBAPIPath
from rheostat.storage._events import Event, decode_event, encode_event
from rheostat.storage._trials import TrialsTable, TrialSummary
from rheostat.trial import Direction, TrialState

__all__ = ["SCHEMA_VERSION", "SQLStorage"]

SCHEMA_VERSION = 3

_SCHEMA_LOCK = int.from_bytes(b"rheostat", "big")  # a PostgreSQL advisory lock key
# Many worker threads check a connection out for each call and return it at once: keep a few
# idle, open more under bursts, and ping before use so a restarted server costs no failed trial.
_SERVER_POOL = {"pool_pre_ping": True, "pool_size": 8, "max_overflow": 32, "pool_timeout": 60}

_metadata = sa.MetaData()
_schema = sa.Table("rheostat_schema", _metadata, sa.Column("version", sa.Integer, nullable=False))
_studies = sa.Table(
    "rheostat_studies",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("directions", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),  # version 3
)


def _study_key() -> sa.Column[int]:
    """The ``study_id`` part of a per-study table's primary key."""
    return sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("rheostat_studies.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


_events = sa.Table(
    "rheostat_events",
    _metadata,
    _study_key(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("payload", sa.Text, nullable=False),
)
_trials = sa.Table(  # schema version 2; columns as in _trials._COLUMNS
    "rheostat_trials",
    _metadata,
    _study_key(),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("values_json", sa.Text),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("user_attrs_json", sa.Text, nullable=False),
    sa.Column("datetime_start", sa.Float),
    sa.Column("datetime_complete", sa.Float),
    sa.Column("last_heartbeat", sa.Float),
    sa.Column("worker_id", sa.Text),
    sa.Column("message", sa.Text),
)
_trials_seq = sa.Table(  # schema version 2: the last event each study's rows include
    "rheostat_trials_seq",
    _metadata,
    _study_key(),
    sa.Column("seq", sa.Integer, nullable=False),
)


_claims = sa.Table(  # schema version 3: the keys appends have taken (see _dbapi)
    "rheostat_claims",
    _metadata,
    _study_key(),
    sa.Column("claim", sa.String(MAX_CLAIM_LENGTH), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
)


def _sqlite_setup(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock on an upgrade.
        immediate = conn.get_execution_options().get("rheostat_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _engine_url(url: sa.URL) -> sa.URL:
    """``url`` with PostgreSQL's driver made explicit: psycopg 3, not SQLAlchemy's psycopg2."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername.startswith("postgres+"):
        return url.set(drivername="postgresql" + url.drivername[len("postgres") :])
    return url


class SQLStorage(Storage):
    """Studies in a SQL database named by a SQLAlchemy URL: ``sqlite:///study.db`` or
    ``postgresql://user:password@host:5432/db`` (psycopg 3; ``pip install 'rheostat[postgres]'``).

    Safe to share between threads, processes and (for PostgreSQL) machines. ``url`` shows the
    URL with its password masked, and no error message holds the password.

    ``query_trials`` reads the materialized trials table. With ``update_trials_on_append=True``
    every append also updates the rows of the trials it touches (for a dashboard that queries
    constantly; it costs each append about a third to a half more); by default a query brings
    the table up to date first. Processes may differ in this setting: the table stays exact.
    """

    def __init__(
        self,
        url: str,
        *,
        engine_kwargs: dict[str, Any] | None = None,
        update_trials_on_append: bool = False,
    ) -> None:
        self._url = sa.engine.make_url(url)
        self._update_trials = update_trials_on_append
        engine_url = _engine_url(self._url)
        kwargs: dict[str, Any] = dict(engine_kwargs or {})
        self._is_sqlite = self._url.get_backend_name() == "sqlite"
        if self._is_sqlite:
            kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 60})
            # Every use of a connection ends its own transaction (COMMIT or ROLLBACK), so the
            # pool's rollback on return is a wasted statement on the hot path.
            kwargs.setdefault("pool_reset_on_return", None)
        elif "poolclass" not in kwargs:
            kwargs = {**_SERVER_POOL, **kwargs}
        try:
            self._engine = sa.create_engine(engine_url, **kwargs)
        except ModuleNotFoundError as exc:
            fix = (
                "pip install 'rheostat[postgres]'"
                if exc.name == "psycopg" or engine_url.drivername == "postgresql+psycopg"
                else "install it with pip"
            )
            raise ImportError(
                f"storage {self.url} needs the database driver {exc.name!r}: {fix}"
            ) from None
        if self._is_sqlite:
            _sqlite_setup(self._engine)
        self._writer = self._engine.execution_options(rheostat_write=True)
        self._fast = DBAPIPath(self._engine, sqlite=self._is_sqlite)
        self._table = TrialsTable(self._engine.dialect.paramstyle)
        try:
            self._init_schema()
        except BaseException as exc:
            self._engine.dispose()  # release the file (and the pool) before the error
            if not isinstance(exc, sa.exc.OperationalError):
                raise
            reason = str(exc.orig)
            if self._url.password:
                reason = reason.replace(str(self._url.password), "***")
            hint = (
                "check that the folder exists and is writable"
                if self._is_sqlite
                else "check that the server is running and accepts this user and password"
            )
            raise RheostatError(f"cannot open storage {self.url}: {reason}; {hint}") from None

    @property
    def url(self) -> str:
        return self._url.render_as_string(hide_password=True)

    def worker_url(self) -> str | None:
        if self._is_sqlite and self._url.database in (None, "", ":memory:"):
            return None  # an in-memory database lives in this process only
        return self._url.render_as_string(hide_password=False)

    def _init_schema(self) -> None:
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Processes opening a fresh database at once would race in CREATE TABLE; this
                # lock makes them take turns, and the commit releases it. (SQLite: BEGIN
                # IMMEDIATE already does.)
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            _metadata.create_all(conn, checkfirst=True)  # new tables; never alters old ones
            version = conn.execute(sa.select(_schema.c.version)).scalar()
            if version is not None and version > SCHEMA_VERSION:
                raise RheostatError(
                    f"storage {self.url} has schema version {version}, newer than this "
                    f"rheostat's {SCHEMA_VERSION}; upgrade rheostat"
                )
            if version is None:
                conn.execute(_schema.insert().values(version=SCHEMA_VERSION))
            else:
                if version == 1:
                    self._migrate_1_to_2(conn)
                if version <= 2:
                    self._migrate_2_to_3(conn)
            if conn.dialect.name == "postgresql":  # replaced on every opening: it follows
                # this rheostat's code, and the call is cheap
                cur = conn.connection.cursor()  # no parameters: its '%' is not a placeholder
                try:
                    cur.execute(PG_APPEND_FUNCTION)
                finally:
                    cur.close()

    def _migrate_1_to_2(self, conn: Connection) -> None:
        """Fill the new trials table by replaying each study's log (under the schema lock)."""
        cur = conn.connection.cursor()
        try:
            for sid in conn.execute(sa.select(_studies.c.id)).scalars().all():
                self._table.catch_up(cur, int(sid))
        finally:
            cur.close()
        conn.execute(_schema.update().values(version=2))

    @staticmethod
    def _migrate_2_to_3(conn: Connection) -> None:
        """Add ``rheostat_studies.last_seq``, set from each study's log (under the schema lock;
        ``create_all`` has made the claims table). Conditional appends of version 2 claimed
        nothing, so the claims table starts empty."""
        conn.exec_driver_sql(
            "ALTER TABLE rheostat_studies ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0"
        )
        last = (
            sa.select(sa.func.coalesce(sa.func.max(_events.c.seq), 0))
            .where(_events.c.study_id == _studies.c.id)
            .scalar_subquery()
        )
        conn.execute(_studies.update().values(last_seq=last))
        conn.execute(_schema.update().values(version=3))

    def close(self) -> None:
        self._fast.close()
        self._engine.dispose()

    def _not_found(self, name: str) -> StudyNotFoundError:
        return StudyNotFoundError(
            f"no study named {name!r} in {self.url}; list them with "
            f"`rheostat studies --storage {self.url}`"
        )

    @staticmethod
    def _info(row: Any) -> StudyInfo:
        dirs = tuple(Direction(d) for d in json.loads(row.directions))
        return StudyInfo(row.name, dirs, row.created_at)

    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        created = time.time()
        dirs = json.dumps([d.value for d in directions])
        try:
            with self._writer.begin() as conn:
                conn.execute(
                    _studies.insert().values(name=name, directions=dirs, created_at=created)
                )
        except sa.exc.IntegrityError:
            raise DuplicatedStudyError(
                f"a study named {name!r} already exists in {self.url}; pass "
                "load_if_exists=True to continue it, or choose another name"
            ) from None
        return StudyInfo(name, tuple(directions), created)

    def get_study(self, name: str) -> StudyInfo:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(_studies.c.name, _studies.c.directions, _studies.c.created_at).where(
                    _studies.c.name == name
                )
            ).first()
        if row is None:
            raise self._not_found(name)
        return self._info(row)

    def list_studies(self) -> list[StudyInfo]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_studies.c.name, _studies.c.directions, _studies.c.created_at).order_by(
                    _studies.c.id
                )
            ).all()
        return [self._info(r) for r in rows]

    def delete_study(self, name: str) -> None:
        with self._writer.begin() as conn:
            sid = self._study_id(conn, name)
            conn.execute(_trials.delete().where(_trials.c.study_id == sid))
            conn.execute(_trials_seq.delete().where(_trials_seq.c.study_id == sid))
            conn.execute(_claims.delete().where(_claims.c.study_id == sid))
            conn.execute(_events.delete().where(_events.c.study_id == sid))
            conn.execute(_studies.delete().where(_studies.c.id == sid))

    def _study_id(self, conn: Connection, name: str) -> int:
        sid = conn.execute(sa.select(_studies.c.id).where(_studies.c.name == name)).scalar()
        if sid is None:
            raise self._not_found(name)
        return int(sid)

    def append(
        self,
        study: str,
        events: Sequence[Event],
        claims: Collection[str] = (),
        *,
        unless: Collection[str] = (),
    ) -> int:
        keys, guards = check_claims(claims, unless)
        payloads = [encode_event(e) for e in events]

        def update_trials(cur: Any, study_id: int, last: int) -> None:
            self._table.update(cur, study_id, last, events)

        also = update_trials if self._update_trials else None
        try:
            return self._fast.append(study, payloads, keys, guards, also)
        except StudyNotFoundError:
            raise self._not_found(study) from None
        except StorageConflictError as exc:
            raise StorageConflictError(f"study {study!r}: {exc}") from None

    def read(self, study: str, since: int = 0) -> list[Event]:
        try:
            payloads = self._fast.read(study, since)
        except StudyNotFoundError:
            raise self._not_found(study) from None
        return [decode_event(p) for p in payloads]

    def query_trials(
        self, study: str, states: Sequence[TrialState] | None = None
    ) -> list[TrialSummary]:
        """The study's trials from the materialized table, in number order (only those in
        ``states`` when given), without replaying the whole log: the table first catches up
        with the events appended since it was last updated, under the study's write lock.
        ``StudyNotFoundError`` if the study does not exist."""
        found: list[TrialSummary] = []

        def catch_up_and_read(cur: Any, study_id: int, _last: int) -> None:
            self._table.catch_up(cur, study_id)
            found[:] = [r.summary() for r in self._table.query(cur, study_id, states)]

        try:
            self._fast.append(study, [], also=catch_up_and_read)
        except StudyNotFoundError:
            raise self._not_found(study) from None
        return found
