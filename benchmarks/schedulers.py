"""How much compute and simulated time does each scheduler need on real learning curves? How do
they scale with workers, what does a decision cost, and does PBT beat random search?

Learning curves are recorded once from real training: scikit-learn's ``SGDClassifier`` trained
with ``partial_fit`` on ``load_digits`` (standardized, 70/30 split), one validation accuracy per
epoch for ``--epochs`` epochs, for ``--configs`` random configurations (``alpha``, ``eta0`` and
``power_t`` of an ``invscaling`` schedule, log-loss). They are cached in
``benchmarks/results/curves_digits.json``; delete it (or pass ``--record``) to record again.

Each scheduler then replays the curves with ``rheostat.testing.simulate_study`` on 4 simulated
workers (one simulated second per epoch), ``--trials`` trials (configurations 0.. in order for
every scheduler but BOHB; means over ``--repeats`` random orders of the configurations). BOHB
proposes parameters with ``BOHBSampler``; each proposal is mapped to the nearest unused recorded
configuration (on the parameters' internal [0, 1] scale), so it picks from all recorded
configurations where the others take the first ``--trials``. PBT is not replayed here: recorded
curves of fixed configurations cannot show what changing a parameter mid-run does; it has its
own benchmark below.

Reported per scheduler: compute (epochs run), simulated time until the last trial ended, the
best final accuracy (of trials that trained to the last epoch), and the simulated time until a
trial finished within 1% of the best final accuracy of all recorded curves, each also as a
ratio to FIFO (every trial run to the last epoch). Optuna's ``SuccessiveHalvingPruner`` and
``HyperbandPruner`` (when optuna is installed) replay the same curves sequentially; their time
is compute / 4, an idealised 4-worker time.

Then (see the modules beside this one): the speed-up from 1 to 4, 16 and 64 simulated workers
on a synthetic problem (``_scheduler_scaling.py``, ``--scaling-trials`` trials), the scheduling
overhead per report in a study of 1,000 trials (same module), and PBT against the best
fixed-parameter random search at equal compute on a task whose best learning rate changes
during training (``_scheduler_pbt.py``, ``--pbt-seeds`` seeds).

    nice -n 19 python benchmarks/schedulers.py     # writes benchmarks/results/schedulers.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import _scheduler_pbt
import _scheduler_scaling

from rheostat.distributions import Float, ParamValue
from rheostat.samplers import BOHBSampler
from rheostat.schedulers import (
    ASHA,
    BOHB,
    PBT,
    Action,
    Decision,
    FIFOScheduler,
    Hyperband,
    MedianPruner,
    Scheduler,
    Start,
    SuccessiveHalving,
)
from rheostat.space import Space
from rheostat.testing import SimulationResult, simulate_study
from rheostat.trial import History, TrialRecord

RESULTS = Path(__file__).resolve().parent / "results"
CURVES = RESULTS / "curves_digits.json"
SPACE = Space(
    {
        "alpha": Float(1e-6, 1e-1, log=True),
        "eta0": Float(1e-4, 1.0, log=True),
        "power_t": Float(0.05, 0.9),
    }
)
N_WORKERS = 4


# -- recording ---------------------------------------------------------------------------------


def record_curves(n_configs: int, epochs: int, seed: int) -> dict[str, Any]:
    import random

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(y)
    rng = random.Random(seed)
    configs, curves = [], []
    start = time.perf_counter()
    for i in range(n_configs):
        params = {name: dist.from_unit(rng.random()) for name, dist in SPACE.items()}
        model = SGDClassifier(loss="log_loss", learning_rate="invscaling", random_state=i, **params)
        order = np.random.default_rng(i)
        curve = []
        for _epoch in range(epochs):
            perm = order.permutation(len(x_train))
            model.partial_fit(x_train[perm], y_train[perm], classes=classes)
            curve.append(round(float(model.score(x_val, y_val)), 5))
        configs.append(params)
        curves.append(curve)
    return {
        "dataset": "load_digits",
        "model": "SGDClassifier(loss='log_loss', learning_rate='invscaling') partial_fit",
        "metric": "validation accuracy",
        "epochs": epochs,
        "seed": seed,
        "seconds": round(time.perf_counter() - start, 2),
        "configs": configs,
        "curves": curves,
    }


# -- replay helpers ----------------------------------------------------------------------------


def encode(params: Mapping[str, ParamValue]) -> list[float]:
    return [dist.to_internal(params[name]) for name, dist in SPACE.items()]


def nearest(
    params: Mapping[str, ParamValue], configs: Sequence[Mapping[str, ParamValue]], used: set[int]
) -> int:
    target = encode(params)
    best, best_d = -1, math.inf
    for c, cfg in enumerate(configs):
        if c in used:
            continue
        d = sum((a - b) ** 2 for a, b in zip(encode(cfg), target, strict=True))
        if d < best_d:
            best, best_d = c, d
    return best


class Mapped(Scheduler):
    """Shows ``inner`` the recorded parameters of each trial's configuration, and maps BOHB's
    proposals to the nearest unused recorded configuration."""

    def __init__(
        self,
        inner: Scheduler,
        configs: list[dict[str, ParamValue]],
        curves: list[list[float]],
        sampler: BOHBSampler | None = None,
        order: Sequence[int] | None = None,
    ) -> None:
        self.inner, self.configs, self.curves, self.sampler = inner, configs, curves, sampler
        self.order = list(range(len(configs))) if order is None else list(order)
        self.config_of: dict[int, int] = {}

    def translate(self, history: History) -> History:
        records = []
        for t in history.trials:
            c = self.config_of.get(t.number, self.order[t.number])
            records.append(
                TrialRecord(
                    number=t.number,
                    state=t.state,
                    params=self.configs[c],
                    distributions=dict(SPACE),
                    values=t.values,
                    intermediate_values=t.intermediate_values,
                    datetime_start=t.datetime_start,
                    datetime_complete=t.datetime_complete,
                    budget=t.budget,
                    parent=t.parent,
                )
            )
        return History(history.study_name, history.directions, records, history.attrs)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        return self.inner.on_report(history, trial, step, value)

    def next_action(self, history: History) -> Action:
        action = self.inner.next_action(history)
        number = len(history)
        if isinstance(action, Start) and number not in self.config_of:
            if self.sampler is not None:
                proposal = self.sampler.propose(self.translate(history), SPACE)
                self.config_of[number] = nearest(
                    proposal, self.configs, set(self.config_of.values())
                )
            else:
                self.config_of[number] = self.order[number]
        return action

    def value(self, number: int, step: int) -> float:
        return self.curves[self.config_of.get(number, self.order[number])][step]


def summarize(
    result: SimulationResult, value: Callable[[int, int], float], epochs: int, target: float
) -> dict[str, Any]:
    finals = []
    reached = math.inf
    for t in result.records:
        if t.last_step == epochs - 1 and t.datetime_complete is not None:
            v = value(t.number, epochs - 1)
            finals.append(v)
            if v >= target:
                reached = min(reached, t.datetime_complete)
    return {
        "compute": result.compute,
        "time": result.time,
        "best": max(finals, default=math.nan),
        "time_to_target": reached,
        "trials": len(result.records),
    }


def run_schedulers(data: dict[str, Any], n_trials: int, repeats: int) -> dict[str, dict[str, Any]]:
    """Every metric averaged over ``repeats`` random orders of the recorded configurations."""
    import random

    runs: dict[str, list[dict[str, Any]]] = {}
    for r in range(repeats):
        order = list(range(len(data["curves"])))
        random.Random(r).shuffle(order)
        for name, row in run_once(data, n_trials, order, seed=r).items():
            runs.setdefault(name, []).append(row)
    return {
        name: {key: sum(row[key] for row in rows) / len(rows) for key in rows[0]}
        for name, rows in runs.items()
    }


def run_once(
    data: dict[str, Any], n_trials: int, order: list[int], seed: int
) -> dict[str, dict[str, Any]]:
    configs, curves, epochs = data["configs"], data["curves"], data["epochs"]
    target = 0.99 * max(c[-1] for c in curves)
    makers: dict[str, Callable[[], tuple[Scheduler, BOHBSampler | None]]] = {
        "FIFO (every trial to the end)": lambda: (FIFOScheduler(), None),
        "Median pruning": lambda: (MedianPruner(n_startup_trials=5, n_warmup_steps=2), None),
        "Successive halving (synchronous)": lambda: (
            SuccessiveHalving(max_resource=epochs),
            None,
        ),
        "ASHA, stop": lambda: (ASHA(max_resource=epochs), None),
        "ASHA, promote": lambda: (ASHA(max_resource=epochs, mode="promote"), None),
        "Hyperband": lambda: (Hyperband(max_resource=epochs), None),
        "BOHB": lambda: (BOHB(max_resource=epochs), BOHBSampler(seed=seed)),
    }
    rows = {}
    for name, make in makers.items():
        inner, sampler = make()
        mapped = Mapped(inner, configs, curves, sampler, order)
        result = simulate_study(
            mapped,
            mapped.value,
            n_trials=n_trials,
            n_workers=N_WORKERS,
            max_steps=epochs,
            direction="maximize",
        )
        rows[name] = summarize(result, mapped.value, epochs, target)
    rows.update(run_optuna([curves[c] for c in order], n_trials, epochs, target, seed))
    return rows


def run_optuna(
    curves: list[list[float]], n_trials: int, epochs: int, target: float, seed: int
) -> dict[str, dict[str, Any]]:
    try:
        import optuna
    except ImportError:
        return {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = {}
    pruners: dict[str, Callable[[], Any]] = {
        "Optuna SuccessiveHalvingPruner": lambda: optuna.pruners.SuccessiveHalvingPruner(),
        "Optuna HyperbandPruner": lambda: optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs, reduction_factor=3
        ),
    }
    for name, make in pruners.items():
        seen: dict[str, Any] = {"compute": 0, "finals": [], "reached": math.inf}

        def objective(trial: Any, seen: dict[str, Any] = seen) -> float:
            curve = curves[trial.number]
            for step in range(epochs):
                seen["compute"] += 1
                trial.report(curve[step], step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            seen["finals"].append(curve[-1])
            if curve[-1] >= target:
                seen["reached"] = min(seen["reached"], seen["compute"] / N_WORKERS)
            return float(curve[-1])

        study = optuna.create_study(
            study_name=f"replay-{seed}",
            direction="maximize",
            pruner=make(),
            sampler=optuna.samplers.RandomSampler(seed=seed),
        )
        study.optimize(objective, n_trials=n_trials)
        rows[name] = {
            "compute": seen["compute"],
            "time": seen["compute"] / N_WORKERS,
            "best": max(seen["finals"], default=math.nan),
            "time_to_target": seen["reached"],
            "trials": n_trials,
        }
    return rows


def fmt(x: float, digits: int = 2) -> str:
    return "never" if math.isinf(x) else f"{x:.{digits}f}"


def write_markdown(
    data: dict[str, Any], rows: dict[str, dict[str, Any]], n_trials: int, repeats: int
) -> list[str]:
    base = rows["FIFO (every trial to the end)"]
    best_all = max(c[-1] for c in data["curves"])
    lines = [
        "# Schedulers",
        "",
        "## On recorded learning curves",
        "",
        f"{len(data['curves'])} configurations of {data['model']} on {data['dataset']}, "
        f"{data['epochs']} epochs each, {data['metric']} per epoch (recorded in "
        f"{data['seconds']} s; `benchmarks/results/curves_digits.json`). Every scheduler replays "
        f"{n_trials} trials on {N_WORKERS} simulated workers, one simulated second per epoch; "
        f"means over {repeats} random orders of the configurations (each trial replays the next "
        "configuration of the order). "
        f"Best final accuracy of all recorded curves: {best_all:.4f}; target (within 1%): "
        f"{0.99 * best_all:.4f}.",
        "",
        "| scheduler | trials | compute (epochs) | compute / FIFO | simulated time | time / FIFO "
        "| best final accuracy | time to target | time to target / FIFO |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        ratio_t = r["time_to_target"] / base["time_to_target"]
        lines.append(
            f"| {name} | {r['trials']:.0f} | {r['compute']:.0f} "
            f"| {r['compute'] / base['compute']:.3f} "
            f"| {fmt(r['time'], 1)} | {r['time'] / base['time']:.3f} | {r['best']:.4f} "
            f"| {fmt(r['time_to_target'], 1)} | {fmt(ratio_t, 3)} |"
        )
    lines += [
        "",
        "Synchronous successive halving runs brackets of 27 trials (27 at 1 epoch, 9 at 3, 3 at "
        f"9, 1 at 27); of {n_trials} trials, the last {n_trials % 27} form a bracket that is "
        "not full, so they wait at the first rung (`PAUSED`). "
        "BOHB maps each proposal to the nearest unused recorded configuration (it may pick any of "
        f"the recorded ones; the others replay the first {n_trials} of each order). "
        "Optuna's pruners run sequentially; their time is compute / 4 and their time to target "
        "the compute spent when a trial first reached it, / 4 (an idealised 4-worker time). "
        "Time to target: mean over the orders ('never' when an order never reached it). "
        "PBT is benchmarked on its own task below.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=10, help="random orders of the configs")
    parser.add_argument("--record", action="store_true", help="record the curves again")
    parser.add_argument("--scaling-trials", type=int, default=4096)
    parser.add_argument("--bohb-scaling-trials", type=int, default=1024)
    parser.add_argument("--overhead-trials", type=int, default=1000)
    parser.add_argument("--pbt-seeds", type=int, default=10)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.record or not CURVES.exists():
        data = record_curves(args.configs, args.epochs, args.seed)
        CURVES.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    data = json.loads(CURVES.read_text())
    n_trials = min(args.trials, len(data["curves"]))
    lines = write_markdown(
        data, run_schedulers(data, n_trials, args.repeats), n_trials, args.repeats
    )

    e = _scheduler_scaling.EPOCHS
    budget: dict[str, Callable[[int], tuple[Scheduler, BOHBSampler | None]]] = {
        "ASHA, stop": lambda seed: (ASHA(max_resource=e), None),
        "ASHA, promote": lambda seed: (ASHA(max_resource=e, mode="promote"), None),
        "Hyperband": lambda seed: (Hyperband(max_resource=e), None),
        "BOHB": lambda seed: (BOHB(max_resource=e), BOHBSampler(seed=seed)),
    }
    bohb = {"BOHB": budget.pop("BOHB")}
    rows = _scheduler_scaling.scaling(budget, args.scaling_trials)
    lines += ["", *_scheduler_scaling.scaling_markdown(rows, args.scaling_trials)]
    rows = _scheduler_scaling.scaling(bohb, args.bohb_scaling_trials)
    lines += ["", *_scheduler_scaling.scaling_markdown(rows, args.bohb_scaling_trials, intro=False)]
    lines += [
        "",
        f"BOHB ran {args.bohb_scaling_trials} trials: its sampler refits its density model for "
        "each new trial, at a cost that grows with the trials, so the larger job would take "
        "hours of real time; its schedule is Hyperband's.",
    ]
    budget.update(bohb)
    every: dict[str, Callable[[int], tuple[Scheduler, BOHBSampler | None]]] = {
        "FIFO": lambda seed: (FIFOScheduler(), None),
        "Median pruning": lambda seed: (MedianPruner(n_startup_trials=5, n_warmup_steps=2), None),
        "Successive halving (synchronous)": lambda seed: (SuccessiveHalving(max_resource=e), None),
        **budget,
        "PBT": lambda seed: (PBT(perturbation_interval=3, max_resource=e), None),
    }
    overhead = _scheduler_scaling.overhead(every, args.overhead_trials)
    lines += ["", *_scheduler_scaling.overhead_markdown(overhead, args.overhead_trials)]
    pbt = _scheduler_pbt.pbt_against_random(range(args.pbt_seeds))
    lines += ["", *_scheduler_pbt.pbt_markdown(pbt)]
    lines += [
        "",
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        "`nice -n 19 python benchmarks/schedulers.py`.",
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "schedulers.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
