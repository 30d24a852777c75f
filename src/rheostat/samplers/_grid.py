"""Grid search: every combination of the listed values, each exactly once."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.exceptions import GridExhaustedError
from rheostat.samplers._base import Sampler, seeded_random
from rheostat.space import Space, check_param_name
from rheostat.trial import History, TrialRecord

__all__ = ["GridSampler"]


def _key(value: object) -> tuple[str, object]:
    """Compare numbers by value (1 and 1.0 are one point) but keep bools and strings apart."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return (type(value).__name__, value)


class GridSampler(Sampler):
    """Try each point of the grid once, in an order shuffled by the seed.

    ``search_space`` maps each parameter name to the list of its values. A grid point is taken
    as soon as a trial is created for it (running, finished or failed), and creating trial N
    claims the key ``trial:N`` after reading every earlier trial, so several workers and a
    resumed study never run a point twice. When
    every point is taken, ``ask`` raises ``GridExhaustedError`` and ``optimize`` stops.

    >>> GridSampler({"C": [0.1, 1.0], "kernel": ["rbf", "linear"]}).grid_size
    4
    """

    def __init__(
        self, search_space: Mapping[str, Sequence[ParamValue]], seed: int | None = None
    ) -> None:
        super().__init__(seed=seed)
        if not isinstance(search_space, Mapping) or not search_space:
            raise ValueError(
                f"GridSampler(search_space={search_space!r}): the grid is empty; give a dict of "
                "parameter name -> list of values, e.g. {'C': [0.1, 1, 10]}"
            )
        grid: dict[str, tuple[ParamValue, ...]] = {}
        for name in sorted(search_space):
            check_param_name(name)
            values = search_space[name]
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise TypeError(
                    f"GridSampler: parameter {name!r} has {values!r}; give a list of values, "
                    f"e.g. [{values!r}]"
                )
            if len(values) == 0:
                raise ValueError(
                    f"GridSampler: parameter {name!r} has no values, so the grid is empty; "
                    "list at least one value"
                )
            for v in values:
                if v is not None and not isinstance(v, (bool, int, float, str)):
                    raise TypeError(
                        f"GridSampler: parameter {name!r} has value {v!r} of type "
                        f"{type(v).__name__}; use None, bool, int, float or str"
                    )
                if isinstance(v, float) and not math.isfinite(v):
                    raise ValueError(f"GridSampler: parameter {name!r} has value {v!r}")
            keys = [_key(v) for v in values]
            if len(set(keys)) != len(keys):
                raise ValueError(
                    f"GridSampler: parameter {name!r} lists a value twice in {list(values)!r}"
                )
            grid[name] = tuple(values)
        self.search_space = grid
        self._order: tuple[int, list[tuple[ParamValue, ...]]] | None = None

    def __repr__(self) -> str:
        return f"GridSampler({dict(self.search_space)!r}, seed={self.seed!r})"

    @property
    def grid_size(self) -> int:
        """The number of grid points."""
        return math.prod(len(v) for v in self.search_space.values())

    def _points(self, seed: int) -> list[tuple[ParamValue, ...]]:
        with self._lock:
            if self._order is None or self._order[0] != seed:
                points = list(itertools.product(*self.search_space.values()))
                seeded_random(seed, 0, salt=2).shuffle(points)
                self._order = (seed, points)
            return self._order[1]

    def _taken(self, history: History) -> set[tuple[tuple[str, object], ...]]:
        names = list(self.search_space)
        taken = set()
        for t in history.trials:
            fixed = t.system_attrs.get("fixed_params") or {}
            proposal = t.system_attrs.get("proposal") or {}
            merged = {**proposal, **fixed, **t.params}
            if all(n in merged for n in names):
                taken.add(tuple(_key(merged[n]) for n in names))
        return taken

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        taken = self._taken(history)
        names = list(self.search_space)
        for point in self._points(self.effective_seed(history)):
            if tuple(_key(v) for v in point) not in taken:
                return dict(zip(names, point, strict=False))
        raise GridExhaustedError(
            f"all {self.grid_size} grid points have been taken by trials of study "
            f"{history.study_name!r}"
        )

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        raise ValueError(
            f"parameter {name!r} ({distribution!r}) is not in the grid of GridSampler, which has "
            f"{sorted(self.search_space)}; add it to search_space with its values"
        )

    def dump(self) -> dict[str, Any]:
        return {
            **super().dump(),
            "search_space": {k: list(v) for k, v in self.search_space.items()},
        }
