"""How much time does the library itself take per trial?

Mean wall time per ask + 5 suggestions + tell, random sampler, no-op objective, for a study of
``--trials`` trials: rheostat in memory and on SQLite, and (with ``pip install -e '.[bench]'``)
Optuna in memory, on its SQLite RDB storage and on its journal file, side by side in one run.
Also the time of ``import rheostat`` (best of 5 fresh interpreters).

    python benchmarks/overhead.py                  # writes benchmarks/results/overhead.md/.json

Optuna's RDB storage costs about a tenth of a second per trial here, so it runs
``--optuna-sqlite-trials`` trials (default 100) rather than the full study; its time per trial
only grows with the study, so this favours Optuna.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _objective_params(trial: object) -> float:
    t = trial
    x = t.suggest_float("x", -10.0, 10.0)  # type: ignore[attr-defined]
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)  # type: ignore[attr-defined]
    n = t.suggest_int("n", 1, 100)  # type: ignore[attr-defined]
    k = t.suggest_int("k", 1, 1024, log=True)  # type: ignore[attr-defined]
    c = t.suggest_categorical("c", ["a", "b", "c"])  # type: ignore[attr-defined]
    return x * x + lr + n + k + (c == "a")


def bench_rheostat(storage: str | None, trials: int) -> float:
    import rheostat
    from rheostat.samplers import RandomSampler

    study = rheostat.create_study(storage=storage, sampler=RandomSampler(seed=0))
    start = time.perf_counter()
    for _ in range(trials):
        trial = study.ask()
        study.tell(trial, _objective_params(trial))
    elapsed = time.perf_counter() - start
    assert len(study.trials) == trials
    study.storage.close()
    return elapsed / trials


def bench_optuna(storage: object, trials: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    for _ in range(trials):
        trial = study.ask()
        study.tell(trial, _objective_params(trial))
    elapsed = time.perf_counter() - start
    assert len(study.trials) == trials
    return elapsed / trials


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import rheostat; print(time.perf_counter() - t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return min(runs)


def _repeat(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--optuna-sqlite-trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    parser.add_argument("--no-optuna", action="store_true")
    args = parser.parse_args()

    rows: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10_000))

        def db() -> str:
            return f"sqlite:///{tmp}/r{next(counter)}.db"

        rows["rheostat memory"] = {
            "trials": args.trials,
            "ms": 1e3 * _repeat(lambda: bench_rheostat(None, args.trials), args.repeats),
        }
        rows["rheostat sqlite"] = {
            "trials": args.trials,
            "ms": 1e3 * _repeat(lambda: bench_rheostat(db(), args.trials), args.repeats),
        }
        if not args.no_optuna:
            try:
                import optuna
                from optuna.storages.journal import JournalFileBackend
            except ImportError:
                print("optuna is not installed: pip install -e '.[bench]'", file=sys.stderr)
            else:
                rows["optuna memory"] = {
                    "trials": args.trials,
                    "ms": 1e3 * _repeat(lambda: bench_optuna(None, args.trials), args.repeats),
                }
                n_rdb = args.optuna_sqlite_trials
                rows["optuna sqlite (RDB)"] = {
                    "trials": n_rdb,
                    "ms": 1e3 * _repeat(lambda: bench_optuna(db(), n_rdb), 1),
                }

                def journal() -> float:
                    path = f"{tmp}/j{next(counter)}.log"
                    storage = optuna.storages.JournalStorage(JournalFileBackend(path))
                    return bench_optuna(storage, args.trials)

                rows["optuna journal file"] = {
                    "trials": args.trials,
                    "ms": 1e3 * _repeat(journal, 1),
                }
    imp = import_time()

    ours_mem = rows["rheostat memory"]["ms"]
    ours_sql = rows["rheostat sqlite"]["ms"]
    lines = [
        "# Overhead per trial (ask + 5 suggestions + tell, random sampler, no-op objective)",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; command: "
        "`python benchmarks/overhead.py`; median of "
        f"{args.repeats} runs (Optuna SQLite and journal: 1 run).",
        "",
        "| setup | trials | ms per trial | trials/s | rheostat memory / this | "
        "rheostat sqlite / this |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        ms = float(row["ms"])
        lines.append(
            f"| {name} | {row['trials']} | {ms:.3f} | {1e3 / ms:,.0f} | "
            f"{float(ours_mem) / ms:.2f} | {float(ours_sql) / ms:.2f} |"
        )
    lines += ["", f"`import rheostat`: {imp * 1e3:.0f} ms (best of 5 fresh interpreters)."]
    if "optuna memory" in rows:
        opt_mem = float(rows["optuna memory"]["ms"])
        opt_rdb = float(rows["optuna sqlite (RDB)"]["ms"])
        lines += [
            "",
            f"- in memory: rheostat takes {float(ours_mem) / opt_mem:.2f}x Optuna's time per "
            "trial (target: <= 0.5)",
            f"- on SQLite: rheostat's throughput is {opt_rdb / float(ours_sql):.0f}x Optuna's "
            "RDB storage (target: >= 20)",
            f"- SQLite vs memory: rheostat on SQLite takes {float(ours_sql) / float(ours_mem):.1f}x"
            " its in-memory time (target: <= 3)",
        ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "overhead.md").write_text(text)
    (RESULTS / "overhead.json").write_text(
        json.dumps({"rows": rows, "import_seconds": imp}, indent=2) + "\n"
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
