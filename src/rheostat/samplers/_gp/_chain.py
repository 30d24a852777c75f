"""Hyperparameters along a study: a memoized chain of warm-started MAP fits.

Fitting from scratch at every trial is slow, and warm-starting from whatever this process
fitted last would make a proposal depend on which asks the process happened to serve (a resumed
study, or a worker process, would propose other points). So fits happen at *anchor* sizes, on
the first ``a`` observations in completion order:

    1, 2, ..., 16, 18, 20, 22, 24, 27, 30, 33, 37, 41, 46, 51, ... (a + max(1, a // 8))

The first anchor from ``start`` on is fitted from the prior's mode and a few random draws; each
later one from the previous anchor's result and from the prior's mode (in case the chain sits
in a poor local optimum; without this start, Hartmann-6 runs did worse). Results are memoized
by the content of the data, so a sampler that has not seen the earlier asks (resumed,
unpickled, restored) recomputes the same chain, and one that has pays one fit per anchor. The
result at an anchor depends only on the observations, the seed and the prior.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from rheostat.samplers._gp._fit import Prior, fit_hyperparameters
from rheostat.samplers._gp._model import Hyperparameters

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["FitChain", "anchor_sizes"]

_RANDOM_STARTS = 3


def anchor_sizes(n: int) -> list[int]:
    """The anchor sizes up to ``n``: every size to 16, then steps of about 1/8."""
    sizes = [1]
    while (step := sizes[-1] + max(1, sizes[-1] // 8)) <= n:
        sizes.append(step)
    return [s for s in sizes if s <= n]


class FitChain:
    """A memo of MAP hyperparameters at anchor sizes, ``max_entries`` kept; thread-safe.

    One thread at a time extends the chain: concurrent proposals (parallel workers in threads)
    need the same anchors, and the GIL would serialize the fits anyway, so a second thread waits
    for the first one's fits and finds them memoized instead of repeating them.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._lock = threading.Lock()
        self._memo: OrderedDict[bytes, Hyperparameters] = OrderedDict()
        self.max_entries = max_entries

    def __len__(self) -> int:
        return len(self._memo)

    def hyperparameters(
        self,
        x: Array,
        targets: Callable[[int], Array],
        is_cat: Mask,
        prior: Prior,
        *,
        seed: int,
        start: int,
    ) -> tuple[int, Hyperparameters]:
        """The anchor ``a`` at or below ``len(x)`` and the MAP hyperparameters fitted there on
        ``x[:a]`` and ``targets(a)``; anchors below ``start`` are skipped."""
        with self._lock:
            return self._hyperparameters(x, targets, is_cat, prior, seed=seed, start=start)

    def _hyperparameters(
        self,
        x: Array,
        targets: Callable[[int], Array],
        is_cat: Mask,
        prior: Prior,
        *,
        seed: int,
        start: int,
    ) -> tuple[int, Hyperparameters]:
        anchors = [a for a in anchor_sizes(len(x)) if a >= start] or [len(x)]
        data: list[tuple[bytes, Array]] = []  # (key, targets), last anchor first
        found: Hyperparameters | None = None
        for a in reversed(anchors):  # newest first, until one is memoized
            y = targets(a)
            key = hashlib.sha1(
                b"".join([x[: len(y)].tobytes(), y.tobytes(), repr((seed, start, prior)).encode()])
            ).digest()
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                break
            data.append((key, y))
        theta = found
        for key, y in reversed(data):
            a = len(y)
            if theta is None:
                rng = np.random.default_rng([seed & 0xFFFFFFFF, a])
                starts = [prior.means(x.shape[1])]
                starts += [prior.sample(rng, x.shape[1]) for _ in range(_RANDOM_STARTS)]
            else:
                starts = [theta.vector, prior.means(x.shape[1])]
            theta = fit_hyperparameters(x[:a], y, is_cat, prior, starts)
            self._memo[key] = theta
            while len(self._memo) > self.max_entries:
                self._memo.popitem(last=False)
        if theta is None:  # unreachable: there is always at least one anchor
            raise RuntimeError("no anchor to fit")
        return anchors[-1], theta
