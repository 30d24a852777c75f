"""The refine phase: a narrowed space around the best configurations.

The phased workflow is **explore** (a wide space, a random or model-based search), **refine**
(a new study on ``refine_space(...)``, a smaller space around the top configurations) and
**validate** (``study.validate_top``: re-run the finalists with new seeds), then score the
held-out test set once.

>>> import math
>>> from rheostat.distributions import Float
>>> from rheostat.trial import Direction, TrialRecord, TrialState
>>> lr = Float(1e-5, 1e-1, log=True)
>>> trials = [
...     TrialRecord(i, TrialState.COMPLETE, {"lr": v}, {"lr": lr}, (abs(math.log10(v) + 3),))
...     for i, v in enumerate([1e-5, 1e-4, 5e-4, 1e-3, 2e-3, 1e-2, 1e-1])
... ]
>>> refine_space(trials, "minimize", top_k=3, margin=0.0)["lr"]
Float(0.0005, 0.002, log=True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rheostat.analysis._validation import top_configurations
from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.space import Space
from rheostat.trial import Direction, TrialRecord

__all__ = ["refine_space"]


def _scale(dist: Float | Int) -> tuple[float, float]:
    lo, hi = float(dist.low), float(dist.high)
    return (math.log(lo), math.log(hi)) if dist.log else (lo, hi)


def _unscale(dist: Float | Int, u: float) -> float:
    return math.exp(u) if dist.log else u


def _numeric(dist: Float | Int, values: Sequence[float], margin: float) -> Float | Int:
    """``[min, max]`` of ``values`` widened by ``margin`` of the range on each side, in the
    parameter's own scale; kept inside the original bounds and on its step grid."""
    lo_u, hi_u = _scale(dist)
    us = [math.log(v) if dist.log else v for v in values]
    pad = margin * (hi_u - lo_u)
    # without a margin the ends are the values themselves (no exp(log(v)) round-off)
    low = min(values) if pad == 0 else _unscale(dist, min(us) - pad)
    high = max(values) if pad == 0 else _unscale(dist, max(us) + pad)
    low = min(max(low, dist.low), dist.high)
    high = max(min(high, dist.high), dist.low)
    if isinstance(dist, Int):
        i_step = dist.step
        k_low = math.floor((low - dist.low) / i_step + 1e-9)
        k_high = math.ceil((high - dist.low) / i_step - 1e-9)
        return Int(dist.low + k_low * i_step, dist.low + k_high * i_step, log=dist.log, step=i_step)
    if dist.step is not None:
        step = dist.step
        n = round((dist.high - dist.low) / step)
        k_low = max(math.floor((low - dist.low) / step + 1e-9), 0)
        k_high = min(math.ceil((high - dist.low) / step - 1e-9), n)
        high_f = dist.high if k_high == n else dist.low + k_high * step
        return Float(dist.low + k_low * step, high_f, step=step)
    return Float(low, high, log=dist.log)


def _categorical(dist: Categorical, values: Sequence[ParamValue]) -> Categorical:
    used = {dist.index(v) for v in values}
    return Categorical([c for i, c in enumerate(dist.choices) if i in used])


def refine_space(
    trials: Sequence[TrialRecord],
    direction: Direction | str,
    *,
    top_k: int = 10,
    margin: float = 0.1,
    space: Mapping[str, Distribution] | None = None,
) -> Space:
    """A narrowed space around the ``top_k`` best distinct configurations of a study.

    Each numeric parameter spans the top configurations' values widened by ``margin`` (a
    fraction of the original range) on each side, in the parameter's own scale (log for
    ``log=True``), never outside the original bounds and on the original step grid; a
    categorical keeps only the choices seen among the top configurations (in the original
    order). The original distributions are ``space`` when given, else those the trials used.
    A parameter none of the top configurations has (a conditional one) is left out; a
    parameter with no range to narrow (a single value) is kept as it was.
    ``ValueError`` without a completed search trial. Validation re-runs are ignored.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"refine_space: top_k must be an integer >= 1, got {top_k!r}")
    if (
        isinstance(margin, bool)
        or not isinstance(margin, (int, float))
        or not (0.0 <= margin <= 1.0)
    ):
        raise ValueError(f"refine_space: margin must be a number in [0, 1], got {margin!r}")
    tops = top_configurations(trials, direction, top_k)
    if not tops:
        raise ValueError(
            "refine_space: no completed search trial to refine around; run the explore "
            "phase (study.optimize) first"
        )
    if space is None:
        dists: dict[str, Distribution] = {}
        for t in trials:
            dists.update(t.distributions)
    else:
        dists = dict(space)
    refined: dict[str, Distribution] = {}
    for name, dist in dists.items():
        values = [
            t.params[name] for t in tops if name in t.params and dist.contains(t.params[name])
        ]
        if not values:
            continue
        if isinstance(dist, Categorical):
            refined[name] = _categorical(dist, values)
        elif isinstance(dist, (Float, Int)):
            refined[name] = _numeric(dist, [float(v) for v in values], float(margin))  # type: ignore[arg-type]
        else:
            refined[name] = dist
    return Space(refined)
