"""The worker loop behind ``study.optimize``: ask, run the objective, tell; run by an executor."""

from __future__ import annotations

import logging
import math
import numbers
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rheostat.exceptions import GridExhaustedError, TrialPruned
from rheostat.execution import Executor, ThreadExecutor
from rheostat.schedulers import Decision
from rheostat.storage import AttrSet
from rheostat.study._holdout import check_tuning_open
from rheostat.study._progress import ProgressBar
from rheostat.study._recovery import (
    fail_dead_local_workers,
    fail_own_running,
    fail_stale_trials,
)
from rheostat.study._trial import Trial
from rheostat.trial import TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = ["run_optimize"]

logger = logging.getLogger("rheostat")


def _check_catch(catch: object) -> tuple[type[Exception], ...]:
    if isinstance(catch, type):
        items: tuple[object, ...] = (catch,)
    elif isinstance(catch, Iterable) and not isinstance(catch, (str, bytes)):
        items = tuple(catch)
    else:
        raise TypeError(
            f"optimize: catch must be an exception class or a tuple of them, got {catch!r}"
        )
    for c in items:
        if not (isinstance(c, type) and issubclass(c, Exception)):
            raise TypeError(
                f"optimize: catch must hold exception classes such as ValueError, got {c!r}"
            )
    return items  # type: ignore[return-value]


def _check_args(objective: object, n_trials: object, timeout: object, n_workers: object) -> int:
    if not callable(objective):
        raise TypeError(f"optimize: objective must be a function taking a trial, got {objective!r}")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"optimize: n_trials must be an integer >= 0 or None, got {n_trials!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not float(timeout) > 0
    ):
        raise ValueError(f"optimize: timeout must be a number of seconds > 0, got {timeout!r}")
    if (
        isinstance(n_workers, bool)
        or not isinstance(n_workers, int)
        or (n_workers < 1 and n_workers != -1)
    ):
        raise ValueError(
            f"optimize: n_workers must be an integer >= 1 (or -1 for one per CPU), got "
            f"{n_workers!r}"
        )
    return os.cpu_count() or 1 if n_workers == -1 else n_workers


class _Runner:
    def __init__(
        self,
        study: Study,
        objective: Callable[[Trial], Any],
        n_trials: int | None,
        timeout: float | None,
        catch: tuple[type[Exception], ...],
        callbacks: list[Callable[[Study, TrialRecord], None]],
        progress: ProgressBar | None,
        max_number: int | None = None,
    ) -> None:
        self.study = study
        self.max_number = max_number  # create no trial numbered this or more (shared cap)
        self.objective = objective
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + float(timeout)
        self.catch = catch
        self.callbacks = callbacks
        self.progress = progress
        self.lock = threading.Lock()
        self.started = 0
        self.done = 0
        self.best: float | None = None
        self.halt = False
        self.error: BaseException | None = None

    def halted(self) -> bool:
        """Whether this call must start nothing more (error, stop, timeout)."""
        return (
            self.halt
            or self.error is not None
            or self.study._stop_requested
            or (self.deadline is not None and time.monotonic() >= self.deadline)
        )

    def reserve_new(self) -> bool:
        """Reserve one of the ``n_trials`` new trials; resumed trials need no reservation."""
        with self.lock:
            if self.n_trials is not None and self.started >= self.n_trials:
                return False
            self.started += 1
            return True

    def loop(self) -> None:
        try:
            while not self.halted():
                reserved = self.reserve_new()
                try:
                    trial = self.study._ask(None, allow_new=reserved, max_number=self.max_number)
                except GridExhaustedError:
                    logger.info("the grid is exhausted; stopping")
                    self.halt = True
                    return
                if trial is None:
                    return  # no new trial left to start and nothing to resume
                if reserved and trial._resumed:
                    with self.lock:
                        self.started -= 1
                record = self.run_trial(trial)
                self.after(record)
        except BaseException as exc:
            with self.lock:
                if self.error is None:
                    self.error = exc
            raise

    def run_trial(self, trial: Trial) -> TrialRecord:
        try:
            result = self.objective(trial)
        except TrialPruned:
            if trial._decision is Decision.PAUSE:
                return self.study._pause(trial)
            return self.finish(trial, None, TrialState.PRUNED, None)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                message = "interrupted by KeyboardInterrupt (Ctrl-C) while it ran"
            else:
                message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            record = self.finish(trial, None, TrialState.FAILED, message)
            if isinstance(exc, self.catch):
                logger.warning("trial %d failed: %s: %s", trial.number, type(exc).__name__, exc)
                return record
            raise
        if trial._decision is Decision.PAUSE:
            return self.study._pause(trial)  # paused at its last report: resumed later
        return self.finish(trial, result, TrialState.COMPLETE, None)

    def finish(
        self, trial: Trial, result: Any, state: TrialState, message: str | None
    ) -> TrialRecord:
        study = self.study
        with study._lock:
            current = study._state.trial(trial.number)
            if current.state.is_finished():  # failed elsewhere (Ctrl-C in another thread)
                trial._finished = True
                return current
            return study.tell(trial, result, state=state, message=message)

    def after(self, record: TrialRecord) -> None:
        with self.lock:
            self.done += 1
            if (
                record.state is TrialState.COMPLETE
                and record.values is not None
                and len(record.values) == 1
                and math.isfinite(record.values[0])
                and (self.best is None or self.study.direction.better(record.values[0], self.best))
            ):
                self.best = record.values[0]
            if self.progress is not None:
                self.progress.update(self.done, self.best)
        for callback in self.callbacks:
            callback(self.study, record)


def _record_plan(study: Study, n_trials: int | None) -> None:
    """Keep the study's planned size (trials so far plus this call's new ones) in its system
    attribute ``planned_trials`` when it grows; ``AutoSampler`` chooses by it."""
    if not n_trials:
        return
    attrs = study.system_attrs  # synced with storage
    with study._lock:
        state = study._state
        planned = state.n_trials - len(state.waiting) + n_trials
        known = attrs.get("planned_trials")
        if isinstance(known, int) and known >= planned:
            return
        study._write([AttrSet(None, "planned_trials", planned, system=True)])


def run_optimize(
    study: Study,
    objective: Callable[[Trial], Any],
    *,
    n_trials: int | None,
    timeout: float | None,
    n_workers: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[Callable[[Study, TrialRecord], None]],
    show_progress_bar: bool,
    executor: Executor | None = None,
    max_number: int | None = None,
) -> None:
    """Run the worker loop ``n_workers`` times at once on ``executor``; see ``Study.optimize``.

    ``max_number`` caps the trial numbers this call creates (``rheostat worker --n-trials``).
    """
    workers = _check_args(objective, n_trials, timeout, n_workers)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(
            f"optimize: executor must be a rheostat.execution.Executor such as "
            f"ProcessExecutor() or RayExecutor(), got {executor!r}"
        )
    catch_types = _check_catch(catch)
    check_tuning_open(study)
    _record_plan(study, n_trials)
    callback_list = list(callbacks)
    for cb in callback_list:
        if not callable(cb):
            raise TypeError(f"optimize: each callback must be callable, got {cb!r}")
    if executor is not None and executor.remote:
        if callback_list or show_progress_bar:
            raise ValueError(
                f"optimize: callbacks and show_progress_bar run in this process, but {executor!r} "
                "runs the trials elsewhere; drop them (read study.trials afterwards) or use "
                "ThreadExecutor"
            )
        run_remote(study, objective, n_trials, timeout, workers, catch_types, executor)
        return
    study._stop_requested = False
    asked_before = set(study._live_running())  # e.g. by hand: not this call's to fail
    fail_dead_local_workers(study)
    fail_stale_trials(study)
    progress = ProgressBar(n_trials, timeout) if show_progress_bar else None
    runner = _Runner(
        study, objective, n_trials, timeout, catch_types, callback_list, progress, max_number
    )
    try:
        try:
            (executor or ThreadExecutor()).run(runner.loop, workers)
        except Exception as exc:
            if runner.error is not None and runner.error is not exc:
                raise runner.error from None  # the first error, as the threads saw it
            raise
    except KeyboardInterrupt:
        runner.halt = True
        fail_own_running(
            study, "interrupted by KeyboardInterrupt (Ctrl-C) while it ran", asked_before
        )
        raise
    finally:
        if progress is not None:
            progress.update(runner.done, runner.best, final=True)


def run_remote(
    study: Study,
    objective: Callable[[Trial], Any],
    n_trials: int | None,
    timeout: float | None,
    workers: int,
    catch: tuple[type[Exception], ...],
    executor: Executor,
) -> None:
    """Run ``workers`` copies of the worker loop outside this process; they share ``n_trials``
    through storage: no worker creates a trial numbered past this call's share."""
    from rheostat.study._worker import RemoteWorker

    url = study.storage.worker_url()
    if url is None:
        raise ValueError(
            f"optimize: study {study.study_name!r} lives in memory ({study.storage.url}), which "
            f"the workers of {executor!r} cannot reach; create it in a file or server "
            "database: create_study(..., storage='sqlite:///study.db') or a postgresql:// URL"
        )
    study._sync()
    with study._lock:
        start, waiting = study._state.n_trials, len(study._state.waiting)
    worker = RemoteWorker(
        study_name=study.study_name,
        storage_url=url,
        objective=objective,
        sampler=study.sampler if study._sampler_given else None,
        scheduler=study.scheduler,
        max_number=None if n_trials is None else start + max(0, n_trials - waiting),
        deadline=None if timeout is None else time.time() + float(timeout),
        catch=catch,
    )
    try:
        executor.run(worker, workers)
    finally:
        fail_dead_local_workers(study)  # a killed local worker process leaves no trial RUNNING
        study._sync()
