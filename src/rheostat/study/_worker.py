"""The worker loop for another process or machine: it opens the study from storage."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rheostat.samplers import Sampler
from rheostat.schedulers import Scheduler
from rheostat.study._create import load_study
from rheostat.study._optimize import run_optimize
from rheostat.study._trial import Trial

__all__ = ["RemoteWorker", "run_worker"]


def run_worker(
    study_name: str,
    storage: Any,
    objective: Callable[[Trial], Any],
    *,
    sampler: Sampler | None = None,
    scheduler: Scheduler | None = None,
    max_number: int | None = None,
    timeout: float | None = None,
    catch: tuple[type[Exception], ...] = (),
) -> int:
    """Open study ``study_name`` in ``storage`` (a URL or a ``Storage``) and run trials until
    the study holds ``max_number`` trials (``None``: no limit), ``timeout`` seconds pass, or the
    grid is exhausted. Return the number of trials this worker finished. A storage opened here
    from a URL is closed here."""
    study = load_study(study_name, storage, sampler=sampler, scheduler=scheduler)
    finished = 0

    def count(_study: object, _record: object) -> None:
        nonlocal finished
        finished += 1

    try:
        run_optimize(
            study,
            objective,
            n_trials=None,
            timeout=timeout,
            n_workers=1,
            catch=catch,
            callbacks=[count],
            show_progress_bar=False,
            max_number=max_number,
        )
    finally:
        if isinstance(storage, str):
            study.storage.close()
    return finished


@dataclass(frozen=True)
class RemoteWorker:
    """A picklable worker loop: called in any process, it opens the study by name from the
    storage URL (password included: never log this object's fields) and runs trials.

    ``max_number`` caps trial numbers, so workers together start the call's ``n_trials``;
    ``deadline`` is a ``time.time()`` after which no new trial starts.
    """

    study_name: str
    storage_url: str = field(repr=False)
    objective: Callable[[Trial], Any]
    sampler: Sampler | None
    scheduler: Scheduler | None
    max_number: int | None
    deadline: float | None
    catch: tuple[type[Exception], ...]

    def __call__(self) -> None:
        timeout = None if self.deadline is None else self.deadline - time.time()
        if timeout is not None and timeout <= 0:
            return
        run_worker(
            self.study_name,
            self.storage_url,
            self.objective,
            sampler=self.sampler,
            scheduler=self.scheduler,
            max_number=self.max_number,
            timeout=timeout,
            catch=self.catch,
        )
