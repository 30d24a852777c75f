"""TPE's proposals do not change: seeded studies on float, log, integer, step, categorical,
conditional, multi-objective, parallel and large spaces give the parameters recorded in
``tpe_reference.json`` (see ``tpe_scenarios.py``), floats up to round-off, the rest exactly; and
its model gives the candidates and densities of ``tpe_model_reference.json``
(``tpe_model_cases.py``), which a proposal's argmax would hide small changes of."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rheostat.samplers._parzen_column import Column
from rheostat.samplers._parzen_rows import Rows
from rheostat.samplers._tpe_model import Observed, Settings, scored_candidates

from .tpe_model_cases import MODEL_REFERENCE, model_cases
from .tpe_scenarios import REFERENCE, SCENARIOS, Params

_EXPECTED: dict[str, list[Params]] = json.loads(REFERENCE.read_text())


def test_every_scenario_is_recorded() -> None:
    assert sorted(_EXPECTED) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_proposals_match_the_reference(name: str) -> None:
    got, expected = SCENARIOS[name](), _EXPECTED[name]
    assert len(got) == len(expected)
    for number, (params, want) in enumerate(zip(got, expected, strict=True)):
        assert sorted(params) == sorted(want), f"trial {number}: {params} != {want}"
        for key, value in want.items():
            where = f"{name}, trial {number}, {key}"
            if isinstance(value, float):
                assert isinstance(params[key], float), where
                np.testing.assert_allclose(params[key], value, rtol=1e-9, atol=0, err_msg=where)
            else:
                assert params[key] == value and type(params[key]) is type(value), where


_MODEL_EXPECTED = json.loads(MODEL_REFERENCE.read_text())


@pytest.mark.parametrize("name", sorted(model_cases()))
def test_model_densities_match_the_reference(name: str) -> None:
    case = model_cases()[name]
    rows = Rows([Column.of(d) for d in case.dists], case.x)
    observed = Observed(rows, None, case.loss, case.pruned, case.steps, case.last)
    settings = Settings(0.1, 25, 24, case.multivariate, 2.0, 0.4, 0.01)
    parts = scored_candidates(observed, case.liars, settings, case.seed)
    expected = _MODEL_EXPECTED[name]
    assert len(parts) == len(expected)
    for (candidates, log_l, log_g), want in zip(parts, expected, strict=True):
        where = f"{name}, columns {want['columns']}"
        np.testing.assert_allclose(candidates, want["candidates"], rtol=1e-9, err_msg=where)
        np.testing.assert_allclose(log_l, want["log_l"], rtol=1e-9, atol=1e-9, err_msg=where)
        np.testing.assert_allclose(log_g, want["log_g"], rtol=1e-9, atol=1e-9, err_msg=where)
