"""Check what an objective returned, or what ``tell`` was given."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["check_values"]


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
