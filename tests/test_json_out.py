"""JSON output is pydantic-core's: the bytes must be those json.dumps(indent=2) would write for tidied values."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from placer.render.json_out import _tidy, _tidy_other, to_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)


class Holder(BaseModel):
    value: object


@settings(max_examples=400)
@given(documents)
def test_same_bytes_as_json_dumps(value: object) -> None:
    expected = json.dumps(_tidy({"value": value}), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert to_json(Holder(value=value)) == expected


def test_tidy_rounds_away_what_the_encoders_write_differently() -> None:
    # json.dumps writes 5e-05, pydantic-core 0.00005: rounding to 4 decimals leaves neither
    assert _tidy([5e-05, 4e-05, -0.0, math.inf, math.nan, 1.23456789]) == [0.0001, 0.0, 0.0, None, None, 1.2346]
    out = to_json(Holder(value=[5e-05, 4e-05, 2.4e20]))
    assert out == '{\n  "value": [\n    0.0001,\n    0.0,\n    2.4e+20\n  ]\n}\n'


def _tidy_plainly(value: object) -> object:
    """_tidy as one recursive function, without its fast paths: the reference its shortcuts must agree with."""
    if isinstance(value, dict):
        return {_tidy_other(k) if isinstance(k, str) else k: _tidy_plainly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy_plainly(v) for v in value]
    return _tidy_other(value)


class Text(str):
    pass


texts = st.text(max_size=6) | st.sampled_from(["é", "\udcff", "a\udc80b"]) | st.builds(Text, st.text(max_size=4))
mixed = st.recursive(
    scalars | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts | st.integers(0, 3), inner, max_size=4),
)


@settings(max_examples=600)
@given(mixed)
def test_the_fast_paths_tidy_as_the_plain_recursion_does(value: object) -> None:
    """Leaves inside a dict are tidied in its loop, exact types first: the same values, of the same types."""
    fast, plain = _tidy(value), _tidy_plainly(value)
    assert repr(fast) == repr(plain)
    assert json.dumps(fast, ensure_ascii=False, sort_keys=False) == json.dumps(plain, ensure_ascii=False)
