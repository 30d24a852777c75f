"""The Tree-structured Parzen Estimator (Bergstra et al. 2011; Watanabe 2023).

Each proposal splits the observations into good and bad ones (``_tpe_rank``), fits a Parzen
estimator (``_parzen``) ``l`` to the good and ``g`` to the bad, draws ``n_ei_candidates`` points
from ``l`` and proposes the one with the largest ``l(x) / g(x)`` (``_tpe_model``).

- Observations: ``COMPLETE`` trials with finite values and ``PRUNED`` trials (ranked after the
  complete ones); ``FAILED`` trials and non-finite values are ignored; maximized objectives are
  negated. ``n_good = max(1, min(ceil(gamma · n), max_good))`` of ``n`` observations are good.
  Bad observations older than the newest ``max_good`` weigh less (linear forgetting).
- Constant liar: ``RUNNING`` trials (their params, else the sampler's proposal) join the bad
  side, so parallel workers are steered away from points already being evaluated.
- Groups: without a declared space, parameters that always appear together in finished trials
  form a group (e.g. the parameters of one branch of a conditional space), and each group is
  proposed jointly from the trials that have it. With ``multivariate=False`` each parameter gets
  its own one-dimensional estimators instead.
- Start: a group with fewer than ``n_startup_trials`` observations takes point ``len(history)``
  of a scrambled Sobol' sequence (seeded by the seed and the group); parameters outside every
  proposal get univariate TPE from ``sample_one``, or a random value before that.

Cost: the encoded observations of finished trials are cached per study (``_tpe_obs``) and only
new trials are encoded; each group keeps its rows with what the estimators reuse per observation
(``_parzen_rows``) and its last good-side estimator (reused while the good rows are unchanged,
most proposals of a study that has found its good region), and the large intermediates of a
proposal reuse one workspace per sampler (``_workspace``). A proposal costs a scan of the
unfinished trials plus vectorized kernel arithmetic linear in the number of observations, computed
under the sampler's lock (one proposal at a time: numpy on arrays this small gains nothing from
threads).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers._base import Sampler, _mix
from rheostat.space import Space
from rheostat.trial import History, TrialRecord

if TYPE_CHECKING:  # numpy and the model load on first use: `import rheostat` stays light
    from rheostat.samplers._parzen_column import Array
    from rheostat.samplers._tpe_obs import Group, Observations
    from rheostat.samplers._workspace import Workspace

__all__ = ["TPESampler"]

Key = tuple[str, Distribution]
_SALT_PROPOSE, _SALT_ONE, _SALT_SOBOL = 0x7E5A, 0x7E5B, 0x7E5C
_MAX_STUDIES = 4
_SETTINGS = (
    *("n_startup_trials", "n_ei_candidates", "multivariate", "constant_liar", "gamma"),
    *("max_good", "prior_weight", "bandwidth_factor", "min_bandwidth"),
)


def _crc(names: Sequence[str]) -> int:
    return zlib.crc32("\x00".join(names).encode())


class TPESampler(Sampler):
    """Tree-structured Parzen Estimator; see the module docstring for the algorithm.

    ``n_startup_trials`` observations (Sobol' points) come before the model; each proposal
    draws ``n_ei_candidates`` points from the good density. ``multivariate`` models a group's
    parameters jointly; ``constant_liar`` counts running trials as bad. ``gamma`` and
    ``max_good`` size the good side; ``prior_weight`` weighs the uniform prior against one
    observation; ``bandwidth_factor`` scales Scott's rule and ``min_bandwidth`` (on the internal
    ``[0, 1]`` scale) bounds it below.

    Deterministic for a seed and a history; thread-safe; the cache is per study and bounded.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        constant_liar: bool = True,
        gamma: float = 0.1,
        max_good: int = 25,
        prior_weight: float = 2.0,
        bandwidth_factor: float = 0.4,
        min_bandwidth: float = 0.01,
    ) -> None:
        super().__init__(seed=seed)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = multivariate
        self.constant_liar = constant_liar
        self.gamma = gamma
        self.max_good = max_good
        self.prior_weight = prior_weight
        self.bandwidth_factor = bandwidth_factor
        self.min_bandwidth = min_bandwidth
        self._check()
        self._cache: dict[str, Observations] = {}
        self._engines: dict[tuple[int, int], tuple[Any, int]] = {}
        self._work: Workspace | None = None  # the model's scratch arrays, used under the lock

    def _check(self) -> None:
        for name in ("n_startup_trials", "n_ei_candidates", "max_good"):
            value = getattr(self, name)
            least = 0 if name == "n_startup_trials" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"TPESampler: {name} must be an integer >= {least}, got {value!r}")
        for name in ("multivariate", "constant_liar"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"TPESampler: {name} must be True or False")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"TPESampler: gamma must be in (0, 1], got {self.gamma!r}")
        for name in ("prior_weight", "bandwidth_factor", "min_bandwidth"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise ValueError(f"TPESampler: {name} must be a number > 0, got {value!r}")
        if self.min_bandwidth > 1.0:
            raise ValueError(f"TPESampler: min_bandwidth must be <= 1, got {self.min_bandwidth}")

    def __repr__(self) -> str:
        return f"TPESampler(seed={self.seed!r}, multivariate={self.multivariate!r})"

    # -- the cache -------------------------------------------------------------------------------

    def _sync(self, history: History) -> tuple[Observations, list[TrialRecord]]:
        """The study's observations brought up to date, and its running trials (hold the lock)."""
        from rheostat.samplers._tpe_obs import Observations

        obs = self._cache.pop(history.study_name, None)
        if obs is None or len(obs.signs) != len(history.directions) or not obs.matches(history):
            obs = Observations(history.directions)
        self._cache[history.study_name] = obs  # most recent last
        while len(self._cache) > _MAX_STUDIES:
            self._cache.pop(next(iter(self._cache)))
        running = obs.update(history)
        return obs, running if self.constant_liar else []

    # -- proposing -------------------------------------------------------------------------------

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        if space is not None and not space:
            return {}
        seed, number = self.effective_seed(history), len(history)
        out: dict[str, ParamValue] = {}
        with self._lock:  # the model reuses the study's cached rows: one proposal at a time
            obs, running = self._sync(history)
            for keys in obs.group_keys() if space is None else [list(space.items())]:
                names = [name for name, _ in keys]
                if any(name in out for name in names):
                    continue  # a name seen with two distributions: the first group keeps it
                group = obs.group(keys)
                if group is None or group.rows.n < max(self.n_startup_trials, 1):
                    out.update(self._sobol(seed, keys, number))
                    continue
                rng_seed = _mix(seed, number, _SALT_PROPOSE, _crc(names))
                point = self._from_model(obs, group, keys, running, rng_seed, None)
                out.update(
                    {
                        name: dist.from_internal(float(v))
                        for (name, dist), v in zip(keys, point, strict=True)
                    }
                )
        return out

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        key = (name, distribution)
        with self._lock:
            obs, running = self._sync(history)
            group = obs.group([key])
            if group is not None and group.rows.n >= max(self.n_startup_trials, 1):
                seed = self.effective_seed(history)
                rng_seed = _mix(seed, trial.number, _SALT_ONE, _crc([name]))
                point = self._from_model(obs, group, [key], running, rng_seed, trial.number)
                return distribution.from_internal(float(point[0]))
        return distribution.from_unit(self._stream(history, trial.number).random())

    def _from_model(
        self,
        obs: Observations,
        group: Group,
        keys: list[Key],
        running: list[TrialRecord],
        rng_seed: int,
        exclude: int | None,
    ) -> Array:
        """The model's internal point for ``keys``, pending trials (but ``exclude``) as liars."""
        import numpy as np

        from rheostat.samplers._tpe_model import Settings, best_point

        rows = [_liar_row(t, keys) for t in running if t.number != exclude]
        settings = Settings(
            *(self.gamma, self.max_good, self.n_ei_candidates, self.multivariate),
            *(self.prior_weight, self.bandwidth_factor, self.min_bandwidth),
        )
        liars = np.array([row for row in rows if row is not None], dtype=float)
        if self._work is None:
            from rheostat.samplers._workspace import Workspace

            self._work = Workspace()
        return best_point(group.observed(obs, self._work), liars, settings, rng_seed)

    def _sobol(self, seed: int, keys: list[Key], number: int) -> dict[str, ParamValue]:
        """Point ``number`` of the group's scrambled Sobol' sequence (hold the lock)."""
        from scipy.stats import qmc  # loaded on first use: scipy.stats is slow to import

        group_seed = _mix(seed, _SALT_SOBOL, _crc([name for name, _ in keys]))
        engine_key = (group_seed, len(keys))
        engine, position = self._engines.pop(engine_key, (None, 0))
        if engine is None or number < position:
            engine, position = qmc.Sobol(len(keys), scramble=True, seed=group_seed), 0
        if number > position:
            engine.fast_forward(number - position)
        point = engine.random(1)[0]
        self._engines[engine_key] = (engine, number + 1)
        while len(self._engines) > 64:
            self._engines.pop(next(iter(self._engines)))
        return {name: dist.from_unit(float(u)) for (name, dist), u in zip(keys, point, strict=True)}

    # -- state -----------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_cache"], state["_engines"], state["_work"] = {}, {}, None
        return state

    def dump(self) -> dict[str, Any]:
        return {**super().dump(), **{name: getattr(self, name) for name in _SETTINGS}}

    def load(self, state: Mapping[str, Any]) -> None:
        super().load(state)
        for name in _SETTINGS:
            if name in state:
                setattr(self, name, state[name])
        self._check()
        with self._lock:
            self._cache.clear()


def _liar_row(t: TrialRecord, keys: list[Key]) -> list[float] | None:
    """The internal point of running trial ``t`` for ``keys`` (params, else its proposal)."""
    proposal = t.system_attrs.get("proposal") or {}
    row = []
    for name, dist in keys:
        if name in t.params and t.distributions.get(name) == dist:
            value = t.params[name]
        elif name in proposal and dist.contains(proposal[name]):
            value = proposal[name]
        else:
            return None
        row.append(dist.to_internal(value))
    return row
