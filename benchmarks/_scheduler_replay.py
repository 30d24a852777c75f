"""Compute to reach the final quality of full-budget random search: the replay behind the
recorded-curves table (``_scheduler_curves.py``) and the synthetic-function table
(``_scheduler_synthetic.py``).

The question of issue 4: how much compute does each scheduler spend until it has found a
configuration, trained to the full budget, as good as what full-budget random search ends with?

- **A problem** (``Problem``) gives random configurations, a configuration's value at each epoch,
  and the expected final quality of random search with ``n`` full-budget trials.
- **Random draws.** Each repeat ``r`` draws configurations at random (``random.Random(r)``);
  a problem with a finite set of configurations draws them without replacement, in passes
  (each pass a new random order of the whole set). Trial ``k`` of every scheduler replays draw
  ``k``, so all schedulers see the same configurations in the same order. BOHB is the exception
  only where its model proposes: a ``random_fraction`` of its trials (and every trial while no
  budget has enough observations) takes draw ``k`` like everyone else; the others take the
  model's proposal (``BOHBSampler.model_proposal``), which the problem maps onto a
  configuration it can replay.
- **No configuration twice.** A real search never evaluates the same configuration twice, so
  within one run a configuration is not reused while the set has unused ones: a run keeps the
  configurations of its current pass, a proposal maps onto one outside them, a random trial
  whose draw ``k`` is among them takes the next draw after ``k`` that is not (past the last
  draw, the first that is not), and once the whole set has run a fresh pass begins. Without a
  model this changes nothing (draw ``k`` is always new in its pass), nor for a continuum of
  configurations, where every draw and proposal is new.
- **The target.** Full-budget random search (FIFO) runs ``n_fifo`` trials to the last epoch;
  its compute is ``n_fifo * epochs``. The target is its expected final quality (the best
  last-epoch value of its trials), which the problem computes exactly or to a small error,
  rather than estimating it from the repeats.
- **Compute to target.** For every scheduler, the epochs run (reports made, on 4 simulated
  workers, in simulated-time order) until its incumbent, the best value of a trial that
  reached the last epoch, first reaches the target. Each scheduler may spend up to ``cap``
  times FIFO's compute (default 1x); if it has not reached the target by then, that repeat
  counts as 'never'. The replay ends at the first report past the cap (nothing after it can
  count). Also: the compute at which the incumbent averaged over the repeats first reaches
  the target (a repeat without an incumbent yet keeps the average below it).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import statistics
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from typing import Any, Protocol

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers import BOHBSampler
from rheostat.schedulers import Action, Decision, Scheduler, Start, StartFrom
from rheostat.space import Space
from rheostat.testing import simulate_study
from rheostat.trial import Direction, History, TrialRecord

N_WORKERS = 4

Maker = Callable[[int, int], tuple[Scheduler, BOHBSampler | None]]
"""``make(epochs, seed) -> (scheduler, sampler or None)``."""


class Problem(Protocol):
    """What the replay needs of a benchmark problem. A configuration is any hashable value."""

    space: Space
    epochs: int
    direction: Direction
    n_configs: int | None
    """How many configurations there are (``None``: a continuum, where every one is new)."""

    def draws(self, rng: random.Random, n: int) -> list[Hashable]:
        """``n`` random configurations, in order (from a finite set: without replacement, in
        passes through the whole set)."""

    def params(self, config: Hashable) -> Mapping[str, ParamValue]:
        """The parameters a sampler sees for ``config``."""

    def from_proposal(
        self, params: Mapping[str, ParamValue], used: Collection[Hashable]
    ) -> Hashable:
        """The configuration replayed for a sampler's proposal, not one of ``used`` (fewer
        than ``n_configs``)."""

    def value(self, config: Hashable, step: int) -> float:
        """What a trial running ``config`` reports at ``step``."""

    def expected_best(self, n: int) -> float:
        """The expected best last-epoch value of ``n`` random configurations, drawn as
        ``draws`` draws them."""


class CapReachedError(Exception):
    """Raised by ``Replay`` at the first report past its cap, to end the simulation."""


class Replay(Scheduler):
    """Gives trial ``k`` draw ``k`` (or, under BOHB, the model's proposal), never a
    configuration of the current pass (see the module docstring), shows the sampler the trials'
    parameters, records ``finals`` (``(reports so far, value)`` of every report at the last
    epoch, in order) and raises ``CapReachedError`` at the first report past ``cap``."""

    def __init__(
        self,
        inner: Scheduler,
        problem: Problem,
        draws: Sequence[Hashable],
        cap: int,
        sampler: BOHBSampler | None = None,
        seed: int = 0,
    ) -> None:
        self.inner, self.problem, self.draws, self.cap = inner, problem, draws, cap
        self.sampler = sampler
        self.config_of: dict[int, Hashable] = {}
        self.used: set[Hashable] = set()  # the configurations of the current pass
        self.reports = 0
        self.started = 0  # trials started before the cap
        self.finals: list[tuple[int, float]] = []
        self._coin = random.Random(f"bohb-random-fraction-{seed}")
        self._shown: dict[int, tuple[TrialRecord, TrialRecord]] = {}

    def _with_params(self, history: History) -> History:
        return with_params(
            history,
            lambda n: dict(self.problem.params(self.config_of[n])),
            dict(self.problem.space),
            self._shown,
        )

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        self.reports += 1
        if self.reports > self.cap:
            raise CapReachedError
        if step == self.problem.epochs - 1:
            self.finals.append((self.reports, value))
        return self.inner.on_report(history, trial, step, value)

    def next_action(self, history: History) -> Action:
        action = self.inner.next_action(history)
        number = len(history)
        wanted = number < len(self.draws) and number not in self.config_of  # else not started
        if isinstance(action, (Start, StartFrom)) and wanted:
            if len(self.used) == self.problem.n_configs:
                self.used.clear()  # every configuration has run: a fresh pass
            # draw k, else the next one not used in this pass (from the start past the last)
            later = itertools.chain(itertools.islice(self.draws, number, None), self.draws)
            config = next((c for c in later if c not in self.used), self.draws[number])
            # BOHB (Falkner et al. 2018, Algorithm 2): a random configuration with probability
            # random_fraction or while there is no model, else the model's proposal.
            if self.sampler is not None and self._coin.random() >= self.sampler.random_fraction:
                shown = self._with_params(history)
                proposal = self.sampler.model_proposal(shown, self.problem.space)
                if proposal is not None:
                    config = self.problem.from_proposal(proposal, self.used)
            self.used.add(config)
            self.config_of[number] = config
            self.started += self.reports < self.cap
        return action

    def value(self, number: int, step: int) -> float:
        return self.problem.value(self.config_of[number], step)


def replay(
    make: Maker,
    problem: Problem,
    draws: Sequence[Hashable],
    n_trials: int,
    cap: int,
    seed: int,
    n_workers: int = N_WORKERS,
) -> dict[str, Any]:
    """One run on ``n_workers`` simulated workers, up to ``cap`` reports: ``curve``, the
    ``(epochs run, incumbent)`` pairs where the best value at the last epoch improved; ``best``,
    the incumbent at the cap; ``trials``, how many trials were started before it; ``distinct``,
    how many different configurations the trials ran."""
    inner, sampler = make(problem.epochs, seed)
    wrapped = Replay(inner, problem, draws, cap, sampler, seed)
    with contextlib.suppress(CapReachedError):
        simulate_study(
            wrapped,
            wrapped.value,
            n_trials=n_trials,
            n_workers=n_workers,
            max_steps=problem.epochs,
            direction=problem.direction,
        )
    sign = 1.0 if problem.direction is Direction.MAXIMIZE else -1.0
    curve: list[tuple[int, float]] = []  # (reports so far, incumbent) whenever it improves
    best = -math.inf
    for reports, value in wrapped.finals:
        if sign * value > best:
            best = sign * value
            curve.append((reports, value))
    distinct = len(set(wrapped.config_of.values()))
    return {"best": sign * best, "trials": wrapped.started, "curve": curve, "distinct": distinct}


ExtraRun = Callable[[Problem, Sequence[Hashable], int], dict[str, Any]]
"""``run(problem, draws, cap) -> {"best", "trials", "curve", "distinct"}``: a peer replayed on
the draws."""


def run_all(
    problem: Problem,
    makers: Mapping[str, Maker],
    *,
    n_fifo: int,
    repeats: int,
    cap: float = 1.0,
    extra: Mapping[str, ExtraRun] | None = None,
    n_workers: int = N_WORKERS,
) -> dict[str, Any]:
    """Every scheduler (the first must be FIFO) on every repeat on ``n_workers`` simulated
    workers, and the summary rows."""
    epochs = problem.epochs
    fifo_compute = n_fifo * epochs
    limit = int(cap * fifo_compute)
    extra = extra or {}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*makers, *extra]}
    for r in range(repeats):
        rng = random.Random(r)
        draws = problem.draws(rng, limit)  # each trial costs >= 1 epoch
        for i, (name, make) in enumerate(makers.items()):
            n_trials = n_fifo if i == 0 else limit
            runs[name].append(replay(make, problem, draws, n_trials, limit, r, n_workers))
        for name, peer in extra.items():
            runs[name].append(peer(problem, draws, limit))
    target = problem.expected_best(n_fifo)
    sign = 1.0 if problem.direction is Direction.MAXIMIZE else -1.0
    rows = {name: summarize(rs, target, sign, limit, fifo_compute) for name, rs in runs.items()}
    return {
        "target": target,
        "fifo_compute": fifo_compute,
        "cap": limit,
        "rows": rows,
        "repeats": repeats,
        "n_fifo": n_fifo,
        "n_workers": n_workers,
        "runs": runs,
        "target_is_max": problem.direction is Direction.MAXIMIZE,
    }


def summarize(
    runs: Sequence[Mapping[str, Any]], target: float, sign: float, cap: int, unit: int
) -> dict[str, float]:
    """One scheduler's row: compute to target per repeat (as a share of ``unit``), summarized."""
    at = [reached_at(run, target, sign, cap) for run in runs]
    reached = [c / unit for c in at if math.isfinite(c)]
    return {
        "reached": len(reached),
        "mean_reached": statistics.fmean(reached) if reached else math.inf,
        "se_reached": statistics.stdev(reached) / math.sqrt(len(reached))
        if len(reached) > 1
        else math.nan,
        "median": statistics.median(at) / unit,
        "mean_curve": mean_curve_reaches(runs, target, sign) / unit,
        "best_at_cap": statistics.fmean(run["best"] for run in runs),
        "trials": statistics.fmean(run["trials"] for run in runs),
    }


def reached_at(run: Mapping[str, Any], target: float, sign: float, cap: int) -> float:
    """The compute at which ``run``'s incumbent first reached ``target`` (``inf``: never)."""
    return next(
        (float(c) for c, v in run["curve"] if sign * v >= sign * target and c <= cap), math.inf
    )


def spread(result: Mapping[str, Any], name: str) -> str:
    """Scheduler ``name``'s compute to target in every repeat, as ``value (repeats)`` pairs in
    ascending order, with 'never' last."""
    sign = 1.0 if result["target_is_max"] else -1.0
    counts: dict[str, int] = {}
    at = sorted(
        reached_at(run, result["target"], sign, result["cap"]) / result["fifo_compute"]
        for run in result["runs"][name]
    )
    for x in at:
        counts[ratio(x)] = counts.get(ratio(x), 0) + 1
    return ", ".join(f"{k} ({n})" for k, n in counts.items())


def mean_distinct(result: Mapping[str, Any], name: str) -> float:
    """How many different configurations scheduler ``name``'s trials ran, averaged."""
    return statistics.fmean(run["distinct"] for run in result["runs"][name])


def mean_curve_reaches(runs: Sequence[Mapping[str, Any]], target: float, sign: float) -> float:
    """The compute at which the incumbent averaged over ``runs`` first reaches ``target``
    (``inf`` if never); a run without an incumbent yet keeps the average below it."""
    events = sorted((c, i, v) for i, run in enumerate(runs) for c, v in run["curve"])
    current: dict[int, float] = {}
    for c, i, v in events:
        current[i] = sign * v
        if len(current) == len(runs) and math.fsum(current.values()) >= sign * target * len(runs):
            return float(c)
    return math.inf


def ratio(x: float) -> str:
    return "never" if math.isinf(x) else f"{x:.3f}"


def table(result: Mapping[str, Any]) -> list[str]:
    """The markdown table of ``run_all``'s rows."""
    repeats = result["repeats"]
    lines = [
        f"| scheduler | reached (of {repeats}) | compute to target / FIFO, median "
        "| mean of those reached ± s.e. | averaged incumbent reaches target "
        "| trials started | incumbent at the cap |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["rows"].items():
        se = "" if math.isnan(r["se_reached"]) else f" ± {r['se_reached']:.3f}"
        lines.append(
            f"| {name} | {r['reached']} | {ratio(r['median'])} "
            f"| {ratio(r['mean_reached'])}{se} | {ratio(r['mean_curve'])} "
            f"| {r['trials']:.0f} | {r['best_at_cap']:.4f} |"
        )
    return lines


def with_params(
    history: History,
    params_of: Callable[[int], dict[str, ParamValue]],
    space: Mapping[str, Distribution],
    shown: dict[int, tuple[TrialRecord, TrialRecord]],
) -> History:
    """``history`` as a sampler should see it: each trial with the parameters its configuration
    has (``params_of(number)``) over ``space``. ``shown`` keeps each record made, keyed by trial
    number with the record it was made from: the simulator replaces a record that changed, so
    an unchanged one is reused."""
    records = []
    for t in history.trials:
        seen = shown.get(t.number)
        if seen is None or seen[0] is not t:
            made = TrialRecord(
                number=t.number,
                state=t.state,
                params=params_of(t.number),
                distributions=dict(space),
                values=t.values,
                intermediate_values=t.intermediate_values,
                budget=t.budget,
            )
            seen = shown[t.number] = (t, made)
        records.append(seen[1])
    return History(history.study_name, history.directions, records, history.attrs)
