"""Human number forms in profiles: ``70B``, ``2T``, ``1.5e21``, ``1_000``.

YAML 1.1 (PyYAML) reads ``70e9`` and ``2.0e12`` as *strings*, so every numeric profile field goes
through :func:`parse_human_number` rather than trusting the YAML scalar type.
"""

from __future__ import annotations

import math
import re

MAX_COUNT = 10**9  # accelerators, layers, tokens per request: more is a typo, and would overflow the arithmetic
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
# digits with optional "_" separators, or thousands grouped by commas ("1,000", never "1,5")
_NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)?(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([kKmMbBgGtTpP]?)$")


def parse_plain_number(value: object) -> object:
    """A number in a unit (minutes, GB, req/s): scientific notation yes, size suffixes no ("18m" is no minutes)."""
    number = parse_human_number(value)  # garbage fails here, with the general message
    if isinstance(value, str) and value.strip()[-1:].lower() in _SUFFIX:
        raise ValueError(f"expected a plain number here, without a size suffix such as k, M or B; got {shown(value)}")
    return number


def parse_count(value: object) -> object:
    """A whole quantity (accelerators, tokens per request): a plain number, at most ``MAX_COUNT``."""
    number = parse_plain_number(value)
    if isinstance(number, float) and number > MAX_COUNT:
        raise ValueError(f"must be at most {MAX_COUNT:,}, got {shown(value)}")
    return number


def shown(value: object) -> str:
    """A value as the user wrote it, cut short: echoing a 10,000-character string helps nobody."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"a {int(value.bit_length() * 0.30103) + 1:,}-digit number"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else f"{text[:40]}…"


def parse_human_number(value: object) -> object:
    """Turn a human number into a float; leave other values for pydantic to reject with its message."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"number too large, got {shown(value)}") from None
    elif isinstance(value, str):
        text = value.strip()
        match = _NUMBER.match(text)
        if not text or not match or not any(ch.isdigit() for ch in match.group(1)):
            raise ValueError(f"expected a number such as 70e9, 70B or 2T, got {shown(value)}")
        mantissa, suffix = match.groups()
        try:
            number = float(mantissa.replace("_", "").replace(",", ""))
        except (ValueError, OverflowError):
            raise ValueError(f"expected a number such as 70e9, 70B or 2T, got {shown(value)}") from None
        number *= _SUFFIX.get(suffix.lower(), 1.0) if suffix else 1.0
    else:
        return value
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {shown(value)}")
    return number
