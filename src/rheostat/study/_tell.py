"""The end of a trial's run: ``tell`` (complete, prune or fail it) and pausing it.

Each appends the trial's last events with its state change, claiming that change
(``_claims.change_key``), so a trial another writer changed first (failed as lost, say) keeps
that outcome, and a trial resumed meanwhile is finished from its new state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rheostat.exceptions import StorageConflictError
from rheostat.storage import Event, StateChanged
from rheostat.study._claims import MAX_CLAIMS, change_key
from rheostat.study._trial import Trial
from rheostat.study._values import outcome, parse_final_state
from rheostat.trial import TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = ["pause_trial", "tell_trial"]

logger = logging.getLogger("rheostat")


def pause_trial(study: Study, trial: Trial) -> TrialRecord:
    """Record ``trial`` as ``PAUSED`` (the study loop does this on a ``PAUSE`` decision)."""
    with study._lock:
        current = study._state.trial(trial.number)
        _let_go(study, trial)
        if current.state is not TrialState.RUNNING:
            return current  # failed elsewhere meanwhile
        events = [
            *trial._take_pending(),
            StateChanged(trial.number, TrialState.PAUSED, time.time()),
        ]
        try:
            study._write(events, [change_key(study._state, trial.number)])
        except StorageConflictError:
            study._sync()  # changed elsewhere meanwhile (failed as lost): keep that
        return study._state.trial(trial.number)


def tell_trial(
    study: Study,
    trial: Trial | int,
    value: float | None,
    values: Sequence[float] | None,
    state: TrialState | str | None,
    message: str | None,
) -> TrialRecord:
    """``study.tell(trial, value, values=..., state=..., message=...)``."""
    number = _trial_number(study, trial)
    live = trial if isinstance(trial, Trial) else study._live.get(number)
    if value is not None and values is not None:
        raise ValueError(
            f"tell: got value={value!r} and values={values!r}; give value (one objective) "
            "or values (one per objective), not both"
        )
    new_state = parse_final_state(state)
    raw: Any = values if values is not None else value
    name = study.study_name
    with study._lock:
        if number >= study._state.n_trials:
            study._sync()
        if number >= study._state.n_trials:
            raise ValueError(
                f"tell: study {name!r} has no trial {number} (it has "
                f"{study._state.n_trials}); pass a trial that ask() returned"
            )
        current = study._state.trial(number)
        vals, msg, final = outcome(current, raw, new_state, message, len(study._directions))
        if final is TrialState.FAILED and msg is not None and message is None:
            logger.warning("trial %d of study %r failed: %s", number, name, msg)
        if current.state.is_finished():
            if current.state is final and current.values == vals:
                return current
            raise ValueError(
                f"tell: trial {number} is already {current.state} with values "
                f"{current.values}; a finished trial never changes"
            )
        if current.state is TrialState.WAITING:
            raise ValueError(
                f"tell: trial {number} is WAITING; ask() for it before telling its result"
            )
        pending = live._take_pending() if live is not None else []
        if live is not None:
            _let_go(study, live)
        record = _finish(study, number, pending, raw, new_state, message)
    if record.state is TrialState.PRUNED and study._artifacts is not None:
        study._artifacts.stopped(name, number)  # the checkpoint policy
    return record


def _let_go(study: Study, trial: Trial) -> None:
    """Mark the live ``trial`` finished: its suggestions are written and its heartbeats stop."""
    trial._finished = True
    study._live.pop(trial.number, None)


def _finish(
    study: Study,
    number: int,
    pending: list[Event],
    raw: Any,
    new_state: TrialState,
    message: str | None,
) -> TrialRecord:
    """Append trial ``number``'s final state change (claiming it); if another writer
    changed the trial first, read: a trial that it finished keeps that outcome (failed as
    lost, say); one it resumed is finished from its new state. Under ``study._lock``."""
    for _ in range(MAX_CLAIMS):
        current = study._state.trial(number)
        vals, msg, final = outcome(current, raw, new_state, message, len(study._directions))
        event = StateChanged(number, final, time.time(), vals, msg)
        try:
            study._write([*pending, event], [change_key(study._state, number)])
            return study._state.trial(number)
        except StorageConflictError:
            study._sync()
            if study._state.state_of(number).is_finished():
                return study._state.trial(number)
    raise StorageConflictError(f"could not finish trial {number} of study {study.study_name!r}")


def _trial_number(study: Study, trial: Trial | int) -> int:
    """The number of ``trial`` (a live trial of ``study``, or a number); else the error."""
    if isinstance(trial, Trial):
        if trial._study.study_name != study.study_name:
            raise ValueError(
                f"tell: trial {trial.number} belongs to study {trial._study.study_name!r}, "
                f"not {study.study_name!r}"
            )
        return trial.number
    if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
        raise TypeError(f"tell: expected a Trial or a trial number, got {trial!r}")
    return trial
