"""Analysis: pure functions over trial records. The tuning doctor, stopping rules, the planner.

- ``doctor(trials, directions)`` returns ``Finding`` s (a stable ``code``, a ``Severity``, a
  message, evidence and a fix); ``study.doctor()`` runs it on a study.
- ``NoImprovement``, ``ImprovementBelow`` and ``TrialBudget`` end ``study.optimize`` early when
  passed as callbacks, and record why.
- ``plan(space, budget_hours=..., minutes_per_trial=...)`` recommends a search before it starts.

This package imports only distributions, spaces and records (and the standard library).
"""

from rheostat.analysis._doctor import CHECKS, doctor
from rheostat.analysis._findings import Finding, Severity
from rheostat.analysis._planner import Plan, plan
from rheostat.analysis._stopping import (
    STOP_REASON_ATTR,
    ImprovementBelow,
    NoImprovement,
    StoppableStudy,
    StoppingRule,
    TrialBudget,
)

__all__ = [
    "CHECKS",
    "Finding",
    "ImprovementBelow",
    "NoImprovement",
    "Plan",
    "STOP_REASON_ATTR",
    "Severity",
    "StoppableStudy",
    "StoppingRule",
    "TrialBudget",
    "doctor",
    "plan",
]
