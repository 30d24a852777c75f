"""Seeded TPE studies whose proposals are pinned in ``tpe_reference.json``.

``test_tpe_reference.py`` reruns them and compares; a change of the model's proposals (beyond
floating-point round-off) fails it. The fixture was recorded from the TPE of commit 52a9755,
before the cost work of issue 3; re-record it only for a deliberate change of the model:

    PYTHONPATH=src python tests/samplers/tpe_scenarios.py   # rewrites tpe_reference.json

Each scenario returns the parameters of every trial in trial order, as JSON-ready dicts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import rheostat
from rheostat.distributions import Categorical, Float, Int, ParamValue
from rheostat.samplers import RandomSampler, TPESampler
from rheostat.space import Space
from rheostat.study import Study, Trial
from rheostat.trial import TrialState

REFERENCE = Path(__file__).resolve().parent / "tpe_reference.json"

Params = dict[str, ParamValue]


def _loss(p: Params) -> float:
    """A deterministic objective of any parameters: numbers pulled towards 0.3 of their range
    (on the internal scale), categoricals preferring their first choice."""
    total = 0.0
    for name, value in sorted(p.items()):
        if isinstance(value, str):
            total += 0.0 if value.endswith("a") else 0.5
        else:
            total += (math.tanh(float(value) / 50.0) - 0.3 + 0.01 * len(name)) ** 2
    return total


def _params(study: Study) -> list[Params]:
    out = [dict(t.params) for t in study.trials]
    study.storage.close()
    return out


def _ask_tell(sampler: TPESampler, space: Space, n: int, **kwargs: object) -> list[Params]:
    study = rheostat.create_study(sampler=sampler, seed=0, **kwargs)  # type: ignore[arg-type]
    for _ in range(n):
        trial = study.ask(space)
        study.tell(trial, _loss(dict(trial.params)))
    return _params(study)


def float_space() -> list[Params]:
    space = Space({"x": Float(-5.0, 10.0), "y": Float(0.0, 15.0)})
    return _ask_tell(TPESampler(seed=1), space, 40)


def log_space() -> list[Params]:
    space = Space({"lr": Float(1e-5, 1.0, log=True), "x": Float(0.0, 1.0)})
    return _ask_tell(TPESampler(seed=2), space, 40)


def int_and_step_space() -> list[Params]:
    space = Space(
        {
            "n": Int(1, 100),
            "k": Int(0, 100, step=5),
            "s": Float(0.0, 1.0, step=0.1),
            "m": Int(1, 1000, log=True),
        }
    )
    return _ask_tell(TPESampler(seed=3), space, 40)


def categorical_space() -> list[Params]:
    space = Space(
        {"kind": Categorical(["a", "b", "c"]), "x": Float(-1.0, 1.0), "one": Categorical(["a"])}
    )
    return _ask_tell(TPESampler(seed=4), space, 40)


def univariate_mixed_space() -> list[Params]:
    space = Space({"x": Float(0.0, 1.0), "n": Int(1, 50), "c": Categorical(["a", "b", "c", "d"])})
    return _ask_tell(TPESampler(seed=5, multivariate=False, n_startup_trials=5), space, 30)


def conditional_space() -> list[Params]:
    def objective(trial: Trial) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            x = trial.suggest_float("x", -1.0, 1.0)
            n = trial.suggest_int("n", 1, 20)
            return x * x + 0.01 * n + 0.5
        y = trial.suggest_float("y", 1e-3, 1.0, log=True)
        return (math.log10(y) + 1.5) ** 2

    study = rheostat.create_study(sampler=TPESampler(seed=6), seed=0)
    study.optimize(objective, n_trials=50)
    return _params(study)


def multi_objective() -> list[Params]:
    space = Space({"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)})
    study = rheostat.create_study(
        sampler=TPESampler(seed=7), seed=0, directions=["minimize", "maximize"]
    )
    for _ in range(45):
        trial = study.ask(space)
        x, y = float(trial.params["x"]), float(trial.params["y"])  # type: ignore[arg-type]
        study.tell(trial, values=[x * x + y * y, -((x - 2) ** 2) - y * y])
    return _params(study)


def parallel_pruned_and_failed() -> list[Params]:
    """Batches of four asked together (constant liar); some trials pruned, some failed."""
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0), "n": Int(1, 9)})
    study = rheostat.create_study(sampler=TPESampler(seed=8), seed=0)
    for _ in range(12):
        batch = [study.ask(space) for _ in range(4)]
        for trial in batch:
            value = _loss(dict(trial.params))
            if trial.number % 7 == 3:
                study.tell(trial, state=TrialState.FAILED, message="boom")
            elif trial.number % 5 == 4:
                trial.report(value, trial.number % 3)
                study.tell(trial, state=TrialState.PRUNED)
            else:
                study.tell(trial, value)
    return _params(study)


def _many(space: Space, n_random: int, n_tpe: int) -> list[Params]:
    """``n_random`` random trials, then ``n_tpe`` of TPE (as the overhead benchmark runs it);
    only TPE's trials are returned."""
    study = rheostat.create_study(sampler=RandomSampler(seed=0), seed=0)
    for k in range(n_random + n_tpe):
        if k == n_random:
            study.sampler = TPESampler(seed=9)
        trial = study.ask(space)
        study.tell(trial, _loss(dict(trial.params)))
    return _params(study)[n_random:]


def many_floats() -> list[Params]:
    """A 10-D float study big enough for the large-estimator code paths."""
    return _many(Space({f"x{i}": Float(-5.0, 5.0) for i in range(10)}), 300, 12)


def many_mixed() -> list[Params]:
    space = Space(
        {
            **{f"x{i}": Float(-5.0, 5.0) for i in range(5)},
            "lr": Float(1e-4, 1.0, log=True),
            "n": Int(1, 300),
            "m": Int(1, 1000, log=True),
            "s": Float(0.0, 2.0, step=0.25),
            "c": Categorical(["a", "b", "c"]),
        }
    )
    return _many(space, 300, 12)


SCENARIOS: dict[str, Callable[[], list[Params]]] = {
    f.__name__: f
    for f in (
        float_space,
        log_space,
        int_and_step_space,
        categorical_space,
        univariate_mixed_space,
        conditional_space,
        multi_objective,
        parallel_pruned_and_failed,
        many_floats,
        many_mixed,
    )
}


def record() -> dict[str, list[Params]]:
    """Every scenario's trials' parameters."""
    return {name: run() for name, run in SCENARIOS.items()}


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps(record(), indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {REFERENCE}")
