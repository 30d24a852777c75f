"""docs/guidance.md shows real output: every example on the page runs and prints what the page
shows under it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guidance.md"
EXAMPLE = re.compile(r"```python\n(.*?)```\n\nOutput:\n\n```text\n(.*?)```", re.S)
EXAMPLES = EXAMPLE.findall(PAGE.read_text())


def test_the_page_has_its_examples() -> None:
    # planner, presets, doctor, curves, stopping, importance, holdout, nested CV, workflow
    assert len(EXAMPLES) == 9


@pytest.mark.parametrize(("code", "shown"), EXAMPLES, ids=[f"example{i}" for i in range(9)])
def test_the_example_prints_what_the_page_shows(code: str, shown: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(PAGE), "exec"), {"__name__": "guidance"})
    assert out.getvalue() == shown
