"""Independent uniform sampling from each distribution (log-uniform on a log scale)."""

from __future__ import annotations

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers._base import Sampler
from rheostat.space import Space
from rheostat.trial import History, TrialRecord

__all__ = ["RandomSampler"]


class RandomSampler(Sampler):
    """Random search: every parameter drawn independently from its prior.

    Each trial draws from its own stream, seeded by the seed and the trial number, so the same
    seed gives the same trials in a sequential study, also after a resume.
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed=seed)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed!r})"

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        if not space:
            return {}
        rng = self._stream(history, len(history))
        return {name: dist.from_unit(rng.random()) for name, dist in space.items()}

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        return distribution.from_unit(self._stream(history, trial.number).random())
