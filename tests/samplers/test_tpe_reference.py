"""TPE's proposals do not change: seeded studies on float, log, integer, step, categorical,
conditional, multi-objective, parallel and large spaces give the parameters recorded in
``tpe_reference.json`` (see ``tpe_scenarios.py``), floats up to round-off, the rest exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
