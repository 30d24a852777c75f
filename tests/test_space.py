"""Space: an immutable, hashable mapping of parameter name to distribution."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from rheostat.distributions import Categorical, Float, Int
from rheostat.space import Space, check_param_name


def _space() -> Space:
    return Space(
        {
            "lr": Float(1e-5, 1e-1, log=True),
            "layers": Int(1, 8),
            "dropout": Float(0.0, 0.5, step=0.1),
            "opt": Categorical(["adam", "sgd"]),
            "flag": Categorical([True, False, None]),
        }
    )


def test_is_a_mapping_in_insertion_order() -> None:
    space = _space()
    assert isinstance(space, Mapping)
    assert len(space) == 5
    assert list(space) == ["lr", "layers", "dropout", "opt", "flag"]
    assert space["layers"] == Int(1, 8)
    assert "lr" in space
    assert "momentum" not in space
    assert dict(space.items())["opt"] == Categorical(["adam", "sgd"])
    with pytest.raises(KeyError):
        space["momentum"]
    assert space.get("momentum") is None


def test_immutable() -> None:
    source = {"x": Float(0, 1)}
    space = Space(source)
    source["y"] = Float(0, 2)  # changing the input later does not change the space
    assert list(space) == ["x"]
    with pytest.raises(TypeError):
        space["z"] = Float(0, 1)  # type: ignore[index]
    with pytest.raises(TypeError):
        del space["x"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        space.extra = 1  # type: ignore[attr-defined]


def test_equality_and_hash() -> None:
    a = _space()
    b = Space(dict(reversed(list(_space().items()))))
    assert a == b  # the same names and distributions, in any order
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != Space({**a, "lr": Float(1e-5, 1e-1)})
    assert a != Space({k: v for k, v in a.items() if k != "flag"})
    assert Space({"c": Categorical([1, 0])}) != Space({"c": Categorical([True, False])})
    assert a != dict(a)  # a Space is not equal to a plain dict
    assert Space({}) == Space({})
    assert hash(Space({})) == hash(Space({}))


def test_json_round_trip() -> None:
    space = _space()
    data = space.to_json()
    assert set(data) == set(space)
    assert Space.from_json(data) == space
    back = Space.from_json(json.loads(json.dumps(data, allow_nan=False)))
    assert back == space
    assert list(back) == list(space)
    assert [type(c) for c in back["flag"].choices] == [bool, bool, type(None)]  # type: ignore[attr-defined]
    assert Space.from_json({}) == Space({})


def test_contains() -> None:
    space = _space()
    good = {"lr": 1e-3, "layers": 3, "dropout": 0.2, "opt": "sgd", "flag": None}
    assert space.contains(good)
    assert space.contains({**good, "unrelated": "extra"})  # extra names are ignored
    assert not space.contains({k: v for k, v in good.items() if k != "lr"})  # missing one
    assert not space.contains({**good, "lr": 1.0})  # out of range
    assert not space.contains({**good, "layers": 2.5})
    assert not space.contains({**good, "dropout": 0.25})  # off the grid
    assert not space.contains({**good, "opt": "rmsprop"})
    assert not space.contains({**good, "flag": 1})  # 1 is not True
    assert Space({}).contains({})


def test_repr() -> None:
    space = Space({"x": Float(0, 1), "n": Int(1, 3)})
    assert repr(space) == "Space({'x': Float(0.0, 1.0), 'n': Int(1, 3)})"


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"x": (0, 1)}, TypeError, "'x' has \\(0, 1\\), which is not a distribution"),
        ({"x": Float}, TypeError, "not a distribution"),
        ({"x": None}, TypeError, "not a distribution"),
        ({1: Float(0, 1)}, TypeError, "must be a str"),
        ({"": Float(0, 1)}, ValueError, "non-empty"),
        ({" x": Float(0, 1)}, ValueError, "leading or trailing spaces"),
        ({"x ": Float(0, 1)}, ValueError, "leading or trailing spaces"),
        ([("x", Float(0, 1))], TypeError, "expected a dict"),
    ],
)
def test_invalid(params: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Space(params)  # type: ignore[arg-type]


def test_check_param_name() -> None:
    assert check_param_name("learning_rate") == "learning_rate"
    assert check_param_name("a b") == "a b"  # inner spaces are fine
    with pytest.raises(TypeError, match="must be a str"):
        check_param_name(None)
    with pytest.raises(ValueError, match="non-empty"):
        check_param_name("")


def test_doctest_example() -> None:
    space = Space({"lr": Float(1e-5, 1e-1, log=True), "opt": Categorical(["adam", "sgd"])})
    assert sorted(space) == ["lr", "opt"]
    assert Space.from_json(space.to_json()) == space
