"""The doctor: a corpus of real studies with planted faults and healthy ones, then each rule at
its thresholds on hand-built records."""

from __future__ import annotations

import importlib
import json
import math
import types
from collections.abc import Sequence
from typing import Any

import pytest

import rheostat
from rheostat.analysis import CHECKS, Finding, Severity, doctor
from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.trial import Direction, TrialRecord, TrialState

from .corpus import HEALTHY, PLANTED

SEEDS = (0, 1, 2)
MIN = [Direction.MINIMIZE]


def codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]


# -- the corpus ----------------------------------------------------------------------------------


def test_corpus_covers_every_code() -> None:
    assert len(PLANTED) >= 12
    assert len(HEALTHY) >= 6
    assert {code for code, _ in PLANTED.values()} == {code for code, _ in CHECKS}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_planted_fault_is_found(name: str, seed: int) -> None:
    code, build = PLANTED[name]
    study, budget = build(seed)
    findings = study.doctor(trial_budget=budget)
    found = [f for f in findings if f.code == code]
    assert found, f"{name} (seed {seed}): {code} not among {codes(findings)}"
    # advice codes are INFO by design; every fault is at least a WARNING
    floor = (
        Severity.INFO
        if code in ("diminishing-returns", "unimportant-parameter")
        else Severity.WARNING
    )
    assert found[0].severity.rank <= floor.rank, found[0]
    for f in found:
        assert f.message
        assert f.fix
        json.dumps(f.to_json(), allow_nan=False)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_healthy_study_raises_no_warning(name: str, seed: int) -> None:
    study, budget = HEALTHY[name](seed)
    findings = study.doctor(trial_budget=budget)
    alarms = [f for f in findings if f.severity is not Severity.INFO]
    assert not alarms, f"{name} (seed {seed}): {alarms}"


def test_findings_are_sorted_by_severity() -> None:
    lr = {"lr": Float(1e-4, 1.0)}  # linear over four decades: WARNING
    ok = [rec(i, float(i), {"lr": 0.01 * (i + 1)}, lr) for i in range(25)]  # single seed: INFO
    nan = [
        rec(25 + i, None, {"lr": 0.9}, lr, state=TrialState.FAILED, message="nan")
        for i in range(25)
    ]
    findings = doctor(nan + ok, MIN)
    assert [(f.code, f.severity) for f in findings] == [
        ("divergent-trials", Severity.ERROR),
        ("edge-of-range", Severity.WARNING),  # equal severities: in the order of CHECKS
        ("linear-scale-wide", Severity.WARNING),
        ("single-seed", Severity.INFO),
        ("diminishing-returns", Severity.INFO),
    ]


def test_doctor_on_records_equals_study_doctor() -> None:
    study, _ = PLANTED["linear_lr"][1](0)
    direct = doctor(study.trials, study.directions, sampler_info=study.sampler.dump())
    assert direct == study.doctor()


# -- each rule at its thresholds, on hand-built records --------------------------------------------


def rec(
    number: int,
    value: float | None = None,
    params: dict[str, Any] | None = None,
    dists: dict[str, Distribution] | None = None,
    *,
    state: TrialState = TrialState.COMPLETE,
    steps: dict[int, float] | None = None,
    message: str | None = None,
    system_attrs: dict[str, Any] | None = None,
) -> TrialRecord:
    return TrialRecord(
        number,
        state,
        params or {},
        dists or {},
        None if value is None else (value,),
        steps or {},
        system_attrs=system_attrs or {},
        message=message,
    )


def xs(values: Sequence[float], dist: Distribution, objective: Any = None) -> list[TrialRecord]:
    """One complete trial per x value; the objective defaults to x itself."""
    f = objective or (lambda x: x)
    return [rec(i, f(x), {"x": x}, {"x": dist}) for i, x in enumerate(values)]


def find(findings: Sequence[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


@pytest.mark.parametrize(
    ("high", "fires"), [(100.0, False), (101.0, True), (1e5, True)], ids=["100x", "101x", "1e5x"]
)
def test_linear_scale_wide_threshold(high: float, fires: bool) -> None:
    trials = xs([2.0, 3.0], Float(1.0, high))
    assert bool(find(doctor(trials, MIN), "linear-scale-wide")) is fires


def test_linear_scale_wide_not_for_log_or_zero_low_and_suggests_log() -> None:
    assert not find(doctor(xs([0.5], Float(1e-5, 1.0, log=True)), MIN), "linear-scale-wide")
    assert not find(doctor(xs([0.5], Float(0.0, 1000.0)), MIN), "linear-scale-wide")
    (f,) = find(doctor(xs([5], Int(1, 1000)), MIN), "linear-scale-wide")
    assert "suggest_int('x', 1, 1000, log=True)" in f.fix
    assert f.evidence["decades"] == 3.0


def test_edge_of_range_in_the_parameters_own_scale() -> None:
    # On a log scale [1e-5, 1], 0.5 is at the high edge (position 0.94) but 0.05 is not (0.74).
    log = Float(1e-5, 1.0, log=True)
    near_top = [0.5, 0.45, 0.4, 0.35, 0.3] + [1e-4 * (i + 1) for i in range(10)]
    f = find(doctor(xs(near_top, log, lambda x: -x), MIN), "edge-of-range")
    assert f
    assert f[0].evidence["side"] == "high"
    assert f[0].evidence["scale"] == "log"
    assert "Float(1e-05, 10, log=True)" in f[0].fix
    # 0.05, 0.04 ... sit near the low end on a linear scale, but in the middle on a log one
    middle = [0.05, 0.045, 0.04, 0.035, 0.03] + [1e-4 * (i + 1) for i in range(10)]
    assert not find(doctor(xs(middle, log, lambda x: -x), MIN), "edge-of-range")
    linear = Float(0.0, 1.0)
    f = find(doctor(xs(middle, linear, lambda x: -x if x > 0.01 else 1.0), MIN), "edge-of-range")
    assert f
    assert f[0].evidence["side"] == "low"


def test_edge_of_range_needs_the_top_trials_to_crowd_the_bound() -> None:
    dist = Float(0.0, 1.0)
    # the best is at 0.97, but the next four are spread over the range: no finding
    spread = [0.97, 0.1, 0.5, 0.3, 0.6] + [0.2 + 0.05 * i for i in range(10)]
    ranked = {x: i for i, x in enumerate(spread[:5])}
    trials = xs(spread, dist, lambda x: ranked.get(x, 10.0))
    assert not find(doctor(trials, MIN), "edge-of-range")
    crowd = [0.97, 0.9, 0.85, 0.8, 0.75] + [0.2 + 0.05 * i for i in range(10)]
    ranked = {x: i for i, x in enumerate(crowd[:5])}
    trials = xs(crowd, dist, lambda x: ranked.get(x, 10.0))
    assert find(doctor(trials, MIN), "edge-of-range")
    # nine trials are too few to judge
    assert not find(doctor(trials[:9], MIN), "edge-of-range")


def test_edge_of_range_is_a_question_under_a_model_based_sampler() -> None:
    dist = Float(0.0, 1.0)
    crowd = [0.97, 0.9, 0.85, 0.8, 0.75] + [0.2 + 0.05 * i for i in range(10)]
    ranked = {x: i for i, x in enumerate(crowd[:5])}
    trials = xs(crowd, dist, lambda x: ranked.get(x, 10.0))
    (random,) = find(doctor(trials, MIN, sampler_info={"type": "RandomSampler"}), "edge-of-range")
    assert random.severity is Severity.WARNING and random.fix.startswith("widen 'x'")
    (gp,) = find(doctor(trials, MIN, sampler_info={"type": "GPSampler"}), "edge-of-range")
    assert gp.severity is Severity.INFO and gp.evidence["adaptive_sampler"] is True
    assert "hardly matters" in gp.message
    # the experiment that tells the two apart: the best configuration, x a quarter inward
    assert "study.enqueue_trial({**study.best_params, 'x': 0.75})" in gp.fix
    # auto is model-based only once it has left its Sobol' start
    attrs = {"sampler_choice": {"sampler": "sobol"}}
    early = doctor(trials, MIN, sampler_info={"type": "AutoSampler"}, study_attrs=attrs)
    assert find(early, "edge-of-range")[0].severity is Severity.WARNING


@pytest.mark.parametrize("seed", [2, 3])
def test_default_sampler_on_a_healthy_study_raises_no_warning(seed: int) -> None:
    # GP (the default here) drove the nuisance parameter 'warmup' to its low bound in these
    # seeds; that used to be an edge-of-range WARNING on a healthy study
    study, _ = HEALTHY["nuisance_params"](seed, sampler=None)
    assert study.system_attrs["sampler_choice"]["sampler"] == "gp"
    findings = study.doctor()
    assert not [f for f in findings if f.severity is not Severity.INFO], findings
    edges = find(findings, "edge-of-range")
    assert edges and all(f.evidence["adaptive_sampler"] for f in edges)


def test_grid_too_large_against_a_budget_or_when_huge() -> None:
    info = {"type": "GridSampler", "search_space": {"a": list(range(10)), "b": list(range(10))}}
    trials = xs([1.0] * 5, Float(0.0, 2.0))
    assert find(doctor(trials, MIN, sampler_info=info, trial_budget=50), "grid-too-large")
    assert not find(doctor(trials, MIN, sampler_info=info, trial_budget=100), "grid-too-large")
    assert not find(doctor(trials, MIN, sampler_info=info), "grid-too-large")
    huge = {"type": "GridSampler", "search_space": {f"p{i}": [0, 1] for i in range(10)}}
    (f,) = find(doctor(trials, MIN, sampler_info=huge), "grid-too-large")
    assert f.evidence["grid_size"] == 1024
    assert "2^10" in f.message
    other = {"type": "RandomSampler", "search_space": huge["search_space"]}
    assert not find(doctor(trials, MIN, sampler_info=other), "grid-too-large")


@pytest.mark.parametrize(
    ("pruned", "complete", "severity"),
    [(9, 1, None), (10, 1, Severity.WARNING), (10, 0, Severity.ERROR), (8, 0, None)],
)
def test_over_pruned_threshold(pruned: int, complete: int, severity: Severity | None) -> None:
    trials = [rec(i, 1.0, steps={0: 1.0}, state=TrialState.PRUNED) for i in range(pruned)]
    trials += [rec(pruned + i, 1.0) for i in range(complete)]
    found = find(doctor(trials, MIN), "over-pruned")
    assert (found[0].severity if found else None) is severity


def test_flat_results_relative_spread_and_noise() -> None:
    dist = Float(0.0, 1.0)
    same = xs([i / 20 for i in range(10)], dist, lambda x: 0.5)
    assert find(doctor(same, MIN), "flat-results")
    tiny = xs([i / 20 for i in range(10)], dist, lambda x: 100 + 0.09 * x)  # 0.04% spread
    assert find(doctor(tiny, MIN), "flat-results")
    moving = xs([i / 20 for i in range(10)], dist, lambda x: 1 + 0.01 * x)  # 0.45% spread
    assert not find(doctor(moving, MIN), "flat-results")
    assert not find(doctor(same[:9], MIN), "flat-results")
    # a spread of 0.02 is flat when repeats of one configuration vary by more than that
    noisy = moving + [
        rec(10 + i, 1.0 + d, {"x": 0.0}, {"x": dist}) for i, d in enumerate([-0.02, 0.02])
    ]
    assert find(doctor(noisy, MIN), "flat-results")


def test_divergent_trials_each_signal() -> None:
    d = {"lr": Float(1e-4, 1.0, log=True)}
    ok = [
        rec(i, 1.0, {"lr": 1e-3 * (i + 1)}, d, steps={s: 1.0 for s in range(6)}) for i in range(8)
    ]
    assert not find(doctor(ok, MIN), "divergent-trials")
    nan = [*ok, rec(8, 1.0, {"lr": 0.9}, d, steps={0: 1.0, 1: math.nan})]
    (f,) = find(doctor(nan, MIN), "divergent-trials")
    assert f.evidence["nonfinite_reports"] == 1
    assert f.severity is Severity.WARNING
    assert "'lr'" in f.fix
    assert "high bound" in f.fix
    failed = [*ok, rec(8, None, {"lr": 0.5}, d, state=TrialState.FAILED, message="loss is inf")]
    assert find(doctor(failed, MIN), "divergent-trials")
    unrelated = "KeyError: 'information' missing"
    other = [*ok, rec(8, None, {"lr": 0.5}, d, state=TrialState.FAILED, message=unrelated)]
    assert not find(doctor(other, MIN), "divergent-trials")
    short = [*ok, rec(8, 1.0, {"lr": 0.5}, d, steps={0: 1.0})]
    (f,) = find(doctor(short, MIN), "divergent-trials")
    assert f.evidence["one_step"] == 1
    # one step is normal when nobody runs many
    assert not find(
        doctor([rec(i, 1.0, steps={0: 1.0}) for i in range(5)], MIN), "divergent-trials"
    )
    # half or more diverged: ERROR
    bad = [rec(i, None, state=TrialState.FAILED, message="NaN loss") for i in range(8)]
    assert find(doctor(ok + bad, MIN), "divergent-trials")[0].severity is Severity.ERROR


def _with_baseline(base: float, sampled: Sequence[float]) -> list[TrialRecord]:
    d = {"x": Float(0.0, 10.0)}
    trials = [rec(0, base, {"x": 0.0}, d, system_attrs={"fixed_params": {"x": 0.0}})]
    return trials + [rec(i + 1, v, {"x": float(i + 1)}, d) for i, v in enumerate(sampled)]


def test_baseline_wins_including_ties_and_direction() -> None:
    assert find(doctor(_with_baseline(1.0, [2.0, 3.0, 1.5, 4.0, 1.1]), MIN), "baseline-wins")
    assert find(doctor(_with_baseline(1.0, [2.0, 3.0, 1.0, 4.0, 1.1]), MIN), "baseline-wins")
    assert not find(doctor(_with_baseline(1.0, [2.0, 3.0, 0.9, 4.0, 1.1]), MIN), "baseline-wins")
    assert not find(doctor(_with_baseline(1.0, [2.0, 3.0, 1.5, 4.0]), MIN), "baseline-wins")
    maxi = doctor(_with_baseline(1.0, [2.0, 3.0, 1.5, 4.0, 1.1]), ["maximize"])
    assert not find(maxi, "baseline-wins")
    # an explicit baseline number overrides the first enqueued trial
    trials = _with_baseline(5.0, [2.0, 3.0, 1.5, 4.0, 1.1])
    assert not find(doctor(trials, MIN), "baseline-wins")
    assert not find(doctor(trials, MIN, baseline_numbers=[]), "baseline-wins")


@pytest.mark.parametrize(
    ("n", "params", "fires"), [(19, 1, True), (20, 1, False), (29, 3, True), (30, 3, False)]
)
def test_too_few_trials_threshold(n: int, params: int, fires: bool) -> None:
    dists = {f"p{i}": Float(0.0, 1.0) for i in range(params)}
    trials = [rec(i, float(i), {k: 0.5 for k in dists}, dists) for i in range(n)]
    assert bool(find(doctor(trials, MIN), "too-few-trials")) is fires


def test_too_few_trials_not_for_an_exhausted_discrete_space() -> None:
    dists = {"a": Categorical(["x", "y", "z"]), "b": Int(1, 2)}
    trials = [rec(i, float(i), {"a": "xyz"[i % 3], "b": 1 + i // 3}, dists) for i in range(6)]
    assert not find(doctor(trials, MIN), "too-few-trials")
    assert find(doctor(trials[:5], MIN), "too-few-trials")
    repeat = rec(5, 1.0, dict(trials[0].params), dists)  # six trials, five configurations
    assert find(doctor([*trials[:5], repeat], MIN), "too-few-trials")


def test_never_varied() -> None:
    (f,) = find(doctor(xs([0.9], Float(0.9, 0.9)), MIN), "never-varied")
    assert "one possible value" in f.message
    assert not find(doctor(xs([0.5] * 9, Float(0.0, 1.0)), MIN), "never-varied")
    assert find(doctor(xs([0.5] * 10, Float(0.0, 1.0)), MIN), "never-varied")
    one = xs(["a"] * 3, Categorical(["a"]), lambda x: 1.0)  # type: ignore[list-item]
    assert find(doctor(one, MIN), "never-varied")


def test_single_seed_info_warning_and_repeats() -> None:
    dist = Float(0.0, 1.0)
    trials = xs([i / 20 for i in range(12)], dist)
    (f,) = find(doctor(trials, MIN), "single-seed")
    assert f.severity is Severity.INFO
    assert f.evidence["noise_std"] is None
    # the best configuration repeated (a seed parameter is ignored): no finding
    again = rec(12, 0.01, {"x": 0.0, "seed": 3}, {"x": dist})
    assert not find(doctor([*trials, again], MIN), "single-seed")
    # repeats of x=0.5 vary by ~0.07: the best's lead of 0.05 is within noise
    repeats = [rec(12 + i, 0.5 + d, {"x": 0.5}, {"x": dist}) for i, d in enumerate([-0.05, 0.05])]
    (f,) = find(doctor([*trials, *repeats], MIN), "single-seed")
    assert f.severity is Severity.WARNING
    assert f.evidence["lead"] == pytest.approx(0.05)


def test_diminishing_returns() -> None:
    dist = Float(0.0, 1.0)
    improving = xs([1.0 - i / 40 for i in range(40)], dist)
    assert not find(doctor(improving, MIN), "diminishing-returns")
    plateau = xs([1.0 - min(i, 25) / 40 for i in range(40)], dist)
    (f,) = find(doctor(plateau, MIN), "diminishing-returns")
    assert f.severity is Severity.INFO
    assert f.evidence["window"] == 10
    assert not find(doctor(plateau[:19], MIN), "diminishing-returns")


def test_multi_objective_skips_single_best_checks() -> None:
    dist = Float(0.0, 1.0)
    trials = [
        TrialRecord(i, TrialState.COMPLETE, {"x": i / 30}, {"x": dist}, (i / 30, 1 - i / 30))
        for i in range(30)
    ]
    found = codes(doctor(trials, ["minimize", "minimize"]))
    assert not {"edge-of-range", "single-seed", "diminishing-returns", "baseline-wins"} & set(found)


def test_empty_study_and_bad_arguments() -> None:
    assert codes(doctor([], MIN)) == ["too-few-trials"]
    with pytest.raises(ValueError, match="directions"):
        doctor([], [])
    with pytest.raises(ValueError, match="trial_budget"):
        doctor([], MIN, trial_budget=0)


# -- the Finding value --------------------------------------------------------------------------


def test_finding_is_frozen_and_validated() -> None:
    f = Finding("x-code", Severity.WARNING, "msg", {"n": 1, "v": [1.0, math.inf]}, "do this")
    with pytest.raises(AttributeError):
        f.code = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        f.evidence["n"] = 2  # type: ignore[index]
    assert f.to_json()["evidence"] == {"n": 1, "v": [1.0, None]}
    with pytest.raises(TypeError, match="JSON"):
        Finding("x-code", Severity.INFO, "m", {"bad": object()}, "f")
    with pytest.raises(TypeError, match="Severity"):
        Finding("x-code", "warning", "m", {}, "f")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="code"):
        Finding("", Severity.INFO, "m", {}, "f")


# -- the package's shape ------------------------------------------------------------------------


def test_analysis_all_is_sorted_and_complete() -> None:
    module = importlib.import_module("rheostat.analysis")
    assert module.__all__ == sorted(module.__all__)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType) and n != "annotations"
    }
    assert public <= set(module.__all__)
    assert rheostat.plan is module.plan
    assert rheostat.Plan is module.Plan


def test_divergence_fix_names_the_parameter_that_sets_the_trials_apart() -> None:
    nan = find(PLANTED["nan_reports"][1](0)[0].doctor(), "divergent-trials")[0]
    assert "lower the high bound of 'lr'" in nan.fix
    short = find(PLANTED["one_step"][1](0)[0].doctor(), "divergent-trials")[0]
    assert "have batch=512 (and 0 of the" in short.fix
