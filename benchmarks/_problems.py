"""Benchmark problems for ``benchmarks/samplers.py``: a space and a loss to minimize.

Each problem is declared once, as a mapping of parameter names to ``Param`` (float, int or
categorical; log scale; step) and an objective over a ``dict`` of values. The adapters in
``benchmarks/_peers.py`` translate the space for each optimizer.

Synthetic functions have known optima. The scikit-learn problems are cross-validated on datasets
shipped with scikit-learn, with fixed ``random_state`` and fixed folds, so each loss is a
deterministic function of the configuration; their optimum is estimated when scoring (the best
value seen in any run plus a dense random sample). Evaluations are memoized per process.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, Literal

import numpy as np

Value = float | int | str
Config = Mapping[str, Value]

__all__ = ["PROBLEMS", "Param", "Problem", "mixed_hartmann6_optimum"]


@dataclass(frozen=True)
class Param:
    """One dimension: ``kind`` float/int with ``low``/``high`` (``log``, ``step``) or cat."""

    kind: Literal["float", "int", "cat"]
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    step: float | None = None
    choices: tuple[Value, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "cat":
            if not self.choices:
                raise ValueError(f"Param(cat): needs choices, got {self.choices!r}")
        elif not self.low < self.high:
            raise ValueError(f"Param({self.kind}): needs low < high, got {self.low}, {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"Param: log=True needs low > 0, got low={self.low}")
        if self.log and self.step is not None:
            raise ValueError("Param: log=True and step cannot be combined")

    def grid(self) -> list[Value]:
        """The values of a stepped float (every value from ``low`` to ``high``)."""
        if self.step is None:
            raise ValueError("Param.grid: no step")
        n = round((self.high - self.low) / self.step)
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]


def F(low: float, high: float, *, log: bool = False, step: float | None = None) -> Param:  # noqa: N802
    return Param("float", low, high, log=log, step=step)


def I(low: int, high: int, *, log: bool = False) -> Param:  # noqa: N802, E743
    return Param("int", low, high, log=log)


def C(*choices: Value) -> Param:  # noqa: N802
    return Param("cat", choices=tuple(choices))


@dataclass(frozen=True)
class Problem:
    """A loss to minimize over ``space``; ``optimum`` is ``None`` when it must be estimated."""

    name: str
    group: Literal["synthetic", "sklearn"]
    space: Mapping[str, Param]
    fn: Callable[[Config], float]
    optimum: float | None
    note: str = ""
    _memo: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Changes with the space or the note (not the optimum, which only scoring uses)."""
        import hashlib

        text = repr((sorted(self.space.items()), self.note))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def __call__(self, config: Config) -> float:
        key = tuple(config[name] for name in self.space)
        if key not in self._memo:
            self._memo[key] = float(self.fn(config))
        return self._memo[key]


# -- synthetic ---------------------------------------------------------------------------------


def _vec(config: Config, n: int) -> np.ndarray:
    return np.array([float(config[f"x{i}"]) for i in range(n)])


def branin(config: Config) -> float:
    x1, x2 = float(config["x0"]), float(config["x1"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6_x(x: Sequence[float] | np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return -float(_H6_ALPHA @ np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(axis=1)))


def hartmann6(config: Config) -> float:
    return hartmann6_x(_vec(config, 6))


# The categorical level of x2 maps to these coordinates (unordered on purpose).
MIXED_LEVELS = {"a": 0.9, "b": 0.1, "c": 0.5, "d": 0.3, "e": 0.7}


def mixed_hartmann6(config: Config) -> float:
    x = [
        int(config["i0"]) / 10,
        int(config["i1"]) / 10,
        MIXED_LEVELS[str(config["c2"])],
        *(float(config[f"x{i}"]) for i in (3, 4, 5)),
    ]
    return hartmann6_x(x)


def mixed_hartmann6_optimum() -> tuple[float, tuple[Any, ...]]:
    """Brute force over the 11 x 11 x 5 discrete part, L-BFGS-B from 27 starts on the rest.

    Takes ~10 CPU minutes; its result is the constant ``MIXED_H6_OPTIMUM``.
    """
    import itertools

    from scipy.optimize import minimize

    best: tuple[float, tuple[Any, ...]] = (math.inf, ())
    starts = list(itertools.product([0.15, 0.5, 0.85], repeat=3))
    for i, j in itertools.product(range(11), repeat=2):
        for level, u in MIXED_LEVELS.items():
            for s in starts:
                res = minimize(
                    lambda z, i=i, j=j, u=u: hartmann6_x([i / 10, j / 10, u, *z]),
                    s,
                    method="L-BFGS-B",
                    bounds=[(0, 1)] * 3,
                    options={"ftol": 1e-15, "gtol": 1e-12},
                )
                if res.fun < best[0]:
                    best = (float(res.fun), (i, j, level, *map(float, res.x)))
    return best


MIXED_H6_OPTIMUM = -3.290007875589544  # at i0=2, i1=2, c2="c", x3..x5=(0.2743, 0.3120, 0.6578)


# Ackley's minimum is at the centre of its standard box, which an optimizer that tries the centre
# first (Nevergrad's do) finds at once; we move it to this fixed point (first d coordinates).
ACKLEY_SHIFT = np.random.default_rng(0).uniform(-16.384, 16.384, size=10)


def ackley(config: Config, d: int) -> float:
    x = _vec(config, d) - ACKLEY_SHIFT[:d]
    a, b, c = 20.0, 0.2, 2 * math.pi
    return float(
        -a * math.exp(-b * math.sqrt(float(np.mean(x**2))))
        - math.exp(float(np.mean(np.cos(c * x))))
        + a
        + math.e
    )


def rosenbrock(config: Config, d: int) -> float:
    x = _vec(config, d)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


# Levy's minimum, at (1, ..., 1), sits near the centre of its box [-10, 10]^d, where f = 1.44 in
# 10-D: an optimizer that tries the centre first scores 96 at once (random search's best after 50
# trials is 35). As with Ackley, we move it to 1 + LEVY_SHIFT (first d coordinates), inside the box.
LEVY_SHIFT = np.random.default_rng(1).uniform(-7.0, 7.0, size=10)


def levy(config: Config, d: int) -> float:
    x = _vec(config, d) - LEVY_SHIFT[:d]
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def _box(d: int, low: float, high: float) -> dict[str, Param]:
    return {f"x{i}": F(low, high) for i in range(d)}


# -- scikit-learn ------------------------------------------------------------------------------


@cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Features, target and fixed folds (stratified 3-fold for classification, 3-fold else)."""
    from sklearn import datasets
    from sklearn.model_selection import KFold, StratifiedKFold

    if name == "digits-subsample":
        x, y = datasets.load_digits(return_X_y=True)
        keep = np.random.default_rng(0).permutation(len(y))[:600]
        x, y = x[keep], y[keep]
    elif name == "diabetes-poly2":
        from sklearn.preprocessing import PolynomialFeatures

        x, y = datasets.load_diabetes(return_X_y=True)
        x = PolynomialFeatures(2, include_bias=False).fit_transform(x)
    else:
        x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    if name.startswith("diabetes"):
        folds = list(KFold(3, shuffle=True, random_state=0).split(x))
    else:
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(x, y))
    return x, y, folds


def _cv_loss(model: Any, data: str, *, scale: bool, regression: bool = False) -> float:
    """1 - mean CV accuracy, or mean CV MSE for regression; features scaled inside each fold."""
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import mean_squared_error
    from sklearn.preprocessing import StandardScaler

    x, y, folds = _data(data)
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for train, test in folds:
            x_train, x_test = x[train], x[test]
            if scale:
                scaler = StandardScaler().fit(x_train)
                x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
            fitted = clone(model).fit(x_train, y[train])
            if regression:
                losses.append(mean_squared_error(y[test], fitted.predict(x_test)))
            else:
                losses.append(1.0 - float(np.mean(fitted.predict(x_test) == y[test])))
    return float(np.mean(losses))


def svc_breast(c: Config) -> float:
    from sklearn.svm import SVC

    return _cv_loss(SVC(C=c["C"], gamma=c["gamma"]), "breast_cancer", scale=True)


def knn_wine(c: Config) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(n_neighbors=int(c["n_neighbors"]), weights=c["weights"], p=c["p"])
    return _cv_loss(model, "wine", scale=True)


def rf_wine(c: Config) -> float:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(
        n_estimators=int(c["n_estimators"]),
        max_depth=int(c["max_depth"]),
        min_samples_split=int(c["min_samples_split"]),
        max_features=float(c["max_features"]),
        random_state=0,
    )
    return _cv_loss(model, "wine", scale=False)


def adaboost_breast(c: Config) -> float:
    from sklearn.ensemble import AdaBoostClassifier

    model = AdaBoostClassifier(
        n_estimators=int(c["n_estimators"]), learning_rate=float(c["learning_rate"]), random_state=0
    )
    return _cv_loss(model, "breast_cancer", scale=False)


def elasticnet_diabetes(c: Config) -> float:
    from sklearn.linear_model import ElasticNet

    model = ElasticNet(alpha=float(c["alpha"]), l1_ratio=float(c["l1_ratio"]), max_iter=2000)
    return _cv_loss(model, "diabetes-poly2", scale=True, regression=True)


def mlp_wine(c: Config) -> float:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(c["hidden"]),),
        alpha=float(c["alpha"]),
        learning_rate_init=float(c["learning_rate_init"]),
        max_iter=20,
        random_state=0,
    )
    return _cv_loss(model, "wine", scale=True)


def tree_digits(c: Config) -> float:
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(
        max_depth=int(c["max_depth"]),
        min_samples_split=int(c["min_samples_split"]),
        min_samples_leaf=int(c["min_samples_leaf"]),
        criterion=str(c["criterion"]),
        max_features=float(c["max_features"]),
        random_state=0,
    )
    return _cv_loss(model, "digits", scale=False)


def _problems() -> dict[str, Problem]:
    probs = [
        Problem(
            "branin", "synthetic", _box(1, -5, 10) | {"x1": F(0, 15)}, branin, 0.39788735772973816
        ),
        Problem("hartmann6", "synthetic", _box(6, 0, 1), hartmann6, -3.322368011415515),
        Problem(
            "hartmann6-mixed",
            "synthetic",
            {"i0": I(0, 10), "i1": I(0, 10), "c2": C(*MIXED_LEVELS)}
            | {f"x{i}": F(0, 1) for i in (3, 4, 5)},
            mixed_hartmann6,
            MIXED_H6_OPTIMUM,
            "x0, x1 = integer / 10; x2 = one of 5 unordered levels; optimum by brute force "
            "over the discrete part + L-BFGS-B (mixed_hartmann6_optimum)",
        ),
        *(
            Problem(
                f"ackley{d}",
                "synthetic",
                _box(d, -32.768, 32.768),
                partial(ackley, d=d),
                0.0,
                "minimum 0 moved from the centre of the box to ACKLEY_SHIFT "
                "(numpy default_rng(0), uniform in [-16.384, 16.384])",
            )
            for d in (5, 10)
        ),
        Problem("rosenbrock5", "synthetic", _box(5, -5, 10), lambda c: rosenbrock(c, 5), 0.0),
        Problem(
            "levy10",
            "synthetic",
            _box(10, -10, 10),
            lambda c: levy(c, 10),
            0.0,
            "minimum 0 moved from (1, ..., 1), near the centre of the box, to 1 + LEVY_SHIFT "
            "(numpy default_rng(1), uniform in [-7, 7])",
        ),
        Problem(
            "svc-breast",
            "sklearn",
            {"C": F(1e-2, 1e3, log=True), "gamma": F(1e-5, 1e1, log=True)},
            svc_breast,
            None,
            "SVC on standardized breast_cancer; 1 - accuracy",
        ),
        Problem(
            "knn-wine",
            "sklearn",
            {"n_neighbors": I(1, 50), "weights": C("uniform", "distance"), "p": C(1, 2)},
            knn_wine,
            None,
            "KNeighborsClassifier on standardized wine; 1 - accuracy",
        ),
        Problem(
            "rf-wine",
            "sklearn",
            {
                "n_estimators": I(5, 30),
                "max_depth": I(1, 12),
                "min_samples_split": I(2, 20),
                "max_features": F(0.1, 1.0),
            },
            rf_wine,
            None,
            "RandomForestClassifier on wine; 1 - accuracy",
        ),
        Problem(
            "adaboost-breast",
            "sklearn",
            {"n_estimators": I(5, 25, log=True), "learning_rate": F(1e-3, 10.0, log=True)},
            adaboost_breast,
            None,
            "AdaBoostClassifier (stumps) on breast_cancer; 1 - accuracy",
        ),
        Problem(
            "elasticnet-diabetes",
            "sklearn",
            {"alpha": F(1e-4, 100.0, log=True), "l1_ratio": F(0.0, 1.0, step=0.05)},
            elasticnet_diabetes,
            None,
            "ElasticNet on diabetes with degree-2 polynomial features (65, standardized); MSE",
        ),
        Problem(
            "mlp-wine",
            "sklearn",
            {
                "hidden": I(4, 64, log=True),
                "alpha": F(1e-6, 1e-1, log=True),
                "learning_rate_init": F(1e-4, 1e-1, log=True),
            },
            mlp_wine,
            None,
            "MLPClassifier (1 hidden layer, 20 epochs of adam) on standardized wine; 1 - accuracy",
        ),
        Problem(
            "tree-digits",
            "sklearn",
            {
                "max_depth": I(1, 30),
                "min_samples_split": I(2, 40),
                "min_samples_leaf": I(1, 20),
                "criterion": C("gini", "entropy"),
                "max_features": F(0.1, 1.0),
            },
            tree_digits,
            None,
            "DecisionTreeClassifier on digits; 1 - accuracy",
        ),
    ]
    return {p.name: p for p in probs}


PROBLEMS = _problems()
