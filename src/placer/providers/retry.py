"""When a price request is retried and how long placer waits first, shared by the HTTP feeds, the AWS Price List
API and S3 snapshots, so every source honours ``Retry-After`` and gives up the same way.

A server may ask for a wait with ``Retry-After`` as delta-seconds or as an HTTP-date (RFC 9110 section 10.2.3).
Placer waits exactly that long when it is at most ``ctx.max_backoff_s``; a longer wait is not sat through: the
request fails at once, saying what the server asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRY_AFTER_STATUSES = (429, 503)


def retry_after_s(raw: str | None, now: datetime) -> float | None:
    """The wait a ``Retry-After`` value asks for, in seconds from ``now`` (a date already past is 0); None when
    absent or unreadable, and then placer's own backoff applies."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is always GMT
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def header_retry_after(headers: Mapping[str, str], status: int, now: datetime) -> float | None:
    """``Retry-After`` of a 429 or 503 answer (header names in any case); None for other statuses."""
    if status not in RETRY_AFTER_STATUSES:
        return None
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    return retry_after_s(raw, now)


def too_long(asked: float, limit: float) -> str | None:
    """Why placer will not wait ``asked`` seconds (None if it will), for the failure message."""
    if asked <= limit:
        return None
    return f"the server asks to retry after {asked:g} s (more than the {limit:g} s limit)"


class Attempts:
    """What went wrong on each failed attempt of one request, each problem said once, in the order first seen.

    The message names the first attempt's problem, then any different one a later attempt met: a body cut short
    and then a refused connection are two facts, and the last alone would hide the first.
    """

    def __init__(self) -> None:
        self._first_seen: dict[str, int] = {}

    def failed(self, attempt: int, problem: str) -> None:
        self._first_seen.setdefault(problem, attempt)

    def summary(self) -> str:
        seen = list(self._first_seen.items())
        if not seen:
            return "no attempt made"
        (first, _), *later = seen
        return first + "".join(f"; attempt {n}: {problem}" for problem, n in later)
