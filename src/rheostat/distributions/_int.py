"""``Int``: an integer parameter, optionally on a log scale or with a step."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from rheostat.distributions._base import Distribution, ParamValue, _is_integral, _is_real

__all__ = ["Int"]


@dataclass(frozen=True)
class Int(Distribution):
    """An integer in ``[low, high]``, optionally on a log scale or every ``step``.

    >>> Int(1, 10).from_unit(0.999)
    10
    >>> Int(0, 100, step=25).from_internal(0.5)
    50
    """

    low: int
    high: int
    log: bool = False
    step: int = 1
    kind: ClassVar[str] = "int"

    def __init__(self, low: int, high: int, *, log: bool = False, step: int = 1) -> None:
        where = f"Int(low={low!r}, high={high!r}, log={log!r}, step={step!r})"
        for label, v in (("low", low), ("high", high), ("step", step)):
            if not _is_integral(v):
                raise TypeError(
                    f"{where}: {label} must be an integer, got {v!r}; use Float for real numbers"
                )
        low_i, high_i, step_i = int(low), int(high), int(step)
        if low_i > high_i:
            raise ValueError(
                f"{where}: low must be <= high, got low={low_i} > high={high_i}; swap them"
            )
        if not isinstance(log, bool):
            raise TypeError(f"{where}: log must be True or False, got {log!r}")
        if step_i < 1:
            raise ValueError(f"{where}: step must be >= 1, got step={step_i}")
        if log and low_i < 1:
            raise ValueError(
                f"{where}: log=True needs low >= 1, got low={low_i}; shift the range, or make "
                "the zero case a Categorical and the rest a conditional Int with log=True"
            )
        if log and step_i != 1:
            raise ValueError(
                f"{where}: log=True needs step=1, got step={step_i}; drop step, or set "
                "log=False to keep it"
            )
        if (high_i - low_i) % step_i != 0:
            fixed = low_i + (high_i - low_i) // step_i * step_i
            raise ValueError(
                f"{where}: step={step_i} does not divide high - low = {high_i - low_i}; "
                f"use high={fixed} or a step that divides the range"
            )
        object.__setattr__(self, "low", low_i)
        object.__setattr__(self, "high", high_i)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", step_i)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step}" if self.step != 1 else ""
        return f"Int({self.low}, {self.high}{extra})"

    @property
    def n_values(self) -> float:
        return (self.high - self.low) // self.step + 1

    def contains(self, value: object) -> bool:
        raw: Any = value
        if _is_integral(raw):
            v = int(raw)
        elif _is_real(raw) and float(raw).is_integer():
            v = int(float(raw))
        else:
            return False
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def cast(self, value: object) -> int:
        if not self.contains(value):
            raise ValueError(f"{value!r} is not in {self!r}")
        raw: Any = value
        return int(raw)

    def _bounds(self) -> tuple[float, float]:
        lo, hi = self.low - 0.5, self.high + 0.5
        return (math.log(lo), math.log(hi)) if self.log else (lo, hi)

    def to_internal(self, value: ParamValue) -> float:
        v = int(value)  # type: ignore[arg-type]
        if self.step != 1:
            return ((v - self.low) // self.step + 0.5) / self.n_values
        lo, hi = self._bounds()
        return ((math.log(v) if self.log else float(v)) - lo) / (hi - lo)

    def from_internal(self, x: float) -> int:
        x = min(max(float(x), 0.0), 1.0)
        if self.step != 1:
            n = int(self.n_values)
            return self.low + min(int(x * n), n - 1) * self.step
        lo, hi = self._bounds()
        y = lo + x * (hi - lo)
        v = round(math.exp(y)) if self.log else math.floor(y + 0.5)
        return min(max(int(v), self.low), self.high)

    def from_unit(self, u: float) -> int:
        return self.from_internal(u)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "int",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }
