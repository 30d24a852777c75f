"""A study's state, rebuilt by replaying its events.

Replay enforces the state machine, so a late or duplicated event is harmless: a finished trial
never changes again (finishing twice is a no-op), only a ``WAITING`` trial can be claimed, and a
trial number must come in order. Records of finished trials are built once and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.storage._events import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    TrialCreated,
)
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["StudyState"]


class _TrialBuilder:
    __slots__ = (
        "budget",
        "changes",
        "datetime_complete",
        "datetime_start",
        "distributions",
        "fixed_params",
        "intermediate",
        "last_heartbeat",
        "message",
        "number",
        "params",
        "parent",
        "proposal",
        "record",
        "state",
        "system_attrs",
        "user_attrs",
        "values",
        "worker_id",
    )

    def __init__(self, event: TrialCreated) -> None:
        self.number = event.number
        self.state = event.state
        self.params: dict[str, ParamValue] = {}
        self.distributions: dict[str, Distribution] = {}
        self.values: tuple[float, ...] | None = None
        self.intermediate: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.fixed_params = event.fixed_params
        self.proposal = event.proposal
        if event.fixed_params is not None:
            self.system_attrs["fixed_params"] = event.fixed_params
        if event.proposal is not None:
            self.system_attrs["proposal"] = event.proposal
        self.datetime_start = event.time if event.state is TrialState.RUNNING else None
        self.datetime_complete: float | None = None
        self.worker_id = event.worker_id
        self.last_heartbeat: float | None = None
        self.budget = event.budget
        self.parent = event.parent
        self.message: str | None = None
        self.record: TrialRecord | None = None
        self.changes = 0  # state changes applied since creation

    def build(self) -> TrialRecord:
        if self.record is None:
            self.record = TrialRecord(
                number=self.number,
                state=self.state,
                params=self.params,
                distributions=self.distributions,
                values=self.values,
                intermediate_values=self.intermediate,
                user_attrs=self.user_attrs,
                system_attrs=self.system_attrs,
                datetime_start=self.datetime_start,
                datetime_complete=self.datetime_complete,
                worker_id=self.worker_id,
                last_heartbeat=self.last_heartbeat,
                budget=self.budget,
                parent=self.parent,
                message=self.message,
            )
        return self.record


class StudyState:
    """The replayed state of one study; ``apply`` the events read after ``seq``.

    Not thread-safe: the owner serializes ``apply`` with reads.
    """

    def __init__(self, study_name: str, directions: Sequence[Direction]) -> None:
        self.study_name = study_name
        self.directions = tuple(directions)
        self.seq = 0
        self._trials: list[_TrialBuilder] = []
        self._records: list[TrialRecord] | None = None
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.waiting: dict[int, None] = {}  # insertion-ordered set of WAITING trial numbers
        self.running: set[int] = set()  # numbers of RUNNING trials
        self._dirty: set[int] = set()
        self._history: History | None = None

    def __len__(self) -> int:
        return len(self._trials)

    @property
    def n_trials(self) -> int:
        """How many trials were created (the next trial's number)."""
        return len(self._trials)

    def trial(self, number: int) -> TrialRecord:
        """The record of trial ``number`` (``KeyError`` if it does not exist)."""
        if not 0 <= number < len(self._trials):
            raise KeyError(f"trial {number} does not exist in study {self.study_name!r}")
        return self._trials[number].build()

    def state_of(self, number: int) -> TrialState:
        """The current state of trial ``number``."""
        return self._trials[number].state

    def changes_of(self, number: int) -> int:
        """How many state changes of trial ``number`` replay has applied (0 when it still has
        the state it was created with). Every reader of the log counts the same, so
        ``(number, changes_of(number) + 1)`` names the next change of the trial: what a writer
        claims to change it (see ``rheostat.study._claims``)."""
        return self._trials[number].changes

    def records(self) -> list[TrialRecord]:
        """All trial records in number order (the list is shared: do not mutate it)."""
        if self._records is None:
            self._records = [b.build() for b in self._trials]
            self._dirty.clear()
            return self._records
        if len(self._records) < len(self._trials):  # created since: built now, once
            self._records.extend(b.build() for b in self._trials[len(self._records) :])
        if self._dirty:
            for number in self._dirty:
                self._records[number] = self._trials[number].build()
            self._dirty.clear()
        return self._records

    def history(self) -> History:
        """A read-only snapshot for samplers and schedulers."""
        if self._history is None:
            attrs = {**self.user_attrs, **self.system_attrs}
            self._history = History(self.study_name, self.directions, self.records(), attrs)
        return self._history

    def apply(self, events: Iterable[Event]) -> None:
        """Replay ``events`` (the next ones in sequence order) onto this state."""
        for event in events:
            self.seq += 1
            self._history = None
            self._apply_one(event)

    def _touch(self, b: _TrialBuilder) -> None:
        b.record = None
        if self._records is not None:
            self._dirty.add(b.number)

    def _apply_one(self, event: Event) -> None:
        if isinstance(event, TrialCreated):
            if event.number != len(self._trials):
                return  # a number out of order can only come from a broken writer: ignore it
            b = _TrialBuilder(event)
            self._trials.append(b)
            if b.state is TrialState.WAITING:
                self.waiting[b.number] = None
            elif b.state is TrialState.RUNNING:
                self.running.add(b.number)
            return  # its record is built when read (``records``), after its parameters
        if event.number is None:
            assert isinstance(event, AttrSet)
            (self.system_attrs if event.system else self.user_attrs)[event.key] = event.value
            return
        if not 0 <= event.number < len(self._trials):
            return
        b = self._trials[event.number]
        if b.state.is_finished():
            return  # finished trials never change
        if isinstance(event, ParamSet):
            if event.name not in b.params:
                b.params[event.name] = event.value
                b.distributions[event.name] = event.distribution
                self.distributions.setdefault(event.name, event.distribution)
        elif isinstance(event, Reported):
            b.intermediate.setdefault(event.step, event.value)
        elif isinstance(event, StateChanged):
            if not self._transition(b, event):
                return
        elif isinstance(event, AttrSet):
            (b.system_attrs if event.system else b.user_attrs)[event.key] = event.value
        elif isinstance(event, Heartbeat):
            b.last_heartbeat = event.time
        self._touch(b)

    def _transition(self, b: _TrialBuilder, event: StateChanged) -> bool:
        new = event.state
        if new is TrialState.RUNNING:
            if b.state not in (TrialState.WAITING, TrialState.PAUSED):
                return False
            self.waiting.pop(b.number, None)
            b.worker_id = event.worker_id
            if b.datetime_start is None:
                b.datetime_start = event.time
            if event.budget is not None:
                b.budget = event.budget
        elif new is TrialState.PAUSED:
            if b.state is not TrialState.RUNNING:
                return False
        elif new.is_finished():
            self.waiting.pop(b.number, None)
            b.values = event.values
            b.message = event.message
            b.datetime_complete = event.time
        else:
            return False
        b.state = new
        b.changes += 1
        if new is TrialState.RUNNING:
            self.running.add(b.number)
        else:
            self.running.discard(b.number)
        return True
