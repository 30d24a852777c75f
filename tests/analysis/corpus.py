"""A corpus of real in-memory studies: each planted fault is built by running an objective
designed to produce it; the healthy studies are ordinary, well-set-up searches.

``PLANTED`` maps a name to ``(code, build)``; ``HEALTHY`` maps a name to ``build``.
``build(seed)`` runs the study with that study seed and returns ``(study, trial_budget)``, where
``trial_budget`` is what the user meant to run (or None).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import rheostat
from rheostat.samplers import GridSampler, RandomSampler, Sampler
from rheostat.schedulers import MedianPruner, ThresholdPruner

Build = Callable[..., tuple[rheostat.Study, int | None]]
_RANDOM = RandomSampler()  # a marker: "the corpus's default", replaced by a fresh one
_use_random = [True]


def use_random_search(flag: bool) -> None:
    """Build the corpus's studies with random search (the default) or, with ``False``, with
    the library's default sampler (``benchmarks/doctor.py --sampler default``)."""
    _use_random[0] = flag


def _study(seed: int, sampler: Sampler | None = _RANDOM, **kw: object) -> rheostat.Study:
    # Random search by default: the corpus's rates are measured on studies that sample the
    # whole space (model-based samplers crowd bounds of unused parameters, so their
    # edge-of-range is INFO). ``sampler=None``: the library's default.
    if sampler is _RANDOM:
        sampler = RandomSampler() if _use_random[0] else None
    return rheostat.create_study(seed=seed, sampler=sampler, **kw)  # type: ignore[arg-type]


def _noise(trial: rheostat.Trial, scale: float) -> float:
    return random.Random(trial.seed).gauss(0.0, scale)


# -- planted faults -----------------------------------------------------------------------------


def edge_linear(seed: int) -> tuple[rheostat.Study, int | None]:
    """The optimum x = 3 lies outside the range [0, 2]."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", 0.0, 2.0)
        y = t.suggest_float("y", -1.0, 1.0)
        return (x - 3.0) ** 2 + y**2

    study.optimize(objective, n_trials=40)
    return study, None


def edge_log(seed: int) -> tuple[rheostat.Study, int | None]:
    """A learning rate whose optimum (0.3) is above the log range [1e-5, 1e-2]."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-2, log=True)
        wd = t.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        return (math.log10(lr) - math.log10(0.3)) ** 2 + 0.1 * (math.log10(wd) + 4) ** 2

    study.optimize(objective, n_trials=40)
    return study, None


def linear_lr(seed: int) -> tuple[rheostat.Study, int | None]:
    """A learning rate from 1e-5 to 1e-1 on a linear scale."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1)
        return (math.log10(lr) + 3.0) ** 2

    study.optimize(objective, n_trials=40)
    return study, None


def huge_grid(seed: int) -> tuple[rheostat.Study, int | None]:
    """A 5-parameter grid of 5 values each (3125 points) on a budget of 40 trials."""
    values = [0.0, 0.25, 0.5, 0.75, 1.0]
    study = _study(seed, sampler=GridSampler({f"p{i}": values for i in range(5)}))

    def objective(t: rheostat.Trial) -> float:
        return sum((t.suggest_float(f"p{i}", 0.0, 1.0) - 0.5) ** 2 for i in range(5))

    study.optimize(objective, n_trials=40)
    return study, 40


def prune_everything(seed: int) -> tuple[rheostat.Study, int | None]:
    """A threshold pruner below every value the objective reports."""
    study = _study(seed, scheduler=ThresholdPruner(upper=0.1))

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        loss = 1.0
        for step in range(10):
            loss = 0.5 + x + 1.0 / (step + 1)
            t.report(loss, step)
            if t.should_prune():
                raise rheostat.TrialPruned()
        return loss

    study.optimize(objective, n_trials=30)
    return study, None


def ignores_params(seed: int) -> tuple[rheostat.Study, int | None]:
    """An objective that never uses its parameters (a bug: the model gets the defaults)."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        t.suggest_float("lr", 1e-4, 1e-1, log=True)
        t.suggest_int("depth", 2, 8)
        return 0.8125 + 1e-7 * _noise(t, 1.0)

    study.optimize(objective, n_trials=40)
    return study, None


def nan_reports(seed: int) -> tuple[rheostat.Study, int | None]:
    """Training diverges (the loss becomes NaN) for learning rates above 0.02."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1.0, log=True)
        loss = 2.0
        for step in range(8):
            loss = math.nan if lr > 0.02 and step >= 2 else loss * (1 - lr)
            t.report(loss, step)
        return loss

    study.optimize(objective, n_trials=40)
    return study, None


def one_step(seed: int) -> tuple[rheostat.Study, int | None]:
    """A loop that breaks after its first epoch for large batch sizes (an early-exit bug)."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        batch = t.suggest_categorical("batch", [32, 64, 512])
        loss = 1.0
        for epoch in range(10):
            loss = loss * (1 - 5 * lr) + 0.01
            t.report(loss, epoch)
            if batch == 512:
                break
        return loss

    study.optimize(objective, n_trials=40)
    return study, None


def overflow_failures(seed: int) -> tuple[rheostat.Study, int | None]:
    """The objective raises 'loss is inf' for large learning rates (caught, trials FAILED)."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1.0, log=True)
        if lr > 0.05:
            raise FloatingPointError(f"loss is inf at step 3 (lr={lr:.3g})")
        return (math.log10(lr) + 2.5) ** 2

    study.optimize(objective, n_trials=40, catch=FloatingPointError)
    return study, None


def baseline_better(seed: int) -> tuple[rheostat.Study, int | None]:
    """The hand-tuned default sits in a narrow optimum the random search never finds."""
    study = _study(seed)
    study.enqueue_trial({"x": 0.37, "y": 0.61})

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        y = t.suggest_float("y", 0.0, 1.0)
        d2 = ((x - 0.37) ** 2 + (y - 0.61) ** 2) / 0.002**2
        return 1.0 - 0.9 * math.exp(-d2) - 0.05 * x

    study.optimize(objective, n_trials=30)
    return study, None


def few_trials(seed: int) -> tuple[rheostat.Study, int | None]:
    """Five trials for six parameters."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        return sum(t.suggest_float(f"p{i}", 0.0, 1.0) for i in range(6))

    study.optimize(objective, n_trials=5)
    return study, None


def constant_param(seed: int) -> tuple[rheostat.Study, int | None]:
    """A momentum 'tuned' over the range [0.9, 0.9]."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        momentum = t.suggest_float("momentum", 0.9, 0.9)
        return (math.log10(lr) + 2.5) ** 2 + momentum

    study.optimize(objective, n_trials=40)
    return study, None


def one_value_grid(seed: int) -> tuple[rheostat.Study, int | None]:
    """A grid that lists a single value for a parameter whose range is wide."""
    grid = {"x": [0.1, 0.3, 0.5, 0.7, 0.9], "dropout": [0.5], "layers": [1, 2, 3, 4]}
    study = _study(seed, sampler=GridSampler(grid))

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        dropout = t.suggest_float("dropout", 0.0, 0.9)
        layers = t.suggest_int("layers", 1, 6)
        return (x - 0.5) ** 2 + (layers - 2.5) ** 2 + dropout

    study.optimize(objective, n_trials=20)
    return study, 20


def noisy_lucky_seed(seed: int) -> tuple[rheostat.Study, int | None]:
    """A noisy objective (std 0.05); the baseline run 5 times shows the noise, and the best
    sampled configuration, run once, leads the next by less than two noise deviations."""
    study = _study(seed)
    for _ in range(5):
        study.enqueue_trial({"lr": 1e-4, "width": 32})

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        width = t.suggest_categorical("width", [32, 64, 128])
        true = 0.3 + 0.04 * (math.log10(lr) + 2.5) ** 2 + (0.005 if width == 32 else 0.0)
        return true + _noise(t, 0.05)

    study.optimize(objective, n_trials=40)
    return study, None


def plateau(seed: int) -> tuple[rheostat.Study, int | None]:
    """A floor the search hits early: every later trial is no better."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        y = t.suggest_float("y", 0.0, 1.0)
        return max((x - 0.5) ** 2 + (y - 0.5) ** 2, 0.04)

    study.optimize(objective, n_trials=60)
    return study, None


def _curve_study(seed: int, curve: Callable[[float, int], tuple[float, float]]) -> rheostat.Study:
    """40 trials of 30 epochs; ``curve(floor, epoch)`` gives (train, validation) loss, where
    ``floor`` (0.2 at best) depends on the learning rate. The train curve is a user attr."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        floor = 0.2 + 0.05 * (math.log10(lr) + 2.5) ** 2
        train, loss = [], 0.0
        for epoch in range(30):
            tr, loss = curve(floor, epoch)
            train.append(tr)
            t.report(loss, epoch)
        t.set_user_attr("train_curve", train)
        return loss

    study.optimize(objective, n_trials=40)
    return study


def overfitting_curves(seed: int) -> tuple[rheostat.Study, int | None]:
    """Every run's validation loss bottoms out near epoch 10 and climbs while training improves."""

    def curve(floor: float, e: int) -> tuple[float, float]:
        return 0.3 * floor + 2 * math.exp(-e / 4), floor + 2 * math.exp(-e / 4) + 0.01 * max(
            0, e - 10
        )

    return _curve_study(seed, curve), None


def unstable_curves(seed: int) -> tuple[rheostat.Study, int | None]:
    """Loss spikes every seventh epoch (too high a step size for some batches)."""

    def curve(floor: float, e: int) -> tuple[float, float]:
        spike = 1.0 if e % 7 == 6 else 0.0
        base = floor + 2 * math.exp(-e / 4) + spike
        return base - 0.1, base

    return _curve_study(seed, curve), None


def slow_curves(seed: int) -> tuple[rheostat.Study, int | None]:
    """A budget too small for the learning rates tried: the loss still falls at the end."""

    def curve(floor: float, e: int) -> tuple[float, float]:
        v = floor + 2 * (1 - e / 40)
        return v - 0.05, v

    return _curve_study(seed, curve), None


def underfitting_curves(seed: int) -> tuple[rheostat.Study, int | None]:
    """A model too small for the task: training loss flattens after a 10% improvement."""

    def curve(floor: float, e: int) -> tuple[float, float]:
        v = 1.0 + floor - 0.1 * (1 - math.exp(-e / 3))
        return v, v + 0.02

    return _curve_study(seed, curve), None


def unused_momentum(seed: int) -> tuple[rheostat.Study, int | None]:
    """A momentum the training code never reads, tuned along with what matters."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        depth = t.suggest_int("depth", 1, 8)
        t.suggest_float("momentum", 0.5, 0.99)
        return (math.log10(lr) + 2.5) ** 2 + 0.1 * (depth - 4) ** 2

    study.optimize(objective, n_trials=60)
    return study, None


def holdout_peeked(seed: int) -> tuple[rheostat.Study, int | None]:
    """The test set is scored twice (the API refuses tuning after finish_tuning, so a second
    look, e.g. at another model, is how the test score comes to steer a choice)."""
    study = _study(seed)
    holdout = study.register_holdout([[0.1], [0.2], [0.3]], [0, 1, 0])

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        return (math.log10(lr) + 2.5) ** 2

    study.optimize(objective, n_trials=30)
    study.finish_tuning()
    holdout.score(lambda x, y: 0.81)
    holdout.score(lambda x, y: 0.84)  # a second look: e.g. after swapping the model
    return study, None


PLANTED: dict[str, tuple[str, Build]] = {
    "edge_linear": ("edge-of-range", edge_linear),
    "edge_log": ("edge-of-range", edge_log),
    "linear_lr": ("linear-scale-wide", linear_lr),
    "huge_grid": ("grid-too-large", huge_grid),
    "prune_everything": ("over-pruned", prune_everything),
    "ignores_params": ("flat-results", ignores_params),
    "nan_reports": ("divergent-trials", nan_reports),
    "one_step": ("divergent-trials", one_step),
    "overflow_failures": ("divergent-trials", overflow_failures),
    "baseline_better": ("baseline-wins", baseline_better),
    "few_trials": ("too-few-trials", few_trials),
    "constant_param": ("never-varied", constant_param),
    "one_value_grid": ("never-varied", one_value_grid),
    "noisy_lucky_seed": ("single-seed", noisy_lucky_seed),
    "plateau": ("diminishing-returns", plateau),
    "overfitting_curves": ("overfitting", overfitting_curves),
    "unstable_curves": ("unstable-training", unstable_curves),
    "slow_curves": ("slow-convergence", slow_curves),
    "underfitting_curves": ("underfitting", underfitting_curves),
    "unused_momentum": ("unimportant-parameter", unused_momentum),
    "holdout_peeked": ("holdout-peeked", holdout_peeked),
}


# -- healthy studies ----------------------------------------------------------------------------


def quadratic_2d(seed: int) -> tuple[rheostat.Study, int | None]:
    """A 2-d bowl with its minimum well inside the ranges."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", -5.0, 5.0)
        y = t.suggest_float("y", -5.0, 5.0)
        return (x - 1.0) ** 2 + 2 * (y + 0.5) ** 2 + 3.0

    study.optimize(objective, n_trials=40)
    return study, None


def log_lr_and_optimizer(seed: int) -> tuple[rheostat.Study, int | None]:
    """A learning rate on a log scale (optimum 1e-3 inside) and a categorical optimizer."""
    study = _study(seed)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        opt = t.suggest_categorical("optimizer", ["sgd", "adam"])
        return 0.2 + 0.05 * (math.log10(lr) + 3) ** 2 + (0.03 if opt == "sgd" else 0.0)

    study.optimize(objective, n_trials=40)
    return study, None


def small_grid(seed: int) -> tuple[rheostat.Study, int | None]:
    """A 4 x 4 grid, fully evaluated, with its best point inside."""
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "gamma": [1e-3, 1e-2, 1e-1, 1.0]}
    study = _study(seed, sampler=GridSampler(grid))

    def objective(t: rheostat.Trial) -> float:
        c = t.suggest_float("C", 1e-3, 100.0, log=True)
        g = t.suggest_float("gamma", 1e-4, 10.0, log=True)
        return (math.log10(c) - 0.2) ** 2 + (math.log10(g) + 1.7) ** 2

    study.optimize(objective, n_trials=16)
    return study, 16


def pruned_learning_curves(seed: int) -> tuple[rheostat.Study, int | None]:
    """Learning curves under a median pruner that stops about half the trials."""
    study = _study(seed, scheduler=MedianPruner(n_startup_trials=5, n_warmup_steps=2))

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        width = t.suggest_int("width", 16, 256, log=True)
        final = 0.1 + 0.05 * (math.log10(lr) + 2.5) ** 2 + 0.02 * (math.log2(width) - 6) ** 2
        loss = 1.0
        for step in range(10):
            loss = final + (1.0 - final) * 0.6**step
            t.report(loss, step)
            if t.should_prune():
                raise rheostat.TrialPruned()
        return loss

    study.optimize(objective, n_trials=40)
    return study, None


def maximize_three_params(seed: int) -> tuple[rheostat.Study, int | None]:
    """An accuracy to maximize over layers, dropout and a log learning rate."""
    study = _study(seed, direction="maximize")

    def objective(t: rheostat.Trial) -> float:
        layers = t.suggest_int("layers", 1, 8)
        dropout = t.suggest_float("dropout", 0.0, 0.6)
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        return (
            0.95
            - 0.01 * (layers - 4) ** 2
            - 0.2 * (dropout - 0.25) ** 2
            - 0.02 * (math.log10(lr) + 2.5) ** 2
        )

    study.optimize(objective, n_trials=40)
    return study, None


def baseline_beaten_with_repeats(seed: int) -> tuple[rheostat.Study, int | None]:
    """A baseline run with 3 seeds (so the noise is known) that the search clearly beats."""
    study = _study(seed)
    for _ in range(3):
        study.enqueue_trial({"lr": 1e-4, "width": 32})

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        width = t.suggest_categorical("width", [32, 64, 128])
        true = 0.2 + 0.1 * (math.log10(lr) + 2.5) ** 2 + (0.05 if width == 32 else 0.0)
        return true + _noise(t, 0.002)

    study.optimize(objective, n_trials=40)
    return study, None


def two_objectives(seed: int) -> tuple[rheostat.Study, int | None]:
    """Error against latency: a real trade-off, with both objectives moving."""
    study = _study(seed, directions=["minimize", "minimize"])

    def objective(t: rheostat.Trial) -> tuple[float, float]:
        width = t.suggest_int("width", 16, 512, log=True)
        depth = t.suggest_int("depth", 1, 6)
        error = 0.3 / math.sqrt(width * depth) + 0.02
        latency = 0.001 * width * depth
        return error, latency

    study.optimize(objective, n_trials=30)
    return study, None


def nuisance_params(
    seed: int, sampler: Sampler | None = _RANDOM
) -> tuple[rheostat.Study, int | None]:
    """Two parameters that matter and two that hardly do (as in most real spaces)."""
    study = _study(seed, sampler)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        depth = t.suggest_int("depth", 1, 10)
        batch = t.suggest_categorical("batch", [32, 64, 128, 256])
        warmup = t.suggest_float("warmup", 0.0, 0.2)
        nuisance = 0.002 * math.log2(int(batch)) + 0.05 * (warmup - 0.08) ** 2
        return 0.3 + 0.05 * (math.log10(lr) + 3.2) ** 2 + 0.01 * (depth - 4) ** 2 + nuisance

    study.optimize(objective, n_trials=50)
    return study, None


def holdout_scored_once(seed: int) -> tuple[rheostat.Study, int | None]:
    """Tune, finish tuning, then score the held-out test set once: the honest workflow."""
    study = _study(seed)
    holdout = study.register_holdout([[0.1], [0.2], [0.3]], [0, 1, 0])

    def objective(t: rheostat.Trial) -> float:
        x = t.suggest_float("x", -2.0, 2.0)
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        return x**2 + (math.log10(lr) + 2.5) ** 2

    study.optimize(objective, n_trials=40)
    study.finish_tuning()
    holdout.score(lambda x, y: 0.8)
    return study, None


HEALTHY: dict[str, Build] = {
    "quadratic_2d": quadratic_2d,
    "log_lr_and_optimizer": log_lr_and_optimizer,
    "small_grid": small_grid,
    "pruned_learning_curves": pruned_learning_curves,
    "maximize_three_params": maximize_three_params,
    "baseline_beaten_with_repeats": baseline_beaten_with_repeats,
    "two_objectives": two_objectives,
    "nuisance_params": nuisance_params,
    "holdout_scored_once": holdout_scored_once,
}
