"""A small retrying GET-JSON helper over an injected ``httpx.Client``, shared by the HTTP price feeds.

Only the refresh functions import this module (httpx costs ~0.3 s to import): never placer's start-up path.

Policy: each attempt, body included, has ``ctx.timeout_s`` (a server trickling a page byte by byte cannot hold a
refresh forever); 5xx, 429, connection errors, timeouts, cut-short and unparseable bodies are retried up to
``ctx.max_retries`` times, waiting ``ctx.backoff_s`` doubling up to ``ctx.max_backoff_s`` (through ``ctx.sleep``),
or exactly the ``Retry-After`` a 429/503 asks for (seconds or an HTTP-date; longer than ``ctx.max_backoff_s``
fails at once). Other 4xx fail at once. Every final failure is a :class:`RefreshFailed` naming the provider, the
URL without its query or user info, and what happened; it never carries a credential, a request header or a
response body.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from placer.log_guard import guard_logs
from placer.providers.refresh import RefreshContext, RefreshFailed, safe_url
from placer.providers.retry import Attempts, header_retry_after, too_long
from placer.redact import one_line, redact

# h11's words for a body shorter than its Content-Length, as httpx passes them on.
_SHORT_BODY = re.compile(r"received (?P<received>\d+) bytes, expected (?P<expected>\d+)")

USER_AGENT = "placer (price refresh)"
MAX_BODY_BYTES = 64 * 1024 * 1024  # a price page is well under 1 MB; this only stops an endless body


@contextmanager
def http_client(ctx: RefreshContext) -> Iterator[httpx.Client]:
    """The injected client (left open), or a new one closed afterwards."""
    if ctx.http_client is not None:
        yield ctx.http_client
        return
    with httpx.Client(timeout=ctx.timeout_s, headers={"User-Agent": USER_AGENT}) as client:
        guard_logs()
        yield client


def _status_text(response: httpx.Response) -> str:
    phrase = one_line(response.reason_phrase, 60)
    return f"HTTP {response.status_code}" + (f" {phrase}" if phrase else "")


class _SlowBody(Exception):
    pass


class _TooLarge(Exception):
    pass


def _fetch(
    client: httpx.Client, url: str, ctx: RefreshContext, params: Mapping[str, str] | None, headers: Any
) -> tuple[httpx.Response, bytes]:
    """One attempt: the response and, for a 2xx, its whole body, read within ``ctx.timeout_s``."""
    deadline = time.monotonic() + ctx.timeout_s
    with client.stream("GET", url, params=params, headers=headers, timeout=ctx.timeout_s) as response:
        if not 200 <= response.status_code < 300:
            return response, b""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _TooLarge
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise _SlowBody
        return response, b"".join(chunks)


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
    tried = Attempts()
    problem = "no attempt made"
    for attempt in range(1, attempts + 1):
        delay: float | None = None
        try:
            response, content = _fetch(client, url, ctx, params, headers)
        except httpx.TimeoutException:
            problem = f"timed out after {ctx.timeout_s:g} s"
        except _SlowBody:
            problem = f"timed out after {ctx.timeout_s:g} s (the body was still arriving)"
        except _TooLarge:
            too_big = f"the response is larger than {MAX_BODY_BYTES:,} bytes"
            raise _gave_up(provider, where, tried, attempt, too_big) from None
        except httpx.TransportError as exc:
            short = _SHORT_BODY.search(str(exc)) if isinstance(exc, httpx.RemoteProtocolError) else None
            if short is not None:  # worded as the AWS sources word it: one fact, one wording
                received, expected = int(short["received"]), int(short["expected"])
                problem = f"the response was cut short (received {received:,} of {expected:,} bytes)"
            else:
                detail = one_line(redact(str(exc), secrets), 160) or "no detail"
                problem = f"connection failed ({type(exc).__name__}: {detail})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                try:
                    return json.loads(content)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    problem = f"the response is not valid JSON ({type(exc).__name__} at byte {_position(exc)})"
            elif status == 429 or status >= 500:
                problem = _status_text(response)
                delay = header_retry_after(response.headers, status, ctx.now())
                refusal = too_long(delay, ctx.max_backoff_s) if delay is not None else None
                if refusal is not None:
                    raise _gave_up(provider, where, tried, attempt, f"{problem}, and {refusal}")
            else:
                refused = _status_text(response)
                if status in (401, 403) and auth_hint:
                    refused += f" ({auth_hint})"
                raise _gave_up(provider, where, tried, attempt, refused)
        tried.failed(attempt, problem)
        if attempt == attempts:
            break
        ctx.sleep(delay if delay is not None else ctx.backoff(attempt))
    raise RefreshFailed(f"{provider}: {where} failed after {attempts} attempts: {tried.summary()}")


def _gave_up(provider: str, where: str, tried: Attempts, attempt: int, problem: str) -> RefreshFailed:
    """A failure not worth retrying; after earlier attempts, the message says what those met too."""
    if attempt == 1:
        return RefreshFailed(f"{provider}: {where} failed: {problem}")
    tried.failed(attempt, problem)
    return RefreshFailed(f"{provider}: {where} failed after {attempt} attempts: {tried.summary()}")


def _position(exc: ValueError) -> int:
    if isinstance(exc, json.JSONDecodeError):
        return exc.pos
    if isinstance(exc, UnicodeDecodeError):
        return exc.start
    return 0
