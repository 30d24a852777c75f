"""Acquisition functions of a minimization: log expected improvement, a confidence bound, and
Thompson sampling. Larger is better for the first two; a Thompson draw is minimized.

- ``LogEI``: ``log EI(x) = log h(z) + log sd(x)`` with ``z = (best - mean(x)) / sd(x)`` and
  ``h(z) = phi(z) + z Phi(z)`` (standard normal density and distribution), computed as in Ament
  et al. (2023, "Unexpected improvements to expected improvement", eq. 9): directly for
  ``z > -1``; below, as ``-z²/2 - log √(2π) + log1mexp(log(erfcx(-z/√2) |z|) + log √(π/2))``;
  beyond ``-1/√eps``, by its asymptote ``-z²/2 - log √(2π) - 2 log|z|``. It stays finite, smooth
  and increasing in ``z`` however far a point is from the incumbent, so the optimizer has a
  gradient to follow where plain EI underflows to 0.
- ``ConfidenceBound``: ``-mean(x) + √beta sd(x)`` (the lower confidence bound, negated), with
  ``beta_t = 0.2 d log(2t)`` after ``t`` observations in ``d`` dimensions: Kandasamy et al.
  (2017)'s practical scaling of the GP-UCB schedule of Srinivas et al. (2010).
- ``thompson_draw``: one joint draw of ``f`` from the posterior over a candidate set.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from rheostat.samplers._gp._model import Posterior, robust_cholesky

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["ConfidenceBound", "LogEI", "log_h", "thompson_draw", "ucb_beta"]

_C1 = 0.5 * math.log(2.0 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2.0)
_ASYMPTOTE = -1.0 / math.sqrt(np.finfo(float).eps)


def _log1mexp(a: Array) -> Array:
    """``log(1 - exp(a))`` for ``a < 0``, accurate at both ends (Mächler 2012)."""
    near = a > -math.log(2.0)
    safe_near = np.where(near, a, -1.0)
    safe_far = np.where(near, -1.0, a)
    return np.where(near, np.log(-np.expm1(safe_near)), np.log1p(-np.exp(safe_far)))


def log_h(z: Array) -> Array:
    """``log(phi(z) + z Phi(z))``, stable for every ``z`` (see the module docstring)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _C1) + zu * ndtr(zu))
    mid = ~upper & (z > _ASYMPTOTE)
    zm = z[mid]
    out[mid] = -0.5 * zm * zm - _C1 + _log1mexp(np.log(erfcx(-zm / math.sqrt(2.0)) * -zm) + _C2)
    low = ~upper & ~mid
    zl = z[low]
    out[low] = -0.5 * zl * zl - _C1 - 2.0 * np.log(-zl)
    return out


def _dlog_h(z: Array, lh: Array) -> Array:
    """``d log h / dz = Phi(z) / h(z)``, from ``lh = log h(z)``."""
    return np.asarray(np.exp(log_ndtr(z) - lh))


class LogEI:
    """Log expected improvement over ``best`` (lower is better), with gradients."""

    def __init__(self, posterior: Posterior, best: float) -> None:
        self.posterior = posterior
        self.best = float(best)

    def __call__(self, x: Array) -> Array:
        mean, var = self.posterior.predict(x)
        sd = np.sqrt(var)
        return np.asarray(log_h((self.best - mean) / sd) + np.log(sd))

    def with_grad(self, x: Array, cont: Mask) -> tuple[Array, Array]:
        """Values and gradients with respect to the continuous columns ``cont``."""
        mean, var, d_mean, d_var = self.posterior.predict_with_grad(x, cont)
        sd = np.sqrt(var)
        z = (self.best - mean) / sd
        lh = log_h(z)
        psi = _dlog_h(z, lh)
        d_by_mean = -psi / sd
        d_by_sd = (1.0 - psi * z) / sd
        grad = d_by_mean[:, None] * d_mean + (d_by_sd / (2.0 * sd))[:, None] * d_var
        return np.asarray(lh + np.log(sd)), np.asarray(grad)


def ucb_beta(n_observations: int, dim: int) -> float:
    """``beta_t = 0.2 d log(2t)``, at least ``0.2 d log 2``."""
    return 0.2 * max(dim, 1) * math.log(2.0 * max(n_observations, 1))


class ConfidenceBound:
    """``-mean(x) + √beta sd(x)``: optimism in the face of uncertainty, for a minimization."""

    def __init__(self, posterior: Posterior, beta: float) -> None:
        self.posterior = posterior
        self.sqrt_beta = math.sqrt(beta)

    def __call__(self, x: Array) -> Array:
        mean, var = self.posterior.predict(x)
        return np.asarray(-mean + self.sqrt_beta * np.sqrt(var))

    def with_grad(self, x: Array, cont: Mask) -> tuple[Array, Array]:
        """Values and gradients with respect to the continuous columns ``cont``."""
        mean, var, d_mean, d_var = self.posterior.predict_with_grad(x, cont)
        sd = np.sqrt(var)
        grad = -d_mean + (self.sqrt_beta / (2.0 * sd))[:, None] * d_var
        return np.asarray(-mean + self.sqrt_beta * sd), np.asarray(grad)


def thompson_draw(posterior: Posterior, candidates: Array, rng: np.random.Generator) -> Array:
    """One joint draw of ``f`` from the posterior at the rows of ``candidates``."""
    mean, cov = posterior.joint(candidates)
    factor = robust_cholesky(cov + 1e-9 * posterior.signal * np.eye(len(mean)))
    return np.asarray(mean + factor @ rng.standard_normal(len(mean)))
