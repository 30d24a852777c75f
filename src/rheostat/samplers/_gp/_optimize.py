"""Maximizing an acquisition function over valid points of a mixed space.

1. Candidates: ``2^k`` scrambled Sobol' points of the unit cube, plus perturbations of the best
   observed points, all projected onto valid values (``Encoding``).
2. The best few candidates start a local search that alternates
   - L-BFGS-B over the continuous columns (the others held fixed), all starts in one batched call
     (the acquisition of one start does not depend on the others, so their sum separates), and
   - a discrete coordinate search: for each integer, step or categorical column, every value
     (or, for a long range, the values 1, 2, 4, ... steps away) is scored and the best is taken,
   until neither improves.
3. Every point scored is a valid one; points in ``exclude`` (already tried or pending) are skipped
   while others remain.
"""

from __future__ import annotations

import math
from collections.abc import Set
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from rheostat.samplers._gp._space import Encoding

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["Acquisition", "candidate_points", "maximize"]

_MAX_ENUMERATED = 32


class Acquisition(Protocol):
    """An acquisition function (larger is better) of rows of valid points."""

    def __call__(self, x: Array) -> Array: ...

    def with_grad(self, x: Array, cont: Mask) -> tuple[Array, Array]: ...


def candidate_points(
    enc: Encoding,
    rng: np.random.Generator,
    n_sobol: int,
    centres: Array,
    n_local: int,
    scale: float = 0.1,
) -> Array:
    """``n_sobol`` (a power of 2) Sobol' points and ``n_local`` perturbations spread over the
    rows of ``centres``, all valid.

    A perturbation moves each numeric column by ``N(0, s²)`` with ``s`` drawn log-uniformly from
    ``[scale / 10, scale]``, and redraws each categorical with probability ``1 / d``.
    """
    d = enc.dim
    sobol = qmc.Sobol(d, scramble=True, seed=rng).random_base2(int(math.log2(n_sobol)))
    points = [enc.from_unit(sobol)]
    if len(centres) and n_local > 0:
        base = centres[np.arange(n_local) % len(centres)]
        s = scale * 10.0 ** -rng.random((n_local, 1))
        moved = base + s * rng.standard_normal((n_local, d))
        flip = enc.is_cat & (rng.random((n_local, d)) < 1.0 / d)
        redraw = np.floor(rng.random((n_local, d)) * np.maximum(enc.n_values, 1))
        moved = np.where(enc.is_cat, np.where(flip, redraw, base), moved)
        points.append(enc.project(moved))
    return np.vstack(points)


def _keys(x: Array) -> list[bytes]:
    return [row.tobytes() for row in np.ascontiguousarray(x)]


def _allowed(x: Array, exclude: Set[bytes]) -> Array:
    return np.array([k not in exclude for k in _keys(x)], dtype=bool)


def _continuous_step(acq: Acquisition, x: Array, cont: Mask, max_iter: int) -> Array:
    """Batched L-BFGS-B over the continuous columns of every row of ``x``."""
    shape = (len(x), int(cont.sum()))

    def fun(flat: Array) -> tuple[float, Array]:
        trial = x.copy()
        trial[:, cont] = flat.reshape(shape)
        values, grads = acq.with_grad(trial, cont)
        return -float(values.sum()), -grads.reshape(-1)

    result = minimize(
        fun,
        x[:, cont].reshape(-1),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (shape[0] * shape[1]),
        options={"maxiter": max_iter, "gtol": 1e-6, "ftol": 1e-12},
    )
    out = x.copy()
    out[:, cont] = np.clip(np.asarray(result.x).reshape(shape), 0.0, 1.0)
    return out


def _discrete_step(
    acq: Acquisition, enc: Encoding, x: Array, values: Array, exclude: Set[bytes]
) -> tuple[Array, Array, bool]:
    """One sweep of the coordinate search over the non-continuous columns."""
    moved = False
    for j in np.flatnonzero(~enc.is_cont):
        options = enc.options(int(j), x, _MAX_ENUMERATED)
        m, k = options.shape
        trial = np.repeat(x, k, axis=0)
        trial[:, j] = options.reshape(-1)
        scores = np.where(_allowed(trial, exclude), acq(trial), -np.inf).reshape(m, k)
        pick = np.argmax(scores, axis=1)
        best = scores[np.arange(m), pick]
        better = best > values
        if better.any():
            x[better] = trial.reshape(m, k, -1)[better, pick[better]]
            values[better] = best[better]
            moved = True
    return x, values, moved


def maximize(
    acq: Acquisition,
    enc: Encoding,
    candidates: Array,
    *,
    n_starts: int,
    exclude: Set[bytes] = frozenset(),
    max_rounds: int = 3,
    max_iter: int = 100,
) -> Array:
    """The best valid point found, starting from the best ``n_starts`` of ``candidates``."""
    values = np.where(_allowed(candidates, exclude), acq(candidates), -np.inf)
    order = np.argsort(-values, kind="stable")
    _, first = np.unique(candidates[order], axis=0, return_index=True)
    top = order[np.sort(first)][:n_starts]
    x, best = candidates[top].copy(), values[top].copy()
    if not np.isfinite(best).any():  # every candidate excluded: take the best one anyway
        return np.asarray(candidates[int(np.argmax(acq(candidates)))])
    cont = enc.is_cont

    def score(p: Array) -> Array:
        return np.where(_allowed(p, exclude), acq(p), -np.inf)

    todo = np.ones(len(x), dtype=bool)  # starts whose continuous columns may still improve
    for _ in range(max_rounds):
        if cont.any() and todo.any():
            refined = enc.project(_continuous_step(acq, x[todo], cont, max_iter))
            new = score(refined)
            rows = np.flatnonzero(todo)[new > best[todo]]
            x[rows], best[rows] = refined[new > best[todo]], new[new > best[todo]]
        if not (~cont).any():
            break
        before = x.copy()
        x, best, moved = _discrete_step(acq, enc, x, best, exclude)
        if not moved:
            break
        todo = (x != before).any(axis=1)
    return np.asarray(x[int(np.argmax(best))])
