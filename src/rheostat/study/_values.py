"""Check what an objective returned, and what ``tell`` and ``enqueue_trial`` were given."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.space import check_param_name
from rheostat.trial import TrialRecord, TrialState

__all__ = ["check_enqueued_params", "check_values", "outcome", "parse_final_state"]


def _one(value: object, index: int | None) -> tuple[float | None, str | None]:
    where = "the objective value" if index is None else f"objective value {index}"
    if value is None:
        return None, f"{where} is None; return a number (did the objective forget `return`?)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            import numpy as np  # numpy 0-d arrays and numpy scalars are fine

            if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
                value = float(value)
            else:
                raise TypeError
        except TypeError:
            return None, (
                f"{where} is {value!r} of type {type(value).__name__}, not a number; return a float"
            )
    v = float(value)
    if not math.isfinite(v):
        return None, f"{where} is {v}; a trial must end with a finite number"
    return v, None


def check_values(result: object, n_objectives: int) -> tuple[tuple[float, ...] | None, str | None]:
    """``(values, None)`` for a valid result, else ``(None, reason)``."""
    if n_objectives == 1:
        if isinstance(result, Sequence) and not isinstance(result, str) and len(result) == 1:
            result = result[0]
        v, reason = _one(result, None)
        return (None, reason) if reason else ((v,), None)  # type: ignore[return-value]
    if isinstance(result, str) or not isinstance(result, Sequence):
        return None, (
            f"the objective returned {result!r}, but the study has {n_objectives} objectives; "
            f"return a tuple of {n_objectives} numbers"
        )
    if len(result) != n_objectives:
        return None, (
            f"the objective returned {len(result)} values, but the study has {n_objectives} "
            f"directions; return exactly {n_objectives} numbers"
        )
    out = []
    for i, r in enumerate(result):
        v, reason = _one(r, i)
        if reason:
            return None, reason
        out.append(v)
    return tuple(out), None  # type: ignore[arg-type]


def parse_final_state(state: TrialState | str | None) -> TrialState:
    """The final state ``tell`` was given (``COMPLETE`` by default), or a clear error."""
    if state is None:
        return TrialState.COMPLETE
    try:
        parsed = TrialState(state.upper() if isinstance(state, str) else state)
    except ValueError:
        parsed = None
    if parsed is None or not parsed.is_finished():
        raise ValueError(
            f"tell: state={state!r} is not a final state; use 'COMPLETE', 'PRUNED' or 'FAILED'"
        )
    return parsed


def outcome(
    record: TrialRecord, raw: Any, state: TrialState, message: str | None, n_objectives: int
) -> tuple[tuple[float, ...] | None, str | None, TrialState]:
    """What finishing ``record`` with ``raw`` (a value or values) in ``state`` stores.

    ``PRUNED`` without values keeps the last reported value; an invalid value turns the outcome
    into ``FAILED`` with the reason as its message.
    """
    if state is TrialState.FAILED:
        return None, message, state
    if state is TrialState.PRUNED and raw is None:
        if n_objectives == 1 and record.last_step is not None:
            v = record.intermediate_values[record.last_step]
            return ((v,) if math.isfinite(v) else None), message, state
        return None, message, state
    vals, reason = check_values(raw, n_objectives)
    if reason is not None:
        return None, reason, TrialState.FAILED
    return vals, message, state


def check_enqueued_params(
    params: object, known: Mapping[str, Distribution]
) -> dict[str, ParamValue]:
    """The configuration ``enqueue_trial`` was given, checked against the study's known
    distributions (``known``), or a clear error naming the parameter, the value and the fix."""
    if not isinstance(params, Mapping):
        raise TypeError(f"enqueue_trial: params must be a dict of name -> value, got {params!r}")
    fixed: dict[str, ParamValue] = {}
    for name, value in params.items():
        check_param_name(name)
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise TypeError(
                f"enqueue_trial: parameter {name!r} has value {value!r} of type "
                f"{type(value).__name__}; use None, bool, int, float or str"
            )
        dist = known.get(name)
        if dist is not None and not dist.contains(value):
            raise ValueError(
                f"enqueue_trial: parameter {name!r} = {value!r} is not in {dist!r}, the "
                "distribution earlier trials used; change the value"
            )
        fixed[name] = value
    return fixed
