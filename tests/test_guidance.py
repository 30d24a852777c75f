"""docs/guidance.md shows the doctor's real output: its first example runs and prints it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "guidance.md"


def test_the_doctor_example_prints_what_the_page_shows() -> None:
    text = PAGE.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"```text\n(.*?)```", text, re.S)
    assert code is not None
    assert shown is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(PAGE), "exec"), {"__name__": "guidance"})
    assert out.getvalue() == shown.group(1)
