"""One TPE proposal: split the observations, fit ``l`` and ``g``, pick the best candidate.

``best_point`` splits a group's observations into good and bad ones (``_tpe_rank``), fits a
Parzen estimator ``l`` to the good ones and ``g`` to the bad ones (pending trials join them as the
newest, a constant liar; bad observations older than the newest ``max_good`` weigh less), draws
candidates from ``l`` and returns the one with the largest ``l / g``; ``multivariate=False`` does
this per parameter.

Both are fitted to the group's cached ``Rows`` (the good ones, then the bad ones in trial order and
the pending ones), so what the rows keep per observation (codes, grid cells) serves every
proposal; ``l`` itself is kept with the rows and reused while the good rows stay the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rheostat.samplers._parzen import Block, Parzen
from rheostat.samplers._parzen_column import Array
from rheostat.samplers._parzen_rows import Rows
from rheostat.samplers._tpe_rank import forgetting_weights, good_rows
from rheostat.samplers._untried import untried_best
from rheostat.samplers._workspace import Workspace

__all__ = ["GoodFits", "Observed", "Settings", "best_point", "scored_candidates"]


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


# The good side's estimators of a group's last proposal, by (columns, fit settings): their good
# rows, and the estimator, reused while those rows stay the good ones (most asks, once a study
# has found its good region: ``l`` is then the same estimator as before).
GoodFits = dict[tuple[tuple[int, ...], tuple[float, float, float]], tuple[Array, Parzen]]


@dataclass(frozen=True)
class Observed:
    """A group's observations: ``rows`` in any order, ``order`` the row indices in trial order
    (``None``: already in trial order), per row what ``good_rows`` ranks them by, and what to
    reuse: scratch space and the good side's last estimators (both kept by the caller, with the
    ``rows``)."""

    rows: Rows
    order: Array | None
    loss: Array
    pruned: Array
    steps: Array
    last: Array
    work: Workspace | None = None  # for ``g``'s large arrays
    fits: GoodFits | None = None


def best_point(obs: Observed, liars: Array, settings: Settings, seed: int) -> Array:
    """The internal point with the largest ``l / g`` among candidates drawn from ``l``.

    ``liars`` holds the internal points of pending trials, ``(k, d)``; ``seed`` seeds the draws.
    When every parameter is discrete and they are modelled jointly, a point already observed or
    pending is proposed only when no other is left (``_untried``): a repeat teaches a
    deterministic objective nothing, and on a small space the good density draws the incumbent
    again and again.
    """
    rng = np.random.default_rng(seed)
    liars = _as_rows(liars, obs)
    parts = []
    for cols, candidates, log_l, log_g, l_model, g_model in _drawn(obs, liars, settings, rng):
        score = log_l - log_g
        if len(cols) == len(obs.rows.columns) and len(obs.rows.coded) == len(cols):
            tried = np.concatenate([obs.rows.x, liars])
            return untried_best(obs.rows.columns, tried, candidates, score, l_model, g_model, rng)
        parts.append(candidates[int(np.argmax(score))])
    return np.concatenate(parts)


def scored_candidates(
    obs: Observed, liars: Array, settings: Settings, seed: int
) -> list[tuple[Array, Array, Array]]:
    """Per estimated part (all columns, or each column with ``multivariate=False``): the
    candidates drawn from ``l`` and ``log l`` and ``log g`` at them."""
    drawn = _drawn(obs, _as_rows(liars, obs), settings, np.random.default_rng(seed))
    return [(candidates, log_l, log_g) for _, candidates, log_l, log_g, _, _ in drawn]


def _as_rows(liars: Array, obs: Observed) -> Array:
    return np.reshape(np.asarray(liars, dtype=float), (-1, len(obs.rows.columns)))


def _drawn(
    obs: Observed, liars: Array, settings: Settings, rng: np.random.Generator
) -> Iterator[tuple[list[int], Array, Array, Array, Parzen, Parzen]]:
    """Per estimated part, in order: its columns, the candidates drawn from ``l`` with ``rng``,
    ``log l`` and ``log g`` at them, and ``l`` and ``g``."""
    for cols, l_model, g_model in _estimators(obs, liars, settings):
        candidates = l_model.sample(rng, settings.n_candidates)
        yield (
            cols,
            candidates,
            l_model.log_pdf(candidates),
            g_model.log_pdf(candidates),
            l_model,
            g_model,
        )


def _estimators(
    obs: Observed, liars: Array, settings: Settings
) -> Iterator[tuple[list[int], Parzen, Parzen]]:
    """Per estimated part: its columns, ``l`` and ``g`` (``liars`` as ``(k, d)``)."""
    rows = obs.rows
    n, d = rows.n, len(rows.columns)
    ranks = [obs.loss, obs.pruned, obs.steps, obs.last]
    if obs.order is None:
        order = np.arange(n)
    else:
        order, ranks = obs.order, [a[obs.order] for a in ranks]
    n_good = max(1, min(math.ceil(settings.gamma * n), settings.max_good))
    good = np.zeros(n, dtype=bool)  # in trial order
    good[good_rows(ranks[0], ranks[1], ranks[2], ranks[3], n_good)] = True
    w_bad = forgetting_weights(n - n_good + len(liars), settings.max_good)
    good_index = order[good]
    above: list[Block] = [(rows, order[~good], w_bad[: n - n_good])]
    if len(liars):
        above.append((Rows(rows.columns, liars), None, w_bad[n - n_good :]))
    fit = (settings.prior_weight, settings.bandwidth_factor, settings.min_bandwidth)
    for cols in [list(range(d))] if settings.multivariate else [[j] for j in range(d)]:
        yield (
            cols,
            _good_estimator(obs, good_index, cols, fit),
            Parzen(above, cols, *fit, work=obs.work),
        )


def _good_estimator(
    obs: Observed, index: Array, cols: list[int], fit: tuple[float, float, float]
) -> Parzen:
    """``l``: the estimator of rows ``index`` (weight 1 each), the one of the last proposal if
    it had the same rows (the same arithmetic on the same rows: the same estimator)."""
    key = (tuple(cols), fit)
    kept = obs.fits.get(key) if obs.fits is not None else None
    if kept is not None and np.array_equal(kept[0], index):
        return kept[1]
    model = Parzen([(obs.rows, index, np.ones(len(index)))], cols, *fit)
    if obs.fits is not None:
        obs.fits[key] = (index, model)
    return model
