"""TPE's density model: which observations are good, and a Parzen estimator for each side.

Everything works on the parameters' internal scale (``Distribution.to_internal``): ``[0, 1]``
for numbers, the choice's index for categoricals.

A proposal (``best_point``) splits the observations, fits ``l`` to the good ones and ``g`` to the
bad ones (pending trials join them as the newest, a constant liar; bad observations older than the
newest ``max_good`` weigh less, hyperopt's linear forgetting), draws candidates from ``l`` and
returns the one with the largest ``l / g``; ``multivariate=False`` does this per parameter.

The split (``good_rows``): one objective ranks ``COMPLETE`` trials by their value and then
``PRUNED`` ones (more steps reached first, then by their last reported value); several objectives
rank by non-dominated fronts (``COMPLETE`` first), and the last front that does not fit whole is
cut by NSGA-II's crowding distance (extremes first). The best ``n_good`` rows are good.

The estimator (``Parzen``) is a weighted mixture with one kernel per observation, a product over
the parameters, plus a uniform prior component of weight ``prior_weight``:

- a float without a step: a Gaussian truncated to ``[0, 1]``;
- an integer or a step float: the same Gaussian's probability mass of the value's cell (the part
  of the internal scale that rounds to it);
- a categorical: Aitchison-Aitken, the observed choice with probability ``1 - λ`` and each other
  with ``λ / (K - 1)``, ``λ = (K - 1) / (2K)`` (as weighting the observed choice 1 against a
  uniform 1 / K would).

Numeric bandwidths follow Scott's rule, one per parameter: ``factor · s · (n + w)^(-1/(d + 4))``
for ``n`` observations in ``d`` dimensions and a prior of weight ``w``, where ``s²`` is the
observations' weighted variance shrunk towards the uniform prior's ``1/12`` (the prior counts as
``w`` pseudo-observations, so few observations give wide kernels and many give narrow ones), clipped
to ``[min_bandwidth, 1]``. All components of one estimator share the bandwidths, which keeps the
density a single matrix product per evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from rheostat.distributions import Categorical, Distribution, Float, Int

__all__ = ["Column", "Parzen", "Settings", "best_point", "forgetting_weights", "good_rows"]

Array = np.ndarray[Any, Any]

CONTINUOUS, GRID, LOG_INT, CATEGORICAL = 0, 1, 2, 3
_TINY = 1e-300


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


@dataclass(frozen=True)
class Settings:
    """The model's knobs; ``TPESampler`` documents them."""

    gamma: float
    max_good: int
    n_candidates: int
    multivariate: bool
    prior_weight: float
    bandwidth_factor: float
    min_bandwidth: float


def best_point(
    x: Array,
    loss: Array,
    pruned: Array,
    steps: Array,
    last: Array,
    liars: Sequence[Sequence[float]],
    columns: Sequence[Column],
    settings: Settings,
    seed: int,
) -> Array:
    """The internal point with the largest ``l / g`` among candidates drawn from ``l``.

    ``x`` holds the observations in trial order (``good_rows`` explains the other arrays),
    ``liars`` the internal points of pending trials; ``seed`` seeds the draws.
    """
    rng = np.random.default_rng(seed)
    n, d = x.shape
    n_good = max(1, min(math.ceil(settings.gamma * n), settings.max_good))
    good = np.zeros(n, dtype=bool)
    good[good_rows(loss, pruned, steps, last, n_good)] = True
    x_good = x[good]
    x_bad = np.concatenate([x[~good], np.reshape(np.asarray(liars, dtype=float), (-1, d))])
    w_bad = forgetting_weights(len(x_bad), settings.max_good)
    if settings.multivariate:
        return _best(x_good, x_bad, w_bad, list(columns), settings, rng)
    return np.concatenate(
        [
            _best(x_good[:, [j]], x_bad[:, [j]], w_bad, [col], settings, rng)
            for j, col in enumerate(columns)
        ]
    )


def _best(
    x_good: Array,
    x_bad: Array,
    w_bad: Array,
    columns: list[Column],
    settings: Settings,
    rng: np.random.Generator,
) -> Array:
    kwargs = {
        "prior_weight": settings.prior_weight,
        "bandwidth_factor": settings.bandwidth_factor,
        "min_bandwidth": settings.min_bandwidth,
    }
    below = Parzen(x_good, np.ones(len(x_good)), columns, **kwargs)
    above = Parzen(x_bad, w_bad, columns, **kwargs)
    candidates = below.sample(rng, settings.n_candidates)
    score = below.log_pdf(candidates) - above.log_pdf(candidates)
    return np.asarray(candidates[int(np.argmax(score))])


def forgetting_weights(n: int, keep: int = 25) -> Array:
    """Weights of ``n`` observations in trial order (oldest first): the ``keep`` newest weigh 1,
    older ones less, falling linearly towards 0 for the oldest (hyperopt's linear forgetting)."""
    return np.asarray(np.minimum((np.arange(n) + 1.0) / max(n - keep + 1.0, 1.0), 1.0))


def good_rows(loss: Array, pruned: Array, steps: Array, last: Array, n_good: int) -> Array:
    """Indices of the ``n_good`` best rows (see the module docstring).

    ``loss`` is ``(n, m)``, to minimize; ``pruned`` marks ``PRUNED`` rows, whose rank comes from
    ``steps`` (the last step reached) and ``last`` (their last value, to minimize).
    """
    done = np.flatnonzero(~pruned)
    if len(done) > n_good:
        if loss.shape[1] == 1:
            return done[np.argpartition(loss[done, 0], n_good - 1)[:n_good]]
        return done[_best_by_fronts(loss[done], n_good)]
    if len(done) == n_good:
        return done
    rest = np.flatnonzero(pruned)
    order = np.lexsort((rest, last[rest], -steps[rest]))
    return np.concatenate([done, rest[order[: n_good - len(done)]]])


def _best_by_fronts(y: Array, k: int) -> Array:
    """The ``k`` best rows of ``y`` by non-dominated sorting, the last front cut by crowding."""
    remaining = np.arange(len(y))
    chosen: list[Array] = []
    left = k
    while left > 0:
        front = remaining[_pareto_mask(y[remaining])]
        if len(front) > left:
            crowd = _crowding(y[front])
            front = front[np.argsort(-crowd, kind="stable")[:left]]
        chosen.append(front)
        left -= len(front)
        remaining = np.setdiff1d(remaining, front, assume_unique=True)
    return np.sort(np.concatenate(chosen))


def _pareto_mask(y: Array) -> Array:
    """Which rows of ``y`` no other row dominates (minimizing every column)."""
    order = np.argsort(y.sum(axis=1), kind="stable")  # a dominator has a smaller sum
    idx, ys = order, y[order]
    i = 0
    while i < len(ys):
        p = ys[i]
        dominated = np.all(p <= ys, axis=1) & np.any(p < ys, axis=1)
        keep = ~dominated
        i = int(keep[:i].sum()) + 1
        idx, ys = idx[keep], ys[keep]
    mask = np.zeros(len(y), dtype=bool)
    mask[idx] = True
    return mask


def _crowding(y: Array) -> Array:
    """NSGA-II's crowding distance of each row (extremes are infinite)."""
    n, m = y.shape
    dist = np.zeros(n)
    for j in range(m):
        order = np.argsort(y[:, j], kind="stable")
        col = y[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0 and n > 2:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def _log_mass(mu: Array, h: Array) -> Array:
    """For each row, the log of the mass inside ``[0, 1]^k`` of a Gaussian at ``mu`` with
    standard deviations ``h``: exact for few rows, else interpolated linearly from ``8 / h`` grid
    points per column (an absolute error of about 1e-3 per column, and far fewer normal CDF
    evaluations, the costliest part of a large estimator)."""
    n, k = mu.shape
    intervals = np.maximum(np.ceil(8.0 / h), 16).astype(int)
    if n * k <= 2 * intervals.sum():
        return np.asarray(
            np.log(np.maximum(ndtr((1.0 - mu) / h) - ndtr(-mu / h), _TINY)).sum(axis=1)
        )
    top = int(intervals.max())
    grid = np.minimum(np.arange(top + 1)[None, :] / intervals[:, None], 1.0)  # (k, top + 1)
    hc = h[:, None]
    table = np.log(np.maximum(ndtr((1.0 - grid) / hc) - ndtr(-grid / hc), _TINY))
    pos = mu * intervals
    i = np.minimum(pos.astype(int), intervals - 1)
    flat = i + (np.arange(k) * (top + 1))[None, :]
    left, right = table.ravel()[flat], table.ravel()[flat + 1]
    return np.asarray((left + (pos - i) * (right - left)).sum(axis=1))


class Parzen:
    """A weighted kernel mixture over ``columns`` fitted to the internal points ``x`` (``(n, d)``).

    See the module docstring for the kernels, the prior and the bandwidths.
    """

    def __init__(
        self,
        x: Array,
        weights: Array,
        columns: Sequence[Column],
        *,
        prior_weight: float,
        bandwidth_factor: float,
        min_bandwidth: float,
    ) -> None:
        n, d = x.shape
        self.x, self.columns, self.n = x, list(columns), n
        kinds = np.array([c.kind for c in columns], dtype=int).reshape(d)
        self.numeric = np.flatnonzero(kinds != CATEGORICAL)
        self.continuous = np.flatnonzero(kinds == CONTINUOUS)
        self.discrete = np.flatnonzero((kinds == GRID) | (kinds == LOG_INT))
        self.categorical = np.flatnonzero(kinds == CATEGORICAL)
        w = np.append(np.asarray(weights, dtype=float), prior_weight)
        self.w = w / w.sum()
        log_w = np.log(np.maximum(self.w, _TINY))
        self.log_prior_w = float(log_w[n])
        # Scott's rule with the prior as pseudo-observations of variance 1/12.
        total = float(w[:n].sum())
        var = np.zeros(d)
        if n:
            mean = w[:n] @ x / total
            var = w[:n] @ (x - mean) ** 2 / total
        var = (total * var + prior_weight / 12.0) / (total + prior_weight)
        scott = (n + prior_weight) ** (-1.0 / (d + 4))
        self.h = np.clip(bandwidth_factor * np.sqrt(var) * scott, min_bandwidth, 1.0)
        # Each component's constant: its weight over its mass inside [0, 1] (truncation), and
        # the parts of its Gaussian exponent that do not depend on the point.
        self.const = log_w[:n] - _log_mass(x[:, self.numeric], self.h[self.numeric])
        if len(self.continuous):
            hc = self.h[self.continuous]
            self.zo = x[:, self.continuous] / hc
            self.const -= 0.5 * (self.zo**2).sum(axis=1) + np.log(hc * math.sqrt(2 * math.pi)).sum()
        sizes = np.array([c.size for c in columns], dtype=float)
        self.lam = np.where(sizes > 1, (sizes - 1) / (2 * sizes), 0.0)

    def log_pdf(self, c: Array) -> Array:
        """The log density (log mass for discrete parameters) of the mixture at rows of ``c``."""
        m = len(c)
        prior = np.full(m, self.log_prior_w)
        if len(self.continuous):
            zc = c[:, self.continuous] / self.h[self.continuous]
            comp = zc @ self.zo.T
            comp += self.const - 0.5 * (zc**2).sum(axis=1)[:, None]
        else:
            comp = np.tile(self.const, (m, 1))
        for j in self.discrete:
            _v, lo, hi = self.columns[j].cells(c[:, j])
            a = (lo[:, None] - self.x[None, :, j]) / self.h[j]
            b = (hi[:, None] - self.x[None, :, j]) / self.h[j]
            mass = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
            comp += np.log(np.maximum(mass, _TINY))
            prior += np.log(np.maximum(hi - lo, _TINY))
        for j in self.categorical:
            k, lam = self.columns[j].size, self.lam[j]
            same = c[:, j][:, None] == self.x[None, :, j]
            other = math.log(lam / (k - 1)) if k > 1 else 0.0
            comp += np.where(same, math.log(1.0 - lam), other)
            prior -= math.log(k)
        top = np.maximum(comp.max(axis=1, initial=-np.inf), prior)
        comp -= top[:, None]
        total = np.exp(comp, out=comp).sum(axis=1) + np.exp(prior - top)
        return np.asarray(top + np.log(total))

    def sample(self, rng: np.random.Generator, m: int) -> Array:
        """``m`` points drawn from the mixture (discrete parameters on their values)."""
        d = len(self.columns)
        comp = rng.choice(self.n + 1, size=m, p=self.w)
        u, v = rng.random((m, d)), rng.random((m, d))
        is_prior = (comp == self.n)[:, None]
        centre = self.x[np.minimum(comp, self.n - 1)] if self.n else np.zeros((m, d))
        out = np.empty((m, d))
        num, cat = self.numeric, self.categorical
        if len(num):
            mu, h = centre[:, num], self.h[num]
            lo, hi = ndtr(-mu / h), ndtr((1.0 - mu) / h)
            draw = mu + h * ndtri(np.clip(lo + u[:, num] * (hi - lo), _TINY, 1.0 - 1e-16))
            out[:, num] = np.clip(np.where(is_prior, u[:, num], draw), 0.0, 1.0)
            for j in self.discrete:
                out[:, j] = self.columns[j].cells(out[:, j])[0]
        if len(cat):
            k = np.array([self.columns[j].size for j in cat], dtype=float)
            uniform = np.minimum(np.floor(u[:, cat] * k), k - 1)
            other = np.minimum(np.floor(v[:, cat] * (k - 1)), np.maximum(k - 2, 0))
            other += other >= centre[:, cat]  # any choice but the observed one
            kernel = np.where(u[:, cat] < self.lam[cat], other, centre[:, cat])
            out[:, cat] = np.where(is_prior, uniform, kernel)
        return out
