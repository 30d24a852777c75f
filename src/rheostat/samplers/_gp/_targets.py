"""What the GP is fitted to: one number per observation, lower is better, standardized.

- Each objective is negated when maximized.
- Several objectives are scalarized as in ParEGO (Knowles 2006): each is rescaled to ``[0, 1]``
  over the observations and ``max_i w_i f_i + 0.05 sum_i w_i f_i`` is taken, with weights ``w``
  drawn uniformly from the simplex for each new trial.
- Infinite values are clipped to the finite range (NaN never reaches this module).
- ``warp``: standardized, then power-transformed (Yeo-Johnson, the exponent by maximum likelihood
  on a grid of ``[0, 2]``), then standardized again, as HEBO does (Cowen-Rivers et al. 2022,
  winner of the NeurIPS 2020 black-box optimization challenge). A heavy tail of bad values, common
  in tuning where a diverged run scores far worse than the rest, then no longer squashes the good
  region into a sliver of the range, and the model's length-scales follow the good region's
  shape. The transform is monotone, so the order of the observations is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rheostat.trial import Direction

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

__all__ = ["parego_weights", "scalarize", "standardize", "warp", "yeo_johnson"]

_RHO = 0.05


def parego_weights(rng: np.random.Generator, n_objectives: int) -> Array:
    """Weights drawn uniformly from the simplex."""
    return np.asarray(rng.dirichlet(np.ones(n_objectives)))


def scalarize(values: Array, directions: Sequence[Direction], weights: Array | None) -> Array:
    """One number per row of ``values`` (``(n, k)``, finite or infinite), lower is better.

    ``weights`` is needed when ``k > 1`` (ParEGO's augmented Chebyshev scalarization).

    >>> scalarize(np.array([[1.0], [np.inf]]), [Direction.MAXIMIZE], None).tolist()
    [-1.0, -1.0]
    """
    signs = np.array([-1.0 if d is Direction.MAXIMIZE else 1.0 for d in directions])
    y = np.asarray(values, dtype=float) * signs
    for j in range(y.shape[1]):
        column = y[:, j]
        finite = column[np.isfinite(column)]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 0.0)
        y[:, j] = np.clip(np.nan_to_num(column, nan=hi, posinf=hi, neginf=lo), lo, hi)
    if y.shape[1] == 1:
        return np.asarray(y[:, 0])
    if weights is None:
        raise ValueError("several objectives need scalarization weights")
    lo, hi = y.min(axis=0), y.max(axis=0)
    scaled = (y - lo) / np.where(hi > lo, hi - lo, 1.0)
    weighted = scaled * weights
    return np.asarray(weighted.max(axis=1) + _RHO * weighted.sum(axis=1))


def standardize(y: Array) -> Array:
    """``(y - mean) / std`` (``std`` taken as 1 when the values are all equal)."""
    std = float(y.std())
    return np.asarray((y - y.mean()) / (std if std > 1e-12 * max(1.0, abs(y.mean())) else 1.0))


def yeo_johnson(z: Array, lmbda: float | Array) -> Array:
    """The Yeo-Johnson (2000) power transform of ``z`` with exponent ``lmbda`` (an array of
    exponents broadcasts against ``z``)."""
    lam = np.asarray(lmbda, dtype=float)
    pos = z >= 0.0
    up_log = np.log1p(np.where(pos, z, 0.0))
    down_log = np.log1p(-np.where(pos, 0.0, z))
    zero, two = np.abs(lam) < 1e-8, np.abs(lam - 2.0) < 1e-8
    up = np.where(zero, up_log, np.expm1(lam * up_log) / np.where(zero, 1.0, lam))
    down = np.where(
        two, -down_log, -np.expm1((2.0 - lam) * down_log) / np.where(two, 1.0, 2.0 - lam)
    )
    return np.asarray(np.where(pos, up, down))


_LAMBDAS = np.linspace(0.0, 2.0, 41)


def warp(y: Array) -> Array:
    """``y`` standardized, Yeo-Johnson transformed and standardized again; the exponent maximizes
    the normal likelihood over a grid of ``[0, 2]`` in steps of 0.05."""
    z = standardize(y)
    if len(z) < 3 or float(z.std()) == 0.0:
        return z
    transformed = yeo_johnson(z[None, :], _LAMBDAS[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        llf = -0.5 * len(z) * np.log(transformed.var(axis=1))
    llf += (_LAMBDAS - 1.0) * float((np.sign(z) * np.log1p(np.abs(z))).sum())
    llf = np.where(np.isfinite(llf), llf, -np.inf)
    if not np.isfinite(llf).any():
        return z
    return standardize(transformed[int(np.argmax(llf))])
