"""What the doctor reports: a ``Finding`` with a stable code, a severity, evidence and a fix."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Finding", "Severity"]


class Severity(str, enum.Enum):
    """How much a finding matters.

    ``INFO``: advice (e.g. time to stop); ``WARNING``: the search is likely going wrong and the
    fix is cheap; ``ERROR``: the results cannot be trusted as they are.
    """

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for ``ERROR``, 1 for ``WARNING``, 2 for ``INFO``: the order findings are listed in."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _check_evidence_value(code: str, key: str, value: object) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_evidence_value(code, key, v)
        return
    raise TypeError(
        f"Finding({code!r}): evidence[{key!r}] = {value!r} of type {type(value).__name__} is "
        "not JSON-representable; use numbers, strings, None or lists of them"
    )


@dataclass(frozen=True)
class Finding:
    """One problem (or piece of advice) about a study. Immutable.

    ``code`` is stable across releases (match on it, not on ``message``); ``evidence`` holds the
    numbers the finding rests on (numbers, strings, ``None`` or lists of them, JSON-representable);
    ``fix`` says what to do about it.
    """

    code: str
    severity: Severity
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"Finding: code must be a non-empty str, got {self.code!r}")
        if not isinstance(self.severity, Severity):
            raise TypeError(
                f"Finding({self.code!r}): severity must be a Severity, got {self.severity!r}"
            )
        for key, value in self.evidence.items():
            if not isinstance(key, str):
                raise TypeError(f"Finding({self.code!r}): evidence key {key!r} must be a str")
            _check_evidence_value(self.code, key, value)
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON-representable data (NaN and infinities become ``None``)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "evidence": {k: _finite(v) for k, v in self.evidence.items()},
            "fix": self.fix,
        }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
