"""Hyperband (Li et al. 2018, Algorithm 1): brackets of synchronous successive halving."""

from __future__ import annotations

import bisect
import itertools
import math
from fractions import Fraction
from typing import Any

from rheostat.schedulers._index import ReportIndex
from rheostat.schedulers._rungs import check_resources
from rheostat.schedulers._successive_halving import SyncBracket, SynchronousBrackets

__all__ = ["Hyperband"]


def _resource(value: Fraction) -> float:
    """An integral resource as an ``int`` (as in the paper's table), otherwise a float."""
    return int(value) if value.denominator == 1 else float(value)


class Hyperband(SynchronousBrackets):
    """Hyperband: brackets of synchronous successive halving, run in the paper's order.

    With ``R = max_resource / min_resource`` and ``eta = reduction_factor``, there are
    ``s_max + 1`` brackets, ``s_max = floor(log_eta(R))``. Bracket ``s`` (from ``s_max`` down
    to 0) starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configurations at resource
    ``r = max_resource * eta**-s``; its rung ``i`` keeps ``floor(n * eta**-i)`` of them at
    resource ``r * eta**i``, up to ``max_resource`` (Li et al. 2018, Algorithm 1):

    >>> for bracket in Hyperband(min_resource=1, max_resource=81, reduction_factor=3).brackets():
    ...     print(bracket)
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
    [(34, 3), (11, 9), (3, 27), (1, 81)]
    [(15, 9), (5, 27), (1, 81)]
    [(8, 27), (2, 81)]
    [(5, 81)]

    Resources are ints where they are whole, floats otherwise (``max_resource=10``,
    ``reduction_factor=3`` gives a first rung at ``10/9``); trials count resource in whole
    steps, so a fractional rung is run to its ceiling (``10/9`` to 2 steps).

    Each bracket runs synchronous successive halving, as ``SuccessiveHalving`` does: its ``n``
    trials start with ``trial.budget`` equal to its bottom rung and pause there (``PAUSE``:
    the objective saves a checkpoint); once every one of them reported there (or ended), the
    best ``floor(n / eta)`` are resumed from their checkpoints with the next rung's budget
    (``Resume``) and the others are stopped (``Stop``: ``PRUNED`` with their last report), and
    so on up to ``max_resource``, where the trials run to the end and complete. Ties go to
    the lower number, NaN ranks last; a NaN report, or one past ``max_resource``, is stopped.

    Brackets are filled in the paper's order and cycle: trials ``0 .. 80`` form the first
    bracket above, ``81 .. 114`` the second, and so on; trial 143 starts the first bracket of
    the next cycle (``bracket_of``). With several workers, a worker that would otherwise wait
    for a bracket's rung to fill starts the next trial instead, which joins the next bracket
    once this one has all its trials (the paper runs brackets one after the other; this keeps
    every worker busy and changes no bracket's decisions). Promotions and stops come first:
    a worker asking for work stops a trial that a full rung left out, else resumes one it
    promoted (oldest bracket first), else starts a new trial. A bracket whose trials have not
    all been started when the study's ``n_trials`` runs out keeps them ``PAUSED``; a later
    ``optimize`` call goes on. Stateless: every decision is derived from the history.

    >>> hb = Hyperband(min_resource=1, max_resource=9, reduction_factor=3)
    >>> hb.brackets()
    [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]
    >>> [hb.bracket_of(k) for k in (0, 8, 9, 13, 14, 16, 17)]
    [0, 0, 1, 1, 2, 2, 0]
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
    ) -> None:
        owner = type(self).__name__
        lo, hi, eta = check_resources(owner, min_resource, max_resource, reduction_factor)
        self.min_resource, self.max_resource, self.reduction_factor = lo, hi, eta
        self._table = self._make_table()
        self._runs = tuple(
            SyncBracket([math.ceil(r) for _n, r in b], [n for n, _r in b], eta) for b in self._table
        )
        self._offsets = tuple(itertools.accumulate((b.size for b in self._runs), initial=0))
        self._index = ReportIndex(())  # only to know the unfinished trials cheaply

    def _make_table(self) -> list[list[tuple[int, Fraction]]]:
        eta, top = self.reduction_factor, Fraction(self.max_resource)
        s_max = 0
        while self.min_resource * eta ** (s_max + 1) <= self.max_resource:
            s_max += 1
        table = []
        for s in range(s_max, -1, -1):
            n = -(-(s_max + 1) * eta**s // (s + 1))  # ceil, in integers
            table.append([(n // eta**i, top / eta ** (s - i)) for i in range(s + 1)])
        return table

    def brackets(self) -> list[list[tuple[int, float]]]:
        """Each bracket's rungs as ``(n_configurations, resource)``, most aggressive first."""
        return [[(n, _resource(r)) for n, r in bracket] for bracket in self._table]

    def cycle_length(self) -> int:
        """How many trials fill every bracket once (143 for the paper's table)."""
        return self._offsets[-1]

    def bracket_of(self, number: int) -> int:
        """The index in ``brackets()`` of the bracket that trial ``number`` joins."""
        return bisect.bisect_right(self._offsets, number % self._offsets[-1]) - 1

    def _placement(self, number: int) -> tuple[int, SyncBracket]:
        cycle, position = divmod(number, self._offsets[-1])
        index = bisect.bisect_right(self._offsets, position) - 1
        return cycle * self._offsets[-1] + self._offsets[index], self._runs[index]

    def _settings(self) -> dict[str, Any]:
        return {
            "min_resource": self.min_resource,
            "max_resource": self.max_resource,
            "reduction_factor": self.reduction_factor,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({args})"
