"""Rebuild a built-in sampler from the settings a study stored (``Sampler.dump``): JSON data,
never code, so a worker that opens a study by name samples as the study's creator chose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rheostat.samplers._auto import AutoSampler
from rheostat.samplers._base import Sampler
from rheostat.samplers._bohb import BOHBSampler
from rheostat.samplers._gp import GPSampler
from rheostat.samplers._grid import GridSampler
from rheostat.samplers._random import RandomSampler
from rheostat.samplers._sobol import SobolSampler
from rheostat.samplers._tpe import TPESampler

__all__ = ["BUILTIN_SAMPLERS", "restore_sampler"]

BUILTIN_SAMPLERS: dict[str, type[Sampler]] = {
    cls.__name__: cls
    for cls in (
        AutoSampler,
        BOHBSampler,
        GPSampler,
        GridSampler,
        RandomSampler,
        SobolSampler,
        TPESampler,
    )
}


def restore_sampler(state: Mapping[str, Any]) -> Sampler | None:
    """The built-in sampler that ``state`` (a ``dump()``) describes, with its settings and
    seed; ``None`` for a sampler of your own (its class is not known here) or a state that no
    longer loads (settings from another version).

    >>> restore_sampler(TPESampler(seed=3, n_startup_trials=7).dump())
    TPESampler(seed=3, multivariate=True)
    """
    cls = BUILTIN_SAMPLERS.get(str(state.get("type")))
    if cls is None:
        return None
    seed = state.get("seed")
    try:
        if cls is GridSampler:
            sampler: Sampler = GridSampler(state["search_space"], seed=seed)
        else:
            sampler = cls(seed=seed)
        sampler.load(state)
    except (KeyError, TypeError, ValueError):
        return None
    return sampler
