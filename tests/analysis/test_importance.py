"""fANOVA parameter importance: known answers, the study method, the CLI verb, the doctor."""

from __future__ import annotations

import builtins
import json
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import rheostat
from rheostat.analysis import doctor, importance
from rheostat.cli import main
from rheostat.distributions import Categorical, Distribution, Float
from rheostat.trial import TrialRecord, TrialState

Params = dict[str, Any]


def sample(f: Callable[[Params], float], n: int = 200, seed: int = 0) -> list[TrialRecord]:
    rng = random.Random(seed)
    dists: dict[str, Distribution] = {k: Float(0.0, 1.0) for k in "xyz"}
    dists["c"] = Categorical(["a", "b", "c"])
    out = []
    for i in range(n):
        p: Params = {k: rng.random() for k in "xyz"}
        p["c"] = rng.choice(["a", "b", "c"])
        out.append(TrialRecord(i, TrialState.COMPLETE, p, dists, (f(p),)))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_additive_known_answer(seed: int) -> None:
    imp = importance(sample(lambda p: 10 * p["x"] + p["y"], seed=seed), ["minimize"], seed=seed)
    assert imp["x"] > 0.95
    assert imp["y"] > 5 * imp["z"]
    assert imp["z"] < 0.002 and imp["c"] < 0.002
    assert next(iter(imp)) == "x"  # ordered from most to least important
    assert sum(imp.values()) <= 1.0 + 1e-9


def test_interaction_is_carried_by_the_pair() -> None:
    # x * y: main effects 3/7 each, the pair 1/7 (exact values for uniform x, y)
    imp = importance(sample(lambda p: p["x"] * p["y"]), ["maximize"])
    assert imp[("x", "y")] > 0.1
    assert imp[("x", "y")] > 10 * max(imp[("x", "z")], imp[("y", "z")])
    # a pure interaction, (x - 1/2)(y - 1/2): the pair dominates
    pure = importance(sample(lambda p: (p["x"] - 0.5) * (p["y"] - 0.5), n=400), ["minimize"])
    assert pure[("x", "y")] > max(pure["x"], pure["y"], pure["z"])


def test_categorical_known_answer() -> None:
    imp = importance(
        sample(lambda p: p["x"] + {"a": 0.0, "b": 1.0, "c": 0.5}[p["c"]]), ["minimize"]
    )
    # Var(x) = 1/12; Var over the choices = 1/6: c carries about two thirds
    assert 0.55 < imp["c"] < 0.75 and 0.25 < imp["x"] < 0.4


def test_inputs_and_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="2 or more complete trials"):
        importance(sample(lambda p: p["x"], n=1), ["minimize"])
    with pytest.raises(ValueError, match="n_trees"):
        importance(sample(lambda p: p["x"], n=5), ["minimize"], n_trees=0)
    flat = importance(sample(lambda p: 1.0, n=20), ["minimize"])
    assert set(flat.values()) == {0.0}
    real_import = builtins.__import__

    def no_sklearn(name: str, *args: Any, **kw: Any) -> Any:
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"pip install 'rheostat\[sklearn\]'"):
        importance(sample(lambda p: p["x"], n=5), ["minimize"])


def _study(url: str | None = None) -> rheostat.Study:
    study = rheostat.create_study(
        study_name="imp", storage=url, seed=0, sampler=rheostat.samplers.RandomSampler()
    )

    def objective(t: rheostat.Trial) -> float:
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        t.suggest_float("momentum", 0.5, 0.99)  # never used
        depth = t.suggest_int("depth", 1, 8)
        return (math.log10(lr) + 2.5) ** 2 + 0.1 * (depth - 4) ** 2

    study.optimize(objective, n_trials=60)
    return study


def test_study_importance_cli_and_doctor(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = _study(url)
    imp = study.importance()
    assert imp["momentum"] < min(imp["lr"], imp["depth"])
    (f,) = [f for f in study.doctor() if f.code == "unimportant-parameter"]
    assert f.evidence["params"] == ["momentum"]
    assert "momentum=" in f.fix
    assert "model-based" not in f.message  # random search: no caveat
    gp = doctor(study.trials, study.directions, sampler_info={"type": "GPSampler"})
    (g,) = [f for f in gp if f.code == "unimportant-parameter"]
    assert "model-based sampler" in g.message and "random-search study" in g.message
    assert main(["importance", "imp", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "momentum" in out and "depth x lr" in out
    assert main(["importance", "imp", "--storage", url, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["params"]) == {"lr", "momentum", "depth"}
    assert len(data["pairs"]) == 3
