"""When a price request is retried and how long placer waits first, shared by the HTTP feeds, the AWS Price List
API and S3 snapshots, so every source honours ``Retry-After`` and gives up the same way.

A server may ask for a wait with ``Retry-After`` as delta-seconds or as an HTTP-date (RFC 9110 section 10.2.3).
Placer waits exactly that long when it is at most ``ctx.max_backoff_s``; a longer wait is not sat through: the
request fails at once, saying what the server asked for.
"""

from __future__ import annotations

import math
import re
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
    """The problems of one request's failed attempts, for its failure message.

    The first attempt's problem, then each change of problem from one attempt to the next, with the attempt's
    number: a body cut short and then a reset connection are two facts, and the last alone would hide the first.
    Attempts failing the same way (a body cut short at another byte, say) are one fact, said once; so the message
    ends with the kind of problem the last attempt met.
    """

    def __init__(self) -> None:
        self._changes: list[tuple[int, str]] = []  # (attempt, problem) where the kind of problem changed

    def failed(self, attempt: int, problem: str) -> None:
        if not self._changes or _kind(self._changes[-1][1]) != _kind(problem):
            self._changes.append((attempt, problem))

    def summary(self) -> str:
        if not self._changes:
            return "no attempt made"
        (_, first), *later = self._changes
        return first + "".join(f"; attempt {n}: {problem}" for n, problem in later)


def _kind(problem: str) -> str:
    """A problem without its particulars (byte counts, offsets, seconds, object addresses), keeping HTTP statuses:
    "the response was cut short (received 20 of 3,483 bytes)" and "(received 64 of 3,483 bytes)" are one kind,
    "SlowDown (HTTP 503)" and "SlowDown (HTTP 429)" two."""
    return _PARTICULARS.sub("#", problem)


_PARTICULARS = re.compile(r"0x[0-9a-fA-F]+|(?<!HTTP )(?<![\d,.])\d[\d,.]*")  # addresses, then numbers
