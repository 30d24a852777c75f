"""Nested cross-validation: no outer-test row reaches the search, and the estimate is real."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rheostat
from rheostat.integrations.sklearn import NestedCVResult, nested_cv

CALLS: list[tuple[str, frozenset[int]]] = []
"""(method, row ids) for every fit / predict of ``RowLogger``, in call order."""


class RowLogger(ClassifierMixin, BaseEstimator):
    """A logistic regression whose first column is a row id: it logs the ids it is fit on or
    asked to predict, and learns from the other columns only."""

    def __init__(self, C: float = 1.0) -> None:  # noqa: N803
        self.C = C

    def fit(self, X: Any, y: Any) -> RowLogger:  # noqa: N803
        CALLS.append(("fit", frozenset(int(i) for i in X[:, 0])))
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C))
        self.model_.fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: Any) -> Any:  # noqa: N803
        CALLS.append(("predict", frozenset(int(i) for i in X[:, 0])))
        return self.model_.predict(X[:, 1:])


@pytest.fixture(scope="module")
def cancer() -> tuple[Any, Any]:
    x, y = load_breast_cancer(return_X_y=True)
    return x[:, :10], y


def test_outer_test_rows_never_reach_the_search(cancer: tuple[Any, Any]) -> None:
    x, y = cancer
    ids = np.arange(len(y), dtype=float)[:, None]
    CALLS.clear()
    n_trials, inner_cv = 4, 3
    result = nested_cv(
        RowLogger(),
        {"C": rheostat.Float(1e-3, 1e2, log=True)},
        np.hstack([ids, x]),
        y,
        outer_cv=3,
        inner_cv=inner_cv,
        n_trials=n_trials,
        scoring="accuracy",
        seed=1,
    )
    tests = [frozenset(t) for t in result.test_indices]
    assert len(tests) == 3
    assert sorted(i for t in tests for i in t) == list(range(len(y)))  # a partition of the rows
    calls = list(CALLS)
    for fold, test in enumerate(tests):
        # the fold's calls run until the one call that touches its outer-test rows
        end = next(i for i, (_, rows) in enumerate(calls) if rows & test)
        search, final, calls = calls[:end], calls[end], calls[end + 1 :]
        assert final == ("predict", test), f"fold {fold}: outer test scored as {final[0]}"
        fits = [rows for method, rows in search if method == "fit"]
        # every trial fits once per inner fold, then the best is refitted on the outer train
        assert len(fits) == n_trials * inner_cv + 1
        assert fits[-1] == frozenset(range(len(y))) - test
        assert all(not (rows & test) for _, rows in search)
    assert calls == []
    # the search saw only inner scores: no trial's value is an outer score
    for study in result.studies:
        assert len(study.trials) == n_trials
        values = {t.value for t in study.trials}
        assert all(len(t.user_attrs["inner_scores"]) == inner_cv for t in study.trials)
        assert study.best_value == max(v for v in values if v is not None)


def test_estimate_on_breast_cancer_is_a_real_score(cancer: tuple[Any, Any]) -> None:
    x, y = cancer
    model = make_pipeline(StandardScaler(), LogisticRegression())
    space = {"logisticregression__C": rheostat.Float(1e-4, 1e2, log=True)}
    result = nested_cv(model, space, x, y, outer_cv=3, inner_cv=3, n_trials=6, seed=0)
    assert isinstance(result, NestedCVResult)
    majority = max(np.mean(y), 1 - np.mean(y))  # 0.63: what a constant guess scores
    assert all(0.0 <= s <= 1.0 for s in result.outer_scores)
    assert result.mean > majority + 0.2, result
    assert 0.0 <= result.std < 0.1
    for params in result.best_params:
        assert set(params) == {"logisticregression__C"}
        assert 1e-4 <= params["logisticregression__C"] <= 1e2
    assert result.optimism == pytest.approx(
        np.mean(result.inner_best_scores) - np.mean(result.outer_scores)
    )
    # the same seed gives the same folds, trials and scores
    again = nested_cv(model, space, x, y, outer_cv=3, inner_cv=3, n_trials=6, seed=0)
    assert again == result


def test_a_params_builder_gives_conditional_spaces(cancer: tuple[Any, Any]) -> None:
    x, y = cancer

    def params(trial: rheostat.Trial) -> dict[str, Any]:
        penalty = trial.suggest_categorical("penalty", ["l2", "none"])
        if penalty == "none":
            return {"logisticregression__C": 1e6}
        return {"logisticregression__C": trial.suggest_float("C", 1e-3, 1e2, log=True)}

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    result = nested_cv(model, params, x, y, outer_cv=2, inner_cv=2, n_trials=3, seed=3)
    assert len(result.outer_scores) == 2
    assert all(set(p) == {"logisticregression__C"} for p in result.best_params)


def test_bad_arguments_are_explained(cancer: tuple[Any, Any]) -> None:
    x, y = cancer
    with pytest.raises(TypeError, match="space must be"):
        nested_cv(LogisticRegression(), 3, x, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_trials must be"):
        nested_cv(LogisticRegression(), {}, x, y, n_trials=0)
    with pytest.raises(ValueError, match="folds must be an integer >= 2"):
        nested_cv(LogisticRegression(), {}, x, y, outer_cv=1)


def test_missing_sklearn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_sklearn(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    monkeypatch.delitem(sys.modules, "sklearn", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'rheostat\[sklearn\]'"):
        nested_cv(object(), {}, [[0.0]], [0])
