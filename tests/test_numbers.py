"""Human number forms accepted in profiles: 70B, 2T, 1.5e21, 1_000, 1,000 (placer.numbers)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from placer.numbers import parse_human_number


def exactly(message: str) -> str:
    """A pytest.raises pattern that matches ``message`` and nothing else."""
    return f"^{re.escape(message)}$"


SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70B", 7e10),
        ("2T", 2e12),
        ("1.5e21", 1.5e21),
        ("70e9", 7e10),  # PyYAML (YAML 1.1) reads this as a string, not a float
        ("2.0e12", 2e12),
        ("1_000", 1000.0),
        ("1,000", 1000.0),
        ("500M", 5e8),
        ("8k", 8000.0),
        ("8K", 8000.0),
        ("1.5B", 1.5e9),
        ("0.5", 0.5),
        (".5", 0.5),
        ("  70B  ", 7e10),
        ("70 B", 7e10),
        ("1E3", 1000.0),
        ("3P", 3e15),
        ("70G", 7e10),
        ("0", 0.0),
    ],
)
def test_parses_human_forms(text: str, expected: float) -> None:
    result = parse_human_number(text)
    assert isinstance(result, float)
    assert result == expected


def test_sign_is_kept_for_pydantic_to_judge() -> None:
    # range checks (gt=0 and friends) belong to the model, so the parser keeps the sign
    assert parse_human_number("-70e9") == -7e10
    assert parse_human_number("+2T") == 2e12


@pytest.mark.parametrize(("value", "expected"), [(3, 3.0), (0, 0.0), (70_000_000_000, 7e10), (2.5, 2.5), (1e21, 1e21)])
def test_ints_and_floats_pass_through_as_float(value: float, expected: float) -> None:
    result = parse_human_number(value)
    assert type(result) is float
    assert result == expected


@pytest.mark.parametrize("value", [True, False])
def test_rejects_booleans(value: bool) -> None:
    # YAML `yes`/`true` must not silently become 1.0
    with pytest.raises(ValueError, match=exactly(f"expected a number, got {str(value).lower()}")):
        parse_human_number(value)


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
def test_rejects_non_finite_floats(value: float, shown: str) -> None:
    with pytest.raises(ValueError, match=exactly(f"expected a finite number, got {shown}")):
        parse_human_number(value)


def test_rejects_overflow_to_infinity() -> None:
    with pytest.raises(ValueError, match=exactly("expected a finite number, got '1e400'")):
        parse_human_number("1e400")


@pytest.mark.parametrize(
    "text", ["nan", "inf", ".inf", "-inf", "", "   ", "fast", "70X", "B", "1.2.3", "0x10", "e9", "_1"]
)
def test_rejects_non_numbers(text: str) -> None:
    with pytest.raises(ValueError, match=exactly(f"expected a number such as 70e9, 70B or 2T, got {text!r}")):
        parse_human_number(text)


@pytest.mark.parametrize("value", [None, [1, 2], {"a": 1}])
def test_other_types_are_left_for_pydantic(value: object) -> None:
    assert parse_human_number(value) is value


@pytest.mark.parametrize("text", ["1,5T", "1,,0", "10,00"])
def test_misplaced_grouping_commas_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="expected a number"):
        parse_human_number(text)


@given(st.floats(min_value=0.0, allow_nan=False, allow_infinity=False))
def test_repr_of_any_finite_float_round_trips(x: float) -> None:
    assert parse_human_number(repr(x)) == x


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(SUFFIXES)), st.booleans())
def test_integer_with_suffix_scales(n: int, suffix: str, upper: bool) -> None:
    text = f"{n}{suffix.upper() if upper else suffix}"
    result = parse_human_number(text)
    assert result == n * SUFFIXES[suffix]
    assert isinstance(result, float)
    assert math.isfinite(result)


@given(st.integers(min_value=0, max_value=10**6))
def test_integer_billions(n: int) -> None:
    assert parse_human_number(f"{n}B") == n * 1e9
