"""Seeded inputs for TPE's model whose candidates and densities are pinned in
``tpe_model_reference.json`` (recorded from the model of commit a470126).

A proposal's argmax over a few candidates hides small changes of the densities; these cases
pin ``log l`` and ``log g`` at every candidate, so a change of the bad side's normalisation,
weights or bandwidths shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rheostat.distributions import Categorical, Distribution, Float, Int

MODEL_REFERENCE = Path(__file__).resolve().parent / "tpe_model_reference.json"

Array = np.ndarray


@dataclass(frozen=True)
class ModelCase:
    """Observations in trial order (see ``good_rows``), pending points and the settings."""

    dists: list[Distribution]
    x: Array
    loss: Array
    pruned: Array
    steps: Array
    last: Array
    liars: Array
    multivariate: bool
    seed: int


_MIXED: list[Distribution] = [
    Float(0.0, 1.0),
    Float(1e-4, 1.0, log=True),
    Int(1, 40),
    Int(1, 1000, log=True),
    Float(0.0, 2.0, step=0.25),
    Categorical(["a", "b", "c", "d"]),
    Categorical(["a"]),
]


def _case(
    dists: list[Distribution], n: int, n_liars: int, objectives: int, multivariate: bool, seed: int
) -> ModelCase:
    rng = np.random.default_rng(seed)

    def points(k: int) -> Array:
        u = rng.random((k, len(dists)))
        u[:, 0] = np.clip(0.3 + 0.2 * rng.standard_normal(k), 0.0, 1.0)  # a clustered column
        return np.array(
            [
                [d.to_internal(d.from_unit(float(v))) for d, v in zip(dists, r, strict=True)]
                for r in u
            ]
        )

    x = points(n)
    loss = ((x - 0.3) ** 2).sum(axis=1, keepdims=True) + 0.05 * rng.random((n, objectives))
    if objectives > 1:
        loss[:, 1] = 1.0 - loss[:, 1] + 0.3 * x[:, 0]
    pruned = rng.random(n) < (0.2 if objectives == 1 else 0.0)
    loss[pruned] = np.inf
    steps = np.where(pruned, rng.integers(0, 5, n).astype(float), np.inf)
    last = np.where(pruned, rng.random(n), 0.0)
    return ModelCase(dists, x, loss, pruned, steps, last, points(n_liars), multivariate, seed)


def model_cases() -> dict[str, ModelCase]:
    floats: list[Distribution] = [Float(-5.0, 5.0)] * 10
    return {
        "floats_10d_large": _case(floats, 700, 2, 1, True, 11),
        "floats_3d_small": _case(floats[:3], 40, 0, 1, True, 12),
        "mixed_multivariate": _case(_MIXED, 400, 3, 1, True, 13),
        "mixed_univariate": _case(_MIXED, 250, 1, 1, False, 14),
        "mixed_two_objectives": _case(_MIXED, 120, 0, 2, True, 15),
        "floats_all_good": _case(floats[:2], 3, 1, 1, True, 16),
    }
