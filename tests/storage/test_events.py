"""The JSON codec of storage events: lossless, strict JSON, and clear about what it refuses."""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rheostat.distributions import Categorical, Distribution, Float, Int
from rheostat.storage import (
    AttrSet,
    Event,
    Heartbeat,
    ParamSet,
    Reported,
    StateChanged,
    TrialCreated,
    decode_event,
    encode_event,
)
from rheostat.testing._storage import same_value
from rheostat.trial import TrialState

_fast = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

numbers = st.integers(min_value=0, max_value=10**9)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
any_float = st.floats(allow_nan=True, allow_infinity=True)
finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(max_size=20)
states = st.sampled_from(list(TrialState))
param_value = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | finite | text
param_dict = st.dictionaries(text, param_value, max_size=4)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def params(draw: st.DrawFn) -> tuple[Any, Distribution]:
    kind = draw(st.sampled_from(["float", "log", "step", "int", "cat"]))
    if kind == "float":
        low = draw(st.floats(-1e6, 1e6))
        high = draw(st.floats(low, 1e6 + 1))
        dist: Distribution = Float(low, high)
        return draw(st.floats(low, high)), dist
    if kind == "log":
        return 1e-3, Float(1e-5, 1e-1, log=True)
    if kind == "step":
        return 0.75, Float(0.0, 1.0, step=0.25)
    if kind == "int":
        low_i = draw(st.integers(-1000, 1000))
        high_i = draw(st.integers(low_i, 2000))
        return draw(st.integers(low_i, high_i)), Int(low_i, high_i)
    choices = draw(
        st.lists(
            st.none() | st.booleans() | st.integers(-5, 5) | finite | text,
            min_size=1,
            max_size=5,
            unique_by=lambda c: (type(c), c),
        )
    )
    return draw(st.sampled_from(choices)), Categorical(choices)


@st.composite
def param_sets(draw: st.DrawFn) -> ParamSet:
    value, dist = draw(params())
    return ParamSet(draw(numbers), draw(text), value, dist)


trial_created = st.builds(
    TrialCreated,
    number=numbers,
    state=st.sampled_from([TrialState.WAITING, TrialState.RUNNING]),
    time=times,
    worker_id=st.none() | text,
    fixed_params=st.none() | param_dict,
    proposal=st.none() | param_dict,
    budget=st.none() | finite,
    parent=st.none() | numbers,
)
reported = st.builds(Reported, number=numbers, step=numbers, value=any_float)
state_changed = st.builds(
    StateChanged,
    number=numbers,
    state=states,
    time=times,
    values=st.none() | st.lists(any_float, max_size=3).map(tuple),
    message=st.none() | text,
    worker_id=st.none() | text,
)
attr_set = st.builds(
    AttrSet, number=st.none() | numbers, key=text, value=json_value, system=st.booleans()
)
heartbeat = st.builds(Heartbeat, number=numbers, time=times)
events = trial_created | param_sets() | reported | state_changed | attr_set | heartbeat


def _strict_loads(text: str) -> Any:
    def refuse(constant: str) -> NoReturn:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@_fast
@given(events)
def test_every_event_round_trips(event: Event) -> None:
    text = encode_event(event)
    assert same_value(decode_event(text), event)
    assert same_value(decode_event(_strict_loads(text)), event)  # a parsed dict works too
    assert encode_event(decode_event(text)) == text


@_fast
@given(events)
def test_encoding_is_strict_compact_json(event: Event) -> None:
    text = encode_event(event)
    data = _strict_loads(text)
    assert isinstance(data, dict)
    assert isinstance(data["e"], str)
    assert text == json.dumps(data, separators=(",", ":"), allow_nan=False)


@pytest.mark.parametrize(
    "event",
    [
        Reported(0, 1, math.nan),
        Reported(0, 1, math.inf),
        StateChanged(0, TrialState.COMPLETE, 1.0, values=(math.nan, -math.inf, 0.5)),
    ],
)
def test_non_finite_values_are_kept_without_bare_nan(event: Event) -> None:
    text = encode_event(event)
    for bare in ("NaN", "Infinity"):
        assert bare not in text
    assert same_value(decode_event(text), event)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [({1, 2}, "set"), (object(), "object"), ({"ok": [1, b"bytes"]}, "bytes")],
)
def test_non_json_value_is_a_clear_type_error(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        encode_event(AttrSet(3, "weights", value))
    message = str(info.value)
    assert "weights" in message
    assert type_name in message
    assert "JSON" in message
    assert "store plain numbers, strings, lists and dicts" in message


def test_nan_in_an_attribute_is_refused() -> None:
    with pytest.raises(TypeError, match="JSON"):
        encode_event(AttrSet(None, "score", [1.0, math.nan]))


def test_unknown_event_type_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown event type 'teleport'.*newer rheostat"):
        decode_event('{"e":"teleport","n":0}')
    with pytest.raises(ValueError, match="unknown event type"):
        decode_event({"e": "nope"})


def test_not_an_event_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not an event"):
        encode_event("created")  # type: ignore[arg-type]
