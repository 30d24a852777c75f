"""The SQL backend on PostgreSQL: conformance, many processes, URLs and passwords, whole studies.

Every test that needs a server gets a fresh database on a private one (``tests/conftest.py``);
without PostgreSQL installed they are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import rheostat
from rheostat.exceptions import RheostatError, StorageConflictError, StudyNotFoundError
from rheostat.storage import AttrSet, Storage, open_storage
from rheostat.storage._sql import SCHEMA_VERSION, SQLStorage
from rheostat.testing import StorageConformance, check_race, race_appends
from rheostat.trial import Direction, TrialState

_MIN = [Direction.MINIMIZE]


def _query(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read straight from the database, past rheostat."""
    import psycopg

    u = sa.make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    ) as conn:
        cur = conn.execute(sql, params or None)
        return cur.fetchall() if cur.description else []


class TestPostgreSQLStorage(StorageConformance):
    @pytest.fixture
    def storage(self, postgres_db: str) -> Iterator[Storage]:
        backend = SQLStorage(postgres_db)
        yield backend
        backend.close()


# -- URLs, drivers, schema ------------------------------------------------------------------------


def test_bare_postgresql_urls_use_psycopg_3(postgres_db: str) -> None:
    rest = postgres_db.split("://", 1)[1]
    for scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        storage = open_storage(f"{scheme}://{rest}")
        try:
            assert isinstance(storage, SQLStorage)
            assert storage._engine.dialect.driver == "psycopg"
            storage.create_study(scheme, _MIN)
            assert storage.append(scheme, [AttrSet(None, "k", 1)]) == 1
        finally:
            storage.close()
    assert _query(postgres_db, "SELECT version FROM rheostat_schema") == [(SCHEMA_VERSION,)]
    assert _query(postgres_db, "SELECT name FROM rheostat_studies ORDER BY id") == [
        ("postgresql",),
        ("postgres",),
        ("postgresql+psycopg",),
    ]


def test_many_storages_open_a_fresh_database_at_once(postgres_db: str) -> None:
    # Six engines at once (as six processes would): without the advisory lock, concurrent
    # CREATE TABLEs fail on PostgreSQL's catalog.
    n = 6
    barrier = threading.Barrier(n, timeout=30)
    errors: list[BaseException] = []

    def open_it(k: int) -> None:
        try:
            barrier.wait()
            storage = SQLStorage(postgres_db)
            try:
                with pytest.raises(StudyNotFoundError):
                    storage.read(f"nothing-{k}")
            finally:
                storage.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it, args=(k,)) for k in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert _query(postgres_db, "SELECT version FROM rheostat_schema") == [(SCHEMA_VERSION,)]


def test_reads_end_their_transaction_and_dropped_connections_are_replaced(
    postgres_db: str,
) -> None:
    storage = SQLStorage(postgres_db)
    try:
        storage.create_study("s", _MIN)
        storage.append("s", [AttrSet(None, "k", 1)])
        assert len(storage.read("s")) == 1
        with pytest.raises(StudyNotFoundError):
            storage.read("missing")
        db = sa.make_url(postgres_db).database
        states = _query(
            postgres_db,
            "SELECT state FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            db,
        )
        assert states, "the storage holds no pooled connection: the check saw nothing"
        assert {state for (state,) in states} == {"idle"}  # not "idle in transaction"

        # The server (or a proxy) drops every idle connection: the pool notices before use.
        _query(
            postgres_db,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            db,
        )
        assert storage.append("s", [AttrSet(None, "k", 2)]) == 2
        assert len(storage.read("s")) == 2
        assert storage.get_study("s").name == "s"
    finally:
        storage.close()


def test_missing_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # No server needed: the driver is imported before any connection is made.
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now fails
    with pytest.raises(ImportError) as info:
        open_storage("postgresql://alice:s3cret-pw@db.example.com/hpo")
    message = str(info.value)
    assert "pip install 'rheostat[postgres]'" in message
    assert "'psycopg'" in message
    assert "db.example.com" in message
    assert "s3cret-pw" not in message


# -- passwords -----------------------------------------------------------------------------------


def test_the_password_shows_nowhere(postgres_url: str, postgres_db: str) -> None:
    # The private server asks the role rheostat_pw (only) for a password over TCP.
    password = "pw-Zq8-s3cret"
    wrong = "wrong-Kx7-guess"
    admin = sa.make_url(postgres_url)
    db = sa.make_url(postgres_db).database
    _query(
        postgres_url,
        f"DO $$ BEGIN CREATE ROLE rheostat_pw LOGIN PASSWORD '{password}'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    )
    _query(postgres_url, f"ALTER DATABASE {db} OWNER TO rheostat_pw")
    good = admin.set(username="rheostat_pw", password=password, database=db)
    url = good.render_as_string(hide_password=False)
    assert password in url

    storage = open_storage(url)
    try:
        shown = storage.url
        assert password not in shown
        assert "rheostat_pw:***@127.0.0.1" in shown
        storage.create_study("s", _MIN)
        with pytest.raises(StudyNotFoundError) as missing:
            storage.read("no such study")
        assert password not in str(missing.value)
        assert shown in str(missing.value)
    finally:
        storage.close()

    bad = good.set(password=wrong).render_as_string(hide_password=False)
    for opener in (open_storage, SQLStorage):
        with pytest.raises(RheostatError) as failed:
            opener(bad)
        message = str(failed.value)
        assert wrong not in message
        assert password not in message
        assert "password authentication failed" in message
        assert "rheostat_pw:***@127.0.0.1" in message
        assert failed.value.__cause__ is None

    # The server refused the wrong password: nothing was written with it.
    assert _query(postgres_db, "SELECT name FROM rheostat_studies") == [("s",)]


# -- concurrency ---------------------------------------------------------------------------------


def test_an_uncommitted_append_holds_its_numbers_and_claims(postgres_db: str) -> None:
    # Another writer's append, in a transaction it has not committed (as with
    # update_trials_on_append), holds the study's row: our append waits for it. When it rolls
    # back, ours takes its sequence number (no gap) and its claim; when it commits, our append
    # of the same claim is refused, and nothing of ours is written.
    import psycopg

    storage = SQLStorage(postgres_db)
    try:
        storage.create_study("s", _MIN)
        u = sa.make_url(postgres_db)
        payload = '{"e":"attr","n":null,"k":"raw","v":1,"sys":false}'
        with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database) as raw:
            for key, finish, outcome in (("k1", "rollback", 1), ("k2", "commit", "refused")):
                results: list[object] = []
                raw.execute(
                    "SELECT * FROM rheostat_append(%s, %s::text[], %s::text[], %s::text[])",
                    ("s", [payload], [key], []),
                )

                def append(claim: str = key, out: list[object] = results) -> None:
                    try:
                        out.append(storage.append("s", [AttrSet(None, "ours", 2)], [claim]))
                    except StorageConflictError:
                        out.append("refused")

                writer = threading.Thread(target=append)
                writer.start()
                time.sleep(0.3)
                assert writer.is_alive(), "the append did not wait for the uncommitted one"
                getattr(raw, finish)()
                writer.join(timeout=30)
                assert results == [outcome]
        keys = [e.key for e in storage.read("s") if isinstance(e, AttrSet)]
        assert keys == ["ours", "raw"]
        assert storage.append("s", [AttrSet(None, "next", 3)], ["k3"]) == 3
        claims = _query(postgres_db, "SELECT claim, seq FROM rheostat_claims ORDER BY seq")
        assert claims == [("k1", 1), ("k2", 2), ("k3", 3)]
    finally:
        storage.close()


def test_many_processes_append_to_one_study(postgres_db: str, tmp_path: Path) -> None:
    n_procs, n_appends = 4, 100
    storage = SQLStorage(postgres_db)
    try:
        storage.create_study("s", _MIN)
        conflicts = race_appends(
            postgres_db, "s", n_procs=n_procs, n_appends=n_appends, folder=tmp_path, pause=0.0
        )
        assert conflicts > 0, "the processes never raced: the test checked nothing concurrent"
        check_race(storage, "s", n_procs=n_procs, n_appends=n_appends)
    finally:
        storage.close()
    seqs = [row[0] for row in _query(postgres_db, "SELECT seq FROM rheostat_events ORDER BY seq")]
    assert seqs == list(range(1, n_procs * n_appends // 2 + n_appends // 2 + 1))


# -- whole studies -------------------------------------------------------------------------------


def test_a_study_with_four_worker_threads(postgres_db: str) -> None:
    def objective(trial: rheostat.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        time.sleep(0.002)
        return (x - 1.0) ** 2

    study = rheostat.create_study(study_name="threads", storage=postgres_db, seed=3)
    try:
        study.optimize(objective, n_trials=60, n_workers=4)
        trials = study.trials
    finally:
        study.storage.close()
    assert sorted(t.number for t in trials) == list(range(60))
    assert all(t.state is TrialState.COMPLETE for t in trials), [t.message for t in trials]
    assert len({t.worker_id for t in trials}) == 1  # one study object: one worker id

    again = rheostat.load_study("threads", postgres_db)
    try:
        assert [t.number for t in again.trials] == list(range(60))
        assert again.best_value == min(t.values[0] for t in trials if t.values)
    finally:
        again.storage.close()
