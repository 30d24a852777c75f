"""Known answers for MedianPruner, PercentilePruner and ThresholdPruner."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialPruned, TrialState
from rheostat.schedulers import (
    Decision,
    MedianPruner,
    PercentilePruner,
    Scheduler,
    ThresholdPruner,
)
from rheostat.study import Trial
from rheostat.trial import Direction, History, TrialRecord

CONTINUE, STOP = Decision.CONTINUE, Decision.STOP
MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
nan = math.nan


def record(
    number: int, curve: Sequence[float] | Mapping[int, float], state: TrialState
) -> TrialRecord:
    values = dict(curve) if isinstance(curve, Mapping) else dict(enumerate(curve))
    final = (values[max(values)],) if values and state.is_finished() else None
    return TrialRecord(number=number, state=state, intermediate_values=values, values=final)


def decide(
    pruner: Scheduler,
    own: Sequence[float] | Mapping[int, float],
    completed: Sequence[Sequence[float] | Mapping[int, float]] = (),
    *,
    others: Sequence[tuple[TrialState, Sequence[float]]] = (),
    direction: Direction = MIN,
) -> Decision:
    """The decision on the running trial's last report of ``own``, with ``completed`` peers."""
    trials = [record(i, c, TrialState.COMPLETE) for i, c in enumerate(completed)]
    trials += [record(len(trials) + i, c, s) for i, (s, c) in enumerate(others)]
    me = record(len(trials), own, TrialState.RUNNING)
    step = max(me.intermediate_values)
    history = History("hand-built", (direction,), [*trials, me], {"seed": 0})
    return pruner.on_report(history, me, step, me.intermediate_values[step])


def decisions_along(
    pruner: Scheduler, own: Sequence[float], completed: Sequence[Sequence[float]]
) -> list[Decision]:
    """The decision at each step as the running trial reports ``own`` one value at a time."""
    return [decide(pruner, own[: s + 1], completed) for s in range(len(own))]


PEERS = [[1.0], [2.0], [3.0], [4.0], [5.0]]  # five completed trials; median 3 at step 0


# -- MedianPruner --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        (MIN, 3.5, STOP),
        (MIN, 2.5, CONTINUE),
        (MIN, 3.0, CONTINUE),  # as good as the median is not worse
        (MAX, 2.5, STOP),
        (MAX, 3.5, CONTINUE),
        (MAX, 3.0, CONTINUE),
    ],
)
def test_median(direction: Direction, value: float, expected: Decision) -> None:
    assert decide(MedianPruner(), [value], PEERS, direction=direction) is expected


def test_median_compares_the_best_value_so_far() -> None:
    completed = [[9.0, 2.0]] * 5
    assert decide(MedianPruner(), [1.0, 10.0], completed) is CONTINUE  # best so far 1 < 2
    assert decide(MedianPruner(), [3.0, 10.0], completed) is STOP
    maximize = [[0.0, 5.0]] * 5
    assert decide(MedianPruner(), [6.0, 1.0], maximize, direction=MAX) is CONTINUE
    assert decide(MedianPruner(), [4.0, 1.0], maximize, direction=MAX) is STOP


def test_median_uses_completed_trials_at_the_same_step() -> None:
    completed = [[100.0, 1.0]] * 5  # bad at step 0, good at step 1
    assert decide(MedianPruner(), [50.0], completed) is CONTINUE
    assert decide(MedianPruner(), [50.0, 50.0], completed) is STOP


def test_median_ignores_trials_that_are_not_complete() -> None:
    # Running, pruned and failed trials that did great do not lower the bar.
    others = [(s, [0.0]) for s in (TrialState.RUNNING, TrialState.PRUNED, TrialState.FAILED)] * 3
    assert decide(MedianPruner(), [4.0], [[5.0]] * 5, others=others) is CONTINUE


@pytest.mark.parametrize(("n_completed", "expected"), [(0, CONTINUE), (4, CONTINUE), (5, STOP)])
def test_median_n_startup_trials(n_completed: int, expected: Decision) -> None:
    completed = [[1.0]] * n_completed
    pruned = [(TrialState.PRUNED, [1.0])] * 5  # pruned trials do not count as started up
    assert decide(MedianPruner(n_startup_trials=5), [9.0], completed, others=pruned) is expected


def test_median_n_startup_trials_zero() -> None:
    assert decide(MedianPruner(n_startup_trials=0), [9.0], []) is CONTINUE  # nothing to compare
    assert decide(MedianPruner(n_startup_trials=0), [9.0], [[1.0]]) is STOP


def test_median_n_warmup_steps() -> None:
    pruner = MedianPruner(n_warmup_steps=2)
    got = decisions_along(pruner, [9.0] * 4, [[1.0] * 4] * 5)
    assert got == [CONTINUE, CONTINUE, STOP, STOP]


@pytest.mark.parametrize(
    ("warmup", "interval", "expected"),
    [
        (0, 1, "SSSSSSS"),
        (0, 3, "SCCSCCS"),
        (2, 3, "CCSCCSC"),
        (1, 2, "CSCSCSC"),
    ],
)
def test_median_interval_steps(warmup: int, interval: int, expected: str) -> None:
    pruner = MedianPruner(n_warmup_steps=warmup, interval_steps=interval)
    got = decisions_along(pruner, [9.0] * 7, [[1.0] * 7] * 5)
    assert "".join("S" if d is STOP else "C" for d in got) == expected


def test_interval_steps_with_sparse_reports() -> None:
    # Reports at steps 0 and 5 with interval 3: step 5 is the first report past boundary 3.
    pruner = MedianPruner(interval_steps=3)
    completed = [{0: 1.0, 1: 1.0, 3: 1.0, 5: 1.0}] * 5
    assert decide(pruner, {0: 9.0, 5: 9.0}, completed) is STOP
    assert decide(pruner, {0: 9.0, 1: 9.0}, completed) is CONTINUE
    assert decide(pruner, {0: 9.0, 1: 9.0, 3: 9.0}, completed) is STOP


@pytest.mark.parametrize(("n_reaching", "expected"), [(2, CONTINUE), (3, STOP), (5, STOP)])
def test_median_n_min_trials(n_reaching: int, expected: Decision) -> None:
    # Five completed trials; only ``n_reaching`` of them reported at step 4.
    completed = [[1.0] * 5] * n_reaching + [[1.0] * 2] * (5 - n_reaching)
    pruner = MedianPruner(n_min_trials=3)
    assert decide(pruner, [9.0] * 5, completed) is expected


def test_nan_is_pruned() -> None:
    assert decide(MedianPruner(), [nan], PEERS) is STOP
    assert decide(MedianPruner(), [1.0, nan], [[1.0, 1.0]] * 5) is STOP
    # Even before there is anything to compare with, or before the warm-up.
    assert decide(MedianPruner(), [nan]) is STOP
    assert decide(MedianPruner(n_warmup_steps=5), [nan], PEERS) is STOP
    assert decide(PercentilePruner(90.0, n_startup_trials=0), [nan]) is STOP


def test_nan_peers_and_earlier_nan_are_ignored() -> None:
    completed = [[nan], [nan], [1.0], [2.0], [3.0]]  # median of the finite ones: 2
    assert decide(MedianPruner(), [2.5], completed) is STOP
    assert decide(MedianPruner(), [1.5], completed) is CONTINUE
    # An earlier NaN of the trial itself does not make its best value NaN.
    assert decide(MedianPruner(), [nan, 1.0], [[1.0, 2.0]] * 5) is CONTINUE


def test_multi_objective_study_is_refused() -> None:
    me = record(0, [1.0], TrialState.RUNNING)
    history = History("two", (MIN, MAX), [me])
    with pytest.raises(ValueError, match="single-objective"):
        MedianPruner().on_report(history, me, 0, 1.0)


# -- PercentilePruner ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentile", "direction", "value", "expected"),
    [
        (25.0, MIN, 2.5, STOP),  # the 25th percentile of 1..5 is 2
        (25.0, MIN, 2.0, CONTINUE),
        (25.0, MIN, 1.5, CONTINUE),
        (25.0, MAX, 3.5, STOP),  # maximize: the top quarter starts at 4
        (25.0, MAX, 4.5, CONTINUE),
        (75.0, MIN, 4.5, STOP),
        (75.0, MIN, 3.5, CONTINUE),
        (100.0, MIN, 5.5, STOP),  # only worse than the worst
        (100.0, MIN, 4.9, CONTINUE),
        (0.0, MIN, 1.5, STOP),  # anything worse than the best
        (0.0, MIN, 1.0, CONTINUE),
        (0.0, MAX, 4.9, STOP),
        (0.0, MAX, 5.0, CONTINUE),
    ],
)
def test_percentile(
    percentile: float, direction: Direction, value: float, expected: Decision
) -> None:
    pruner = PercentilePruner(percentile)
    assert decide(pruner, [value], PEERS, direction=direction) is expected


def test_percentile_50_is_the_median() -> None:
    for value in (2.5, 3.0, 3.5):
        assert decide(PercentilePruner(50), [value], PEERS) is decide(
            MedianPruner(), [value], PEERS
        )


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"percentile": 120}, r"percentile must be in \[0, 100\], got 120"),
        ({"percentile": -1.0}, r"percentile must be in \[0, 100\], got -1.0"),
        ({"percentile": "50"}, r"percentile must be in \[0, 100\], got '50'"),
        ({"percentile": True}, r"percentile must be in \[0, 100\], got True"),
        ({"percentile": 50, "interval_steps": 0}, r"interval_steps must be .* >= 1, got 0"),
        ({"percentile": 50, "n_startup_trials": -1}, r"n_startup_trials .* >= 0, got -1"),
        ({"percentile": 50, "n_warmup_steps": 1.5}, r"n_warmup_steps .* >= 0, got 1.5"),
        ({"percentile": 50, "n_min_trials": 0}, r"n_min_trials .* >= 1, got 0"),
    ],
)
def test_percentile_invalid_arguments(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


def test_median_invalid_arguments() -> None:
    with pytest.raises(ValueError, match=r"MedianPruner: interval_steps .* got 0"):
        MedianPruner(interval_steps=0)
    with pytest.raises(ValueError, match=r"MedianPruner: n_warmup_steps .* got -2"):
        MedianPruner(n_warmup_steps=-2)


def test_dump() -> None:
    assert PercentilePruner(10, n_min_trials=2).dump() == {
        "type": "PercentilePruner",
        "percentile": 10.0,
        "n_startup_trials": 5,
        "n_warmup_steps": 0,
        "interval_steps": 1,
        "n_min_trials": 2,
    }
    assert MedianPruner().dump()["type"] == "MedianPruner"
    assert ThresholdPruner(upper=1).dump() == {
        "type": "ThresholdPruner",
        "lower": None,
        "upper": 1,
        "n_warmup_steps": 0,
        "interval_steps": 1,
    }


# -- ThresholdPruner -----------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [MIN, MAX])
@pytest.mark.parametrize(
    ("kwargs", "value", "expected"),
    [
        ({"upper": 1.0}, 1.5, STOP),
        ({"upper": 1.0}, 1.0, CONTINUE),
        ({"upper": 1.0}, -1e9, CONTINUE),
        ({"lower": 0.0}, -0.1, STOP),
        ({"lower": 0.0}, 0.0, CONTINUE),
        ({"lower": 0.0}, 1e9, CONTINUE),
        ({"lower": 0.0, "upper": 1.0}, 0.5, CONTINUE),
        ({"lower": 0.0, "upper": 1.0}, 1.1, STOP),
        ({"lower": 0.0, "upper": 1.0}, -0.1, STOP),
        ({"lower": 1.0, "upper": 1.0}, 1.0, CONTINUE),
        ({"upper": 1.0}, nan, STOP),
        ({"lower": 0.0}, math.inf, CONTINUE),
        ({"upper": 0.0}, math.inf, STOP),
    ],
)
def test_threshold(
    direction: Direction, kwargs: dict[str, float], value: float, expected: Decision
) -> None:
    assert decide(ThresholdPruner(**kwargs), [value], direction=direction) is expected


def test_threshold_uses_the_latest_value() -> None:
    pruner = ThresholdPruner(upper=1.0)
    assert decide(pruner, [100.0, 0.5]) is CONTINUE
    assert decide(pruner, [0.5, 100.0]) is STOP


def test_threshold_warmup_and_interval() -> None:
    got = decisions_along(ThresholdPruner(upper=1.0, n_warmup_steps=2), [5.0] * 4, [])
    assert got == [CONTINUE, CONTINUE, STOP, STOP]
    got = decisions_along(ThresholdPruner(upper=1.0, interval_steps=2), [5.0] * 5, [])
    assert got == [STOP, CONTINUE, STOP, CONTINUE, STOP]
    # NaN stops even inside the warm-up.
    assert decide(ThresholdPruner(upper=1.0, n_warmup_steps=9), [nan]) is STOP


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({}, r"give lower, upper or both"),
        ({"lower": 5, "upper": 1}, r"lower=5 > upper=1"),
        ({"lower": 5.0, "upper": -1.0}, r"lower=5.0 > upper=-1.0"),
        ({"lower": nan}, r"lower must be a number, got nan"),
        ({"upper": "1"}, r"upper must be a number, got '1'"),
        ({"upper": True}, r"upper must be a number, got True"),
        ({"upper": 1, "n_warmup_steps": -1}, r"n_warmup_steps .* >= 0, got -1"),
        ({"upper": 1, "interval_steps": 0}, r"interval_steps .* >= 1, got 0"),
    ],
)
def test_threshold_invalid_arguments(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]


# -- end to end ----------------------------------------------------------------------------------


def loss(quality: float, step: int) -> float:
    """A replayed learning curve: falls with the step, ends lower for a better quality."""
    return (1.0 - quality) + 1.0 / (step + 1)


N_STEPS = 6


def curve_objective(trial: Trial) -> float:
    quality = trial.suggest_float("quality", 0.0, 1.0)
    for step in range(N_STEPS):
        trial.report(loss(quality, step), step)
        if trial.should_prune():
            raise TrialPruned()
    return loss(quality, N_STEPS - 1)


@pytest.mark.parametrize("warmup", [0, 2])
def test_median_pruner_end_to_end(tmp_path: Path, warmup: int) -> None:
    url = f"sqlite:///{tmp_path / 'pruned.db'}"
    study = rheostat.create_study(
        "pruning", url, scheduler=MedianPruner(n_startup_trials=5, n_warmup_steps=warmup)
    )
    startup = [0.1, 0.3, 0.5, 0.7, 0.9]
    # The median quality of the completed trials is 0.5, then 0.6 (after 0.95), then 0.7.
    later = [0.05, 0.95, 0.2, 0.8, 0.45, 0.75]
    for q in startup + later:
        study.enqueue_trial({"quality": q})
    study.optimize(curve_objective, n_trials=len(startup) + len(later))
    study.storage.close()

    study = rheostat.load_study("pruning", url)  # read back what storage kept
    trials = {t.params["quality"]: t for t in study.trials}
    study.storage.close()
    assert len(trials) == 11
    pruned = sorted(q for q, t in trials.items() if t.state is TrialState.PRUNED)
    assert pruned == [0.05, 0.2, 0.45]
    for q, t in trials.items():
        if t.state is TrialState.PRUNED:
            assert t.last_step == warmup  # stopped at the first step it could be
            assert t.values == (loss(q, warmup),)  # keeps its last reported value
        else:
            assert t.state is TrialState.COMPLETE
            assert t.last_step == N_STEPS - 1
            assert t.values == (loss(q, N_STEPS - 1),)


def test_median_pruner_end_to_end_random_qualities() -> None:
    study = rheostat.create_study(scheduler=MedianPruner(n_startup_trials=5), seed=3)
    study.optimize(curve_objective, n_trials=40)
    trials = study.trials
    study.storage.close()
    completed_before: list[float] = []
    n_pruned = 0
    for t in trials:
        q = t.params["quality"]
        assert isinstance(q, float)
        bar = statistics.median(completed_before) if len(completed_before) >= 5 else None
        if t.state is TrialState.PRUNED:
            n_pruned += 1
            assert bar is not None, f"trial {t.number} was pruned during the start-up"
            assert q < bar, (t.number, q, bar)
            assert t.last_step is not None
            assert t.values == (t.intermediate_values[t.last_step],)
        else:
            assert t.state is TrialState.COMPLETE
            assert bar is None or q >= bar, (t.number, q, bar)
            completed_before.append(q)
    assert 5 <= n_pruned <= 35
