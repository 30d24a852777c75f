"""Several objectives: tell values, the Pareto front, and errors that point to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import rheostat
from rheostat import Direction, Study, Trial, TrialState


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    s = rheostat.create_study(
        study_name="mo",
        storage=f"sqlite:///{tmp_path / 'mo.db'}",
        directions=["minimize", "maximize"],
    )
    yield s
    s.storage.close()


# (minimize f0, maximize f1)
POINTS = [
    (1.0, 1.0),  # 0 front: nothing has f0 <= 1 and f1 >= 1 but itself
    (2.0, 3.0),  # 1 front
    (3.0, 3.0),  # 2 dominated by 1
    (0.0, 0.0),  # 3 front: the lowest f0
    (2.0, 3.0),  # 4 front: equal to 1, and equal points do not dominate each other
    (4.0, 5.0),  # 5 front: the highest f1
    (1.0, 0.5),  # 6 dominated by 0
    (3.0, 4.0),  # 7 front
    (5.0, 5.0),  # 8 dominated by 5
]
FRONT = [0, 1, 3, 4, 5, 7]


def _tell_points(study: Study, points: list[tuple[float, float]]) -> None:
    for point in points:
        study.tell(study.ask(), values=point)


def test_directions(study: Study) -> None:
    assert study.directions == (Direction.MINIMIZE, Direction.MAXIMIZE)
    with pytest.raises(ValueError, match=r"2 objectives; use \.directions"):
        _ = study.direction


def test_best_trials_is_the_pareto_front(study: Study) -> None:
    _tell_points(study, POINTS)
    # trials that did not complete never belong to the front, however good their values
    study.tell(study.ask(), state="FAILED", message="no")
    pruned = study.ask()
    pruned.report(-100.0, step=0)
    study.tell(pruned, state="PRUNED")
    study.ask()  # RUNNING
    study.tell(study.ask(), values=(float("nan"), 100.0))  # invalid: FAILED
    front = study.best_trials
    assert [t.number for t in front] == FRONT
    assert all(t.state is TrialState.COMPLETE for t in front)
    assert [t.values for t in front] == [POINTS[i] for i in FRONT]


def test_best_trials_matches_brute_force(study: Study) -> None:
    rng = np.random.default_rng(5)
    points = [(float(a), float(b)) for a, b in rng.integers(0, 8, size=(60, 2))]
    _tell_points(study, points)
    expected = []
    for i, (a, b) in enumerate(points):
        dominated = any(
            c <= a and d >= b and (c, d) != (a, b) for j, (c, d) in enumerate(points) if j != i
        )
        if not dominated:
            expected.append(i)
    assert [t.number for t in study.best_trials] == expected
    assert 1 <= len(expected) < len(points)


def test_best_trials_for_three_objectives() -> None:
    study = rheostat.create_study(directions=["maximize", "maximize", "minimize"])
    points = [(1.0, 1.0, 1.0), (1.0, 1.0, 2.0), (2.0, 0.0, 1.0), (0.0, 0.0, 0.0), (0.5, 0.5, 1.0)]
    _tell_points_n(study, points)
    assert [t.number for t in study.best_trials] == [0, 2, 3]


def _tell_points_n(study: Study, points: list[tuple[float, ...]]) -> None:
    for point in points:
        study.tell(study.ask(), values=point)


def test_best_trials_single_objective_is_every_best_tie() -> None:
    study = rheostat.create_study(direction="maximize")
    for v in (1.0, 3.0, 2.0, 3.0):
        study.tell(study.ask(), v)
    assert [t.number for t in study.best_trials] == [1, 3]
    assert study.best_trial.number == 1


def test_best_trials_empty(study: Study) -> None:
    assert study.best_trials == []
    study.tell(study.ask(), state="FAILED")
    assert study.best_trials == []


def test_best_trial_raises_with_a_hint(study: Study) -> None:
    _tell_points(study, POINTS)
    with pytest.raises(ValueError, match="best_trials"):
        _ = study.best_trial
    with pytest.raises(ValueError, match="best_trials"):
        _ = study.best_value
    with pytest.raises(ValueError, match="best_trials"):
        _ = study.best_params
    with pytest.raises(ValueError, match=r"use \.values"):
        _ = study.trials[0].value


def test_optimize_multiobjective(study: Study) -> None:
    def objective(trial: Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        return x, x * x  # minimizing x and maximizing x^2 conflict: every trial is optimal

    study.optimize(objective, n_trials=20)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert all(len(t.values or ()) == 2 for t in study.trials)
    assert len(study.best_trials) == 20


def test_tell_values_counts(study: Study) -> None:
    record = study.tell(study.ask(), values=[1, 2])
    assert record.values == (1.0, 2.0)
    assert all(type(v) is float for v in record.values)
    bad = study.tell(study.ask(), 1.0)
    assert bad.state is TrialState.FAILED
    assert "2 objectives" in (bad.message or "")
    three = study.tell(study.ask(), values=[1.0, 2.0, 3.0])
    assert three.state is TrialState.FAILED
    assert "3 values" in (three.message or "")


def test_dataframe_has_one_column_per_objective(study: Study) -> None:
    pytest.importorskip("pandas")
    _tell_points(study, POINTS[:3])
    df = study.trials_dataframe()
    assert {"values_0", "values_1"} <= set(df.columns)
    assert "value" not in df.columns
    assert list(df["values_1"]) == [1.0, 3.0, 3.0]


def test_load_keeps_directions(study: Study) -> None:
    loaded = rheostat.load_study("mo", storage=study.storage)
    assert loaded.directions == (Direction.MINIMIZE, Direction.MAXIMIZE)
    with pytest.raises(ValueError, match="not both"):
        rheostat.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="non-empty list"):
        rheostat.create_study(directions=[])
    with pytest.raises(ValueError, match="'minimize' or 'maximize'"):
        rheostat.create_study(directions=["minimize", "up"])
