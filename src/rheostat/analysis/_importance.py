"""Parameter importance: functional ANOVA (fANOVA) on a random-forest surrogate.

Hutter, Hoos and Leyton-Brown (2014), "An Efficient Approach for Assessing Hyperparameter
Importance": fit a random forest to the trials; for each tree, whose leaves split the space into
boxes with constant predictions, compute exactly, under the uniform measure over the space,

- the total variance ``V`` of the tree's prediction;
- for a parameter ``i``, the marginal ``a_i(x_i)``: the prediction averaged over all other
  parameters, and its variance ``V_i``;
- for a pair, the pair marginal's variance minus ``V_i + V_j``: the interaction ``V_ij``.

A parameter's importance is ``V_i / V`` averaged over the trees (pairs likewise). The uniform
measure is over each parameter's internal form (``Distribution.to_internal``): numbers in
``[0, 1]``, in log space for ``log=True``; categoricals with equal weight per choice.

Only parameters every complete trial has (conditional ones are left out) and that take more
than one value are scored. scikit-learn is needed: ``pip install 'rheostat[sklearn]'``.

>>> import random
>>> from rheostat.distributions import Float
>>> from rheostat.trial import TrialRecord, TrialState
>>> rng = random.Random(0)
>>> d = {"x": Float(0, 1), "y": Float(0, 1)}
>>> trials = []
>>> for i in range(64):
...     x, y = rng.random(), rng.random()
...     trials.append(TrialRecord(i, TrialState.COMPLETE, {"x": x, "y": y}, d, (10 * x + y,)))
>>> imp = importance(trials, ["minimize"], seed=0)
>>> imp["x"] > 0.95 > 0.05 > imp["y"]
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.trial import Direction, TrialRecord, TrialState

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

__all__ = ["Importance", "encode", "fanova", "importance"]

Importance = dict[str | tuple[str, str], float]
"""Parameter name (main effect) or ``(name, name)`` pair (interaction) -> fraction of variance."""


def _varied(dist: Distribution) -> bool:
    if isinstance(dist, Categorical):
        return len(dist.choices) > 1
    if isinstance(dist, (Float, Int)):
        return bool(dist.low < dist.high)
    return False


def encode(
    trials: Sequence[TrialRecord], n_obj: int, objective: int
) -> tuple[list[str], list[Distribution], list[list[float]], list[float]]:
    """The scored parameters, their distributions, each complete trial's internal values and
    its objective value."""
    done = [
        t
        for t in trials
        if t.state is TrialState.COMPLETE
        and t.values is not None
        and len(t.values) == n_obj
        and math.isfinite(t.values[objective])
    ]
    dists: dict[str, Distribution] = {}
    for t in done:
        for name, dist in t.distributions.items():
            dists.setdefault(name, dist)
    names = sorted(n for n, d in dists.items() if _varied(d) and all(n in t.params for t in done))
    rows = [[dists[n].to_internal(t.params[n]) for n in names] for t in done]
    y = [t.values[objective] for t in done]  # type: ignore[index]
    return names, [dists[n] for n in names], rows, y


def _leaves(tree: Any, d: int) -> tuple[Array, Array, Array]:
    """Each leaf's box (``lo < x <= hi`` per parameter) and prediction."""
    import numpy as np

    t = tree.tree_
    los, his, vals = [], [], []
    stack = [(0, np.full(d, -np.inf), np.full(d, np.inf))]
    while stack:
        node, lo, hi = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == -1:
            los.append(lo)
            his.append(hi)
            vals.append(float(t.value[node].ravel()[0]))
            continue
        f, thr = t.feature[node], t.threshold[node]
        hi_left, lo_right = hi.copy(), lo.copy()
        hi_left[f] = min(hi[f], thr)
        lo_right[f] = max(lo[f], thr)
        stack.append((left, lo, hi_left))
        stack.append((right, lo_right, hi))
    return np.array(los), np.array(his), np.array(vals)


def _mass(lo: Array, hi: Array, size: int) -> Array:
    """The uniform measure of ``(lo, hi]``: a length in ``[0, 1]``, or a share of ``size``
    choices (indices ``0 .. size - 1``)."""
    import numpy as np

    if size == 0:
        length: Array = np.clip(np.minimum(hi, 1.0) - np.maximum(lo, 0.0), 0.0, None)
        return length
    upper = np.floor(np.clip(hi, -1.0, size - 1.0))
    lower = np.floor(np.clip(lo, -1.0, size - 1.0))
    share: Array = np.clip(upper - lower, 0.0, None) / size
    return share


def _cells(lo: Array, hi: Array, size: int) -> tuple[Array, Array]:
    """The cells a tree's splits cut one parameter into (as ``(lo, hi]`` edges) and their mass."""
    import numpy as np

    cuts = np.unique(np.concatenate([lo, hi]))
    cuts = cuts[np.isfinite(cuts)]
    edges = np.concatenate([[-np.inf], cuts, [np.inf]])
    return edges, _mass(edges[:-1], edges[1:], size)


def _tree_variances(
    tree: Any, sizes: list[int], pairs: bool
) -> tuple[float, list[float], dict[tuple[int, int], float]]:
    """The total variance, each parameter's main-effect variance and each pair's interaction."""
    import numpy as np

    d = len(sizes)
    lo, hi, v = _leaves(tree, d)
    m = np.stack([_mass(lo[:, j], hi[:, j], sizes[j]) for j in range(d)], axis=1)
    weight = m.prod(axis=1)
    mean = float(weight @ v)
    total = float(weight @ (v - mean) ** 2)
    cover: list[tuple[Array, Array]] = []
    main: list[float] = []
    for j in range(d):
        edges, w = _cells(lo[:, j], hi[:, j], sizes[j])
        inside = (lo[:, j, None] <= edges[None, :-1]) & (edges[None, 1:] <= hi[:, j, None])
        cover.append((inside.astype(float), w))
        rest = np.prod(np.delete(m, j, axis=1), axis=1)
        marginal = (v * rest) @ cover[j][0]
        main.append(float(w @ (marginal - mean) ** 2))
    inter: dict[tuple[int, int], float] = {}
    if pairs:
        for i, j in itertools.combinations(range(d), 2):
            rest = np.prod(np.delete(m, [i, j], axis=1), axis=1)
            (ai, wi), (aj, wj) = cover[i], cover[j]
            marginal = ai.T @ ((v * rest)[:, None] * aj)
            var = float(wi @ ((marginal - mean) ** 2) @ wj)
            inter[(i, j)] = max(var - main[i] - main[j], 0.0)
    return total, main, inter


def importance(
    trials: Sequence[TrialRecord],
    directions: Sequence[Direction | str],
    *,
    n_trees: int = 64,
    seed: int = 0,
    objective: int = 0,
    pairs: bool = True,
) -> Importance:
    """The fraction of the objective's variance each parameter (and pair) explains: fANOVA on
    a random forest of ``n_trees`` trees fit to the complete trials (seeded by ``seed``).

    Returns ``{name: fraction, (name, name): fraction, ...}`` ordered from most to least
    important; the fractions sum to at most 1 (the rest is higher-order interactions). For a
    multi-objective study, ``objective`` picks the value. ``ValueError`` with fewer than 2
    complete trials or no parameter that varies; ``ImportError`` naming the extra without
    scikit-learn.
    """
    dirs = tuple(Direction.parse(d) for d in directions)
    if not 0 <= objective < len(dirs):
        raise ValueError(f"importance: objective={objective} but the study has {len(dirs)}")
    if isinstance(n_trees, bool) or not isinstance(n_trees, int) or n_trees < 1:
        raise ValueError(f"importance: n_trees must be an integer >= 1, got {n_trees!r}")
    names, dists, rows, y = encode(trials, len(dirs), objective)
    if len(y) < 2 or not names:
        raise ValueError(
            f"importance: needs 2 or more complete trials and a parameter that varies; got "
            f"{len(y)} trials and parameters {names}"
        )
    sizes = [len(d.choices) if isinstance(d, Categorical) else 0 for d in dists]
    return fanova(names, sizes, rows, y, n_trees=n_trees, seed=seed, pairs=pairs)


def fanova(
    names: list[str],
    sizes: list[int],
    rows: list[list[float]],
    y: list[float],
    *,
    n_trees: int,
    seed: int,
    pairs: bool,
    min_samples_leaf: int = 1,
) -> Importance:
    """fANOVA on encoded data: ``rows`` of internal values, ``sizes[j]`` the number of
    choices of a categorical column (0 for a number in ``[0, 1]``); ``min_samples_leaf``
    for the trees."""
    try:
        import numpy as np
        from sklearn.ensemble import RandomForestRegressor
    except ImportError as exc:
        raise ImportError(
            "parameter importance needs scikit-learn: pip install 'rheostat[sklearn]'"
        ) from exc
    forest = RandomForestRegressor(
        n_estimators=n_trees, random_state=seed, n_jobs=1, min_samples_leaf=min_samples_leaf
    )
    forest.fit(np.asarray(rows, dtype=float), np.asarray(y, dtype=float))
    sums: dict[str | tuple[str, str], float] = dict.fromkeys(names, 0.0)
    used = 0
    for tree in forest.estimators_:
        total, main, inter = _tree_variances(tree, sizes, pairs and len(names) > 1)
        if total <= 0.0:
            continue
        used += 1
        for j, name in enumerate(names):
            sums[name] += main[j] / total
        for (i, j), var in inter.items():
            key = (names[i], names[j])
            sums[key] = sums.get(key, 0.0) + var / total
    if used == 0:  # every tree is constant: the objective did not vary
        return {key: 0.0 for key in sums}
    ranked = sorted(sums.items(), key=lambda kv: -kv[1])
    return {key: value / used for key, value in ranked}
