"""``Float``: a real-valued parameter, optionally on a log scale or a step grid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from rheostat.distributions._base import (
    Distribution,
    ParamValue,
    _decimals,
    _is_real,
    _near_integer,
)

__all__ = ["Float"]


@dataclass(frozen=True)
class Float(Distribution):
    """A real number in ``[low, high]``, optionally on a log scale or on a grid of ``step``.

    >>> round(Float(1e-5, 1e-1, log=True).from_unit(0.5), 12)  # the geometric mean
    0.001
    >>> Float(0.0, 1.0, step=0.25).from_internal(0.5)  # 5 values, 5 equal cells
    0.5
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None
    kind: ClassVar[str] = "float"

    def __init__(
        self, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> None:
        where = f"Float(low={low!r}, high={high!r}, log={log!r}, step={step!r})"
        if not _is_real(low) or not _is_real(high):
            raise TypeError(f"{where}: low and high must be numbers, got {low!r} and {high!r}")
        low_f, high_f = float(low), float(high)
        if not (math.isfinite(low_f) and math.isfinite(high_f)):
            raise ValueError(f"{where}: low and high must be finite; give a bounded range")
        if low_f > high_f:
            raise ValueError(
                f"{where}: low must be <= high, got low={low_f} > high={high_f}; swap them"
            )
        if not isinstance(log, bool):
            raise TypeError(f"{where}: log must be True or False, got {log!r}")
        if log and low_f <= 0.0:
            raise ValueError(
                f"{where}: log=True needs low > 0, got low={low_f}. To include 0, make whether "
                "to use the parameter a Categorical([False, True]) and its value a conditional "
                "Float with log=True and a small positive low"
            )
        step_f: float | None = None
        if step is not None:
            if log:
                raise ValueError(
                    f"{where}: step and log=True cannot be combined; drop step, or use a "
                    "Categorical of the values you want"
                )
            if not _is_real(step) or not float(step) > 0 or not math.isfinite(float(step)):
                raise ValueError(f"{where}: step must be a positive number, got step={step!r}")
            step_f = float(step)
            n = (high_f - low_f) / step_f
            if not _near_integer(n, max(abs(low_f), abs(high_f)) / step_f):
                fixed = low_f + math.floor(n) * step_f
                raise ValueError(
                    f"{where}: step={step_f} does not divide high - low = {high_f - low_f}; "
                    f"use high={fixed:g} or a step that divides the range"
                )
        object.__setattr__(self, "low", low_f)
        object.__setattr__(self, "high", high_f)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", step_f)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step!r}" if self.step is not None else ""
        return f"Float({self.low!r}, {self.high!r}{extra})"

    @property
    def _n_steps(self) -> int:
        assert self.step is not None
        return round((self.high - self.low) / self.step)

    @property
    def n_values(self) -> float:
        if self.low == self.high:
            return 1
        return math.inf if self.step is None else self._n_steps + 1

    def contains(self, value: object) -> bool:
        if not _is_real(value):
            return False
        v = float(value)  # type: ignore[arg-type]
        if not (self.low <= v <= self.high):
            return False
        if self.step is None:
            return True
        k = (v - self.low) / self.step
        return _near_integer(k, max(abs(self.low), abs(v)) / self.step)

    def cast(self, value: object) -> float:
        if not self.contains(value):
            raise ValueError(f"{value!r} is not in {self!r}")
        v = float(value)  # type: ignore[arg-type]
        if self.step is not None:
            return self._on_grid(round((v - self.low) / self.step))
        return v

    def _on_grid(self, k: int) -> float:
        assert self.step is not None
        k = min(max(k, 0), self._n_steps)
        v = round(self.low + k * self.step, _decimals(self.low, self.step))
        return min(max(v, self.low), self.high)

    def to_internal(self, value: ParamValue) -> float:
        v = float(value)  # type: ignore[arg-type]
        if self.low == self.high:
            return 0.5
        if self.step is not None:
            k = round((v - self.low) / self.step)
            return (k + 0.5) / (self._n_steps + 1)
        if self.log:
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def from_internal(self, x: float) -> float:
        x = min(max(float(x), 0.0), 1.0)
        if self.low == self.high or x == 0.0:
            return self.low
        if x == 1.0:
            return self.high  # exactly, though exp(log(high)) may differ in the last bit
        if self.step is not None:
            n = self._n_steps + 1
            return self._on_grid(min(int(x * n), n - 1))
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            v = math.exp(lo + x * (hi - lo))
        else:
            v = self.low + x * (self.high - self.low)
        return min(max(v, self.low), self.high)

    def from_unit(self, u: float) -> float:
        return self.from_internal(u)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }
