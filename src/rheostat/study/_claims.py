"""What ``ask`` claims: the next waiting trial, a new one, a resumed one, or one started from a
parent's checkpoint. Each function builds the live trial, the event that claims it and the
claim keys the study appends it with (``Storage.append(..., claims=...)``), so a claim happens
once however many workers race, and only writers that want the same thing refuse each other.
``_ask`` chooses which to claim and appends it; a refused claim is read and decided again, at
most ``MAX_CLAIMS`` times.

The keys (each taken at most once per study, by the database):

- ``trial:N`` -- creating trial number ``N`` (``ask`` of a new trial, ``enqueue_trial``, a
  retry). Numbers stay unique and contiguous: a writer claims the number after the last trial
  it has read. A grid point, a PBT replacement and the ``n_trials`` cap are decided from the
  trials created before ``N``, which the claimant has all read, so they are taken once too.
- ``state:N:K`` -- the ``K``-th state change of trial ``N`` (``StudyState.changes_of``): starting
  a waiting trial, resuming or stopping a paused one, pausing, telling or failing a running one.
  Two workers can never resume (promote) the same pause, a lost trial is failed and retried
  once, and a trial failed as lost is not also completed.
- ``tuning-finished`` -- taken by ``finish_tuning``; every claim of a trial by ``ask`` is made
  ``unless`` it is taken, so an ``ask`` on a stale view is refused, reads, and raises
  ``TuningFinishedError``.
- ``holdout`` and ``holdout-score:I`` -- registering the held-out set, and its ``I``-th scoring.

Heartbeats, reports, parameters and attributes claim nothing and never refuse anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rheostat.schedulers import Resume, Start, StartFrom, Stop
from rheostat.space import Space
from rheostat.storage import AttrSet, Event, StateChanged, StudyState, TrialCreated
from rheostat.study._trial import Trial
from rheostat.study._values import outcome
from rheostat.trial import History, TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = [
    "MAX_CLAIMS",
    "TUNING_FINISHED",
    "change_key",
    "choice_events",
    "claim_new",
    "claim_resume",
    "claim_start_from",
    "claim_stop",
    "claim_waiting",
    "trial_key",
]

TUNING_FINISHED = "tuning-finished"
MAX_CLAIMS = 1000  # attempts at one claim before giving up with StorageConflictError


def trial_key(number: int) -> str:
    """The claim of trial number ``number``'s creation."""
    return f"trial:{number}"


def change_key(state: StudyState, number: int) -> str:
    """The claim of trial ``number``'s next state change, as ``state`` has read it."""
    return f"state:{number}:{state.changes_of(number) + 1}"


def claim_waiting(
    study: Study, now: float, budget: float | None = None
) -> tuple[Trial, Event, str]:
    """The oldest WAITING trial (an enqueued configuration or a retry), with its own budget (a
    retry keeps the failed trial's) or else ``budget`` (what the scheduler gives a new trial)."""
    state = study._state
    number = next(iter(state.waiting))
    record = state.trial(number)
    fixed = dict(record.system_attrs.get("fixed_params") or {})
    proposal = dict(record.system_attrs.get("proposal") or {})  # kept by a retry
    budget = record.budget if record.budget is not None else budget
    head = StateChanged(number, TrialState.RUNNING, now, worker_id=study._worker_id, budget=budget)
    trial = Trial(
        study,
        number,
        fixed_params=fixed,
        proposal=proposal,
        budget=budget,
        seed=study.seed,
    )
    return trial, head, change_key(state, number)


def claim_new(
    study: Study, history: History, space: Space | None, action: Start, now: float
) -> tuple[Trial, Event, str]:
    """A new trial with the sampler's joint proposal."""
    proposal = study.sampler.propose(history, space)
    number = study._state.n_trials
    head = TrialCreated(
        number,
        TrialState.RUNNING,
        now,
        worker_id=study._worker_id,
        proposal=proposal or None,
        budget=action.budget,
    )
    trial = Trial(study, number, proposal=proposal, budget=action.budget, seed=study.seed)
    return trial, head, trial_key(number)


def choice_events(study: Study, history: History, space: Space | None) -> list[Event]:
    """The event that records a change of the sampler's strategy (``describe_choice``) in the
    study's system attribute ``sampler_choice``, with every phase so far; none if unchanged."""
    note = study.sampler.describe_choice(history, space)
    if note is None:
        return []
    stored = history.attrs.get("sampler_choice")
    if isinstance(stored, dict) and stored.get("sampler") == note.get("sampler"):
        return []
    phases = list(stored.get("phases", [])) if isinstance(stored, dict) else []
    current = {**note, "from_trial": len(history)}
    value = {**current, "phases": [*phases, current][-20:]}
    return [AttrSet(None, "sampler_choice", value, system=True)]


def claim_start_from(study: Study, action: StartFrom, now: float) -> tuple[Trial, Event, str]:
    """A new trial that starts from trial ``action.parent``'s checkpoint with new params."""
    state = study._state
    if not 0 <= action.parent < state.n_trials:
        raise ValueError(
            f"scheduler {study.scheduler!r} asked to start from trial {action.parent}, which "
            f"does not exist in study {study.study_name!r}"
        )
    number = state.n_trials
    params = dict(action.params)
    head = TrialCreated(
        number,
        TrialState.RUNNING,
        now,
        worker_id=study._worker_id,
        fixed_params=params,
        budget=action.budget,
        parent=action.parent,
    )
    trial = Trial(
        study,
        number,
        fixed_params=params,
        budget=action.budget,
        seed=study.seed,
        checkpoint_source=action.parent,
    )
    return trial, head, trial_key(number)


def _paused(study: Study, number: int, verb: str) -> TrialRecord:
    """The PAUSED trial ``number`` the scheduler asked to ``verb``; ``ValueError`` naming the
    scheduler when there is no such trial or it is not paused."""
    state = study._state
    if not 0 <= number < state.n_trials:
        raise ValueError(
            f"scheduler {study.scheduler!r} asked to {verb} trial {number}, which does not "
            f"exist in study {study.study_name!r}"
        )
    record = state.trial(number)
    if record.state is not TrialState.PAUSED:
        raise ValueError(
            f"scheduler {study.scheduler!r} asked to {verb} trial {number}, which is "
            f"{record.state}, not PAUSED"
        )
    return record


def claim_resume(study: Study, action: Resume, now: float) -> tuple[Trial, Event, str]:
    """The PAUSED trial ``action.number``, run again with its (larger) budget."""
    state = study._state
    record = _paused(study, action.number, "resume")
    budget = action.budget if action.budget is not None else record.budget
    head = StateChanged(
        action.number, TrialState.RUNNING, now, worker_id=study._worker_id, budget=budget
    )
    trial = Trial(
        study,
        action.number,
        params=record.params,
        distributions=record.distributions,
        intermediate_values=record.intermediate_values,
        budget=budget,
        seed=study.seed,
        checkpoint_source=action.number,
    )
    return trial, head, change_key(state, action.number)


def claim_stop(study: Study, action: Stop, now: float) -> tuple[Event, str]:
    """The event that stops the PAUSED trial ``action.number`` for good (``PRUNED``, its last
    report as its value), and its claim: the same key a resumption of this pause takes."""
    state = study._state
    record = _paused(study, action.number, "stop")
    values, _message, _state = outcome(record, None, TrialState.PRUNED, None, len(state.directions))
    event = StateChanged(action.number, TrialState.PRUNED, now, values)
    return event, change_key(state, action.number)
