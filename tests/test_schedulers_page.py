"""docs/schedulers.md shows real output: its examples run in order, in one namespace (a later
example uses the objective an earlier one defined), and each prints what the page shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "schedulers.md"
EXAMPLE = re.compile(r"```python\n(.*?)```\n\nOutput:\n\n```text\n(.*?)```", re.S)
EXAMPLES = EXAMPLE.findall(PAGE.read_text())
NAMESPACE: dict[str, Any] = {"__name__": "schedulers_page"}
OUTPUTS: list[str] = []


def output_of(i: int) -> str:
    """What example ``i`` prints, after running the examples before it (once each)."""
    while len(OUTPUTS) <= i:
        code = EXAMPLES[len(OUTPUTS)][0]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(PAGE), "exec"), NAMESPACE)
        OUTPUTS.append(out.getvalue())
    return OUTPUTS[i]


def test_the_page_has_its_examples() -> None:
    # objective, pause and resume, ASHA's modes, Hyperband's brackets, BOHB, PBT, simulator
    assert len(EXAMPLES) == 7


@pytest.mark.parametrize("i", range(7), ids=[f"example{i}" for i in range(7)])
def test_the_example_prints_what_the_page_shows(i: int) -> None:
    assert output_of(i) == EXAMPLES[i][1]
