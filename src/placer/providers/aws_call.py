"""One AWS API call through boto3 under placer's retry policy, shared by the Price List refresh and S3 snapshots.

Boto3's own retries are turned off where the client is built (:func:`client_config`): throttling, 5xx,
timeouts, dropped connections and cut-short or unreadable bodies are retried here, with the backoff and the
``Retry-After`` handling of the HTTP feeds (see ``placer.providers.retry``); any other service error (access
denied, no such key...) fails at once. A failure is a :class:`CallFailed` with one plain line saying what
happened, never a credential, a request header or a response body beyond the service's short error message.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from placer.providers.retry import Attempts, header_retry_after, too_long
from placer.redact import one_line, redact

if TYPE_CHECKING:
    from botocore.config import Config

    from placer.providers.refresh import RefreshContext

T = TypeVar("T")

RETRY_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "InternalErrorException",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)


NO_CREDENTIALS = "no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"


class CallFailed(Exception):
    """Why a call failed, and after how many attempts (1 when the error is not worth retrying)."""

    def __init__(self, problem: str, attempts: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.attempts = attempts

    def describe(self, where: str) -> str:
        if self.attempts > 1:
            return f"{where} failed after {self.attempts} attempts: {self.problem}"
        return f"{where} failed: {self.problem}"


class NotRetried(Exception):
    """An answer the caller will not use and another attempt would not change (a snapshot over the size limit)."""


class BadBody(Exception):
    """A 2xx answer whose body cannot be read as the API's format: retried, like a transport fault."""


class CutShort(Exception):
    """A body shorter than its Content-Length (the connection closed early): retried."""


class WrongShape(Exception):
    """A 2xx answer that parses but is not shaped like the API's answer: fails at once (a retry gets the same)."""


def client_config(ctx: RefreshContext) -> Config:
    """Boto3 client settings: the context's timeouts, one attempt per call (retries are ours)."""
    from botocore.config import Config  # noqa: PLC0415  (botocore: lazily)

    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=ctx.timeout_s,
        read_timeout=ctx.timeout_s,
        user_agent_extra="placer",
    )


def frozen_secrets(session: Any) -> list[str]:
    """The session's credential values, to mask wherever a message might echo them."""
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    return [s for s in (frozen.access_key, frozen.secret_key, frozen.token) if s] if frozen else []


def call(ctx: RefreshContext, fn: Callable[[], T], secrets: list[str]) -> T:
    """``fn()`` (one boto3 call, reading its body), retried per the module policy; CallFailed when it cannot."""
    from botocore.exceptions import (  # noqa: PLC0415  (botocore: lazily)
        BotoCoreError,
        ChecksumError,
        ClientError,
        ConnectionError,
        ConnectTimeoutError,
        HTTPClientError,
        IncompleteReadError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    attempts = max(1, ctx.max_retries + 1)
    tried = Attempts()
    problem = "no attempt made"
    for attempt in range(1, attempts + 1):
        delay: float | None = None
        try:
            return fn()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            meta = exc.response.get("ResponseMetadata", {})
            code = one_line(str(error.get("Code") or ""), 60)
            status = int(meta.get("HTTPStatusCode") or 0)
            problem = _problem(code, status)
            if not (status >= 500 or status == 429 or code in RETRY_CODES):
                detail = one_line(redact(str(error.get("Message") or ""), secrets), 200)
                raise _gave_up(tried, attempt, problem + (f": {detail}" if detail else "")) from None
            delay = header_retry_after(meta.get("HTTPHeaders") or {}, status, ctx.now())
            refusal = too_long(delay, ctx.max_backoff_s) if delay is not None else None
            if refusal is not None:
                raise _gave_up(tried, attempt, f"{problem}, and {refusal}") from None
        except (ReadTimeoutError, ConnectTimeoutError):
            problem = f"timed out after {ctx.timeout_s:g} s"
        except (HTTPClientError, ConnectionError, IncompleteReadError, ChecksumError) as exc:
            short = short_read(exc)
            if short is not None:
                problem = f"the response was cut short ({short})"
            else:
                detail = one_line(redact(_innermost(exc), secrets), 160)
                problem = f"connection failed ({type(exc).__name__}" + (f": {detail})" if detail else ")")
        except BadBody as exc:
            problem = f"the response is not valid JSON ({exc})"
        except CutShort as exc:
            problem = f"the response was cut short ({exc})"
        except NotRetried as exc:
            raise _gave_up(tried, attempt, str(exc)) from None
        except WrongShape as exc:
            raise _gave_up(tried, attempt, f"the response is not the API's shape ({exc})") from None
        except NoCredentialsError:
            raise _gave_up(tried, attempt, NO_CREDENTIALS) from None
        except BotoCoreError as exc:
            detail = one_line(redact(str(exc), secrets), 200)
            raise _gave_up(tried, attempt, f"{type(exc).__name__}: {detail}") from None
        tried.failed(attempt, problem)
        if attempt == attempts:
            break
        ctx.sleep(delay if delay is not None else ctx.backoff(attempt))
    raise CallFailed(tried.summary(), attempts)


def _gave_up(tried: Attempts, attempt: int, problem: str) -> CallFailed:
    """A failure not worth retrying; after earlier attempts, the message says what those met too."""
    if attempt == 1:
        return CallFailed(problem, 1)
    tried.failed(attempt, problem)
    return CallFailed(tried.summary(), attempt)


def _problem(code: str, status: int) -> str:
    """``SlowDown (HTTP 503)``; a bare ``HTTP 502 Bad Gateway`` when the body named no error code (a proxy)."""
    if code and code != str(status):
        return f"{code} (HTTP {status})" if status else code
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}" if status else "an unnamed error"


def short_read(exc: BaseException) -> str | None:
    """``received 20 of 3,483 bytes`` when ``exc`` comes of a body shorter than its Content-Length, else None.

    botocore before 1.44 lets urllib3 enforce the length and reports a short body as a closed connection
    (ConnectionClosedError around an IncompleteRead); 1.44 and later hand the short body over, which
    ``_check_body`` measures. Either way the user is told the same fact."""
    from http.client import IncompleteRead  # noqa: PLC0415  (only a failed call asks)

    from botocore.exceptions import IncompleteReadError  # noqa: PLC0415

    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, IncompleteReadError):  # botocore's own count of a streamed body (S3)
            got, announced = current.kwargs.get("actual_bytes"), current.kwargs.get("expected_bytes")
            if isinstance(got, int) and isinstance(announced, int):
                return f"received {got:,} of {announced:,} bytes"
        if isinstance(current, IncompleteRead):
            partial = current.partial
            received = partial if isinstance(partial, int) else len(partial)
            if current.expected is None:
                return f"received {received:,} bytes, fewer than announced"
            return f"received {received:,} of {received + current.expected:,} bytes"
        kwargs = getattr(current, "kwargs", None)
        inner = kwargs.get("error") if isinstance(kwargs, dict) else None
        nested = [inner, current.__cause__, current.__context__, *current.args]
        todo.extend(e for e in nested if isinstance(e, BaseException))
    return None


def _innermost(exc: Exception) -> str:
    """A streaming error's root cause (``[Errno 104] Connection reset by peer``), else the error's own text."""
    kwargs = getattr(exc, "kwargs", None)
    inner: BaseException | None = kwargs.get("error") if isinstance(kwargs, dict) and "reading" in str(exc) else None
    if inner is None:
        return str(exc)
    while (deeper := next((a for a in inner.args if isinstance(a, BaseException)), None)) is not None:
        inner = deeper
    return str(inner)
