"""Worker scaling and scheduling overhead, on a synthetic multi-fidelity problem.

The problem: three parameters like an SGD run's (``lr``, ``reg``, ``width``); a configuration's
loss at epoch ``s`` falls from about ``q + b`` towards its final level ``q`` at a speed set by
``lr`` (a large ``lr`` learns fast but ends worse, so early epochs mislead a little); an epoch
takes ``0.5 + width`` simulated seconds, so trials end out of order. Configurations are random
(seeded), except under BOHB, whose ``BOHBSampler`` proposes them from the trials so far.

- ``scaling``: each scheduler replays the same trials on 1, 4, 16 and 64 simulated workers;
  the speed-up is the one-worker simulated time over the N-worker one, for the whole job and
  until a trial first completes with a last-epoch loss among the best 1% of all
  configurations' last-epoch losses.
- ``overhead``: time spent inside ``on_report`` and ``next_action`` per report (both summed,
  divided by the reports), in a study of 1,000 trials on 4 simulated workers, over all reports
  and over those made when the study held 900-1,000 trials; wall-clock time and the thread's
  CPU time (the machine may be shared).
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Mapping

from _scheduler_replay import with_params

from rheostat.distributions import Float, ParamValue
from rheostat.samplers import BOHBSampler
from rheostat.schedulers import Action, Decision, Scheduler, Start, StartFrom
from rheostat.space import Space
from rheostat.testing import SimulationResult, simulate_study
from rheostat.trial import History, TrialRecord

SPACE = Space(
    {
        "lr": Float(1e-4, 1.0, log=True),
        "reg": Float(1e-6, 1e-1, log=True),
        "width": Float(0.0, 1.0),
    }
)
EPOCHS = 27


def final_loss(p: Mapping[str, ParamValue]) -> float:
    lr, reg, width = float(p["lr"]), float(p["reg"]), float(p["width"])  # type: ignore[arg-type]
    return (
        0.08 * (math.log10(lr) + 2.0) ** 2
        + 0.03 * (math.log10(reg) + 4.0) ** 2
        + 0.3 * (width - 0.6) ** 2
    )


def loss(p: Mapping[str, ParamValue], step: int) -> float:
    lr = float(p["lr"])  # type: ignore[arg-type]
    speed = 0.05 + 2.0 * lr**0.5
    wobble = 0.01 * math.sin(7.0 * step + 13.0 * lr)
    return final_loss(p) + 1.5 / (1.0 + speed * step) ** 0.8 + wobble


def epoch_seconds(p: Mapping[str, ParamValue]) -> float:
    return 0.5 + float(p["width"])  # type: ignore[arg-type]


def random_configs(n: int, seed: int) -> list[dict[str, ParamValue]]:
    rng = random.Random(seed)
    return [{k: d.from_unit(rng.random()) for k, d in SPACE.items()} for _ in range(n)]


class Synthetic(Scheduler):
    """Gives trial ``k`` configuration ``k`` (or, with a sampler, the sampler's proposal) and
    shows the sampler the trials' parameters; the scheduler itself sees what the study would."""

    def __init__(
        self,
        inner: Scheduler,
        configs: list[dict[str, ParamValue]],
        sampler: BOHBSampler | None = None,
    ) -> None:
        self.inner, self.configs, self.sampler = inner, configs, sampler
        self.params: dict[int, dict[str, ParamValue]] = {}
        self._seen: dict[int, tuple[TrialRecord, TrialRecord]] = {}

    def _with_params(self, history: History) -> History:
        return with_params(history, self.params.__getitem__, dict(SPACE), self._seen)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        return self.inner.on_report(history, trial, step, value)

    def next_action(self, history: History) -> Action:
        action = self.inner.next_action(history)
        number = len(history)
        wanted = number < len(self.configs) and number not in self.params
        if isinstance(action, (Start, StartFrom)) and wanted:
            if self.sampler is not None:
                proposal = self.sampler.propose(self._with_params(history), SPACE)
                self.params[number] = dict(proposal)
            else:
                self.params[number] = self.configs[number]
        return action

    def value(self, number: int, step: int) -> float:
        return loss(self.params[number], step)

    def seconds(self, number: int, step: int) -> float:
        return epoch_seconds(self.params[number])


def _time_to_target(result: SimulationResult, target: float) -> float:
    done = [
        t.datetime_complete
        for t in result.records
        if t.last_step == EPOCHS - 1
        and t.values is not None
        and t.values[0] <= target
        and t.datetime_complete is not None
    ]
    return min(done, default=math.inf)


def scaling(
    makers: Mapping[str, Callable[[int], tuple[Scheduler, BOHBSampler | None]]],
    n_trials: int,
    workers: tuple[int, ...] = (1, 4, 16, 64),
    seed: int = 0,
    sampler_seeds: tuple[int, ...] = (0,),
) -> dict[str, dict[int, dict[str, float]]]:
    """``rows[scheduler][n_workers]``: simulated time, time to target, compute, and speed-ups.

    ``make(s)`` is called with each of ``sampler_seeds`` (a model-based sampler's search
    differs from seed to seed, and with the number of workers, since each proposal depends on
    what has finished); each figure is the median over them, and ``reached`` counts the seeds
    whose run reached the target."""
    configs = random_configs(n_trials, seed)
    target = sorted(loss(c, EPOCHS - 1) for c in configs)[n_trials // 100]  # the best 1%
    rows: dict[str, dict[int, dict[str, float]]] = {}
    for name, make in makers.items():
        rows[name] = {}
        for n_workers in workers:
            runs = []
            for sampler_seed in sampler_seeds:
                inner, sampler = make(sampler_seed)
                wrapped = Synthetic(inner, configs, sampler)
                result = simulate_study(
                    wrapped,
                    wrapped.value,
                    n_trials=n_trials,
                    n_workers=n_workers,
                    max_steps=EPOCHS,
                    step_time=wrapped.seconds,
                )
                runs.append(
                    {
                        "time": result.time,
                        "to_target": _time_to_target(result, target),
                        "compute": result.compute,
                        "busy": result.busy_time / (n_workers * result.time),
                    }
                )
            rows[name][n_workers] = {
                key: statistics.median(run[key] for run in runs) for key in runs[0]
            }
            rows[name][n_workers]["reached"] = sum(math.isfinite(r["to_target"]) for r in runs)
            rows[name][n_workers]["seeds"] = len(runs)
        one = rows[name][workers[0]]
        for row in rows[name].values():
            row["speedup"] = one["time"] / row["time"]
            row["speedup_target"] = (
                one["to_target"] / row["to_target"] if math.isfinite(one["to_target"]) else math.nan
            )
    return rows


class Timed(Scheduler):
    """Measures the time ``inner`` spends deciding (wall clock, and this thread's CPU time, which
    other processes on a busy machine do not inflate), with the study size at each call."""

    def __init__(self, inner: Scheduler) -> None:
        self.inner = inner
        self.calls: list[tuple[bool, int, float, float]] = []  # (report?, trials, wall, cpu)

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        wall, cpu = time.perf_counter(), time.thread_time()
        decision = self.inner.on_report(history, trial, step, value)
        self.calls.append(
            (True, len(history), time.perf_counter() - wall, time.thread_time() - cpu)
        )
        return decision

    def next_action(self, history: History) -> Action:
        wall, cpu = time.perf_counter(), time.thread_time()
        action = self.inner.next_action(history)
        self.calls.append(
            (False, len(history), time.perf_counter() - wall, time.thread_time() - cpu)
        )
        return action


def overhead(
    makers: Mapping[str, Callable[[int], tuple[Scheduler, BOHBSampler | None]]],
    n_trials: int = 1000,
    n_workers: int = 4,
    seed: int = 0,
    rounds: int = 3,
) -> dict[str, dict[str, float]]:
    """Per scheduler: microseconds of ``on_report`` + ``next_action`` per report, overall and
    when the study held at least 90% of ``n_trials`` (wall and CPU), and the 99th percentile of
    one call's CPU time. The same study is run ``rounds`` times and each figure is the least of
    the rounds' (on a shared machine, other jobs inflate even a thread's CPU time: cache misses,
    a slower clock), as ``timeit`` does."""
    configs = random_configs(n_trials, seed)
    rows: dict[str, dict[str, float]] = {}
    for name, make in makers.items():
        for _round in range(rounds):
            inner, _sampler = make(seed)  # the sampler's time is a sampler's, not scheduling
            timed = Timed(inner)
            wrapped = Synthetic(timed, configs)
            simulate_study(
                wrapped,
                wrapped.value,
                n_trials=n_trials,
                n_workers=n_workers,
                max_steps=EPOCHS,
                step_time=wrapped.seconds,
            )
            calls = timed.calls
            late = int(0.9 * n_trials)
            n_reports = sum(1 for report, *_ in calls if report)
            n_late = sum(1 for report, n, *_ in calls if report and n >= late)
            row = {
                "reports": n_reports,
                "actions": len(calls) - n_reports,
                "wall_us": 1e6 * sum(w for *_, w, _c in calls) / n_reports,
                "cpu_us": 1e6 * sum(c for *_, c in calls) / n_reports,
                "late_wall_us": 1e6 * sum(w for _r, n, w, _c in calls if n >= late) / n_late,
                "late_cpu_us": 1e6 * sum(c for _r, n, _w, c in calls if n >= late) / n_late,
                "p99_call_us": 1e6 * sorted(c for *_, c in calls)[len(calls) * 99 // 100],
            }
            best = rows.setdefault(name, row)
            for key, value in row.items():
                best[key] = min(best[key], value)
    return rows


def _fmt(x: float, digits: int = 1) -> str:
    return "never" if math.isinf(x) or math.isnan(x) else f"{x:.{digits}f}"


def scaling_markdown(
    rows: dict[str, dict[int, dict[str, float]]], n_trials: int, *, intro: bool = True
) -> list[str]:
    """The scaling table; with ``intro``, under a heading and an explanation."""
    workers = sorted(next(iter(rows.values())))
    lines = [
        "## Speed-up with workers (simulated wall-clock time)",
        "",
        f"{n_trials} trials of a synthetic problem ({EPOCHS} epochs; an epoch takes 0.5-1.5 "
        "simulated seconds, set by a parameter; see `benchmarks/_scheduler_scaling.py`), the "
        "same configurations for every worker count. Job: simulated time until the last trial "
        "ended; to target: until a trial first completed with a last-epoch loss among the best "
        "1% of all the configurations'. Speed-up: one worker's time over N workers' time. "
        "Busy: share of worker time spent running epochs. 'never': no trial reached the target; "
        "'n/a': one worker never did, so there is no ratio. The time to target depends on where "
        "the first good configuration sits in the order (here early), and is never less than "
        "one full run (27 epochs), so its speed-up is capped well below the job's.",
        "",
    ]
    if not intro:
        lines = [f"With {n_trials} trials:", ""]
    lines += [
        "| scheduler | workers | job time | job speed-up | busy | to target | speed-up to target "
        "| compute (epochs) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_workers in rows.items():
        for w in workers:
            r = by_workers[w]
            to_target = r["speedup_target"]
            if math.isnan(to_target):
                speedup_target = "n/a"
            elif math.isinf(r["to_target"]):
                speedup_target = "never"
            else:
                speedup_target = f"{_fmt(to_target)}x"
            reach = _fmt(r["to_target"], 0)
            if r["seeds"] > 1:
                reach += f" ({r['reached']:.0f} of {r['seeds']:.0f} reached)"
            lines.append(
                f"| {name} | {w} | {r['time']:.0f} | {r['speedup']:.1f}x | {r['busy']:.2f} "
                f"| {reach} | {speedup_target} | {r['compute']:.0f} |"
            )
    return lines


def overhead_markdown(
    rows: dict[str, dict[str, float]], n_trials: int, rounds: int = 3
) -> list[str]:
    lines = [
        "## Scheduling overhead per report",
        "",
        f"Time inside `on_report` and `next_action` (summed) per report, in a study of {n_trials} "
        "trials on 4 simulated workers (the synthetic problem above); 'late': reports made while "
        f"the study held {int(0.9 * n_trials)}-{n_trials} trials. Wall-clock microseconds, and "
        "the thread's CPU microseconds; each figure is the least of "
        f"{rounds} runs of the same study (the machine was shared with other jobs, which "
        "inflates wall-clock time most, and CPU time too). Target: at most 1,000 us (1 ms) per "
        "report.",
        "",
        "| scheduler | reports | actions | wall us / report | CPU us / report "
        "| late: wall us / report | late: CPU us / report | p99 CPU us / call |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['reports']:.0f} | {r['actions']:.0f} | {r['wall_us']:.0f} "
            f"| {r['cpu_us']:.0f} | {r['late_wall_us']:.0f} | {r['late_cpu_us']:.0f} "
            f"| {r['p99_call_us']:.0f} |"
        )
    return lines
