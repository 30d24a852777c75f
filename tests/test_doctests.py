"""The examples in docstrings run and give what they show (STYLE.md item 18)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rheostat

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(rheostat.__path__, prefix="rheostat.")
    if not m.name.startswith("rheostat.testing") and m.name != "rheostat.__main__"
)


def test_modules_are_found() -> None:
    assert "rheostat.distributions" in MODULES
    assert "rheostat.study._create" in MODULES


@pytest.mark.parametrize("name", ["rheostat", *MODULES])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
