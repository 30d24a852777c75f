"""The conformance suite every scheduler must pass, on replayed learning curves.

Subclass ``SchedulerConformance`` in a test module (its name must start with ``Test``) and give
``make_scheduler``; pytest then runs every test below against your scheduler::

    class TestMyPruner(SchedulerConformance):
        warmup_steps = 2  # the scheduler never stops a trial before step 2

        def make_scheduler(self) -> Scheduler:
            return MyPruner(n_warmup_steps=2)

Two kinds of run feed the scheduler the same replayed learning curves (``learning_curves``):
``simulate`` plays trials on several simulated workers against a simulated clock, building the
``History`` by hand at each report, so it is deterministic and takes milliseconds; real in-memory
studies check the decisions end to end, in one thread and in four.

The suite checks that every decision is a ``Decision`` and every action a ``Start``, a
``Resume``, a ``StartFrom`` (whose parameters lie inside the parent's distributions) or a
``Stop``, for odd values too (NaN, infinities); that no trial is stopped before the warm-up
(when the subclass sets ``warmup_steps``); that a scheduler that prunes (``stops_bad_trials``)
stops the bad curves and one that does not never stops anything; that a pruned trial keeps its
last reported value; that four worker threads leave every trial in a final state (or
``PAUSED``); that, on four simulated workers, no trial is promoted twice (only a ``PAUSED``
trial is resumed, each time with a larger budget), no paused trial is lost (each one is resumed,
stopped, or still ``PAUSED`` at the end) and no budget exceeds the scheduler's
``max_resource``; and that ``dump()`` is JSON and ``load()`` of it gives a scheduler that dumps
and decides the same. A NaN report may be stopped at any step, so the warm-up test reports only
finite values. The simulated runs come from ``rheostat.testing._replay``.
"""

from __future__ import annotations

import json
import math
import threading
from typing import ClassVar

import pytest

from rheostat.exceptions import TrialPruned
from rheostat.schedulers import Action, Decision, Resume, Scheduler, Start, StartFrom, Stop
from rheostat.study import Trial, create_study
from rheostat.testing._replay import is_bad, learning_curves, simulate
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["SchedulerConformance"]


class _Checked(Scheduler):
    """Passes calls to ``inner``, failing on a wrong return type and recording each decision."""

    def __init__(self, inner: Scheduler) -> None:
        self.inner = inner
        self.decisions: list[tuple[int, int, Decision]] = []
        self.stops: set[int] = set()
        self._lock = threading.Lock()

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        decision = self.inner.on_report(history, trial, step, value)
        assert isinstance(decision, Decision), (
            f"on_report returned {decision!r} for trial {trial.number} at step {step}, "
            "not a Decision"
        )
        with self._lock:
            self.decisions.append((trial.number, step, decision))
        return decision

    def next_action(self, history: History) -> Action:
        action = self.inner.next_action(history)
        assert isinstance(action, (Start, Resume, StartFrom, Stop)), (
            f"next_action returned {action!r}, not a Start, Resume, StartFrom or Stop"
        )
        if isinstance(action, Stop):
            with self._lock:
                self.stops.add(action.number)
        return action


class SchedulerConformance:
    """Tests every scheduler must pass. Subclass it and implement ``make_scheduler``."""

    warmup_steps: ClassVar[int | None] = None
    """Set it when the scheduler never stops a trial at a step below this (finite values)."""

    stops_bad_trials: ClassVar[bool] = True
    """Whether the scheduler stops the bad curves of ``learning_curves`` (which report values
    above 20 against good ones below 3) once a few good trials have completed; set it False for
    a scheduler that never stops a trial, and the suite checks that it never does."""

    n_trials: ClassVar[int] = 24
    n_steps: ClassVar[int] = 8

    def make_scheduler(self) -> Scheduler:
        """A new scheduler."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_scheduler()")

    # -- helpers ---------------------------------------------------------------------------------

    def _curves(self, direction: Direction = Direction.MINIMIZE) -> list[list[float]]:
        curves = learning_curves(self.n_trials, self.n_steps, seed=1)
        if direction is Direction.MAXIMIZE:
            curves = [[-v for v in c] for c in curves]
        return curves

    def _run_study(self, direction: Direction, n_workers: int) -> list[TrialRecord]:
        """Run a real in-memory study on the replayed curves and check how it ended."""
        curves = self._curves(direction)

        def objective(trial: Trial) -> float:
            curve = curves[trial.number % len(curves)]
            trial.suggest_float("x", 0.0, 1.0)
            for step, value in enumerate(curve):
                trial.report(value, step)
                if trial.should_prune():
                    raise TrialPruned()
            return curve[-1]

        scheduler = _Checked(self.make_scheduler())
        study = create_study(direction=direction, scheduler=scheduler, seed=0)
        study.optimize(objective, n_trials=self.n_trials, n_workers=n_workers)
        records = study.trials
        study.storage.close()
        self._check_study(records, curves, scheduler.decisions, scheduler.stops)
        return records

    def _check_study(
        self,
        records: list[TrialRecord],
        curves: list[list[float]],
        decisions: list[tuple[int, int, Decision]],
        stops: set[int],
    ) -> None:
        assert len(records) == self.n_trials
        assert len(decisions) == sum(len(t.intermediate_values) for t in records)
        stopped = {(n, s) for n, s, d in decisions if d is Decision.STOP}
        paused = {(n, s) for n, s, d in decisions if d is Decision.PAUSE}
        for t in records:
            assert t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED), (
                f"trial {t.number} ended {t.state}: {t.message}"
            )
            curve = curves[t.number % len(curves)]
            assert t.last_step is not None
            assert dict(t.intermediate_values) == dict(enumerate(curve[: t.last_step + 1]))
            if t.state is TrialState.PAUSED:
                assert t.values is None
                assert (t.number, t.last_step) in paused, f"trial {t.number} was never paused"
                continue
            last = t.intermediate_values[t.last_step]
            assert t.values == (last,), (
                f"trial {t.number} ({t.state}) has values {t.values}, not its last report {last}"
            )
            if t.state is TrialState.COMPLETE:
                assert t.last_step == len(curve) - 1, f"trial {t.number} completed early"
                assert not any(n == t.number for n, _s in stopped)
            elif t.number in stops:
                assert (t.number, t.last_step) in paused, f"trial {t.number} stopped unpaused"
            else:
                assert (t.number, t.last_step) in stopped, f"trial {t.number} was never stopped"
        if self.warmup_steps is not None:
            early = sorted((n, s) for n, s in stopped if s < self.warmup_steps)
            assert early == [], f"(trial, step) {early} stopped before the warm-up"
        pruned = [t.number for t in records if t.state is TrialState.PRUNED]
        if not self.stops_bad_trials:
            assert pruned == [], f"trials {pruned} were stopped by a scheduler that never stops"

    # -- decisions on a simulated clock ----------------------------------------------------------

    @pytest.mark.parametrize("direction", list(Direction))
    @pytest.mark.parametrize("n_workers", [1, 3])
    def test_decisions_on_simulated_clock(self, direction: Direction, n_workers: int) -> None:
        curves = self._curves(direction)
        run = simulate(self.make_scheduler(), curves, n_workers=n_workers, direction=direction)
        assert len(run.records) == self.n_trials, "every trial must be started"
        reports = sum(len(t.intermediate_values) for t in run.records)
        assert len(run.decisions) == reports, "one decision per report"
        for t in run.records:
            assert t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED)

    @pytest.mark.parametrize("n_workers", [1, 4])
    def test_pause_and_resume_on_simulated_clock(self, n_workers: int) -> None:
        scheduler = self.make_scheduler()
        run = simulate(scheduler, self._curves(), n_workers=n_workers)
        max_resource = getattr(scheduler, "max_resource", None)
        # simulate() fails when a trial that is not PAUSED is resumed, or a budget shrinks
        for t in run.records:
            n_paused = sum(1 for n, _s, d in run.decisions if n == t.number and d is Decision.PAUSE)
            n_resumed = sum(1 for n, _b in run.resumes if n == t.number)
            n_stopped = run.stops.count(t.number)
            left = 1 if t.state is TrialState.PAUSED else 0
            assert n_resumed + n_stopped == n_paused - left, (
                f"trial {t.number} was paused {n_paused} times, resumed {n_resumed} times and "
                f"stopped {n_stopped} times, and ended {t.state}: a paused trial was lost or "
                "resumed twice"
            )
            if max_resource is not None:
                assert t.budget is None or t.budget <= max_resource, (
                    f"trial {t.number} has budget {t.budget} > max_resource={max_resource}"
                )
        if max_resource is not None:
            too_big = [(n, b) for n, b in run.resumes if b is not None and b > max_resource]
            assert too_big == [], f"resumed past max_resource={max_resource}: {too_big}"

    def test_stops_bad_trials_or_never_stops(self) -> None:
        curves = self._curves()
        run = simulate(self.make_scheduler(), curves, n_workers=3)
        stopped = {n for n, _step, d in run.decisions if d is Decision.STOP} | set(run.stops)
        if not self.stops_bad_trials:
            assert stopped == set(), f"trials {sorted(stopped)} were stopped"
            return
        bad = {n for n, c in enumerate(curves) if is_bad(c)}
        # The first few trials may run to the end while there is nothing to compare with.
        assert len(stopped & bad) >= len(bad) // 2, (
            f"only trials {sorted(stopped & bad)} of the bad ones {sorted(bad)} were stopped"
        )

    def test_odd_values_give_decisions(self) -> None:
        odd = [math.nan, math.inf, -math.inf, 0.0, -1e300, 1e300, 5.0, 5.0]
        curves = [*self._curves()[:6], odd, [math.nan] * 4, [1.0], list(reversed(odd))]
        run = simulate(self.make_scheduler(), curves, n_workers=2)
        assert len(run.decisions) >= len(curves)

    def test_first_trial(self) -> None:
        scheduler = self.make_scheduler()
        empty = History("empty", (Direction.MINIMIZE,), [], {"seed": 0})
        action = scheduler.next_action(empty)
        assert isinstance(action, Start), f"next_action returned {action!r}"
        assert action.budget is None or action.budget > 0
        value = self._curves()[0][0]  # a good value
        first = TrialRecord(number=0, state=TrialState.RUNNING, intermediate_values={0: value})
        alone = History("alone", (Direction.MINIMIZE,), [first], {"seed": 0})
        decision = scheduler.on_report(alone, first, 0, value)
        assert decision is not Decision.STOP, "the only trial of a study, a good one, was stopped"

    def test_no_stop_before_warmup(self) -> None:
        if self.warmup_steps is None:
            pytest.skip("warmup_steps is not set for this scheduler")
        warmup = self.warmup_steps
        assert warmup < self.n_steps
        for n_workers in (1, 3):
            run = simulate(self.make_scheduler(), self._curves(), n_workers=n_workers)
            early = [(n, s) for n, s, d in run.decisions if d is Decision.STOP and s < warmup]
            assert early == [], f"(trial, step) {early} stopped before warm-up step {warmup}"
            assert any(s < warmup for _n, s, _d in run.decisions)
            if self.stops_bad_trials:
                assert any(d is Decision.STOP for _n, _s, d in run.decisions), (
                    "nothing was stopped after the warm-up either"
                )

    # -- real studies ----------------------------------------------------------------------------

    @pytest.mark.parametrize("direction", list(Direction))
    def test_pruned_trials_keep_their_last_value(self, direction: Direction) -> None:
        records = self._run_study(direction, n_workers=1)
        pruned = [t for t in records if t.state is TrialState.PRUNED]
        if self.stops_bad_trials and direction is Direction.MINIMIZE:
            assert pruned, "no trial was pruned"
            assert all(t.last_step is not None and t.last_step < self.n_steps - 1 for t in pruned)

    def test_four_worker_threads(self) -> None:
        records = self._run_study(Direction.MINIMIZE, n_workers=4)
        assert [t.number for t in records] == list(range(self.n_trials))

    # -- state -----------------------------------------------------------------------------------

    def test_dump_is_json(self) -> None:
        scheduler = self.make_scheduler()
        state = scheduler.dump()
        assert json.loads(json.dumps(state)) == state, "dump() must be JSON-representable"
        assert state.get("type") == type(scheduler).__name__
        simulate(scheduler, self._curves())
        after = scheduler.dump()
        assert json.loads(json.dumps(after)) == after, "dump() must be JSON-representable"

    def test_load_restores_what_dump_gave(self) -> None:
        original = self.make_scheduler()
        state = json.loads(json.dumps(original.dump()))
        restored = self.make_scheduler()
        restored.load(state)
        assert restored.dump() == state
        a = simulate(original, self._curves(), n_workers=3)
        b = simulate(restored, self._curves(), n_workers=3)
        assert (a.decisions, a.resumes, a.stops) == (b.decisions, b.resumes, b.stops)
        with pytest.raises(ValueError, match="load"):
            restored.load({**state, "type": "NoSuchScheduler"})
