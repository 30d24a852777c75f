"""Schedulers decide, after each report, whether a trial continues, stops or pauses.

``MedianPruner``, ``PercentilePruner`` and ``ThresholdPruner`` stop bad trials early;
``FIFOScheduler`` (the default) runs every trial to the end. ``Scheduler`` is the base class.
"""

from rheostat.schedulers._base import Action, Decision, FIFOScheduler, Scheduler, Start
from rheostat.schedulers._pruners import MedianPruner, PercentilePruner, ThresholdPruner

__all__ = [
    "Action",
    "Decision",
    "FIFOScheduler",
    "MedianPruner",
    "PercentilePruner",
    "Scheduler",
    "Start",
    "ThresholdPruner",
]
