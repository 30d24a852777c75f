"""The exceptions rheostat raises, in one tree.

::

    RheostatError                   base of everything below
    ├── StudyNotFoundError          fix input: the study name or the storage URL is wrong
    ├── DuplicatedStudyError        fix input: pass load_if_exists=True or another name
    ├── StorageConflictError        retry: another writer took an append's claim first
    ├── GridExhaustedError          abandon: every grid point has been taken
    ├── HoldoutError                fix the workflow: the held-out test set is misused
    │   ├── HoldoutLockedError      call study.finish_tuning() before scoring the holdout
    │   ├── HoldoutMismatchError    the data differs from the holdout the study registered
    │   └── TuningFinishedError     no new trials once study.finish_tuning() was called
    └── TrialPruned                 control flow raised by an objective, not an error

Invalid arguments raise the built-in ``ValueError`` or ``TypeError`` with a message that names the
parameter, the value and the fix.
"""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "GridExhaustedError",
    "HoldoutError",
    "HoldoutLockedError",
    "HoldoutMismatchError",
    "RheostatError",
    "StorageConflictError",
    "StudyNotFoundError",
    "TrialPruned",
    "TuningFinishedError",
]


class RheostatError(Exception):
    """Base class of the errors rheostat raises."""


class StudyNotFoundError(RheostatError, KeyError):
    """No study of that name exists in the storage. Fix the name or the storage URL."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicatedStudyError(RheostatError):
    """A study of that name already exists. Pass ``load_if_exists=True`` or choose another name."""


class StorageConflictError(RheostatError):
    """An append was refused: another writer took one of its claims first (or a key it must
    not find taken). Nothing was written. Re-read and decide again."""


class GridExhaustedError(RheostatError):
    """Every point of the grid has been taken by a trial; there is nothing left to run."""


class HoldoutError(RheostatError):
    """The held-out test set of a study (``study.register_holdout``) is being misused."""


class HoldoutLockedError(HoldoutError):
    """The holdout was scored before tuning was declared finished. Call
    ``study.finish_tuning()`` once the final configuration is chosen, then score it."""


class HoldoutMismatchError(HoldoutError):
    """Data given as the holdout differs (by fingerprint) from the one the study registered.
    A study has one held-out test set; pass the same data, or use a new study."""


class TrialPruned(RheostatError):  # noqa: N818 - the name users of Optuna know
    """Raise this from an objective to stop the trial early; it is recorded as ``PRUNED``.

    Raising it when ``trial.should_prune()`` is true is the usual pattern::

        trial.report(loss, step=epoch)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    """


class TuningFinishedError(HoldoutError):
    """A new trial was asked for after ``study.finish_tuning()``: tuning after the held-out test
    set may have been scored would select on it. Run ``validate_top`` before finishing, or tune
    in a new study."""
