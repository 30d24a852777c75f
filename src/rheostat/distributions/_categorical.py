"""``Categorical``: one of a list of JSON scalar choices."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rheostat.distributions._base import (
    CategoricalChoice,
    Distribution,
    ParamValue,
    _is_integral,
    _is_real,
)

__all__ = ["Categorical"]


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
