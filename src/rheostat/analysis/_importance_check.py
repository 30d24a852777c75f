"""The ``unimportant-parameter`` doctor check: parameters the search can stop tuning.

Rule: in a single-objective study with ``MIN_TRIALS`` (30) complete trials or more and two or
more varied parameters, fANOVA (32 trees of leaves of ``LEAF`` (5) trials or more, seed 0)
gives each parameter a share: its main effect plus every pair it is in. A parameter whose share
is under ``UNIMPORTANT`` (5%) while another's is 10% or more is reported (INFO), with the best
trial's value to fix it at. With a few dozen trials a forest gives even an unused parameter a
few percent, hence 5%, not 0; for scale, the fit also sees ``PROBES`` (3) made-up parameters
drawn at random, which the objective cannot depend on: their mean share (the noise floor) is
in the evidence. Skipped without scikit-learn. When a model-based sampler chose the trials
the message says that fANOVA's shares are then biased (towards parameters that drifted along
with the improvement), and that a random-search study measures them better.
"""

from __future__ import annotations

import random
import statistics

from rheostat.analysis._context import Context
from rheostat.analysis._findings import Finding, Severity
from rheostat.analysis._importance import encode, fanova
from rheostat.distributions import Categorical

__all__ = ["MIN_TRIALS", "PROBES", "UNIMPORTANT", "check_unimportant_parameter"]

MIN_TRIALS = 30
UNIMPORTANT = 0.05
PROBES = 3
LEAF = 5
_PROBE = "\x00probe"
_ADAPTIVE = (
    " chosen by a model-based sampler, which credits parameters that drifted with the "
    "improvement: a random-search study measures this better"
)


def _shares(ctx: Context) -> tuple[list[str], dict[str, float], float] | None:
    """The scored parameters, each one's share, and the probes' mean share (the floor)."""
    names, dists, rows, y = encode(ctx.complete, 1, 0)
    if len(names) < 2:
        return None
    rng = random.Random(0)
    probes = [f"{_PROBE}{i}" for i in range(PROBES)]
    rows = [row + [rng.random() for _ in probes] for row in rows]
    sizes = [len(d.choices) if isinstance(d, Categorical) else 0 for d in dists]
    try:
        imp = fanova(
            names + probes,
            sizes + [0] * PROBES,
            rows,
            y,
            n_trees=32,
            seed=0,
            pairs=True,
            min_samples_leaf=LEAF,
        )
    except ImportError:
        return None
    share = {
        n: imp[n] + sum(v for k, v in imp.items() if isinstance(k, tuple) and n in k)
        for n in names + probes
    }
    return names, share, statistics.fmean(share[p] for p in probes)


def check_unimportant_parameter(ctx: Context) -> list[Finding]:
    """``unimportant-parameter`` (INFO): parameters that explain no more than noise."""
    if ctx.direction is None or len(ctx.complete) < MIN_TRIALS or ctx.best is None:
        return []
    found = _shares(ctx)
    if found is None:
        return []
    names, share, floor = found
    top = max(names, key=lambda n: share[n])
    cut = UNIMPORTANT
    low = sorted((n for n in names if share[n] < cut), key=lambda n: share[n])
    if share[top] < 0.1 or not low:
        return []
    best = ctx.best.params
    fixes = ", ".join(f"{n}={best[n]!r}" for n in low if n in best)
    important = [n for n in sorted(names, key=lambda n: -share[n]) if share[n] >= cut]
    return [
        Finding(
            "unimportant-parameter",
            Severity.INFO,
            f"{', '.join(repr(n) for n in low)} explain{'s' if len(low) == 1 else ''} under "
            f"{cut:.0%} of the objective's variance{'' if len(low) == 1 else ' each'} (random "
            f"noise gets {floor:.1%}; fANOVA on {len(ctx.complete)} trials"
            f"{_ADAPTIVE if ctx.adaptive else ''}); {top!r} explains {share[top]:.0%}",
            {
                "params": low,
                "shares": [share[n] for n in low],
                "noise_floor": floor,
                "most_important": top,
                "most_important_share": share[top],
            },
            f"stop tuning them: fix them at the best trial's values ({fixes}) and spend the "
            f"trials on {', '.join(repr(n) for n in important)}",
        )
    ]
