"""Doctor checks about the results: pruning, flat values, the baseline, seeds and progress.

Each check is a function of a ``Context`` returning a list of findings; its docstring states the
rule and the thresholds (module constants).
"""

from __future__ import annotations

import statistics

from rheostat.analysis._context import Context, config_key, fmt
from rheostat.analysis._findings import Finding, Severity
from rheostat.trial import Direction, TrialRecord, TrialState

__all__ = [
    "BASELINE_MIN_SAMPLED",
    "DIMINISHING_MIN_TRIALS",
    "DIMINISHING_RATIO",
    "DIMINISHING_WINDOW",
    "FLAT_MIN_TRIALS",
    "FLAT_NOISE_FACTOR",
    "FLAT_REL_SPREAD",
    "OVER_PRUNED_FRACTION",
    "OVER_PRUNED_MIN_TRIALS",
    "SINGLE_SEED_MIN_TRIALS",
    "SINGLE_SEED_NOISE_FACTOR",
    "SINGLE_SEED_NOISE_SHARE",
    "check_baseline_wins",
    "check_diminishing_returns",
    "check_flat_results",
    "check_over_pruned",
    "check_single_seed",
]

OVER_PRUNED_FRACTION = 0.9
OVER_PRUNED_MIN_TRIALS = 10
FLAT_MIN_TRIALS = 10
FLAT_REL_SPREAD = 1e-3
FLAT_NOISE_FACTOR = 2.0
BASELINE_MIN_SAMPLED = 5
SINGLE_SEED_MIN_TRIALS = 10
SINGLE_SEED_NOISE_FACTOR = 2.0
SINGLE_SEED_NOISE_SHARE = 0.1
DIMINISHING_MIN_TRIALS = 20
DIMINISHING_WINDOW = 10
DIMINISHING_RATIO = 0.01


def check_over_pruned(ctx: Context) -> list[Finding]:
    """``over-pruned`` (WARNING; ERROR when no trial completed): the scheduler stops almost
    everything.

    Rule: at least ``OVER_PRUNED_MIN_TRIALS`` (10) finished trials, of which more than
    ``OVER_PRUNED_FRACTION`` (90%) were pruned.
    """
    finished = ctx.finished
    pruned = [t for t in finished if t.state is TrialState.PRUNED]
    if len(finished) < OVER_PRUNED_MIN_TRIALS or len(pruned) <= OVER_PRUNED_FRACTION * len(
        finished
    ):
        return []
    steps = [t.last_step for t in pruned if t.last_step is not None]
    at = int(statistics.median(steps)) if steps else 0
    severity = Severity.ERROR if not ctx.complete else Severity.WARNING
    return [
        Finding(
            "over-pruned",
            severity,
            f"{len(pruned)} of {len(finished)} finished trials were pruned "
            f"({len(pruned) / len(finished):.0%}), most by step {at}: the scheduler decides "
            "on too little evidence",
            {
                "pruned": len(pruned),
                "finished": len(finished),
                "complete": len(ctx.complete),
                "fraction": round(len(pruned) / len(finished), 4),
                "median_pruned_step": at,
            },
            "check that the value passed to trial.report goes the way of the study's direction "
            "(a loss for 'minimize', an accuracy for 'maximize'); then prune later: "
            f"n_warmup_steps={max(2 * at, 1)} and n_startup_trials=10, or a looser threshold "
            "or percentile",
        )
    ]


def check_flat_results(ctx: Context) -> list[Finding]:
    """``flat-results`` (WARNING): the objective hardly moves over the space.

    Rule, per objective, over at least ``FLAT_MIN_TRIALS`` (10) completed trials: the spread
    (max - min) of the values is at most ``FLAT_REL_SPREAD`` (0.1%) of their largest magnitude
    (all equal included), or, where repeated configurations measured the noise, at most
    ``FLAT_NOISE_FACTOR`` (2) noise standard deviations.
    """
    if len(ctx.complete) < FLAT_MIN_TRIALS:
        return []
    out = []
    for i in range(len(ctx.directions)):
        values = [t.values[i] for t in ctx.complete]  # type: ignore[index]
        spread = max(values) - min(values)
        scale = max(abs(v) for v in values)
        noise = ctx.noise_std if i == 0 else None
        flat = spread <= FLAT_REL_SPREAD * scale
        within_noise = noise is not None and noise > 0 and spread <= FLAT_NOISE_FACTOR * noise
        if not (flat or within_noise):
            continue
        which = "" if len(ctx.directions) == 1 else f" (objective {i})"
        why = (
            f"within {FLAT_REL_SPREAD:.1%} of their size"
            if flat
            else f"within {FLAT_NOISE_FACTOR:g} noise standard deviations ({fmt(noise or 0.0)})"
        )
        out.append(
            Finding(
                "flat-results",
                Severity.WARNING,
                f"the {len(values)} completed values{which} lie between {fmt(min(values))} and "
                f"{fmt(max(values))}, {why}: the parameters make no measurable difference",
                {
                    "objective": i,
                    "trials": len(values),
                    "min": min(values),
                    "max": max(values),
                    "spread": spread,
                    "noise_std": noise,
                },
                "check that the objective uses the suggested values (passes them to the model, "
                "not a default); if it does, the ranges are too narrow to matter: widen them or "
                "tune other parameters",
            )
        )
    return out


def _baseline(ctx: Context) -> TrialRecord | None:
    direction = ctx.direction
    if direction is None:
        return None
    done = [t for t in ctx.complete if t.number in ctx.baseline_numbers]
    best = None
    for t in done:
        if best is None or direction.better(ctx.value(t), ctx.value(best)):
            best = t
    return best


def check_baseline_wins(ctx: Context) -> list[Finding]:
    """``baseline-wins`` (WARNING): the enqueued baseline beats or ties every sampled trial.

    Rule, for a single objective: the baseline (``baseline_numbers``; by default the first
    enqueued trial) completed, at least ``BASELINE_MIN_SAMPLED`` (5) sampled (not enqueued)
    trials completed, and none of them is strictly better than the baseline.
    """
    base = _baseline(ctx)
    direction = ctx.direction
    if base is None or direction is None:
        return []
    sampled = [t for t in ctx.complete if not ctx.enqueued(t)]
    if len(sampled) < BASELINE_MIN_SAMPLED:
        return []
    top = sampled[0]
    for t in sampled:
        if direction.better(ctx.value(t), ctx.value(top)):
            top = t
    if direction.better(ctx.value(top), ctx.value(base)):
        return []
    shown = ", ".join(f"{k}={v!r}" for k, v in base.params.items())
    return [
        Finding(
            "baseline-wins",
            Severity.WARNING,
            f"the baseline (trial {base.number}: {fmt(ctx.value(base))}) is at least as good as "
            f"the best of {len(sampled)} sampled trials (trial {top.number}: "
            f"{fmt(ctx.value(top))}): the search has not found anything better",
            {
                "baseline_trial": base.number,
                "baseline_value": ctx.value(base),
                "best_sampled_trial": top.number,
                "best_sampled_value": ctx.value(top),
                "sampled": len(sampled),
            },
            f"center the space on the baseline ({shown}) and narrow it, check that each range "
            "holds the values that work in practice, and run more trials; until then keep the "
            "baseline",
        )
    ]


def check_single_seed(ctx: Context) -> list[Finding]:
    """``single-seed`` (INFO; WARNING when the lead is within noise): the best configuration was
    evaluated once, so its value may be a lucky draw.

    Rule, for a single objective with at least ``SINGLE_SEED_MIN_TRIALS`` (10) completed trials:
    no other completed trial ran the best trial's configuration (seed-like parameters ignored).
    WARNING when repeated configurations measured the noise, the best leads the next
    configuration by less than ``SINGLE_SEED_NOISE_FACTOR`` (2) noise standard deviations, and
    the noise is at least ``SINGLE_SEED_NOISE_SHARE`` (10%) of the interquartile range of the
    completed values (noise that small next to what the parameters change does not matter).
    """
    best = ctx.best
    if best is None or len(ctx.complete) < SINGLE_SEED_MIN_TRIALS:
        return []
    key = config_key(best.params)
    if len(ctx.groups.get(key, ())) > 1:
        return []
    others = [ctx.value(t) for t in ctx.complete if config_key(t.params) != key]
    pick = min if ctx.direction is Direction.MINIMIZE else max
    runner_up = pick(others) if others else None
    gap = abs(ctx.value(best) - runner_up) if runner_up is not None else None
    noise = ctx.noise_std
    values = [ctx.value(t) for t in ctx.complete]
    q1, _, q3 = statistics.quantiles(values, n=4)
    within = bool(
        noise
        and gap is not None
        and gap < SINGLE_SEED_NOISE_FACTOR * noise
        and noise >= SINGLE_SEED_NOISE_SHARE * (q3 - q1)
    )
    if within:
        detail = (
            f"its lead of {fmt(gap or 0.0)} is less than {SINGLE_SEED_NOISE_FACTOR:g} noise "
            f"standard deviations ({fmt(noise or 0.0)}, measured on {ctx.n_repeated_configs} "
            f"repeated configuration(s); the values' interquartile range is {fmt(q3 - q1)})"
        )
    else:
        detail = "the noise between seeds is unknown, so its value may be a lucky draw"
    return [
        Finding(
            "single-seed",
            Severity.WARNING if within else Severity.INFO,
            f"the best configuration (trial {best.number}: {fmt(ctx.value(best))}) was evaluated "
            f"once; {detail}",
            {
                "best_trial": best.number,
                "best_value": ctx.value(best),
                "runner_up_value": runner_up,
                "lead": gap,
                "noise_std": noise,
                "repeated_configs": ctx.n_repeated_configs,
                "values_iqr": q3 - q1,
            },
            "re-run the top 5 configurations with 3 or more seeds each (e.g. enqueue_trial("
            "trial.params) once per seed) and choose by the mean",
        )
    ]


def check_diminishing_returns(ctx: Context) -> list[Finding]:
    """``diminishing-returns`` (INFO): the best value has stopped improving; time to stop.

    Rule, for a single objective with at least ``DIMINISHING_MIN_TRIALS`` (20) completed trials:
    over the last window of ``max(DIMINISHING_WINDOW, n // 4)`` completed trials the best value
    improved by less than ``DIMINISHING_RATIO`` (1%) of its total improvement since the first
    completed trial (no improvement at all counts as 0%).
    """
    direction = ctx.direction
    n = len(ctx.complete)
    if direction is None or n < DIMINISHING_MIN_TRIALS:
        return []
    window = max(DIMINISHING_WINDOW, n // 4)
    best_so_far: list[float] = []
    for t in ctx.complete:
        v = ctx.value(t)
        better = not best_so_far or direction.better(v, best_so_far[-1])
        best_so_far.append(v if better else best_so_far[-1])
    total = abs(best_so_far[-1] - best_so_far[0])
    recent = abs(best_so_far[-1] - best_so_far[-window - 1])
    ratio = recent / total if total > 0 else 0.0
    if ratio >= DIMINISHING_RATIO:
        return []
    if total > 0:
        what = (
            f"the last {window} completed trials improved the best value by {fmt(recent)}, "
            f"{ratio:.1%} of the total improvement of {fmt(total)}"
        )
    else:
        what = f"none of the {n - 1} completed trials after the first improved on it"
    return [
        Finding(
            "diminishing-returns",
            Severity.INFO,
            f"{what}: more trials of this search are unlikely to pay",
            {
                "window": window,
                "recent_improvement": recent,
                "total_improvement": total,
                "ratio": round(ratio, 6),
                "completed": n,
            },
            "stop this search; spend the rest of the budget re-running the top configurations "
            "with several seeds, or on a narrower space around them",
        )
    ]
