"""The materialized trials table of the SQL backend (schema version 2): one row per trial.

``rheostat_trials`` holds each trial's state, values, parameters, user attributes and times, for
queries and the dashboard, without replaying the whole log. The log stays the truth: rows are
updated by applying events to the current rows with the same rules as ``StudyState`` (a finished
trial never changes, the first value of a parameter wins, only a ``WAITING`` or ``PAUSED`` trial
can start running, trial numbers come in order), always under the study's write lock.
``rheostat_trials_seq`` marks, per study, the last event the rows include. By default
(``SQLStorage(update_trials_on_append=False)``) appends leave the table alone and a query
first catches up from the mark, under the study's write lock; with ``True`` every append updates
the rows its events touch in its own transaction (and catches up first if another writer left
the table behind). A database from schema version 1 gets the tables by replaying each study's
log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rheostat.distributions import ParamValue
from rheostat.storage._events import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    StateChanged,
    TrialCreated,
    decode_event,
)
from rheostat.trial import TrialState

__all__ = ["TrialSummary", "TrialsTable", "apply_events"]

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_COLUMNS = (
    "number",
    "state",
    "values_json",
    "params_json",
    "user_attrs_json",
    "datetime_start",
    "datetime_complete",
    "last_heartbeat",
    "worker_id",
    "message",
)


@dataclass(frozen=True)
class TrialSummary:
    """One row of the trials table: what queries and the dashboard need of a trial.

    Immutable once returned. ``values`` is ``None`` unless the trial finished with values.
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None
    params: dict[str, ParamValue]
    user_attrs: dict[str, Any]
    datetime_start: float | None
    datetime_complete: float | None
    last_heartbeat: float | None
    worker_id: str | None
    message: str | None


@dataclass
class _Row:
    number: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: dict[str, ParamValue] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: float | None = None
    datetime_complete: float | None = None
    last_heartbeat: float | None = None
    worker_id: str | None = None
    message: str | None = None

    def summary(self) -> TrialSummary:
        return TrialSummary(
            self.number,
            self.state,
            self.values,
            dict(self.params),
            dict(self.user_attrs),
            self.datetime_start,
            self.datetime_complete,
            self.last_heartbeat,
            self.worker_id,
            self.message,
        )


def _transition(row: _Row, event: StateChanged) -> None:
    """``StudyState._transition`` for the columns kept here."""
    new = event.state
    if new is TrialState.RUNNING:
        if row.state not in (TrialState.WAITING, TrialState.PAUSED):
            return
        row.worker_id = event.worker_id
        if row.datetime_start is None:
            row.datetime_start = event.time
    elif new is TrialState.PAUSED:
        if row.state is not TrialState.RUNNING:
            return
    elif new.is_finished():
        row.values = event.values
        row.message = event.message
        row.datetime_complete = event.time
    else:
        return
    row.state = new


def apply_events(
    rows: dict[int, _Row], n_trials: int, events: Iterable[Event]
) -> tuple[int, set[int]]:
    """Apply ``events`` to ``rows`` (the current rows of every trial they name, by number) of a
    study holding ``n_trials`` trials; return the new trial count and the numbers changed."""
    touched: set[int] = set()
    for event in events:
        if isinstance(event, TrialCreated):
            if event.number != n_trials:
                continue  # out of order: replay ignores it too
            rows[event.number] = _Row(
                event.number,
                event.state,
                datetime_start=event.time if event.state is TrialState.RUNNING else None,
                worker_id=event.worker_id,
            )
            n_trials += 1
            touched.add(event.number)
            continue
        number = event.number
        if number is None or not 0 <= number < n_trials:
            continue
        row = rows[number]
        if row.state.is_finished():
            continue
        if isinstance(event, ParamSet):
            row.params.setdefault(event.name, event.value)
        elif isinstance(event, StateChanged):
            _transition(row, event)
        elif isinstance(event, AttrSet):
            if not event.system:
                row.user_attrs[event.key] = event.value
        elif isinstance(event, Heartbeat):
            row.last_heartbeat = event.time
        else:
            continue  # Reported: intermediate values are not kept here
        touched.add(number)
    return n_trials, touched


def _floats_out(values: tuple[float, ...] | None) -> str | None:
    if values is None:
        return None
    if all(map(math.isfinite, values)):
        return _ENCODER.encode(values)
    return _ENCODER.encode([v if math.isfinite(v) else repr(v) for v in values])


def _floats_in(text: str | None) -> tuple[float, ...] | None:
    return None if text is None else tuple(float(v) for v in json.loads(text))


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _numbers_named(events: Sequence[Event]) -> set[int]:
    return {e.number for e in events if e.number is not None and not isinstance(e, TrialCreated)}


class TrialsTable:
    """Reads and updates ``rheostat_trials`` on a DBAPI cursor, inside the caller's
    transaction (the append's, which holds the study's write lock)."""

    def __init__(self, paramstyle: str) -> None:
        p = _PLACEHOLDERS.get(paramstyle)
        if p is None:
            raise ValueError(f"the database driver's paramstyle {paramstyle!r} is not supported")
        self._p = p
        cols = ", ".join(_COLUMNS)
        self._sql_select = f"SELECT {cols} FROM rheostat_trials WHERE study_id = {p}"
        self._sql_last = f"number = (SELECT MAX(number) FROM rheostat_trials WHERE study_id = {p})"
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        self._sql_mark_get = f"SELECT seq FROM rheostat_trials_seq WHERE study_id = {p}"
        self._sql_mark_move = (
            f"UPDATE rheostat_trials_seq SET seq = {p} WHERE study_id = {p} AND seq = {p}"
        )
        self._sql_mark_set = (
            f"INSERT INTO rheostat_trials_seq (study_id, seq) VALUES ({p}, {p}) "
            "ON CONFLICT (study_id) DO UPDATE SET seq = excluded.seq"
        )
        self._sql_events = (
            f"SELECT payload FROM rheostat_events WHERE study_id = {p} AND seq > {p} ORDER BY seq"
        )
        self._sql_upsert = (
            f"INSERT INTO rheostat_trials (study_id, {cols}) VALUES "
            f"({', '.join([p] * (len(_COLUMNS) + 1))}) "
            f"ON CONFLICT (study_id, number) DO UPDATE SET {updates}"
        )

    @staticmethod
    def _row(r: Sequence[Any]) -> _Row:
        return _Row(
            number=int(r[0]),
            state=TrialState(r[1]),
            values=_floats_in(r[2]),
            params=json.loads(r[3]),
            user_attrs=json.loads(r[4]),
            datetime_start=r[5],
            datetime_complete=r[6],
            last_heartbeat=r[7],
            worker_id=r[8],
            message=r[9],
        )

    def _load(self, cur: Any, study_id: int, numbers: set[int]) -> tuple[dict[int, _Row], int]:
        """The rows of ``numbers`` that exist, and the study's trial count: one round trip
        (the last trial's row comes along for its number)."""
        if len(numbers) > 200:  # a long catch-up: every row, rather than a huge IN list
            cur.execute(self._sql_select, (study_id,))
        else:
            marks = ", ".join([self._p] * len(numbers))
            named = f"number IN ({marks}) OR " if numbers else ""
            cur.execute(
                f"{self._sql_select} AND ({named}{self._sql_last})",
                (study_id, *sorted(numbers), study_id),
            )
        found = cur.fetchall()
        rows = {int(r[0]): self._row(r) for r in found if r[0] in numbers}
        return rows, max((int(r[0]) for r in found), default=-1) + 1

    def _store(self, cur: Any, study_id: int, rows: dict[int, _Row], numbers: set[int]) -> None:
        if not numbers:
            return
        cur.executemany(
            self._sql_upsert,
            [
                (
                    study_id,
                    r.number,
                    r.state.value,
                    _floats_out(r.values),
                    _ENCODER.encode(r.params),
                    _ENCODER.encode(r.user_attrs),
                    r.datetime_start,
                    r.datetime_complete,
                    r.last_heartbeat,
                    r.worker_id,
                    r.message,
                )
                for r in (rows[n] for n in sorted(numbers))
            ],
        )

    def _apply(self, cur: Any, study_id: int, events: Sequence[Event]) -> None:
        rows, n_trials = self._load(cur, study_id, _numbers_named(events))
        _, touched = apply_events(rows, n_trials, events)
        self._store(cur, study_id, rows, touched)

    def update(self, cur: Any, study_id: int, last: int, events: Sequence[Event]) -> None:
        """Apply ``events``, just appended after sequence ``last``, to the rows of the trials
        they touch; first catch up if the table is behind ``last`` (another writer did not
        update it, or this study has no mark yet)."""
        cur.execute(self._sql_mark_move, (last + len(events), study_id, last))
        if cur.rowcount == 1:
            self._apply(cur, study_id, events)
        else:
            self.catch_up(cur, study_id)  # replays these events too: they are in the log

    def catch_up(self, cur: Any, study_id: int) -> None:
        """Bring the study's rows up to its last event, replaying the events after the table's
        mark (all of them for a study migrated from schema version 1)."""
        cur.execute(self._sql_mark_get, (study_id,))
        found = cur.fetchone()
        mark = 0 if found is None else int(found[0])
        cur.execute(self._sql_events, (study_id, mark))
        payloads = [r[0] for r in cur.fetchall()]
        if found is not None and not payloads:
            return
        self._apply(cur, study_id, [decode_event(p) for p in payloads])
        cur.execute(self._sql_mark_set, (study_id, mark + len(payloads)))

    def query(self, cur: Any, study_id: int, states: Sequence[TrialState] | None) -> list[_Row]:
        sql = self._sql_select
        args: list[Any] = [study_id]
        if states is not None:
            if not states:
                return []
            sql += f" AND state IN ({', '.join([self._p] * len(states))})"
            args += [s.value for s in states]
        cur.execute(sql + " ORDER BY number", tuple(args))
        return [self._row(r) for r in cur.fetchall()]
