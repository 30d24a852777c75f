"""Search-space presets: valid spaces, log scales where they belong, conditions, lr coupling."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import rheostat
from rheostat import presets
from rheostat.distributions import Categorical, Float, Int
from rheostat.space import Space

ALL: dict[str, Callable[..., presets.Preset]] = {
    "adam": presets.adam,
    "adamw": presets.adamw,
    "rmsprop": presets.rmsprop,
    "sgd_momentum": presets.sgd_momentum,
    "transformer_finetune": presets.transformer_finetune,
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_preset_is_a_valid_space_with_log_scales_and_a_source(name: str) -> None:
    space = ALL[name]()
    assert isinstance(space, Space)
    assert Space.from_json(space.to_json()) == space
    lr = space[space.lr_param]
    assert isinstance(lr, Float) and lr.log and lr.high / lr.low >= 100
    wd = space["weight_decay"]
    assert isinstance(wd, Float) and wd.log
    assert isinstance(space["batch_size"], Categorical)
    assert isinstance(space["schedule"], Categorical)
    assert not space["warmup_ratio"].log and space["warmup_ratio"].low == 0.0
    # no linear range over more than two decades (the doctor would flag it)
    for dist in space.values():
        if isinstance(dist, (Float, Int)) and not dist.log and dist.low > 0:
            assert dist.high / dist.low <= 100
    assert ALL[name].__doc__ and space.source and name in repr(space)


@pytest.mark.parametrize("name", sorted(ALL))
def test_suggest_runs_in_a_study_with_conditions(name: str) -> None:
    space = ALL[name]()
    study = rheostat.create_study(seed=0)
    configs: list[dict[str, object]] = []

    def objective(t: rheostat.Trial) -> float:
        cfg = space.suggest(t)
        configs.append(cfg)
        return float(cfg["lr"])  # type: ignore[arg-type]

    study.optimize(objective, n_trials=30)
    assert len(configs) == 30
    for cfg, t in zip(configs, study.trials, strict=True):
        assert ("cosine_min_lr_ratio" in t.params) == (cfg["schedule"] == "cosine")
        assert ("step_gamma" in t.params) == (cfg["schedule"] == "step")
        assert space.resolve(t.params) == cfg
    assert {c["schedule"] for c in configs} == set(space["schedule"].choices)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("rule", "factor"), [("none", 1.0), ("sqrt", 2.0), ("linear", 4.0)])
def test_lr_coupling(rule: str, factor: float) -> None:
    assert presets.scale_lr(0.1, 1024, 256, rule) == pytest.approx(0.1 * factor)
    assert presets.scale_lr(0.1, 64, 256, rule) == pytest.approx(0.1 / factor)
    space = presets.sgd_momentum(lr_scaling=rule, base_batch_size=128)
    lr_name = "lr" if rule == "none" else "base_lr"
    assert space.lr_param == lr_name
    params = {n: d.from_internal(0.5) for n, d in space.items()}
    params.update({lr_name: 0.05, "batch_size": 512})
    cfg = space.resolve(params)
    assert cfg["lr"] == pytest.approx(0.05 * factor)
    if rule != "none":
        assert cfg["base_lr"] == 0.05


def test_defaults_and_errors() -> None:
    assert presets.sgd_momentum().lr_scaling == "linear"  # Goyal et al. for SGD
    assert presets.adamw().lr_scaling == "sqrt"
    assert presets.transformer_finetune().lr_scaling == "none"
    assert math.isclose(presets.scale_lr(1.0, 512, 128, "sqrt"), 2.0)
    with pytest.raises(ValueError, match="lr_scaling"):
        presets.adam(lr_scaling="cubic")
    with pytest.raises(ValueError, match="base_batch_size"):
        presets.adam(base_batch_size=0)
    with pytest.raises(ValueError, match="rule"):
        presets.scale_lr(0.1, 2, 1, "square")
    with pytest.raises(ValueError, match="base_lr"):
        presets.adam().resolve({"batch_size": 32})
    assert rheostat.presets is presets
    assert presets.__all__ == sorted(presets.__all__)
