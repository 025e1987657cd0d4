"""The values a user catalog holds, checked and normalised: prices, discounts, dates, counts, region names.

Shared by the YAML reader (placer.catalog.user), the CSV reader and the layering.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from placer.catalog.models import MAX_COUNT
from placer.field_errors import describe
from placer.yamldoc import clip

_AS_OF = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|unknown)$")


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {describe(value)}")
    try:
        return float(value.strip().replace("_", "")) if isinstance(value, str) else float(value)
    except OverflowError:  # an integer beyond float range
        raise ValueError("number too large") from None
    except ValueError:
        raise ValueError(f"expected a number, got {clip(repr(value))}") from None


def _usd(value: object) -> float:
    if value is None or value == "":
        raise ValueError("missing price: must be a number greater than zero")
    number = _number(value)
    if not math.isfinite(number):
        raise ValueError(f"price must be a finite number greater than zero, got {clip(str(value))}")
    if number <= 0:
        raise ValueError(f"price must be greater than zero, got {clip(str(value))}")
    return number


def _pool_usd(value: object) -> float:
    try:
        return _usd(value)
    except ValueError as exc:
        raise ValueError(f"{exc} (a pool with no marginal cost says `marginal_cost: zero`)") from None


def _marginal_cost(value: object) -> object:
    if value == 0 and not isinstance(value, bool):
        return "zero"
    if value != "zero":
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise ValueError(f"marginal_cost must be 'zero' (a priced pool gives usd_per_accelerator_hour), got {shown}")
    return value


def _discount(value: object) -> float:
    text = value.strip() if isinstance(value, str) else None
    percent = text is not None and text.endswith("%")
    try:
        number = _number(text[:-1] if percent and text else value)
    except ValueError:
        raise ValueError(
            f"a discount is a percentage such as '28%' or a fraction such as 0.28, got {clip(repr(value))}"
        ) from None
    fraction = number / 100 if percent else number
    if not percent and 1 < number < 100:
        raise ValueError(f"a discount written as a number is a fraction below 1; for a percentage write '{number:g}%'")
    if not (math.isfinite(fraction) and 0 <= fraction < 1):
        raise ValueError(f"discount must be at least 0 % and below 100 %, got {clip(str(value))}")
    return fraction


def _as_of(value: object) -> object:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):  # YAML reads 2026-11-01 as a date
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not _AS_OF.match(value):
        raise ValueError(f"as_of must be YYYY, YYYY-MM, YYYY-MM-DD or 'unknown', got {clip(repr(value))}")
    return value


def _bare_region(value: object) -> object:
    if isinstance(value, str) and "/" in value:
        raise ValueError(
            "a pool's region is the bare name, without its provider (the provider comes from `provider:`), "
            f"got {value!r}"
        )
    return value


def _plain(value: Any) -> Any:
    """YAML dates as the text they were written as, everywhere inside an offer object."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):  # as_of: 2026 is a number to YAML
        return {k: str(v) if k == "as_of" and isinstance(v, int) else _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _tidy(usd: float) -> float:
    """Drop float noise (55.04 × 0.72 = 39.628800000000005) without ever rounding a price to zero."""
    return float(f"{usd:.12g}")


Usd = Annotated[float, BeforeValidator(_usd)]
PoolUsd = Annotated[float, BeforeValidator(_pool_usd)]
Discount = Annotated[float, BeforeValidator(_discount)]
AsOf = Annotated[str, BeforeValidator(_as_of)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
Text = Annotated[str, Field(min_length=1)]
