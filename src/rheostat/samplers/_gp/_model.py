"""The GP posterior for fixed hyperparameters: a robust Cholesky, predictions and gradients.

The model is ``y = f(x) + e`` with ``f ~ GP(0, s² m(r²))`` (``_kernel``) and ``e ~ N(0, v)``;
``y`` is standardized by the caller, so the zero prior mean is the data's mean. Predictions are
of the latent ``f`` (without the noise ``v``), which is what the acquisition functions want.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import lapack

from rheostat.samplers._gp._kernel import (
    cross_sq_dist,
    matern52,
    matern52_with_grad,
    pairwise_deltas,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["Hyperparameters", "Posterior", "cholesky_inverse", "cholesky_solve", "robust_cholesky"]

_MIN_VAR = 1e-12


@dataclass(frozen=True)
class Hyperparameters:
    """Kernel length-scales (one per column), signal variance ``s²`` and noise variance ``v``,
    as natural logarithms; ``vector`` packs them as ``[log l..., log s², log v]``."""

    log_lengthscales: tuple[float, ...]
    log_signal: float
    log_noise: float

    @classmethod
    def from_vector(cls, theta: Array) -> Hyperparameters:
        """Unpack ``[log l..., log s², log v]``."""
        values = [float(v) for v in theta]
        return cls(tuple(values[:-2]), values[-2], values[-1])

    @property
    def vector(self) -> Array:
        """``[log l..., log s², log v]``."""
        return np.array([*self.log_lengthscales, self.log_signal, self.log_noise], dtype=float)

    @property
    def inv_ls2(self) -> Array:
        """``1 / l²`` per column."""
        return np.exp(-2.0 * np.array(self.log_lengthscales, dtype=float))


def robust_cholesky(k: Array, *, max_tries: int = 8) -> Array:
    """The lower Cholesky factor of ``k``, adding a growing jitter to the diagonal when needed.

    The jitter starts at ``1e-10`` of the mean diagonal and grows tenfold per failure, up to
    ``1e-3``; ``numpy.linalg.LinAlgError`` is raised if even that does not help.
    """
    factor, info = lapack.dpotrf(k, lower=1, clean=1, overwrite_a=0)
    if info == 0:
        return np.asarray(factor)
    scale = float(np.mean(np.diag(k))) if len(k) else 1.0
    if not math.isfinite(scale) or scale <= 0.0:
        raise np.linalg.LinAlgError(f"kernel matrix has a non-positive mean diagonal {scale}")
    idx = np.diag_indices_from(k)
    for i in range(max_tries):
        jittered = k.copy()
        jittered[idx] += scale * 10.0 ** (i - 10)
        factor, info = lapack.dpotrf(jittered, lower=1, clean=1, overwrite_a=1)
        if info == 0:
            return np.asarray(factor)
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter 1e-3")


def cholesky_inverse(factor: Array) -> Array:
    """``K⁻¹`` from the lower Cholesky factor of ``K`` (LAPACK ``potri``)."""
    inv, info = lapack.dpotri(factor, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed with info={info}")
    lower = np.tril(inv)
    return np.asarray(lower + np.tril(lower, -1).T)


def cholesky_solve(factor: Array, y: Array) -> Array:
    """``K⁻¹ y`` from the lower Cholesky factor of ``K``."""
    out, info = lapack.dpotrs(factor, y, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"potrs failed with info={info}")
    return np.asarray(out)


class Posterior:
    """The GP posterior given observations ``(x, y)`` and hyperparameters; immutable.

    ``x`` is ``(n, d)`` (rows from ``Encoding``), ``y`` is ``(n,)``; ``is_cat`` marks the
    categorical columns.
    """

    def __init__(self, x: Array, y: Array, is_cat: Mask, params: Hyperparameters) -> None:
        self.x, self.y, self.is_cat, self.params = x, y, is_cat, params
        self.inv_ls2 = params.inv_ls2
        self.signal = math.exp(params.log_signal)
        self.noise = math.exp(params.log_noise)
        r2 = pairwise_deltas(x, x, is_cat) @ self.inv_ls2
        k = self.signal * matern52(r2)
        k[np.diag_indices_from(k)] += self.noise
        self.factor = robust_cholesky(k)
        self.alpha = cholesky_solve(self.factor, y)
        self.k_inv = cholesky_inverse(self.factor)

    def with_fantasies(self, x_pending: Array) -> Posterior:
        """The posterior after observing the current mean at ``x_pending`` (kriging believer):
        the mean is unchanged and the variance there collapses, so a batch spreads out."""
        if len(x_pending) == 0:
            return self
        mean, _ = self.predict(x_pending)
        return Posterior(
            np.vstack([self.x, x_pending]),
            np.concatenate([self.y, mean]),
            self.is_cat,
            self.params,
        )

    def fitted_mean(self) -> Array:
        """The posterior mean at the observed points, ``y - v K⁻¹ y``."""
        return np.asarray(self.y - self.noise * self.alpha)

    def kernel_to(self, xq: Array) -> Array:
        """``k(xq, x)``, the ``(m, n)`` covariances of query points with the observations."""
        return self.signal * matern52(cross_sq_dist(xq, self.x, self.inv_ls2, self.is_cat))

    def predict(self, xq: Array) -> tuple[Array, Array]:
        """Posterior mean and variance of ``f`` at the rows of ``xq``."""
        kq = self.kernel_to(xq)
        mean = kq @ self.alpha
        var = self.signal - np.einsum("ij,ij->i", kq @ self.k_inv, kq)
        return mean, np.maximum(var, _MIN_VAR * self.signal)

    def predict_with_grad(self, xq: Array, cont: Mask) -> tuple[Array, Array, Array, Array]:
        """Mean, variance, and their gradients ``(m, c)`` with respect to the continuous columns
        ``cont`` of ``xq`` (distances computed exactly, for smooth local search)."""
        diff = xq[:, None, :] - self.x[None, :, :]  # (m, n, d)
        sq = diff * diff
        if self.is_cat.any():
            sq[:, :, self.is_cat] = diff[:, :, self.is_cat] != 0.0
        corr, d_corr = matern52_with_grad(sq @ self.inv_ls2)
        kq = self.signal * corr
        w = kq @ self.k_inv  # (m, n): K⁻¹ k(x) per query point
        mean = kq @ self.alpha
        var = self.signal - np.einsum("ij,ij->i", w, kq)
        # d k_i / d x_c = 2 s² m'(r²_i) (x_c - x_ic) / l_c²
        g = 2.0 * self.signal * d_corr
        dc = diff[:, :, cont] * self.inv_ls2[cont]
        d_mean = np.einsum("in,inc->ic", g * self.alpha, dc)
        d_var = -2.0 * np.einsum("in,inc->ic", g * w, dc)
        floor = _MIN_VAR * self.signal
        clipped = var < floor
        d_var[clipped] = 0.0
        return mean, np.maximum(var, floor), d_mean, d_var

    def joint(self, xq: Array) -> tuple[Array, Array]:
        """Posterior mean ``(m,)`` and covariance ``(m, m)`` of ``f`` at the rows of ``xq``."""
        kq = self.kernel_to(xq)
        kqq = self.signal * matern52(cross_sq_dist(xq, xq, self.inv_ls2, self.is_cat))
        cov = kqq - kq @ self.k_inv @ kq.T
        return kq @ self.alpha, np.asarray(0.5 * (cov + cov.T))
