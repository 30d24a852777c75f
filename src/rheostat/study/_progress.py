"""A one-line progress bar on stderr (no dependency: it is a dozen lines)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Draws ``[#####.....] 12/50 trials, best 0.0123, 4.2 s`` and redraws it in place.

    On a terminal it redraws at most ten times a second; elsewhere (a log file, CI) it prints a
    line at each tenth of the way.
    """

    def __init__(self, total: int | None, timeout: float | None, file: TextIO | None = None):
        self.total = total
        self.timeout = timeout
        self.file = file if file is not None else sys.stderr
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1
        self._last_done = -1
        self._tty = bool(getattr(self.file, "isatty", lambda: False)())

    def _fraction(self, done: int) -> float:
        parts = []
        if self.total:
            parts.append(done / self.total)
        if self.timeout:
            parts.append((time.monotonic() - self.start) / self.timeout)
        return min(max(parts), 1.0) if parts else 0.0

    def update(self, done: int, best: float | None, *, final: bool = False) -> None:
        """Show ``done`` finished trials and the best value so far."""
        now = time.monotonic()
        frac = self._fraction(done)
        decile = int(frac * 10)
        if self._tty and not final and now - self._last_draw < 0.1:
            return
        if not self._tty and not final and decile == self._last_decile:
            return
        if not self._tty and final and done == self._last_done:
            return
        self._last_draw, self._last_decile, self._last_done = now, decile, done
        width = 24
        filled = int(frac * width)
        total = f"/{self.total}" if self.total else ""
        best_text = "-" if best is None else f"{best:.6g}"
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}{total} trials, best {best_text}, "
            f"{now - self.start:.1f} s"
        )
        end = "\n" if final or not self._tty else ""
        self.file.write(("\r" if self._tty else "") + line + end)
        self.file.flush()
