"""Kernel hyperparameters by maximum a posteriori: priors, the log posterior and its gradient.

Priors, independent normals on the natural logarithms (``d`` columns, ``y`` standardized):

- length-scales: ``log l ~ N(√2 + ½ log d - 3, 3)``, the dimension-scaled prior of Hvarfner,
  Hellsten & Nardi (2024, "Vanilla Bayesian optimization performs great in high dimensions"),
  as BoTorch uses it (a log-normal ``LN(√2 + ½ log d, 3)`` whose density in ``l`` peaks at
  ``l = 0.29`` for ``d = 2`` and ``0.65`` for ``d = 10`` on the unit cube): smoother models in
  more dimensions, where data are sparse;
- signal variance ``s²``: ``log s² ~ N(0, 1)``;
- noise variance ``v``: ``log v ~ N(-9, 3²)`` above a floor (``noise_floor``, default 1e-6):
  near-interpolation for deterministic objectives, while a noisy one can raise it.

The negative log posterior and its gradient are analytic; with ``alpha = K⁻¹ y``,
``d log p(y | theta) / d theta = ½ tr((alpha alpha' - K⁻¹) dK/d theta)``. L-BFGS-B minimizes it
from the given starts inside a box (length-scales 0.005 to 100, ``s²`` 0.01 to 100, ``v`` the
floor to 1), and the best end point wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize

from rheostat.samplers._gp._kernel import matern52_with_grad, pairwise_deltas
from rheostat.samplers._gp._model import (
    Hyperparameters,
    cholesky_inverse,
    cholesky_solve,
    robust_cholesky,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["Prior", "fit_hyperparameters"]

_LOG_2PI = math.log(2.0 * math.pi)
_GTOL, _FTOL = 1e-4, 1e-9


@dataclass(frozen=True)
class Prior:
    """Normal priors on ``log l``, ``log s²`` and ``log v``, and the box L-BFGS-B searches."""

    noise_floor: float = 1e-6
    signal_mean: float = 0.0
    signal_std: float = 1.0
    noise_mean: float = -9.0
    noise_std: float = 3.0
    ls_std: float = math.sqrt(3.0)
    ls_bounds: tuple[float, float] = (math.log(5e-3), math.log(1e2))
    signal_bounds: tuple[float, float] = (math.log(1e-2), math.log(1e2))

    def ls_mean(self, dim: int) -> float:
        """The prior mean (and mode) of ``log l`` with ``dim`` columns."""
        return math.sqrt(2.0) + 0.5 * math.log(max(dim, 1)) - self.ls_std**2

    def means(self, dim: int) -> Array:
        """The prior mode, as ``[log l..., log s², log v]`` (clipped into the box)."""
        theta = np.array([self.ls_mean(dim)] * dim + [self.signal_mean, self.noise_mean])
        return self.clip(theta)

    def stds(self, dim: int) -> Array:
        """The prior standard deviations, in the same order."""
        return np.array([self.ls_std] * dim + [self.signal_std, self.noise_std])

    def bounds(self, dim: int) -> list[tuple[float, float]]:
        """The box of ``[log l..., log s², log v]``."""
        noise = (math.log(self.noise_floor), 0.0)
        return [self.ls_bounds] * dim + [self.signal_bounds, noise]

    def clip(self, theta: Array) -> Array:
        """``theta`` clipped into the box."""
        lo, hi = np.array(self.bounds(len(theta) - 2)).T
        return np.asarray(np.clip(theta, lo, hi))

    def sample(self, rng: np.random.Generator, dim: int) -> Array:
        """A random start: a draw from the prior (half its spread), clipped into the box."""
        return self.clip(self.means(dim) + 0.5 * self.stds(dim) * rng.standard_normal(dim + 2))


def neg_log_posterior(theta: Array, deltas: Array, y: Array, prior: Prior) -> tuple[float, Array]:
    """``-log p(y | theta) - log p(theta)`` (up to a constant) and its gradient in ``theta``."""
    n, dim = deltas.shape[0], deltas.shape[2]
    inv_ls2 = np.exp(-2.0 * theta[:dim])
    signal, noise = math.exp(theta[dim]), math.exp(theta[dim + 1])
    m, dm = matern52_with_grad(deltas @ inv_ls2)
    k = signal * m
    k[np.diag_indices(n)] += noise
    try:
        factor = robust_cholesky(k)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cholesky_solve(factor, y)
    w = np.outer(alpha, alpha) - cholesky_inverse(factor)
    value = 0.5 * float(y @ alpha) + float(np.log(np.diag(factor)).sum()) + 0.5 * n * _LOG_2PI
    grad = np.empty_like(theta)
    grad[:dim] = ((w * (signal * dm)).reshape(-1) @ deltas.reshape(n * n, dim)) * inv_ls2
    grad[dim] = -0.5 * signal * float(np.einsum("ij,ij->", w, m))
    grad[dim + 1] = -0.5 * noise * float(np.trace(w))
    z = (theta - prior.means(dim)) / (stds := prior.stds(dim))
    value += 0.5 * float(z @ z)
    grad += z / stds
    return value, grad


def fit_hyperparameters(
    x: Array,
    y: Array,
    is_cat: Mask,
    prior: Prior,
    starts: Sequence[Array],
    *,
    max_iter: int = 200,
) -> Hyperparameters:
    """The MAP hyperparameters for observations ``(x, y)``, best of L-BFGS-B runs from
    ``starts`` (each ``[log l..., log s², log v]``)."""
    deltas = pairwise_deltas(x, x, is_cat)
    bounds = prior.bounds(x.shape[1])
    best_theta, best_value = prior.means(x.shape[1]), math.inf
    for start in starts:
        result = minimize(
            neg_log_posterior,
            prior.clip(np.asarray(start, dtype=float)),
            args=(deltas, y, prior),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "gtol": _GTOL, "ftol": _FTOL},
        )
        if math.isfinite(result.fun) and result.fun < best_value:
            best_theta, best_value = np.asarray(result.x, dtype=float), float(result.fun)
    return Hyperparameters.from_vector(best_theta)
