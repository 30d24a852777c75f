"""Learning-curve diagnosis: each kind of curve found, healthy curves left alone."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

import rheostat
from rheostat.analysis import TRAIN_CURVE_ATTR, diagnose_curves

N = 40
Pair = tuple[list[float], list[float]]


def noisy(curve: list[float], sd: float, rng: random.Random) -> list[float]:
    return [v + rng.gauss(0.0, sd) for v in curve]


def healthy(rng: random.Random) -> Pair:
    """Fast exponential convergence, a constant generalization gap, small noise."""
    tau, final, start = rng.uniform(3, 8), rng.uniform(0.1, 0.5), rng.uniform(1.5, 3.0)
    n = rng.choice([10, 20, 40, 100])
    tr = [0.7 * final + (start - 0.7 * final) * math.exp(-s * 40 / n / tau) for s in range(n)]
    va = [final + (start - final) * math.exp(-s * 40 / n / tau) for s in range(n)]
    sd = rng.uniform(0.001, 0.02)
    return noisy(tr, sd, rng), noisy(va, sd, rng)


def healthy_power_law(rng: random.Random) -> Pair:
    c = rng.uniform(0.05, 0.3)
    va = [c + 2.0 / math.sqrt(s + 1) for s in range(N)]
    return noisy([v - 0.05 for v in va], 0.005, rng), noisy(va, 0.005, rng)


def overfit(rng: random.Random) -> Pair:
    tr = [0.05 + 2 * math.exp(-s / 5) for s in range(N)]
    va = [0.4 + 2 * math.exp(-s / 5) + 0.01 * max(0, s - 12) for s in range(N)]
    return noisy(tr, 0.01, rng), noisy(va, 0.01, rng)


def underfit(rng: random.Random) -> Pair:
    tr = [0.9 + 0.1 * math.exp(-s / 3) for s in range(N)]
    return noisy(tr, 0.01, rng), noisy([v + 0.05 for v in tr], 0.01, rng)


def slow(rng: random.Random) -> Pair:
    tr = [2.0 - 0.04 * s for s in range(N)]
    return noisy(tr, 0.01, rng), noisy([v + 0.1 for v in tr], 0.01, rng)


def unstable(rng: random.Random) -> Pair:
    tr, va = healthy(rng)
    while len(tr) < 20:  # three spikes in ten points is not a curve with spikes
        tr, va = healthy(rng)
    # three separate spikes (not next to each other), after the first descent
    spots = sorted(rng.sample(range(len(tr) // 4, len(tr), 3), 3))
    for k in spots:
        tr[k] += 1.0
        va[k] += 1.0
    return tr, va


KINDS: dict[str, tuple[str | None, Callable[[random.Random], Pair]]] = {
    "healthy": (None, healthy),
    "healthy_power_law": (None, healthy_power_law),
    "overfit": ("overfitting", overfit),
    "underfit": ("underfitting", underfit),
    "slow": ("slow-convergence", slow),
    "unstable": ("unstable-training", unstable),
}


@pytest.mark.parametrize("with_train", [True, False], ids=["train+valid", "valid-only"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_found_and_nothing_else(kind: str, with_train: bool) -> None:
    code, make = KINDS[kind]
    rng = random.Random(kind)
    runs = 200
    found = {c: 0 for c in ("underfitting", "overfitting", "unstable-training", "slow-convergence")}
    for _ in range(runs):
        tr, va = make(rng)
        for f in diagnose_curves(tr if with_train else None, va):
            found[f.code] += 1
            assert f.message and f.fix and f.evidence
    hits = found.pop(code) if code else 0
    if code:
        assert hits >= 0.98 * runs, (kind, hits, found)
    # false alarms: other codes on these curves, in under 2% of the runs
    assert all(n <= 0.02 * runs for n in found.values()), (kind, found)


def test_maximized_accuracy_curves() -> None:
    good = [0.1 + 0.8 * (1 - math.exp(-s / 5)) for s in range(N)]
    assert diagnose_curves(None, good, "maximize") == []
    over = [0.9 - 0.8 * math.exp(-s / 5) - 0.004 * max(0, s - 15) for s in range(N)]
    assert [f.code for f in diagnose_curves(None, over, "maximize")] == ["overfitting"]
    # a fine-tuned model that starts strong is not underfitting (judged on the error 1 - acc)
    ft = [0.85 + 0.07 * (1 - math.exp(-s / 3)) for s in range(N)]
    assert diagnose_curves(None, ft, "maximize") == []


def test_the_raw_curve_is_judged_not_only_the_smoothed_one() -> None:
    base = [0.2 + 2 * math.exp(-s / 5) for s in range(N)]
    spiky = list(base)
    spiky[20] += 1.5  # one large spike: a running median hides it entirely
    (f,) = diagnose_curves(None, spiky)
    assert f.code == "unstable-training"
    assert f.evidence["largest_jump_step"] == 20.0
    assert diagnose_curves(None, base) == []


def test_rising_training_curve_is_not_overfitting() -> None:
    tr = [0.2 + 2 * math.exp(-s / 5) + 0.02 * max(0, s - 15) for s in range(N)]
    va = [v + 0.1 for v in tr]
    assert "overfitting" not in [f.code for f in diagnose_curves(tr, va)]


def test_inputs() -> None:
    assert diagnose_curves(None, [1.0, 0.5]) == []  # too short to judge
    assert diagnose_curves(None, [1.0, math.nan, 0.5, 0.4, 0.3, 0.2, 0.1]) == []
    curve = {str(s): 0.9 + 0.1 * math.exp(-s / 3) for s in range(N)}  # JSON keys
    assert [f.code for f in diagnose_curves(curve, None)] == ["underfitting"]
    with pytest.raises(ValueError, match="direction"):
        diagnose_curves(None, [1.0] * 10, "up")


def test_doctor_diagnoses_the_best_trials_with_their_train_curve() -> None:
    study = rheostat.create_study(seed=3)

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        floor = 0.2 + 0.05 * (math.log10(lr) + 2.5) ** 2
        train, val = [], 0.0
        for e in range(N):
            train.append(0.3 * floor + 2 * math.exp(-e / 5))
            val = floor + 2 * math.exp(-e / 5) + 0.01 * max(0, e - 12)
            t.report(val, e)
        t.set_user_attr(TRAIN_CURVE_ATTR, train)
        return val

    study.optimize(objective, n_trials=8)
    (f,) = [f for f in study.doctor() if f.code == "overfitting"]
    best = sorted(study.trials, key=lambda t: t.value or 0.0)[:3]
    assert f.evidence["trials"] == [t.number for t in best]
    assert "train_change_after_best" in f.evidence  # the train curve was read
    assert "epoch" in f.fix or "step" in f.fix
