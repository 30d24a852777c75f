"""The Tree-structured Parzen Estimator (Bergstra et al. 2011; Watanabe 2023).

Each proposal splits the observations into good and bad ones (``rheostat.samplers._parzen``),
fits a Parzen estimator ``l`` to the good and ``g`` to the bad, draws ``n_ei_candidates`` points
from ``l`` and proposes the one with the largest ``l(x) / g(x)``.

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

Cost: the encoded observations of finished trials are cached per study and only new trials are
encoded, so a proposal costs a scan of the unfinished trials plus vectorized kernel arithmetic
linear in the number of observations.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers._base import Sampler, _mix
from rheostat.space import Space
from rheostat.trial import Direction, History, TrialRecord, TrialState

if TYPE_CHECKING:  # numpy and the model load on first use: `import rheostat` stays light
    from rheostat.samplers._parzen import Array

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


class _Snapshot:
    """Copies of the observations that have every parameter of one group, in trial order."""

    def __init__(self, obs: _Observations, cols: list[int]) -> None:
        import numpy as np

        x = obs.x[: obs.n][:, cols]
        rows = np.flatnonzero(~np.isnan(x).any(axis=1))
        if not obs.in_order:
            rows = rows[np.argsort(obs.numbers[rows], kind="stable")]
        self.x, self.numbers, self.loss = x[rows], obs.numbers[rows], obs.loss[rows]
        self.pruned, self.steps, self.last = obs.pruned[rows], obs.steps[rows], obs.last[rows]


class _Observations:
    """The encoded finished trials of one study: one row per ``COMPLETE`` trial with finite
    values and per ``PRUNED`` trial, one column per (name, distribution). Append-only."""

    def __init__(self, directions: Sequence[Direction]) -> None:
        import numpy as np

        self.signs = [-1.0 if d is Direction.MAXIMIZE else 1.0 for d in directions]
        self.keys: dict[Key, int] = {}
        self.x: Array = np.full((16, 0), np.nan)
        self.numbers: Array = np.zeros(16, dtype=np.int64)
        self.loss: Array = np.zeros((16, len(directions)))
        self.pruned: Array = np.zeros(16, dtype=bool)
        self.steps: Array = np.zeros(16)
        self.last: Array = np.zeros(16)
        self.n = 0
        self.in_order = True
        self.next_number = 0
        self.unsettled: list[int] = []
        self.anchors: dict[int, TrialRecord] = {}  # the first and the latest row's records
        self.groups: set[frozenset[int]] = set()
        self.n_encoded = 0

    def matches(self, history: History) -> bool:
        """Whether ``history`` continues the trials seen so far (same study, nothing rewound)."""
        trials = history.trials
        if len(trials) < self.next_number:
            return False
        return all(trials[k] is t or trials[k] == t for k, t in self.anchors.items())

    def update(self, history: History) -> list[TrialRecord]:
        """Encode the newly finished trials; return the ``RUNNING`` ones."""
        trials, running, unsettled = history.trials, [], []
        for number in [*self.unsettled, *range(self.next_number, len(trials))]:
            t = trials[number]
            if t.state.is_finished():
                self._add(t)
            else:
                unsettled.append(number)
                if t.state is TrialState.RUNNING:
                    running.append(t)
        self.unsettled, self.next_number = unsettled, len(trials)
        return running

    def _add(self, t: TrialRecord) -> None:
        if t.state is TrialState.COMPLETE:
            if t.values is None or len(t.values) != len(self.signs):
                return
            loss = [sign * float(v) for sign, v in zip(self.signs, t.values, strict=True)]
            if not all(math.isfinite(v) for v in loss):
                return
            pruned, steps, last = False, math.inf, 0.0
        elif t.state is TrialState.PRUNED:
            step = t.last_step
            value = t.intermediate_values[step] * self.signs[0] if step is not None else math.nan
            pruned, loss = True, [math.inf] * len(self.signs)
            steps = float(step) if step is not None else -1.0
            last = value if math.isfinite(value) else math.inf
        else:
            return
        if self.n == len(self.numbers):
            self._grow(rows=2 * self.n)
        row, present = self.n, set()
        for name, param in t.params.items():
            dist = t.distributions.get(name)
            if dist is None or not dist.contains(param):
                continue
            col = self.keys.get((name, dist))
            if col is None:
                col = self.keys[(name, dist)] = len(self.keys)
                self._grow(cols=len(self.keys))
            self.x[row, col] = dist.to_internal(param)
            present.add(col)
        if self.n and t.number < self.numbers[self.n - 1]:
            self.in_order = False
        self.numbers[row], self.loss[row], self.pruned[row] = t.number, loss, pruned
        self.steps[row], self.last[row] = steps, last
        self.n += 1
        self.n_encoded += 1
        self._regroup(frozenset(present))
        first = next(iter(self.anchors.items()), (t.number, t))
        self.anchors = dict([first, (t.number, t)])

    def _grow(self, rows: int | None = None, cols: int | None = None) -> None:
        import numpy as np

        r, c = self.x.shape
        new_r, new_c = rows or r, cols or c
        x = np.full((new_r, new_c), np.nan)
        x[:r, :c] = self.x
        self.x = x
        if rows is not None:
            for name in ("numbers", "loss", "pruned", "steps", "last"):
                old = getattr(self, name)
                arr = np.zeros((new_r, *old.shape[1:]), dtype=old.dtype)
                arr[:r] = old
                setattr(self, name, arr)

    def _regroup(self, present: frozenset[int]) -> None:
        """Refine the groups so that parameters share one only if they always appear together."""
        if not present:
            return
        rest, groups = present, set()
        for g in self.groups:
            for part in (g & present, g - present):
                if part:
                    groups.add(part)
            rest = rest - g
        if rest:
            groups.add(rest)
        self.groups = groups

    def columns(self, keys: Sequence[Key]) -> list[int] | None:
        """The columns of ``keys``, or ``None`` if some parameter was never observed."""
        cols = [self.keys.get(k) for k in keys]
        return None if any(c is None for c in cols) else cols  # type: ignore[return-value]

    def group_keys(self) -> list[list[Key]]:
        """The groups as lists of (name, distribution), sorted by name."""
        names = {col: key for key, col in self.keys.items()}
        return sorted(
            (sorted((names[c] for c in g), key=lambda k: k[0]) for g in self.groups),
            key=lambda keys: [k[0] for k in keys],
        )


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
        self._cache: dict[str, _Observations] = {}
        self._engines: dict[tuple[int, int], tuple[Any, int]] = {}

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

    def _sync(self, history: History) -> tuple[_Observations, list[TrialRecord]]:
        """The study's observations brought up to date, and its running trials (hold the lock)."""
        obs = self._cache.pop(history.study_name, None)
        if obs is None or len(obs.signs) != len(history.directions) or not obs.matches(history):
            obs = _Observations(history.directions)
        self._cache[history.study_name] = obs  # most recent last
        while len(self._cache) > _MAX_STUDIES:
            self._cache.pop(next(iter(self._cache)))
        running = obs.update(history)
        return obs, running if self.constant_liar else []

    # -- proposing -------------------------------------------------------------------------------

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        if space is not None and not space:
            return {}
        with self._lock:
            obs, running = self._sync(history)
            groups = obs.group_keys() if space is None else [list(space.items())]
            snaps = []
            for keys in groups:
                cols = obs.columns(keys)
                snaps.append((keys, _Snapshot(obs, cols) if cols is not None else None))
        seed, number = self.effective_seed(history), len(history)
        out: dict[str, ParamValue] = {}
        for keys, snap in snaps:
            names = [name for name, _ in keys]
            if any(name in out for name in names):
                continue  # a name seen with two distributions: the first group keeps it
            if snap is None or len(snap.numbers) < max(self.n_startup_trials, 1):
                out.update(self._sobol(seed, keys, number))
                continue
            rng_seed = _mix(seed, number, _SALT_PROPOSE, _crc(names))
            point = self._from_model(snap, keys, running, rng_seed, None)
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
            cols = obs.columns([key])
            snap = _Snapshot(obs, cols) if cols is not None else None
        if snap is None or len(snap.numbers) < max(self.n_startup_trials, 1):
            return distribution.from_unit(self._stream(history, trial.number).random())
        seed = self.effective_seed(history)
        rng_seed = _mix(seed, trial.number, _SALT_ONE, _crc([name]))
        point = self._from_model(snap, [key], running, rng_seed, trial.number)
        return distribution.from_internal(float(point[0]))

    def _from_model(
        self,
        snap: _Snapshot,
        keys: list[Key],
        running: list[TrialRecord],
        rng_seed: int,
        exclude: int | None,
    ) -> Array:
        """The model's internal point for ``keys``, pending trials (but ``exclude``) as liars."""
        from rheostat.samplers._parzen import Column, Settings, best_point

        rows = [_liar_row(t, keys) for t in running if t.number != exclude]
        settings = Settings(
            *(self.gamma, self.max_good, self.n_ei_candidates, self.multivariate),
            *(self.prior_weight, self.bandwidth_factor, self.min_bandwidth),
        )
        return best_point(
            *(snap.x, snap.loss, snap.pruned, snap.steps, snap.last),
            [row for row in rows if row is not None],
            [Column.of(dist) for _, dist in keys],
            settings,
            rng_seed,
        )

    def _sobol(self, seed: int, keys: list[Key], number: int) -> dict[str, ParamValue]:
        """Point ``number`` of the group's scrambled Sobol' sequence."""
        from scipy.stats import qmc  # loaded on first use: scipy.stats is slow to import

        group_seed = _mix(seed, _SALT_SOBOL, _crc([name for name, _ in keys]))
        engine_key = (group_seed, len(keys))
        with self._lock:
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
        state["_cache"], state["_engines"] = {}, {}
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
