"""Final validation: the best configurations re-run with new seeds, summarized honestly.

A search's best single run is optimistic: among many noisy runs the luckiest wins. Re-running
the top configurations with new seeds and ranking them by the mean of the new runs only (the
search run, chosen for being lucky, is left out) gives an unbiased estimate and a confidence
interval. ``study.validate_top(objective, k=5, seeds=3)`` runs them; this module picks the
configurations and summarizes the runs, as pure functions of the records.

Validation trials are ordinary trials of the study, enqueued with the configuration fixed and
two user attributes: ``validation_of`` (the number of the search trial whose configuration they
re-run) and ``validation_seed`` (0, 1, …). Their ``trial.seed`` differs from the search trial's
(it is derived from the trial number). ``study.best_trial`` and the doctor's baseline leave
them out; ``top_configurations`` too.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from rheostat.analysis._context import config_key
from rheostat.distributions import ParamValue
from rheostat.trial import Direction, TrialRecord, TrialState

__all__ = [
    "VALIDATION_OF_ATTR",
    "VALIDATION_SEED_ATTR",
    "ValidationResult",
    "is_validation",
    "summarize_validation",
    "top_configurations",
]

VALIDATION_OF_ATTR = "validation_of"
VALIDATION_SEED_ATTR = "validation_seed"


def is_validation(t: TrialRecord) -> bool:
    """Whether ``t`` is a validation re-run (it has a ``validation_of`` user attribute)."""
    return VALIDATION_OF_ATTR in t.user_attrs


def _ok(t: TrialRecord) -> bool:
    return (
        t.state is TrialState.COMPLETE
        and t.values is not None
        and len(t.values) == 1
        and math.isfinite(t.values[0])
    )


def top_configurations(
    trials: Sequence[TrialRecord], direction: Direction | str, k: int
) -> list[TrialRecord]:
    """The best search trial of each of the ``k`` best distinct configurations (seed-like
    parameters ignored), best first; validation re-runs are left out."""
    d = Direction.parse(direction)
    sign = 1.0 if d is Direction.MINIMIZE else -1.0
    ranked = sorted(
        (t for t in trials if _ok(t) and not is_validation(t)),
        key=lambda t: (sign * t.values[0], t.number),  # type: ignore[index]
    )
    seen: set[object] = set()
    out: list[TrialRecord] = []
    for t in ranked:
        key = config_key(t.params)
        if key not in seen and len(out) < k:
            seen.add(key)
            out.append(t)
    return out


@dataclass(frozen=True)
class ValidationResult:
    """One configuration's validation runs. Immutable.

    ``values`` are the re-runs' objective values (the search run is not among them);
    ``mean`` and ``std`` (sample, ``ddof=1``) are theirs; ``ci_low``/``ci_high`` the
    ``confidence`` interval of the mean from the t distribution (NaN with fewer than two runs).
    ``search_value`` is what the configuration scored in the search.
    """

    source_trial: int
    params: Mapping[str, ParamValue]
    search_value: float
    values: tuple[float, ...]
    trial_numbers: tuple[int, ...]
    mean: float
    std: float
    ci_low: float
    ci_high: float
    confidence: float = 0.95

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def n(self) -> int:
        """The number of validation runs that completed."""
        return len(self.values)

    def __str__(self) -> str:
        half = (self.ci_high - self.ci_low) / 2
        return (
            f"trial {self.source_trial}: {self.mean:.6g} ± {half:.3g} "
            f"({self.confidence:.0%} CI, std {self.std:.3g}, n={self.n}; search run "
            f"{self.search_value:.6g})"
        )


def _t_quantile(confidence: float, dof: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, dof))


def summarize_validation(
    trials: Sequence[TrialRecord],
    direction: Direction | str,
    sources: Sequence[int] | None = None,
    *,
    confidence: float = 0.95,
) -> list[ValidationResult]:
    """Summarize the validation runs of each source trial (all sources found when ``None``),
    best mean first. Runs that did not complete with a finite value are left out; a source
    with none is left out too."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"summarize_validation: confidence must be in (0, 1), got {confidence}")
    d = Direction.parse(direction)
    by_number = {t.number: t for t in trials}
    runs: dict[int, list[TrialRecord]] = {}
    for t in trials:
        src = t.user_attrs.get(VALIDATION_OF_ATTR)
        if isinstance(src, int) and _ok(t) and (sources is None or src in sources):
            runs.setdefault(src, []).append(t)
    out = []
    for src, done in runs.items():
        source = by_number.get(src)
        if source is None or source.values is None:
            continue
        values = tuple(t.values[0] for t in done)  # type: ignore[index]
        mean = statistics.fmean(values)
        if len(values) >= 2:
            std = statistics.stdev(values)
            half = _t_quantile(confidence, len(values) - 1) * std / math.sqrt(len(values))
        else:
            std = half = math.nan
        out.append(
            ValidationResult(
                src,
                source.params,
                source.values[0],
                values,
                tuple(t.number for t in done),
                mean,
                std,
                mean - half,
                mean + half,
                confidence,
            )
        )
    sign = 1.0 if d is Direction.MINIMIZE else -1.0
    return sorted(out, key=lambda r: (sign * r.mean, r.source_trial))
