"""JSON output is pydantic-core's: the bytes must be those json.dumps(indent=2) would write for tidied values."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from placer.render.json_out import _tidy, to_json

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
