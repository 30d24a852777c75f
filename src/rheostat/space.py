"""A declarative search space: named distributions, for ask/tell, grids and the command line.

>>> from rheostat.distributions import Float, Categorical
>>> space = Space({"lr": Float(1e-5, 1e-1, log=True), "opt": Categorical(["adam", "sgd"])})
>>> sorted(space)
['lr', 'opt']
>>> Space.from_json(space.to_json()) == space
True
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from rheostat.distributions import Distribution, ParamValue, distribution_from_json

__all__ = ["Space", "check_param_name"]


def check_param_name(name: object) -> str:
    """Return ``name`` if it is a valid parameter name, else raise a clear error."""
    if not isinstance(name, str):
        raise TypeError(f"parameter name {name!r} must be a str, got {type(name).__name__}")
    if not name or name != name.strip():
        raise ValueError(
            f"parameter name {name!r} must be non-empty and have no leading or trailing spaces"
        )
    return name


class Space(Mapping[str, Distribution]):
    """An immutable mapping of parameter name to ``Distribution``.

    The same distributions serve define-by-run objectives, so both styles share every sampler.
    """

    __slots__ = ("_params",)

    def __init__(self, params: Mapping[str, Distribution]) -> None:
        if not isinstance(params, Mapping):
            raise TypeError(
                f"Space(params={params!r}): expected a dict of name -> Float/Int/Categorical"
            )
        checked: dict[str, Distribution] = {}
        for name, dist in params.items():
            check_param_name(name)
            if not isinstance(dist, Distribution):
                raise TypeError(
                    f"Space: parameter {name!r} has {dist!r}, which is not a distribution; "
                    "use Float(low, high), Int(low, high) or Categorical([...])"
                )
            checked[name] = dist
        self._params = checked

    def __getitem__(self, name: str) -> Distribution:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    # The dict's own views: Mapping's generic ones look every value up again (ask iterates them
    # on every trial).
    def keys(self) -> KeysView[str]:
        return self._params.keys()

    def items(self) -> ItemsView[str, Distribution]:
        return self._params.items()

    def values(self) -> ValuesView[Distribution]:
        return self._params.values()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Space):
            return NotImplemented
        return self._params == other._params

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._params.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._params.items())
        return f"Space({{{inner}}})"

    def contains(self, params: Mapping[str, ParamValue]) -> bool:
        """Whether ``params`` sets every parameter of the space to a value inside it."""
        return all(n in params and d.contains(params[n]) for n, d in self._params.items())

    def to_json(self) -> dict[str, Any]:
        """A JSON-representable dict of name -> distribution JSON."""
        return {name: dist.to_json() for name, dist in self._params.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        """Rebuild a space from ``to_json`` output."""
        return cls({name: distribution_from_json(d) for name, d in data.items()})
