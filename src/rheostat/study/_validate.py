"""Final validation: re-run the best configurations with new seeds through the study's loop.

The pure half (which configurations, and the summary) is ``rheostat.analysis._validation``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rheostat.analysis import (
    VALIDATION_OF_ATTR,
    VALIDATION_SEED_ATTR,
    ValidationResult,
    summarize_validation,
    top_configurations,
)
from rheostat.trial import TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study
    from rheostat.study._trial import Trial

__all__ = ["validate_top"]


def _positive(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"validate_top: {name} must be an integer >= {least}, got {value!r}")
    return value


def validate_top(
    study: Study,
    objective: Callable[[Trial], Any],
    k: int,
    seeds: int,
    *,
    n_workers: int,
    catch: Iterable[type[Exception]] | type[Exception],
    confidence: float,
) -> list[ValidationResult]:
    """``study.validate_top`` (whose signature holds the defaults): enqueue ``seeds`` re-runs
    of each of the ``k`` best distinct configurations, run every waiting trial with
    ``study.optimize``, and summarize the re-runs (best mean first)."""
    _positive("k", k, 1)
    _positive("seeds", seeds, 2)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"validate_top: confidence must be in (0, 1), got {confidence}")
    direction = study.direction  # a clear error for a multi-objective study
    tops = top_configurations(study.trials, direction, k)
    if not tops:
        raise ValueError(
            f"validate_top: study {study.study_name!r} has no completed search trial to "
            "validate; run optimize() first"
        )
    for t in tops:
        for s in range(seeds):
            study.enqueue_trial(
                dict(t.params), user_attrs={VALIDATION_OF_ATTR: t.number, VALIDATION_SEED_ATTR: s}
            )
    waiting = len(study.get_trials((TrialState.WAITING,)))
    study.optimize(objective, n_trials=waiting, n_workers=n_workers, catch=catch)
    return summarize_validation(
        study.trials, direction, [t.number for t in tops], confidence=confidence
    )
