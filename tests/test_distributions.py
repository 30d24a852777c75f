"""Distributions: values, internal and unit forms, round trips, JSON, numpy inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rheostat.distributions import Categorical, Distribution, Float, Int, distribution_from_json

FLOATS = [
    Float(-3.0, 5.0),
    Float(1e-5, 1e-1, log=True),
    Float(0.0, 1.0, step=0.1),
    Float(-1.0, 1.0, step=0.25),
    Float(1.5, 3.0, step=0.05),
    Float(2.0, 2.0),
]
INTS = [
    Int(0, 10),
    Int(-7, 7),
    Int(1, 1000, log=True),
    Int(0, 100, step=5),
    Int(3, 3),
]
CATEGORICALS = [
    Categorical(["adam", "sgd", "rmsprop"]),
    Categorical([True, False]),
    Categorical([None, 1, 1.0, True, "1"]),
    Categorical([0.5]),
]
ALL: list[Distribution] = [*FLOATS, *INTS, *CATEGORICALS]

UNITS = [0.0, 1e-12, 0.1, 0.25, 1 / 3, 0.5, 0.7, 0.999, 1 - 1e-12, 0.9999999999999999]


def _grid(dist: Float | Int) -> list[float] | list[int]:
    """Every value of a discrete numeric distribution, as the user writes it."""
    if isinstance(dist, Int):
        return list(range(dist.low, dist.high + 1, dist.step))
    assert dist.step is not None
    n = round((dist.high - dist.low) / dist.step)
    # Written the way a user would: with the decimals of low and step, not k * step.
    return [round(dist.low + k * dist.step, 10) for k in range(n + 1)]


def _exact_type(dist: Distribution, value: object) -> bool:
    if isinstance(dist, Int):
        return type(value) is int
    if isinstance(dist, Float):
        return type(value) is float
    assert isinstance(dist, Categorical)
    return any(value is c for c in dist.choices)


# -- from_unit / from_internal stay inside, with the right type ---------------------------------


@pytest.mark.parametrize("dist", ALL, ids=repr)
@pytest.mark.parametrize("u", UNITS)
def test_from_unit_is_contained_and_typed(dist: Distribution, u: float) -> None:
    value = dist.from_unit(u)
    assert dist.contains(value), (dist, u, value)
    assert _exact_type(dist, value), (dist, u, value, type(value))


@pytest.mark.parametrize("dist", [*FLOATS, *INTS], ids=repr)
@pytest.mark.parametrize("x", [-5.0, -1e-9, 0.0, 0.3, 0.5, 1.0, 1.0 + 1e-9, 7.0])
def test_from_internal_clips_into_range(dist: Float | Int, x: float) -> None:
    value = dist.from_internal(x)
    assert dist.contains(value)
    assert _exact_type(dist, value)
    if x <= 0:
        assert value == dist.low
    if x >= 1:
        assert value == dist.high


@pytest.mark.parametrize("dist", CATEGORICALS, ids=repr)
@pytest.mark.parametrize("x", [-3.0, 0.0, 0.4, 1.0, 2.6, 100.0])
def test_categorical_from_internal_is_a_choice(dist: Categorical, x: float) -> None:
    value = dist.from_internal(x)
    assert _exact_type(dist, value)


def test_docstring_examples() -> None:
    assert Float(0.0, 1.0, step=0.25).from_internal(0.5) == 0.5
    assert Float(0.0, 1.0, step=0.25).from_internal(0.6) == 0.75  # cells of width 1/5
    assert Int(1, 10).from_unit(0.999) == 10
    assert Int(0, 100, step=25).from_internal(0.5) == 50
    assert Categorical(["adam", "sgd"]).from_unit(0.7) == "sgd"


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [
        Int(0, 300),
        Int(-150, 150),
        Int(1, 2000, log=True),
        Int(0, 990, step=10),
        Int(7, 7),
        Int(10**12, 10**12 + 300),
        Int(1, 3, log=True),
    ],
    ids=repr,
)
def test_int_round_trip_every_value(dist: Int) -> None:
    for v in _grid(dist):
        x = dist.to_internal(v)
        assert 0.0 <= x <= 1.0
        back = dist.from_internal(x)
        assert back == v
        assert type(back) is int


@pytest.mark.parametrize(
    "dist",
    [
        Float(0.0, 1.0, step=0.1),
        Float(-1.0, 1.0, step=0.1),
        Float(0.1, 0.9, step=0.2),
        Float(0.0, 0.001, step=0.0001),
        Float(1.5, 3.0, step=0.05),
        Float(-2.5, 2.5, step=0.5),
        Float(0.0, 100.0, step=2.5),
        Float(3.0, 3.0, step=0.5),
    ],
    ids=repr,
)
def test_step_float_round_trip_every_grid_point(dist: Float) -> None:
    grid = _grid(dist)
    assert len(grid) == dist.n_values
    for v in grid:
        assert dist.contains(v)
        x = dist.to_internal(v)
        assert 0.0 <= x <= 1.0
        back = dist.from_internal(x)
        assert back == v, (v, back)  # exactly the written value: 0.3, not 0.30000000000000004
        assert dist.cast(v) == v
    # and every unit draw lands exactly on one of the written grid values
    seen = {dist.from_unit(u) for u in np.linspace(0, 1, 1001, endpoint=False)}
    assert seen == set(grid)


def test_step_float_gives_clean_decimals() -> None:
    dist = Float(0.0, 1.0, step=0.1)
    assert dist.from_internal(dist.to_internal(0.3)) == 0.3
    assert dist.from_unit(0.35) == 0.3
    assert repr(dist.from_unit(0.35)) == "0.3"
    # a value within rounding of a grid point is snapped onto it
    assert dist.cast(0.1 + 0.2) == 0.3
    assert dist.contains(0.1 + 0.2)
    assert not dist.contains(0.35)
    with pytest.raises(ValueError, match="not in"):
        dist.cast(0.35)


@pytest.mark.parametrize(
    "dist",
    [
        Float(-3.0, 5.0),
        Float(0.0, 1e-6),
        Float(-1e6, 1e6),
        Float(1e-5, 1e-1, log=True),
        Float(1.0, 1e9, log=True),
    ],
    ids=repr,
)
def test_continuous_float_round_trip(dist: Float) -> None:
    rng = np.random.default_rng(0)
    for u in rng.random(500):
        v = dist.from_unit(float(u))
        x = dist.to_internal(v)
        assert 0.0 <= x <= 1.0
        back = dist.from_internal(x)
        assert back == pytest.approx(v, rel=1e-12, abs=1e-12 * (dist.high - dist.low))
    assert dist.from_internal(dist.to_internal(dist.low)) == dist.low
    assert dist.from_internal(dist.to_internal(dist.high)) == dist.high


def test_categorical_round_trip_returns_the_choice_object() -> None:
    choices: list[object] = [None, True, 1, 1.0, "1", False, 0, 0.0, "x"]
    dist = Categorical(choices)  # type: ignore[arg-type]
    for i, c in enumerate(choices):
        assert dist.to_internal(c) == float(i)  # type: ignore[arg-type]
        back = dist.from_internal(dist.to_internal(c))  # type: ignore[arg-type]
        assert back is c or (type(back) is type(c) and back == c)
        assert dist.cast(c) is dist.choices[i]


# -- uniform u gives the prior -------------------------------------------------------------------


def _chi_square_p(observed: list[int], expected: list[float]) -> float:
    return float(stats.chisquare(observed, expected).pvalue)


@pytest.mark.parametrize(
    "dist",
    [
        Int(0, 9),
        Int(-3, 3),
        Int(0, 100, step=10),
        Float(0.0, 1.0, step=0.1),
        Float(-1.0, 1.0, step=0.5),
        Categorical(["a", "b", "c", "d", "e"]),
        Categorical([True, 1, 1.0]),
    ],
    ids=repr,
)
def test_uniform_draws_hit_each_value_equally(dist: Distribution) -> None:
    rng = np.random.default_rng(12345)
    draws = [dist.from_unit(float(u)) for u in rng.random(20_000)]
    if isinstance(dist, Categorical):
        values: list[object] = list(dist.choices)
        counts = [sum(1 for d in draws if type(d) is type(v) and d == v) for v in values]
    else:
        values = list(_grid(dist))
        counts = [sum(1 for d in draws if d == v) for v in values]
    assert sum(counts) == len(draws), "some draw is not one of the values"
    n = len(values)
    assert min(counts) > 0.8 * len(draws) / n
    assert _chi_square_p(counts, [len(draws) / n] * n) > 1e-3


def test_edges_of_the_unit_interval_own_full_cells() -> None:
    # Rounding instead of flooring would give the end values half a cell each.
    dist = Int(0, 4)
    assert [dist.from_unit(u) for u in (0.0, 0.199, 0.2, 0.799, 0.8, 0.999)] == [0, 0, 1, 3, 4, 4]


def test_log_int_draws_follow_log_uniform_cells() -> None:
    dist = Int(1, 20, log=True)
    rng = np.random.default_rng(7)
    draws = [dist.from_unit(float(u)) for u in rng.random(20_000)]
    values = list(range(1, 21))
    width = math.log(20.5) - math.log(0.5)
    expected = [len(draws) * (math.log(v + 0.5) - math.log(v - 0.5)) / width for v in values]
    counts = [draws.count(v) for v in values]
    assert sum(counts) == len(draws)
    assert counts[0] > counts[-1] * 10  # log scale: small values are far more likely
    assert _chi_square_p(counts, expected) > 1e-3


def test_log_float_median_is_geometric_mean() -> None:
    for low, high in [(1e-5, 1e-1), (1e-4, 1.0), (2.0, 32.0), (1.0, 1e9)]:
        dist = Float(low, high, log=True)
        assert dist.from_unit(0.5) == pytest.approx(math.sqrt(low * high), rel=1e-12)
        assert dist.to_internal(math.sqrt(low * high)) == pytest.approx(0.5, abs=1e-12)
    assert Float(1e-5, 1e-1, log=True).from_unit(0.25) == pytest.approx(1e-4, rel=1e-12)


def test_log_float_draws_are_uniform_in_log_space() -> None:
    dist = Float(1e-6, 1.0, log=True)
    rng = np.random.default_rng(3)
    decades = [math.floor(-math.log10(dist.from_unit(float(u))) - 1e-12) for u in rng.random(6000)]
    counts = [decades.count(d) for d in range(6)]
    assert sum(counts) == 6000
    assert _chi_square_p(counts, [1000.0] * 6) > 1e-3


# -- internal form -------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", [*FLOATS, *INTS], ids=repr)
def test_to_internal_in_unit_interval_and_monotone(dist: Float | Int) -> None:
    rng = np.random.default_rng(1)
    values = sorted({dist.from_unit(float(u)) for u in rng.random(300)} | {dist.low, dist.high})
    xs = [dist.to_internal(v) for v in values]
    assert all(0.0 <= x <= 1.0 for x in xs)
    assert xs == sorted(xs)
    if len(values) > 1:
        assert xs[0] < xs[-1]


def test_categorical_internal_is_index() -> None:
    dist = Categorical(["a", "b", "c"])
    assert [dist.to_internal(c) for c in ("a", "b", "c")] == [0.0, 1.0, 2.0]
    assert dist.from_internal(1.4) == "b"
    assert dist.from_internal(1.6) == "c"
    with pytest.raises(ValueError, match="not one of the choices"):
        dist.to_internal("d")


# -- low == high ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dist", "value"),
    [
        (Float(2.0, 2.0), 2.0),
        (Float(2.0, 2.0, log=True), 2.0),
        (Float(2.0, 2.0, step=0.5), 2.0),
        (Int(5, 5), 5),
        (Int(5, 5, log=True), 5),
        (Int(5, 5, step=3), 5),
        (Categorical(["only"]), "only"),
    ],
    ids=repr,
)
def test_single_value(dist: Distribution, value: object) -> None:
    assert dist.n_values == 1
    for u in (0.0, 0.5, 0.999):
        assert dist.from_unit(u) == value
        assert _exact_type(dist, dist.from_unit(u))
    x = dist.to_internal(value)  # type: ignore[arg-type]
    if not isinstance(dist, Categorical):
        assert 0.0 <= x <= 1.0
    assert dist.from_internal(x) == value
    assert dist.contains(value)
    assert distribution_from_json(dist.to_json()) == dist


def test_n_values() -> None:
    assert Float(0, 1).n_values == math.inf
    assert Float(0, 1, step=0.1).n_values == 11
    assert Int(0, 10).n_values == 11
    assert Int(0, 100, step=25).n_values == 5
    assert Categorical(["a", "b"]).n_values == 2


# -- contains ------------------------------------------------------------------------------------


def test_float_contains() -> None:
    dist = Float(0.0, 1.0)
    assert dist.contains(0.0)
    assert dist.contains(1.0)
    assert dist.contains(0.5)
    assert dist.contains(1)
    assert not dist.contains(1.0000001)
    assert not dist.contains(-1e-300)
    assert not dist.contains(math.nan)
    assert not dist.contains(True)
    assert not dist.contains("0.5")
    assert not dist.contains(None)


def test_int_contains() -> None:
    dist = Int(0, 10, step=2)
    assert dist.contains(4)
    assert dist.contains(4.0)
    assert dist.contains(np.int64(4))
    assert not dist.contains(5)
    assert not dist.contains(4.5)
    assert not dist.contains(12)
    assert not dist.contains(True)
    assert not dist.contains("4")
    assert not dist.contains(math.nan)


def test_categorical_distinguishes_bool_int_float() -> None:
    dist = Categorical([True, 1, 1.0, "1"])
    assert [dist.index(v) for v in (True, 1, 1.0, "1")] == [0, 1, 2, 3]
    assert dist.cast(1) is not True
    assert type(dist.cast(1)) is int
    assert type(dist.cast(1.0)) is float
    assert dist.cast(True) is True
    bools = Categorical([True, False])
    assert not bools.contains(1)
    assert not bools.contains(0)
    ints = Categorical([0, 1])
    assert not ints.contains(True)
    assert not ints.contains(False)


def test_categorical_equality_sees_types() -> None:
    """Two categoricals are the same distribution only if their choices are the same values of
    the same types: a study must not mix up [True, False] with [1, 0]."""
    assert Categorical([True, False]) != Categorical([1, 0])
    assert Categorical([1, 2]) != Categorical([1.0, 2.0])
    assert Categorical(["a", "b"]) != Categorical(["b", "a"])
    assert Categorical(["a", 1]) == Categorical(("a", 1))
    assert hash(Categorical(["a", 1])) == hash(Categorical(("a", 1)))
    assert len({Categorical([True]), Categorical([1]), Categorical([1.0])}) == 3


def test_categorical_accepts_numpy_scalars_by_value() -> None:
    dist = Categorical([1, 2.5, "a"])
    assert dist.cast(np.int64(1)) == 1
    assert type(dist.cast(np.int64(1))) is int
    assert dist.cast(np.float64(2.5)) == 2.5
    assert type(dist.cast(np.float64(2.5))) is float
    assert dist.cast(np.float32(2.5)) == 2.5
    assert type(dist.cast(np.float32(2.5))) is float
    assert not dist.contains(np.float64(1.0))  # a float is not the int choice 1
    assert dist.contains(np.str_("a"))
    both = Categorical([1.0, 1])
    assert both.index(np.int64(1)) == 1
    assert both.index(np.float64(1.0)) == 0


def test_categorical_float_choice_accepts_an_int_of_the_same_value() -> None:
    dist = Categorical([0.5, 1.0])
    assert dist.contains(1)
    assert dist.cast(1) == 1.0
    assert type(dist.cast(1)) is float
    assert not dist.contains(True)


# -- cast normalizes numpy scalars ---------------------------------------------------------------


def test_cast_normalizes_numpy_scalars() -> None:
    f = Float(0.0, 1.0)
    for raw in (np.float32(0.5), np.float64(0.25), np.int64(1), 1):
        out = f.cast(raw)
        assert type(out) is float
        assert out == float(raw)
    i = Int(0, 10)
    for raw in (np.int64(3), np.int32(3), np.uint8(3), np.float64(3.0), 3.0):
        out_i = i.cast(raw)
        assert type(out_i) is int
        assert out_i == 3
    stepped = Float(0.0, 1.0, step=0.25)
    out_s = stepped.cast(np.float32(0.75))
    assert type(out_s) is float
    assert out_s == 0.75
    assert type(stepped.cast(np.float64(0.1 + 0.2 + 0.45))) is float
    with pytest.raises(ValueError, match=r"not in Int\(0, 10\)"):
        i.cast(np.float64(3.5))
    with pytest.raises(ValueError, match="not in"):
        f.cast(np.float32(2.0))


# -- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", ALL, ids=repr)
def test_json_round_trip(dist: Distribution) -> None:
    data = dist.to_json()
    assert distribution_from_json(data) == dist
    text = json.dumps(data, allow_nan=False)
    back = distribution_from_json(json.loads(text))
    assert back == dist
    assert type(back) is type(dist)
    assert repr(back) == repr(dist)
    if isinstance(dist, Categorical):
        assert isinstance(back, Categorical)
        assert [type(c) for c in back.choices] == [type(c) for c in dist.choices]


def test_json_keeps_int_types() -> None:
    back = distribution_from_json(json.loads(json.dumps(Int(0, 100, step=5).to_json())))
    assert isinstance(back, Int)
    assert type(back.low) is int
    assert type(back.high) is int
    assert type(back.step) is int


def test_unknown_json_type() -> None:
    with pytest.raises(ValueError, match="unknown distribution type 'normal'"):
        distribution_from_json({"type": "normal", "mu": 0})


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Float(1.0, 0.0), ValueError, "low must be <= high"),
        (lambda: Float(0.0, 1.0, log=True), ValueError, "log=True needs low > 0"),
        (lambda: Float(0.0, 1.0, step=0.3), ValueError, "does not divide"),
        (lambda: Float(0.0, 1.0, step=0.0), ValueError, "positive"),
        (lambda: Float(0.1, 1.0, log=True, step=0.1), ValueError, "cannot be combined"),
        (lambda: Float(0.0, math.inf), ValueError, "finite"),
        (lambda: Float("0", 1.0), TypeError, "numbers"),
        (lambda: Int(5, 1), ValueError, "low must be <= high"),
        (lambda: Int(0, 10, log=True), ValueError, "log=True needs low >= 1"),
        (lambda: Int(0, 10, step=3), ValueError, "does not divide"),
        (lambda: Int(0, 10, step=0), ValueError, "step must be >= 1"),
        (lambda: Int(0.5, 10), TypeError, "must be an integer"),
        (lambda: Int(True, 10), TypeError, "must be an integer"),
        (lambda: Categorical([]), ValueError, "must not be empty"),
        (lambda: Categorical("ab"), TypeError, "list or tuple"),
        (lambda: Categorical([[1], [2]]), TypeError, "cannot be stored as JSON"),
        (lambda: Categorical(["a", "a"]), ValueError, "appears twice"),
        (lambda: Categorical([math.nan]), ValueError, "not finite"),
    ],
)
def test_invalid_distributions(make: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()  # type: ignore[operator]


def test_frozen() -> None:
    dist = Float(0.0, 1.0)
    with pytest.raises(AttributeError):
        dist.low = 0.5  # type: ignore[misc]
    assert Float(0, 1) == Float(0.0, 1.0)
    assert hash(Float(0, 1)) == hash(Float(0.0, 1.0))
    assert Float(0, 1) != Float(0, 1, step=0.5)
    assert Int(0, 1) != Float(0, 1)


# -- properties ----------------------------------------------------------------------------------

units = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
bounds = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def float_dists(draw: st.DrawFn) -> Float:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(min_value=1e-8, max_value=1e4))
        # (ranges narrower than a few ulps are left out: log(high) == log(low) there)
        ratio = draw(st.one_of(st.just(1.0), st.floats(min_value=1.0 + 1e-9, max_value=1e6)))
        return Float(low, low * ratio, log=True)
    low = draw(bounds)
    if kind == "step":
        step = draw(st.sampled_from([0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 5.0]))
        low = round(low, 2)
        return Float(low, low + draw(st.integers(0, 200)) * step, step=step)
    return Float(low, low + draw(st.floats(min_value=0.0, max_value=1e6)))


@st.composite
def int_dists(draw: st.DrawFn) -> Int:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.integers(1, 10_000))
        return Int(low, low + draw(st.integers(0, 10**6)), log=True)
    low = draw(st.integers(-(10**9), 10**9))
    step = draw(st.integers(1, 50)) if kind == "step" else 1
    return Int(low, low + draw(st.integers(0, 10_000)) * step, step=step)


@settings(max_examples=100, deadline=None)
@given(dist=float_dists(), u=units)
def test_property_float(dist: Float, u: float) -> None:
    v = dist.from_unit(u)
    assert type(v) is float
    assert dist.contains(v)
    x = dist.to_internal(v)
    assert 0.0 <= x <= 1.0
    back = dist.from_internal(x)
    assert dist.contains(back)
    if dist.step is not None:
        assert back == v
        assert dist.cast(v) == v
    else:
        assert back == pytest.approx(v, rel=1e-12, abs=1e-12 * (dist.high - dist.low))
    assert distribution_from_json(json.loads(json.dumps(dist.to_json()))) == dist


@settings(max_examples=100, deadline=None)
@given(dist=int_dists(), u=units, data=st.data())
def test_property_int(dist: Int, u: float, data: st.DataObject) -> None:
    v = dist.from_unit(u)
    assert type(v) is int
    assert dist.contains(v)
    assert dist.from_internal(dist.to_internal(v)) == v
    w = data.draw(st.integers(0, int(dist.n_values) - 1)) * dist.step + dist.low
    x = dist.to_internal(w)
    assert 0.0 <= x <= 1.0
    assert dist.from_internal(x) == w
    assert distribution_from_json(json.loads(json.dumps(dist.to_json()))) == dist


choice_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=5),
)


def _unique(items: list[object]) -> list[object]:
    out: list[object] = []
    for c in items:
        if not any(type(c) is type(d) and c == d for d in out):
            out.append(c)
    return out


@settings(max_examples=100, deadline=None)
@given(choices=st.lists(choice_values, min_size=1, max_size=8).map(_unique), u=units)
def test_property_categorical(choices: list[object], u: float) -> None:
    dist = Categorical(choices)  # type: ignore[arg-type]
    v = dist.from_unit(u)
    assert any(v is c for c in choices)
    for i, c in enumerate(choices):
        assert dist.index(c) == i
        assert dist.from_internal(dist.to_internal(c)) is dist.choices[i]  # type: ignore[arg-type]
    back = distribution_from_json(json.loads(json.dumps(dist.to_json())))
    assert back == dist
    assert [type(c) for c in back.choices] == [type(c) for c in choices]  # type: ignore[union-attr]
