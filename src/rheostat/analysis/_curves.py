"""Learning-curve diagnosis: underfitting, overfitting, unstable training, slow convergence.

A trial's validation curve is what it reports with ``trial.report(value, step)`` (its
``intermediate_values``). A training curve of the same metric on the training data is optional;
report it as a user attribute, the whole curve so far, e.g. at the end of every epoch::

    train_curve[epoch] = train_loss
    trial.set_user_attr("train_curve", train_curve)   # {step: value}, or a list (step = index)

``diagnose_curves(train, valid, direction)`` judges any pair of curves directly.

Each curve is first turned "lower is better" (a maximized metric in [0, 1], such as accuracy,
becomes the error ``1 - v``; other maximized metrics are negated). The rules, in the order
steps run (``t0`` to ``tN``; curves with fewer than ``MIN_POINTS`` finite points, or with a
non-finite one, are left to the ``divergent-trials`` check):

- ``unstable-training``: judged on the raw curve, train and validation. A *spike* is a point
  worse than the running median around it by more than ``SPIKE_NOISE`` (6) robust deviations
  and by more than ``SPIKE_RANGE`` (10%) of the smoothed curve's range; two spikes, or one
  larger than half the range, are unstable. So is an oscillating curve: median step-to-step
  change above 15% of the range and above 5% of the curve's level.
- ``overfitting`` (validation curve): the smoothed curve's best lies in the first 80% of the
  steps and the curve ends more than ``RISE`` (10%) above that best, relative to the best's
  level or the curve's range, whichever is smaller (and more than four noise deviations).
  With a training curve, the training curve must not have risen too (that is instability,
  not overfitting); a validation curve that is worst at its end and best at its first step
  counts only when a training curve shows the model still learning.
- ``slow-convergence``: the curve (validation, else training) ends at its best and still gained
  ``SLOW_LATE`` (15%) or more of its total improvement in the last quarter of the steps.
- ``underfitting``: the curve (training if given, else validation) has flattened (under 10% of
  its improvement in the last quarter, not rising) and improved by under ``UNDERFIT_REL``
  (20%) of its starting level: the model barely learns even the data it is fit on.

The smoothed curve is a running median of 5 points (3 for short curves), so a spike does not
move it; spikes are judged on the raw values.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rheostat.analysis._context import fmt
from rheostat.analysis._findings import Finding, Severity
from rheostat.trial import Direction

__all__ = [
    "CURVE_CODES",
    "MIN_POINTS",
    "TRAIN_CURVE_ATTR",
    "Curve",
    "diagnose_curves",
    "parse_curve",
]

TRAIN_CURVE_ATTR = "train_curve"
"""The trial user attribute holding the training curve: ``{step: value}`` or a list."""

CURVE_CODES = ("underfitting", "overfitting", "unstable-training", "slow-convergence")
MIN_POINTS = 6
SPIKE_NOISE = 6.0
SPIKE_RANGE = 0.1
RISE = 0.1
SLOW_LATE = 0.15
UNDERFIT_REL = 0.2

Curve = Mapping[int, float] | Mapping[str, float] | Sequence[float]


def parse_curve(curve: object) -> list[tuple[float, float]] | None:
    """``(step, value)`` pairs sorted by step from a mapping (int or numeric-str keys, as JSON
    leaves them) or a list; ``None`` when it is not a curve of numbers."""
    if isinstance(curve, Mapping):
        items = list(curve.items())
    elif isinstance(curve, Sequence) and not isinstance(curve, (str, bytes)):
        items = list(enumerate(curve))
    else:
        return None
    out: list[tuple[float, float]] = []
    for k, v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        try:
            step = float(k)
        except (TypeError, ValueError):
            return None
        out.append((step, float(v)))
    return sorted(out)


@dataclass(frozen=True)
class _Shape:
    """One curve, "lower is better", with what the rules read."""

    steps: list[float]
    raw: list[float]
    smooth: list[float]

    @property
    def span(self) -> float:
        return max(self.smooth) - min(self.smooth)

    def at(self, fraction: float) -> int:
        """The first index at or after ``fraction`` of the step range."""
        target = self.steps[0] + fraction * (self.steps[-1] - self.steps[0])
        return next(i for i, s in enumerate(self.steps) if s >= target - 1e-12)

    @property
    def total(self) -> float:
        """Improvement from the start to the best (smoothed)."""
        return self.smooth[0] - min(self.smooth)

    @property
    def late_gain(self) -> float:
        """Improvement over the last quarter of the steps (smoothed; negative when rising)."""
        return self.smooth[self.at(0.75)] - self.smooth[-1]

    @property
    def noise(self) -> float:
        """A robust deviation of the raw values from a smooth trend (from second differences,
        which cancel any straight-line trend)."""
        r = self.raw
        d2 = [r[i - 1] - 2 * r[i] + r[i + 1] for i in range(1, len(r) - 1)]
        return 1.4826 * statistics.median(abs(x) for x in d2) / math.sqrt(6)

    @property
    def tail(self) -> float:
        """The median of the smoothed values over the last 20% of the steps (3 or more)."""
        return statistics.median(self.smooth[min(self.at(0.8), len(self.smooth) - 3) :])


def _running_median(values: list[float]) -> list[float]:
    half = 2 if len(values) >= 10 else 1
    n = len(values)
    return [statistics.median(values[max(0, i - half) : min(n, i + half + 1)]) for i in range(n)]


def _shape(curve: object, direction: Direction) -> _Shape | None:
    points = parse_curve(curve)
    if points is None or len(points) < MIN_POINTS:
        return None
    values = [v for _, v in points]
    if not all(math.isfinite(v) for v in values):
        return None
    if direction is Direction.MAXIMIZE:
        unit = all(0.0 <= v <= 1.0 for v in values)
        values = [1.0 - v if unit else -v for v in values]
    return _Shape([s for s, _ in points], values, _running_median(values))


def _spikes(c: _Shape) -> tuple[int, float, float, float]:
    """The number of spikes, the largest one (above the running median), its step, and the
    median step-to-step change."""
    half = 2 if len(c.raw) >= 10 else 1
    resid = [r - s for r, s in zip(c.raw, c.smooth, strict=True)]
    # a running median follows the noise part of the way: scale its residuals up by 1.5
    sigma = 1.5 * 1.4826 * statistics.median(abs(x) for x in resid)
    threshold = max(SPIKE_NOISE * sigma, SPIKE_RANGE * c.span)
    inner = range(half, len(resid) - half)  # where the running median has its full window
    spikes = [i for i in inner if resid[i] > threshold]
    worst = max(inner, key=lambda i: resid[i])
    d = [abs(b - a) for a, b in zip(c.raw, c.raw[1:], strict=False)]
    return len(spikes), resid[worst], c.steps[worst], statistics.median(d)


def _unstable(c: _Shape, label: str) -> Finding | None:
    if c.span <= 0:
        return None
    n, jump, step, typical = _spikes(c)
    level = statistics.median(abs(v) for v in c.raw)
    oscillating = typical > 0.15 * c.span and typical > 0.05 * level
    if not (n >= 2 or (n == 1 and jump > 0.5 * c.span) or oscillating):
        return None
    what = f"{n} spikes (largest +{fmt(jump)} at step {fmt(step)})" if n else "oscillations"
    return Finding(
        "unstable-training",
        Severity.WARNING,
        f"the {label} curve is unstable: it has {what} against a range of {fmt(c.span)}",
        {
            "curve": label,
            "spikes": n,
            "largest_jump": jump,
            "largest_jump_step": step,
            "median_step_change": typical,
            "range": c.span,
        },
        "lower the learning rate (or its peak after warm-up), add or lengthen the warm-up, clip "
        "gradients (e.g. max norm 1.0) or use a larger batch; look at the batches at the spike "
        "steps for bad data",
    )


def _overfitting(v: _Shape, t: _Shape | None) -> Finding | None:
    low = min(v.smooth)
    best = v.smooth.index(low)
    rise = v.tail - low
    scale = min(v.span, abs(low)) if low != 0 else v.span
    if v.span <= 0 or best > v.at(0.8) or rise <= RISE * scale or rise <= 4 * v.noise:
        return None
    evidence: dict[str, float | str | None] = {
        "best_step": v.steps[best],
        "last_step": v.steps[-1],
        "rise": rise,
        "range": v.span,
    }
    if t is not None:
        j = min(range(len(t.steps)), key=lambda i: abs(t.steps[i] - v.steps[best]))
        if t.smooth[-1] - t.smooth[j] > RISE * max(t.span, 1e-300):
            return None  # training got worse as well: not overfitting
        evidence["train_change_after_best"] = t.smooth[-1] - t.smooth[j]
    elif best == 0:
        return None  # worse from the start: without a training curve, divergence looks alike
    raw_best = min(range(len(v.raw)), key=lambda i: v.raw[i])
    evidence["raw_best_step"] = v.steps[raw_best]
    return Finding(
        "overfitting",
        Severity.WARNING,
        f"the validation curve is best near step {fmt(v.steps[best])} and then worsens by "
        f"{fmt(rise)} ({rise / scale:.0%} of its {'range' if scale == v.span else 'best'}) by "
        f"step {fmt(v.steps[-1])}"
        + ("" if t is not None else " (report a train_curve to confirm)"),
        evidence,
        f"keep the checkpoint of the best step (early stopping with some patience) or train for "
        f"about {fmt(v.steps[best])} steps; regularize more (weight decay, dropout, data "
        "augmentation) or use more data",
    )


def _slow(c: _Shape, label: str) -> Finding | None:
    if c.total <= 0 or c.smooth[-1] - min(c.smooth) > max(0.05 * c.total, 3 * c.noise):
        return None
    share = c.late_gain / c.total
    if share < SLOW_LATE or c.late_gain <= 4 * c.noise:
        return None
    return Finding(
        "slow-convergence",
        Severity.WARNING,
        f"the {label} curve is still improving at its end: {share:.0%} of its improvement came "
        f"in the last quarter of the steps (to step {fmt(c.steps[-1])})",
        {"curve": label, "late_share": share, "improvement": c.total, "last_step": c.steps[-1]},
        "train longer (a larger budget or more epochs) or raise the learning rate, with a "
        "schedule (warm-up, then decay) so it converges within the budget; trials compared "
        "before they converge favour the fast starters",
    )


def _underfitting(c: _Shape, label: str) -> Finding | None:
    start = abs(c.smooth[0])
    if start <= 1e-12 or c.tail - min(c.smooth) > max(RISE * c.span, 4 * c.noise):
        return None
    if c.late_gain >= max(0.1 * c.total, 3 * c.noise):
        return None
    rel = max(c.total, 0.0) / start
    if rel >= UNDERFIT_REL:
        return None
    return Finding(
        "underfitting",
        Severity.WARNING,
        f"the {label} curve flattened after improving only {rel:.0%} from its start "
        f"({fmt(c.smooth[0])} to {fmt(c.smooth[-1])}, lower is better)",
        {"curve": label, "relative_improvement": rel, "start": c.smooth[0], "end": c.smooth[-1]},
        "give the model more capacity (wider or deeper), regularize less (lower weight decay or "
        "dropout) or raise the learning rate; check the inputs and labels, since a model that "
        "barely fits its training data may be fed the wrong data",
    )


def diagnose_curves(
    train: Curve | None,
    valid: Curve | None,
    direction: Direction | str = Direction.MINIMIZE,
) -> list[Finding]:
    """Findings about one run's learning curves (codes in ``CURVE_CODES``).

    ``train`` and ``valid`` are the same metric on the training and validation data, each
    ``{step: value}`` or a list (step = index); either may be ``None``. ``direction`` is the
    metric's. The rules are in this module's docstring.

    >>> loss = [1 / (1 + 0.5 * s) for s in range(30)]
    >>> valid = [v + 0.05 + 0.02 * max(0, s - 10) for s, v in enumerate(loss)]
    >>> [f.code for f in diagnose_curves(loss, valid)]
    ['overfitting']
    >>> diagnose_curves(None, [0.1 + 0.9 * 0.7**s for s in range(30)])
    []
    """
    d = Direction.parse(direction)
    t = _shape(train, d) if train is not None else None
    v = _shape(valid, d) if valid is not None else None
    found: list[Finding | None] = []
    if v is not None:
        found.append(_overfitting(v, t))
    main = v or t
    if main is not None:
        found.append(_underfitting(t or main, "training" if t is not None else "validation"))
        found.append(_slow(main, "validation" if v is not None else "training"))
    for c, label in ((t, "training"), (v, "validation")):
        if c is not None:
            found.append(_unstable(c, label))
    seen: set[str] = set()
    out = []
    for f in found:
        if f is not None and f.code not in seen:
            seen.add(f.code)
            out.append(f)
    return out
