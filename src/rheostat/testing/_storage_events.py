"""What the storage conformance suite writes and how it compares what comes back.

``same_value`` compares exactly (NaN equal to NaN, ``1`` unlike ``1.0``); ``every_event_type``
and ``scripted_study`` are the events a backend must keep unchanged; ``replay`` rebuilds trials.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rheostat.distributions import Categorical, Float, Int
from rheostat.storage import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    StudyState,
    TrialCreated,
)
from rheostat.trial import Direction, TrialRecord, TrialState

__all__ = [
    "assert_same_events",
    "attr",
    "every_event_type",
    "replay",
    "same_value",
    "scripted_study",
]

_NAN = float("nan")
_INF = float("inf")


def same_value(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are equal, with NaN equal to NaN and types compared exactly.

    ``1``, ``1.0`` and ``True`` differ; so do a list and a tuple. Dataclasses (events,
    distributions, records) are compared field by field, mappings key by key.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(
            same_value(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    return bool(a == b)


def assert_same_events(got: Sequence[Event], want: Sequence[Event]) -> None:
    """Assert ``got`` holds the events of ``want``, in order (``same_value`` each)."""
    assert len(got) == len(want), f"read {len(got)} events, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert same_value(g, w), f"event {i + 1} came back as {g!r}, expected {w!r}"


def attr(key: str, value: Any = None) -> AttrSet:
    """A study user attribute: the plainest event, for tests of the log itself."""
    return AttrSet(None, key, value)


def every_event_type() -> list[Event]:
    """One or more events of every type, with the awkward values a backend must keep."""
    return [
        TrialCreated(
            0,
            TrialState.RUNNING,
            1_700_000_000.125,
            worker_id="host:123:abcd",
            proposal={"x": 0.5, "opt": "adam"},
            budget=3.0,
        ),
        TrialCreated(
            1,
            TrialState.WAITING,
            1_700_000_001.5,
            fixed_params={"x": 0.25, "n": 3, "flag": True, "none": None, "name": "ünï 研究 🙂"},
            proposal={"x": 0.125},
            parent=0,
        ),
        TrialCreated(2, TrialState.RUNNING, 2.0),
        ParamSet(0, "x", 0.5, Float(0.0, 1.0)),
        ParamSet(0, "lr", 1e-3, Float(1e-5, 1e-1, log=True)),
        ParamSet(0, "s", 0.25, Float(0.0, 1.0, step=0.25)),
        ParamSet(0, "n", 3, Int(1, 64, log=True)),
        ParamSet(0, "k", 20, Int(0, 100, step=10)),
        ParamSet(0, "opt", "adam", Categorical(["adam", "sgd", None, True, 1.5, 2])),
        ParamSet(0, "flag", None, Categorical([None, False])),
        ParamSet(0, "große", True, Categorical([True, False])),
        Reported(0, 0, 1.25),
        Reported(0, 1, _NAN),
        Reported(0, 2, _INF),
        Reported(0, 3, -_INF),
        Reported(0, 10**6, 1e-300),
        AttrSet(0, "nested", {"a": [1, 2.5, {"b": None}], "c": "ü", "d": True, "e": []}),
        AttrSet(0, "none", None),
        AttrSet(0, "big", 2**62),
        AttrSet(None, "study attr ✓", "value", system=True),
        AttrSet(None, "empty", {}),
        Heartbeat(0, 1_700_000_002.75),
        StateChanged(0, TrialState.COMPLETE, 3.0, values=(0.5, _NAN, _INF, -_INF), worker_id="w"),
        StateChanged(1, TrialState.RUNNING, 4.0, worker_id="host:456:ef01"),
        StateChanged(1, TrialState.PAUSED, 4.5),
        StateChanged(1, TrialState.PRUNED, 5.0, values=(1.0,)),
        StateChanged(2, TrialState.FAILED, 6.0, message="ValueError: ünïcödé 🙂\nTraceback …"),
    ]


def scripted_study() -> list[list[Event]]:
    """The event batches of a small study covering every state, as a study would write them."""
    return [
        [AttrSet(None, "seed", 7, system=True), AttrSet(None, "note", "baseline first")],
        [TrialCreated(0, TrialState.WAITING, 10.0, fixed_params={"x": 0.5})],
        [TrialCreated(1, TrialState.RUNNING, 11.0, worker_id="a", proposal={"x": 0.1})],
        [StateChanged(0, TrialState.RUNNING, 12.0, worker_id="b")],
        [ParamSet(1, "x", 0.1, Float(0.0, 1.0)), Reported(1, 0, 3.0)],
        [ParamSet(0, "x", 0.5, Float(0.0, 1.0)), Reported(0, 0, 2.0), Reported(0, 1, 1.5)],
        [Heartbeat(1, 13.0), AttrSet(1, "epochs", [1, 2])],
        [StateChanged(0, TrialState.COMPLETE, 14.0, values=(1.5,))],
        [TrialCreated(2, TrialState.RUNNING, 15.0, worker_id="a")],
        [StateChanged(1, TrialState.PRUNED, 16.0, values=(3.0,))],
        [StateChanged(2, TrialState.FAILED, 17.0, message="boom")],
        [TrialCreated(3, TrialState.RUNNING, 18.0, worker_id="c", budget=2.0, parent=0)],
        [StateChanged(3, TrialState.PAUSED, 19.0)],
        [TrialCreated(4, TrialState.WAITING, 20.0, fixed_params={"x": 0.0})],
    ]


def replay(study: str, events: Sequence[Event]) -> list[TrialRecord]:
    """The trials that replaying ``events`` (of a one-objective study) rebuilds."""
    state = StudyState(study, (Direction.MINIMIZE,))
    state.apply(events)
    return list(state.records())
