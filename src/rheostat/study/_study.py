"""The study: a named sequence of trials in a storage, with ask, tell and optimize.

``Study`` holds the write side's state (sampler, scheduler, live trials, heartbeats) and its
public methods; the work is done by ``_ask`` (ask and enqueue: what to claim, and the retry),
``_tell`` (finishing and pausing trials), ``_optimize``, ``_holdout`` and ``_validate``.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from rheostat.artifacts import ArtifactStore
from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers import Sampler
from rheostat.schedulers import Decision, Scheduler
from rheostat.space import Space
from rheostat.storage import AttrSet, Event, Reported, Storage, encode_event
from rheostat.study._ask import ask_trial, enqueue
from rheostat.study._recovery import HOST, Heartbeater, fail_stale_trials
from rheostat.study._tell import pause_trial, tell_trial
from rheostat.study._trial import Trial
from rheostat.study._view import StudyView
from rheostat.trial import Direction, History, TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.analysis import ValidationResult
    from rheostat.execution import Executor
    from rheostat.study._holdout import Holdout

__all__ = ["Study"]

ObjectiveFunc = Callable[[Trial], Any]
_D = TypeVar("_D", bound=Distribution)
Callback = Callable[["Study", TrialRecord], None]


class Study(StudyView):
    """A named sequence of trials kept in a storage. Create one with ``rheostat.create_study``.

    Thread-safe: several threads may ``ask``, ``tell`` and read at once. Several processes (or
    machines, on a server database) may work on one study through the same storage URL.
    Reading (``trials``, ``best_trial``, …) is inherited from ``StudyView``; this class adds the
    write path: ask, tell, enqueue, optimize.
    """

    def __init__(
        self,
        *,
        study_name: str,
        storage: Storage,
        directions: Sequence[Direction],
        sampler: Sampler,
        scheduler: Scheduler,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        max_retries: int = 0,
        artifacts: ArtifactStore | None = None,
    ) -> None:
        self._artifacts = artifacts
        self._sampler_given = True
        self.sampler = sampler
        self.scheduler = scheduler
        self._worker_id = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._heartbeat_interval = heartbeat_interval
        self._grace_period = grace_period
        self._max_retries = max_retries
        self._heartbeater = Heartbeater(self, heartbeat_interval)
        self._last_stale_check = 0.0
        self._stop_requested = False
        self._distribution_cache: dict[tuple[object, ...], Distribution] = {}
        # live trials this object asked for, so tell(number) also writes their suggestions
        self._live: weakref.WeakValueDictionary[int, Trial] = weakref.WeakValueDictionary()
        super().__init__(study_name=study_name, storage=storage, directions=directions)

    @property
    def artifacts(self) -> ArtifactStore:
        """Where trials' checkpoints are kept (beside a SQLite file; else a temporary folder)."""
        if self._artifacts is None:
            self._artifacts = ArtifactStore(tempfile.mkdtemp(prefix="rheostat-artifacts-"))
        return self._artifacts

    def _sampler_info(self) -> dict[str, Any] | None:
        stored = super()._sampler_info()
        if stored is not None and not self._sampler_given:
            return stored  # loaded without a sampler: describe the one the study was run with
        return self.sampler.dump()

    # -- log access ------------------------------------------------------------------------------

    def _write(
        self, events: Sequence[Event], claims: Sequence[str] = (), *, unless: Sequence[str] = ()
    ) -> None:
        """Append ``events`` taking ``claims`` (see ``_claims``); ``StorageConflictError`` if one
        of them, or of ``unless``, is taken: then the caller reads (``_sync``) and decides again.
        """
        with self._lock:
            seq = self._storage.append(self._name, events, claims, unless=unless)
            if seq - len(events) == self._state.seq:
                self._state.apply(events)
            else:
                self._sync()

    def _live_running(self) -> list[int]:
        """Numbers of the trials this object started and is still running (for heartbeats)."""
        return sorted(n for n, t in list(self._live.items()) if not t._finished)

    def _maybe_fail_stale(self) -> None:
        """Look for lost trials at most twice per heartbeat interval."""
        if self._grace_period is None:
            return
        now = time.monotonic()
        every = (self._heartbeat_interval or self._grace_period) / 2
        if now - self._last_stale_check >= every:
            self._last_stale_check = now
            fail_stale_trials(self)

    def _history(self) -> History:
        with self._lock:
            return self._state.history()

    # -- ask and tell ----------------------------------------------------------------------------

    def ask(self, space: Space | Mapping[str, Distribution] | None = None) -> Trial:
        """Start a trial and return it.

        An enqueued trial (``enqueue_trial``) runs before any new one, with the budget the
        scheduler gives a new trial (``Start``); a scheduler may instead resume a paused trial
        (``Resume``) first. While a trial is enqueued a scheduler's ``StartFrom`` (PBT's exploit)
        waits, and the enqueued trial runs with no budget (PBT: one segment).

        With ``space``, every parameter of the space is sampled now and is in
        ``trial.params``; without it, parameters are sampled as the objective suggests them.
        ``GridExhaustedError`` when a grid has no point left; ``TuningFinishedError`` after
        ``finish_tuning()``.
        """
        trial = self._ask(space, allow_new=True)
        assert trial is not None  # allow_new=True always gives a trial
        return trial

    def _ask(
        self,
        space: Space | Mapping[str, Distribution] | None,
        *,
        allow_new: bool,
        max_number: int | None = None,
    ) -> Trial | None:
        """``ask``; with ``allow_new=False`` only a resume, else ``None`` (see ``_ask``)."""
        return ask_trial(self, space, allow_new=allow_new, max_number=max_number)

    def _pause(self, trial: Trial) -> TrialRecord:
        """Record ``trial`` as ``PAUSED`` (the study loop does this on a ``PAUSE`` decision)."""
        return pause_trial(self, trial)

    def tell(
        self,
        trial: Trial | int,
        value: float | None = None,
        *,
        values: Sequence[float] | None = None,
        state: TrialState | str | None = None,
        message: str | None = None,
    ) -> TrialRecord:
        """Finish a trial: ``COMPLETE`` with ``value`` (or ``values``, one per objective),
        ``PRUNED`` (keeping its last reported value) or ``FAILED`` (with ``message``).

        An invalid value (None, NaN, infinite, not a number, the wrong count) fails the trial and
        stores the reason. Telling a finished trial the same outcome again changes nothing.
        """
        return tell_trial(self, trial, value, values, state, message)

    # -- called by the live trial ----------------------------------------------------------------

    def _cached_distribution(self, key: tuple[object, ...] | None, make: Callable[[], _D]) -> _D:
        """The distribution for ``key``, built (and validated) once: suggestions repeat."""
        if key is None:
            return make()
        dist = self._distribution_cache.get(key)
        if dist is None:
            dist = make()
            if len(self._distribution_cache) >= 4096:
                self._distribution_cache.clear()
            self._distribution_cache[key] = dist
        return dist  # type: ignore[return-value]

    def _check_distribution(self, name: str, dist: Distribution) -> None:
        known = self._state.distributions.get(name)
        if known is not None and known is not dist and known != dist:
            raise ValueError(
                f"parameter {name!r} is suggested as {dist!r}, but earlier trials of study "
                f"{self._name!r} used {known!r}; a name keeps one distribution within a study: "
                "use the same distribution, a new parameter name, or a new study"
            )

    def _sample_one(self, record: TrialRecord, name: str, dist: Distribution) -> ParamValue:
        return self.sampler.sample_one(self._history(), record, name, dist)

    def _report(self, trial: Trial, step: int, value: float) -> Decision:
        with self._lock:
            self._write([*trial._take_pending(), Reported(trial.number, step, value)])
            record = self._state.trial(trial.number)
            if record.state.is_finished():
                return Decision.STOP  # finished elsewhere (e.g. failed as stale): stop work
            return self.scheduler.on_report(self._state.history(), record, step, value)

    # -- enqueue ---------------------------------------------------------------------------------

    def enqueue_trial(
        self, params: Mapping[str, ParamValue], *, user_attrs: Mapping[str, Any] | None = None
    ) -> int:
        """Queue a configuration (e.g. the baseline) to run before any sampled one.

        Parameters the objective suggests take these values; any others are sampled. Returns the
        trial's number.
        """
        return enqueue(self, params, user_attrs)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-representable value to the study."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"study user attribute key {key!r} must be a non-empty str")
        event = AttrSet(None, key, value)
        try:
            encode_event(event)
        except TypeError:
            raise TypeError(
                f"study user attribute {key!r} = {value!r} of type {type(value).__name__} "
                "cannot be stored as JSON; store plain numbers, strings, lists and dicts "
                "(e.g. str(value))"
            ) from None
        self._write([event])

    def optimize(
        self,
        objective: ObjectiveFunc,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_workers: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callback] = (),
        show_progress_bar: bool = False,
        executor: Executor | None = None,
    ) -> None:
        """Run ``objective(trial)`` for ``n_trials`` trials or ``timeout`` seconds, whichever
        ends first (with neither, until ``study.stop()``, a grid is exhausted, or Ctrl-C).

        A trial whose objective raises is recorded ``FAILED`` with the message and traceback; the
        exception is then re-raised unless its type is in ``catch``. A ``None``, NaN, infinite or
        non-numeric return fails the trial with the reason and the study goes on. ``n_workers``
        threads run trials at once. Each callback is called as ``callback(study, record)`` after
        every trial. On Ctrl-C no trial of this call is left ``RUNNING``.

        ``executor`` says where the workers run: threads of this process by default
        (``rheostat.execution.ThreadExecutor``), local processes (``ProcessExecutor``) or a Ray
        cluster (``RayExecutor``). Workers outside this process open the study from storage (a
        file or server database), take new trials until the call's ``n_trials`` are started
        among them, and must be able to pickle the objective; callbacks, the progress bar and
        ``stop()`` need an in-process executor.
        """
        from rheostat.study._optimize import run_optimize

        run_optimize(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_workers=n_workers,
            catch=catch,
            callbacks=callbacks,
            show_progress_bar=show_progress_bar,
            executor=executor,
        )

    def stop(self, reason: Any = None) -> None:
        """Ask a running ``optimize`` to start no new trial; running ones finish.

        ``reason`` (JSON-representable, e.g. what a stopping rule saw) is kept in the study's
        system attribute ``"stop_reason"``, so later readers and the CLI can show why.
        """
        self._stop_requested = True
        if reason is not None:
            self._write([AttrSet(None, "stop_reason", reason, system=True)])

    def register_holdout(self, X: Any, y: Any = None) -> Holdout:  # noqa: N803
        """Register the held-out test set ``(X, y)``: a fingerprint (SHA-256) of the data is
        stored with the study, never the data. The returned ``Holdout``'s ``score(fn)`` raises
        ``HoldoutLockedError`` until ``finish_tuning()``; every scoring is recorded and the
        doctor reports ``holdout-peeked`` for a second one, or for trials run after one.
        Registering the same data again (e.g. in another process) returns a new handle; other
        data raises ``HoldoutMismatchError``."""
        from rheostat.study._holdout import register_holdout

        return register_holdout(self, X, y)

    def finish_tuning(self) -> None:
        """Declare tuning finished (recorded in storage, so every process sees it): from now
        on the held-out test set may be scored. Calling it again changes nothing."""
        from rheostat.study._holdout import finish_tuning

        finish_tuning(self)

    def validate_top(
        self,
        objective: ObjectiveFunc,
        k: int = 5,
        seeds: int = 3,
        *,
        n_workers: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        confidence: float = 0.95,
    ) -> list[ValidationResult]:
        """Re-run the ``k`` best distinct configurations with ``seeds`` new seeds each and
        return, best mean first, each one's mean, std and ``confidence`` interval (t
        distribution) over the re-runs only (the search run, picked for being lucky, is out).

        The re-runs are trials of this study, enqueued with the configuration fixed and the user
        attributes ``validation_of`` (the search trial's number) and ``validation_seed``
        (0, 1, …); they run through ``optimize`` (any other waiting trials run first) and are
        stored. Their ``trial.seed`` differs (it follows the trial number), so the objective
        must draw its randomness from ``trial.seed``. ``best_trial`` and
        ``top_configurations`` ignore them; the doctor counts them as repeats of their
        configuration. Runs from earlier calls for the same configurations are included.
        """
        from rheostat.study._validate import validate_top

        return validate_top(
            self, objective, k, seeds, n_workers=n_workers, catch=catch, confidence=confidence
        )
