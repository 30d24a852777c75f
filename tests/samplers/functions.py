"""Test functions with known minima, shared by the sampler tests."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

BRANIN_MIN = 0.397887
"""Branin's minimum on x in [-5, 10], y in [0, 15]."""

HARTMANN6_MIN = -3.32237
"""Hartmann-6's minimum on [0, 1]^6."""

_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
     [17, 8, 0.05, 10, 0.1, 14]]
)  # fmt: skip
_P = 1e-4 * np.array(
    [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
)  # fmt: skip
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(x: float, y: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def hartmann6(x: Sequence[float]) -> float:
    return float(-(_ALPHA * np.exp(-(_A * (np.asarray(x) - _P) ** 2).sum(axis=1))).sum())
