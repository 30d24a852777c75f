"""Compute to reach the final quality of full-budget random search, on recorded learning curves.

The question of issue 4: how much compute does each scheduler spend until it has found a
configuration, trained to the full budget, as good as what full-budget random search ends with?

- **Random draws.** Each repeat ``r`` draws configurations uniformly, with replacement, from the
  recorded ones (``random.Random(r)``): random search over the recorded set. Trial ``k`` of every
  scheduler but BOHB replays draw ``k``, so all schedulers see the same configurations in the same
  order. BOHB's ``BOHBSampler`` proposes parameters from the trials so far; each proposal is
  replayed as the nearest recorded configuration (on the parameters' internal [0, 1] scale).
- **The baseline.** FIFO runs ``n_fifo`` trials to the last epoch (full-budget random search);
  its compute is ``n_fifo * epochs``. Its final quality in a repeat is the best last-epoch
  accuracy of those trials; the **target** is the mean of that over the repeats.
- **Compute to target.** For every scheduler, the epochs run (reports made, on 4 simulated
  workers, in simulated-time order) until its incumbent, the best accuracy of a trial that
  reached the last epoch, first reaches the target. Each scheduler may spend up to ``cap``
  times FIFO's compute (default 1x); if it has not reached the target by then, that repeat
  counts as 'never'. The replay ends at the first report past the cap (nothing after it can
  count), rather than starting and stopping trials until the simulator runs out of them.
"""

from __future__ import annotations

import contextlib
import math
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rheostat.distributions import ParamValue
from rheostat.samplers import BOHBSampler
from rheostat.schedulers import Action, Decision, Scheduler, Start, StartFrom
from rheostat.space import Space
from rheostat.testing import simulate_study
from rheostat.trial import History, TrialRecord

N_WORKERS = 4

Maker = Callable[[int, int], tuple[Scheduler, BOHBSampler | None]]
"""``make(epochs, seed) -> (scheduler, sampler or None)``."""


class CapReachedError(Exception):
    """Raised by ``Replay`` at the first report past its cap, to end the simulation."""


class Replay(Scheduler):
    """Gives trial ``k`` recorded configuration ``draws[k]`` (or the nearest one to the
    sampler's proposal), shows the sampler the trials' parameters, records ``finals``
    (``(reports so far, value)`` of every report at the last epoch, in order) and raises
    ``CapReachedError`` at the first report past ``cap``."""

    def __init__(
        self,
        inner: Scheduler,
        space: Space,
        configs: Sequence[Mapping[str, ParamValue]],
        curves: Sequence[Sequence[float]],
        draws: Sequence[int],
        cap: int,
        sampler: BOHBSampler | None = None,
    ) -> None:
        self.inner, self.space, self.configs, self.curves = inner, space, configs, curves
        self.draws, self.cap, self.sampler = draws, cap, sampler
        self.config_of: dict[int, int] = {}
        self.reports = 0
        self.started = 0  # trials started before the cap
        self.last_step = len(curves[0]) - 1
        self.finals: list[tuple[int, float]] = []
        self._encoded = [self._encode(c) for c in configs]
        self._shown: dict[int, tuple[TrialRecord, TrialRecord]] = {}

    def _encode(self, params: Mapping[str, ParamValue]) -> list[float]:
        return [dist.to_internal(params[name]) for name, dist in self.space.items()]

    def _nearest(self, params: Mapping[str, ParamValue]) -> int:
        x = self._encode(params)
        return min(
            range(len(self._encoded)),
            key=lambda c: sum((a - b) ** 2 for a, b in zip(self._encoded[c], x, strict=True)),
        )

    def _with_params(self, history: History) -> History:
        records = []
        for t in history.trials:
            seen = self._shown.get(t.number)
            if seen is None or seen[0] is not t:  # the simulator replaces a record that changed
                shown = TrialRecord(
                    number=t.number,
                    state=t.state,
                    params=dict(self.configs[self.config_of[t.number]]),
                    distributions=dict(self.space),
                    values=t.values,
                    intermediate_values=t.intermediate_values,
                    budget=t.budget,
                )
                seen = self._shown[t.number] = (t, shown)
            records.append(seen[1])
        return History(history.study_name, history.directions, records, history.attrs)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        self.reports += 1
        if self.reports > self.cap:
            raise CapReachedError
        if step == self.last_step:
            self.finals.append((self.reports, value))
        return self.inner.on_report(history, trial, step, value)

    def next_action(self, history: History) -> Action:
        action = self.inner.next_action(history)
        number = len(history)
        wanted = number < len(self.draws) and number not in self.config_of  # else not started
        if isinstance(action, (Start, StartFrom)) and wanted:
            if self.sampler is not None:
                proposal = self.sampler.propose(self._with_params(history), self.space)
                self.config_of[number] = self._nearest(proposal)
            else:
                self.config_of[number] = self.draws[number]
            self.started += self.reports < self.cap
        return action

    def value(self, number: int, step: int) -> float:
        return self.curves[self.config_of[number]][step]


def replay(
    make: Maker,
    data: Mapping[str, Any],
    space: Space,
    draws: Sequence[int],
    n_trials: int,
    cap: int,
    seed: int,
) -> dict[str, Any]:
    """One run, up to ``cap`` reports: ``curve``, the ``(epochs run, incumbent)`` pairs where
    the best accuracy at the last epoch improved; ``best``, the incumbent at the cap;
    ``trials``, how many trials were started before it."""
    epochs = data["epochs"]
    inner, sampler = make(epochs, seed)
    wrapped = Replay(inner, space, data["configs"], data["curves"], draws, cap, sampler)
    with contextlib.suppress(CapReachedError):
        simulate_study(
            wrapped,
            wrapped.value,
            n_trials=n_trials,
            n_workers=N_WORKERS,
            max_steps=epochs,
            direction="maximize",
        )
    curve: list[tuple[int, float]] = []  # (reports so far, incumbent) whenever it improves
    best = -math.inf
    for reports, value in wrapped.finals:
        if value > best:
            best = value
            curve.append((reports, best))
    return {"best": best, "trials": wrapped.started, "curve": curve}


def replay_optuna(
    make_pruner: Callable[[int], Any], data: Mapping[str, Any], draws: Sequence[int], cap: int
) -> dict[str, Any]:
    """Optuna's pruner on the same draws, one trial at a time (Optuna cannot pause a trial),
    until ``cap`` epochs were run."""
    import optuna

    epochs, curves = data["epochs"], data["curves"]
    seen: dict[str, Any] = {"compute": 0, "best": -math.inf, "curve": [], "trials": 0}

    def objective(trial: Any) -> float:
        curve = curves[draws[trial.number]]
        seen["trials"] += 1
        for step in range(epochs):
            seen["compute"] += 1
            trial.report(curve[step], step)
            if seen["compute"] >= cap:
                trial.study.stop()
            if trial.should_prune() or seen["compute"] >= cap:
                raise optuna.TrialPruned()
        if curve[-1] > seen["best"]:
            seen["best"] = curve[-1]
            seen["curve"].append((seen["compute"], curve[-1]))
        return float(curve[-1])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=make_pruner(epochs))
    study.optimize(objective, n_trials=cap)
    return seen


def run_curves(
    makers: Mapping[str, Maker],
    data: Mapping[str, Any],
    space: Space,
    *,
    n_fifo: int,
    repeats: int,
    cap: float = 1.0,
    optuna_pruners: Mapping[str, Callable[[int], Any]] | None = None,
) -> dict[str, Any]:
    """Every scheduler on every repeat; the target, and per scheduler the compute to reach it.
    ``optuna_pruners``: ``make(epochs) -> pruner`` of Optuna, replayed the same way."""
    epochs, n_configs = data["epochs"], len(data["configs"])
    fifo_compute = n_fifo * epochs
    limit = int(cap * fifo_compute)
    optuna_pruners = optuna_pruners or {}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in [*makers, *optuna_pruners]}
    for r in range(repeats):
        rng = random.Random(r)
        draws = [rng.randrange(n_configs) for _ in range(limit)]
        for name, make in makers.items():
            n_trials = n_fifo if name.startswith("FIFO") else limit  # each trial costs >= 1
            runs[name].append(replay(make, data, space, draws, n_trials, limit, seed=r))
        for name, make_pruner in optuna_pruners.items():
            runs[name].append(replay_optuna(make_pruner, data, draws, limit))
    fifo = next(name for name in makers if name.startswith("FIFO"))
    target = statistics.fmean(run["best"] for run in runs[fifo])
    rows: dict[str, dict[str, Any]] = {}
    for name, rs in runs.items():
        to_target = [
            next((c for c, v in run["curve"] if v >= target - 1e-12 and c <= limit), math.inf)
            for run in rs
        ]
        reached = [c for c in to_target if math.isfinite(c)]
        rows[name] = {
            "reached": len(reached),
            "mean_reached": statistics.fmean(reached) / fifo_compute if reached else math.inf,
            "median": statistics.median(to_target) / fifo_compute,
            "best_at_cap": statistics.fmean(run["best"] for run in rs),
            "trials": statistics.fmean(run["trials"] for run in rs),
        }
    return {
        "target": target,
        "fifo_compute": fifo_compute,
        "cap": limit,
        "rows": rows,
        "repeats": repeats,
        "n_fifo": n_fifo,
    }


def _ratio(x: float) -> str:
    return "never" if math.isinf(x) else f"{x:.3f}"


def curves_markdown(result: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    n_fifo, repeats, epochs = result["n_fifo"], result["repeats"], data["epochs"]
    finals = sorted((c[-1] for c in data["curves"]), reverse=True)
    share = sum(1 for f in finals if f >= result["target"] - 1e-12) / len(finals)
    lines = [
        "## Compute to reach the final quality of full-budget random search",
        "",
        f"{len(data['configs'])} configurations of {data['model']} on {data['dataset']}, "
        f"{epochs} epochs each, {data['metric']} per epoch (recorded in {data['cpu_seconds']} "
        "CPU s by `benchmarks/record_curves.py`; `benchmarks/results/curves_digits.json`). "
        f"Full-budget random search (FIFO) runs {n_fifo} trials to epoch {epochs}, "
        f"{result['fifo_compute']} epochs; its final quality (best last-epoch accuracy) "
        f"averaged over {repeats} repeats is the target, {result['target']:.4f} (reached by "
        f"{share:.1%} of the recorded configurations; the best is {finals[0]:.4f}). Each repeat "
        "draws configurations at random, with replacement, from the recorded ones; every "
        "scheduler but BOHB replays the same draws in the same order on "
        f"{N_WORKERS} simulated workers, and may spend up to {result['cap']} epochs (1x FIFO's). "
        "Compute to target: epochs run until the incumbent (best accuracy of a trial trained to "
        f"epoch {epochs}) first reaches the target, over FIFO's {result['fifo_compute']}. The "
        "mean is over the repeats that reached it within the cap; the median counts the others "
        "as 'never'.",
        "",
        "| scheduler | reached (of " + str(repeats) + ") | compute to target / FIFO, mean "
        "| median | trials started | incumbent at the cap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["rows"].items():
        lines.append(
            f"| {name} | {r['reached']} | {_ratio(r['mean_reached'])} | {_ratio(r['median'])} "
            f"| {r['trials']:.0f} | {r['best_at_cap']:.4f} |"
        )
    return lines
