"""The held-out test set: what a study records about it, and the doctor's ``holdout-peeked``.

A study keeps three system attributes (``study.register_holdout``, ``study.finish_tuning`` and
``Holdout.score`` write them; only a fingerprint of the data is stored, never the data):

- ``HOLDOUT_ATTR``: ``{"fingerprint": sha256 hex, "n_rows": int or None, "time": float}``;
- ``TUNING_FINISHED_ATTR``: ``{"time": float, "n_trials": int}``, set once;
- ``HOLDOUT_SCORES_ATTR``: a list of ``{"time": float, "value": float or None}``, one per scoring.

``check_holdout_peeked`` reports an ``ERROR`` when search trials started after the holdout was
first scored (tuning went on after a look at the test set, so the test score is no longer an
unbiased estimate) and a ``WARNING`` when the holdout was scored more than once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rheostat.analysis._context import Context, fmt
from rheostat.analysis._findings import Finding, Severity

__all__ = [
    "HOLDOUT_ATTR",
    "HOLDOUT_SCORES_ATTR",
    "TUNING_FINISHED_ATTR",
    "check_holdout_peeked",
    "holdout_scores",
]

HOLDOUT_ATTR = "holdout"
HOLDOUT_SCORES_ATTR = "holdout_scores"
TUNING_FINISHED_ATTR = "tuning_finished"


def holdout_scores(study_attrs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The recorded scorings of a study's holdout, oldest first (empty if none)."""
    scores = study_attrs.get(HOLDOUT_SCORES_ATTR)
    if not isinstance(scores, list):
        return []
    return [s for s in scores if isinstance(s, Mapping) and isinstance(s.get("time"), float)]


def check_holdout_peeked(ctx: Context) -> list[Finding]:
    """``holdout-peeked``: the held-out test set was scored while tuning went on, or more than
    once. Either way the reported test score was (or could have been) used for selection."""
    scores = holdout_scores(ctx.study_attrs)
    if not scores:
        return []
    first = min(float(s["time"]) for s in scores)
    later = [
        t.number for t in ctx.trials if t.datetime_start is not None and t.datetime_start > first
    ]
    values = [s.get("value") for s in scores]
    evidence: dict[str, Any] = {
        "n_scorings": len(scores),
        "scores": [v if isinstance(v, float) else None for v in values],
        "trials_after_first_scoring": later[:20],
    }
    if later:
        return [
            Finding(
                "holdout-peeked",
                Severity.ERROR,
                f"the held-out test set was scored, then {len(later)} more search trial(s) "
                f"ran (from trial {later[0]}): the tuning may have followed the test score, "
                "so that score is optimistic",
                evidence,
                "report the test score of the configuration chosen before the first scoring, "
                "or register a fresh held-out set, finish tuning, and score it once",
            )
        ]
    if len(scores) > 1:
        shown = ", ".join(fmt(v) if isinstance(v, float) else "?" for v in values)
        return [
            Finding(
                "holdout-peeked",
                Severity.WARNING,
                f"the held-out test set was scored {len(scores)} times ({shown}); choosing "
                "among them (another model, another threshold) uses the test set for selection",
                evidence,
                "report the first score; compare candidates on validation data "
                "(study.validate_top) and score only the final choice on the test set",
            )
        ]
    return []
