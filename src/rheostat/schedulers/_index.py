"""An incremental index of the values trials reported at chosen steps, ranked per group.

Rung-based schedulers compare a trial with every trial that reported at the same step. Scanning
the whole history at each report costs O(trials); this index keeps, per ``(group, step)``, the
reports sorted best first and re-reads only the records that changed since the last call
(records are frozen: a changed trial is a new object). A report at a step never changes once
made, so most calls only insert a value or two.

The index is a cache, not state: every answer equals a fresh scan of the history it was last
given, whatever history came before (another study, another direction). It is thread-safe;
pickling (to send a scheduler to worker processes) leaves the cache behind.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["ReportIndex", "Row"]

Row = tuple[bool, float, int]
"""``(is NaN, signed value, trial number)``: rows sort best first (lower is better), NaN last."""


def _no_group(number: int) -> int:
    return 0


class ReportIndex:
    """Reports at ``steps`` (a fixed set, or every step when ``None``) sorted per
    ``(group, step)``, the ``PAUSED`` trials (``paused``) and the unfinished ones (``live``),
    for the last history synced.

    A trial's group is ``group(number)``; with ``population_size``, it is its population
    instead: the ``k``-th trial without a parent founds population ``k // population_size``,
    and a trial with a parent joins its parent's (``group_of``, ``members``). With
    ``waits_at``, a ``PAUSED`` trial for which it gives ``(rung, step)`` is listed in
    ``waiting[rung]`` by its report at ``step``, best first.
    """

    def __init__(
        self,
        steps: Iterable[int] | None,
        group: Callable[[int], int] = _no_group,
        *,
        population_size: int | None = None,
        waits_at: Callable[[TrialRecord], tuple[int, int] | None] | None = None,
    ) -> None:
        self._steps = None if steps is None else frozenset(steps)
        self._group = group
        self._population_size = population_size
        self._waits_at = waits_at
        self._lock = threading.Lock()
        self._clear(None)

    def _clear(self, key: tuple[str, float] | None) -> None:
        self._key = key
        self._seen: list[TrialRecord | None] = []
        self._rows: dict[tuple[int, int], list[Row]] = {}
        self._placed: list[dict[int, Row]] = []  # per trial: step -> its row
        self.paused: dict[int, TrialRecord] = {}
        self.live: set[int] = set()  # the trials not finished
        self.group_of: list[int] = []  # by number
        self.members: dict[int, list[int]] = {}  # group -> numbers, ascending
        self._founders = 0
        self.waiting: dict[int, list[Row]] = {}  # rung -> paused trials' rows there, best first
        self._waits: dict[int, tuple[int, Row]] = {}  # number -> (rung, row) in ``waiting``

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state.update(_key=None, _seen=[], _rows={}, _placed=[], paused={}, live=set())
        state.update(group_of=[], members={}, _founders=0, waiting={}, _waits={})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @contextmanager
    def synced(self, history: History) -> Iterator[ReportIndex]:
        """Hold the index, brought up to date with ``history``, for the ``with`` block."""
        with self._lock:
            self._sync(history)
            yield self

    def _sync(self, history: History) -> None:
        sign = -1.0 if history.directions[0] is Direction.MAXIMIZE else 1.0
        key = (history.study_name, sign)
        trials = history.trials
        if key != self._key or len(trials) < len(self._seen):
            self._clear(key)
        seen = self._seen
        # Only the records that are not the very objects seen last time need a look; comparing
        # identities with ``map`` keeps the scan of a long, mostly unchanged history in C.
        changed = itertools.compress(trials, map(operator.is_not, seen, trials))
        for t in itertools.chain(changed, itertools.islice(trials, len(seen), None)):
            n = t.number
            if n < len(seen):
                old = seen[n]
                if old is t:
                    continue
                if old is not None and old.parent != t.parent:  # another study of that name
                    self._clear(key)
                    self._sync(history)
                    return
            while len(seen) <= n:  # numbers are contiguous: this runs once, for n
                seen.append(None)
                self._placed.append({})
                self._place(t if len(seen) == n + 1 else None, len(seen) - 1)
            seen[n] = t
            self._reread(t, sign)

    def _place(self, t: TrialRecord | None, number: int) -> None:
        """Put a trial seen for the first time in its group, for good."""
        if self._population_size is None:
            group = self._group(number)
        elif t is not None and t.parent is not None and 0 <= t.parent < len(self.group_of):
            group = self.group_of[t.parent]  # a replacement joins its parent's population
        else:
            group = self._founders // self._population_size
            self._founders += 1
        self.group_of.append(group)
        self.members.setdefault(group, []).append(number)

    def _reread(self, t: TrialRecord, sign: float) -> None:
        placed = self._placed[t.number]
        group = self.group_of[t.number]
        values = t.intermediate_values
        steps = values.keys() if self._steps is None else self._steps & values.keys()
        for step in list(placed):
            if step not in steps or placed[step] != _row(values[step], sign, t.number):
                rows = self._rows[(group, step)]
                del rows[bisect.bisect_left(rows, placed.pop(step))]
        for step in steps:
            if step not in placed:
                row = _row(values[step], sign, t.number)
                bisect.insort(self._rows.setdefault((group, step), []), row)
                placed[step] = row
        if t.state is TrialState.PAUSED:
            self.paused[t.number] = t
        else:
            self.paused.pop(t.number, None)
        if self._waits_at is not None:
            self._rewait(t, sign)
        if t.state.is_finished():
            self.live.discard(t.number)
        else:
            self.live.add(t.number)

    def _rewait(self, t: TrialRecord, sign: float) -> None:
        old = self._waits.pop(t.number, None)
        if old is not None:
            rows = self.waiting[old[0]]
            del rows[bisect.bisect_left(rows, old[1])]
        where = self._waits_at(t) if t.state is TrialState.PAUSED and self._waits_at else None
        if where is not None and where[1] in t.intermediate_values:
            row = _row(t.intermediate_values[where[1]], sign, t.number)
            bisect.insort(self.waiting.setdefault(where[0], []), row)
            self._waits[t.number] = (where[0], row)

    @property
    def founders(self) -> int:
        """How many trials without a parent were seen (with ``population_size``)."""
        return self._founders

    def has(self, number: int, step: int) -> bool:
        """Whether trial ``number`` reported at ``step`` (in the last history synced)."""
        return number < len(self._placed) and step in self._placed[number]

    def ranked(self, group: int, step: int) -> list[Row]:
        """The rows at ``step`` in ``group``, best first (do not change the list)."""
        return self._rows.get((group, step), [])

    def finite(self, group: int, step: int) -> list[Row]:
        """The rows at ``step`` in ``group`` with a finite value, best first."""
        rows = self.ranked(group, step)
        lo = bisect.bisect_right(rows, (False, -math.inf, math.inf))
        hi = bisect.bisect_left(rows, (False, math.inf, -1))
        return rows[lo:hi]

    def better(self, group: int, step: int, value: float, sign: float) -> int:
        """How many reports at ``step`` in ``group`` are strictly better than ``value``."""
        rows = self.ranked(group, step)
        if math.isnan(value):
            return bisect.bisect_left(rows, (True, -math.inf, -1))
        return bisect.bisect_left(rows, (False, sign * value, -1))


def _row(value: float, sign: float, number: int) -> Row:
    nan = math.isnan(value)
    return (nan, 0.0 if nan else sign * value, number)
