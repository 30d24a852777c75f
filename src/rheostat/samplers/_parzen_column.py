"""How TPE's Parzen estimators model one parameter, and the truncation mass of its kernels.

Everything works on the parameters' internal scale (``Distribution.to_internal``): ``[0, 1]``
for numbers, the choice's index for categoricals. ``Column`` says which kernel a parameter gets;
``log_mass`` and ``mass_table`` give the log of a Gaussian kernel's mass inside ``[0, 1]``, which
normalizes the truncated kernels of numeric parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from rheostat.distributions import Categorical, Distribution, Float, Int

__all__ = [
    *("CATEGORICAL", "CONTINUOUS", "GRID", "LOG_INT", "TINY", "Column", "Layout"),
    *("grid_intervals", "interpolates", "log_mass", "mass_table"),
]

Array = np.ndarray[Any, Any]

CONTINUOUS, GRID, LOG_INT, CATEGORICAL = 0, 1, 2, 3
TINY = 1e-300


@dataclass(frozen=True)
class Column:
    """How one parameter is modelled: its kernel ``kind`` and what that kernel needs.

    ``size`` is the number of cells (``GRID``) or choices (``CATEGORICAL``); ``low`` and ``high``
    are a log-scale integer's bounds (``LOG_INT``).
    """

    kind: int
    size: int = 1
    low: int = 1
    high: int = 1

    @classmethod
    def of(cls, dist: Distribution) -> Column:
        """The column for ``dist``."""
        if isinstance(dist, Categorical):
            return cls(CATEGORICAL, len(dist.choices))
        if isinstance(dist, Int):
            if dist.log and dist.high > dist.low:
                return cls(LOG_INT, low=dist.low, high=dist.high)
            return cls(GRID, int(dist.n_values))
        if isinstance(dist, Float) and dist.step is not None:
            return cls(GRID, int(dist.n_values))
        return cls(CONTINUOUS)

    def cells(self, x: Array) -> tuple[Array, Array, Array]:
        """For internal values ``x`` of a discrete column: the value each rounds to (in internal
        form) and the bounds of its cell."""
        if self.kind == GRID:
            k = np.clip(np.floor(x * self.size), 0, self.size - 1)
            return (k + 0.5) / self.size, k / self.size, (k + 1) / self.size
        a, b = math.log(self.low - 0.5), math.log(self.high + 0.5)
        v = np.clip(np.rint(np.exp(a + np.clip(x, 0.0, 1.0) * (b - a))), self.low, self.high)
        return (
            (np.log(v) - a) / (b - a),
            (np.log(v - 0.5) - a) / (b - a),
            (np.log(v + 0.5) - a) / (b - a),
        )


@dataclass(frozen=True, eq=False)
class Layout:
    """An estimator's columns by kernel: positions of the numeric, continuous, discrete and
    categorical ones, each column's size, and each categorical's λ (see ``_parzen``)."""

    columns: tuple[Column, ...]
    numeric: Array
    continuous: Array
    discrete: Array
    categorical: Array
    sizes: Array
    lam: Array

    @classmethod
    def of(cls, columns: Sequence[Column]) -> Layout:
        """The layout of ``columns``."""
        kinds = np.array([c.kind for c in columns], dtype=int).reshape(len(columns))
        sizes = np.array([c.size for c in columns], dtype=float).reshape(len(columns))
        return cls(
            tuple(columns),
            np.flatnonzero(kinds != CATEGORICAL),
            np.flatnonzero(kinds == CONTINUOUS),
            np.flatnonzero((kinds == GRID) | (kinds == LOG_INT)),
            np.flatnonzero(kinds == CATEGORICAL),
            sizes,
            np.where(sizes > 1, (sizes - 1) / (2 * sizes), 0.0),
        )


def grid_intervals(h: Array) -> Array:
    """The number of cells of each column's interpolation grid for bandwidths ``h``: ``8 / h``,
    at least 16 (an absolute error of about 1e-3 in a column's log mass)."""
    return np.asarray(np.maximum(np.ceil(8.0 / h), 16).astype(int))


def interpolates(n: int, intervals: Array) -> bool:
    """Whether ``n`` kernels' masses are interpolated on the grids rather than computed exactly:
    when that takes far fewer normal CDF evaluations, the costliest part of a large estimator."""
    return n * len(intervals) > 2 * int(intervals.sum())


def log_mass(mu: Array, h: Array) -> Array:
    """For each row, the exact log of the mass inside ``[0, 1]^k`` of a Gaussian at ``mu`` with
    standard deviations ``h``."""
    return np.asarray(np.log(np.maximum(ndtr((1.0 - mu) / h) - ndtr(-mu / h), TINY)).sum(axis=1))


def mass_table(
    h: Array, intervals: Array, cols: Array, width: int, stride: int
) -> tuple[Array, Array]:
    """The log mass of a Gaussian with standard deviation ``h[i]`` centred on each point
    ``p / intervals[i]`` of the grid of column ``cols[i]`` of ``width``, as flat tables with
    ``stride`` entries per column (column ``j`` at ``j · stride``; columns outside ``cols`` 0) of
    the values and of their differences to the next point: a kernel at ``mu`` between points
    ``p`` and ``p + 1`` has ``value[p] + (mu · intervals - p) · difference[p]``."""
    top = int(intervals.max())  # points beyond a column's last are never looked up
    grid = np.minimum(np.arange(top + 1)[None, :] / intervals[:, None], 1.0)
    hc = h[:, None]
    table = np.log(np.maximum(ndtr((1.0 - grid) / hc) - ndtr(-grid / hc), TINY))
    value, diff = np.zeros((width, stride)), np.zeros((width, stride))
    value[cols, : top + 1] = table
    diff[cols, :top] = table[:, 1:] - table[:, :-1]
    return value.ravel(), diff.ravel()
