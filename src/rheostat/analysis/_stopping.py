"""Stopping rules: callbacks that end ``study.optimize`` early and record why.

Pass them to ``optimize(..., callbacks=[...])``. After each finished trial a rule reads the
study's trials; when it fires it calls ``study.stop()`` (running trials finish, no new one
starts), keeps its reason in ``rule.reason`` and ``rule.stopped_after`` (the trial number that
triggered it), and passes ``{"rule", "reason", "trial"}`` to ``study.stop(reason)``, which
keeps it in the study's system attribute ``"stop_reason"`` for ``rheostat`` commands and
reports.

Rules see the study only through ``StoppableStudy`` (``directions``, ``get_trials``, ``stop``);
they never import the study package. A rule may be called from several
worker threads at once; it fires once.

>>> import rheostat
>>> study = rheostat.create_study(seed=0)
>>> rule = NoImprovement(patience=5)
>>> study.optimize(lambda t: 1.0, n_trials=50, callbacks=[rule])  # never improves
>>> len(study.trials), rule.stopped_after
(6, 5)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from rheostat.trial import Direction, TrialRecord, TrialState

__all__ = [
    "STOP_REASON_ATTR",
    "ImprovementBelow",
    "NoImprovement",
    "StoppableStudy",
    "StoppingRule",
    "TrialBudget",
]

STOP_REASON_ATTR = "stop_reason"


class StoppableStudy(Protocol):
    """What a stopping rule needs of a study (``rheostat.Study`` has it)."""

    @property
    def directions(self) -> Sequence[Direction]: ...

    def get_trials(self, states: Iterable[TrialState] | None = None) -> Sequence[TrialRecord]: ...

    def stop(self, reason: Any = None) -> None: ...


def _check_positive_int(owner: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be an integer >= 1, got {value!r}")
    return value


def _check_nonnegative(owner: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{owner}: {name} must be a number >= 0, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return float(value)


def _direction(owner: str, study: StoppableStudy) -> Direction:
    dirs = tuple(study.directions)
    if len(dirs) != 1:
        raise ValueError(
            f"{owner} needs a single-objective study; this one has {len(dirs)} objectives "
            "(use TrialBudget, or stop on one objective in your own callback)"
        )
    return dirs[0]


def _best_so_far(direction: Direction, trials: Sequence[TrialRecord]) -> list[tuple[int, float]]:
    """(trial number, best value so far) after each complete trial with a finite value."""
    out: list[tuple[int, float]] = []
    for t in trials:
        if t.state is not TrialState.COMPLETE or not t.values or not math.isfinite(t.values[0]):
            continue
        v = t.values[0]
        best = v if not out or direction.better(v, out[-1][1]) else out[-1][1]
        out.append((t.number, best))
    return out


class StoppingRule:
    """Base class: subclasses implement ``check(study, record) -> reason or None``."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.stopped_after: int | None = None
        self._lock = threading.Lock()

    def check(self, study: StoppableStudy, record: TrialRecord) -> str | None:
        """The reason to stop now, or ``None`` to go on."""
        raise NotImplementedError

    def __call__(self, study: StoppableStudy, record: TrialRecord) -> None:
        with self._lock:
            if self.reason is not None:
                study.stop()
                return
            reason = self.check(study, record)
            if reason is None:
                return
            self.reason, self.stopped_after = reason, record.number
        study.stop({"rule": type(self).__name__, "reason": reason, "trial": record.number})


class NoImprovement(StoppingRule):
    """Stop when ``patience`` finished trials in a row (complete, pruned or failed) did not
    improve the best value by more than ``min_delta``.

    The count starts after the trial that last improved the best by more than ``min_delta``
    (after the start when no trial has completed).
    """

    def __init__(self, patience: int, *, min_delta: float = 0.0) -> None:
        super().__init__()
        self.patience = _check_positive_int("NoImprovement", "patience", patience)
        self.min_delta = _check_nonnegative("NoImprovement", "min_delta", min_delta)

    def __repr__(self) -> str:
        return f"NoImprovement(patience={self.patience}, min_delta={self.min_delta})"

    def check(self, study: StoppableStudy, record: TrialRecord) -> str | None:
        direction = _direction("NoImprovement", study)
        trials = study.get_trials()
        ref: float | None = None
        last = -1
        for t in trials:
            if t.state is not TrialState.COMPLETE or not t.values or not math.isfinite(t.values[0]):
                continue
            v = t.values[0]
            margin = v + self.min_delta if direction is Direction.MINIMIZE else v - self.min_delta
            if ref is None or direction.better(margin, ref):
                ref, last = v, t.number
        since = sum(1 for t in trials if t.state.is_finished() and t.number > last)
        if since < self.patience:
            return None
        where = "since the start" if ref is None else f"since trial {last} reached {ref:.6g}"
        return f"no improvement in {since} finished trials {where} (patience {self.patience})"


class ImprovementBelow(StoppingRule):
    """Stop when the best value improved by less than ``threshold`` per trial, on average, over
    the last ``window`` completed trials (in objective units: ``threshold=0.001, window=20``
    stops once 20 trials together gained less than 0.02).

    Needs ``window + 1`` completed trials before it can fire.
    """

    def __init__(self, threshold: float, window: int) -> None:
        super().__init__()
        self.threshold = _check_nonnegative("ImprovementBelow", "threshold", threshold)
        self.window = _check_positive_int("ImprovementBelow", "window", window)

    def __repr__(self) -> str:
        return f"ImprovementBelow(threshold={self.threshold}, window={self.window})"

    def check(self, study: StoppableStudy, record: TrialRecord) -> str | None:
        direction = _direction("ImprovementBelow", study)
        curve = _best_so_far(direction, study.get_trials((TrialState.COMPLETE,)))
        if len(curve) <= self.window:
            return None
        gained = abs(curve[-1][1] - curve[-1 - self.window][1])
        per_trial = gained / self.window
        if per_trial >= self.threshold:
            return None
        return (
            f"the best value improved by {gained:.6g} over the last {self.window} completed "
            f"trials ({per_trial:.6g} per trial, below the threshold {self.threshold:.6g})"
        )


class TrialBudget(StoppingRule):
    """Stop when the study holds ``max_trials`` finished trials, or its finished trials took
    ``max_seconds`` in total (summed durations: with several workers, worker-seconds).

    Both count the whole study, including earlier ``optimize`` calls and resumed runs.
    """

    def __init__(self, max_trials: int | None = None, max_seconds: float | None = None) -> None:
        super().__init__()
        if max_trials is None and max_seconds is None:
            raise ValueError(
                "TrialBudget: give max_trials, max_seconds or both, e.g. "
                "TrialBudget(max_trials=100)"
            )
        self.max_trials = (
            None
            if max_trials is None
            else _check_positive_int("TrialBudget", "max_trials", max_trials)
        )
        self.max_seconds = (
            None
            if max_seconds is None
            else _check_nonnegative("TrialBudget", "max_seconds", max_seconds)
        )

    def __repr__(self) -> str:
        return f"TrialBudget(max_trials={self.max_trials}, max_seconds={self.max_seconds})"

    def check(self, study: StoppableStudy, record: TrialRecord) -> str | None:
        finished = [t for t in study.get_trials() if t.state.is_finished()]
        if self.max_trials is not None and len(finished) >= self.max_trials:
            return f"{len(finished)} finished trials reached the budget of {self.max_trials}"
        if self.max_seconds is not None:
            spent = sum(t.duration or 0.0 for t in finished)
            if spent >= self.max_seconds:
                return (
                    f"finished trials took {spent:.1f} s in total, reaching the budget of "
                    f"{self.max_seconds:g} s"
                )
        return None
