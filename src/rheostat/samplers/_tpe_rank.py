"""Which of TPE's observations are good, and how much the bad ones weigh.

The split (``good_rows``): one objective ranks ``COMPLETE`` trials by their value and then
``PRUNED`` ones (more steps reached first, then by their last reported value); several objectives
rank by non-dominated fronts (``COMPLETE`` first), and the last front that does not fit whole is
cut by NSGA-II's crowding distance (extremes first). The best ``n_good`` rows are good.

The weights (``forgetting_weights``): bad observations older than the newest ``keep`` weigh less,
hyperopt's linear forgetting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["forgetting_weights", "good_rows"]

Array = np.ndarray[Any, Any]


def forgetting_weights(n: int, keep: int = 25) -> Array:
    """Weights of ``n`` observations in trial order (oldest first): the ``keep`` newest weigh 1,
    older ones less, falling linearly towards 0 for the oldest (hyperopt's linear forgetting)."""
    return np.asarray(np.minimum((np.arange(n) + 1.0) / max(n - keep + 1.0, 1.0), 1.0))


def good_rows(loss: Array, pruned: Array, steps: Array, last: Array, n_good: int) -> Array:
    """Indices of the ``n_good`` best rows (see the module docstring).

    ``loss`` is ``(n, m)``, to minimize; ``pruned`` marks ``PRUNED`` rows, whose rank comes from
    ``steps`` (the last step reached) and ``last`` (their last value, to minimize).
    """
    if loss.shape[1] == 1 and len(loss) > n_good and not pruned.any():  # the usual case
        return np.argpartition(loss[:, 0], n_good - 1)[:n_good]
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
