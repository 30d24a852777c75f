"""Samplers choose the next configuration from the history of a study.

``AutoSampler`` (the default: grid, Sobol' start, then GP-BO or TPE by the space and the
budget), ``TPESampler``, ``GPSampler``, ``RandomSampler``, ``GridSampler`` and ``SobolSampler``;
``BOHBSampler`` (BOHB's per-budget density model, with ``rheostat.schedulers.BOHB``);
``Sampler`` is the base class for your own. ``restore_sampler`` rebuilds a built-in sampler
from its ``dump()`` (``load_study`` uses it, so workers sample as the study's creator chose).
"""

from rheostat.samplers._auto import AutoSampler
from rheostat.samplers._base import Sampler, intersection_space, seeded_random
from rheostat.samplers._bohb import BOHBSampler
from rheostat.samplers._gp import GPSampler
from rheostat.samplers._grid import GridSampler
from rheostat.samplers._random import RandomSampler
from rheostat.samplers._registry import restore_sampler
from rheostat.samplers._sobol import SobolSampler
from rheostat.samplers._tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BOHBSampler",
    "GPSampler",
    "GridSampler",
    "RandomSampler",
    "Sampler",
    "SobolSampler",
    "TPESampler",
    "intersection_space",
    "restore_sampler",
    "seeded_random",
]
