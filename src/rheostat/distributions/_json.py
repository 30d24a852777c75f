"""Rebuilding a distribution from the JSON that storage keeps."""

from __future__ import annotations

from typing import Any

from rheostat.distributions._base import Distribution
from rheostat.distributions._categorical import Categorical
from rheostat.distributions._float import Float
from rheostat.distributions._int import Int

__all__ = ["distribution_from_json"]


def distribution_from_json(data: dict[str, Any]) -> Distribution:
    """Rebuild a distribution from the dict ``to_json`` gave."""
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=data.get("log", False), step=data.get("step"))
    if kind == "int":
        return Int(data["low"], data["high"], log=data.get("log", False), step=data.get("step", 1))
    if kind == "categorical":
        return Categorical(data["choices"])
    raise ValueError(
        f"unknown distribution type {kind!r} in {data!r}; expected 'float', 'int' or 'categorical'"
    )
