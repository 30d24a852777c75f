"""Nested cross-validation: an honest estimate of a tuned scikit-learn estimator's score.

Tuning on the same folds that report the score picks the configuration that was luckiest on
them, so that score is optimistic. Here each outer fold is held out *before* tuning starts: a
fresh study tunes on the outer-train rows only (scoring each trial by inner cross-validation of
those rows), the best configuration is refitted on all outer-train rows, and only then is it
scored, once, on the outer-test rows. No outer-test row reaches ``fit``, ``predict`` or a scorer
during the search, and the outer score is never told to the study.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import rheostat

__all__ = ["NestedCVResult", "nested_cv"]

ParamsBuilder = Callable[[rheostat.Trial], Mapping[str, Any]]


@dataclass(frozen=True)
class NestedCVResult:
    """What ``nested_cv`` found, one entry per outer fold (in fold order). Immutable.

    ``outer_scores``: the tuned estimator's score on each outer-test part (greater is better,
    as scikit-learn scorers are); ``best_params``: the configuration the search chose in each
    fold; ``inner_best_scores``: that configuration's inner cross-validation score, which the
    search maximized (so it is optimistic); ``test_indices``: the rows of each outer-test part;
    ``studies``: the study that tuned each fold (run ``study.doctor()`` on them).
    """

    outer_scores: tuple[float, ...]
    best_params: tuple[Mapping[str, Any], ...]
    inner_best_scores: tuple[float, ...]
    test_indices: tuple[tuple[int, ...], ...] = field(repr=False)
    studies: tuple[rheostat.Study, ...] = field(repr=False, compare=False)

    @property
    def mean(self) -> float:
        """The mean outer score: the estimate of the tuned estimator's score on new data."""
        return statistics.fmean(self.outer_scores)

    @property
    def std(self) -> float:
        """The sample standard deviation of the outer scores (0 for a single fold)."""
        return statistics.stdev(self.outer_scores) if len(self.outer_scores) > 1 else 0.0

    @property
    def optimism(self) -> float:
        """Mean inner best score minus mean outer score: how much reporting the search's own
        best score would have overstated the result."""
        return statistics.fmean(self.inner_best_scores) - self.mean


def _sklearn() -> Any:
    try:
        import sklearn
    except ImportError as exc:
        raise ImportError("nested_cv needs scikit-learn: pip install 'rheostat[sklearn]'") from exc
    return sklearn


def _splitter(cv: Any, y: Any, classifier: bool, seed: int) -> Any:
    """An int becomes a shuffled (stratified, for a classifier) K-fold seeded by ``seed``;
    any other value goes through scikit-learn's ``check_cv``."""
    from sklearn.model_selection import KFold, StratifiedKFold, check_cv

    if isinstance(cv, bool) or (isinstance(cv, int) and cv < 2):
        raise ValueError(f"nested_cv: a number of folds must be an integer >= 2, got {cv!r}")
    if isinstance(cv, int):
        if classifier:
            from sklearn.utils.multiclass import type_of_target

            if type_of_target(y) in ("binary", "multiclass"):
                return StratifiedKFold(cv, shuffle=True, random_state=seed)
        return KFold(cv, shuffle=True, random_state=seed)
    return check_cv(cv, y, classifier=classifier)


def _params_of(space: Any) -> ParamsBuilder:
    if isinstance(space, Mapping):
        dists = rheostat.Space(space)
        return lambda trial: {name: trial.suggest(name, d) for name, d in dists.items()}
    if callable(space):
        return space  # type: ignore[no-any-return]
    raise TypeError(
        "nested_cv: space must be a rheostat.Space (or a dict of name -> Distribution) or a "
        f"function trial -> dict of estimator parameters, got {space!r}"
    )


def nested_cv(
    estimator: Any,
    space: rheostat.Space | Mapping[str, rheostat.Distribution] | ParamsBuilder,
    X: Any,  # noqa: N803 - scikit-learn's name
    y: Any = None,
    *,
    outer_cv: Any = 5,
    inner_cv: Any = 3,
    n_trials: int = 20,
    scoring: Any = None,
    groups: Any = None,
    seed: int = 0,
    storage: str | None = None,
    study_name: str = "nested-cv",
) -> NestedCVResult:
    """Estimate the score of ``estimator`` *tuned by rheostat* with nested cross-validation.

    For each split of ``outer_cv``, a new study (seeded ``seed + fold``, direction maximize)
    runs ``n_trials`` trials on the outer-train rows: each trial clones ``estimator``, sets the
    parameters drawn from ``space`` (a ``Space`` of estimator parameter names, nested ones like
    ``"clf__C"`` included, or a function ``trial -> dict`` for conditional spaces) and scores
    them by ``inner_cv`` cross-validation on the outer-train rows with ``scoring`` (a scorer
    name or callable; ``None``: the estimator's ``score``). The best configuration is refitted
    on all outer-train rows and scored once on the outer-test rows.

    ``outer_cv`` / ``inner_cv``: a number of folds (shuffled with ``seed``; stratified for a
    classifier on class labels) or any scikit-learn splitter. ``groups`` are passed to both
    splitters. ``storage``: where the studies are kept (``None``: in memory); they are named
    ``f"{study_name}-fold-{i}"``. Needs ``pip install 'rheostat[sklearn]'``.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"n_neighbors": rheostat.Int(1, 15)}
    >>> result = nested_cv(KNeighborsClassifier(), space, X, y, outer_cv=3, n_trials=4)
    >>> len(result.outer_scores), result.mean > 0.9
    (3, True)
    """
    _sklearn()
    from sklearn.base import is_classifier
    from sklearn.metrics import check_scoring
    from sklearn.utils import _safe_indexing

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"nested_cv: n_trials must be an integer >= 1, got {n_trials!r}")
    params_of = _params_of(space)
    classifier = bool(is_classifier(estimator))
    outer = _splitter(outer_cv, y, classifier, seed)
    scores, chosen, inner_best, tests, studies = [], [], [], [], []
    for fold, (train, test) in enumerate(outer.split(X, y, groups)):
        study = rheostat.create_study(
            study_name=f"{study_name}-fold-{fold}",
            storage=storage,
            direction="maximize",
            seed=seed + fold,
            heartbeat_interval=None,
        )
        part = _Part(
            _safe_indexing(X, train),
            None if y is None else _safe_indexing(y, train),
            None if groups is None else _safe_indexing(groups, train),
        )
        inner = _splitter(inner_cv, part.y, classifier, seed + fold)
        model, params = _tune(study, estimator, params_of, part, inner, scoring, n_trials)
        # the outer-test rows are indexed only now, after the search has finished
        X_te = _safe_indexing(X, test)  # noqa: N806
        y_te = None if y is None else _safe_indexing(y, test)
        scores.append(float(check_scoring(model, scoring=scoring)(model, X_te, y_te)))
        chosen.append(MappingProxyType(params))
        inner_best.append(float(study.best_value))
        tests.append(tuple(int(i) for i in test))
        studies.append(study)
    return NestedCVResult(
        tuple(scores), tuple(chosen), tuple(inner_best), tuple(tests), tuple(studies)
    )


@dataclass(frozen=True)
class _Part:
    """The outer-train rows of one fold: features, targets, groups."""

    X: Any
    y: Any
    groups: Any


def _tune(
    study: rheostat.Study,
    estimator: Any,
    params_of: ParamsBuilder,
    part: _Part,
    inner: Any,
    scoring: Any,
    n_trials: int,
) -> tuple[Any, dict[str, Any]]:
    """Run the search on ``part`` only; return the best configuration refitted on all of
    ``part``, and its estimator parameters."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    built: dict[int, dict[str, Any]] = {}  # trial number -> the estimator's parameters

    def objective(trial: rheostat.Trial) -> float:
        built[trial.number] = dict(params_of(trial))
        model = clone(estimator).set_params(**built[trial.number])
        fold_scores = cross_val_score(
            model,
            part.X,
            part.y,
            groups=part.groups,
            cv=inner,
            scoring=scoring,
            error_score="raise",
        )
        trial.set_user_attr("inner_scores", [float(s) for s in fold_scores])
        return float(fold_scores.mean())

    study.optimize(objective, n_trials=n_trials)
    params = built[study.best_trial.number]
    model = clone(estimator).set_params(**params)
    model.fit(part.X, part.y)
    return model, params
