"""How few trials does each sampler need?

Every sampler minimizes every problem of ``benchmarks/_problems.py`` for ``--trials`` trials
(default 100) with ``--seeds`` seeds (default 10): seven synthetic functions with known optima
(Branin, Hartmann-6, a mixed integer/categorical Hartmann-6, Ackley-5/10, Rosenbrock-5, Levy-10)
and seven cheap, deterministic scikit-learn tuning problems (3-fold CV with fixed folds and
``random_state``; loss 1 - accuracy, or MSE), whose optimum is estimated as the best value seen
in any run of any sampler or in a dense random sample of ``--dense`` configurations.

Samplers: rheostat's ``random``, ``sobol``, ``tpe``, ``gp`` and ``auto`` (skipped with a
message when not importable), and peers (``benchmarks/_peers.py``, ``pip install -e
'.[bench]'``): ``optuna-tpe``, ``optuna-itpe``, ``optuna-mtpe``, ``optuna-gp``, ``hyperopt``,
``skopt``, ``ngopt``.

Score, bayesmark-style, at half the trials and at all of them (prefixes of the same run):
``100 * (1 - (best - optimum) / (random_best - optimum))`` where ``random_best`` is the mean
over seeds of rheostat's random sampler's best at that budget: random scores about 0, the
optimum 100, worse than random is negative (not clipped). Tables give mean +- standard error
over problems x seeds per group, per-problem means, and the sampler's time per trial outside
the objective.

Every finished run is appended to ``benchmarks/results/samplers_runs.jsonl`` (values in trial
order, timings); a rerun skips runs already there, and the report is always computed from that
file, so samplers can be added later::

    python benchmarks/samplers.py                     # everything missing, then the report
    python benchmarks/samplers.py --samplers tpe,gp --jobs 2
    python benchmarks/samplers.py --report-only       # re-score the jsonl
    python benchmarks/samplers.py --status            # runs done, CPU time to go
    python benchmarks/samplers.py --smoke             # a few seconds: 2 seeds, 20 trials

Writes ``benchmarks/results/samplers.md`` and ``samplers.json`` (``samplers_smoke.*`` for
``--smoke``). Run long jobs under ``nice``; each worker is limited to one BLAS/torch thread.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import PEERS, REQUIRES, missing, suggest_all
from _problems import PROBLEMS, Config, Problem

RESULTS = Path(__file__).resolve().parent / "results"
DENSE = "dense-random"
DENSE_SEED = 1_000_003
RHEOSTAT = {
    # name: (class, modules to look in after rheostat.samplers)
    "random": ("RandomSampler", ()),
    "sobol": ("SobolSampler", ()),
    "tpe": ("TPESampler", ("rheostat.samplers._tpe",)),
    "gp": ("GPSampler", ("rheostat.samplers._gp",)),
    "auto": ("AutoSampler", ("rheostat.samplers._auto",)),
}
ALL = [*RHEOSTAT, *PEERS]
SMOKE_SAMPLERS = ["random", "sobol", "tpe", "optuna-tpe", "hyperopt", "ngopt"]
SMOKE_PROBLEMS = ["branin", "hartmann6-mixed", "knn-wine"]


# -- running -----------------------------------------------------------------------------------


def rheostat_class(name: str) -> tuple[type[Any] | None, str]:
    """The sampler class for rheostat sampler ``name``, or ``None`` and why not."""
    cls_name, modules = RHEOSTAT[name]
    errors = []
    for module in ("rheostat.samplers", *modules):
        try:
            found = getattr(importlib.import_module(module), cls_name, None)
        except Exception as exc:
            errors.append(f"{module}: {type(exc).__name__}: {exc}")
            continue
        if found is not None:
            return found, module
        errors.append(f"{module} has no {cls_name}")
    return None, "; ".join(errors)


def unavailable(name: str) -> str | None:
    if name in RHEOSTAT:
        cls, why = rheostat_class(name)
        return None if cls is not None else why
    if name in PEERS:
        return missing(name)
    return f"unknown sampler (known: {', '.join(ALL)})"


def _rheostat_runner(name: str, seed_offset: int = 0) -> Callable[..., None]:
    def run(
        problem: Problem, seed: int, n_trials: int, objective: Callable[[Config], float]
    ) -> None:
        import rheostat

        cls, _ = rheostat_class(name)
        if cls is None:
            raise RuntimeError(f"rheostat sampler {name!r} is not available")
        study = rheostat.create_study(sampler=cls(seed=seed + seed_offset), seed=seed)
        study.optimize(lambda t: objective(suggest_all(t, problem)), n_trials=n_trials)

    return run


class Recorder:
    """The objective as the optimizers see it: checks each configuration, records its loss and
    the time spent in the objective (evaluations not already memoized counted apart)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.values: list[float] = []
        self.seconds = 0.0
        self.fresh_seconds = 0.0
        self.fresh_cpu_seconds = 0.0
        self.fresh = 0

    def __call__(self, config: Config) -> float:
        space = self.problem.space
        if set(config) != set(space):
            raise ValueError(f"{self.problem.name}: got {sorted(config)}, want {sorted(space)}")
        for name, p in space.items():
            v = config[name]
            ok = v in p.choices if p.kind == "cat" else p.low <= v <= p.high  # type: ignore[operator]
            if not ok or (p.kind == "int" and type(v) is not int):
                raise ValueError(f"{self.problem.name}: {name}={v!r} outside {p}")
        new = tuple(config[name] for name in space) not in self.problem._memo
        start, cpu = time.perf_counter(), time.process_time()
        value = self.problem(config)
        elapsed = time.perf_counter() - start
        self.seconds += elapsed
        if new:
            self.fresh += 1
            self.fresh_seconds += elapsed
            self.fresh_cpu_seconds += time.process_time() - cpu
        self.values.append(value)
        return value


def _limit_threads() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # BLAS; torch reads OMP_NUM_THREADS=1, set by main() before import


def run_one(problem_name: str, sampler: str, seed: int, n_trials: int) -> dict[str, Any]:
    """One run; a record for the jsonl, or ``{"error": ...}``."""
    key = {"problem": problem_name, "sampler": sampler, "seed": seed, "n_trials": n_trials}
    try:
        _limit_threads()
        problem = PROBLEMS[problem_name]
        if sampler == DENSE:
            runner = _rheostat_runner("random", seed_offset=DENSE_SEED)
        elif sampler in RHEOSTAT:
            runner = _rheostat_runner(sampler)
        else:
            runner = PEERS[sampler]
        rec = Recorder(problem)
        start, cpu = time.perf_counter(), time.process_time()
        runner(problem, seed, n_trials, rec)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        if len(rec.values) != n_trials:
            raise RuntimeError(f"{len(rec.values)} evaluations, expected {n_trials}")
    except Exception:
        return {**key, "error": traceback.format_exc()}
    best, trace = math.inf, []
    for v in rec.values:
        best = min(best, v)
        trace.append(best)
    return {
        **key,
        "group": problem.group,
        "problem_fingerprint": problem.fingerprint,
        "values": rec.values,
        "best": trace,
        "seconds": round(total, 4),
        "cpu_seconds": round(cpu, 4),  # this process's CPU time: the wall time on a free core
        "objective_seconds": round(rec.seconds, 4),
        "overhead_per_trial": round((total - rec.seconds) / n_trials, 6),
        "fresh_evaluations": rec.fresh,
        "fresh_seconds": round(rec.fresh_seconds, 4),
        "fresh_cpu_seconds": round(rec.fresh_cpu_seconds, 4),
        "version": version_of(sampler),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
    }


def version_of(sampler: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    dist = {"skopt": "scikit-optimize"}
    module = "rheostat" if sampler in RHEOSTAT or sampler == DENSE else REQUIRES[sampler][0]
    try:
        return f"{module} {version(dist.get(module, module))}"
    except PackageNotFoundError:
        return module


# -- the log of runs ---------------------------------------------------------------------------


def load_runs(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    runs, seen = [], set()
    for line in path.read_text().splitlines():
        try:
            run = json.loads(line)
        except json.JSONDecodeError:  # an empty line, or one cut short by a kill
            continue
        key = (_key(run), run.get("problem_fingerprint"))
        if key not in seen:  # two processes on the same file: the first record counts
            seen.add(key)
            runs.append(run)
    return runs


def current(r: Mapping[str, Any]) -> bool:
    """Whether run ``r`` was made on the problem as defined now."""
    p = PROBLEMS.get(r["problem"])
    return p is not None and r.get("problem_fingerprint") == p.fingerprint


def _key(r: Mapping[str, Any]) -> tuple[str, str, int, int]:
    return (r["problem"], r["sampler"], int(r["seed"]), int(r["n_trials"]))


def run_all(tasks: list[tuple[str, str, int, int]], path: Path, jobs: int) -> None:
    done = {_key(r) for r in load_runs(path) if current(r)}
    todo = [t for t in tasks if t not in done]
    print(
        f"{len(tasks) - len(todo)} of {len(tasks)} runs already in {path.name}; {len(todo)} to go",
        flush=True,
    )
    if not todo:
        return
    start = time.perf_counter()

    def finished(i: int, rec: dict[str, Any]) -> None:
        label = f"[{i}/{len(todo)} {time.perf_counter() - start:7.0f}s] " + " ".join(
            str(rec[k]) for k in ("problem", "sampler", "seed")
        )
        if "error" in rec:
            print(f"{label} FAILED\n{rec['error']}", flush=True)
            return
        with path.open("a") as f:
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        print(
            f"{label} best={rec['best'][-1]:.6g} {rec['seconds']:.1f}s "
            f"(cpu {rec['cpu_seconds']:.1f}s; "
            f"sampler {rec['overhead_per_trial'] * 1e3:.1f} ms/trial)",
            flush=True,
        )

    if jobs <= 1:
        for i, task in enumerate(todo, 1):
            finished(i, run_one(*task))
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, *task) for task in todo]
        for i, future in enumerate(as_completed(futures), 1):
            finished(i, future.result())


def status(tasks: list[tuple[str, str, int, int]], path: Path) -> str:
    """Runs done per sampler and the CPU time the rest should take (one core, from the runs so
    far of the same sampler on the same problem, else on the same group of problems)."""
    runs = [r for r in load_runs(path) if current(r)]
    done = {_key(r) for r in runs}
    cost: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in runs:
        c = float(r.get("cpu_seconds", r["seconds"]))
        cost[(r["problem"], r["sampler"])].append(c)
        cost[(PROBLEMS[r["problem"]].group, r["sampler"])].append(c)
    rows: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    for problem, sampler, seed, n in tasks:
        row = rows[sampler]
        row[1] += 1
        if (problem, sampler, seed, n) in done:
            row[0] += 1
            continue
        known = cost.get((problem, sampler)) or cost.get((PROBLEMS[problem].group, sampler))
        if known:
            row[2] += statistics.fmean(known)
        else:
            row[3] += 1
    lines = ["| sampler | done | of | CPU minutes to go | runs without an estimate |"]
    lines.append("|---|---:|---:|---:|---:|")
    for sampler, (n_done, n_all, to_go, unknown) in rows.items():
        lines.append(
            f"| {sampler} | {n_done:.0f} | {n_all:.0f} | {to_go / 60:.1f} | {unknown:.0f} |"
        )
    total = sum(r[2] for r in rows.values()) / 60
    lines.append(f"| total | | | {total:.1f} | {sum(r[3] for r in rows.values()):.0f} |")
    return "\n".join(lines) + "\n"


# -- scoring -----------------------------------------------------------------------------------


def _mean_se(xs: list[float]) -> tuple[float, float]:
    if not xs:
        return math.nan, math.nan
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else math.nan
    return statistics.fmean(xs), se


def score(runs: list[dict[str, Any]], n_trials: int) -> dict[str, Any]:
    """Scores of every run of ``n_trials`` trials, from the records alone."""
    budgets = sorted({max(1, n_trials // 2), n_trials})
    runs = [r for r in runs if current(r)]
    by_problem: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by_problem[r["problem"]].append(r)
    problems: dict[str, Any] = {}
    for name, problem in PROBLEMS.items():
        seen = [min(r["values"]) for r in by_problem.get(name, [])]
        observed = min(seen, default=math.inf)
        if problem.optimum is not None:
            optimum, source = min(problem.optimum, observed), "known"
        else:
            optimum, source = observed, "estimated: best seen in any run or the dense sample"
        fresh = [r for r in by_problem.get(name, []) if r.get("fresh_evaluations")]
        timed = [r for r in fresh if "fresh_cpu_seconds" in r]  # CPU time: robust to load
        seconds_key = "fresh_cpu_seconds" if timed else "fresh_seconds"
        fresh = timed or fresh
        n_fresh = sum(r["fresh_evaluations"] for r in fresh)
        randoms = [
            r
            for r in by_problem.get(name, [])
            if r["sampler"] == "random" and r["n_trials"] == n_trials
        ]
        problems[name] = {
            "group": problem.group,
            "dims": _dims(problem),
            "note": problem.note,
            "optimum": optimum,
            "optimum_source": source,
            "ms_per_evaluation": (
                1e3 * sum(r[seconds_key] for r in fresh) / n_fresh if n_fresh else math.nan
            ),
            "random_runs": len(randoms),
            "random_best": {
                b: statistics.fmean(r["best"][b - 1] for r in randoms) if randoms else math.nan
                for b in budgets
            },
        }
    scored: list[dict[str | int, Any]] = []
    for r in runs:
        if r["n_trials"] != n_trials or r["sampler"] == DENSE:
            continue
        info = problems[r["problem"]]
        row: dict[str | int, Any] = {
            k: r[k] for k in ("problem", "group", "sampler", "seed", "overhead_per_trial")
        }
        for b in budgets:
            span = info["random_best"][b] - info["optimum"]
            if not span > 1e-12 * max(1.0, abs(info["optimum"])):  # also NaN: no random runs
                row[b] = None
            else:
                row[b] = 100.0 * (1.0 - (r["best"][b - 1] - info["optimum"]) / span)
        scored.append(row)
    return {"budgets": budgets, "problems": problems, "scored": scored}


def _dims(problem: Problem) -> str:
    kinds = [p.kind for p in problem.space.values()]
    parts = [f"{kinds.count(k)} {k}" for k in ("float", "int", "cat") if kinds.count(k)]
    return f"{len(kinds)}-D: " + ", ".join(parts)


def summarize(result: dict[str, Any], samplers: Iterable[str]) -> dict[str, Any]:
    budgets, scored = result["budgets"], result["scored"]
    order = [s for s in samplers if any(r["sampler"] == s for r in scored)]
    order += sorted({r["sampler"] for r in scored} - set(order))
    groups: dict[str, Any] = {}
    for group in ("synthetic", "sklearn"):
        rows = [r for r in scored if r["group"] == group]
        table = {}
        for s in order:
            mine = [r for r in rows if r["sampler"] == s]
            if not mine:
                continue
            cells = {}
            for b in budgets:
                xs = [r[b] for r in mine if r[b] is not None]
                mean, se = _mean_se(xs)
                median = statistics.median(xs) if xs else math.nan
                cells[str(b)] = {"mean": mean, "se": se, "median": median, "n": len(xs)}
            table[s] = {
                "scores": cells,
                "overhead_per_trial": statistics.fmean(r["overhead_per_trial"] for r in mine),
                "runs": len(mine),
                "problems": len({r["problem"] for r in mine}),
            }
        groups[group] = table
    per_problem: dict[str, dict[str, dict[str, Any]]] = {}
    for name in PROBLEMS:
        per_problem[name] = {}
        for s in order:
            mine = [r for r in scored if r["problem"] == name and r["sampler"] == s]
            if mine:
                per_problem[name][s] = {
                    str(b): _mean_se([r[b] for r in mine if r[b] is not None])[0] for b in budgets
                } | {"runs": len(mine)}
    return {"order": order, "groups": groups, "per_problem": per_problem}


def _f(x: float, digits: int = 1) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def markdown(
    result: dict[str, Any], summary: dict[str, Any], n_trials: int, notes: list[str], cmd: str
) -> str:
    budgets, problems = result["budgets"], result["problems"]
    lines = [
        "# How few trials does each sampler need?",
        "",
        f"Each sampler minimizes each problem for {n_trials} trials per seed; the score at "
        f"{' and '.join(map(str, budgets))} trials (prefixes of the same run) is "
        "100 x (1 - (best - optimum) / (random_best - optimum)), where random_best is the mean "
        "over seeds of rheostat's random sampler's best at that budget: random ~ 0, the optimum "
        "100, negative = worse than random (not clipped). Mean +- standard error over "
        "problems x seeds, and the median (less swayed by a few runs far worse than random). "
        "Sampler time: seconds per trial outside the objective, mean over runs.",
        "",
    ]
    for group, table in summary["groups"].items():
        if not table:
            continue
        head = " | ".join(f"score @ {b} | median @ {b}" for b in budgets)
        lines += [
            f"## {group} problems",
            "",
            f"| sampler | {head} | sampler s/trial | runs | problems |",
            "|---|" + "---:|" * (2 * len(budgets) + 3),
        ]
        for s, row in table.items():
            cells = " | ".join(
                f"{_f(c['mean'])} ± {_f(c['se'])} | {_f(c['median'])}"
                for c in row["scores"].values()
            )
            lines.append(
                f"| {s} | {cells} | {row['overhead_per_trial']:.4f} | {row['runs']} "
                f"| {row['problems']} |"
            )
        lines.append("")
    order = summary["order"]
    lines += [
        f"## Per problem: mean score @ {' / '.join(map(str, budgets))} trials",
        "",
        "| problem | " + " | ".join(order) + " |",
        "|---|" + "---:|" * len(order),
    ]
    for name, cells in summary["per_problem"].items():
        if not cells:
            continue
        row = [
            " / ".join(_f(cells[s][str(b)], 0) for b in budgets) if s in cells else ""
            for s in order
        ]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    lines += [
        "",
        "## Problems",
        "",
        "| problem | group | space | optimum | random best @ "
        + " / ".join(map(str, budgets))
        + " | ms / evaluation | notes |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for name, p in problems.items():
        if not summary["per_problem"].get(name):
            continue
        rb = " / ".join(f"{p['random_best'][b]:.5g}" for b in budgets)
        src = "" if p["optimum_source"] == "known" else " (est.)"
        lines.append(
            f"| {name} | {p['group']} | {p['dims']} | {p['optimum']:.6g}{src} | {rb} "
            f"| {_f(p['ms_per_evaluation'], 2)} | {p['note']} |"
        )
    lines += [
        "",
        "Synthetic optima are known (the mixed Hartmann-6's by brute force over its discrete "
        "part); scikit-learn optima are the best loss seen in any run of any sampler or in a "
        "dense random sample, so they can only move down as samplers are added and every score "
        "is then re-computed. ms / evaluation: mean CPU time of evaluations not already memoized "
        "(one thread; on a machine shared with other jobs, so a little high).",
    ]
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    lines += ["", f"Python {platform.python_version()}, {platform.machine()}; `{cmd}`."]
    return "\n".join(lines) + "\n"


# -- command line ------------------------------------------------------------------------------


def _seeds(text: str) -> list[int]:
    if "," in text:
        return [int(s) for s in text.split(",")]
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return list(range(int(text)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samplers", default=",".join(ALL), help="comma-separated names")
    parser.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated names")
    parser.add_argument("--seeds", default="10", help="N (0..N-1), a-b, or a,b,c")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--dense",
        type=int,
        default=1000,
        help="random configurations per estimated-optimum problem (0: none)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--report-only", action="store_true", help="only re-score the jsonl")
    parser.add_argument(
        "--status", action="store_true", help="runs done and CPU time to go; runs nothing"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 seeds, 20 trials, 3 problems, cheap samplers: samplers_smoke.*",
    )
    args = parser.parse_args(argv)
    prefix = "samplers"
    if args.smoke:
        prefix = "samplers_smoke"
        args.seeds, args.trials, args.dense = "2", 20, 50
        if args.samplers == ",".join(ALL):
            args.samplers = ",".join(SMOKE_SAMPLERS)
        if args.problems == ",".join(PROBLEMS):
            args.problems = ",".join(SMOKE_PROBLEMS)
    samplers = [s for s in args.samplers.split(",") if s]
    problems = [p for p in args.problems.split(",") if p]
    for p in problems:
        if p not in PROBLEMS:
            parser.error(f"unknown problem {p!r}; known: {', '.join(PROBLEMS)}")
    seeds = _seeds(args.seeds)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{prefix}_runs.jsonl"
    notes = []
    if args.status:
        tasks = [(p, s, seed, args.trials) for seed in seeds for p in problems for s in samplers]
        if args.dense:
            tasks += [(p, DENSE, 0, args.dense) for p in problems if PROBLEMS[p].optimum is None]
        sys.stdout.write(status(tasks, path))
        return 0
    if not args.report_only:
        runnable = []
        for s in samplers:
            why = unavailable(s)
            if why is None:
                runnable.append(s)
            else:
                print(f"skipping sampler {s}: {why}", file=sys.stderr, flush=True)
        if (
            runnable
            and "random" not in runnable
            and not any(r["sampler"] == "random" for r in load_runs(path))
        ):
            print("note: scores need the 'random' runs as reference", file=sys.stderr)
        tasks = [(p, s, seed, args.trials) for seed in seeds for p in problems for s in runnable]
        if args.dense:
            tasks += [(p, DENSE, 0, args.dense) for p in problems if PROBLEMS[p].optimum is None]
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        run_all(tasks, path, args.jobs)
    runs = load_runs(path)
    result = score(runs, args.trials)
    summary = summarize(result, ALL)
    for s in ALL:
        if s not in summary["order"] and s in samplers:
            why = unavailable(s)
            if why:
                notes.append(f"{s}: not run here ({why})")
    incomplete = defaultdict(set)
    for r in result["scored"]:
        incomplete[r["sampler"]].add((r["problem"], r["seed"]))
    full = max((len(v) for v in incomplete.values()), default=0)
    for s, cells in incomplete.items():
        if len(cells) < full:
            notes.append(f"{s}: {len(cells)} of {full} (problem, seed) runs so far")
    cmd = "python benchmarks/samplers.py" + (" --smoke" if args.smoke else "")
    text = markdown(result, summary, args.trials, notes, cmd)
    (RESULTS / f"{prefix}.md").write_text(text)
    (RESULTS / f"{prefix}.json").write_text(
        json.dumps(
            {
                "n_trials": args.trials,
                "budgets": result["budgets"],
                "problems": result["problems"],
                "groups": summary["groups"],
                "per_problem": summary["per_problem"],
                "notes": notes,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
