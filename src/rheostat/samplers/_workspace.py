"""Reusable scratch arrays for a computation repeated with similar sizes.

A TPE proposal at a few thousand trials builds a dozen temporary arrays of a few hundred KB. Made
afresh each time, glibc hands such blocks back to the system on free and the next proposal pays
a page fault per 4 KB to get them again: about a third of a proposal's time at 3,000 trials.
``Workspace.array`` hands out views of buffers kept between calls instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Workspace"]

Array = np.ndarray[Any, Any]


class Workspace:
    """Named buffers that grow as needed. ``array(name, shape)`` returns a view of buffer
    ``name``: its contents are undefined, and it is valid until ``name`` is asked for again.
    Not thread-safe."""

    def __init__(self) -> None:
        self._buffers: dict[str, Array] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: Any = float) -> Array:
        """A C-contiguous ``shape`` view of buffer ``name``; a name keeps its ``dtype``."""
        size = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or len(buf) < size or buf.dtype != dtype:
            grown = max(size, len(buf) + len(buf) // 4) if buf is not None else size
            buf = self._buffers[name] = np.empty(grown, dtype)
        return buf[:size].reshape(shape)

    @property
    def nbytes(self) -> int:
        """The bytes held."""
        return sum(b.nbytes for b in self._buffers.values())
