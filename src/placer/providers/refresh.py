"""Live price refresh: the context a provider's refresh gets, its errors, and the orchestration that keeps
the last good cache when a refresh fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from placer.errors import PriceSourceUnavailable

Progress = Callable[[str, int, int | None], None]  # (provider, pages or items done, total if known)


class RefreshFailed(PriceSourceUnavailable):
    """One provider's refresh failed (timeout, 5xx, 429 after retries, malformed page): exit 6 if no cache."""


@dataclass
class RefreshContext:
    """Everything a refresh may touch, injected so tests can point it at loopback servers.

    ``endpoint_url`` overrides the provider's public endpoint; ``http_client`` (an httpx.Client) and
    ``boto3_session`` are created lazily by the provider when not given; ``sleep`` is time.sleep except in tests.
    """

    endpoint_url: str | None = None
    timeout_s: float = 20.0
    max_retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    progress: Progress | None = None
    http_client: Any = None
    boto3_session: Any = None
    sleep: Callable[[float], None] = time.sleep
    regions: list[str] = field(default_factory=list)  # limit to these provider regions (empty = provider default)
