"""The SQLite backend: its file format, its URLs and errors, and many processes on one file."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from rheostat.exceptions import RheostatError, StorageConflictError, StudyNotFoundError
from rheostat.storage import AttrSet, InMemoryStorage, SQLStorage, open_storage
from rheostat.storage._sql import SCHEMA_VERSION
from rheostat.testing import check_race, race_appends
from rheostat.trial import Direction


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


def test_file_is_in_wal_mode_and_holds_the_schema_version(db: Path) -> None:
    storage = SQLStorage(f"sqlite:///{db}")
    try:
        storage.create_study("s", [Direction.MINIMIZE])
        storage.append("s", [AttrSet(None, "k", 1)])
    finally:
        storage.close()
    assert _query(db, "PRAGMA journal_mode") == [("wal",)]
    assert _query(db, "SELECT version FROM rheostat_schema") == [(SCHEMA_VERSION,)]
    assert _query(db, "SELECT name FROM rheostat_studies") == [("s",)]
    assert _query(db, "SELECT seq, payload FROM rheostat_events") == [
        (1, '{"e":"attr","n":null,"k":"k","v":1,"sys":false}')
    ]


def test_reopening_keeps_studies_and_events(db: Path) -> None:
    url = f"sqlite:///{db}"
    first = SQLStorage(url)
    try:
        first.create_study("s", [Direction.MAXIMIZE])
        first.append("s", [AttrSet(None, "k", [1, "two"])])
    finally:
        first.close()
    second = open_storage(url)
    try:
        assert isinstance(second, SQLStorage)
        assert second.get_study("s").directions == (Direction.MAXIMIZE,)
        assert second.read("s") == [AttrSet(None, "k", [1, "two"])]
        assert _query(db, "SELECT version FROM rheostat_schema") == [(SCHEMA_VERSION,)]
    finally:
        second.close()


def test_two_storages_on_one_file_see_each_other(db: Path) -> None:
    a, b = SQLStorage(f"sqlite:///{db}"), SQLStorage(f"sqlite:///{db}")
    try:
        a.create_study("s", [Direction.MINIMIZE])
        assert a.append("s", [AttrSet(None, "from a", 1)]) == 1
        assert a.append("s", [], ["trial:0"]) == 1
        assert b.append("s", [AttrSet(None, "from b", 2)], ["trial:1"]) == 2
        with pytest.raises(StorageConflictError, match="trial:0"):
            b.append("s", [AttrSet(None, "lost", 2)], ["trial:0"])  # a took it
        assert [e.key for e in a.read("s") if isinstance(e, AttrSet)] == ["from a", "from b"]
        # b deletes the study and creates a new one of the same name: a must see the new one.
        b.delete_study("s")
        with pytest.raises(StudyNotFoundError, match="'s'"):
            a.read("s")
        b.create_study("s", [Direction.MAXIMIZE])
        b.append("s", [AttrSet(None, "new", 3)])
        assert a.read("s") == [AttrSet(None, "new", 3)]
        assert a.append("s", [AttrSet(None, "new from a", 4)]) == 2
        assert len(b.read("s")) == 2
    finally:
        a.close()
        b.close()


def test_a_newer_schema_version_is_refused(db: Path) -> None:
    url = f"sqlite:///{db}"
    SQLStorage(url).close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE rheostat_schema SET version = ?", (SCHEMA_VERSION + 1,))
        conn.commit()
    with pytest.raises(RheostatError) as info:
        SQLStorage(url)
    message = str(info.value)
    assert str(db) in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert "upgrade rheostat" in message
    # Refusing must not touch the file.
    assert _query(db, "SELECT version FROM rheostat_schema") == [(SCHEMA_VERSION + 1,)]


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("redis://localhost:6379/0", ["redis://localhost:6379/0", "'redis'", "sqlite:///"]),
        ("sqlite://x.db", ["sqlite://x.db", "three slashes", "'sqlite:///study.db'"]),
        ("study.db", ["'study.db'", "'sqlite:///study.db'"]),
        ("", ["scheme 'missing'", "sqlite:///"]),
    ],
)
def test_open_storage_errors_name_the_url_and_the_fix(url: str, fragments: list[str]) -> None:
    with pytest.raises(ValueError, match=r"^storage=") as info:
        open_storage(url)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_open_storage_in_a_missing_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/x.db"
    with pytest.raises(RheostatError) as info:
        open_storage(url)
    assert url in str(info.value)
    assert "folder exists" in str(info.value)
    assert not (tmp_path / "no").exists()


def test_open_storage_kinds(db: Path) -> None:
    assert isinstance(open_storage(None), InMemoryStorage)
    assert isinstance(open_storage("memory"), InMemoryStorage)
    memory = InMemoryStorage()
    assert open_storage(memory) is memory
    with pytest.raises(TypeError, match="not a URL"):
        open_storage(db)  # type: ignore[arg-type]
    for url in (f"sqlite:///{db}", f"sqlite+pysqlite:///{db}"):
        storage = open_storage(url)
        try:
            assert isinstance(storage, SQLStorage)
            assert storage.url == url
        finally:
            storage.close()


def test_url_masks_the_password() -> None:
    # SQLStorage.url on a PostgreSQL URL, without a server: call the property on a stand-in.
    raw = "postgresql+psycopg2://alice:s3cr%40t-pw@db.example.com:5432/hpo"
    shown = SQLStorage.url.fget(SimpleNamespace(_url=sa.engine.make_url(raw)))  # type: ignore[attr-defined]
    assert "s3cr" not in shown
    assert "alice" in shown
    assert "db.example.com:5432/hpo" in shown


def test_open_storage_errors_mask_the_password() -> None:
    with pytest.raises(ValueError, match="unknown storage URL") as info:
        open_storage("postgresq://alice:s3cret@db.example.com/hpo")  # a typo in the scheme
    assert "s3cret" not in str(info.value)
    assert "alice" in str(info.value)


def test_many_processes_append_to_one_file(tmp_path: Path) -> None:
    n_procs, n_appends = 4, 100
    db = tmp_path / "x.db"
    url = f"sqlite:///{db}"
    storage = SQLStorage(url)
    try:
        storage.create_study("s", [Direction.MINIMIZE])
        conflicts = race_appends(url, "s", n_procs=n_procs, n_appends=n_appends, folder=tmp_path)
        assert conflicts > 0, "the processes never raced: the test checked nothing concurrent"
        check_race(storage, "s", n_procs=n_procs, n_appends=n_appends)
    finally:
        storage.close()
    seqs = [row[0] for row in _query(db, "SELECT seq FROM rheostat_events ORDER BY seq")]
    assert seqs == list(range(1, n_procs * n_appends // 2 + n_appends // 2 + 1))
    assert _query(db, "SELECT last_seq FROM rheostat_studies") == [(seqs[-1],)]
