"""``AutoSampler``: the default strategy, chosen from the space and the budget.

The decision matrix (parameters x budget), re-read at every trial from the history:

- a small all-discrete space (at most ``planned_trials`` configurations, or at most
  ``GRID_LIMIT`` when no budget is known): every configuration once, by a grid;
- otherwise the first trials come from a scrambled Sobol' sequence (an even cover of the space);
- then Gaussian-process Bayesian optimization while the space is low-dimensional
  (``<= GP_MAX_PARAMS`` parameters), unconditional, single-objective and the study moderate
  (``< GP_MAX_TRIALS`` finished trials, and no planned budget of ``LARGE_BUDGET`` or more);
- TPE otherwise: high-dimensional, conditional, multi-objective or large-budget studies, where
  a GP's cubic cost and stationary kernel stop paying.

The planned budget is the study's ``planned_trials`` attribute, which ``optimize(n_trials=...)``
records. What was chosen and why is returned by ``choice`` and kept by the study in its system
attribute ``sampler_choice`` (see ``rheostat best``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.samplers._base import Sampler
from rheostat.samplers._gp import GPSampler
from rheostat.samplers._grid import GridSampler
from rheostat.samplers._sobol import SobolSampler
from rheostat.samplers._tpe import TPESampler
from rheostat.space import Space
from rheostat.trial import History, TrialRecord, TrialState

__all__ = ["AutoSampler", "Choice"]

GRID_LIMIT = 32
"""The largest all-discrete space searched by a grid when the study has no planned budget."""

GP_MAX_PARAMS = 16
"""The most parameters the Gaussian process models; more go to TPE."""

GP_MAX_TRIALS = 300
"""Finished trials after which TPE takes over from the GP (the GP's cost grows as n^3)."""

LARGE_BUDGET = 1000
"""A planned budget at least this large goes to TPE from the start."""


@dataclass(frozen=True)
class Choice:
    """What ``AutoSampler`` uses for the next trial (``sampler``) and why (``reason``)."""

    sampler: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The choice as the JSON the study keeps."""
        return {"sampler": self.sampler, "reason": self.reason}


def n_startup(n_params: int) -> int:
    """The Sobol' start for ``n_params`` parameters: ``d + 1``, at least 5 and at most 10.

    >>> [n_startup(d) for d in (1, 2, 6, 20)]
    [5, 5, 7, 10]
    """
    return min(10, max(5, n_params + 1))


def grid_values(dist: Distribution) -> list[ParamValue] | None:
    """Every value of a discrete ``dist`` in order, or ``None`` for a continuous one.

    >>> grid_values(Int(1, 9, step=4)), grid_values(Float(0.0, 1.0))
    ([1, 5, 9], None)
    """
    if isinstance(dist, Categorical):
        return list(dist.choices)
    if isinstance(dist, Int):
        return list(range(dist.low, dist.high + 1, dist.step))
    if isinstance(dist, Float) and dist.step is not None:
        n = int(dist.n_values)
        return [dist.from_internal((k + 0.5) / n) for k in range(n)]
    return None


@dataclass
class _Shape:
    """What the completed trials of one study have in common (``AutoSampler``'s cache)."""

    count: int = 0
    seen: set[int] = field(default_factory=set)
    kinds: set[frozenset[tuple[str, Distribution]]] = field(default_factory=set)
    space: dict[str, Distribution] | None = None


def _planned(history: History) -> int | None:
    planned = history.attrs.get("planned_trials")
    return planned if isinstance(planned, int) and planned > 0 else None


class AutoSampler(Sampler):
    """The default sampler: grid, Sobol' start, GP-BO or TPE, by the space and the budget.

    See the module docstring for the decision matrix. It delegates each trial to one of
    ``GridSampler``, ``SobolSampler``, ``GPSampler`` and ``TPESampler``, all with this seed, so
    a sequential study is as reproducible as with any of them.

    >>> import rheostat
    >>> study = rheostat.create_study(seed=1)
    >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=12)
    >>> study.system_attrs["sampler_choice"]["sampler"]
    'gp'
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._sobol = SobolSampler(seed)
        self._gp = GPSampler(seed, n_startup_trials=1)  # the Sobol start is ours
        self._tpe = TPESampler(seed, n_startup_trials=0)
        self._grids: dict[tuple[tuple[str, Distribution], ...], GridSampler] = {}
        self._shapes: dict[str, _Shape] = {}
        self._memo: tuple[History, tuple[str, int, Space | None], Choice] | None = None

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self.seed!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.update(_shapes={}, _memo=None, _grids={})  # caches, rebuilt from the history
        return state

    def load(self, state: Any) -> None:
        super().load(state)
        for inner in (self._sobol, self._gp, self._tpe):
            inner.seed = self.seed

    # -- the decision ------------------------------------------------------------------------------

    def _shape(self, history: History) -> _Shape:
        """The parameters every completed trial shares, and whether trials differ in theirs,
        brought up to date with the trials completed since the last call (finished trials never
        change, so each is read once)."""
        complete = history.get_trials((TrialState.COMPLETE,))
        with self._lock:
            shape = self._shapes.get(history.study_name)
            if shape is None or shape.count > len(complete):
                if len(self._shapes) >= 16:
                    self._shapes.clear()
                shape = self._shapes[history.study_name] = _Shape()
            if shape.count < len(complete):
                for t in complete:
                    if t.number in shape.seen:
                        continue
                    shape.seen.add(t.number)
                    items = frozenset(t.distributions.items())
                    shape.kinds.add(items)
                    if shape.space is None:
                        shape.space = dict(t.distributions)
                    elif len(shape.kinds) > 1:
                        shape.space = {
                            k: v for k, v in shape.space.items() if t.distributions.get(k) == v
                        }
                shape.count = len(complete)
            return shape

    def choice(self, history: History, space: Space | None = None) -> Choice:
        """The strategy for trial number ``len(history)`` and the reason for it."""
        key = (history.study_name, len(history), space)
        with self._lock:
            memo = self._memo
        if memo is not None and memo[0] is history and memo[1] == key:
            return memo[2]  # propose, describe_choice and sample_one of one ask
        choice = self._choose(history, space)
        with self._lock:
            self._memo = (history, key, choice)
        return choice

    def _choose(self, history: History, space: Space | None) -> Choice:
        shape = self._shape(history)
        declared = space is not None
        space = space if space is not None else Space(dict(sorted((shape.space or {}).items())))
        d = len(space)
        planned = _planned(history)
        finished = shape.count + len(history.get_trials((TrialState.PRUNED,)))
        size = math.prod(d.n_values for d in space.values()) if space else math.inf
        grid_limit = min(planned, 10_000) if planned is not None else GRID_LIMIT
        if space and size <= grid_limit and (declared or len(shape.kinds) <= 1):
            budget = f"the planned {planned} trials" if planned else f"{GRID_LIMIT} trials"
            return Choice(
                "grid",
                f"all {d} parameters are discrete with {int(size)} configurations, no more "
                f"than {budget}: each configuration once",
            )
        start = n_startup(d)
        if finished < start or not space:
            return Choice("sobol", f"a quasi-random start of {start} trials covers the space")
        if len(history.directions) > 1:
            return Choice("tpe", f"{len(history.directions)} objectives: multi-objective TPE")
        if not declared and len(shape.kinds) > 1:
            return Choice("tpe", "the parameters differ between trials (a conditional space)")
        if d > GP_MAX_PARAMS:
            return Choice("tpe", f"{d} parameters: more than a GP models well ({GP_MAX_PARAMS})")
        if planned is not None and planned >= LARGE_BUDGET:
            return Choice("tpe", f"a planned budget of {planned} trials (large; TPE scales)")
        if finished >= GP_MAX_TRIALS:
            return Choice(
                "tpe", f"{GP_MAX_TRIALS}+ finished trials: the GP's cost grows as n^3; TPE scales"
            )
        return Choice("gp", f"{d} parameters and a moderate budget: Gaussian-process BO")

    def describe_choice(self, history: History, space: Space | None) -> dict[str, Any] | None:
        return self.choice(history, space).to_json()

    def _inner(self, history: History, space: Space | None) -> Sampler:
        which = self.choice(history, space).sampler
        if which == "grid":
            return self._grid(space if space is not None else self._shared(history))
        return {"sobol": self._sobol, "gp": self._gp, "tpe": self._tpe}[which]

    def _shared(self, history: History) -> Space:
        return Space(dict(sorted((self._shape(history).space or {}).items())))

    def _grid(self, space: Space) -> GridSampler:
        key = tuple(space.items())
        with self._lock:
            grid = self._grids.get(key)
            if grid is None:
                values = {name: grid_values(dist) or [] for name, dist in space.items()}
                grid = GridSampler(values, seed=self.seed)
                self._grids = {key: grid}
            return grid

    # -- the sampler interface ---------------------------------------------------------------------

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        return self._inner(history, space).propose(history, space)

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        inner = self._inner(history, None)
        if isinstance(inner, GridSampler):
            inner = self._sobol  # a parameter outside the grid: drawn at random
        return inner.sample_one(history, trial, name, distribution)
