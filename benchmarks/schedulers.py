"""How much compute does each scheduler need to reach the final quality of full-budget random
search, on real learning curves and on standard synthetic multi-fidelity functions? How do they
scale with workers, what does a decision cost, and does PBT beat random search?

Learning curves are recorded once from real training by ``record_curves.py`` (300 random
configurations of scikit-learn's ``SGDClassifier`` on ``load_digits``, 81 epochs each; see
there) into ``benchmarks/results/curves_digits.json``. ``_scheduler_replay.py`` replays them
(``_scheduler_curves.py``), and the multi-fidelity Hartmann-3 and Hartmann-6 functions of
Kandasamy et al. 2017 as 81-epoch curves (``_scheduler_synthetic.py``), with
``rheostat.testing.simulate_study`` on 4 simulated workers (the recorded curves also on 1),
and measures, for each scheduler,
the compute spent until its incumbent (best value of a trial trained to the last epoch) first
reaches the expected final quality of full-budget random search (FIFO, ``--fifo-trials``
trials), as a ratio to FIFO's compute, over ``--repeats`` (``--synthetic-repeats``) random
draws; see that module. The budget schedulers use the paper setting: ``min_resource=1``,
``max_resource=81``, ``reduction_factor=3`` (Hyperband's brackets are the table of Li et al.
2018). Optuna's ``SuccessiveHalvingPruner`` and ``HyperbandPruner`` (when optuna is installed)
replay the recorded draws one trial at a time. PBT is not replayed there: curves of fixed
configurations cannot show what changing a parameter mid-run does; it has its own benchmark.

Then (see the modules beside this one): the speed-up from 1 to 4, 16 and 64 simulated workers
on a synthetic problem (``_scheduler_scaling.py``, ``--scaling-trials`` trials), the scheduling
overhead per report in a study of 1,000 trials (same module), and PBT against the best
fixed-parameter random search at equal compute on a task whose best learning rate changes
during training (``_scheduler_pbt.py``, ``--pbt-seeds`` seeds).

    nice -n 19 python benchmarks/record_curves.py  # once: writes results/curves_digits.json
    nice -n 19 python benchmarks/schedulers.py     # writes benchmarks/results/schedulers.md
    nice -n 19 python benchmarks/schedulers.py --curves-only  # only its recorded-curves tables
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _scheduler_curves
import _scheduler_pbt
import _scheduler_replay
import _scheduler_scaling
import _scheduler_synthetic
import record_curves

from rheostat.samplers import BOHBSampler
from rheostat.schedulers import (
    ASHA,
    BOHB,
    PBT,
    FIFOScheduler,
    Hyperband,
    MedianPruner,
    Scheduler,
    SuccessiveHalving,
)

RESULTS = Path(__file__).resolve().parent / "results"


def curve_makers() -> dict[str, _scheduler_replay.Maker]:
    """The schedulers replayed on the recorded curves (FIFO first): ``make(epochs, seed)``."""
    return {
        "FIFO (random search, every trial to the end)": lambda e, seed: (FIFOScheduler(), None),
        "Median pruning": lambda e, seed: (
            MedianPruner(n_startup_trials=5, n_warmup_steps=2),
            None,
        ),
        "Successive halving (synchronous)": lambda e, seed: (
            SuccessiveHalving(max_resource=e),
            None,
        ),
        "ASHA, stop": lambda e, seed: (ASHA(max_resource=e), None),
        "ASHA, promote": lambda e, seed: (ASHA(max_resource=e, mode="promote"), None),
        "Hyperband": lambda e, seed: (Hyperband(max_resource=e), None),
        "BOHB": lambda e, seed: (BOHB(max_resource=e), BOHBSampler(seed=seed)),
    }


SYNTHETIC = (
    "FIFO (random search, every trial to the end)",
    "Successive halving (synchronous)",
    "ASHA, stop",
    "ASHA, promote",
    "Hyperband",
    "BOHB",
)
"""The schedulers replayed on the synthetic functions."""


def optuna_pruners() -> dict[str, _scheduler_replay.ExtraRun]:
    """Optuna's pruners, replayed on the same draws: ``run(problem, draws, cap)``."""
    try:
        import optuna
    except ImportError:
        return {}
    pruners: dict[str, Callable[[int], Any]] = {
        "Optuna SuccessiveHalvingPruner": lambda e: optuna.pruners.SuccessiveHalvingPruner(),
        "Optuna HyperbandPruner": lambda e: optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=e, reduction_factor=3
        ),
    }
    return {
        name: lambda problem, draws, cap, make=make: _scheduler_curves.replay_optuna(
            make, problem, draws, cap
        )
        for name, make in pruners.items()
    }


def machine() -> str:
    return f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"


def with_curves(page: Path, curves: list[str]) -> str:
    """``page`` with its recorded-curves section (up to the synthetic functions) replaced by
    ``curves`` (which start with the page's title), and a last line that says so."""
    old = page.read_text().split("\n### Multi-fidelity Hartmann functions\n", 1)
    if len(old) == 1:
        return "\n".join(curves) + "\n"
    rest = old[1].rstrip("\n").split("\n")
    nice = os.nice(0)
    command = f"{f'nice -n {nice} ' if nice else ''}python benchmarks/schedulers.py --curves-only"
    mark = " The recorded-curves tables and their text were run again alone:"
    rest[-1] = rest[-1].split(mark)[0] + f"{mark} {machine()}; `{command}`."
    return "\n".join([*curves, "", "### Multi-fidelity Hartmann functions", *rest]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fifo-trials", type=int, default=50)
    parser.add_argument(
        "--repeats", type=int, default=100, help="random draws of configurations, recorded curves"
    )
    parser.add_argument(
        "--synthetic-repeats", type=int, default=40, help="random draws, synthetic functions"
    )
    parser.add_argument("--cap", type=float, default=1.0, help="compute cap, times FIFO's")
    parser.add_argument(
        "--curves-only",
        action="store_true",
        help="only the recorded-curves tables: printed, and put in place of the old ones in "
        "results/schedulers.md (its other sections are left as they are)",
    )
    parser.add_argument("--scaling-trials", type=int, default=4096)
    parser.add_argument("--bohb-scaling-trials", type=int, default=1024)
    parser.add_argument("--bohb-scaling-seeds", type=int, default=3)
    parser.add_argument("--overhead-trials", type=int, default=1000)
    parser.add_argument("--overhead-rounds", type=int, default=3, help="the least of R runs")
    parser.add_argument("--pbt-seeds", type=int, default=10)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    data = record_curves.load_curves()
    problem = _scheduler_curves.RecordedCurves(data, record_curves.SPACE)
    results = []
    for n_workers, extra in ((4, optuna_pruners()), (1, {})):  # Optuna's are sequential anyway
        start = time.perf_counter()
        results.append(
            _scheduler_replay.run_all(
                problem,
                curve_makers(),
                n_fifo=args.fifo_trials,
                repeats=args.repeats,
                cap=args.cap,
                extra=extra,
                n_workers=n_workers,
            )
        )
        sys.stderr.write(
            f"recorded curves, {n_workers} workers: {time.perf_counter() - start:.0f} s\n"
        )
    lines = ["# Schedulers", "", *_scheduler_curves.curves_markdown(results, data)]
    if args.curves_only:
        text = with_curves(RESULTS / "schedulers.md", lines)
        (RESULTS / "schedulers.md").write_text(text)
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    start = time.perf_counter()
    synthetic = {}
    for dim in (3, 6):
        problem = _scheduler_synthetic.MultiFidelityHartmann(dim)
        makers = {k: v for k, v in curve_makers().items() if k in SYNTHETIC}
        synthetic[problem.name] = _scheduler_replay.run_all(
            problem, makers, n_fifo=args.fifo_trials, repeats=args.synthetic_repeats, cap=args.cap
        )
    sys.stderr.write(f"synthetic functions: {time.perf_counter() - start:.0f} s\n")
    lines += ["", *_scheduler_synthetic.synthetic_markdown(synthetic)]

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
    seeds = tuple(range(args.bohb_scaling_seeds))
    rows = _scheduler_scaling.scaling(bohb, args.bohb_scaling_trials, sampler_seeds=seeds)
    lines += ["", *_scheduler_scaling.scaling_markdown(rows, args.bohb_scaling_trials, intro=False)]
    lines += [
        "",
        f"BOHB ran {args.bohb_scaling_trials} trials: its sampler refits its density model for "
        "each new trial, at a cost that grows with the trials, so the larger job would take "
        "hours of real time; its schedule is Hyperband's. Its configurations come from its "
        "model, not from the list the others replay, and each proposal depends on what has "
        "finished when it is made, so its search differs with the number of workers (and the "
        f"seed): every figure is the median over {len(seeds)} sampler seeds. Whether a run "
        "reaches the target says more about where its model converged than about scaling: the "
        "density model narrows onto one region (the bandwidths shrink to 0.001 as the good "
        "points coincide), and a run that settled a little above the target's loss stays there.",
    ]
    budget.update(bohb)
    every: dict[str, Callable[[int], tuple[Scheduler, BOHBSampler | None]]] = {
        "FIFO": lambda seed: (FIFOScheduler(), None),
        "Median pruning": lambda seed: (MedianPruner(n_startup_trials=5, n_warmup_steps=2), None),
        "Successive halving (synchronous)": lambda seed: (SuccessiveHalving(max_resource=e), None),
        **budget,
        "PBT": lambda seed: (PBT(perturbation_interval=3, max_resource=e), None),
    }
    overhead = _scheduler_scaling.overhead(every, args.overhead_trials, rounds=args.overhead_rounds)
    lines += [
        "",
        *_scheduler_scaling.overhead_markdown(
            overhead, args.overhead_trials, rounds=args.overhead_rounds
        ),
    ]
    pbt = _scheduler_pbt.pbt_against_random(range(args.pbt_seeds))
    lines += ["", *_scheduler_pbt.pbt_markdown(pbt)]
    lines += ["", f"{machine()}; `nice -n 19 python benchmarks/schedulers.py`."]
    text = "\n".join(lines) + "\n"
    (RESULTS / "schedulers.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
