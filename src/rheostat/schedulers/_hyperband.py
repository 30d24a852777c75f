"""Hyperband (Li et al. 2018), stopping type: successive halving in brackets."""

from __future__ import annotations

import math
from fractions import Fraction

from rheostat.schedulers._index import ReportIndex
from rheostat.schedulers._rungs import RungStopper

__all__ = ["Hyperband"]


def _resource(value: Fraction) -> float:
    """An integral resource as an ``int`` (as in the paper's table), otherwise a float."""
    return int(value) if value.denominator == 1 else float(value)


class Hyperband(RungStopper):
    """Hyperband's brackets of successive halving, with stopping inside each bracket.

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
    ``reduction_factor=3`` gives a first rung at ``10/9``).

    Stopping type: trial number ``k`` joins bracket ``bracket_of(k)``, a round robin over the
    brackets weighted by their ``n`` (143 trials fill the brackets above once, interleaved).
    Every trial starts with ``trial.budget == max_resource`` and reports one value per resource
    unit (step ``s`` means ``s + 1`` units); at each rung below ``max_resource``, judged at step
    ``ceil(resource) - 1``, a trial continues when it is among the best
    ``max(1, m // reduction_factor)`` of the ``m`` trials of its bracket that reached that step,
    or when ``m < n_min_trials`` (default: ``reduction_factor``). A NaN report, or a report past
    ``max_resource``, is stopped. Trials of bracket ``s = 0`` run to ``max_resource``.
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int = 81,
        reduction_factor: int = 3,
        n_min_trials: int | None = None,
    ) -> None:
        self._setup(min_resource, max_resource, reduction_factor, n_min_trials)
        self._table = self._make_table()
        self._order = self._make_order()
        self._steps = tuple(
            frozenset(math.ceil(r) - 1 for _n, r in bracket if r < self.max_resource)
            for bracket in self._table
        )
        self._index = ReportIndex(frozenset().union(*self._steps), self.bracket_of)

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

    def _make_order(self) -> tuple[int, ...]:
        # Smooth weighted round robin: each bracket's share of a cycle is its n; ties go to the
        # more aggressive bracket.
        weights = [bracket[0][0] for bracket in self._table]
        total, current, order = sum(weights), [0] * len(weights), []
        for _ in range(total):
            current = [c + w for c, w in zip(current, weights, strict=True)]
            pick = current.index(max(current))
            current[pick] -= total
            order.append(pick)
        return tuple(order)

    def bracket_of(self, number: int) -> int:
        """The index in ``brackets()`` of the bracket that trial ``number`` joins.

        >>> hb = Hyperband(min_resource=1, max_resource=9, reduction_factor=3)
        >>> hb.brackets()
        [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]
        >>> [hb.bracket_of(k) for k in range(17)]
        [0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0, 1, 0, 2, 0, 1, 0]
        """
        return self._order[number % len(self._order)]

    def _group(self, number: int) -> int:
        return self.bracket_of(number)

    def _rung_steps(self, number: int) -> frozenset[int]:
        return self._steps[self.bracket_of(number)]
