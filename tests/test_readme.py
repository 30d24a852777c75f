"""Every python block of the README runs, in order, and the two commands at the top exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", README.read_text(), flags=re.S | re.M)


def test_readme_starts_with_the_two_commands() -> None:
    commands = _blocks("bash")[:2]
    assert "examples/quickstart.py" in commands[0]
    assert "pip install -e '.[test" in commands[1]
    assert "scripts/ensure-postgres.sh" in commands[1]
    assert "pytest" in commands[1]
    text = README.read_text()
    assert text.index(commands[1]) < text.index("## A short tour")


def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    blocks = _blocks("python")
    assert len(blocks) >= 5
    try:
        for code in blocks:
            exec(compile(code, str(README), "exec"), namespace)
    finally:
        study = namespace.get("study")
        if study is not None:
            study.storage.close()  # type: ignore[attr-defined]
        again = namespace.get("again")
        if again is not None:
            again.storage.close()  # type: ignore[attr-defined]
    assert (tmp_path / "tour.db").exists()


def test_docs_code_blocks_compile() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs"
    pages = sorted(docs.glob("*.md"))
    assert pages
    for page in pages:
        for code in re.findall(r"^```python\n(.*?)^```$", page.read_text(), flags=re.S | re.M):
            compile(code, str(page), "exec")
