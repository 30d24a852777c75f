"""The materialized trials table (schema version 2) matches the replayed log: after random
histories appended in random batches, after concurrent appends, and after migrating a
version 1 database (to the current version). On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rheostat.distributions import Float
from rheostat.storage import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    StudyState,
    TrialCreated,
    encode_event,
)
from rheostat.storage._sql import SCHEMA_VERSION, SQLStorage
from rheostat.trial import Direction, TrialState

_STATES = list(TrialState)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'x.db'}"
    return str(request.getfixturevalue("postgres_db"))


@pytest.fixture(params=[False, True], ids=["on-query", "on-append"])
def storage(url: str, request: pytest.FixtureRequest) -> Iterator[SQLStorage]:
    backend = SQLStorage(url, update_trials_on_append=request.param)
    try:
        yield backend
    finally:
        backend.close()


def _random_event(rng: random.Random, n: int, tag: str = "") -> Event:
    """A plausible event, often an invalid one (wrong number, illegal transition)."""
    number = rng.choice([*range(max(n, 1)), -1, n, n + 3]) if n else rng.choice([0, 1])
    kind = rng.random()
    if kind < 0.2:
        created = n if rng.random() < 0.85 else rng.choice([n + 1, max(n - 1, 0)])
        state = rng.choice([TrialState.RUNNING, TrialState.WAITING])
        return TrialCreated(created, state, rng.random(), worker_id=f"w{tag}{rng.randint(0, 3)}")
    if kind < 0.45:
        value = rng.choice([rng.random(), rng.randint(0, 9)])
        return ParamSet(number, rng.choice("abc"), value, Float(0.0, 10.0))
    if kind < 0.55:
        return Reported(number, rng.randint(0, 3), rng.random())
    if kind < 0.8:
        state = rng.choice(_STATES)
        values = None
        if state.is_finished() and rng.random() < 0.7:
            values = tuple(rng.choice([rng.random(), math.inf, -math.inf, math.nan]) for _ in "ab")
        message = "boom" if state is TrialState.FAILED else None
        return StateChanged(number, state, rng.random(), values, message, f"w{tag}")
    if kind < 0.9:
        return AttrSet(
            rng.choice([number, None]),
            rng.choice("xy"),
            {"v": rng.randint(0, 9)},
            rng.random() < 0.3,
        )
    return Heartbeat(number, rng.random())


def _random_history(rng: random.Random, length: int) -> list[Event]:
    events: list[Event] = []
    replay = StudyState("s", [Direction.MINIMIZE])
    for _ in range(length):
        event = _random_event(rng, replay.n_trials)
        replay.apply([event])
        events.append(event)
    return events


def _n_trials(events: list[Event]) -> int:
    replay = StudyState("s", [Direction.MINIMIZE])
    replay.apply(events)
    return replay.n_trials


def _assert_table_matches_log(storage: SQLStorage, study: str) -> int:
    replay = StudyState(study, [Direction.MINIMIZE])
    replay.apply(storage.read(study))
    table = storage.query_trials(study)
    assert [r.number for r in table] == list(range(replay.n_trials))
    for row, record in zip(table, replay.records(), strict=True):
        assert row.state is record.state, row.number
        assert repr(row.values) == repr(record.values), row.number  # nan == nan here
        assert row.params == record.params, row.number
        assert row.user_attrs == record.user_attrs, row.number
        assert row.datetime_start == record.datetime_start
        assert row.datetime_complete == record.datetime_complete
        assert row.last_heartbeat == record.last_heartbeat
        assert row.worker_id == record.worker_id
        assert row.message == record.message
    for state in _STATES:
        want = [r.number for r in replay.records() if r.state is state]
        assert [r.number for r in storage.query_trials(study, [state])] == want
    return replay.n_trials


@pytest.mark.parametrize("seed", range(4))
def test_random_histories_in_random_batches(storage: SQLStorage, seed: int) -> None:
    rng = random.Random(seed)
    storage.create_study("s", [Direction.MINIMIZE])
    storage.create_study("other", [Direction.MINIMIZE])  # its rows must not mix in
    history = _random_history(rng, 300)
    i = 0
    while i < len(history):
        size = rng.choice([1, 1, 2, 5, 20])
        storage.append("s", history[i : i + size])
        if rng.random() < 0.2:
            storage.append(
                "other", [TrialCreated(len(storage.query_trials("other")), TrialState.RUNNING, 0.0)]
            )
        i += size
    assert _assert_table_matches_log(storage, "s") > 10
    _assert_table_matches_log(storage, "other")


def test_concurrent_appends(storage: SQLStorage) -> None:
    storage.create_study("s", [Direction.MINIMIZE])
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        rng = random.Random(100 + k)
        try:
            for _ in range(40):
                n = len(storage.query_trials("s"))  # stale by the time we append: on purpose
                batch = [_random_event(rng, n, str(k)) for _ in range(rng.randint(1, 4))]
                storage.append("s", batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _assert_table_matches_log(storage, "s") > 5


def test_writers_with_either_setting_keep_the_table_exact(url: str) -> None:
    eager = SQLStorage(url, update_trials_on_append=True)
    lazy = SQLStorage(url)
    try:
        eager.create_study("s", [Direction.MINIMIZE])
        rng = random.Random(11)
        history = _random_history(rng, 200)
        for i in range(0, len(history), 4):
            writer = eager if rng.random() < 0.5 else lazy
            writer.append("s", history[i : i + 4])
            if rng.random() < 0.2:  # the eager writer catches up from where the lazy one left
                _assert_table_matches_log(rng.choice([eager, lazy]), "s")
        assert _assert_table_matches_log(eager, "s") > 5
        _assert_table_matches_log(lazy, "s")
    finally:
        eager.close()
        lazy.close()


def test_query_trials_of_a_missing_study(storage: SQLStorage) -> None:
    from rheostat.exceptions import StudyNotFoundError

    with pytest.raises(StudyNotFoundError, match="no study named 'nope'"):
        storage.query_trials("nope")


def test_deleting_a_study_removes_its_rows(url: str, storage: SQLStorage) -> None:
    storage.create_study("s", [Direction.MINIMIZE])
    storage.append("s", [TrialCreated(0, TrialState.RUNNING, 1.0)])
    assert len(storage.query_trials("s")) == 1
    storage.delete_study("s")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM rheostat_trials")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM rheostat_trials_seq")).scalar() == 0
    engine.dispose()
    storage.create_study("s", [Direction.MINIMIZE])  # a new study of the same name starts empty
    assert storage.query_trials("s") == []


_V1_DDL = [
    "CREATE TABLE rheostat_schema (version INTEGER NOT NULL)",
    "CREATE TABLE rheostat_studies (id {serial} PRIMARY KEY, name VARCHAR(512) NOT NULL UNIQUE,"
    " directions TEXT NOT NULL, created_at FLOAT NOT NULL)",
    "CREATE TABLE rheostat_events (study_id INTEGER NOT NULL REFERENCES rheostat_studies (id)"
    " ON DELETE CASCADE, seq INTEGER NOT NULL, payload TEXT NOT NULL,"
    " PRIMARY KEY (study_id, seq))",
    "INSERT INTO rheostat_schema (version) VALUES (1)",
]


def test_migrating_a_version_1_database(url: str) -> None:
    """A database written by schema version 1 (no trials table) gets the table on opening."""
    rng = random.Random(7)
    histories = {"a": _random_history(rng, 200), "b": _random_history(rng, 50), "empty": []}
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        for statement in _V1_DDL:
            conn.execute(sa.text(statement.format(serial=serial)))
        for name, events in histories.items():
            sid = conn.execute(
                sa.text(
                    "INSERT INTO rheostat_studies (name, directions, created_at) "
                    "VALUES (:n, :d, 0) RETURNING id"
                ),
                {"n": name, "d": json.dumps(["minimize"])},
            ).scalar_one()
            for seq, event in enumerate(events, 1):
                conn.execute(
                    sa.text("INSERT INTO rheostat_events VALUES (:s, :q, :p)"),
                    {"s": sid, "q": seq, "p": encode_event(event)},
                )
    storage = SQLStorage(url, update_trials_on_append=True)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version FROM rheostat_schema")).scalar()
        assert version == SCHEMA_VERSION == 3
        with engine.connect() as conn:  # the migration filled the table: no query needed
            rows = conn.execute(sa.text("SELECT COUNT(*) FROM rheostat_trials")).scalar()
        assert rows == _n_trials(histories["a"]) + _n_trials(histories["b"])
        assert _assert_table_matches_log(storage, "a") > 10
        _assert_table_matches_log(storage, "b")
        assert storage.query_trials("empty") == []
        # and appends after the migration keep it up to date
        n = len(storage.query_trials("a"))
        storage.append(
            "a", [TrialCreated(n, TrialState.RUNNING, 1.0), ParamSet(n, "a", 1, Float(0, 9))]
        )
        _assert_table_matches_log(storage, "a")
    finally:
        storage.close()
        engine.dispose()
    reopened = SQLStorage(url)  # a second opening finds version 3 and changes nothing
    try:
        _assert_table_matches_log(reopened, "a")
    finally:
        reopened.close()
