"""BOHB's model (Falkner et al. 2018): a TPE-like kernel density ratio fitted per budget.

Observations are read from the history by budget (``observations_by_budget``): at the budgets
the scheduler gave trials (Hyperband's rungs), a trial's report at the last step of a budget
is an observation there; without budgets, a report at step ``s`` is an observation at budget
``s + 1`` (resource units); a ``COMPLETE`` trial that reported nothing counts at an unlimited
budget. The model is fitted on the largest budget with at least ``n_min + 2``
observations, ``n_min = max(d + 1, min_points_in_model)`` for ``d`` parameters: the best
``max(n_min, top_n_percent% of N)`` form the good density ``l(x)``, the next
``max(n_min, (100 - top_n_percent)% of N)`` the bad one ``g(x)``. Both are products of
one-dimensional kernels on the parameters' internal ``[0, 1]`` scale (Gaussian with Scott's
bandwidth, at least ``min_bandwidth``; Aitchison-Aitken for categoricals). ``n_candidates``
points are drawn from ``l'``, which is ``l`` with every bandwidth widened by
``bandwidth_factor`` (a Gaussian kernel truncated to ``[0, 1]``, so no candidate piles up on a
bound; a categorical keeps its value with probability ``1 - bandwidth`` and otherwise takes one
of the others), and the one with the largest ``l(x) / g(x)`` is proposed. A
``random_fraction`` of proposals, and every proposal while no budget has enough observations,
are drawn at random (Falkner et al. 2018, Algorithm 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rheostat.distributions import Categorical, Distribution, ParamValue
from rheostat.samplers._base import Sampler, seeded_random, shared_space
from rheostat.space import Space
from rheostat.trial import Direction, History, TrialRecord, TrialState

if TYPE_CHECKING:
    import numpy as np

__all__ = ["BOHBSampler", "observations_by_budget"]

_SALT = 0xB0B


def observations_by_budget(
    history: History,
) -> dict[float, list[tuple[TrialRecord, float]]]:
    """``{budget: [(trial, value), ...]}``, single objective.

    When the scheduler gave trials budgets (``trial.budget``; Hyperband's rungs), observations
    are taken at those budgets only, as in the paper: trial ``t`` is observed at budget ``b``
    once it reported a finite value at step ``ceil(b) - 1`` (a trial on its way to a larger
    budget counts only at the budgets it completed). Otherwise every finite report is an
    observation at budget ``step + 1``. A ``COMPLETE`` trial without reports counts at budget
    ``inf``.

    >>> from rheostat.trial import TrialRecord
    >>> t = TrialRecord(number=0, state=TrialState.PRUNED, intermediate_values={0: 2.0, 2: 1.0})
    >>> sorted(observations_by_budget(History("s", (Direction.MINIMIZE,), [t])))
    [1, 3]
    >>> rungs = [TrialRecord(number=i, state=TrialState.PAUSED, budget=b,
    ...     intermediate_values={s: 1.0 for s in range(b)}) for i, b in enumerate((1, 3))]
    >>> sorted(observations_by_budget(History("s", (Direction.MINIMIZE,), rungs)).items())
    [(1, [...]), (3, [...])]
    """
    given = sorted({t.budget for t in history.trials if t.budget is not None})
    rungs = [(b, math.ceil(b) - 1) for b in given if math.isfinite(b)]
    out: dict[float, list[tuple[TrialRecord, float]]] = {}
    for t in history.trials:
        if t.intermediate_values:
            values = t.intermediate_values
            if rungs:
                pairs = [(b, values[s]) for b, s in rungs if s in values]
            else:
                pairs = [(step + 1, value) for step, value in values.items()]
            for budget, value in pairs:
                if math.isfinite(value):
                    out.setdefault(budget, []).append((t, value))
        elif t.state is TrialState.COMPLETE and t.values and math.isfinite(t.values[0]):
            out.setdefault(math.inf, []).append((t, t.values[0]))
    return out


class BOHBSampler(Sampler):
    """BOHB's per-budget density model; pair it with ``rheostat.schedulers.BOHB`` (Hyperband).

    See the module docstring for the model. ``propose`` covers the declared space or, for
    define-by-run objectives, the parameters every observed trial shares with the same
    distribution; other parameters are drawn at random. Deterministic for a seed and a history.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        min_points_in_model: int | None = None,
        top_n_percent: int = 15,
        random_fraction: float = 1 / 3,
        n_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        min_bandwidth: float = 1e-3,
    ) -> None:
        super().__init__(seed=seed)
        if min_points_in_model is not None and (
            not isinstance(min_points_in_model, int) or min_points_in_model < 1
        ):
            raise ValueError(
                f"BOHBSampler: min_points_in_model must be an integer >= 1 or None, got "
                f"{min_points_in_model!r}"
            )
        if not isinstance(top_n_percent, int) or not 1 <= top_n_percent <= 99:
            raise ValueError(
                f"BOHBSampler: top_n_percent must be an integer in [1, 99], got {top_n_percent!r}"
            )
        if not 0.0 <= random_fraction <= 1.0:
            raise ValueError(
                f"BOHBSampler: random_fraction must be in [0, 1], got {random_fraction!r}"
            )
        if not isinstance(n_candidates, int) or n_candidates < 1:
            raise ValueError(
                f"BOHBSampler: n_candidates must be an integer >= 1, got {n_candidates!r}"
            )
        if not bandwidth_factor > 0 or not min_bandwidth > 0:
            raise ValueError(
                "BOHBSampler: bandwidth_factor and min_bandwidth must be > 0, got "
                f"{bandwidth_factor!r} and {min_bandwidth!r}"
            )
        self.min_points_in_model = min_points_in_model
        self.top_n_percent = top_n_percent
        self.random_fraction = float(random_fraction)
        self.n_candidates = n_candidates
        self.bandwidth_factor = float(bandwidth_factor)
        self.min_bandwidth = float(min_bandwidth)

    def __repr__(self) -> str:
        return f"BOHBSampler(seed={self.seed!r})"

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        return distribution.from_unit(self._stream(history, trial.number).random())

    def model_budget(self, history: History, space: Space) -> float | None:
        """The budget the model is fitted on: the largest with enough observations."""
        data = self._model_data(history, space)
        return None if data is None else data[0]

    def _model_data(
        self, history: History, space: Space
    ) -> tuple[float, list[tuple[TrialRecord, float]]] | None:
        """``(budget, observations there)`` for the model, or ``None`` (too few anywhere)."""
        n_min = self._n_min(len(space))
        covers: dict[int, bool] = {}  # by trial number: a trial is observed at several budgets
        for budget, obs in sorted(observations_by_budget(history).items(), reverse=True):
            covered = []
            for t, v in obs:
                ok = covers.get(t.number)
                if ok is None:
                    ok = covers[t.number] = _covers(t, space)
                if ok:
                    covered.append((t, v))
            if len(covered) >= n_min + 2:
                return budget, covered
        return None

    def _n_min(self, dim: int) -> int:
        return max(dim + 1, self.min_points_in_model or 0)

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        if len(history.directions) != 1:
            raise ValueError(
                f"BOHBSampler needs a single-objective study; this one has "
                f"{len(history.directions)} objectives"
            )
        if space is None:
            space = _shared_space(history)
        if not space:
            return {}
        rng = seeded_random(self.effective_seed(history), len(history), salt=_SALT)
        proposal = None
        if rng.random() >= self.random_fraction:
            proposal = self.model_proposal(history, space)
        if proposal is None:
            return {name: dist.from_unit(rng.random()) for name, dist in space.items()}
        return proposal

    def model_proposal(self, history: History, space: Space) -> dict[str, ParamValue] | None:
        """The model's proposal over ``space`` (never a random one), or ``None`` while no budget
        has enough observations. ``propose`` returns this unless its ``random_fraction`` draw
        says random. Deterministic for a seed and a history."""
        data = self._model_data(history, space)
        if data is None:
            return None
        obs = data[1]
        seed = seeded_random(self.effective_seed(history), len(history), salt=_SALT + 1)
        return self._from_model(obs, space, history.direction, seed.getrandbits(63))

    def _from_model(
        self,
        obs: list[tuple[TrialRecord, float]],
        space: Space,
        direction: Direction,
        seed: int,
    ) -> dict[str, ParamValue]:
        import numpy as np

        sign = -1.0 if direction is Direction.MAXIMIZE else 1.0
        obs = sorted(obs, key=lambda tv: (sign * tv[1], tv[0].number))
        n, names = len(obs), list(space)
        n_min = self._n_min(len(names))
        n_good = max(n_min, self.top_n_percent * n // 100)
        n_bad = max(n_min, (100 - self.top_n_percent) * n // 100)
        x = np.array([[space[k].to_internal(t.params[k]) for k in names] for t, _v in obs])
        good, bad = x[:n_good], x[n_good : n_good + n_bad]
        is_cat = np.array([isinstance(space[k], Categorical) for k in names])
        n_choices = np.array(
            [len(d.choices) if isinstance(d, Categorical) else 0 for d in space.values()]
        )
        bw_good = self._bandwidths(good, is_cat, n_choices)
        bw_bad = self._bandwidths(bad, is_cat, n_choices)
        gen = np.random.default_rng(seed)
        # Draw candidates from l': around good points, with widened bandwidths.
        centers = good[gen.integers(0, len(good), self.n_candidates)]
        wide = bw_good * self.bandwidth_factor
        cand = _truncated_normal(gen, np.where(is_cat, 0.5, centers), np.where(is_cat, 0.0, wide))
        # A categorical keeps its value with probability 1 - bandwidth, else takes another; its
        # widest kernel, bandwidth (c - 1) / c, is uniform over the c choices.
        cat_max = np.where(n_choices > 1, (n_choices - 1) / np.maximum(n_choices, 1), 0.0)
        switch = is_cat & (gen.random(centers.shape) < np.minimum(wide, cat_max))
        other = np.floor(gen.random(centers.shape) * np.maximum(n_choices - 1, 1))
        other = other + (other >= centers)  # skip the center's own category
        cand = np.where(is_cat, np.where(switch, other, centers), cand)
        score = _log_density(cand, good, bw_good, is_cat, n_choices) - _log_density(
            cand, bad, bw_bad, is_cat, n_choices
        )
        best = cand[int(np.argmax(score))]
        return {k: _decode(space[k], float(best[i])) for i, k in enumerate(names)}

    def _bandwidths(self, data: np.ndarray, is_cat: np.ndarray, n_choices: np.ndarray) -> Any:
        import numpy as np

        n, d = data.shape
        scott = n ** (-1.0 / (d + 4))
        std = data.std(axis=0) if n > 1 else np.full(d, 0.5)
        bw = np.maximum(std * scott, self.min_bandwidth)
        cat_max = np.where(n_choices > 1, (n_choices - 1) / np.maximum(n_choices, 1), 0.0)
        cat_bw = np.clip(0.5 * scott, self.min_bandwidth, np.maximum(cat_max, self.min_bandwidth))
        return np.where(is_cat, cat_bw, bw)

    def dump(self) -> dict[str, Any]:
        return {
            **super().dump(),
            "min_points_in_model": self.min_points_in_model,
            "top_n_percent": self.top_n_percent,
            "random_fraction": self.random_fraction,
            "n_candidates": self.n_candidates,
            "bandwidth_factor": self.bandwidth_factor,
            "min_bandwidth": self.min_bandwidth,
        }

    def load(self, state: Mapping[str, Any]) -> None:
        super().load(state)
        for key in (
            "min_points_in_model",
            "top_n_percent",
            "random_fraction",
            "n_candidates",
            "bandwidth_factor",
            "min_bandwidth",
        ):
            if key in state:
                setattr(self, key, state[key])


def _covers(trial: TrialRecord, space: Space) -> bool:
    params, dists = trial.params, trial.distributions
    for name, dist in space.items():
        if name not in params:
            return False
        own = dists.get(name)
        if own is not dist and own != dist:
            return False
    return True


def _shared_space(history: History) -> Space:
    """The parameters every trial with an observation has, with the same distribution."""
    return shared_space(
        t
        for t in history.trials
        if (t.intermediate_values or t.state is TrialState.COMPLETE) and t.distributions
    )


def _decode(dist: Distribution, x: float) -> ParamValue:
    if isinstance(dist, Categorical):
        return dist.choices[min(max(int(x), 0), len(dist.choices) - 1)]
    return dist.from_internal(x)


def _truncated_normal(gen: np.random.Generator, mean: np.ndarray, scale: np.ndarray) -> Any:
    """Normal draws around ``mean`` with ``scale`` (per column), truncated to ``[0, 1]``: the
    draws that fall outside are drawn again (at least half of each kernel's mass is inside)."""
    import numpy as np

    out = mean + gen.normal(size=mean.shape) * scale
    outside = (out < 0.0) | (out > 1.0)
    while outside.any():
        redraw = mean + gen.normal(size=mean.shape) * scale
        out = np.where(outside, redraw, out)
        outside = (out < 0.0) | (out > 1.0)
    return out


def _log_density(
    points: np.ndarray,
    data: np.ndarray,
    bw: np.ndarray,
    is_cat: np.ndarray,
    n_choices: np.ndarray,
) -> Any:
    """Log of the product-kernel density of ``data`` at each of ``points``."""
    import numpy as np

    diff = points[:, None, :] - data[None, :, :]  # (n_points, n_data, d)
    gauss = -0.5 * (diff / bw) ** 2 - np.log(bw * math.sqrt(2 * math.pi))
    other = np.log(np.maximum(bw / np.maximum(n_choices - 1, 1), 1e-300))
    same = np.log(np.maximum(1.0 - bw, 1e-300))
    cat = np.where(np.abs(diff) < 0.5, same, other)
    per_point = np.where(is_cat, cat, gauss).sum(axis=2)  # (n_points, n_data)
    top = per_point.max(axis=1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(per_point - top).mean(axis=1))).astype(float)
