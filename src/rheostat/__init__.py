"""rheostat: hyperparameter optimization that persists, scales, and explains itself.

>>> import rheostat
>>> def objective(trial):
...     x = trial.suggest_float("x", -10, 10)
...     return (x - 2) ** 2
>>> study = rheostat.create_study(seed=0)
>>> study.optimize(objective, n_trials=100)
>>> abs(study.best_params["x"] - 2) < 1
True
"""

from rheostat import presets as presets  # rheostat.presets.adamw() after `import rheostat`
from rheostat.analysis import Plan, plan
from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.exceptions import (
    DuplicatedStudyError,
    GridExhaustedError,
    HoldoutError,
    HoldoutLockedError,
    HoldoutMismatchError,
    RheostatError,
    StorageConflictError,
    StudyNotFoundError,
    TrialPruned,
    TuningFinishedError,
)
from rheostat.space import Space
from rheostat.study import Study, Trial, create_study, delete_study, load_study
from rheostat.trial import Direction, TrialRecord, TrialState

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "Direction",
    "Distribution",
    "DuplicatedStudyError",
    "Float",
    "GridExhaustedError",
    "HoldoutError",
    "HoldoutLockedError",
    "HoldoutMismatchError",
    "Int",
    "Plan",
    "RheostatError",
    "Space",
    "StorageConflictError",
    "Study",
    "StudyNotFoundError",
    "Trial",
    "TrialPruned",
    "TrialRecord",
    "TrialState",
    "TuningFinishedError",
    "create_study",
    "delete_study",
    "load_study",
    "plan",
]
