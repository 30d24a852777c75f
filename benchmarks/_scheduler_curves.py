"""The recorded learning curves as a replay problem, and Optuna's pruners replayed on them.

``RecordedCurves`` wraps ``benchmarks/results/curves_digits.json`` (see ``record_curves.py``):
a configuration is the index of a recorded one; a random configuration is a uniform draw, with
replacement, from the recorded ones (random search over the recorded set); a sampler's proposal
is replayed as the nearest recorded configuration (on the parameters' internal [0, 1] scale).
Random search's expected final quality is computed exactly from the recorded final accuracies.
See ``_scheduler_replay.py`` for the measurement.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from _scheduler_replay import N_WORKERS, Problem, mean_distinct, spread, table

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
        self._encoded = [self._encode(c) for c in self.configs]

    def _encode(self, params: Mapping[str, ParamValue]) -> list[float]:
        return [dist.to_internal(params[name]) for name, dist in self.space.items()]

    def draw(self, rng: random.Random) -> Hashable:
        return rng.randrange(len(self.configs))

    def params(self, config: Hashable) -> Mapping[str, ParamValue]:
        return self.configs[config]  # type: ignore[index]

    def from_proposal(self, params: Mapping[str, ParamValue]) -> Hashable:
        x = self._encode(params)
        return min(
            range(len(self._encoded)),
            key=lambda c: sum((a - b) ** 2 for a, b in zip(self._encoded[c], x, strict=True)),
        )

    def value(self, config: Hashable, step: int) -> float:
        return self.curves[config][step]  # type: ignore[index]

    def expected_best(self, n: int) -> float:
        """``E[max]`` of ``n`` uniform draws of the recorded final accuracies, exactly."""
        finals = sorted(c[-1] for c in self.curves)
        total, below = 0.0, 0
        for level in sorted(set(finals)):
            at_most = sum(1 for f in finals if f <= level)
            total += level * ((at_most / len(finals)) ** n - (below / len(finals)) ** n)
            below = at_most
        return total


def replay_optuna(
    make_pruner: Callable[[int], Any], problem: Problem, draws: Sequence[Hashable], cap: int
) -> dict[str, Any]:
    """Optuna's pruner on the same draws, one trial at a time (Optuna cannot pause a trial),
    until ``cap`` epochs were run."""
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
    return seen


def curves_markdown(result: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    n_fifo, repeats, epochs = result["n_fifo"], result["repeats"], data["epochs"]
    n = data["n_validation"]
    finals = sorted((c[-1] for c in data["curves"]), reverse=True)
    share = sum(1 for f in finals if f >= result["target"]) / len(finals)
    fifo_runs = next(iter(result["runs"].values()))
    sample = sum(run["best"] for run in fifo_runs) / len(fifo_runs)
    return [
        "## Compute to reach the final quality of full-budget random search",
        "",
        "### Recorded learning curves",
        "",
        f"{len(data['configs'])} configurations of {data['model']} on {data['dataset']}, "
        f"{epochs} epochs each, {data['metric']} per epoch on {n} examples (recorded in "
        f"{data['cpu_seconds']} CPU s by `benchmarks/record_curves.py`; "
        "`benchmarks/results/curves_digits.json`). Full-budget random search (FIFO) runs "
        f"{n_fifo} trials to epoch {epochs}, {result['fifo_compute']} epochs. The target is its "
        "expected final quality (best last-epoch accuracy), computed exactly from the recorded "
        f"final accuracies: {result['target']:.5f} ({result['target'] * n:.2f} of {n} correct; "
        f"{share:.1%} of the recorded configurations reach it, the best is {finals[0]:.4f}; "
        f"the {repeats} FIFO repeats below average {sample:.5f}). Accuracy moves in steps of "
        f"1/{n}, so a run reaches the target only with a configuration at "
        f"{math.ceil(result['target'] * n - 1e-9)}/{n} or better. Each repeat draws "
        "configurations at random, with replacement, from the recorded ones; every scheduler "
        f"replays the same draws in the same order on {N_WORKERS} simulated workers (BOHB "
        "replaces the draws its model proposes for by the nearest recorded configuration) and "
        f"may spend up to {result['cap']} epochs (1x FIFO's). Compute to target: epochs run "
        f"until the incumbent (best accuracy of a trial trained to epoch {epochs}) first "
        f"reaches the target, over FIFO's {result['fifo_compute']}; the median counts the "
        "repeats that never reached it as 'never'; the mean is over those that did. Averaged "
        "incumbent: the compute at which the incumbent averaged over all repeats reaches the "
        "target.",
        "",
        *table(result),
        "",
        "Compute to target in each repeat, value (repeats): Hyperband "
        f"{spread(result, 'Hyperband')}. Its values are the points where a bracket's "
        "survivor finishes: 0.126 is the first bracket (81 configurations at 1 epoch, one "
        "trained to 81), 0.196 and 0.267 the next two, 0.514 and later the next cycle of "
        "brackets (a cycle trains 10 of its 143 configurations to the end and costs 1,581 "
        "epochs; on 4 workers the first bracket's survivor finishes after 510 epochs, 297 of "
        "them its own, since workers start the next brackets' trials rather than wait). "
        f"BOHB: {spread(result, 'BOHB')}. BOHB's trials ran "
        f"{mean_distinct(result, 'BOHB'):.0f} different recorded configurations on average, "
        f"Hyperband's {mean_distinct(result, 'Hyperband'):.0f}: proposals from a model that has "
        "found the good region map onto the same few recorded configurations, which then fill "
        "its brackets again and again.",
    ]
