"""Multi-fidelity Hartmann functions as learning curves, for the replay of ``_scheduler_replay``.

The Hartmann 3- and 6-dimensional functions (minimized; minima -3.86278 and -3.32237 on the
unit cube) with the fidelity of Kandasamy et al. 2017 ("Multi-fidelity Bayesian optimisation
with continuous approximations", appendix): at fidelity ``z`` in ``[0, 1]`` the weights are
``alpha'(z) = alpha - 0.1 (1 - z)``, so low fidelities are biased and flatter. As a learning
curve over ``EPOCHS`` epochs, epoch ``t`` (budget ``b = t + 1``) is fidelity
``z = ln b / ln EPOCHS`` (each of Hyperband's rungs at 1, 3, 9, 27, 81 a quarter further), and
the report there is ``f(x, z)`` plus Gaussian noise of standard deviation
``noise * (1 - z)``, with ``noise`` the paper's (0.1 for Hartmann-3, sqrt(0.05) for
Hartmann-6), so that the last epoch is noise-free and every scheduler's incumbent is judged by
the true function. The noise is seeded by the configuration, so a configuration has one curve,
whichever scheduler runs it. Unlike the recorded curves, any point of the space can be evaluated,
so BOHB's proposals are replayed as they are.

Random search's expected final quality with ``n`` trials is estimated from ``TARGET_DRAWS``
runs of ``n`` uniform configurations (standard error about 1e-3 of the function's range).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Collection, Hashable, Mapping
from typing import Any

import numpy as np
from _scheduler_replay import N_WORKERS, table

from rheostat.distributions import Float, ParamValue
from rheostat.space import Space
from rheostat.trial import Direction

EPOCHS = 81
TARGET_DRAWS = 20_000
ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN = {
    3: (
        np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]),
        1e-4
        * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]),
        0.1,
    ),
    6: (
        np.array(
            [
                [10, 3, 17, 3.5, 1.7, 8],
                [0.05, 10, 17, 0.1, 8, 14],
                [3, 3.5, 1.7, 10, 17, 8],
                [17, 8, 0.05, 10, 0.1, 14],
            ]
        ),
        1e-4
        * np.array(
            [
                [1312, 1696, 5569, 124, 8283, 5886],
                [2329, 4135, 8307, 3736, 1004, 9991],
                [2348, 1451, 3522, 2883, 3047, 6650],
                [4047, 8828, 8732, 5743, 1091, 381],
            ]
        ),
        math.sqrt(0.05),
    ),
}


class MultiFidelityHartmann:
    """Hartmann-``dim`` with Kandasamy et al.'s fidelity, as an ``EPOCHS``-epoch ``Problem``."""

    direction = Direction.MINIMIZE
    epochs = EPOCHS
    n_configs = None  # a continuum: every draw and every proposal is a new configuration

    def __init__(self, dim: int, bias: float = 0.1) -> None:
        self.dim, self.bias = dim, bias
        self.a, self.p, self.noise = HARTMANN[dim]
        self.space = Space({f"x{i}": Float(0.0, 1.0) for i in range(dim)})
        self.z = np.log(np.arange(1, EPOCHS + 1)) / math.log(EPOCHS)

    @property
    def name(self) -> str:
        return f"Hartmann-{self.dim}"

    def f(self, x: Any, z: Any) -> Any:
        """``f(x, z)`` for points ``x`` (``(..., dim)``) and fidelities ``z`` (broadcast)."""
        x = np.asarray(x, dtype=float)
        inner = np.exp(-np.sum(self.a * (x[..., None, :] - self.p) ** 2, axis=-1))
        weights = ALPHA - self.bias * (1.0 - np.asarray(z, dtype=float))[..., None]
        return -np.sum(weights * inner, axis=-1)

    def draws(self, rng: random.Random, n: int) -> list[Hashable]:
        return [tuple(rng.random() for _ in range(self.dim)) for _ in range(n)]

    def params(self, config: Hashable) -> Mapping[str, ParamValue]:
        return {f"x{i}": v for i, v in enumerate(config)}  # type: ignore[arg-type]

    def from_proposal(
        self, params: Mapping[str, ParamValue], used: Collection[Hashable]
    ) -> Hashable:
        return tuple(float(params[f"x{i}"]) for i in range(self.dim))  # type: ignore[arg-type]

    def value(self, config: Hashable, step: int) -> float:
        return float(self.f(config, self.z[step]) + self._curve_noise(config)[step])

    @functools.lru_cache(maxsize=16_384)  # noqa: B019 (two problems live for the whole run)
    def _curve_noise(self, config: Hashable) -> Any:
        """The noise of ``config``'s curve, seeded by the configuration: one curve each."""
        bits = [int(v * 2**53) for v in config]  # type: ignore[attr-defined]
        gen = np.random.default_rng([self.dim, *bits])
        return gen.normal(size=EPOCHS) * self.noise * (1.0 - self.z)

    def expected_best(self, n: int) -> float:
        gen = np.random.default_rng([self.dim, n, 7])
        finals = self.f(gen.random((TARGET_DRAWS, n, self.dim)), 1.0)
        return float(finals.min(axis=1).mean())


def synthetic_markdown(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    first = next(iter(results.values()))
    n_fifo, repeats = first["n_fifo"], first["repeats"]
    lines = [
        "### Multi-fidelity Hartmann functions",
        "",
        "Hartmann-3 and Hartmann-6 (minimized) with the fidelity of Kandasamy et al. 2017 "
        "(weights alpha - 0.1 (1 - z)), as 81-epoch learning curves: epoch t is fidelity "
        "z = ln(t + 1) / ln 81, and reports carry Gaussian noise of the paper's size times "
        "(1 - z), so the last epoch is exact (`benchmarks/_scheduler_synthetic.py`). Each "
        "repeat draws uniform random configurations; every scheduler replays them in the same "
        f"order, with the same noise, on {N_WORKERS} simulated workers, and BOHB evaluates "
        "its model's proposals as they are. The target is full-budget random search's "
        f"({n_fifo} trials) expected final value, estimated from {TARGET_DRAWS:,} draws; the "
        f"rest as above, over {repeats} repeats.",
    ]
    for name, result in results.items():
        lines += [
            "",
            f"{name}: target {result['target']:.4f}, FIFO's compute {result['fifo_compute']} "
            "epochs.",
            "",
            *table(result),
        ]
    return lines
