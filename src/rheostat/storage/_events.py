"""The events of a study's append-only log, and their JSON codec.

Each event is a small frozen record. A study's state is whatever replaying its events in sequence
order gives (see ``_state.StudyState``). The JSON form is a flat object with the event type under
``"e"``; it holds data only, never code.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any, TypeAlias

from rheostat.distributions import Distribution, ParamValue, distribution_from_json
from rheostat.trial import TrialState

__all__ = [
    "AttrSet",
    "Event",
    "Heartbeat",
    "ParamSet",
    "Reported",
    "StateChanged",
    "TrialCreated",
    "decode_event",
    "encode_event",
]


@dataclass(frozen=True)
class TrialCreated:
    """A new trial, numbered in creation order: ``WAITING`` (enqueued) or ``RUNNING`` (asked).

    ``fixed_params`` are values the trial must use (an enqueued configuration); ``proposal`` holds
    the sampler's joint proposal, used when the objective suggests those names.
    """

    number: int
    state: TrialState
    time: float
    worker_id: str | None = None
    fixed_params: dict[str, ParamValue] | None = None
    proposal: dict[str, ParamValue] | None = None
    budget: float | None = None
    parent: int | None = None


@dataclass(frozen=True)
class ParamSet:
    """The objective suggested parameter ``name`` and got ``value`` from ``distribution``."""

    number: int
    name: str
    value: ParamValue
    distribution: Distribution


@dataclass(frozen=True)
class Reported:
    """The objective reported an intermediate ``value`` at ``step``."""

    number: int
    step: int
    value: float


@dataclass(frozen=True)
class StateChanged:
    """A trial moved to ``state``; a finishing move carries its values or its failure message,
    a resuming move (``PAUSED`` to ``RUNNING``) its new worker and, when it grows, its budget."""

    number: int
    state: TrialState
    time: float
    values: tuple[float, ...] | None = None
    message: str | None = None
    worker_id: str | None = None
    budget: float | None = None


@dataclass(frozen=True)
class AttrSet:
    """A user (or, with ``system=True``, an internal) attribute of a trial or, with
    ``number=None``, of the study."""

    number: int | None
    key: str
    value: Any
    system: bool = False


@dataclass(frozen=True)
class Heartbeat:
    """The worker running trial ``number`` was alive at ``time``."""

    number: int
    time: float


Event: TypeAlias = TrialCreated | ParamSet | Reported | StateChanged | AttrSet | Heartbeat


def _float_out(x: float) -> float | str:
    return x if math.isfinite(x) else repr(x)  # 'nan', 'inf', '-inf' stay strict JSON


def _float_in(x: float | str) -> float:
    return float(x)


def _to_dict(event: Event) -> dict[str, Any]:
    if isinstance(event, TrialCreated):
        d: dict[str, Any] = {
            "e": "created",
            "n": event.number,
            "s": event.state.value,
            "t": event.time,
        }
        if event.worker_id is not None:
            d["w"] = event.worker_id
        if event.fixed_params is not None:
            d["fixed"] = event.fixed_params
        if event.proposal is not None:
            d["prop"] = event.proposal
        if event.budget is not None:
            d["b"] = event.budget
        if event.parent is not None:
            d["parent"] = event.parent
        return d
    if isinstance(event, ParamSet):
        return {
            "e": "param",
            "n": event.number,
            "k": event.name,
            "v": event.value,
            "d": event.distribution.to_json(),
        }
    if isinstance(event, Reported):
        return {"e": "report", "n": event.number, "step": event.step, "v": _float_out(event.value)}
    if isinstance(event, StateChanged):
        d = {"e": "state", "n": event.number, "s": event.state.value, "t": event.time}
        if event.values is not None:
            d["v"] = [_float_out(v) for v in event.values]
        if event.message is not None:
            d["msg"] = event.message
        if event.worker_id is not None:
            d["w"] = event.worker_id
        if event.budget is not None:
            d["b"] = event.budget
        return d
    if isinstance(event, AttrSet):
        return {
            "e": "attr",
            "n": event.number,
            "k": event.key,
            "v": event.value,
            "sys": event.system,
        }
    if isinstance(event, Heartbeat):
        return {"e": "beat", "n": event.number, "t": event.time}
    raise TypeError(f"not an event: {event!r}")


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


@functools.lru_cache(maxsize=1024)
def _distribution_json(distribution: Distribution) -> str:
    return _ENCODER.encode(distribution.to_json())


def encode_event(event: Event) -> str:
    """The event as compact, strict JSON text (``TypeError`` for values JSON cannot hold)."""
    try:
        if type(event) is ParamSet:  # the most frequent event: its distribution is cached
            return (
                f'{{"e":"param","n":{event.number},"k":{_ENCODER.encode(event.name)},'
                f'"v":{_ENCODER.encode(event.value)},'
                f'"d":{_distribution_json(event.distribution)}}}'
            )
        return _ENCODER.encode(_to_dict(event))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"cannot store {event!r} as JSON: {exc}; store plain numbers, strings, lists and dicts"
        ) from exc


def decode_event(text: str | dict[str, Any]) -> Event:
    """Rebuild an event from ``encode_event`` output (or its parsed dict)."""
    d = json.loads(text) if isinstance(text, str) else text
    kind = d["e"]
    if kind == "created":
        return TrialCreated(
            number=d["n"],
            state=TrialState(d["s"]),
            time=d["t"],
            worker_id=d.get("w"),
            fixed_params=d.get("fixed"),
            proposal=d.get("prop"),
            budget=d.get("b"),
            parent=d.get("parent"),
        )
    if kind == "param":
        return ParamSet(
            number=d["n"], name=d["k"], value=d["v"], distribution=distribution_from_json(d["d"])
        )
    if kind == "report":
        return Reported(number=d["n"], step=d["step"], value=_float_in(d["v"]))
    if kind == "state":
        values = d.get("v")
        return StateChanged(
            number=d["n"],
            state=TrialState(d["s"]),
            time=d["t"],
            values=None if values is None else tuple(_float_in(v) for v in values),
            message=d.get("msg"),
            worker_id=d.get("w"),
            budget=d.get("b"),
        )
    if kind == "attr":
        return AttrSet(number=d["n"], key=d["k"], value=d["v"], system=d.get("sys", False))
    if kind == "beat":
        return Heartbeat(number=d["n"], time=d["t"])
    raise ValueError(f"unknown event type {kind!r}; was this log written by a newer rheostat?")
