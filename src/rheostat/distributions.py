"""Parameter distributions: what values one hyperparameter may take.

``Float``, ``Int`` and ``Categorical`` are frozen dataclasses, validated when constructed. Each maps
values to and from two numeric forms used by samplers:

- the *internal* form: numeric parameters to ``[0, 1]`` (in log space when ``log=True``; an integer
  or a step value owns an equal-width cell, so a uniform draw hits each value equally often),
  categoricals to the index of the choice;
- the *unit* form: any distribution from a uniform number in ``[0, 1)`` (``from_unit``), which is
  what random and quasi-random samplers draw.

Round trips are exact for the value the user sees: an ``Int`` comes back an ``int`` and a step float
lands on its grid. ``to_json`` / ``distribution_from_json`` is what storage keeps.
"""

from __future__ import annotations

import decimal
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

__all__ = [
    "Categorical",
    "CategoricalChoice",
    "Distribution",
    "Float",
    "Int",
    "ParamValue",
    "distribution_from_json",
]

CategoricalChoice: TypeAlias = bool | int | float | str | None
"""A categorical choice: a JSON scalar."""

ParamValue: TypeAlias = bool | int | float | str | None
"""The value of one parameter, as the objective sees it."""

_REL_TOL = 1e-9


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_integral(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _near_integer(k: float, scale: float) -> bool:
    """Whether ``k``, a count of steps computed from numbers of ``scale`` steps, is an integer
    up to rounding (so ``Float(32768.0, 32768.002, step=0.001)`` holds ``32768.001``)."""
    return abs(k - round(k)) <= _REL_TOL * max(1.0, abs(k), scale)


def _decimals(*values: float) -> int:
    """How many decimals the given numbers are written with (for clean step values)."""
    digits = 0
    for v in values:
        exponent = decimal.Decimal(repr(float(v))).as_tuple().exponent
        if isinstance(exponent, int):
            digits = max(digits, -exponent)
    return min(digits, 15)


class Distribution(ABC):
    """The values one parameter may take. Immutable; safe to share between threads."""

    kind: ClassVar[str]

    @abstractmethod
    def contains(self, value: object) -> bool:
        """Whether ``value`` is one of the values of this distribution."""

    @abstractmethod
    def cast(self, value: object) -> ParamValue:
        """Return ``value`` as the plain Python value the objective sees (``int``, ``float``, …).

        Raises ``ValueError`` when the value is not in the distribution.
        """

    @abstractmethod
    def to_internal(self, value: ParamValue) -> float:
        """The internal numeric form of ``value``: ``[0, 1]`` for numbers, an index for choices."""

    @abstractmethod
    def from_internal(self, x: float) -> ParamValue:
        """The value nearest to the internal number ``x`` (clipped into range)."""

    @abstractmethod
    def from_unit(self, u: float) -> ParamValue:
        """The value a uniform draw ``u`` in ``[0, 1)`` maps to; uniform ``u`` gives the prior."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """A JSON-representable dict; ``distribution_from_json`` turns it back."""

    @property
    @abstractmethod
    def n_values(self) -> float:
        """How many distinct values there are (``math.inf`` for a continuous float)."""

    def describe(self) -> str:
        """A short text used in error messages, e.g. ``Float(0.001, 1.0, log=True)``."""
        return repr(self)


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


def _choice_kind(c: object) -> int:
    """The JSON kind of a choice (None, bool, int, float, str; subclasses such as
    ``numpy.float64`` or ``numpy.str_`` count as their base), or -1 for anything else."""
    for kind, cls in enumerate((type(None), bool, int, float, str)):
        if isinstance(c, cls):
            return kind
    return -1


def _same_choice(a: object, b: object) -> bool:
    kind = _choice_kind(a)
    return kind >= 0 and kind == _choice_kind(b) and a == b


@dataclass(frozen=True)
class Categorical(Distribution):
    """One of a fixed list of choices: ``None``, ``bool``, ``int``, ``float`` or ``str`` values.

    >>> Categorical(["adam", "sgd"]).from_unit(0.7)
    'sgd'
    """

    choices: tuple[CategoricalChoice, ...]
    kind: ClassVar[str] = "categorical"

    def __init__(self, choices: Sequence[CategoricalChoice]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(
                f"Categorical(choices={choices!r}): choices must be a list or tuple, e.g. "
                f"Categorical([{choices!r}])"
            )
        items = tuple(choices)
        if not items:
            raise ValueError(
                "Categorical(choices=[]): choices must not be empty; give at least one value"
            )
        for c in items:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise TypeError(
                    f"Categorical(choices={list(items)!r}): choice {c!r} of type "
                    f"{type(c).__name__} cannot be stored as JSON; use None, bool, int, float or "
                    "str, e.g. a name that the objective maps to the object"
                )
            if isinstance(c, float) and not math.isfinite(c):
                raise ValueError(
                    f"Categorical(choices={list(items)!r}): choice {c!r} is not finite; "
                    "use a string such as 'inf'"
                )
        for i, c in enumerate(items):
            if any(_same_choice(c, d) for d in items[:i]):
                raise ValueError(
                    f"Categorical(choices={list(items)!r}): choice {c!r} appears twice; "
                    "list each choice once"
                )
        object.__setattr__(self, "choices", items)

    def __repr__(self) -> str:
        return f"Categorical({list(self.choices)!r})"

    def _key(self) -> tuple[tuple[int, CategoricalChoice], ...]:
        return tuple((_choice_kind(c), c) for c in self.choices)

    def __eq__(self, other: object) -> bool:
        # [True, False] and [1, 0] (or [1] and [1.0]) are different distributions.
        if not isinstance(other, Categorical):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def n_values(self) -> float:
        return len(self.choices)

    def index(self, value: object) -> int:
        """The index of ``value`` in ``choices``; ``ValueError`` if it is not a choice."""
        for i, c in enumerate(self.choices):
            if _same_choice(c, value):
                return i
        # Numbers by value (numpy scalars, an int for a float choice), but never a bool for a
        # number and never a float for an int choice; an int choice wins for an integer value.
        if _is_real(value):
            same = [
                i
                for i, c in enumerate(self.choices)
                if _is_real(c) and float(c) == float(value)  # type: ignore[arg-type]
            ]
            for i in same:
                if isinstance(self.choices[i], int) and _is_integral(value):
                    return i
            for i in same:
                if not isinstance(self.choices[i], int):
                    return i
        raise ValueError(f"{value!r} is not one of the choices of {self!r}")

    def contains(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def cast(self, value: object) -> CategoricalChoice:
        return self.choices[self.index(value)]

    def to_internal(self, value: ParamValue) -> float:
        return float(self.index(value))

    def from_internal(self, x: float) -> CategoricalChoice:
        i = min(max(round(float(x)), 0), len(self.choices) - 1)
        return self.choices[i]

    def from_unit(self, u: float) -> CategoricalChoice:
        n = len(self.choices)
        return self.choices[min(max(int(float(u) * n), 0), n - 1)]

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    """Rebuild a distribution from the dict ``to_json`` gave."""
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=data.get("log", False), step=data.get("step"))
    if kind == "int":
        return Int(data["low"], data["high"], log=data.get("log", False), step=data.get("step", 1))
    if kind == "categorical":
        return Categorical(data["choices"])
    raise ValueError(
        f"unknown distribution type {kind!r} in {data!r}; expected 'float', 'int' or 'categorical'"
    )
