"""The points of a Parzen estimator, with what does not change between proposals kept per point.

A TPE study re-fits its estimators at every proposal, with new bandwidths and weights, but each
observation stays what it was. ``Rows`` keeps, per observation and computed once:

- for a discrete or categorical column, the code of its value among the column's distinct
  values, so that a kernel is evaluated once per distinct value, not once per observation;
- for a numeric column, its cell and offset on the column's truncation-mass grid
  (``_parzen_column.mass_table``), kept while the grid keeps its number of cells.

Append-only; storage grows by doubling, so appending a row costs amortized O(1) and views of the
first ``n`` rows stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rheostat.samplers._parzen_column import CONTINUOUS, Array, Column, Layout

__all__ = ["Rows"]


class Rows:
    """Internal points, one row each, one column per entry of ``columns``; see the module
    docstring. Not thread-safe: the caller serializes use."""

    def __init__(self, columns: Sequence[Column], x: Array | None = None) -> None:
        self.columns = tuple(columns)
        d = len(self.columns)
        kinds = np.array([c.kind for c in self.columns], dtype=int).reshape(d)
        self.coded = np.flatnonzero(kinds != CONTINUOUS)
        self.n = 0
        self._x = np.empty((0, d))
        self._slot = {j: i for i, j in enumerate(self.coded.tolist())}  # column -> codes column
        self._codes = np.empty((0, len(self._slot)), dtype=np.intp)
        self._values: list[list[float]] = [[] for _ in range(d)]
        self._code_of: list[dict[float, int]] = [{} for _ in range(d)]
        self._intervals = np.zeros(d, dtype=int)  # each column's grid, as cached
        self._gridded = np.zeros(d, dtype=int)  # each column's rows with cached cells
        self._stride = 0
        self._layouts: dict[tuple[int, ...], Layout] = {}
        self._flat = np.empty((0, d), dtype=np.intp)
        self._frac = np.empty((0, d))
        if x is not None:
            self.append(x)

    @property
    def x(self) -> Array:
        """The points, ``(n, d)``."""
        return self._x[: self.n]

    def layout(self, cols: tuple[int, ...]) -> Layout:
        """The ``Layout`` of columns ``cols`` (made once)."""
        layout = self._layouts.get(cols)
        if layout is None:
            layout = self._layouts[cols] = Layout.of([self.columns[j] for j in cols])
        return layout

    def codes(self, j: int) -> tuple[Array, Array]:
        """Column ``j``'s distinct values, and each row's index into them."""
        return np.asarray(self._values[j]), self._codes[: self.n, self._slot[j]]

    def append(self, x: Array) -> None:
        """Add the rows of ``x`` (``(k, d)``, no NaN)."""
        k = len(x)
        if not k:
            return
        n = self.n
        if n + k > len(self._x):
            cap = max(2 * len(self._x), n + k, 16)
            self._x = _grown(self._x, cap)
            self._codes = _grown(self._codes, cap)
            self._flat = _grown(self._flat, cap)
            self._frac = _grown(self._frac, cap)
        new = self._x[n : n + k]
        new[:] = x
        for j in self.coded.tolist():
            values, inverse = np.unique(new[:, j], return_inverse=True)
            known, seen = self._code_of[j], self._values[j]
            ids = np.empty(len(values), dtype=np.intp)
            for i, v in enumerate(values.tolist()):
                code = known.get(v)
                if code is None:
                    code = known[v] = len(seen)
                    seen.append(v)
                ids[i] = code
            self._codes[n : n + k, self._slot[j]] = ids[inverse.reshape(-1)]
        self.n = n + k

    def cells(self, cols: Array, intervals: Array) -> tuple[Array, Array, int]:
        """For numeric columns ``cols`` with grids of ``intervals`` cells: each row's flat index
        into a table with one stretch of ``stride`` entries per column of the rows (column
        ``j`` at ``j · stride``), its offset inside the cell, and ``stride``; ``(n, len(cols))``.
        """
        need = int(intervals.max()) + 1
        if need > self._stride:  # the tables grow: every column is cached afresh
            self._stride = max(2 * self._stride, need)
            self._gridded[:] = 0
        self._gridded[cols[self._intervals[cols] != intervals]] = 0
        self._intervals[cols] = intervals
        done, n = self._gridded[cols], self.n
        # at most a few distinct starts: a set, as np.unique costs more than the rest of this
        for start in sorted(set(done[done < n].tolist())):
            pick = done == start
            self._grid(cols[pick], intervals[pick], start)
        self._gridded[cols] = n
        if len(cols) == len(self.columns):
            return self._flat[:n], self._frac[:n], self._stride
        return self._flat[:n][:, cols], self._frac[:n][:, cols], self._stride

    def _grid(self, cols: Array, intervals: Array, start: int) -> None:
        """Cache the cells of rows ``start:`` in ``cols``."""
        n = self.n
        whole = len(cols) == len(self.columns)
        pos = (self._x[start:n] if whole else self._x[start:n][:, cols]) * intervals
        i = np.minimum(pos.astype(int), intervals - 1)
        frac, flat = pos - i, i + cols * self._stride
        if whole:
            self._frac[start:n], self._flat[start:n] = frac, flat
        else:
            self._frac[start:n, cols], self._flat[start:n, cols] = frac, flat


def _grown(a: Array, rows: int) -> Array:
    out = np.empty((rows, *a.shape[1:]), dtype=a.dtype)
    out[: len(a)] = a
    return out
