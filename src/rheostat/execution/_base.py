"""The executor interface: run copies of a worker somewhere, return when they are done."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import ClassVar

__all__ = ["Executor", "check_workers"]


class Executor(ABC):
    """Where the worker loop runs. One method, ``run``, and an optional ``close``.

    An executor knows nothing of studies: it calls a ``worker`` (a callable without arguments)
    ``n_workers`` times at once, as resources allow, and returns when every call has returned.
    ``study.optimize(..., executor=...)`` hands it the worker loop: ask the study for a trial, run
    the objective, tell the result, until the study's budget for the call is spent.

    ``remote``: whether workers run outside this process. A remote executor is given a picklable
    worker that opens the study by name from its storage URL and talks only to storage; such an
    executor needs a storage that processes share (SQLite file, PostgreSQL). An in-process one
    (``remote = False``) is given a worker sharing this process's memory, so callbacks, the
    progress bar and ``study.stop()`` work.

    Contract of ``run``:

    - The first exception a worker raises stops the others at their earliest safe point (a
      trial they are running is recorded ``FAILED``, never left ``RUNNING`` on purpose) and is
      re-raised by ``run``, as the same type where it can be carried back.
    - ``KeyboardInterrupt`` (Ctrl-C) in the calling thread stops the workers the same way and is
      re-raised.
    - ``run`` is not re-entrant: one ``run`` at a time per executor object.
    """

    remote: ClassVar[bool] = False

    @abstractmethod
    def run(self, worker: Callable[[], None], n_workers: int) -> None:
        """Call ``worker()`` ``n_workers`` times at once; return when all calls have returned."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the executor set up (e.g. a Ray runtime it started). Idempotent."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def check_workers(who: str, n_workers: object) -> int:
    """``n_workers`` as an int >= 1, or a ``ValueError`` naming ``who``."""
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"{who}.run: n_workers must be an integer >= 1, got {n_workers!r}")
    return n_workers
