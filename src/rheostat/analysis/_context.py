"""What every doctor check reads: the trials of a study, sorted out once.

Helpers here are pure functions of records: a parameter's position in its own scale, the key of
a configuration (for repeats), and the noise seen between repeats of one configuration.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rheostat.distributions import Distribution, Float, Int, ParamValue
from rheostat.trial import Direction, TrialRecord, TrialState, best_of

__all__ = ["SEED_NAMES", "Context", "config_key", "fmt", "position"]

SEED_NAMES = frozenset({"seed", "random_state", "random_seed", "rng_seed"})
"""Parameter names ignored when deciding whether two trials ran the same configuration."""


def fmt(x: float) -> str:
    """A short form of a number for messages: ``0.001``, ``1e-05``, ``123.5``."""
    return f"{x:.4g}"


def position(dist: Distribution, value: ParamValue) -> float | None:
    """Where ``value`` sits in ``dist``'s range, 0 (low) to 1 (high), in the parameter's own scale
    (log for ``log=True``); ``None`` for categoricals and single-value ranges."""
    if not isinstance(dist, (Float, Int)) or dist.low >= dist.high:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    if dist.log:
        if v <= 0:
            return None
        lo, hi, v = math.log(dist.low), math.log(dist.high), math.log(v)
    else:
        lo, hi = float(dist.low), float(dist.high)
    return min(max((v - lo) / (hi - lo), 0.0), 1.0)


def _scalar_key(value: object) -> tuple[str, object]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return (type(value).__name__, repr(value))


def config_key(params: Mapping[str, ParamValue]) -> tuple[tuple[str, tuple[str, object]], ...]:
    """A hashable key for a configuration, ignoring seed-like parameters (``SEED_NAMES``)."""
    return tuple(
        sorted((k, _scalar_key(v)) for k, v in params.items() if k.lower() not in SEED_NAMES)
    )


def _pooled_std(groups: Iterable[Sequence[float]]) -> tuple[float | None, int]:
    """The pooled standard deviation within groups of two or more values, and the number of
    such groups; ``(None, 0)`` when no configuration was repeated."""
    ss, dof, n_groups = 0.0, 0, 0
    for g in groups:
        if len(g) < 2:
            continue
        mean = statistics.fmean(g)
        ss += sum((v - mean) ** 2 for v in g)
        dof += len(g) - 1
        n_groups += 1
    if dof == 0:
        return None, 0
    return math.sqrt(ss / dof), n_groups


@dataclass(frozen=True)
class Context:
    """The trials of one study, with what the checks share computed once."""

    trials: tuple[TrialRecord, ...]
    directions: tuple[Direction, ...]
    sampler_info: Mapping[str, Any]
    baseline_numbers: frozenset[int]
    trial_budget: int | None
    study_attrs: Mapping[str, Any] = field(default_factory=dict)
    complete: tuple[TrialRecord, ...] = field(init=False)
    distributions: Mapping[str, Distribution] = field(init=False)
    best: TrialRecord | None = field(init=False)
    groups: Mapping[tuple[Any, ...], tuple[TrialRecord, ...]] = field(init=False)
    noise_std: float | None = field(init=False)
    n_repeated_configs: int = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        complete = tuple(
            t
            for t in self.trials
            if t.state is TrialState.COMPLETE
            and t.values is not None
            and len(t.values) == len(self.directions)
            and all(math.isfinite(v) for v in t.values)
        )
        set_(self, "complete", complete)
        dists: dict[str, Distribution] = {}
        for t in self.trials:
            dists.update(t.distributions)
        set_(self, "distributions", dists)
        direction = self.direction
        set_(self, "best", best_of(complete, direction) if direction is not None else None)
        groups: dict[tuple[Any, ...], list[TrialRecord]] = {}
        for t in complete:
            groups.setdefault(config_key(t.params), []).append(t)
        set_(self, "groups", {k: tuple(v) for k, v in groups.items()})
        if direction is not None:
            noise, n_rep = _pooled_std([[t.values[0] for t in g] for g in groups.values()])  # type: ignore[index]
        else:
            noise, n_rep = None, 0
        set_(self, "noise_std", noise)
        set_(self, "n_repeated_configs", n_rep)

    @property
    def adaptive(self) -> bool:
        """Whether the trials' sampler chose them from earlier results (TPE, GP, ``auto``
        past its first phase, a user's sampler), so a parameter's values drift with time;
        ``False`` for random, Sobol' and grid sampling, and when the sampler is not known."""
        kind = self.sampler_info.get("type")
        if kind in (None, "RandomSampler", "SobolSampler", "GridSampler"):
            return False
        choice = self.study_attrs.get("sampler_choice")
        if kind == "AutoSampler" and isinstance(choice, Mapping):
            return choice.get("sampler") not in ("grid", "sobol", "random")
        return True

    @property
    def direction(self) -> Direction | None:
        """The direction of a single-objective study; ``None`` for several objectives."""
        return self.directions[0] if len(self.directions) == 1 else None

    @property
    def finished(self) -> tuple[TrialRecord, ...]:
        """Trials that are ``COMPLETE``, ``PRUNED`` or ``FAILED``."""
        return tuple(t for t in self.trials if t.state.is_finished())

    @property
    def grid(self) -> Mapping[str, Sequence[Any]] | None:
        """The grid of a grid sampler (from ``sampler_info``), else ``None``."""
        space = self.sampler_info.get("search_space")
        if self.sampler_info.get("type") == "GridSampler" and isinstance(space, Mapping):
            return space
        return None

    def value(self, t: TrialRecord) -> float:
        """The first objective value of a complete trial."""
        assert t.values is not None
        return t.values[0]

    def enqueued(self, t: TrialRecord) -> bool:
        """Whether ``t`` ran a configuration given by ``enqueue_trial`` (not sampled)."""
        return "fixed_params" in t.system_attrs or t.number in self.baseline_numbers
