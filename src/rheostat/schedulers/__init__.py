"""Schedulers decide, after each report, whether a trial continues, stops or pauses.

``MedianPruner``, ``PercentilePruner`` and ``ThresholdPruner`` stop bad trials early;
``FIFOScheduler`` (the default) runs every trial to the end. ``ASHA`` stops trials at rungs of
growing budget; ``ASHA(mode="promote")`` pauses them at rungs and resumes the promoted ones
from their checkpoints; ``SuccessiveHalving`` (synchronous) pauses them until a rung is full,
then resumes its best and stops the rest; ``Hyperband`` runs brackets of it from several
starting budgets in turn. ``BOHB`` is Hyperband paired with
``rheostat.samplers.BOHBSampler``. ``PBT`` replaces the worst trials of a population with
perturbed copies of the best. ``Scheduler`` is the base class.
"""

from rheostat.schedulers._asha import ASHA
from rheostat.schedulers._base import (
    Action,
    Decision,
    FIFOScheduler,
    Resume,
    Scheduler,
    Start,
    StartFrom,
    Stop,
)
from rheostat.schedulers._bohb import BOHB
from rheostat.schedulers._hyperband import Hyperband
from rheostat.schedulers._pbt import PBT
from rheostat.schedulers._pruners import MedianPruner, PercentilePruner, ThresholdPruner
from rheostat.schedulers._successive_halving import SuccessiveHalving

__all__ = [
    "ASHA",
    "Action",
    "BOHB",
    "Decision",
    "FIFOScheduler",
    "Hyperband",
    "MedianPruner",
    "PBT",
    "PercentilePruner",
    "Resume",
    "Scheduler",
    "Start",
    "StartFrom",
    "Stop",
    "SuccessiveHalving",
    "ThresholdPruner",
]
