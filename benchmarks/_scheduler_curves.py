"""The recorded learning curves as a replay problem, and Optuna's pruners replayed on them.

``RecordedCurves`` wraps ``benchmarks/results/curves_digits.json`` (see ``record_curves.py``):
a configuration is the index of a recorded one; random configurations are drawn without
replacement from the recorded ones, in passes (random search over the recorded set, which never
tries a configuration twice while there are untried ones); a sampler's proposal is replayed as
the nearest recorded configuration (on the parameters' internal [0, 1] scale) that the run has
not used in its current pass. Random search's expected final quality is computed exactly from
the recorded final accuracies, for draws without replacement (hypergeometric).
See ``_scheduler_replay.py`` for the measurement.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from typing import Any

from _scheduler_replay import Problem, mean_distinct, spread, table

from rheostat.distributions import ParamValue
from rheostat.space import Space
from rheostat.trial import Direction


class RecordedCurves:
    """The recorded table as a ``Problem`` (validation accuracy, maximized)."""

    direction = Direction.MAXIMIZE

    def __init__(self, data: Mapping[str, Any], space: Space) -> None:
        self.data, self.space = data, space
        self.epochs: int = data["epochs"]
        self.configs: Sequence[Mapping[str, ParamValue]] = data["configs"]
        self.curves: Sequence[Sequence[float]] = data["curves"]
        self.n_configs = len(self.configs)
        self._encoded = [self._encode(c) for c in self.configs]

    def _encode(self, params: Mapping[str, ParamValue]) -> list[float]:
        return [dist.to_internal(params[name]) for name, dist in self.space.items()]

    def draws(self, rng: random.Random, n: int) -> list[Hashable]:
        """``n`` recorded configurations: passes through all of them, each in a new random
        order, so none comes twice before every one has come once."""
        out: list[Hashable] = []
        while len(out) < n:
            out += rng.sample(range(self.n_configs), self.n_configs)
        return out[:n]

    def params(self, config: Hashable) -> Mapping[str, ParamValue]:
        return self.configs[config]  # type: ignore[index]

    def from_proposal(
        self, params: Mapping[str, ParamValue], used: Collection[Hashable]
    ) -> Hashable:
        """The recorded configuration nearest to ``params`` (squared distance on the internal
        [0, 1] scale) that is not one of ``used``."""
        x = self._encode(params)
        return min(
            (c for c in range(self.n_configs) if c not in used),
            key=lambda c: sum((a - b) ** 2 for a, b in zip(self._encoded[c], x, strict=True)),
        )

    def value(self, config: Hashable, step: int) -> float:
        return self.curves[config][step]  # type: ignore[index]

    def expected_best(self, n: int) -> float:
        """``E[max]`` of the final accuracies of ``n`` configurations drawn as ``draws`` draws
        them (without replacement), exactly: the best of ``n`` is at most ``level`` with the
        hypergeometric probability ``C(at most level, n) / C(all, n)``; ``n`` at least the
        whole set holds the best of all."""
        finals = [c[-1] for c in self.curves]
        if n >= len(finals):
            return max(finals)
        total, below, ways = 0.0, 0, math.comb(len(finals), n)
        for level in sorted(set(finals)):
            at_most = sum(1 for f in finals if f <= level)
            total += level * ((math.comb(at_most, n) - math.comb(below, n)) / ways)
            below = at_most
        return total


def replay_optuna(
    make_pruner: Callable[[int], Any], problem: Problem, draws: Sequence[Hashable], cap: int
) -> dict[str, Any]:
    """Optuna's pruner on the same draws, one trial at a time (Optuna cannot pause a trial),
    until ``cap`` epochs were run: ``best``, ``trials``, ``curve`` and ``distinct`` as
    ``_scheduler_replay.replay`` has them."""
    import optuna

    epochs = problem.epochs
    sign = 1.0 if problem.direction is Direction.MAXIMIZE else -1.0
    seen: dict[str, Any] = {"compute": 0, "best": -math.inf, "curve": [], "trials": 0}

    def objective(trial: Any) -> float:
        config = draws[trial.number]
        seen["trials"] += 1
        value = math.nan
        for step in range(epochs):
            seen["compute"] += 1
            value = problem.value(config, step)
            trial.report(value, step)
            if seen["compute"] >= cap:
                trial.study.stop()
                if step < epochs - 1:
                    raise optuna.TrialPruned()
            elif trial.should_prune():
                raise optuna.TrialPruned()
        if sign * value > seen["best"]:
            seen["best"] = sign * value
            seen["curve"].append((seen["compute"], value))
        return float(value)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=problem.direction.value, pruner=make_pruner(epochs))
    study.optimize(objective, n_trials=cap)
    seen["best"] *= sign
    seen["distinct"] = len(set(draws[: seen["trials"]]))
    return seen


def curves_markdown(results: Sequence[Mapping[str, Any]], data: Mapping[str, Any]) -> list[str]:
    """The recorded-curves section: one table per ``run_all`` result in ``results`` (the same
    repeats on 4 simulated workers, then on 1)."""
    parallel, sequential = results
    n_fifo, repeats, epochs = parallel["n_fifo"], parallel["repeats"], data["epochs"]
    n, target = data["n_validation"], parallel["target"]
    finals = sorted((c[-1] for c in data["curves"]), reverse=True)
    share = sum(1 for f in finals if f >= target) / len(finals)
    fifo_runs = next(iter(parallel["runs"].values()))
    sample = sum(run["best"] for run in fifo_runs) / len(fifo_runs)
    lines = [
        "## Compute to reach the final quality of full-budget random search",
        "",
        "### Recorded learning curves",
        "",
        f"{len(data['configs'])} configurations of {data['model']} on {data['dataset']}, "
        f"{epochs} epochs each, {data['metric']} per epoch on {n} examples (recorded in "
        f"{data['cpu_seconds']} CPU s by `benchmarks/record_curves.py`; "
        "`benchmarks/results/curves_digits.json`). Full-budget random search (FIFO) runs "
        f"{n_fifo} trials to epoch {epochs}, {parallel['fifo_compute']} epochs. Each repeat "
        "draws configurations at random from the recorded ones without replacement, in "
        f"passes: all {len(finals)} in a random order, then all again in a new order, so "
        "that, like a real search, a run never tries a configuration twice while untried "
        "ones remain. The target is FIFO's expected final quality (best last-epoch accuracy), "
        f"computed exactly from the recorded final accuracies for {n_fifo} draws without "
        f"replacement (hypergeometric): {target:.5f} ({target * n:.2f} of {n} correct; "
        f"{share:.1%} of the recorded configurations reach it, the best is {finals[0]:.4f}; "
        f"the {repeats} FIFO repeats below average {sample:.5f}). Accuracy moves in steps of "
        f"1/{n}, so a run reaches the target only with a configuration at "
        f"{math.ceil(target * n - 1e-9)}/{n} or better. Every scheduler replays the same "
        "draws in the same order and may spend up to "
        f"{parallel['cap']} epochs (1x FIFO's). BOHB replaces the draws its model proposes "
        "for by the nearest recorded configuration (on the parameters' internal [0, 1] scale) "
        "that the run has not used yet, as a real BOHB's proposals are new configurations; "
        "a random trial of BOHB takes its draw or, if the model has taken that configuration "
        "already, the next draw not used yet. "
        f"Once a run has used all {len(finals)}, a fresh pass begins. Compute to target: "
        f"epochs run until the incumbent (best accuracy of a trial trained to epoch {epochs}) "
        f"first reaches the target, over FIFO's {parallel['fifo_compute']}; the median counts "
        "the repeats that never reached it as 'never'; the mean is over those that did. "
        "Averaged incumbent: the compute at which the incumbent averaged over all repeats "
        "reaches the target.",
        "",
        f"On {parallel['n_workers']} simulated workers:",
        "",
        *table(parallel),
        "",
        "Compute to target in each repeat, value (repeats): Hyperband "
        f"{spread(parallel, 'Hyperband')}. Its values are the points where a bracket's "
        "survivor finishes: 0.126 is the first bracket (81 configurations at 1 epoch, one "
        "trained to 81), 0.196 and 0.267 the next two, 0.514 and later the next cycle of "
        "brackets (a cycle trains 10 of its 143 configurations to the end and costs 1,581 "
        "epochs; on 4 workers the first bracket's survivor finishes after 510 epochs, 297 of "
        "them its own, since workers start the next brackets' trials rather than wait). "
        f"BOHB: {spread(parallel, 'BOHB')}. Most of BOHB's repeats reach the target with the "
        "first bracket's survivor: once the first epoch's results are enough for its model, "
        "about two thirds of the bracket's remaining configurations are the model's proposals, "
        "each a different recorded configuration near the best so far, where Hyperband's are "
        f"all random draws. {distinct(parallel)} Before runs avoided reusing a configuration "
        "(draws with replacement, and each proposal replaced by the nearest recorded "
        "configuration even if already used; commit 10cec31), BOHB reached the target in 54 of "
        "100 repeats (median 0.857) and its trials ran 130 different configurations per repeat "
        "against Hyperband's 226: once its model had found the good region, its proposals "
        "mapped onto the same few recorded configurations, which filled its brackets again and "
        "again.",
        "",
        f"On {sequential['n_workers']} simulated worker (sequential total budget, as Li et al. "
        "2018 measure Hyperband), the same repeats and draws; Optuna's pruners run one trial "
        "at a time in both, so their rows above are already sequential:",
        "",
        *table(sequential),
        "",
        "Compute to target in each repeat, value (repeats): Hyperband "
        f"{spread(sequential, 'Hyperband')}. On one worker the brackets run one after "
        "another, and these are where their survivors finish: 0.073 the first bracket's (its "
        "297 epochs), 0.141 and 0.210 the next two, 0.277 and 0.290 the fourth's two, 0.310 to "
        "0.390 the fifth's five (0.390 ends the first cycle, 1,581 epochs), 0.464 and later the "
        f"next cycle. BOHB: {spread(sequential, 'BOHB')}. {distinct(sequential)}",
    ]
    return lines


def distinct(result: Mapping[str, Any]) -> str:
    """A sentence: how many different recorded configurations each scheduler's trials ran."""
    counts = ", ".join(f"{name} {mean_distinct(result, name):.0f}" for name in result["runs"])
    return f"Different recorded configurations run per repeat, on average: {counts}."
