"""How often does the doctor find a planted fault, and how often does it cry wolf?

Runs the test corpus (``tests/analysis/corpus.py``: one study per planted fault, and healthy,
well-set-up studies) with many study seeds and counts, per finding code:

- **detection rate**: the share of runs of the studies planted with that fault in which the
  doctor reports the code (at WARNING or worse, or INFO for the advice codes
  ``diminishing-returns`` and ``unimportant-parameter``, as the tests require);
- **false-alarm rate**: the share of runs of the healthy studies in which the code is reported
  at WARNING or ERROR (INFO advice on a healthy study is counted separately, not as an alarm).

    python benchmarks/doctor.py                   # seeds 0-49; writes benchmarks/results/doctor.md
    python benchmarks/doctor.py --seeds 10        # a quicker look
    python benchmarks/doctor.py --sampler default --seeds 10   # doctor_default.md

The corpus samples with random search, so the rates are the rules' own. ``--sampler default``
runs the same studies with the library's default (``auto``: Sobol' start, then GP or TPE),
where ``edge-of-range`` is INFO by design (a model-based sampler's crowding of a bound cannot
be told from drift), so it counts as detected at INFO there.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ADVICE = frozenset({"diminishing-returns", "unimportant-parameter"})


def _counts(code: str, findings: list[object], advice: frozenset[str]) -> tuple[bool, bool]:
    """(reported at all, reported at the level the corpus tests require)."""
    found = [f for f in findings if f.code == code]  # type: ignore[attr-defined]
    floor = 2 if code in advice else 1  # Severity.rank: ERROR 0, WARNING 1, INFO 2
    return bool(found), any(f.severity.rank <= floor for f in found)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="run seeds 0..N-1 (default 50)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--sampler",
        choices=["random", "default"],
        default="random",
        help="the corpus's random search (default) or the library's default sampler",
    )
    args = parser.parse_args(argv)
    default = args.sampler == "default"
    out = args.out or RESULTS / ("doctor_default.md" if default else "doctor.md")
    advice = ADVICE | {"edge-of-range"} if default else ADVICE
    sys.path.insert(0, str(ROOT))
    logging.getLogger("rheostat").setLevel(logging.CRITICAL)  # failed trials are planted

    from tests.analysis import corpus
    from tests.analysis.corpus import HEALTHY, PLANTED

    corpus.use_random_search(not default)

    from rheostat.analysis import CHECKS, Severity

    seeds = range(args.seeds)
    started = time.perf_counter()
    planted_hits: dict[str, int] = Counter()
    planted_other: dict[str, Counter[str]] = defaultdict(Counter)
    code_runs: dict[str, int] = Counter()
    code_hits: dict[str, int] = Counter()
    for name, (code, build) in sorted(PLANTED.items()):
        for seed in seeds:
            study, budget = build(seed)
            findings = study.doctor(trial_budget=budget)
            _, hit = _counts(code, findings, advice)
            planted_hits[name] += hit
            code_runs[code] += 1
            code_hits[code] += hit
            for f in findings:
                if f.code != code and f.severity is not Severity.INFO:
                    planted_other[name][f.code] += 1
    healthy_alarm: dict[str, Counter[str]] = defaultdict(Counter)
    healthy_info: dict[str, Counter[str]] = defaultdict(Counter)
    healthy_any: dict[str, int] = Counter()
    for name, build in sorted(HEALTHY.items()):
        for seed in seeds:
            study, budget = build(seed)
            findings = study.doctor(trial_budget=budget)
            healthy_any[name] += any(f.severity is not Severity.INFO for f in findings)
            for f in findings:
                target = healthy_info if f.severity is Severity.INFO else healthy_alarm
                target[name][f.code] += 1
    elapsed = time.perf_counter() - started

    n = len(seeds)
    healthy_runs = n * len(HEALTHY)
    lines = [
        "# The doctor on its corpus: detection and false-alarm rates",
        "",
        f"`python benchmarks/doctor.py --seeds {n}"
        f"{' --sampler default' if default else ''}`: {len(PLANTED)} planted-fault studies and "
        f"{len(HEALTHY)} healthy studies from `tests/analysis/corpus.py`, each run with study "
        f"seeds 0-{n - 1} ({(len(PLANTED) + len(HEALTHY)) * n} studies, {elapsed:.0f} s on "
        f"{platform.machine()}, Python {platform.python_version()}), "
        + (
            "with the library's default sampler (`auto`)."
            if default
            else "with random search, as the corpus builds them."
        ),
        "",
        "Detection: the planted code is reported (WARNING or worse; INFO for the advice codes "
        "`diminishing-returns` and `unimportant-parameter`"
        + (
            ", and for `edge-of-range`, which is INFO under a model-based sampler by design"
            if default
            else ""
        )
        + "). False alarm: the code is reported "
        "at WARNING or ERROR on a healthy study. INFO advice on healthy studies is listed "
        "separately.",
        "",
        "## Per code",
        "",
        "| code | planted runs | detection rate | false-alarm rate (healthy runs) "
        "| INFO on healthy runs |",
        "|---|---:|---:|---:|---:|",
    ]
    summary: dict[str, dict[str, float]] = {}
    for code, _ in CHECKS:
        runs = code_runs[code]
        det = code_hits[code] / runs if runs else float("nan")
        fa = sum(c[code] for c in healthy_alarm.values()) / healthy_runs
        info = sum(c[code] for c in healthy_info.values()) / healthy_runs
        summary[code] = {"detection": det, "false_alarm": fa, "info_on_healthy": info}
        lines.append(f"| `{code}` | {runs} | {det:.0%} | {fa:.1%} | {info:.1%} |")
    lines += [
        "",
        "## Planted-fault studies",
        "",
        "| study | planted code | detected | other WARNING/ERROR codes (runs) |",
        "|---|---|---:|---|",
    ]
    for name, (code, _) in sorted(PLANTED.items()):
        other = ", ".join(f"`{c}` ({k})" for c, k in planted_other[name].most_common()) or "-"
        lines.append(f"| {name} | `{code}` | {planted_hits[name] / n:.0%} | {other} |")
    lines += [
        "",
        "## Healthy studies",
        "",
        "| study | runs with a WARNING/ERROR | alarms (runs) | INFO advice (runs) |",
        "|---|---:|---|---|",
    ]
    for name in sorted(HEALTHY):
        alarms = healthy_alarm[name]
        shown = ", ".join(f"`{c}` ({k})" for c, k in alarms.most_common()) or "-"
        info = ", ".join(f"`{c}` ({k})" for c, k in healthy_info[name].most_common()) or "-"
        lines.append(f"| {name} | {healthy_any[name]} | {shown} | {info} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps({"seeds": n, "codes": summary}, indent=1))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
