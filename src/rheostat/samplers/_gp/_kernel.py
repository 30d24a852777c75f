"""The Matérn-5/2 kernel with one length-scale per column (ARD), for mixed spaces.

``k(x, x') = s² m(r²)`` with ``m(r²) = (1 + √5 r + 5/3 r²) exp(-√5 r)`` and the scaled distance
``r² = sum_j delta_j(x_j, x'_j) / l_j²``, where ``delta_j`` is the squared difference of a
numeric column and the Hamming term ``[x_j != x'_j]`` of a categorical one. The Hamming term is
the squared distance of one-hot codes over 2, so the kernel is the Matérn kernel of the one-hot
encoding with length-scale ``√2 l_j`` shared by a categorical's columns: positive definite, and
one length-scale per categorical however many choices it has.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Mask = NDArray[np.bool_]

__all__ = ["cross_sq_dist", "matern52", "matern52_with_grad", "pairwise_deltas"]

_SQRT5 = math.sqrt(5.0)


def matern52(r2: Array) -> Array:
    """``m(r²)``, the Matérn-5/2 correlation at squared scaled distance ``r2``."""
    r = np.sqrt(r2)
    return np.asarray((1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-_SQRT5 * r))


def matern52_with_grad(r2: Array) -> tuple[Array, Array]:
    """``m(r²)`` and its derivative with respect to ``r²``: ``-5/6 (1 + √5 r) exp(-√5 r)``."""
    r = np.sqrt(r2)
    e = np.exp(-_SQRT5 * r)
    value = (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e
    return value, (-5.0 / 6.0) * (1.0 + _SQRT5 * r) * e


def pairwise_deltas(x1: Array, x2: Array, is_cat: Mask) -> Array:
    """``delta_j(x1[a], x2[b])`` for every pair and column: an ``(n1, n2, d)`` array."""
    diff = x1[:, None, :] - x2[None, :, :]
    return np.where(is_cat, (diff != 0.0).astype(float), diff * diff)


def cross_sq_dist(x1: Array, x2: Array, inv_ls2: Array, is_cat: Mask) -> Array:
    """``r²`` between every row of ``x1`` and every row of ``x2``: an ``(n1, n2)`` array.

    Numeric columns go through ``|a|² + |b|² - 2 a·b`` on centred, scaled coordinates (one matrix
    product; the rounding error, ~1e-16 of ``Σ 1/l²``, is far below the noise floor) and
    categorical ones through equality.
    """
    num = ~is_cat
    w = np.sqrt(inv_ls2[num])
    a = (x1[:, num] - 0.5) * w
    b = (x2[:, num] - 0.5) * w
    r2 = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(is_cat):
        r2 += (x1[:, j, None] != x2[None, :, j]) * inv_ls2[j]
    return np.asarray(r2)
