"""Other libraries' optimizers, run on a ``_problems.Problem`` for ``benchmarks/samplers.py``.

Each runner is ``runner(problem, seed, n_trials, objective)``: it minimizes ``objective`` (a
function of a ``dict`` of parameter values) for exactly ``n_trials`` evaluations with the
library's own loop and its default settings, translating ``problem.space``:

- ``optuna-tpe``: ``TPESampler(seed=...)``, Optuna's default (multivariate since Optuna 5.0);
  ``optuna-itpe``: ``TPESampler(multivariate=False)``, the independent TPE (Optuna's default
  before 5.0); ``optuna-mtpe``: ``TPESampler(multivariate=True, group=True)``;
  ``optuna-gp``: ``GPSampler(seed=...)`` (needs torch). Define-by-run, in memory.
- ``hyperopt``: ``fmin(algo=tpe.suggest)`` over ``hp.uniform``/``loguniform``/``quniform``/
  ``uniformint``/``qloguniform``/``choice``.
- ``skopt``: ``gp_minimize`` with its defaults (10 random initial points, ``gp_hedge``) over
  ``Real``/``Integer``/``Categorical``; a stepped float is an ``Integer`` index into its grid.
- ``ngopt``: Nevergrad's ``NGOpt`` (budget ``n_trials``, one worker) over
  ``ng.p.Instrumentation`` of ``Scalar``/``Log`` (``set_integer_casting()`` for integers) and
  ``Choice``; a stepped float is an integer index into its grid.

All libraries are imported lazily; ``missing(name)`` says why a runner cannot run here.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable
from typing import Any

from _problems import Config, Param, Problem, Value

Objective = Callable[[Config], float]
Runner = Callable[[Problem, int, int, Objective], None]

__all__ = ["PEERS", "REQUIRES", "missing", "snap"]


def snap(p: Param, value: Any) -> Value:
    """``value`` as a plain Python value of ``p``'s kind (nearest grid point for a step)."""
    if p.kind == "cat":
        for choice in p.choices:
            if choice == value:
                return choice
        raise ValueError(f"{value!r} is not one of {p.choices!r}")
    if p.kind == "int":
        return min(max(round(float(value)), int(p.low)), int(p.high))
    v = min(max(float(value), p.low), p.high)
    if p.step is not None:
        grid = p.grid()
        return min(grid, key=lambda g: abs(float(g) - v))
    return v


# -- Optuna ------------------------------------------------------------------------------------


def suggest_all(trial: Any, problem: Problem) -> dict[str, Value]:
    """Define-by-run suggestions; the same calls work for rheostat's and Optuna's trials."""
    out: dict[str, Value] = {}
    for name, p in problem.space.items():
        if p.kind == "float":
            out[name] = trial.suggest_float(name, p.low, p.high, log=p.log, step=p.step)
        elif p.kind == "int":
            out[name] = trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
        else:
            out[name] = trial.suggest_categorical(name, list(p.choices))
    return {name: snap(problem.space[name], v) for name, v in out.items()}


def _optuna(make: Callable[[Any, int], Any]) -> Runner:
    def run(problem: Problem, seed: int, n_trials: int, objective: Objective) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study = optuna.create_study(direction="minimize", sampler=make(optuna, seed))
            study.optimize(lambda t: objective(suggest_all(t, problem)), n_trials=n_trials)

    return run


# -- Hyperopt ----------------------------------------------------------------------------------


def _hyperopt(problem: Problem, seed: int, n_trials: int, objective: Objective) -> None:
    import numpy as np
    from hyperopt import Trials, fmin, hp, tpe

    space: dict[str, Any] = {}
    for name, p in problem.space.items():
        if p.kind == "cat":
            space[name] = hp.choice(name, list(p.choices))
        elif p.kind == "int" and p.log:
            space[name] = hp.qloguniform(name, math.log(p.low), math.log(p.high), 1)
        elif p.kind == "int":
            space[name] = hp.uniformint(name, int(p.low), int(p.high))
        elif p.step is not None:
            space[name] = hp.quniform(name, p.low, p.high, p.step)
        elif p.log:
            space[name] = hp.loguniform(name, math.log(p.low), math.log(p.high))
        else:
            space[name] = hp.uniform(name, p.low, p.high)

    def fn(config: dict[str, Any]) -> float:
        return objective({name: snap(problem.space[name], v) for name, v in config.items()})

    fmin(
        fn,
        space,
        algo=tpe.suggest,
        max_evals=n_trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


# -- scikit-optimize ---------------------------------------------------------------------------


def _skopt(problem: Problem, seed: int, n_trials: int, objective: Objective) -> None:
    from skopt import gp_minimize
    from skopt.space import Categorical, Integer, Real

    dims: list[Any] = []
    for name, p in problem.space.items():
        prior = "log-uniform" if p.log else "uniform"
        if p.kind == "cat":
            dims.append(Categorical(list(p.choices), name=name))
        elif p.kind == "int":
            dims.append(Integer(int(p.low), int(p.high), prior=prior, name=name))
        elif p.step is not None:
            dims.append(Integer(0, len(p.grid()) - 1, name=name))
        else:
            dims.append(Real(p.low, p.high, prior=prior, name=name))

    def fn(x: list[Any]) -> float:
        config: dict[str, Value] = {}
        for (name, p), v in zip(problem.space.items(), x, strict=True):
            config[name] = p.grid()[int(v)] if p.step is not None else snap(p, v)
        return objective(config)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "objective has been evaluated at point ..." etc.
        gp_minimize(fn, dims, n_calls=n_trials, random_state=seed)


# -- Nevergrad ---------------------------------------------------------------------------------


def _ngopt(problem: Problem, seed: int, n_trials: int, objective: Objective) -> None:
    import nevergrad as ng
    import numpy as np

    params: dict[str, Any] = {}
    for name, p in problem.space.items():
        if p.kind == "cat":
            params[name] = ng.p.Choice(list(p.choices))
        elif p.step is not None:
            params[name] = ng.p.Scalar(lower=0, upper=len(p.grid()) - 1).set_integer_casting()
        else:
            scalar = (ng.p.Log if p.log else ng.p.Scalar)(lower=p.low, upper=p.high)
            params[name] = scalar.set_integer_casting() if p.kind == "int" else scalar
    parametrization = ng.p.Instrumentation(**params)
    parametrization.random_state = np.random.RandomState(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nevergrad's InefficientSettingsWarning and the like
        optimizer = ng.optimizers.NGOpt(
            parametrization=parametrization, budget=n_trials, num_workers=1
        )
        for _ in range(n_trials):
            candidate = optimizer.ask()
            _, kwargs = candidate.value
            config = {
                name: p.grid()[int(kwargs[name])] if p.step is not None else snap(p, kwargs[name])
                for name, p in problem.space.items()
            }
            optimizer.tell(candidate, objective(config))


PEERS: dict[str, Runner] = {
    "optuna-tpe": _optuna(lambda o, s: o.samplers.TPESampler(seed=s)),
    "optuna-itpe": _optuna(lambda o, s: o.samplers.TPESampler(multivariate=False, seed=s)),
    "optuna-mtpe": _optuna(
        lambda o, s: o.samplers.TPESampler(multivariate=True, group=True, seed=s)
    ),
    "optuna-gp": _optuna(lambda o, s: o.samplers.GPSampler(seed=s)),
    "hyperopt": _hyperopt,
    "skopt": _skopt,
    "ngopt": _ngopt,
}

# Modules each peer needs (the first is the distribution whose version is reported).
REQUIRES: dict[str, tuple[str, ...]] = {
    "optuna-tpe": ("optuna",),
    "optuna-itpe": ("optuna",),
    "optuna-mtpe": ("optuna",),
    "optuna-gp": ("optuna", "torch"),
    "hyperopt": ("hyperopt",),
    "skopt": ("skopt",),
    "ngopt": ("nevergrad",),
}


def missing(name: str) -> str | None:
    """Why peer ``name`` cannot run here (a failed import), or ``None``."""
    for module in REQUIRES[name]:
        try:
            importlib.import_module(module)
        except Exception as exc:  # ImportError, or a broken install (e.g. numpy ABI)
            return f"{module}: {type(exc).__name__}: {exc}; pip install -e '.[bench]'"
    return None
