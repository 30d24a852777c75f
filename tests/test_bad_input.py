"""A catalogue of bad inputs across the public API.

Each case asserts the exception type and that the message names the parameter, shows the offending
value and hints at the fix. Studies live in real SQLite files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rheostat import (
    Categorical,
    DuplicatedStudyError,
    Float,
    Int,
    Space,
    Study,
    StudyNotFoundError,
    TrialState,
    create_study,
    load_study,
)
from rheostat.samplers import GridSampler
from rheostat.schedulers import MedianPruner, PercentilePruner


@dataclass(frozen=True)
class Ctx:
    """Study 'base' (minimize) in SQLite; trial 0 is COMPLETE with x from Float(0.0, 1.0)."""

    study: Study
    url: str


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Ctx]:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    study = create_study(study_name="base", storage=url, seed=0)
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    study.tell(trial, 0.5)
    yield Ctx(study, url)
    study.storage.close()


class Widget:
    def __repr__(self) -> str:
        return "Widget()"


def _suggest_twice(c: Ctx) -> None:
    trial = c.study.ask()
    trial.suggest_float("y", 0.0, 1.0)
    trial.suggest_int("y", 0, 1)


def _finished_trial(c: Ctx) -> None:
    trial = c.study.ask()
    c.study.tell(trial, 1.0)
    trial.suggest_float("z", 0.0, 1.0)


def case(id_: str, fn: Callable[[Ctx], Any], exc: type[Exception], *fragments: str) -> Any:
    return pytest.param(fn, exc, fragments, id=id_)


CASES = [
    # -- distributions -----------------------------------------------------------------------------
    case(
        "float-log-low-zero",
        lambda c: Float(0.0, 1.0, log=True),
        ValueError,
        "log=True needs low > 0",
        "low=0.0",
        "To include 0, make whether to use the parameter",
    ),
    case(
        "float-low-above-high",
        lambda c: Float(2.0, 1.0),
        ValueError,
        "low must be <= high",
        "low=2.0 > high=1.0",
        "swap them",
    ),
    case(
        "int-low-above-high",
        lambda c: Int(5, 1),
        ValueError,
        "low must be <= high",
        "low=5 > high=1",
        "swap them",
    ),
    case(
        "float-step-not-dividing",
        lambda c: Float(0.0, 1.0, step=0.3),
        ValueError,
        "step=0.3 does not divide high - low = 1.0",
        "use high=0.9",
    ),
    case(
        "int-step-not-dividing",
        lambda c: Int(0, 10, step=3),
        ValueError,
        "step=3 does not divide high - low = 10",
        "use high=9",
    ),
    case(
        "float-step-with-log",
        lambda c: Float(0.1, 1.0, step=0.1, log=True),
        ValueError,
        "step=0.1",
        "step and log=True cannot be combined",
        "drop step",
    ),
    case(
        "float-step-zero",
        lambda c: Float(0.0, 1.0, step=0),
        ValueError,
        "step must be a positive number",
        "step=0",
    ),
    case(
        "int-log-with-step",
        lambda c: Int(1, 10, log=True, step=3),
        ValueError,
        "log=True needs step=1",
        "step=3",
        "drop step, or set log=False",
    ),
    case(
        "int-log-low-zero",
        lambda c: Int(0, 10, log=True),
        ValueError,
        "log=True needs low >= 1",
        "low=0",
        "shift the range",
    ),
    case(
        "int-float-bounds",
        lambda c: Int(0.5, 10),
        TypeError,
        "low must be an integer",
        "got 0.5",
        "use Float for real numbers",
    ),
    case(
        "float-infinite-bound",
        lambda c: Float(0.0, math.inf),
        ValueError,
        "high=inf",
        "low and high must be finite",
        "give a bounded range",
    ),
    case(
        "float-nan-bound",
        lambda c: Float(math.nan, 1.0),
        ValueError,
        "low=nan",
        "low and high must be finite",
        "give a bounded range",
    ),
    case(
        "float-bool-bound",
        lambda c: Float(True, 2.0),
        TypeError,
        "low and high must be numbers",
        "got True and 2.0",
    ),
    case(
        "categorical-empty",
        lambda c: Categorical([]),
        ValueError,
        "choices=[]",
        "choices must not be empty",
        "give at least one value",
    ),
    case(
        "categorical-list-choice",
        lambda c: Categorical([[1, 2], 3]),
        TypeError,
        "choice [1, 2] of type list cannot be stored as JSON",
        "use None, bool, int, float or str",
    ),
    case(
        "categorical-object-choice",
        lambda c: Categorical(["a", Widget()]),
        TypeError,
        "choice Widget() of type Widget",
        "a name that the objective maps to the object",
    ),
    case(
        "categorical-duplicate",
        lambda c: Categorical(["a", "b", "a"]),
        ValueError,
        "choices=['a', 'b', 'a']",
        "choice 'a' appears twice",
        "list each choice once",
    ),
    case(
        "categorical-string",
        lambda c: Categorical("abc"),
        TypeError,
        "choices='abc'",
        "must be a list or tuple",
        "Categorical(['abc'])",
    ),
    case(
        "categorical-nan-choice",
        lambda c: Categorical([1.0, math.nan]),
        ValueError,
        "choice nan is not finite",
        "use a string such as 'inf'",
    ),
    case(
        "space-not-a-distribution",
        lambda c: Space({"lr": 0.1}),
        TypeError,
        "parameter 'lr' has 0.1",
        "use Float(low, high)",
    ),
    # -- suggestions -------------------------------------------------------------------------------
    case(
        "suggest-names-the-parameter",
        lambda c: c.study.ask().suggest_float("lr", 0.0, 1.0, log=True),
        ValueError,
        "parameter 'lr'",
        "low=0.0",
        "To include 0",
    ),
    case(
        "suggest-two-distributions-in-one-trial",
        _suggest_twice,
        ValueError,
        "parameter 'y'",
        "Float(0.0, 1.0)",
        "Int(0, 1)",
        "suggest each name with one distribution",
    ),
    case(
        "suggest-two-distributions-in-one-study",
        lambda c: c.study.ask().suggest_float("x", 0.0, 2.0),
        ValueError,
        "parameter 'x'",
        "Float(0.0, 2.0)",
        "Float(0.0, 1.0)",
        "use the same distribution",
    ),
    case(
        "suggest-bad-name",
        lambda c: c.study.ask().suggest_float(" x", 0.0, 1.0),
        ValueError,
        "parameter name ' x'",
        "no leading or trailing spaces",
    ),
    case(
        "suggest-after-the-trial-finished",
        _finished_trial,
        RuntimeError,
        "trial 1 has finished",
        "ask for a new trial",
    ),
    case(
        "user-attr-not-json",
        lambda c: c.study.ask().set_user_attr("model", Widget()),
        TypeError,
        "user attribute 'model'",
        "Widget()",
        "store plain numbers, strings, lists and dicts",
    ),
    # -- storage and studies -----------------------------------------------------------------------
    case(
        "storage-unknown-scheme",
        lambda c: create_study(storage="foo://x"),
        ValueError,
        "storage='foo://x'",
        "unknown storage URL (scheme 'foo')",
        "'sqlite:///study.db'",
    ),
    case(
        "storage-file-without-scheme",
        lambda c: create_study(storage="study.db"),
        ValueError,
        "storage='study.db'",
        "scheme 'missing'",
        "'sqlite:///study.db'",
    ),
    case(
        "storage-sqlite-two-slashes",
        lambda c: create_study(storage="sqlite://study.db"),
        ValueError,
        "storage='sqlite://study.db'",
        "needs three slashes",
        "'sqlite:///study.db'",
    ),
    case(
        "storage-not-a-url",
        lambda c: create_study(storage=42),
        TypeError,
        "storage=42 is not a URL",
        "pass None, 'sqlite:///study.db' or a Storage",
    ),
    case(
        "load-missing-study",
        lambda c: load_study("nope", c.study.storage),
        StudyNotFoundError,
        "no study named 'nope'",
        "rheostat studies --storage",
    ),
    case(
        "create-twice",
        lambda c: create_study(study_name="base", storage=c.study.storage),
        DuplicatedStudyError,
        "study named 'base' already exists",
        "pass load_if_exists=True",
    ),
    case(
        "load-if-exists-other-directions",
        lambda c: create_study(
            study_name="base",
            storage=c.study.storage,
            load_if_exists=True,
            directions=["minimize", "maximize"],
        ),
        ValueError,
        "study 'base' exists with directions ['minimize']",
        "not ['minimize', 'maximize']",
        "pass the same directions",
    ),
    case(
        "direction-misspelt",
        lambda c: create_study(direction="minimise"),
        ValueError,
        "direction 'minimise' is not valid",
        "use 'minimize' or 'maximize'",
    ),
    case(
        "direction-and-directions",
        lambda c: create_study(direction="minimize", directions=["maximize"]),
        ValueError,
        "direction='minimize'",
        "directions=['maximize']",
        "not both",
    ),
    case(
        "directions-empty",
        lambda c: create_study(directions=[]),
        ValueError,
        "directions must be a non-empty list",
        "got []",
        "such as ['minimize', 'maximize']",
    ),
    case(
        "directions-a-string",
        lambda c: create_study(directions="minimize"),
        ValueError,
        "directions must be a non-empty list",
        "got 'minimize'",
    ),
    case(
        "study-name-empty",
        lambda c: create_study(study_name=""),
        ValueError,
        "study_name=''",
        "must be a non-empty str",
    ),
    case(
        "seed-not-an-int",
        lambda c: create_study(seed="1"),
        TypeError,
        "seed='1'",
        "must be an int or None",
    ),
    case(
        "sampler-not-a-sampler",
        lambda c: create_study(sampler="random"),
        TypeError,
        "sampler='random' is not a Sampler",
        "rheostat.samplers.RandomSampler()",
    ),
    case(
        "scheduler-not-a-scheduler",
        lambda c: create_study(scheduler="median"),
        TypeError,
        "scheduler='median' is not a Scheduler",
        "rheostat.schedulers.MedianPruner()",
    ),
    # -- tell --------------------------------------------------------------------------------------
    case(
        "tell-value-and-values",
        lambda c: c.study.tell(c.study.ask(), 1.0, values=[1.0]),
        ValueError,
        "value=1.0",
        "values=[1.0]",
        "give value (one objective) or values",
    ),
    case(
        "tell-state-running",
        lambda c: c.study.tell(c.study.ask(), 1.0, state="RUNNING"),
        ValueError,
        "state='RUNNING' is not a final state",
        "use 'COMPLETE', 'PRUNED' or 'FAILED'",
    ),
    case(
        "tell-unknown-number",
        lambda c: c.study.tell(99, 1.0),
        ValueError,
        "has no trial 99",
        "pass a trial that ask() returned",
    ),
    case(
        "tell-negative-number",
        lambda c: c.study.tell(-1, 1.0),
        TypeError,
        "got -1",
        "expected a Trial or a trial number",
    ),
    case(
        "tell-a-finished-trial-again",
        lambda c: c.study.tell(0, 0.7),
        ValueError,
        "trial 0 is already COMPLETE",
        "a finished trial never changes",
    ),
    # -- optimize ----------------------------------------------------------------------------------
    case(
        "optimize-negative-n-trials",
        lambda c: c.study.optimize(lambda t: 1.0, n_trials=-1),
        ValueError,
        "n_trials must be an integer >= 0",
        "got -1",
    ),
    case(
        "optimize-zero-timeout",
        lambda c: c.study.optimize(lambda t: 1.0, timeout=0),
        ValueError,
        "timeout must be a number of seconds > 0",
        "got 0",
    ),
    case(
        "optimize-zero-workers",
        lambda c: c.study.optimize(lambda t: 1.0, n_trials=1, n_workers=0),
        ValueError,
        "n_workers must be an integer >= 1",
        "got 0",
        "-1 for one per CPU",
    ),
    case(
        "optimize-objective-not-callable",
        lambda c: c.study.optimize(42, n_trials=1),
        TypeError,
        "objective must be a function taking a trial",
        "got 42",
    ),
    case(
        "optimize-catch-not-an-exception",
        lambda c: c.study.optimize(lambda t: 1.0, n_trials=1, catch=(int,)),
        TypeError,
        "catch must hold exception classes such as ValueError",
        "got <class 'int'>",
    ),
    case(
        "optimize-catch-a-string",
        lambda c: c.study.optimize(lambda t: 1.0, n_trials=1, catch="ValueError"),
        TypeError,
        "catch must be an exception class or a tuple of them",
        "got 'ValueError'",
    ),
    case(
        "optimize-callback-not-callable",
        lambda c: c.study.optimize(lambda t: 1.0, n_trials=1, callbacks=[1]),
        TypeError,
        "each callback must be callable",
        "got 1",
    ),
    # -- enqueue and report ------------------------------------------------------------------------
    case(
        "enqueue-non-json-value",
        lambda c: c.study.enqueue_trial({"x": [1, 2]}),
        TypeError,
        "parameter 'x' has value [1, 2] of type list",
        "use None, bool, int, float or str",
    ),
    case(
        "enqueue-value-outside-distribution",
        lambda c: c.study.enqueue_trial({"x": 5.0}),
        ValueError,
        "parameter 'x' = 5.0 is not in Float(0.0, 1.0)",
        "change the value",
    ),
    case(
        "enqueue-not-a-dict",
        lambda c: c.study.enqueue_trial([("x", 0.5)]),
        TypeError,
        "params must be a dict of name -> value",
        "got [('x', 0.5)]",
    ),
    case(
        "report-negative-step",
        lambda c: c.study.ask().report(1.0, step=-1),
        ValueError,
        "step must be an integer >= 0",
        "got -1",
    ),
    case(
        "report-non-numeric-value",
        lambda c: c.study.ask().report("high", step=1),
        TypeError,
        "reported value 'high' at step 1 is not a number",
        "report a float",
    ),
    # -- samplers and schedulers -------------------------------------------------------------------
    case(
        "grid-empty",
        lambda c: GridSampler({}),
        ValueError,
        "search_space={}",
        "the grid is empty",
        "e.g. {'C': [0.1, 1, 10]}",
    ),
    case(
        "grid-parameter-without-values",
        lambda c: GridSampler({"C": []}),
        ValueError,
        "parameter 'C' has no values",
        "list at least one value",
    ),
    case(
        "grid-values-a-string",
        lambda c: GridSampler({"C": "abc"}),
        TypeError,
        "parameter 'C' has 'abc'",
        "give a list of values",
    ),
    case(
        "median-pruner-negative-startup",
        lambda c: MedianPruner(n_startup_trials=-1),
        ValueError,
        "n_startup_trials must be an integer >= 0",
        "got -1",
    ),
    case(
        "percentile-out-of-range",
        lambda c: PercentilePruner(150),
        ValueError,
        "percentile must be in [0, 100]",
        "got 150",
    ),
]


def test_the_catalogue_is_long_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("fn", "exc", "fragments"), CASES)
def test_bad_input_raises_a_clear_error(
    ctx: Ctx, fn: Callable[[Ctx], Any], exc: type[Exception], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(exc) as info:
        fn(ctx)
    assert type(info.value) is exc
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{message!r} lacks {missing}"


def test_a_password_in_a_bad_storage_url_is_masked() -> None:
    with pytest.raises(ValueError, match=r"unknown storage URL") as info:
        create_study(storage="postgressql://alice:hunter2@db.example/optuna")
    assert "hunter2" not in str(info.value)
    assert "alice:***@db.example" in str(info.value)


# -- results that fail the trial, not the study ------------------------------------------------


@pytest.mark.parametrize(
    ("directions", "returned", "fragments"),
    [
        pytest.param(
            ["minimize"], None, ("the objective value is None", "forget `return`"), id="none"
        ),
        pytest.param(
            ["minimize"], math.nan, ("the objective value is nan", "a finite number"), id="nan"
        ),
        pytest.param(
            ["minimize"], math.inf, ("the objective value is inf", "a finite number"), id="inf"
        ),
        pytest.param(
            ["minimize"], "0.5", ("'0.5' of type str, not a number", "return a float"), id="string"
        ),
        pytest.param(
            ["minimize"],
            (1.0, 2.0),
            ("(1.0, 2.0) of type tuple", "return a float"),
            id="two-values-for-one-objective",
        ),
        pytest.param(
            ["minimize", "maximize"],
            1.0,
            ("returned 1.0", "has 2 objectives", "return a tuple of 2 numbers"),
            id="one-value-for-two-objectives",
        ),
        pytest.param(
            ["minimize", "maximize"],
            (1.0, 2.0, 3.0),
            ("returned 3 values", "2 directions", "return exactly 2 numbers"),
            id="three-values-for-two-objectives",
        ),
        pytest.param(
            ["minimize", "maximize"],
            (1.0, math.nan),
            ("objective value 1 is nan", "a finite number"),
            id="nan-in-values",
        ),
    ],
)
def test_a_bad_objective_result_fails_the_trial_with_the_reason(
    tmp_path: Path, directions: list[str], returned: object, fragments: tuple[str, ...]
) -> None:
    study = create_study(storage=f"sqlite:///{tmp_path / 'r.db'}", directions=directions)
    try:
        good = 1.0 if len(directions) == 1 else (1.0, 2.0)
        results = iter([returned, good])
        study.optimize(lambda t: next(results), n_trials=2)
        first, second = study.trials
        assert first.state is TrialState.FAILED
        assert first.values is None
        assert first.message is not None
        assert all(f in first.message for f in fragments), first.message
        assert second.state is TrialState.COMPLETE  # the study went on
        reloaded = load_study(study.study_name, study.storage).trials[0]
        assert (reloaded.state, reloaded.message) == (first.state, first.message)
    finally:
        study.storage.close()


def test_tell_with_a_bad_value_fails_the_trial_with_the_reason(ctx: Ctx) -> None:
    record = ctx.study.tell(ctx.study.ask(), math.nan)
    assert record.state is TrialState.FAILED
    assert record.message == "the objective value is nan; a trial must end with a finite number"
