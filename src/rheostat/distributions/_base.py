"""The ``Distribution`` base class, the value types, and the number helpers the kinds share."""

from __future__ import annotations

import decimal
import numbers
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeAlias

__all__ = ["CategoricalChoice", "Distribution", "ParamValue"]

CategoricalChoice: TypeAlias = bool | int | float | str | None
"""A categorical choice: a JSON scalar."""

ParamValue: TypeAlias = bool | int | float | str | None
"""The value of one parameter, as the objective sees it."""

_REL_TOL = 1e-9


def _is_real(value: object) -> bool:
    # float and int first: the ABC check costs a Python-level call, on every suggestion
    kind = type(value)
    if kind is float or kind is int:
        return True
    return isinstance(value, numbers.Real) and kind is not bool


def _is_integral(value: object) -> bool:
    kind = type(value)
    if kind is int:
        return True
    return isinstance(value, numbers.Integral) and kind is not bool


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
