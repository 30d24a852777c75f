"""PBT against the best fixed-parameter random search at equal compute, on a schedule-sensitive
toy: training whose best learning rate falls tenfold over the run.

The toy (in the spirit of the PBT paper's toy example, where what is best changes as training
goes): a run of ``HORIZON`` steps scores ``sum_s gain(h_s, s)``, where ``h_s`` is the learning
rate used at step ``s`` and ``gain(h, s) = exp(-(ln h - ln h*(s))^2 / 0.5)`` is 1 at the best
rate ``h*(s) = 0.3 * 10^(-s / (HORIZON - 1))`` and falls off on a log scale. Any fixed ``h``
scores at most what ``max_h sum_s gain(h, s)`` gives (found on a fine grid: the oracle); a
schedule that follows ``h*`` scores ``HORIZON``. The state carried across a pause is the score
and the step, saved with ``trial.checkpoint``: a child started from a parent continues the
parent's run exactly, so nothing about exploitation is approximated.

PBT runs in a real in-memory study (one worker, so each seed is reproducible) until its first
population of ``POPULATION`` members has finished; its compute is the steps that population's
trials ran. Random search gets ``compute // HORIZON`` full runs with ``h`` drawn log-uniformly
from the same range (seeded), and keeps its best.
"""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import rheostat
from rheostat.samplers import RandomSampler
from rheostat.schedulers import PBT
from rheostat.trial import History, TrialState

HORIZON = 30
LOW, HIGH = 0.01, 1.0
POPULATION = 8
INTERVAL = 3


def best_h(step: int) -> float:
    return 0.3 * 10 ** (-step / (HORIZON - 1))


def gain(h: float, step: int) -> float:
    return math.exp(-((math.log(h) - math.log(best_h(step))) ** 2) / 0.5)


def fixed_score(h: float) -> float:
    return sum(gain(h, s) for s in range(HORIZON))


def oracle_fixed() -> tuple[float, float]:
    """``(h, score)`` of the best fixed learning rate, on a grid of 2,001 log-spaced values."""
    grid = [LOW * (HIGH / LOW) ** (i / 2000) for i in range(2001)]
    h = max(grid, key=fixed_score)
    return h, fixed_score(h)


def objective(trial: rheostat.Trial) -> float:
    h = trial.suggest_float("h", LOW, HIGH, log=True)
    state = trial.checkpoint.load() or {"step": 0, "score": 0.0}
    budget = HORIZON if trial.budget is None else int(trial.budget)
    for step in range(state["step"], budget):
        state = {"step": step + 1, "score": state["score"] + gain(h, step)}
        trial.checkpoint.save(state)
        trial.report(state["score"], step)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    return float(state["score"])


def run_pbt(seed: int) -> dict[str, Any]:
    """PBT's first population: its best final score, its compute and its trial count."""
    pbt = PBT(perturbation_interval=INTERVAL, max_resource=HORIZON, population_size=POPULATION)
    study = rheostat.create_study(
        direction="maximize", scheduler=pbt, sampler=RandomSampler(), seed=seed
    )
    while True:  # one trial at a time until the first population is done
        study.optimize(objective, n_trials=1)
        trials = study.trials
        populations = pbt.populations(History(study.study_name, study.directions, trials))
        if max(populations) >= 1 or len(trials) > 40 * POPULATION:
            break
    first = [t for t in trials if populations[t.number] == 0]
    study.storage.close()
    finished = [t.values[0] for t in first if t.state is TrialState.COMPLETE and t.values]
    return {
        "best": max(finished, default=math.nan),
        "compute": sum(len(t.intermediate_values) for t in first),
        "trials": len(first),
        "exploits": sum(1 for t in first if t.parent is not None),
    }


def run_random(seed: int, n_runs: int) -> float:
    rng = random.Random(f"random-search:{seed}")
    draws = [LOW * (HIGH / LOW) ** rng.random() for _ in range(max(n_runs, 1))]
    return max(fixed_score(h) for h in draws)


def pbt_against_random(seeds: range) -> dict[str, Any]:
    rows = []
    for seed in seeds:
        pbt = run_pbt(seed)
        n_runs = pbt["compute"] // HORIZON
        rows.append({**pbt, "random_runs": n_runs, "random_best": run_random(seed, n_runs)})
    h, oracle = oracle_fixed()
    return {
        "rows": rows,
        "oracle_h": h,
        "oracle": oracle,
        "pbt_mean": statistics.fmean(r["best"] for r in rows),
        "random_mean": statistics.fmean(r["random_best"] for r in rows),
        "wins": sum(r["best"] > r["random_best"] for r in rows),
        "above_oracle": sum(r["best"] > oracle for r in rows),
    }


def pbt_markdown(result: dict[str, Any]) -> list[str]:
    rows = result["rows"]
    lines = [
        "## PBT against random search at equal compute, on a changing schedule",
        "",
        f"A toy run of {HORIZON} steps whose best learning rate falls tenfold from 0.3 "
        "(`benchmarks/_scheduler_pbt.py`): a step with rate h gains "
        "exp(-(ln h - ln h*(s))^2 / 0.5), 1 at the best rate; the score is the sum (maximize; "
        f"{HORIZON} for a run that follows the schedule). PBT (population {POPULATION}, "
        f"interval {INTERVAL}, quantile 0.25, h in [{LOW}, {HIGH}] log) runs in a real study "
        "with checkpoints until its first population is done; random search gets as many full "
        "runs as PBT's compute buys (compute // horizon), h log-uniform, and keeps its best. "
        f"The best fixed rate of all (h = {result['oracle_h']:.3f}, on a grid) scores "
        f"{result['oracle']:.2f}: no fixed-parameter search can do better.",
        "",
        "| seed | PBT trials | exploits | PBT compute (steps) | random runs | PBT best "
        "| random search best |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed, r in enumerate(rows):
        lines.append(
            f"| {seed} | {r['trials']} | {r['exploits']} | {r['compute']} | {r['random_runs']} "
            f"| {r['best']:.2f} | {r['random_best']:.2f} |"
        )
    lines += [
        "",
        f"Mean best: PBT {result['pbt_mean']:.2f}, random search {result['random_mean']:.2f}; "
        f"PBT won {result['wins']} of {len(rows)} seeds and beat the best fixed rate in "
        f"{result['above_oracle']} of {len(rows)}.",
    ]
    return lines
