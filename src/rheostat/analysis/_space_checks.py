"""Doctor checks about the search space: its ranges, scales, grid and size.

Each check is a function of a ``Context`` returning a list of findings; its docstring states the
rule and the thresholds (module constants, so tests and users can read them).
"""

from __future__ import annotations

import math

from rheostat.analysis._context import Context, config_key, fmt, position
from rheostat.analysis._findings import Finding, Severity
from rheostat.distributions import Distribution, Float, Int
from rheostat.trial import Direction, TrialState

__all__ = [
    "EDGE_BEST",
    "EDGE_MIN_TRIALS",
    "EDGE_TOP_MEAN",
    "HUGE_GRID",
    "LINEAR_MAX_RATIO",
    "MIN_TRIALS",
    "NEVER_VARIED_MIN_TRIALS",
    "TRIALS_PER_PARAM",
    "check_edge_of_range",
    "check_grid_too_large",
    "check_linear_scale_wide",
    "check_never_varied",
    "check_too_few_trials",
]

EDGE_MIN_TRIALS = 10
EDGE_BEST = 0.1
EDGE_TOP_MEAN = 0.2
LINEAR_MAX_RATIO = 100.0
HUGE_GRID = 1000
NEVER_VARIED_MIN_TRIALS = 10
MIN_TRIALS = 20
TRIALS_PER_PARAM = 10


def _top_k(n: int) -> int:
    return min(n, max(5, math.ceil(0.1 * n)))


def _widened(dist: Float | Int, side: str) -> str:
    """The distribution with ``side`` pushed out: a decade on a log scale, else the width."""
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        low, high = (low / 10, high) if side == "low" else (low, high * 10)
    elif side == "low":
        new = low - (high - low)
        low = low / 10 if low > 0 and new <= 0 else new
    else:
        high = high + (high - low)
    log = ", log=True" if dist.log else ""
    if isinstance(dist, Int):
        lo = max(math.floor(low), 1) if dist.log else math.floor(low)
        return f"Int({lo}, {math.ceil(high)}{log})"
    return f"Float({fmt(low)}, {fmt(high)}{log})"


def _inward(dist: Float | Int, side: str) -> float:
    """The value a quarter of the range in from the ``side`` bound, in the parameter's scale."""
    low, high = float(dist.low), float(dist.high)
    at = 0.25 if side == "low" else 0.75
    if dist.log:
        value = math.exp(math.log(low) + at * (math.log(high) - math.log(low)))
    else:
        value = low + at * (high - low)
    return float(round(value)) if isinstance(dist, Int) else value


def check_edge_of_range(ctx: Context) -> list[Finding]:
    """``edge-of-range`` (WARNING): the optimum probably lies outside a parameter's range.

    Rule, for each numeric parameter of a single-objective study with at least
    ``EDGE_MIN_TRIALS`` (10) completed trials: the best trial's value sits within ``EDGE_BEST``
    (10%) of a bound, and the mean position of the top-k trials (k = max(5, 10% of the
    completed)) is within ``EDGE_TOP_MEAN`` (20%) of the same bound. Positions run from 0 (low)
    to 1 (high) in the parameter's own scale (log for ``log=True``). Requiring the top-k to
    crowd the bound keeps a parameter that does not matter from firing: for one whose top-k are
    uniform, the rule fires with a probability under 1%.

    Under a model-based sampler (TPE, GP, ``auto`` past its Sobol' start, a user's sampler;
    see ``Context.adaptive``) the finding is INFO, not WARNING, and says why: such a sampler
    moves a parameter the objective ignores wherever its model drifts, often to a bound (an
    acquisition that is flat along a dimension is maximized at its edge), while the other
    parameters improve, so the top-k crowd that bound with no cause. The trials alone cannot
    tell this from a real edge (the crowding parameter's values track the improvement, so even
    fANOVA credits it), so the fix then names the experiment that can: the best configuration
    re-run with the parameter moved inward.
    """
    if ctx.direction is None or ctx.best is None or len(ctx.complete) < EDGE_MIN_TRIALS:
        return []
    ranked = sorted(ctx.complete, key=ctx.value, reverse=ctx.direction is Direction.MAXIMIZE)
    top = ranked[: _top_k(len(ranked))]
    out = []
    for name, value in ctx.best.params.items():
        dist = ctx.best.distributions.get(name)
        if not isinstance(dist, (Float, Int)):
            continue
        pos = position(dist, value)
        if pos is None:
            continue
        side = "low" if pos <= EDGE_BEST else "high" if pos >= 1 - EDGE_BEST else None
        if side is None:
            continue
        found = (position(dist, t.params[name]) for t in top if name in t.params)
        tops = [p for p in found if p is not None]
        if not tops:
            continue
        mean = sum(tops) / len(tops)
        if (mean if side == "low" else 1 - mean) > EDGE_TOP_MEAN:
            continue
        bound = dist.low if side == "low" else dist.high
        num = float(value)  # type: ignore[arg-type]  # numeric: position() was not None
        scale = "log" if dist.log else "linear"
        verdict = "the optimum is probably outside the range"
        fix = (
            f"widen {name!r} past its {side} bound, e.g. to {_widened(dist, side)}, and run "
            f"more trials; if {fmt(bound)} is a hard limit, fix {name!r} at it instead"
        )
        if ctx.adaptive:
            inward = _inward(dist, side)
            verdict = (
                "either the optimum is outside the range, or the parameter hardly matters and "
                f"the {ctx.sampler_info.get('type', 'model-based sampler')} drifted to the bound"
            )
            fix = (
                f"check first: enqueue the best configuration with {name}={fmt(inward)} "
                f"(study.enqueue_trial({{**study.best_params, {name!r}: {fmt(inward)}}})); if it "
                f"does clearly worse, {fix}; if not, {name!r} does not matter here"
            )
        out.append(
            Finding(
                "edge-of-range",
                Severity.INFO if ctx.adaptive else Severity.WARNING,
                f"the best {name!r} = {fmt(num)} (trial {ctx.best.number}) is at the "
                f"{side} bound {fmt(bound)} of {dist!r}, and the top {len(tops)} trials crowd "
                f"it (mean position {mean:.2f}, {scale} scale): {verdict}",
                {
                    "param": name,
                    "side": side,
                    "bound": float(bound),
                    "best_value": num,
                    "best_position": round(pos, 4),
                    "scale": scale,
                    "top_k": len(tops),
                    "top_k_mean_position": round(mean, 4),
                    "adaptive_sampler": ctx.adaptive,
                },
                fix,
            )
        )
    return out


def check_linear_scale_wide(ctx: Context) -> list[Finding]:
    """``linear-scale-wide`` (WARNING): a positive range over more than two decades sampled on
    a linear scale, so almost every trial lands in the top decade.

    Rule: a ``Float`` or ``Int`` with ``log=False``, ``low > 0`` and ``high / low >
    LINEAR_MAX_RATIO`` (100). No minimum number of trials: it is a property of the space.
    """
    out = []
    for name, dist in ctx.distributions.items():
        if not isinstance(dist, (Float, Int)) or dist.log or not dist.low > 0:
            continue
        ratio = dist.high / dist.low
        if ratio <= LINEAR_MAX_RATIO:
            continue
        top_share = 0.9 * dist.high / (dist.high - dist.low)
        call = "suggest_int" if isinstance(dist, Int) else "suggest_float"
        step = "; drop step, which a log scale cannot have" if _has_step(dist) else ""
        out.append(
            Finding(
                "linear-scale-wide",
                Severity.WARNING,
                f"{name!r} spans {math.log10(ratio):.1f} decades ({dist!r}) on a linear scale: "
                f"{top_share:.0%} of its samples fall in the top decade",
                {
                    "param": name,
                    "low": float(dist.low),
                    "high": float(dist.high),
                    "decades": round(math.log10(ratio), 2),
                    "share_in_top_decade": round(top_share, 4),
                },
                f"sample {name!r} on a log scale: {call}({name!r}, {dist.low!r}, {dist.high!r}, "
                f"log=True){step}",
            )
        )
    return out


def _has_step(dist: Distribution) -> bool:
    return (isinstance(dist, Float) and dist.step is not None) or (
        isinstance(dist, Int) and dist.step != 1
    )


def check_grid_too_large(ctx: Context) -> list[Finding]:
    """``grid-too-large`` (WARNING): a grid sampler whose grid the budget cannot cover.

    Rule: the sampler is a ``GridSampler`` (from ``sampler_info``) and either its grid has more
    points than ``trial_budget`` (when given), or it has at least ``HUGE_GRID`` (1000) points and
    fewer than half of them have been tried. An unfinished grid is a random subset of a coarse
    lattice: random search over the same ranges covers every parameter better.
    """
    grid = ctx.grid
    if not grid:
        return []
    sizes = {k: len(v) for k, v in grid.items()}
    size = math.prod(sizes.values())
    tried = len(ctx.trials)
    over_budget = ctx.trial_budget is not None and size > ctx.trial_budget
    huge = size >= HUGE_GRID and tried < size / 2
    if not (over_budget or huge):
        return []
    n = len(sizes)
    counts = set(sizes.values())
    shape = f"{counts.pop()}^{n}" if len(counts) == 1 else " x ".join(map(str, sizes.values()))
    budget = ctx.trial_budget if ctx.trial_budget is not None else max(tried, MIN_TRIALS)
    why = (
        f"more than the budget of {ctx.trial_budget} trials"
        if over_budget
        else f"and only {tried} have been tried"
    )
    return [
        Finding(
            "grid-too-large",
            Severity.WARNING,
            f"the grid has {shape} = {size} points, {why}",
            {
                "grid_size": size,
                "params": n,
                "values_per_param": list(sizes.values()),
                "trials": tried,
                "trial_budget": ctx.trial_budget,
            },
            f"use RandomSampler (or a model-based sampler) with n_trials={budget} over the same "
            "ranges: each parameter then gets as many distinct values as there are trials; or "
            f"list fewer values per parameter (k values of {n} parameters make k^{n} points)",
        )
    ]


def check_never_varied(ctx: Context) -> list[Finding]:
    """``never-varied`` (WARNING): a parameter that took a single value.

    Rule: its distribution has one possible value (``low == high``, or one choice), or it took
    one distinct value over at least ``NEVER_VARIED_MIN_TRIALS`` (10) finished trials although its
    distribution allows more (a one-value grid, or every trial enqueued with it).
    """
    out = []
    finished = ctx.finished
    for name, dist in ctx.distributions.items():
        seen = [t.params[name] for t in finished if name in t.params]
        distinct = {repr(v) for v in seen}
        if dist.n_values == 1:
            why = f"its distribution {dist!r} has one possible value"
        elif len(distinct) == 1 and len(seen) >= NEVER_VARIED_MIN_TRIALS:
            why = f"it was {seen[0]!r} in all {len(seen)} trials, though {dist!r} allows more"
        else:
            continue
        out.append(
            Finding(
                "never-varied",
                Severity.WARNING,
                f"{name!r} was never varied: {why}",
                {"param": name, "distinct_values": len(distinct), "trials": len(seen)},
                f"if {name!r} should stay fixed, make it a constant in the objective and drop it "
                "from the space (it only confuses importance analysis); otherwise give it a "
                "range or several grid values",
            )
        )
    return out


def check_too_few_trials(ctx: Context) -> list[Finding]:
    """``too-few-trials`` (WARNING): too few trials for the number of parameters.

    Rule: fewer completed or pruned trials (a pruned trial explored its point too) than
    ``max(MIN_TRIALS, TRIALS_PER_PARAM * d)`` (20, and 10 per varied parameter ``d``). Not raised
    when every configuration of a discrete space (or every point of a grid sampler's grid) has
    been tried.
    """
    varied = [n for n, d in ctx.distributions.items() if d.n_values > 1]
    need = max(MIN_TRIALS, TRIALS_PER_PARAM * len(varied))
    n = len(ctx.complete) + sum(1 for t in ctx.trials if t.state is TrialState.PRUNED)
    if n >= need:
        return []
    grid = ctx.grid
    total = (
        math.prod(len(v) for v in grid.values())
        if grid
        else math.prod(d.n_values for d in ctx.distributions.values())
        if ctx.distributions
        else math.inf
    )
    if len({config_key(t.params) for t in ctx.finished}) >= total:
        return []
    sampler = str(ctx.sampler_info.get("type", "unknown"))
    return [
        Finding(
            "too-few-trials",
            Severity.WARNING,
            f"{n} completed or pruned trials for {len(varied)} varied parameters; at least "
            f"{need} are needed before the best result or any importance means much",
            {"trials": n, "params": len(varied), "needed": need, "sampler": sampler},
            f"run at least {need - n} more trials (optimize(..., n_trials={need - n})), or fix "
            "the parameters that matter least to shrink the space",
        )
    ]
