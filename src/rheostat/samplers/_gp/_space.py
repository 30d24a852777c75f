"""The GP's view of a search space: one column per parameter, and the values each may take.

Every parameter becomes one column of its internal form (``Distribution.to_internal``):

- ``CONTINUOUS``: a ``Float`` without a step, anywhere in ``[0, 1]`` (log scale when ``log``);
- ``DISCRETE``: an ``Int`` or a step ``Float``, restricted to the centres of its values' cells,
  indexed ``0 .. n - 1`` in order;
- ``CATEGORICAL``: the index of the choice, ``0 .. n - 1``; the kernel compares these by equality.

A parameter with one value is left out of the model and returned as it is. The model only ever
sees valid points (training points are valid, and every candidate is projected before it is
scored), which is Garrido-Merchán & Hernández-Lobato's (2020) rounding inside the kernel: the
acquisition is a step function of an integer parameter, so no trial is spent between integers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.space import Space

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

__all__ = ["CATEGORICAL", "CONTINUOUS", "DISCRETE", "Encoding"]

CONTINUOUS, DISCRETE, CATEGORICAL = 0, 1, 2


@dataclass(frozen=True)
class _Column:
    name: str
    dist: Distribution
    kind: int
    n: int  # number of values (0 for continuous)


def _kind(dist: Distribution) -> int:
    if isinstance(dist, Categorical):
        return CATEGORICAL
    if isinstance(dist, Float) and dist.step is None:
        return CONTINUOUS
    return DISCRETE


class Encoding:
    """Maps the parameters of ``space`` to rows of a float matrix and back.

    >>> enc = Encoding(Space({"n": Int(1, 4), "x": Float(0.0, 2.0), "c": Categorical(["a"])}))
    >>> enc.encode({"n": 2, "x": 0.5, "c": "a"}).tolist()
    [0.375, 0.25]
    >>> enc.decode(np.array([0.9, 1.0]))
    {'n': 4, 'x': 2.0, 'c': 'a'}
    """

    def __init__(self, space: Space) -> None:
        self.space = space
        self.fixed: dict[str, ParamValue] = {}
        columns: list[_Column] = []
        for name, dist in space.items():
            n = dist.n_values
            if n == 1:
                self.fixed[name] = dist.from_internal(0.5)
                continue
            kind = _kind(dist)
            columns.append(_Column(name, dist, kind, 0 if kind == CONTINUOUS else int(n)))
        self.columns = tuple(columns)
        self.kinds = np.array([c.kind for c in columns], dtype=np.int64)
        self.n_values = np.array([c.n for c in columns], dtype=np.int64)
        self.is_cat = self.kinds == CATEGORICAL
        self.is_cont = self.kinds == CONTINUOUS

    @property
    def dim(self) -> int:
        """The number of modelled columns."""
        return len(self.columns)

    def covers(self, params: Mapping[str, ParamValue], dists: Mapping[str, Distribution]) -> bool:
        """Whether a trial with ``params`` drawn from ``dists`` has every parameter of the space."""
        return all(name in params and dists.get(name) == d for name, d in self.space.items())

    def encode(self, params: Mapping[str, ParamValue]) -> Array:
        """The row of ``params`` (which must hold every parameter of the space)."""
        return np.array([c.dist.to_internal(params[c.name]) for c in self.columns], dtype=float)

    def decode(self, row: Array) -> dict[str, ParamValue]:
        """The parameter values of a (projected) row, with the right Python types."""
        out: dict[str, ParamValue] = {}
        for c, x in zip(self.columns, row.tolist(), strict=True):
            out[c.name] = c.dist.from_internal(x)
        out.update(self.fixed)
        return {name: out[name] for name in self.space}

    # -- value indices of discrete and categorical columns -----------------------------------------

    def to_index(self, j: int, x: Array) -> NDArray[np.int64]:
        """The value index (``0 .. n - 1``) of the points ``x`` of column ``j``."""
        c = self.columns[j]
        if c.kind == CATEGORICAL:
            return np.asarray(np.clip(np.rint(x), 0, c.n - 1), dtype=np.int64)
        dist = c.dist
        if isinstance(dist, Int) and dist.log:
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            v = np.rint(np.exp(lo + np.clip(x, 0.0, 1.0) * (hi - lo)))
            return np.asarray(np.clip(v - dist.low, 0, c.n - 1), dtype=np.int64)
        k = np.floor(np.clip(x, 0.0, 1.0) * c.n)
        return np.asarray(np.clip(k, 0, c.n - 1), dtype=np.int64)

    def from_index(self, j: int, k: NDArray[np.int64]) -> Array:
        """The internal coordinate of value index ``k`` of column ``j``."""
        c = self.columns[j]
        if c.kind == CATEGORICAL:
            return k.astype(float)
        dist = c.dist
        if isinstance(dist, Int) and dist.log:
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            return np.asarray((np.log(dist.low + k) - lo) / (hi - lo), dtype=float)
        return (k + 0.5) / c.n

    def project(self, x: Array) -> Array:
        """``x`` (points in rows) moved onto valid values: continuous columns clipped into
        ``[0, 1]``, discrete ones to their nearest value, categoricals to an index."""
        out = np.clip(x, 0.0, 1.0)
        for j in np.flatnonzero(~self.is_cont):
            col = x[:, j] if self.is_cat[j] else out[:, j]
            out[:, j] = self.from_index(int(j), self.to_index(int(j), col))
        return out

    def from_unit(self, u: Array) -> Array:
        """Points of the unit cube (Sobol', uniform) mapped to valid rows; each value of a
        discrete or categorical column owns an equal share of its axis."""
        out = u.copy()
        for j in np.flatnonzero(~self.is_cont):
            n = int(self.n_values[j])
            k = np.minimum((u[:, j] * n).astype(np.int64), n - 1)
            out[:, j] = self.from_index(int(j), k)
        return out

    def options(self, j: int, x: Array, n_max: int) -> Array:
        """For each point of ``x``, values of column ``j`` worth trying, as an ``(m, k)`` array:
        every value when there are at most ``n_max``, else those 1, 2, 4, ... steps away on
        either side (clipped into range, so some repeat)."""
        c = self.columns[j]
        if c.n <= n_max:
            return np.broadcast_to(self.from_index(j, np.arange(c.n)), (len(x), c.n))
        k = self.to_index(j, x[:, j])
        steps = 2 ** np.arange(int(math.log2(c.n)) + 1)
        steps = np.concatenate([-steps[::-1], steps])
        return self.from_index(j, np.clip(k[:, None] + steps[None, :], 0, c.n - 1))
