"""Every scheduler's settings survive ``dump()`` -> JSON -> ``load()`` into another instance."""

from __future__ import annotations

import json

import pytest

from rheostat.schedulers import (
    ASHA,
    BOHB,
    PBT,
    FIFOScheduler,
    Hyperband,
    MedianPruner,
    PercentilePruner,
    Scheduler,
    SuccessiveHalving,
    ThresholdPruner,
)

# (a scheduler with settings off their defaults, another instance of its class to load into)
PAIRS: list[tuple[Scheduler, Scheduler]] = [
    (FIFOScheduler(), FIFOScheduler()),
    (
        PercentilePruner(25.0, n_startup_trials=2, n_warmup_steps=3, interval_steps=2),
        PercentilePruner(50.0),
    ),
    (MedianPruner(n_startup_trials=1, n_min_trials=4), MedianPruner()),
    (ThresholdPruner(lower=-1.5, n_warmup_steps=2), ThresholdPruner(upper=1.0)),
    (SuccessiveHalving(min_resource=2, max_resource=54, n_configurations=20), SuccessiveHalving()),
    (ASHA(max_resource=27, reduction_factor=2, mode="promote"), ASHA()),
    (ASHA(min_resource=3, max_resource=27, n_min_trials=6), ASHA(mode="promote")),
    (Hyperband(max_resource=27, reduction_factor=2), Hyperband()),
    (BOHB(min_resource=2, max_resource=18), BOHB()),
    (
        PBT(
            perturbation_interval=4,
            max_resource=40,
            population_size=6,
            quantile_fraction=0.5,
            resample_probability=0.0,
            hyperparam_mutations=["lr"],
        ),
        PBT(perturbation_interval=1, max_resource=2),
    ),
]


@pytest.mark.parametrize(("original", "other"), PAIRS, ids=lambda s: type(s).__name__)
def test_round_trip(original: Scheduler, other: Scheduler) -> None:
    state = json.loads(json.dumps(original.dump(), allow_nan=False))
    assert state["type"] == type(original).__name__
    other.load(state)
    assert other.dump() == original.dump()
    assert repr(other) == repr(original)


def test_round_trip_keeps_derived_state() -> None:
    # ASHA builds its promotion ladder from the settings; loading rebuilds it
    target = ASHA()
    target.load(ASHA(max_resource=20, min_resource=2, mode="promote").dump())
    assert target.rungs() == [2, 6, 18, 20]
    hb = Hyperband()
    hb.load(Hyperband(max_resource=9).dump())
    assert hb.brackets() == [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"type": "Hyperband", "max_resource": 9}, "the state is of a 'Hyperband', not a 'ASHA'"),
        ({"max_resource": 9}, "the state is of a None"),
        ({"type": "ASHA", "max_resource": 0}, "max_resource must be an integer >= 1"),
        ({"type": "ASHA", "speed": "fast"}, "ASHA.load: bad settings"),
    ],
)
def test_bad_states_are_clear_errors(state: dict[str, object], message: str) -> None:
    asha = ASHA()
    with pytest.raises(ValueError, match=message):
        asha.load(state)
    assert asha.dump() == ASHA().dump()  # a failed load changes nothing
