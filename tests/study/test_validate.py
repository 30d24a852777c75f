"""Final validation: re-runs with new seeds, stored, summarized, and kept out of best_trial."""

from __future__ import annotations

import math
import random

import pytest

import rheostat
from rheostat.analysis import VALIDATION_OF_ATTR, VALIDATION_SEED_ATTR, summarize_validation
from rheostat.trial import TrialState

ARMS = 10
NOISE = 0.15


def noisy_arms(t: rheostat.Trial) -> float:
    """Arm a has true mean 0.1 * a (arm 0 is the known optimum) plus noise from trial.seed."""
    arm = t.suggest_int("arm", 0, ARMS - 1)
    return 0.1 * arm + random.Random(t.seed).gauss(0.0, NOISE)


def test_validation_ranks_the_true_best_first_more_often_than_one_run() -> None:
    single = validated = 0
    studies = 20
    for seed in range(studies):
        study = rheostat.create_study(seed=seed)
        study.optimize(noisy_arms, n_trials=25)
        single += study.best_params["arm"] == 0
        results = study.validate_top(noisy_arms, k=5, seeds=3)
        validated += results[0].params["arm"] == 0
        assert study.best_trial.user_attrs.get(VALIDATION_OF_ATTR) is None
    # deterministic: 20 studies, seeds 0..19 (recorded in the report)
    assert validated > single, (validated, single)
    assert validated >= 0.6 * studies


def test_validation_trials_are_stored_with_new_seeds_and_a_t_interval() -> None:
    study = rheostat.create_study(seed=7)
    seeds_seen: dict[int, int] = {}

    def objective(t: rheostat.Trial) -> float:
        seeds_seen[t.number] = t.seed
        return noisy_arms(t)

    study.optimize(objective, n_trials=12)
    best_before = study.best_trial
    results = study.validate_top(objective, k=2, seeds=4)
    assert len(results) == 2
    assert [r.mean for r in results] == sorted(r.mean for r in results)
    runs = [t for t in study.trials if VALIDATION_OF_ATTR in t.user_attrs]
    assert len(runs) == 8 and all(t.state is TrialState.COMPLETE for t in runs)
    assert len({seeds_seen[t.number] for t in runs}) == 8  # every re-run has its own seed
    for r in results:
        assert r.n == 4 and r.source_trial not in r.trial_numbers
        source = next(t for t in study.trials if t.number == r.source_trial)
        for n in r.trial_numbers:
            run = next(t for t in study.trials if t.number == n)
            assert run.params == source.params
            assert run.user_attrs[VALIDATION_OF_ATTR] == r.source_trial
        assert sorted(
            next(t for t in runs if t.number == n).user_attrs[VALIDATION_SEED_ATTR]
            for n in r.trial_numbers
        ) == [0, 1, 2, 3]
        mean = sum(r.values) / 4
        sd = math.sqrt(sum((v - mean) ** 2 for v in r.values) / 3)
        half = 3.182446305284263 * sd / 2  # t(0.975, 3) * sd / sqrt(4)
        assert r.mean == pytest.approx(mean) and r.std == pytest.approx(sd)
        assert (r.ci_low, r.ci_high) == (pytest.approx(mean - half), pytest.approx(mean + half))
        assert "CI" in str(r)
    assert study.best_trial == best_before  # re-runs never become the best trial
    # the doctor counts the re-runs as repeats: the single-seed advice goes away
    assert "single-seed" not in [f.code for f in study.doctor()]
    assert "baseline-wins" not in [f.code for f in study.doctor()]
    assert summarize_validation(study.trials, "minimize") == results


def test_validate_top_errors() -> None:
    study = rheostat.create_study(seed=0)
    with pytest.raises(ValueError, match="no completed search trial"):
        study.validate_top(noisy_arms)
    study.optimize(noisy_arms, n_trials=3)
    with pytest.raises(ValueError, match="seeds must be an integer >= 2"):
        study.validate_top(noisy_arms, seeds=1)
    with pytest.raises(ValueError, match="k must be"):
        study.validate_top(noisy_arms, k=0)
    two = rheostat.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="objectives"):
        two.validate_top(noisy_arms)
