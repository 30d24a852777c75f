"""Samplers choose the next configuration from the history of a study.

``RandomSampler``, ``GridSampler`` and ``SobolSampler``; ``BOHBSampler`` (BOHB's per-budget
density model, with ``rheostat.schedulers.BOHB``); ``Sampler`` is the base class for your own.
"""

from rheostat.samplers._base import Sampler, intersection_space, seeded_random
from rheostat.samplers._bohb import BOHBSampler
from rheostat.samplers._grid import GridSampler
from rheostat.samplers._random import RandomSampler
from rheostat.samplers._sobol import SobolSampler

__all__ = [
    "BOHBSampler",
    "GridSampler",
    "RandomSampler",
    "Sampler",
    "SobolSampler",
    "intersection_space",
    "seeded_random",
]
