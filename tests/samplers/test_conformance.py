"""Every sampler passes the sampler conformance suite."""

from __future__ import annotations

from rheostat.distributions import Categorical, Distribution, ParamValue
from rheostat.samplers import GridSampler, RandomSampler, Sampler, SobolSampler
from rheostat.testing import SamplerConformance


class TestRandomSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        return RandomSampler(seed=seed)


class TestSobolSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        return SobolSampler(seed=seed)


class TestUnscrambledSobolSampler(SamplerConformance):
    # Without scrambling the Sobol' points do not depend on the seed (conditional parameters
    # and the first define-by-run trial still do).
    def make_sampler(self, seed: int | None) -> Sampler:
        return SobolSampler(seed=seed, scramble=False)


def grid_values(dist: Distribution, n: int) -> list[ParamValue]:
    """``n`` distinct values of ``dist`` (every choice of a categorical), for a grid."""
    if isinstance(dist, Categorical):
        return list(dist.choices)
    values: list[ParamValue] = []
    for i in range(n):
        v = dist.from_internal((i + 0.5) / n)
        if v not in values:
            values.append(v)
    assert len(values) == n
    return values


class TestGridSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> Sampler:
        grid = {name: grid_values(dist, 2) for name, dist in self.space.items()}
        grid |= {name: grid_values(dist, 4) for name, dist in self.conditional_space.items()}
        return GridSampler(grid, seed=seed)
