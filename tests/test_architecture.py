"""The package's shape: layers, public names, and a light import."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_PACKAGES = [
    "rheostat",
    "rheostat.analysis",
    "rheostat.execution",
    "rheostat.integrations.sklearn",
    "rheostat.samplers",
    "rheostat.schedulers",
    "rheostat.storage",
    "rheostat.study",
    "rheostat.testing",
]
PUBLIC_MODULES = [
    "rheostat.distributions",
    "rheostat.exceptions",
    "rheostat.space",
    "rheostat.trial",
]


@pytest.mark.parametrize("name", PUBLIC_PACKAGES + PUBLIC_MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported), f"{name}.__all__ is not sorted"
    for item in exported:
        assert getattr(module, item) is not None


@pytest.mark.parametrize("name", PUBLIC_PACKAGES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and n not in {"annotations"}
    }
    assert public <= set(module.__all__), f"{name} exports names missing from __all__"


def test_layers_follow_the_design() -> None:
    """import-linter contracts in pyproject.toml (DESIGN.md section 2)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or " 0 broken" in result.stdout.lower()


def test_import_is_light() -> None:
    """`import rheostat` needs neither SQLAlchemy, scipy, pandas nor scikit-learn."""
    code = (
        "import sys, rheostat; "
        "print(','.join(m for m in ('sqlalchemy', 'scipy', 'pandas', 'sklearn', 'numpy') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import rheostat loaded: {out}"


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "src" / "rheostat" / "py.typed").exists()
