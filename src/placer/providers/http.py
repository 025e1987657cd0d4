"""A small retrying GET-JSON helper over an injected ``httpx.Client``, shared by the HTTP price feeds.

Only the refresh functions import this module (httpx costs ~0.3 s to import): never placer's start-up path.

Policy: each attempt has ``ctx.timeout_s``; 5xx, 429, connection errors, timeouts and unparseable bodies are
retried up to ``ctx.max_retries`` times, waiting ``ctx.backoff_s`` doubling up to ``ctx.max_backoff_s`` (through
``ctx.sleep``), or exactly the ``Retry-After`` seconds a 429/503 asks for. Other 4xx fail at once. Every final
failure is a :class:`RefreshFailed` naming the provider, the URL without its query, and what happened; it never
carries a credential, a request header or a response body.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from placer.providers.refresh import RefreshContext, RefreshFailed, redact, safe_url

USER_AGENT = "placer (price refresh)"
_RETRY_AFTER_STATUSES = (429, 503)


@contextmanager
def http_client(ctx: RefreshContext) -> Iterator[httpx.Client]:
    """The injected client (left open), or a new one closed afterwards."""
    if ctx.http_client is not None:
        yield ctx.http_client
        return
    with httpx.Client(timeout=ctx.timeout_s, headers={"User-Agent": USER_AGENT}) as client:
        yield client


def _retry_after(response: httpx.Response) -> float | None:
    if response.status_code not in _RETRY_AFTER_STATUSES:
        return None
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _status_text(response: httpx.Response) -> str:
    phrase = response.reason_phrase
    return f"HTTP {response.status_code}" + (f" {phrase}" if phrase else "")


def get_json(
    client: httpx.Client,
    url: str,
    ctx: RefreshContext,
    *,
    provider: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    what: str | None = None,
    auth_hint: str | None = None,
) -> Any:
    """GET ``url`` and return its parsed JSON body, retrying per the module policy."""
    secrets = [v for v in (headers or {}).values() if v]
    where = f"GET {safe_url(url)}" + (f" ({what})" if what else "")
    attempts = max(1, ctx.max_retries + 1)
    problem = "no attempt made"
    for attempt in range(1, attempts + 1):
        delay: float | None = None
        try:
            response = client.get(url, params=params, headers=headers, timeout=ctx.timeout_s)
        except httpx.TimeoutException:
            problem = f"timed out after {ctx.timeout_s:g} s"
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__}: {redact(str(exc), secrets) or 'no detail'})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                try:
                    return json.loads(response.content)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    problem = f"the response is not valid JSON ({type(exc).__name__} at byte {_position(exc)})"
            elif status == 429 or status >= 500:
                problem = _status_text(response)
                delay = _retry_after(response)
                if delay is not None and delay > ctx.max_backoff_s:
                    raise RefreshFailed(
                        f"{provider}: {where} failed: {problem}, and the server asks to retry after {delay:g} s "
                        f"(more than the {ctx.max_backoff_s:g} s limit)"
                    )
            else:
                message = f"{provider}: {where} failed: {_status_text(response)}"
                if status in (401, 403) and auth_hint:
                    message += f" ({auth_hint})"
                raise RefreshFailed(message)
        if attempt == attempts:
            break
        ctx.sleep(delay if delay is not None else ctx.backoff(attempt))
    raise RefreshFailed(f"{provider}: {where} failed after {attempts} attempts: {problem}")


def _position(exc: ValueError) -> int:
    if isinstance(exc, json.JSONDecodeError):
        return exc.pos
    if isinstance(exc, UnicodeDecodeError):
        return exc.start
    return 0
