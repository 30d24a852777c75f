"""Every scheduler passes the scheduler conformance suite."""

from __future__ import annotations

from rheostat.schedulers import (
    ASHA,
    FIFOScheduler,
    Hyperband,
    MedianPruner,
    PercentilePruner,
    Scheduler,
    SuccessiveHalving,
    ThresholdPruner,
)
from rheostat.testing import SchedulerConformance


class TestFIFOScheduler(SchedulerConformance):
    stops_bad_trials = False

    def make_scheduler(self) -> Scheduler:
        return FIFOScheduler()


class TestMedianPruner(SchedulerConformance):
    def make_scheduler(self) -> Scheduler:
        return MedianPruner(n_startup_trials=3)


class TestMedianPrunerWithWarmup(SchedulerConformance):
    warmup_steps = 3

    def make_scheduler(self) -> Scheduler:
        return MedianPruner(n_startup_trials=2, n_warmup_steps=3, interval_steps=2)


class TestPercentilePruner(SchedulerConformance):
    warmup_steps = 1

    def make_scheduler(self) -> Scheduler:
        return PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1, n_min_trials=2)


class TestThresholdPruner(SchedulerConformance):
    warmup_steps = 2

    def make_scheduler(self) -> Scheduler:
        return ThresholdPruner(upper=10.0, n_warmup_steps=2)


class TestThresholdPrunerLowerBound(SchedulerConformance):
    # Bad curves report values above 20 and good ones stay above 0: a lower bound stops nothing.
    stops_bad_trials = False

    def make_scheduler(self) -> Scheduler:
        return ThresholdPruner(lower=-100.0)


# Budget schedulers: the curves have 8 steps (0..7), all within max_resource.


class TestSuccessiveHalving(SchedulerConformance):
    def make_scheduler(self) -> Scheduler:
        return SuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)


class TestASHA(SchedulerConformance):
    def make_scheduler(self) -> Scheduler:
        return ASHA(min_resource=1, max_resource=8, reduction_factor=2)


class TestASHALateFirstRung(SchedulerConformance):
    warmup_steps = 1  # the first rung is at resource 2, judged at step 1

    def make_scheduler(self) -> Scheduler:
        return ASHA(min_resource=2, max_resource=8, reduction_factor=2)


class TestHyperband(SchedulerConformance):
    def make_scheduler(self) -> Scheduler:
        return Hyperband(min_resource=1, max_resource=8, reduction_factor=2)
