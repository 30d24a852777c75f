"""How many trials per second do worker processes finish on a shared database?

Two measurements, each on SQLite (a file, WAL mode) and on PostgreSQL (a private server this
script starts in a temporary folder and stops afterwards; ``scripts/ensure-postgres.sh``
installs it), for rheostat and (with ``pip install -e '.[bench]'``) Optuna's RDB storage on the
same database engines, side by side:

1. **Throughput**: completed trials per second with 1, 2, 4 and 8 worker *processes*, each
   running the library's own worker loop (``study.optimize(timeout=…)`` on a study loaded from
   the URL) with the random sampler and a no-op objective (one ``suggest_float``). Workers open
   the study, wait at a barrier, then run for ``--seconds``; the rate is the completed trials
   over the time from the barrier to the last worker's end.
2. **Time per ask as the study grows**: 8 worker processes run ask / suggest / tell until the
   study holds ``--ask-trials`` trials; the median ``ask`` time of the 100 trials before each mark
   (100, 500, 1,000, 2,000). Optuna stops at ``--optuna-ask-seconds`` and shows the marks it
   reached.

    python benchmarks/throughput.py     # writes benchmarks/results/throughput.md and .json

A full run takes about five minutes on a 2-core machine. The workers share the machine with the
database server, so with more workers than cores the rate measures contention, not scaling.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import queue
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
MARKS = (100, 500, 1000, 2000)
_CTX = multiprocessing.get_context("spawn")  # no engine or connection crosses a fork


def _objective(trial: Any) -> float:
    x: float = trial.suggest_float("x", -10.0, 10.0)
    return x * x


def _open(lib: str, url: str, name: str) -> Any:
    if lib == "rheostat":
        import rheostat
        from rheostat.samplers import RandomSampler

        return rheostat.load_study(name, url, sampler=RandomSampler())
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler())


def _create(lib: str, url: str, name: str) -> None:
    if lib == "rheostat":
        import rheostat

        study = rheostat.create_study(study_name=name, storage=url)
        study.storage.close()
        return
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna.create_study(study_name=name, storage=url)


def _throughput_worker(
    lib: str, url: str, name: str, seconds: float, barrier: Any, out: Any
) -> None:
    study = _open(lib, url, name)
    done = errors = 0
    first_error = ""
    appends = [0, 0]  # rheostat: appends, and those refused (a claim another worker took)
    if lib == "rheostat":
        from rheostat.exceptions import StorageConflictError

        storage = study.storage
        plain_append = storage.append

        def counted_append(*args: Any, **kwargs: Any) -> int:
            appends[0] += 1
            try:
                return int(plain_append(*args, **kwargs))
            except StorageConflictError:
                appends[1] += 1
                raise

        storage.append = counted_append

    def count(_study: object, _record: object) -> None:
        nonlocal done
        done += 1

    barrier.wait()
    start = time.time()
    deadline = start + seconds
    while (left := deadline - time.time()) > 0:
        try:  # a storage error (Optuna on SQLite: "database is locked") ends optimize: go on
            study.optimize(_objective, timeout=left, callbacks=[count])
        except Exception as exc:
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"[:300]
    end = time.time()
    out.put(
        {
            "start": start,
            "end": end,
            "done": done,
            "errors": errors,
            "error": first_error,
            "appends": appends[0],
            "conflicts": appends[1],
        }
    )


def _ask_worker(
    lib: str, url: str, name: str, max_trials: int, cap: float, barrier: Any, out: Any
) -> None:
    study = _open(lib, url, name)
    samples: list[tuple[int, float]] = []
    barrier.wait()
    deadline = time.time() + cap
    while time.time() < deadline:
        try:  # Optuna on SQLite may raise "database is locked": skip that trial
            t0 = time.perf_counter()
            trial = study.ask()
            elapsed = time.perf_counter() - t0
            samples.append((trial.number, elapsed))
            study.tell(trial, _objective(trial))
        except Exception:
            continue
        if trial.number >= max_trials - 1:
            break
    out.put(samples)


def _run_processes(target: Callable[..., None], n: int, args: tuple[Any, ...]) -> list[Any]:
    barrier = _CTX.Barrier(n)
    out = _CTX.Queue()
    procs = [_CTX.Process(target=target, args=(*args, barrier, out)) for _ in range(n)]
    for p in procs:
        p.start()
    results = []
    while len(results) < n:
        try:
            results.append(out.get(timeout=5))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                for p in procs:
                    p.kill()
                raise RuntimeError("a worker process died without reporting") from None
    for p in procs:
        p.join(timeout=60)
        if p.exitcode != 0:
            raise RuntimeError(f"a worker process exited with {p.exitcode}")
    return results


def throughput(lib: str, url: str, name: str, workers: int, seconds: float) -> dict[str, Any]:
    _create(lib, url, name)
    results = _run_processes(_throughput_worker, workers, (lib, url, name, seconds))
    start = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    done = sum(r["done"] for r in results)
    errors = sum(r["errors"] for r in results)
    first = next((r["error"] for r in results if r["error"]), "")
    return {
        "appends": sum(r["appends"] for r in results),
        "conflicts": sum(r["conflicts"] for r in results),
        "trials": done,
        "seconds": end - start,
        "per_second": done / (end - start),
        "errors": errors,
        "first_error": first,
    }


def ask_latency(lib: str, url: str, name: str, max_trials: int, cap: float) -> dict[str, Any]:
    _create(lib, url, name)
    results = _run_processes(_ask_worker, 8, (lib, url, name, max_trials, cap))
    samples = [s for r in results for s in r]
    reached = max(n for n, _ in samples) + 1
    ms: dict[str, float] = {}
    for mark in MARKS:
        window = [t for n, t in samples if mark - 100 <= n < mark]
        if mark <= reached and len(window) >= 50:
            ms[str(mark)] = 1e3 * statistics.median(window)
    return {"reached": reached, "ms_per_ask": ms}


@contextmanager
def _databases(use_postgres: bool) -> Iterator[Callable[[str], str] | None]:
    """A factory of fresh PostgreSQL database URLs on a private server, or ``None``."""
    if not use_postgres:
        yield None
        return
    from rheostat.testing._postgres import PostgresUnavailableError, postgres_server

    with ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server())
        except PostgresUnavailableError as exc:
            print(f"skipping PostgreSQL: {exc}", file=sys.stderr)
            yield None
            return
        counter = iter(range(10_000))
        yield lambda tag: server.create_database(f"{tag}_{next(counter)}")


def _fmt(x: float | None, spec: str = ",.0f") -> str:
    return "-" if x is None else format(x, spec)


def _report(data: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        "# Throughput: completed trials per second with worker processes on a shared database",
        "",
        f"Machine: {platform.machine()}, {multiprocessing.cpu_count()} cores, Python "
        f"{platform.python_version()}; command: `python benchmarks/throughput.py`. "
        f"No-op objective (one `suggest_float`), random sampler, each library's worker loop "
        f"(`study.optimize`) in every process, {args.seconds:g} s per point. PostgreSQL "
        f"{data.get('postgres_version', '?')} runs on the same machine (private server, fsync "
        "off). Optuna " + data.get("optuna_version", "not installed") + ", RDB storage.",
        "",
        "| database | workers | rheostat trials/s | Optuna trials/s | rheostat / Optuna | "
        "errors (rheostat / Optuna) | rheostat appends refused (conflicts) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["throughput"]:
        ours, theirs = row.get("rheostat"), row.get("optuna")
        r = ours["per_second"] if ours else None
        o = theirs["per_second"] if theirs else None
        ratio = f"{r / o:.1f}x" if r and o else "-"
        errs = f"{ours['errors'] if ours else '-'} / {theirs['errors'] if theirs else '-'}"
        refused = (
            f"{ours['conflicts'] / ours['appends']:.0%} of {ours['appends']:,}"
            if ours and ours["appends"]
            else "-"
        )
        lines.append(
            f"| {row['database']} | {row['workers']} | {_fmt(r)} | {_fmt(o, ',.1f')} | "
            f"{ratio} | {errs} | {refused} |"
        )
    lines += [
        "",
        "## Time per `ask` with 8 concurrent worker processes as the study grows",
        "",
        "Median ms per `ask` over the 100 trials before each mark.",
        "",
        "| setup | " + " | ".join(f"{m:,} trials" for m in MARKS) + " | last / first |",
        "|---|" + "---:|" * (len(MARKS) + 1),
    ]
    for row in data["ask"]:
        ms = row["ms_per_ask"]
        cells = [_fmt(ms.get(str(m)), ".2f") for m in MARKS]
        have = [ms[str(m)] for m in MARKS if str(m) in ms]
        growth = f"{have[-1] / have[0]:.2f}x" if len(have) >= 2 else "-"
        lines.append(f"| {row['setup']} | " + " | ".join(cells) + f" | {growth} |")
    lines += ["", "## Targets", ""] + [f"- {t}" for t in data["targets"]]
    lines += [
        "",
        "A refused append is an `ask` whose claim of the next trial number (`trial:N`) another "
        "worker's `ask` took first; tells, reports and heartbeats claim nothing a new trial "
        "needs, so they never refuse one (storage schema version 3; before it, any append did). "
        "The loser backs off for a random while, reads the new events and tries again. With a "
        "no-op objective every worker asks all the time, so asks, not the objective or the "
        "sampler, contend: each refusal costs an append and a read.",
    ]
    errors = [
        f"{row['database']} {row['workers']} workers, {lib}: {row[lib]['first_error']}"
        for row in data["throughput"]
        for lib in ("rheostat", "optuna")
        if row.get(lib) and row[lib]["first_error"]
    ]
    if errors:
        lines += ["", "First error per point (the worker went on):", ""]
        lines += [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def _targets(data: dict[str, Any]) -> list[str]:
    out = []
    rows = {(r["database"], r["workers"]): r for r in data["throughput"]}
    pg8 = rows.get(("PostgreSQL", 8))
    if pg8 and pg8.get("rheostat") and pg8.get("optuna"):
        ratio = pg8["rheostat"]["per_second"] / pg8["optuna"]["per_second"]
        out.append(
            f"PostgreSQL, 8 workers: {ratio:.1f}x Optuna's throughput (target >= 10x): "
            + ("met" if ratio >= 10 else "NOT met")
        )
    sq2 = rows.get(("SQLite", 2))
    if sq2 and sq2.get("rheostat"):
        rate = sq2["rheostat"]["per_second"]
        out.append(
            f"SQLite, 2 workers: {rate:,.0f} trials/s (target >= 300): "
            + ("met" if rate >= 300 else "NOT met")
        )
    for row in data["ask"]:
        if not row["setup"].startswith("rheostat"):
            continue
        ms = row["ms_per_ask"]
        if "100" in ms and "2000" in ms:
            growth = ms["2000"] / ms["100"]
            out.append(
                f"{row['setup']}: ask at 2,000 trials takes {growth:.2f}x its time at 100 "
                "(target <= 2x): " + ("met" if growth <= 2 else "NOT met")
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per throughput point")
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--ask-trials", type=int, default=2000)
    parser.add_argument("--optuna-ask-seconds", type=float, default=45.0)
    parser.add_argument("--no-optuna", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]

    libs = ["rheostat"]
    data: dict[str, Any] = {"throughput": [], "ask": []}
    if not args.no_optuna:
        try:
            import optuna
        except ImportError:
            print("optuna is not installed: pip install -e '.[bench]'", file=sys.stderr)
        else:
            libs.append("optuna")
            data["optuna_version"] = optuna.__version__

    with tempfile.TemporaryDirectory() as tmp, _databases(not args.no_postgres) as pg:
        counter = iter(range(10_000))

        def sqlite(_tag: str) -> str:
            return f"sqlite:///{tmp}/db{next(counter)}.db"

        engines: list[tuple[str, Callable[[str], str]]] = [("SQLite", sqlite)]
        if pg is not None:
            engines.append(("PostgreSQL", pg))
            import sqlalchemy as sa

            engine = sa.create_engine(pg("version"))
            with engine.connect() as conn:
                data["postgres_version"] = conn.execute(sa.text("SHOW server_version")).scalar()
            engine.dispose()
        for db_name, fresh in engines:
            for n in workers:
                row: dict[str, Any] = {"database": db_name, "workers": n}
                for lib in libs:
                    row[lib] = throughput(lib, fresh(lib), "bench", n, args.seconds)
                    print(db_name, n, lib, f"{row[lib]['per_second']:.1f}/s", flush=True)
                data["throughput"].append(row)
        for db_name, fresh in engines:
            for lib in libs:
                cap = 600.0 if lib == "rheostat" else args.optuna_ask_seconds
                result = ask_latency(lib, fresh(lib), "ask", args.ask_trials, cap)
                data["ask"].append({"setup": f"{lib} {db_name}", **result})
                print(db_name, lib, result, flush=True)
    data["targets"] = _targets(data)
    text = _report(data, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "throughput.md").write_text(text)
    (RESULTS / "throughput.json").write_text(json.dumps(data, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
