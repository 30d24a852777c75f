"""What a history holds for the modelled space, as rows of the GP's encoding.

- Observations: ``COMPLETE`` trials whose values are not NaN (infinite values are clipped later).
- Fantasies: ``RUNNING`` and ``WAITING`` trials, whose values are pending, and ``FAILED`` ones
  (and any completed with a NaN value). The sampler adds them at the posterior mean (kriging
  believer), so a batch of parallel trials spreads out and the neighbourhood of a failed point
  is not proposed again and again.
- ``PRUNED`` trials are left out.

A running trial's values come from its parameters or, for those not suggested yet, from the
proposal it was started with. Rows of finished trials are cached by record identity (a finished
trial's record never changes, and the study hands out the same record object each time).
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np

from rheostat.distributions import ParamValue
from rheostat.samplers._gp._space import Encoding
from rheostat.space import Space
from rheostat.trial import History, TrialRecord, TrialState

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

__all__ = ["Observations", "RowCache"]

_FANTASIZED = (TrialState.RUNNING, TrialState.WAITING, TrialState.FAILED)


def _values(t: TrialRecord, space: Space) -> dict[str, ParamValue] | None:
    """The values of ``t`` for every parameter of ``space``, from its parameters or else the
    sampler's proposal it was started with; ``None`` when some are missing."""
    proposal = t.system_attrs.get("proposal") or {}
    out: dict[str, ParamValue] = {}
    for name, dist in space.items():
        if name in t.params and t.distributions.get(name) == dist:
            out[name] = t.params[name]
        elif name in proposal and dist.contains(proposal[name]):
            out[name] = dist.cast(proposal[name])
        else:
            return None
    return out


class Observations:
    """Rows ``x`` (projected onto valid values) and ``values`` (``(n, k)``) of the observations
    in the order they completed (then by number), rows of the ``fantasies``, and every trial's
    row as bytes (``tried``). Completion order makes the first ``a`` observations the same at
    every later ask, also with parallel workers, which is what ``_chain`` memoizes on."""

    def __init__(self, x: Array, values: Array, fantasies: Array, tried: set[bytes]) -> None:
        self.x, self.values, self.fantasies, self.tried = x, values, fantasies, tried


class RowCache:
    """Builds ``Observations``, reusing the rows of finished trials; thread-safe."""

    def __init__(self, max_spaces: int = 8) -> None:
        self._lock = threading.Lock()
        self._rows: dict[Space, dict[int, tuple[TrialRecord, Array | None]]] = {}
        self.max_spaces = max_spaces

    def observations(self, history: History, enc: Encoding) -> Observations:
        """The observations, fantasies and tried rows of ``history`` under ``enc``."""
        with self._lock:
            cache = self._rows.pop(enc.space, None) or {}
            self._rows[enc.space] = cache  # most recent last
            while len(self._rows) > self.max_spaces:
                self._rows.pop(next(iter(self._rows)))
        rows, values, order, fantasies, tried = [], [], [], [], []
        fresh: dict[int, tuple[TrialRecord, Array | None]] = {}
        for t in history.trials:
            hit = cache.get(id(t))
            if hit is not None and hit[0] is t:
                row = hit[1]
            else:
                params = _values(t, enc.space)
                row = None if params is None else enc.project(enc.encode(params)[None, :])[0]
                if t.state.is_finished():
                    fresh[id(t)] = (t, row)
            if row is None:
                continue
            tried.append(row.tobytes())
            if t.state is TrialState.COMPLETE and t.values and not any(map(math.isnan, t.values)):
                rows.append(row)
                values.append(t.values)
                done = t.datetime_complete
                order.append((math.inf if done is None else done, t.number))
            elif t.state in _FANTASIZED or t.state is TrialState.COMPLETE:
                fantasies.append(row)
        if fresh:
            with self._lock:
                cache.update(fresh)
        empty = np.empty((0, enc.dim))
        by_completion = sorted(range(len(rows)), key=order.__getitem__)
        return Observations(
            np.array([rows[i] for i in by_completion]) if rows else empty,
            np.array([values[i] for i in by_completion], dtype=float).reshape(
                len(values), len(history.directions)
            ),
            np.array(fantasies) if fantasies else empty,
            set(tried),
        )
