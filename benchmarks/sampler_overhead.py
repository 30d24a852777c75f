"""How much time does each sampler take per trial as the study grows, and how much memory?

Time per ask + tell on a 10-D float space (a sphere objective) at trial 100, 1000 and 3000, for
rheostat's samplers and, with ``pip install -e '.[bench]'``, Optuna's, side by side in one run.
Each study is first filled with random trials (quickly: rheostat's RandomSampler, Optuna's
``add_trials``), then the sampler under test runs one untimed trial (a GP sampler that joins a
study replays its memoized fits once) and ``--asks`` more, whose mean time is taken. GP
samplers are timed at 100 and 300 trials (their cost grows as n^3). Then the peak memory of a
fresh process that runs a whole ``--memory-trials`` TPE study: its own high-water RSS (VmHWM on
Linux; elsewhere ru_maxrss, which on Linux would also count the parent's peak, carried across
exec, and this parent has loaded Optuna and torch).

``--clock cpu`` times the process's CPU (all threads) instead of the wall clock and ``--repeats R``
keeps the least mean of R rounds: steadier on a shared machine.

    python benchmarks/sampler_overhead.py   # writes benchmarks/results/sampler_overhead.md/.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
DIM = 10
# ``--clock``: wall time, or this process's CPU time over all its threads (steadier on a shared
# machine, where waiting for a core is not the sampler's cost).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


@dataclass
class Timing:
    """How ``_timed`` measures: which clock, and how many rounds (the least mean counts)."""

    clock: Callable[[], float] = time.perf_counter
    repeats: int = 1


TIMING = Timing()
POINTS = {"tpe": (100, 1000, 3000), "gp": (100, 300)}


def _sphere(x: list[float]) -> float:
    return float(sum(v * v for v in x))


def rheostat_cost(make: Callable[[], Any], n_before: int, asks: int) -> float:
    """Mean seconds per ask + tell of the sampler ``make()`` once the study has ``n_before``."""
    import rheostat
    from rheostat.distributions import Float
    from rheostat.samplers import RandomSampler
    from rheostat.space import Space

    space = Space({f"x{i}": Float(-5.0, 5.0) for i in range(DIM)})
    study = rheostat.create_study(sampler=RandomSampler(seed=0), seed=0)
    for _ in range(n_before):
        trial = study.ask(space)
        study.tell(trial, _sphere([trial.params[k] for k in space]))
    study.sampler = make()
    trial = study.ask(space)  # warm-up, untimed: a GP replays its memoized fits once
    study.tell(trial, _sphere([trial.params[k] for k in space]))

    def run() -> None:
        trial = study.ask(space)
        study.tell(trial, _sphere([trial.params[k] for k in space]))

    return _timed(run, asks)


def _timed(run: Callable[[], None], asks: int) -> float:
    """The least over ``TIMING["repeats"]`` rounds of the mean time of ``asks`` calls of ``run``
    (each round continues the study: ``asks`` more trials)."""
    best = float("inf")
    for _ in range(TIMING.repeats):
        start = TIMING.clock()
        for _ in range(asks):
            run()
        best = min(best, (TIMING.clock() - start) / asks)
    return best


def optuna_cost(make: Callable[[], Any], n_before: int, asks: int) -> float:
    """The same for an Optuna sampler; the first trials are added without sampling."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(-5.0, 5.0) for i in range(DIM)}
    rng = np.random.default_rng(0)
    study = optuna.create_study(sampler=make())
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=dict(zip(dists, x.tolist(), strict=True)),
                distributions=dists,
                value=_sphere(x.tolist()),
            )
            for x in rng.uniform(-5.0, 5.0, size=(n_before, DIM))
        ]
    )
    trial = study.ask(dists)  # warm-up, untimed, as for rheostat
    study.tell(trial, _sphere([trial.params[k] for k in dists]))

    def run() -> None:
        trial = study.ask(dists)
        study.tell(trial, _sphere([trial.params[k] for k in dists]))

    return _timed(run, asks)


def _ours(kind: str) -> Callable[[], Any]:
    from rheostat import samplers

    return {
        "tpe": lambda: samplers.TPESampler(seed=0),
        "gp": lambda: samplers.GPSampler(seed=0),
        "auto": lambda: samplers.AutoSampler(seed=0),
    }[kind]


def _optuna(kind: str) -> Callable[[], Any]:
    import optuna

    return {
        "tpe": lambda: optuna.samplers.TPESampler(seed=0, multivariate=True),
        "gp": lambda: optuna.samplers.GPSampler(seed=0),
    }[kind]


def memory_run(trials: int) -> dict[str, float]:
    """Run a whole TPE study in this process and return its peak memory and time."""
    start = time.perf_counter()
    cost = rheostat_cost(_ours("tpe"), 0, trials)
    return {
        "trials": trials,
        "seconds": time.perf_counter() - start,
        "mean_ms": cost * 1e3,
        "peak_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB, counted from its exec (see the docstring)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _asks(kind: str, n: int, base: int) -> int:
    return max(3, base // 4) if kind == "gp" and n >= 300 else base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=20, help="timed trials per point")
    parser.add_argument("--memory-trials", type=int, default=10_000)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--repeats", type=int, default=1, help="rounds per point; least mean")
    parser.add_argument("--no-optuna", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    TIMING.clock, TIMING.repeats = CLOCKS[args.clock], args.repeats
    if args.memory_child:
        print(json.dumps(memory_run(args.memory_child)))
        return 0

    rows: list[dict[str, Any]] = []
    for kind, points in POINTS.items():
        for n in points:
            asks = _asks(kind, n, args.asks)
            row: dict[str, Any] = {"sampler": kind, "trials": n, "asks": asks}
            row["rheostat_ms"] = 1e3 * rheostat_cost(_ours(kind), n, asks)
            if not args.no_optuna:
                row["optuna_ms"] = 1e3 * optuna_cost(_optuna(kind), n, asks)
                row["ratio"] = row["rheostat_ms"] / row["optuna_ms"]
            rows.append(row)
            print(row, flush=True)
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-child",
            str(args.memory_trials),
            "--clock",
            args.clock,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    memory = json.loads(child.stdout.strip().splitlines()[-1])

    command = "".join(f" {a}" for a in sys.argv[1:])
    clock_note = {
        "wall": "wall clock",
        "cpu": "CPU time of the process, all threads (a busy machine's waits left out)",
    }[args.clock] + (f", least mean of {args.repeats} rounds" if args.repeats > 1 else "")
    lines = [
        f"# Sampler cost per trial ({DIM}-D float space, ask + tell, in memory)",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; command: "
        f"`python benchmarks/sampler_overhead.py{command}`. Optuna: multivariate TPESampler and "
        f"GPSampler (with torch on the CPU). Times: {clock_note}.",
        "",
        "| sampler | trials in study | rheostat ms | Optuna ms | rheostat / Optuna |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        opt = f"{row['optuna_ms']:.1f}" if "optuna_ms" in row else "-"
        ratio = f"{row['ratio']:.3f}" if "ratio" in row else "-"
        lines.append(
            f"| {row['sampler']} | {row['trials']} | {row['rheostat_ms']:.2f} | {opt} | {ratio} |"
        )
    lines += [
        "",
        f"A whole {memory['trials']:,}-trial TPE study in a fresh process: peak memory (its own "
        "high-water RSS, VmHWM) "
        f"{memory['peak_mb']:.0f} MB, {memory['seconds']:.0f} s ({memory['mean_ms']:.2f} ms per "
        "trial on average). Targets: TPE <= 2 ms at trial 1000; <= 500 MB at 10,000 trials; "
        "GP <= half of Optuna's time at 100 and 300 trials.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sampler_overhead.md").write_text(text)
    (RESULTS / "sampler_overhead.json").write_text(
        json.dumps(
            {"clock": args.clock, "repeats": args.repeats, "rows": rows, "memory": memory},
            indent=2,
        )
        + "\n"
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
