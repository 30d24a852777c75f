"""The encoded finished trials of one study, kept between TPE proposals.

``Observations`` holds one row per ``COMPLETE`` trial with finite values and per ``PRUNED``
trial, one column per (name, distribution), in the order the trials finished; each trial is
encoded once. It also infers groups (parameters that always appear together) and keeps, per
group, a ``Group``: the rows that have all its parameters as ``Rows``, extended with each new
trial, so an estimator's per-observation quantities are computed once per trial, not per ask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np

from rheostat.distributions import Distribution
from rheostat.samplers._parzen_column import Array, Column
from rheostat.samplers._parzen_rows import Rows
from rheostat.samplers._tpe_model import GoodFits, Observed
from rheostat.samplers._workspace import Workspace
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["Group", "Key", "Observations"]

Key = tuple[str, Distribution]
_MAX_GROUPS = 32  # per study; a conditional space can shift its groups as trials arrive


class Group:
    """The rows of ``Observations`` that have every column of ``cols``, in the same order."""

    def __init__(self, cols: Sequence[int], columns: Sequence[Column]) -> None:
        self.cols = np.asarray(cols, dtype=np.intp)
        self.rows = Rows(columns)
        self.source = np.empty(16, dtype=np.intp)  # each row's row in ``Observations``
        self.seen = 0  # rows of ``Observations`` looked at
        self.fits: GoodFits = {}  # the model's good-side estimators of these rows

    def sync(self, obs: Observations) -> None:
        """Add the rows ``obs`` gained since the last call."""
        if obs.n > self.seen:
            x = obs.x[self.seen : obs.n][:, self.cols]
            keep = np.flatnonzero(~np.isnan(x).any(axis=1))
            n, k = self.rows.n, len(keep)
            if n + k > len(self.source):
                grown = np.empty(max(2 * len(self.source), n + k), dtype=np.intp)
                grown[:n] = self.source[:n]
                self.source = grown
            self.source[n : n + k] = keep + self.seen
            self.rows.append(x[keep])
            self.seen = obs.n

    def observed(self, obs: Observations, work: Workspace | None = None) -> Observed:
        """The group, synced with ``obs``, as a model's input (with scratch space ``work``)."""
        n = self.rows.n
        if n == self.seen:  # every row so far: slices, not copies
            src: slice | Array = slice(0, n)
            numbers = obs.numbers[:n]
        else:
            src = self.source[:n]
            numbers = obs.numbers[src]
        order = None if obs.in_order else np.argsort(numbers, kind="stable")
        return Observed(
            self.rows,
            order,
            obs.loss[src],
            obs.pruned[src],
            obs.steps[src],
            obs.last[src],
            work,
            self.fits,
        )


class Observations:
    """The encoded finished trials of one study (see the module docstring). Append-only."""

    def __init__(self, directions: Sequence[Direction]) -> None:
        self.signs = [-1.0 if d is Direction.MAXIMIZE else 1.0 for d in directions]
        self.keys: dict[Key, int] = {}
        self._last: dict[str, tuple[Distribution, int]] = {}  # name -> its latest key's column
        self.x: Array = np.full((16, 0), np.nan)
        self.numbers: Array = np.zeros(16, dtype=np.int64)
        self.loss: Array = np.zeros((16, len(directions)))
        self.pruned: Array = np.zeros(16, dtype=bool)
        self.steps: Array = np.zeros(16)
        self.last: Array = np.zeros(16)
        self.n = 0
        self.in_order = True
        self.next_number = 0
        self.unsettled: list[int] = []
        self.anchors: dict[int, TrialRecord] = {}  # the first and the latest row's records
        self.groups: set[frozenset[int]] = set()
        self.n_encoded = 0
        self._cached: dict[tuple[int, ...], Group] = {}  # most recently used last

    def matches(self, history: History) -> bool:
        """Whether ``history`` continues the trials seen so far (same study, nothing rewound)."""
        trials = history.trials
        if len(trials) < self.next_number:
            return False
        return all(trials[k] is t or trials[k] == t for k, t in self.anchors.items())

    def update(self, history: History) -> list[TrialRecord]:
        """Encode the newly finished trials; return the ``RUNNING`` ones."""
        trials, running, unsettled = history.trials, [], []
        for number in [*self.unsettled, *range(self.next_number, len(trials))]:
            t = trials[number]
            if t.state.is_finished():
                self._add(t)
            else:
                unsettled.append(number)
                if t.state is TrialState.RUNNING:
                    running.append(t)
        self.unsettled, self.next_number = unsettled, len(trials)
        return running

    def _add(self, t: TrialRecord) -> None:
        if t.state is TrialState.COMPLETE:
            if t.values is None or len(t.values) != len(self.signs):
                return
            loss = [sign * float(v) for sign, v in zip(self.signs, t.values, strict=True)]
            if not all(map(math.isfinite, loss)):
                return
            pruned, steps, last = False, math.inf, 0.0
        elif t.state is TrialState.PRUNED:
            step = t.last_step
            value = t.intermediate_values[step] * self.signs[0] if step is not None else math.nan
            pruned, loss = True, [math.inf] * len(self.signs)
            steps = float(step) if step is not None else -1.0
            last = value if math.isfinite(value) else math.inf
        else:
            return
        if self.n == len(self.numbers):
            self._grow(rows=2 * self.n)
        row = self.n
        cols: list[int] = []
        values: list[float] = []
        for name, param in t.params.items():
            dist = t.distributions.get(name)
            if dist is None or not dist.contains(param):
                continue
            col = self._column(name, dist)
            if col is None:
                col = self.keys[(name, dist)] = len(self.keys)
                self._grow(cols=len(self.keys))
            cols.append(col)
            values.append(dist.to_internal(param))
        self.x[row, cols] = values
        if self.n and t.number < self.numbers[self.n - 1]:
            self.in_order = False
        self.numbers[row], self.loss[row], self.pruned[row] = t.number, loss, pruned
        self.steps[row], self.last[row] = steps, last
        self.n += 1
        self.n_encoded += 1
        self._regroup(frozenset(cols))
        first = next(iter(self.anchors.items()), (t.number, t))
        self.anchors = dict([first, (t.number, t)])

    def _column(self, name: str, dist: Distribution) -> int | None:
        """The column of ``(name, dist)``, or ``None``; the distribution object this name had
        last time is found without hashing it (a dataclass hash is a Python call)."""
        last = self._last.get(name)
        if last is not None and last[0] is dist:
            return last[1]
        col = self.keys.get((name, dist))
        if col is not None:
            self._last[name] = (dist, col)
        return col

    def _grow(self, rows: int | None = None, cols: int | None = None) -> None:
        r, c = self.x.shape
        new_r, new_c = rows or r, cols or c
        x = np.full((new_r, new_c), np.nan)
        x[:r, :c] = self.x
        self.x = x
        if rows is not None:
            for name in ("numbers", "loss", "pruned", "steps", "last"):
                old = getattr(self, name)
                arr = np.zeros((new_r, *old.shape[1:]), dtype=old.dtype)
                arr[:r] = old
                setattr(self, name, arr)

    def _regroup(self, present: frozenset[int]) -> None:
        """Refine the groups so that parameters share one only if they always appear together."""
        if not present:
            return
        rest, groups = present, set()
        for g in self.groups:
            for part in (g & present, g - present):
                if part:
                    groups.add(part)
            rest = rest - g
        if rest:
            groups.add(rest)
        self.groups = groups

    def group(self, keys: Sequence[Key]) -> Group | None:
        """The kept ``Group`` of ``keys``, synced, or ``None`` if some parameter was never
        observed."""
        cols = [self._column(name, dist) for name, dist in keys]
        if None in cols:
            return None
        key = cast(tuple[int, ...], tuple(cols))
        group = self._cached.pop(key, None)
        if group is None:
            group = Group(key, [Column.of(dist) for _, dist in keys])
        group.sync(self)
        self._cached[key] = group
        while len(self._cached) > _MAX_GROUPS:
            self._cached.pop(next(iter(self._cached)))
        return group

    def group_keys(self) -> list[list[Key]]:
        """The groups as lists of (name, distribution), sorted by name."""
        names = {col: key for key, col in self.keys.items()}
        return sorted(
            (sorted((names[c] for c in g), key=lambda k: k[0]) for g in self.groups),
            key=lambda keys: [k[0] for k in keys],
        )
