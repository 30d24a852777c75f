"""Trial and study records: what a trial was, frozen, and a read-only view of a study's history.

States and their moves::

    WAITING --> RUNNING --> COMPLETE | PRUNED | FAILED
                RUNNING <-> PAUSED

A finished trial (``COMPLETE``, ``PRUNED`` or ``FAILED``) never changes again, which is what lets
readers cache its record.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rheostat.distributions import Distribution, ParamValue

__all__ = ["Direction", "History", "TrialRecord", "TrialState"]


class TrialState(str, enum.Enum):
    """The life-cycle state of a trial."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAILED = "FAILED"

    def is_finished(self) -> bool:
        """``COMPLETE``, ``PRUNED`` and ``FAILED`` are final."""
        return self in _FINISHED  # a module tuple: each TrialState.X costs an enum lookup

    def __str__(self) -> str:
        return self.value


_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)


class Direction(str, enum.Enum):
    """Whether an objective is to be minimized or maximized."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def __str__(self) -> str:
        return self.value

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b`` in this direction."""
        return a < b if self is Direction.MINIMIZE else a > b

    @classmethod
    def parse(cls, value: object) -> Direction:
        """``"minimize"`` / ``"maximize"`` (any case) or a ``Direction``; else a clear error."""
        if isinstance(value, Direction):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        raise ValueError(f"direction {value!r} is not valid; use 'minimize' or 'maximize'")


_EMPTY: Mapping[Any, Any] = MappingProxyType({})
_MAPPING_FIELDS = ("params", "distributions", "intermediate_values", "user_attrs", "system_attrs")


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping)) if mapping else _EMPTY


@dataclass(frozen=True)
class TrialRecord:
    """Everything known of one trial at one moment. Immutable.

    ``values`` holds one number per objective once the trial is ``COMPLETE`` (a ``PRUNED`` trial
    keeps its last reported value). ``intermediate_values`` maps step to reported value.
    ``message`` says why a trial failed (with the traceback where there was one).
    """

    number: int
    state: TrialState
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    distributions: Mapping[str, Distribution] = field(default_factory=dict)
    values: tuple[float, ...] | None = None
    intermediate_values: Mapping[int, float] = field(default_factory=dict)
    user_attrs: Mapping[str, Any] = field(default_factory=dict)
    system_attrs: Mapping[str, Any] = field(default_factory=dict)
    datetime_start: float | None = None
    datetime_complete: float | None = None
    worker_id: str | None = None
    last_heartbeat: float | None = None
    budget: float | None = None
    parent: int | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        # Freeze the mappings (copying them, so the caller's dicts may change afterwards).
        set_ = object.__setattr__
        for name in _MAPPING_FIELDS:
            value = getattr(self, name)
            if type(value) is not MappingProxyType:
                set_(self, name, MappingProxyType(dict(value)) if value else _EMPTY)

    @property
    def value(self) -> float | None:
        """The single objective value; ``ValueError`` for a multi-objective trial."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ValueError(
                f"trial {self.number} has {len(self.values)} values; use .values for a "
                "multi-objective study"
            )
        return self.values[0]

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, or ``None`` while unfinished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start


class History:
    """A read-only view of a study's trials, in number order, including running ones.

    Samplers and schedulers receive this; it never changes after it is handed out.
    """

    __slots__ = ("_by_state", "attrs", "directions", "study_name", "trials")

    def __init__(
        self,
        study_name: str,
        directions: Sequence[Direction],
        trials: Sequence[TrialRecord],
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        self.study_name = study_name
        self.directions: tuple[Direction, ...] = tuple(directions)
        self.trials: tuple[TrialRecord, ...] = tuple(trials)
        self.attrs: Mapping[str, Any] = _frozen(attrs)
        self._by_state: dict[tuple[TrialState, ...], tuple[TrialRecord, ...]] = {}

    def __len__(self) -> int:
        return len(self.trials)

    def get_trials(self, states: Sequence[TrialState] | None = None) -> tuple[TrialRecord, ...]:
        """The trials in one of ``states`` (all when ``None``), in number order."""
        if states is None:
            return self.trials
        key = tuple(states)
        cached = self._by_state.get(key)
        if cached is None:
            cached = tuple(t for t in self.trials if t.state in key)
            self._by_state[key] = cached
        return cached

    @property
    def direction(self) -> Direction:
        """The single direction of a single-objective study."""
        if len(self.directions) != 1:
            raise ValueError("this study has several objectives; use .directions")
        return self.directions[0]

    def best_trial(self) -> TrialRecord | None:
        """The best ``COMPLETE`` trial of a single-objective study, or ``None``."""
        return best_of(self.get_trials((TrialState.COMPLETE,)), self.direction)


def best_of(trials: Sequence[TrialRecord], direction: Direction) -> TrialRecord | None:
    """The trial with the best finite first value (lowest number on ties), or ``None``."""
    best: TrialRecord | None = None
    for t in trials:
        if t.values is None or not math.isfinite(t.values[0]):
            continue
        if best is None or direction.better(t.values[0], best.values[0]):  # type: ignore[index]
            best = t
    return best
