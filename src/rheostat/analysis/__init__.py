"""Analysis: pure functions over trial records. The tuning doctor, stopping rules, the planner.

- ``doctor(trials, directions)`` returns ``Finding`` s (a stable ``code``, a ``Severity``, a
  message, evidence and a fix); ``study.doctor()`` runs it on a study.
- ``NoImprovement``, ``ImprovementBelow`` and ``TrialBudget`` end ``study.optimize`` early when
  passed as callbacks, and record why.
- ``plan(space, budget_hours=..., minutes_per_trial=...)`` recommends a search before it starts.
- ``diagnose_curves(train, valid, direction)`` judges learning curves (the doctor runs it on
  the best trials, reading a ``train_curve`` user attribute).
- ``importance(trials, directions)``: fANOVA on a random forest (``rheostat[sklearn]``).
- ``top_configurations`` and ``summarize_validation``: final validation's pure half
  (``study.validate_top`` runs the trials), giving ``ValidationResult`` s.
- ``refine_space(trials, directions, top_k=..., margin=...)``: a narrowed space around the best
  configurations (explore, refine, validate; ``study.refine_space`` runs it on a study).
- ``HOLDOUT_ATTR``, ``HOLDOUT_SCORES_ATTR``, ``TUNING_FINISHED_ATTR``: the study attributes a
  held-out test set leaves (``study.register_holdout``); the doctor's ``holdout-peeked`` reads them.

This package imports only distributions, spaces and records (and the standard library).
"""

from rheostat.analysis._curves import CURVE_CODES, TRAIN_CURVE_ATTR, diagnose_curves
from rheostat.analysis._doctor import CHECKS, doctor
from rheostat.analysis._findings import Finding, Severity
from rheostat.analysis._holdout_check import (
    HOLDOUT_ATTR,
    HOLDOUT_SCORES_ATTR,
    TUNING_FINISHED_ATTR,
)
from rheostat.analysis._importance import Importance, importance
from rheostat.analysis._planner import Plan, plan
from rheostat.analysis._refine import refine_space
from rheostat.analysis._stopping import (
    STOP_REASON_ATTR,
    ImprovementBelow,
    NoImprovement,
    StoppableStudy,
    StoppingRule,
    TrialBudget,
)
from rheostat.analysis._validation import (
    VALIDATION_OF_ATTR,
    VALIDATION_SEED_ATTR,
    ValidationResult,
    is_validation,
    summarize_validation,
    top_configurations,
)

__all__ = [
    "CHECKS",
    "CURVE_CODES",
    "Finding",
    "HOLDOUT_ATTR",
    "HOLDOUT_SCORES_ATTR",
    "Importance",
    "ImprovementBelow",
    "NoImprovement",
    "Plan",
    "STOP_REASON_ATTR",
    "Severity",
    "StoppableStudy",
    "StoppingRule",
    "TRAIN_CURVE_ATTR",
    "TUNING_FINISHED_ATTR",
    "TrialBudget",
    "VALIDATION_OF_ATTR",
    "VALIDATION_SEED_ATTR",
    "ValidationResult",
    "diagnose_curves",
    "doctor",
    "importance",
    "is_validation",
    "plan",
    "refine_space",
    "summarize_validation",
    "top_configurations",
]
