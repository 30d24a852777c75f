"""``ask`` and ``enqueue_trial``: choose what to claim, append it, and retry a refused claim.

``ask_trial`` asks the scheduler for its next action and claims what it names (through the
``claim_*`` builders of ``_claims``): it stops the paused trials the scheduler gives up,
resumes a paused trial, starts the oldest waiting trial, starts one from a parent's checkpoint,
or creates a new one with the sampler's proposal (noting a change of the sampler's strategy).
``enqueue`` claims the number of a new WAITING trial. A claim another worker took first is
refused by the storage; then the study reads what it missed and decides again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rheostat.distributions import Distribution, ParamValue
from rheostat.exceptions import StorageConflictError
from rheostat.schedulers import Resume, Start, StartFrom, Stop
from rheostat.space import Space
from rheostat.storage import AttrSet, Event, TrialCreated, encode_event
from rheostat.study._claims import (
    MAX_CLAIMS,
    TUNING_FINISHED,
    choice_events,
    claim_new,
    claim_resume,
    claim_start_from,
    claim_stop,
    claim_waiting,
    trial_key,
)
from rheostat.study._holdout import check_tuning_open
from rheostat.study._trial import Trial
from rheostat.study._values import check_enqueued_params
from rheostat.trial import TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = ["ask_trial", "enqueue"]


def ask_trial(
    study: Study,
    space: Space | Mapping[str, Distribution] | None,
    *,
    allow_new: bool,
    max_number: int | None = None,
) -> Trial | None:
    """``study.ask(space)``; with ``allow_new=False`` only a resume, else ``None`` (nothing
    appended).

    ``max_number``: create no trial numbered ``max_number`` or more (``None`` then); the
    append that creates trial ``N`` claims ``trial:N``, so workers never overshoot.
    ``StorageConflictError`` after ``MAX_CLAIMS`` refused claims.
    """
    if space is not None and not isinstance(space, Space):
        space = Space(space)
    study._maybe_fail_stale()
    for attempt in range(MAX_CLAIMS):
        with study._lock:
            try:
                return _ask_once(study, space, allow_new, max_number)
            except StorageConflictError:
                study._sync()
        # Another worker took the claim: back off for a random while (outside the lock), so
        # a crowd of workers spreads out instead of colliding in lockstep. (Reading after the
        # pause instead of before it was measured slower: 150-210 against 245-260 trials/s
        # with 8 workers on PostgreSQL; a loser that retries on its older view tends to
        # lose again and back off longer, leaving the others to run uncontended.)
        time.sleep(random.uniform(0.0, min(0.05, 0.001 * 2**attempt)))
    raise StorageConflictError(
        f"could not claim a trial of study {study.study_name!r} after {MAX_CLAIMS} attempts"
    )


def _ask_once(
    study: Study, space: Space | None, allow_new: bool, max_number: int | None = None
) -> Trial | None:
    """One attempt of ``ask_trial``, under the study's lock; ``StorageConflictError`` when
    the append is refused."""
    now = time.time()
    state = study._state
    # Checked again by the append (unless=TUNING_FINISHED): a finish_tuning appended
    # meanwhile by another process makes it refuse, and the retry sees it here.
    check_tuning_open(study, state.system_attrs)
    history = state.history()
    notes: list[Event] = []
    action = study.scheduler.next_action(history)
    while isinstance(action, Stop):  # a paused trial the scheduler gives up: then ask again
        stop, key = claim_stop(study, action, now)
        study._write([stop], [key])
        if study._artifacts is not None:
            study._artifacts.stopped(study.study_name, action.number)  # the checkpoint policy
        history = state.history()
        action = study.scheduler.next_action(history)
    if isinstance(action, Resume):
        trial, head, key = claim_resume(study, action, now)
    elif not allow_new:
        return None
    elif state.waiting:  # the scheduler's Start budget is the enqueued trial's
        budget = action.budget if isinstance(action, Start) else None
        trial, head, key = claim_waiting(study, now, budget)
    elif max_number is not None and state.n_trials >= max_number:
        return None
    elif isinstance(action, StartFrom):
        trial, head, key = claim_start_from(study, action, now)
    else:
        trial, head, key = claim_new(study, history, space, action, now)
        notes = choice_events(study, history, space)
    for name, dist in (space or {}).items():
        trial._suggest(name, dist)  # a Space holds distributions only
    study._write([head, *trial._take_pending(), *notes], [key], unless=[TUNING_FINISHED])
    if isinstance(action, StartFrom) and study._artifacts is not None:
        trial.checkpoint._fork()  # the parent's checkpoint as it is now, whatever it does next
    study._live[trial.number] = trial
    study._heartbeater.poke()
    return trial


def enqueue(
    study: Study, params: Mapping[str, ParamValue], user_attrs: Mapping[str, Any] | None
) -> int:
    """``study.enqueue_trial(params, user_attrs=...)``: append a WAITING trial with ``params``
    fixed, claiming the next trial number (read again and retried when it is taken)."""
    fixed = check_enqueued_params(params, study._state.distributions)
    attrs = dict(user_attrs or {})
    with study._lock:
        for _ in range(MAX_CLAIMS):
            number = study._state.n_trials
            events: list[Event] = [
                TrialCreated(number, TrialState.WAITING, time.time(), fixed_params=fixed)
            ]
            events += [AttrSet(number, k, v) for k, v in attrs.items()]
            for e in events:
                encode_event(e)
            try:
                study._write(events, [trial_key(number)])
                return number
            except StorageConflictError:
                study._sync()
    raise StorageConflictError(f"could not enqueue a trial in study {study.study_name!r}")
