"""The numerical side of ``GPSampler``: from a history and a space to the next point.

Kept apart from ``_sampler`` so that importing rheostat (and constructing a sampler) loads
neither numpy nor scipy; an ``Engine`` is made on a sampler's first proposal. It holds the caches
that outlive one proposal: the rows of finished trials (``_observations``) and the memoized
hyperparameter fits (``_chain``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rheostat.distributions import ParamValue
from rheostat.samplers._base import seeded_random
from rheostat.samplers._gp._acquisition import ConfidenceBound, LogEI, thompson_draw, ucb_beta
from rheostat.samplers._gp._chain import FitChain
from rheostat.samplers._gp._fit import Prior, fit_hyperparameters
from rheostat.samplers._gp._model import Hyperparameters, Posterior
from rheostat.samplers._gp._observations import Observations, RowCache
from rheostat.samplers._gp._optimize import candidate_points, maximize
from rheostat.samplers._gp._space import Encoding
from rheostat.samplers._gp._targets import parego_weights, scalarize, standardize, warp
from rheostat.samplers._gp._threads import run_numeric
from rheostat.space import Space
from rheostat.trial import History

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rheostat.samplers._gp._sampler import GPSampler

    Array = NDArray[np.float64]

__all__ = ["Engine"]

_SALT = 0x6B0
_REFIT_UNTIL = 64  # up to this many observations, refit from the anchor's fit at every trial
_N_CENTRES = 5  # best observations whose neighbourhoods are searched
_N_STARTS = 8  # local searches of the acquisition


class Engine:
    """Proposals for one ``GPSampler``, with its caches; thread-safe."""

    def __init__(self) -> None:
        self._chain = FitChain()
        self._rows = RowCache()

    def propose(
        self, sampler: GPSampler, history: History, space: Space
    ) -> dict[str, ParamValue] | None:
        """The next point of ``space``, or ``None`` while too few observations cover it."""
        enc = Encoding(space)
        if enc.dim == 0:
            return dict(enc.fixed)
        obs = self._rows.observations(history, enc)
        if len(obs.values) < sampler.startup_trials(enc.dim):
            return None
        row = run_numeric(lambda: self._next_point(sampler, history, enc, obs))
        return enc.decode(row)

    def _next_point(
        self, sampler: GPSampler, history: History, enc: Encoding, obs: Observations
    ) -> Array:
        seed = sampler.effective_seed(history)
        gen = np.random.default_rng(seeded_random(seed, len(history), _SALT).getrandbits(64))
        n_obj = len(history.directions)
        weights = parego_weights(gen, n_obj) if n_obj > 1 else None
        x = obs.x
        y = _targets(sampler, obs.values, history, weights)
        hyper = self._hyperparameters(sampler, obs, history, y, enc, seed)
        posterior = Posterior(x, y, enc.is_cat, hyper)
        if len(obs.fantasies):
            posterior = posterior.with_fantasies(obs.fantasies)
        fitted = posterior.fitted_mean()
        centres = posterior.x[np.argsort(fitted, kind="stable")[:_N_CENTRES]]
        if sampler.acquisition == "thompson":  # a joint draw costs O(m³): half the candidates
            candidates = candidate_points(
                enc, gen, sampler.n_candidates // 2, centres, sampler.n_candidates // 8
            )
            draw = thompson_draw(posterior, candidates, gen)
            allowed = np.array([row.tobytes() not in obs.tried for row in candidates])
            if allowed.any():
                draw = np.where(allowed, draw, np.inf)
            return np.asarray(candidates[int(np.argmin(draw))])
        candidates = candidate_points(
            enc, gen, sampler.n_candidates, centres, sampler.n_candidates // 4
        )
        acq: LogEI | ConfidenceBound
        if sampler.acquisition == "ucb":
            acq = ConfidenceBound(posterior, ucb_beta(len(x), enc.dim))
        else:
            acq = LogEI(posterior, float(fitted.min()) - sampler.xi)
        return maximize(acq, enc, candidates, n_starts=_N_STARTS, exclude=obs.tried)

    def _hyperparameters(
        self,
        sampler: GPSampler,
        obs: Observations,
        history: History,
        y: Array,
        enc: Encoding,
        seed: int,
    ) -> Hyperparameters:
        """The anchor's MAP fit (``_chain``), refitted from there on all observations while
        they are few (and always for several objectives, whose targets change per trial)."""
        prior = Prior(noise_floor=sampler.noise_floor)
        n_obj = len(history.directions)
        equal = np.full(n_obj, 1.0 / n_obj) if n_obj > 1 else None

        def targets(a: int) -> Array:
            return _targets(sampler, obs.values[:a], history, equal)

        anchor, hyper = self._chain.hyperparameters(
            obs.x, targets, enc.is_cat, prior, seed=seed, start=sampler.startup_trials(enc.dim)
        )
        if n_obj > 1 or anchor < len(obs.x) <= _REFIT_UNTIL:
            hyper = fit_hyperparameters(obs.x, y, enc.is_cat, prior, [hyper.vector])
        return hyper


def _targets(sampler: GPSampler, values: Array, history: History, weights: Array | None) -> Array:
    raw = scalarize(values, history.directions, weights)
    return warp(raw) if sampler.warp_outputs else standardize(raw)
