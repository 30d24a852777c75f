"""The sampler interface: which configuration to try next, as a pure function of the history.

Two levels, so model-based samplers handle conditional spaces:

- ``propose(history, space)``: a joint proposal for the parameters of ``space`` (given
  declaratively, or inferred from finished trials when ``None``). The next trial's number is
  ``len(history)``. May return a subset; the rest are sampled one at a time.
- ``sample_one(history, trial, name, distribution)``: a value for one parameter outside the
  proposal, such as a conditional one.

Contract: a sampler never sees storage or the study and never calls the objective. It may be
called from several threads at once. With the same seed, the same history gives the same values,
so a sequential study is reproducible, also after it is stopped and resumed. A sampler whose seed
is ``None`` takes the study's seed from ``history.attrs["seed"]``.
"""

from __future__ import annotations

import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.space import Space
from rheostat.trial import History, TrialRecord, TrialState

__all__ = ["Sampler", "intersection_space", "seeded_random"]

_MASK = (1 << 64) - 1


def _mix(*parts: int) -> int:
    """A stable 64-bit mix of integers (splitmix64 steps); the same in every process."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & _MASK)) & _MASK
        h = (h + 0x9E3779B97F4A7C15) & _MASK
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
        h ^= h >> 31
    return h


def seeded_random(seed: int, number: int, salt: int = 0) -> random.Random:
    """A ``random.Random`` for trial ``number`` of a study seeded with ``seed``.

    The stream depends only on these integers, so a resumed study draws the same values.
    """
    return random.Random(_mix(seed, number, salt))


def shared_space(trials: Iterable[TrialRecord]) -> Space:
    """The parameters that every one of ``trials`` has, with the same distribution."""
    space: dict[str, Distribution] | None = None
    for t in trials:
        if space is None:
            space = dict(t.distributions)
            continue
        for name in list(space):
            if t.distributions.get(name) != space[name]:
                del space[name]
    return Space(dict(sorted((space or {}).items())))


def intersection_space(history: History) -> Space:
    """The parameters that every ``COMPLETE`` trial has, with the same distribution."""
    return shared_space(history.get_trials((TrialState.COMPLETE,)))


class Sampler(ABC):
    """Base class of samplers. Subclasses implement ``sample_one`` and usually ``propose``."""

    seed: int | None

    def __init__(self, *, seed: int | None = None) -> None:
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"seed={seed!r} must be an int or None")
        self.seed = seed
        self._lock = threading.Lock()
        self._streams: dict[tuple[int, str, int], random.Random] = {}

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        """A joint proposal for trial number ``len(history)``; the default proposes nothing."""
        return {}

    @abstractmethod
    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        """A value of ``distribution`` for parameter ``name`` of the running ``trial``."""

    def effective_seed(self, history: History) -> int:
        """This sampler's seed, or else the study's (``history.attrs['seed']``), or else 0."""
        if self.seed is not None:
            return self.seed
        seed = history.attrs.get("seed")
        return int(seed) if isinstance(seed, int) else 0

    def _stream(self, history: History, number: int) -> random.Random:
        """The random stream of trial ``number`` for independent draws (kept for a few trials)."""
        seed = self.effective_seed(history)
        # Keyed by seed and study too: a sampler object reused for another study (or a study
        # with another seed) must start that study's streams afresh, not continue old ones.
        key = (seed, history.study_name, number)
        with self._lock:
            rng = self._streams.get(key)
            if rng is None:
                if len(self._streams) >= 1024:
                    self._streams.pop(next(iter(self._streams)))
                rng = seeded_random(seed, number, salt=1)
                self._streams[key] = rng
            return rng

    def __getstate__(self) -> dict[str, Any]:
        """Pickling (to send the sampler to worker processes) leaves the lock and the stream
        cache behind; both are rebuilt."""
        state = self.__dict__.copy()
        state.pop("_lock", None)
        state["_streams"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def describe_choice(self, history: History, space: Space | None) -> dict[str, Any] | None:
        """What this sampler does for trial ``len(history)`` and why, as JSON with at least a
        ``"sampler"`` key, or ``None`` for a sampler with one fixed strategy.

        The study keeps it in its system attribute ``sampler_choice`` whenever the ``"sampler"``
        changes, with the trial number it changed at.
        """
        return None

    def dump(self) -> dict[str, Any]:
        """The sampler's settings and state as JSON-representable data."""
        return {"type": type(self).__name__, "seed": self.seed}

    def load(self, state: Mapping[str, Any]) -> None:
        """Restore what ``dump`` returned."""
        self.seed = state.get("seed")
