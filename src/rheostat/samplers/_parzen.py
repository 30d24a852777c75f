"""TPE's Parzen estimator: a weighted kernel mixture over observations, plus a uniform prior.

The mixture has one kernel per observation, a product over the parameters, plus a uniform prior
component of weight ``prior_weight`` (``_parzen_column`` says which kernel a parameter gets):

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

The truncated kernels' masses are exact for few observations, else interpolated on a grid of
``8 / h`` points per parameter (``_parzen_column``). The observations come in blocks of ``Rows``
(``_parzen_rows``), which keep per observation what does not change between fits (discrete codes,
grid cells); a block's components are its rows picked by an index, in that order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from rheostat.samplers._parzen_column import (
    TINY,
    Array,
    grid_intervals,
    interpolates,
    log_mass,
    mass_table,
)
from rheostat.samplers._parzen_rows import Rows
from rheostat.samplers._workspace import Workspace

__all__ = ["Parzen"]

# Multiply-adds per matrix product: OpenBLAS runs small products on one thread (up to about
# 65536 · 4), and handing a larger one to its pool costs far more than the arithmetic on a busy
# machine (5-20x at 3,000 observations); half that bound, measured, keeps it off the pool.
_GEMM_SIZE = 1 << 17

Block = tuple[Rows, "Array | None", Array]


class Parzen:
    """A mixture over columns ``cols`` with one component per row of ``blocks``: each block is
    ``(rows, index, weights)``, the rows ``rows.x[index]`` (all rows if ``index`` is ``None``)
    with weights > 0; every block's ``Rows`` has the same columns.

    See the module docstring for the kernels, the prior and the bandwidths. The components keep
    the blocks' order, and the arithmetic is the same whatever the blocks, so that candidates
    with equal densities (two choices no observation has) stay exactly equal. With a ``work``
    space, large arrays live there: the estimator is usable until another is built on it.
    """

    def __init__(
        self,
        blocks: Sequence[Block],
        cols: Sequence[int],
        prior_weight: float,
        bandwidth_factor: float,
        min_bandwidth: float,
        *,
        work: Workspace | None = None,
    ) -> None:
        self.blocks = [
            (r, None if i is None else np.asarray(i), np.asarray(w)) for r, i, w in blocks
        ]
        self.layout = layout = blocks[0][0].layout(tuple(cols))
        self.cols = np.asarray(cols, dtype=np.intp).reshape(-1)
        self.columns = layout.columns
        self.work = work
        d = len(self.cols)
        self.numeric, self.continuous = layout.numeric, layout.continuous
        self.discrete, self.categorical = layout.discrete, layout.categorical
        self.x = x = self._gather()
        n = self.n = len(x)
        w = np.concatenate([*(wb for _, _, wb in self.blocks), [prior_weight]])
        self.w = w / w.sum()
        log_w = np.log(np.maximum(self.w, TINY))
        self.log_prior_w = float(log_w[n])
        # Scott's rule with the prior as pseudo-observations of variance 1/12.
        total = float(w[:n].sum())
        var = np.zeros(d)
        if n:
            mean = w[:n] @ x / total
            sq = np.subtract(x, mean, out=self._buffer("t", x.shape))
            np.square(sq, out=sq)
            var = w[:n] @ sq / total
        var = (total * var + prior_weight / 12.0) / (total + prior_weight)
        scott = (n + prior_weight) ** (-1.0 / (d + 4))
        h = np.maximum(bandwidth_factor * np.sqrt(var) * scott, min_bandwidth)
        self.h = np.minimum(h, 1.0)  # np.clip, without its overhead
        # Each component's constant: its weight over its mass inside [0, 1] (truncation), and
        # the parts of its Gaussian exponent that do not depend on the point.
        self.const = log_w[:n] - self._log_mass()
        if len(self.continuous):
            hc, xc = _pick(self.h, self.continuous), self._part(x, self.continuous)
            self.zo = np.divide(xc, hc, out=self._buffer("zo", xc.shape))
            zo2 = np.square(self.zo, out=self._buffer("t", xc.shape))
            self.const -= 0.5 * zo2.sum(axis=1) + np.log(hc * math.sqrt(2 * math.pi)).sum()
        self.lam = layout.lam

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: Any = float) -> Array:
        """An array for a large intermediate: from the workspace, else new."""
        if self.work is None:
            return np.empty(shape, dtype)
        return self.work.array(name, shape, dtype)

    @staticmethod
    def _part(a: Array, cols: Array) -> Array:
        """``a[:, cols]``, without a copy when ``cols`` are all of ``a``'s columns."""
        return a if len(cols) == a.shape[1] else a[:, cols]

    def _gather(self) -> Array:
        """The components' points: the blocks' rows, one block after the other."""
        if len(self.blocks) == 1 and self.blocks[0][1] is None:
            return self._part(self.blocks[0][0].x, self.cols)
        n = sum(rows.n if i is None else len(i) for rows, i, _ in self.blocks)
        out, start = self._buffer("x", (n, len(self.cols))), 0
        for rows, index, _ in self.blocks:
            src = self._part(rows.x, self.cols)
            k = len(src) if index is None else len(index)
            if index is None:
                out[start : start + k] = src
            else:
                np.take(src, index, axis=0, out=out[start : start + k], mode="clip")
            start += k
        return out

    def _log_mass(self) -> Array:
        """Each component's log mass inside ``[0, 1]`` over the numeric columns: exact for
        few components, else interpolated on grids whose cells the ``Rows`` keep."""
        num = self.numeric
        h = _pick(self.h, num)
        intervals = grid_intervals(h)
        if not len(num) or not interpolates(self.n, intervals):
            return log_mass(self._part(self.x, num), h)
        cols, out = _pick(self.cols, num), []
        for rows, index, _ in self.blocks:
            flat, frac, stride = rows.cells(cols, intervals)
            value, diff = mass_table(h, intervals, cols, len(rows.columns), stride)
            left = np.take(value, flat, None, self._buffer("left", flat.shape), "clip")
            slope = np.take(diff, flat, None, self._buffer("slope", flat.shape), "clip")
            lm = np.add(left, np.multiply(frac, slope, out=slope), out=left).sum(axis=1)
            out.append(lm if index is None else lm[index])  # every row, then the components
        return out[0] if len(out) == 1 else np.concatenate(out)

    def log_pdf(self, c: Array) -> Array:
        """The log density (log mass for discrete parameters) of the mixture at rows of ``c``
        (internal points over this estimator's columns)."""
        m = len(c)
        prior = np.full(m, self.log_prior_w)
        comp, term = self._buffer("comp", (m, self.n)), self._buffer("term", (m, self.n))
        if len(self.continuous):
            zc = self._part(c, self.continuous) / _pick(self.h, self.continuous)
            step = max(1, _GEMM_SIZE // max(1, zc.size))
            for a in range(0, self.n, step):  # one BLAS thread each, straight into comp
                np.matmul(zc, self.zo[a : a + step].T, out=comp[:, a : a + step])
            comp += np.subtract(self.const, 0.5 * (zc**2).sum(axis=1)[:, None], out=term)
        else:
            comp[:] = self.const
        # Discrete and categorical kernels: evaluated once per distinct observed value.
        for j in self.discrete.tolist():
            values, codes = self._codes(j)
            _v, lo, hi = self.columns[j].cells(c[:, j])
            a = (lo[:, None] - values[None, :]) / self.h[j]
            b = (hi[:, None] - values[None, :]) / self.h[j]
            mass = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
            comp += np.take(np.log(np.maximum(mass, TINY)), codes, 1, term, "clip")
            prior += np.log(np.maximum(hi - lo, TINY))
        for j in self.categorical.tolist():
            values, codes = self._codes(j)
            k, lam = self.columns[j].size, self.lam[j]
            same = c[:, j][:, None] == values[None, :]
            other = math.log(lam / (k - 1)) if k > 1 else 0.0
            comp += np.take(np.where(same, math.log(1.0 - lam), other), codes, 1, term, "clip")
            prior -= math.log(k)
        top = np.maximum(comp.max(axis=1, initial=-np.inf), prior)
        comp -= top[:, None]
        total = np.exp(comp, out=comp).sum(axis=1) + np.exp(prior - top)
        return np.asarray(top + np.log(total))

    def _codes(self, j: int) -> tuple[Array, Array]:
        """Column ``j``'s distinct values over the blocks, and each component's index into them."""
        col, values, codes, base = int(self.cols[j]), [], [], 0
        for rows, index, _ in self.blocks:
            v, k = rows.codes(col)
            values.append(v)
            codes.append((k if index is None else k[index]) + base)
            base += len(v)
        if len(values) == 1:
            return values[0], codes[0]
        return np.concatenate(values), np.concatenate(codes)

    def sample(self, rng: np.random.Generator, m: int) -> Array:
        """``m`` points drawn from the mixture (discrete parameters on their values)."""
        d = len(self.columns)
        # rng.choice(n + 1, size=m, p=self.w) as numpy computes it (the same draws from the
        # same stream), without re-validating weights we made: most of choice's cost here
        cdf = np.cumsum(self.w)
        cdf /= cdf[-1]
        comp = cdf.searchsorted(rng.random(m), side="right")
        u, v = rng.random((m, d)), rng.random((m, d))
        is_prior = (comp == self.n)[:, None]
        centre = self.x[np.minimum(comp, self.n - 1)] if self.n else np.zeros((m, d))
        out = np.empty((m, d))
        num, cat = self.numeric, self.categorical
        if len(num):
            mu, h, un = self._part(centre, num), _pick(self.h, num), self._part(u, num)
            lo, hi = ndtr(-mu / h), ndtr((1.0 - mu) / h)
            q = np.minimum(np.maximum(lo + un * (hi - lo), TINY), 1.0 - 1e-16)
            draw = mu + h * ndtri(q)
            drawn = np.minimum(np.maximum(np.where(is_prior, un, draw), 0.0), 1.0)
            if len(num) == d:
                out = drawn
            else:
                out[:, num] = drawn
            for j in self.discrete:
                out[:, j] = self.columns[j].cells(out[:, j])[0]
        if len(cat):
            k = self.layout.sizes[cat]
            uniform = np.minimum(np.floor(u[:, cat] * k), k - 1)
            other = np.minimum(np.floor(v[:, cat] * (k - 1)), np.maximum(k - 2, 0))
            other += other >= centre[:, cat]  # any choice but the observed one
            kernel = np.where(u[:, cat] < self.lam[cat], other, centre[:, cat])
            out[:, cat] = np.where(is_prior, uniform, kernel)
        return out


def _pick(a: Array, idx: Array) -> Array:
    """``a[idx]``, without a copy when ``idx`` (sorted, distinct) picks every entry."""
    return a if len(idx) == len(a) else a[idx]
