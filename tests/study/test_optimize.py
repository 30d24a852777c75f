"""study.optimize: how many trials, timeout, stop, callbacks, progress bar, reproducibility."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import rheostat
from rheostat import Study, Trial, TrialRecord, TrialState


def _quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2


@pytest.mark.parametrize("n_trials", [0, 1, 7])
def test_n_trials_runs_exactly_that_many(n_trials: int) -> None:
    calls = []

    def objective(trial: Trial) -> float:
        calls.append(trial.number)
        return float(trial.number)

    study = rheostat.create_study()
    study.optimize(objective, n_trials=n_trials)
    assert calls == list(range(n_trials))
    assert len(study.trials) == n_trials
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    # a second call adds as many again
    study.optimize(objective, n_trials=2)
    assert len(study.trials) == n_trials + 2


def test_timeout_stops_the_run() -> None:
    def objective(trial: Trial) -> float:
        time.sleep(0.05)
        return 1.0

    study = rheostat.create_study()
    start = time.monotonic()
    study.optimize(objective, timeout=0.5)
    elapsed = time.monotonic() - start
    n = len(study.trials)
    assert 2 <= n <= 12  # about 10 trials fit; loose bounds, no tight timing
    assert elapsed < 3.0
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_timeout_and_n_trials_whichever_first() -> None:
    study = rheostat.create_study()
    start = time.monotonic()
    study.optimize(lambda t: 1.0, n_trials=5, timeout=30.0)
    assert len(study.trials) == 5
    assert time.monotonic() - start < 10.0


def test_stop_from_a_callback_ends_the_run() -> None:
    def stop_at_three(study: Study, record: TrialRecord) -> None:
        if record.number == 2:
            study.stop()

    study = rheostat.create_study()
    study.optimize(lambda t: 1.0, n_trials=50, callbacks=[stop_at_three])
    assert len(study.trials) == 3
    # stop() holds for that run only: the next optimize runs again
    study.optimize(lambda t: 1.0, n_trials=2)
    assert len(study.trials) == 5


def test_stop_without_limit_ends_the_run() -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 4:
            study.stop()
        return 0.0

    study = rheostat.create_study()
    study.optimize(objective)  # neither n_trials nor timeout: runs until stop()
    assert len(study.trials) == 5


def test_callbacks_receive_each_finished_record() -> None:
    seen: list[tuple[int, TrialState, tuple[float, ...] | None]] = []
    others: list[int] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 10)
        if trial.number == 1:
            raise rheostat.TrialPruned()
        if trial.number == 2:
            return float("nan")
        return float(x)

    def record_it(study: Study, record: TrialRecord) -> None:
        assert isinstance(study, Study)
        assert record.state.is_finished()
        assert study.trials[record.number] == record  # already stored when the callback runs
        seen.append((record.number, record.state, record.values))

    study = rheostat.create_study()
    study.optimize(
        objective, n_trials=4, callbacks=[record_it, lambda s, r: others.append(r.number)]
    )
    assert [s[0] for s in seen] == [0, 1, 2, 3]
    assert [s[1] for s in seen] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAILED,
        TrialState.COMPLETE,
    ]
    assert seen[0][2] == (float(study.trials[0].params["x"]),)
    assert others == [0, 1, 2, 3]


def test_progress_bar_writes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    study = rheostat.create_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=20, show_progress_bar=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "20/20 trials" in err
    assert f"best {study.best_value:.6g}" in err.splitlines()[-1]
    # nothing is written without the flag
    study.optimize(lambda t: 1.0, n_trials=3)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_with_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    study = rheostat.create_study()
    study.optimize(lambda t: time.sleep(0.02) or 1.0, timeout=0.1, show_progress_bar=True)
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert f"{len(study.trials)} trials" in last
    assert "best 1" in last


def test_seeded_studies_are_reproducible(tmp_path: Path) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        n = trial.suggest_int("n", 1, 100)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        if c == "b":
            trial.suggest_float("conditional", 0.0, 1.0, step=0.1)
        return x * x + lr + n + trial.seed % 7

    def run(storage: str | None, seed: int) -> list[tuple[dict[str, object], tuple[float, ...]]]:
        study = rheostat.create_study(storage=storage, seed=seed)
        study.optimize(objective, n_trials=15)
        out = [(dict(t.params), t.values or ()) for t in study.trials]
        study.storage.close()
        return out

    first = run(None, 3)
    assert run(None, 3) == first
    assert run(f"sqlite:///{tmp_path / 'a.db'}", 3) == first  # the storage does not matter
    assert run(None, 4) != first
    assert len({p["x"] for p, _ in first}) == 15  # draws differ between trials


def test_resumed_study_continues_the_same_sequence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    straight = rheostat.create_study(seed=11)
    straight.optimize(_quadratic, n_trials=10)

    study = rheostat.create_study(study_name="r", storage=url, seed=11)
    study.optimize(_quadratic, n_trials=4)
    study.storage.close()
    resumed = rheostat.load_study("r", storage=url)
    resumed.optimize(_quadratic, n_trials=6)
    try:
        assert [t.params for t in resumed.trials] == [t.params for t in straight.trials]
    finally:
        resumed.storage.close()


def test_default_sampler_approaches_quadratic_optimum() -> None:
    study = rheostat.create_study(seed=0)
    study.optimize(_quadratic, n_trials=200)
    assert len(study.trials) == 200
    # known answer: minimum 0 at (1, -2); random search over a 10 x 10 box gets within ~0.5
    assert study.best_value < 0.5
    assert study.best_params["x"] == pytest.approx(1.0, abs=0.8)
    assert study.best_params["y"] == pytest.approx(-2.0, abs=0.8)


def test_maximize() -> None:
    study = rheostat.create_study(direction="maximize", seed=0)
    study.optimize(lambda t: -_quadratic(t), n_trials=100)
    assert study.best_value == max(t.value for t in study.trials if t.value is not None)
    assert study.best_value > -2.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_trials": -1}, ValueError, "n_trials must be an integer >= 0"),
        ({"n_trials": 1.5}, ValueError, "n_trials"),
        ({"timeout": 0}, ValueError, "timeout must be a number of seconds > 0"),
        ({"n_workers": 0}, ValueError, "n_workers must be an integer >= 1"),
        ({"catch": "ValueError"}, TypeError, "catch"),
        ({"catch": (KeyError, 3)}, TypeError, "catch must hold exception classes"),
        ({"callbacks": [1]}, TypeError, "callback must be callable"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    study = rheostat.create_study()
    with pytest.raises(error, match=match):
        study.optimize(lambda t: 1.0, **kwargs)  # type: ignore[arg-type]
    assert study.trials == []
    with pytest.raises(TypeError, match="objective must be a function"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
