"""Conformance suites that every storage backend, sampler and scheduler must pass.

Subclass one in a test module and provide the factory it asks for; pytest runs its tests.
``race_appends`` / ``check_race`` race several processes appending to one study.
``simulate_study`` replays learning curves on simulated workers against a simulated clock.
Needs pytest (``pip install 'rheostat[test]'``).
"""

from rheostat.testing._concurrency import check_race, race_appends
from rheostat.testing._samplers import SamplerConformance
from rheostat.testing._schedulers import SchedulerConformance
from rheostat.testing._simulator import SimulationResult, simulate_study
from rheostat.testing._storage import StorageConformance

__all__ = [
    "SamplerConformance",
    "SchedulerConformance",
    "SimulationResult",
    "StorageConformance",
    "check_race",
    "race_appends",
    "simulate_study",
]
