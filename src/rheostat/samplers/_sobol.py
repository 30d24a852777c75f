"""Scrambled Sobol' quasi-random sampling (scipy.stats.qmc) over the shared space."""

from __future__ import annotations

from typing import Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers._base import Sampler, intersection_space
from rheostat.space import Space
from rheostat.trial import History, TrialRecord

__all__ = ["SobolSampler"]


class SobolSampler(Sampler):
    """Quasi-random search: trial ``n`` takes point ``n`` of a scrambled Sobol' sequence.

    The sequence covers the declared space or, for define-by-run objectives, the parameters every
    completed trial shares (so the first trial, and conditional parameters, are drawn at random).
    Points spread more evenly than random ones, which helps most at small budgets.
    """

    def __init__(self, seed: int | None = None, *, scramble: bool = True) -> None:
        super().__init__(seed=seed)
        self.scramble = scramble
        self._engines: dict[tuple[int, int], tuple[Any, int]] = {}

    def __repr__(self) -> str:
        return f"SobolSampler(seed={self.seed!r}, scramble={self.scramble!r})"

    def _point(self, seed: int, dim: int, index: int) -> list[float]:
        from scipy.stats import qmc  # loaded on first use: scipy.stats is slow to import

        with self._lock:
            engine, position = self._engines.get((seed, dim), (None, 0))
            if engine is None or index < position:
                engine, position = qmc.Sobol(dim, scramble=self.scramble, seed=seed), 0
            if index > position:
                engine.fast_forward(index - position)
            point = engine.random(1)[0]
            self._engines[(seed, dim)] = (engine, index + 1)
        return [float(x) for x in point]

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        space = space if space is not None else intersection_space(history)
        if not space:
            return {}
        point = self._point(self.effective_seed(history), len(space), len(history))
        return {
            name: dist.from_unit(u) for (name, dist), u in zip(space.items(), point, strict=False)
        }

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        return distribution.from_unit(self._stream(history, trial.number).random())

    def dump(self) -> dict[str, Any]:
        return {**super().dump(), "scramble": self.scramble}
