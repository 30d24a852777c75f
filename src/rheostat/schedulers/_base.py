"""The scheduler interface: continue, stop or pause a running trial; what to start next.

- ``on_report(history, trial, step, value) -> Decision`` after each ``trial.report``;
- ``next_action(history) -> Action`` before each new trial (``Start`` with a budget, by default
  unlimited; ``Resume`` or ``StartFrom`` for schedulers that pause trials; ``Stop`` to finish a
  paused trial for good, after which the study asks again).

Contract: a scheduler is a pure function of the history it is given; it never sees storage or
the study and never changes a trial itself. The study's loop is the one place that applies its
decisions. It may be called from several threads at once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from rheostat.distributions import ParamValue
from rheostat.trial import History, TrialRecord

__all__ = [
    "Action",
    "Decision",
    "FIFOScheduler",
    "Resume",
    "Scheduler",
    "Start",
    "StartFrom",
    "Stop",
]


class Decision(enum.Enum):
    """What to do with a running trial after a report.

    ``CONTINUE``: keep training. ``STOP``: stop now; the trial is recorded ``PRUNED`` with its
    last reported value (the objective sees ``trial.should_prune()`` true). ``PAUSE``: save a
    checkpoint and give the worker back; the scheduler may resume the trial later with a larger
    budget.
    """

    CONTINUE = "continue"
    STOP = "stop"
    PAUSE = "pause"


@dataclass(frozen=True)
class Start:
    """Start a new trial; the objective sees ``budget`` as ``trial.budget`` (``None``: no limit)."""

    budget: float | None = None


@dataclass(frozen=True)
class Resume:
    """Resume the ``PAUSED`` trial ``number`` with a (larger) ``budget``.

    The trial keeps its number, parameters and reports; the objective runs again, sees the new
    ``trial.budget``, and ``trial.checkpoint.load()`` gives what it saved before pausing. The
    claim takes the key of the trial's next state change (``state:N:K``), so two workers never
    resume the same trial.
    """

    number: int
    budget: float | None = None


@dataclass(frozen=True)
class StartFrom:
    """Start a new trial from trial ``parent``'s checkpoint with ``params`` (population-based
    training: exploit a better trial, explore by perturbing its parameters).

    The new trial's ``parent`` records the lineage; its ``trial.checkpoint.load()`` gives a
    copy of the parent's checkpoint as it was when the new trial started (the parent may train
    on, or be stopped and its checkpoint deleted), until it saves its own. ``params`` must lie
    inside the distributions the objective suggests.
    """

    parent: int
    params: Mapping[str, ParamValue]
    budget: float | None = None


@dataclass(frozen=True)
class Stop:
    """Stop the ``PAUSED`` trial ``number`` for good: it is recorded ``PRUNED`` with its last
    report as its value (synchronous successive halving stops the trials a full rung did not
    promote). Nothing runs; the study applies it and asks ``next_action`` again. Like a resume,
    the claim takes the key of the trial's next state change, so a paused trial is stopped or
    resumed once.
    """

    number: int


Action: TypeAlias = Start | Resume | StartFrom | Stop
"""What the scheduler wants done next."""


class Scheduler:
    """Base class of schedulers; on its own it runs every trial to completion."""

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        """The decision for ``trial`` after it reported ``value`` at ``step``.

        ``trial.intermediate_values`` already includes this report.
        """
        return Decision.CONTINUE

    def next_action(self, history: History) -> Action:
        """What to run next; by default a new trial with no budget limit."""
        return Start()

    def dump(self) -> dict[str, Any]:
        """Settings and state as JSON-representable data: ``{"type": <class name>, ...}``."""
        return {"type": type(self).__name__, **self._settings()}

    def load(self, state: Mapping[str, Any]) -> None:
        """Restore what ``dump`` returned (by this class), so any worker can rebuild the same
        scheduler. ``ValueError`` for another class's state or invalid settings."""
        if state.get("type") != type(self).__name__:
            raise ValueError(
                f"{type(self).__name__}.load: the state is of a {state.get('type')!r}, not a "
                f"{type(self).__name__!r}; load it into that class instead"
            )
        name = type(self).__name__
        settings = {k: v for k, v in state.items() if k != "type"}
        try:
            fresh = type(self)(**settings)
        except TypeError as exc:
            raise ValueError(f"{name}.load: bad settings {settings!r}: {exc}") from None
        self.__dict__.update(fresh.__dict__)

    def _settings(self) -> dict[str, Any]:
        """The constructor's keyword arguments that rebuild this scheduler (JSON values)."""
        return {}


class FIFOScheduler(Scheduler):
    """Run every trial to completion, in the order they are asked: no pruning."""

    def __repr__(self) -> str:
        return "FIFOScheduler()"
