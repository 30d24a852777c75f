"""A database of schema version 2 (rheostat before claims) opens, migrates to the current
version and keeps working: its studies continue with contiguous trial numbers and a gap-free
log. On SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import rheostat
from rheostat.exceptions import StorageConflictError
from rheostat.storage import AttrSet, InMemoryStorage, encode_event
from rheostat.storage._sql import SCHEMA_VERSION, SQLStorage
from rheostat.trial import TrialState

# The tables SQLAlchemy created for schema version 2 (as dumped from a SQLite file made by it).
_V2_DDL = [
    "CREATE TABLE rheostat_schema (version INTEGER NOT NULL)",
    "CREATE TABLE rheostat_studies (id {serial} NOT NULL, name VARCHAR(512) NOT NULL, "
    "directions TEXT NOT NULL, created_at FLOAT NOT NULL, PRIMARY KEY (id), UNIQUE (name))",
    "CREATE TABLE rheostat_events (study_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "payload TEXT NOT NULL, PRIMARY KEY (study_id, seq), FOREIGN KEY(study_id) REFERENCES "
    "rheostat_studies (id) ON DELETE CASCADE)",
    "CREATE TABLE rheostat_trials (study_id INTEGER NOT NULL, number INTEGER NOT NULL, "
    "state VARCHAR(16) NOT NULL, values_json TEXT, params_json TEXT NOT NULL, "
    "user_attrs_json TEXT NOT NULL, datetime_start FLOAT, datetime_complete FLOAT, "
    "last_heartbeat FLOAT, worker_id TEXT, message TEXT, PRIMARY KEY (study_id, number), "
    "FOREIGN KEY(study_id) REFERENCES rheostat_studies (id) ON DELETE CASCADE)",
    "CREATE TABLE rheostat_trials_seq (study_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY (study_id), FOREIGN KEY(study_id) REFERENCES rheostat_studies (id) "
    "ON DELETE CASCADE)",
    "INSERT INTO rheostat_schema (version) VALUES (2)",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("postgres_db"))


def _objective(trial: rheostat.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    return x * x


def _old_log() -> list[str]:
    """The log of a study as version 2 wrote it: finished trials, a running one (its worker
    gone) and an enqueued one still waiting."""
    memory = InMemoryStorage()
    study = rheostat.create_study(study_name="old", storage=memory, seed=3)
    study.optimize(_objective, n_trials=6)
    study.ask()  # left running
    study.enqueue_trial({"x": 0.5})
    return [encode_event(e) for e in memory.read("old")]


def _write_version_2(engine: sa.Engine, payloads: list[str]) -> None:
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        for statement in _V2_DDL:
            conn.execute(sa.text(statement.format(serial=serial)))
        for name, log in (("old", payloads), ("empty", [])):
            sid = conn.execute(
                sa.text(
                    "INSERT INTO rheostat_studies (name, directions, created_at) "
                    "VALUES (:n, '[\"minimize\"]', 0) RETURNING id"
                ),
                {"n": name},
            ).scalar_one()
            for seq, payload in enumerate(log, 1):
                conn.execute(
                    sa.text("INSERT INTO rheostat_events VALUES (:s, :q, :p)"),
                    {"s": sid, "q": seq, "p": payload},
                )


def test_a_version_2_database_opens_and_keeps_working(url: str) -> None:
    payloads = _old_log()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        _write_version_2(engine, payloads)
        storage = SQLStorage(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT version FROM rheostat_schema")).scalar() == 3
                rows = conn.execute(sa.text("SELECT name, last_seq FROM rheostat_studies")).all()
                last = {str(name): int(seq) for name, seq in rows}
            assert SCHEMA_VERSION == 3
            assert last == {"old": len(payloads), "empty": 0}
            # Plain appends continue the log; claims work from the migration on.
            assert storage.append("empty", [AttrSet(None, "a", 1)], ["k"]) == 1
            with pytest.raises(StorageConflictError):
                storage.append("empty", [AttrSet(None, "b", 2)], ["k"])

            study = rheostat.load_study("old", storage)
            before = study.trials
            assert [t.state for t in before].count(TrialState.COMPLETE) == 6
            study.optimize(_objective, n_trials=4)
            trials = study.trials
            assert [t.number for t in trials] == list(range(len(before) + 3))
            assert trials[7].params == {"x": 0.5}  # the enqueued trial ran first
            assert all(t.state is TrialState.COMPLETE for t in trials[7:])
            assert [t.state for t in trials[:7]] == [t.state for t in before[:7]]
            with engine.connect() as conn:
                seqs = list(
                    conn.execute(
                        sa.text(
                            "SELECT e.seq FROM rheostat_events e JOIN rheostat_studies s "
                            "ON s.id = e.study_id WHERE s.name = 'old' ORDER BY e.seq"
                        )
                    ).scalars()
                )
            assert seqs == list(range(1, len(seqs) + 1))
            assert storage.query_trials("old")[7].params == {"x": 0.5}
        finally:
            storage.close()
        reopened = SQLStorage(url)  # a second opening finds the current version: no change
        try:
            assert len(rheostat.load_study("old", reopened).trials) == len(trials) == 11
        finally:
            reopened.close()
    finally:
        engine.dispose()
