"""The fault matrix: every price source (AWS Price List, Azure Retail Prices, Lambda, an S3 snapshot pull) × every
fault a network can throw (timeouts and stalled bodies, connection resets, 5xx, 429 with Retry-After in seconds
and as an HTTP-date, honoured up to the cap, cut-short, invalid and wrongly shaped bodies, failing and looping
pages), run through the real CLI against loopback fakes.

Each run asserts: the older cache is byte-identical afterwards; the exit code is the documented one (refresh: 0
with a warning when an older usable cache is kept, 6 when none is; pull: 6 when S3 fails, 3 when the object is
not a valid catalog, whatever the local file: a pinned snapshot is not a cache); stderr is one line naming the
source and the fault; no traceback; no sentinel credential anywhere.

Inventory before this file: azure/aws/lambda had retries of timeouts, resets, 5xx, truncated and invalid bodies
at the library level, Retry-After in seconds, the cap for azure, a mid-pagination failure; the runner kept the
cache on a 503 on page 3 (azure); the CLI was covered for one 503. Missing, and added here: the CLI for every
source and fault, S3 faults on the wire, Retry-After as an HTTP-date (which was ignored), the cap for AWS and S3,
stalled and trickling bodies, resets mid-body, wrongly shaped bodies (AWS crashed on them), paging loops.
Lambda's instance-types API has no pages, and an S3 pull is one object: the page faults apply to AWS and Azure.
Trickling bodies apply to the httpx feeds (azure, lambda) only: boto3 bounds each read, not the whole body.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from moto.server import ThreadedMotoServer
from tests.conftest import MINI_CATALOG

from placer.catalog import s3 as s3_module
from placer.catalog.cache import read_cache
from placer.providers import http as http_module
from placer.providers.retry import Attempts
from servers.base import FakeServer, Reply, scripted
from servers.harness import (
    MAX_WAIT_S,
    PATIENT_S,
    TIMEOUT_S,
    AwsSource,
    AzureSource,
    LambdaSource,
    Outcome,
    S3Source,
    Source,
    assert_leaks_nothing,
    credentials_env,
    make_source,
    ok_reply,
    run_cli,
    serving,
)

Fault = Callable[[int, int], Reply | None]
Expect = Callable[[Source, FakeServer], str]

IN_3_S = "Sun, 22 Nov 2026 10:00:03 GMT"  # servers.context.NOW + 3 s
IN_1_H = "Sun, 22 Nov 2026 11:00:00 GMT"


def every(reply: Reply) -> Callable[[Source, FakeServer], Fault]:
    return lambda source, server: lambda key, nth: reply


def each(make: Callable[[Source], Reply]) -> Callable[[Source, FakeServer], Fault]:
    return lambda source, server: lambda key, nth: make(source)


def after_retries(problem: str | Callable[[Source], str]) -> Expect:
    """``{where} failed after 3 attempts: {problem}``."""

    def expect(source: Source, server: FakeServer) -> str:
        text = problem(source) if callable(problem) else problem
        return f"{source.where(server)} failed after 3 attempts: {text}"

    return expect


def at_once(problem: str | Callable[[Source], str]) -> Expect:
    def expect(source: Source, server: FakeServer) -> str:
        text = problem(source) if callable(problem) else problem
        return f"{source.where(server)} failed: {text}"

    return expect


def by_source(**texts: str) -> Callable[[Source], str]:
    return lambda source: texts[source.name]


TIMED_OUT = f"timed out after {TIMEOUT_S:g} s"
RESET_BEFORE_ANSWER = {
    "azure": "connection failed (ReadError: [Errno 104] Connection reset by peer)",
    "lambda": "connection failed (ReadError: [Errno 104] Connection reset by peer)",
    "aws": "connection failed (ConnectionClosedError: Connection was closed before we received a valid response "
    'from endpoint URL: "{url}/".)',
    "s3": "connection failed (ConnectionClosedError: Connection was closed before we received a valid response "
    'from endpoint URL: "{url}/team-catalogs/pinned.json".)',
}


def _reset(source: Source, server: FakeServer) -> str:
    return f"{source.where(server)} failed after 3 attempts: " + RESET_BEFORE_ANSWER[source.name].format(url=server.url)


def _status(code: int, phrase: str, named: dict[str, str]) -> Callable[[Source], str]:
    """The HTTP feeds say ``HTTP 503 Service Unavailable``; AWS and S3 name the error code their body gave."""
    return lambda source: named.get(source.name, f"HTTP {code} {phrase}")


def _cut_short(source: Source, received: int = 20) -> str:
    """Every source says a short body in the same words, whichever library read it."""
    return f"the response was cut short (received {received} of {len(source.sample_body()):,} bytes)"


def _truncated(source: Source, server: FakeServer) -> str:
    return f"{source.where(server)} failed after 3 attempts: {_cut_short(source)}"


def _reset_mid_body(source: Source, server: FakeServer) -> str:
    problems = {
        "azure": "connection failed (ReadError: [Errno 104] Connection reset by peer)",
        "lambda": "connection failed (ReadError: [Errno 104] Connection reset by peer)",
        "aws": "connection failed (ConnectionClosedError: Connection was closed before we received a valid response "
        f'from endpoint URL: "{server.url}/".)',
        "s3": "connection failed (ResponseStreamingError: [Errno 104] Connection reset by peer)",
    }
    return f"{source.where(server)} failed after 3 attempts: {problems[source.name]}"


def _invalid_json(source: Source, server: FakeServer) -> str:
    if isinstance(source, S3Source):  # the loader's own wording follows "not valid JSON: "
        return f"{source.URL}:1:12: not valid JSON: "
    detail = "JSONDecodeError" if isinstance(source, AwsSource) else "JSONDecodeError at byte 11"
    return f"{source.where(server)} failed after 3 attempts: the response is not valid JSON ({detail})"


def _wrong_shape(source: Source, server: FakeServer) -> str:
    if isinstance(source, AzureSource):
        return f"page 1 of {source.endpoint(server)} is malformed: the page is not a JSON object"
    if isinstance(source, LambdaSource):
        return f"{server.url}/api/v1/instance-types answered without a 'data' object of instance types"
    if isinstance(source, AwsSource):
        return f"{source.where(server)} failed: the response is not the API's shape (a JSON list, not an object)"
    return f"{S3Source.URL}: as_of: "  # the first field pydantic finds missing; its wording follows


def _page_two(source: Source, server: FakeServer) -> str:
    if isinstance(source, AzureSource):
        return f"GET {source.endpoint(server)} (page 2) failed after 3 attempts: HTTP 503 Service Unavailable"
    return f"GetProducts {server.url} (p4d.24xlarge, page 2) failed after 3 attempts: ServiceUnavailable (HTTP 503)"


def _loop(source: Source, server: FakeServer) -> str:
    if isinstance(source, AzureSource):
        # Page 2 links to "?$skip=2", which is page 2 again: page 3 is the repeat.
        return f"{source.endpoint(server)}: page 3's NextPageLink repeats an earlier page (a paging loop); stopped"
    return f"GetProducts {server.url} (p4d.24xlarge): page 2 repeats an earlier NextToken (a paging loop); stopped"


@dataclass(frozen=True)
class Case:
    fault: Callable[[Source, FakeServer], Fault]
    expect: Expect
    sleeps: tuple[float, ...] = (0.25, 0.5)  # the backoff: 0.25 s doubling, before retries 1 and 2
    sources: tuple[str, ...] = ("aws", "azure", "lambda", "s3")
    timeout_s: float = PATIENT_S  # the client's timeout: short only where the fault waits the client out


CASES: dict[str, Case] = {
    "timeout": Case(each(lambda s: Reply(status=200, delay_s=1.0)), after_retries(TIMED_OUT), timeout_s=TIMEOUT_S),
    "stalled-body": Case(
        each(lambda s: ok_reply(s, stall_after=20, stall_s=1.0)), after_retries(TIMED_OUT), timeout_s=TIMEOUT_S
    ),
    "trickling-body": Case(  # every 8 bytes arrive well within the timeout; the whole body never does
        each(lambda s: ok_reply(s, trickle_s=0.02)),
        after_retries("timed out after 0.5 s (the body was still arriving)"),
        sources=("azure", "lambda"),
        timeout_s=0.5,
    ),
    "reset": Case(every(Reply(reset=True)), _reset),
    "reset-mid-body": Case(each(lambda s: ok_reply(s, truncate_at=20, reset=True)), _reset_mid_body),
    "http-500": Case(
        each(lambda s: s.error_reply(500)),
        after_retries(
            _status(
                500,
                "Internal Server Error",
                {"aws": "InternalErrorException (HTTP 500)", "s3": "InternalError (HTTP 500)"},
            )
        ),
    ),
    "http-502": Case(each(lambda s: s.error_reply(502)), after_retries("HTTP 502 Bad Gateway")),
    "http-503": Case(
        each(lambda s: s.error_reply(503)),
        after_retries(
            _status(503, "Service Unavailable", {"aws": "ServiceUnavailable (HTTP 503)", "s3": "SlowDown (HTTP 503)"})
        ),
    ),
    "429-retry-after-seconds": Case(
        each(lambda s: s.error_reply(429, {"Retry-After": "2"})),
        after_retries(
            _status(429, "Too Many Requests", {"aws": "ThrottlingException (HTTP 429)", "s3": "SlowDown (HTTP 429)"})
        ),
        sleeps=(2.0, 2.0),
    ),
    "429-retry-after-date": Case(
        each(lambda s: s.error_reply(429, {"Retry-After": IN_3_S})),
        after_retries(
            _status(429, "Too Many Requests", {"aws": "ThrottlingException (HTTP 429)", "s3": "SlowDown (HTTP 429)"})
        ),
        sleeps=(3.0, 3.0),
    ),
    "429-retry-after-seconds-over-cap": Case(
        each(lambda s: s.error_reply(429, {"Retry-After": "3600"})),
        at_once(
            lambda s: (
                _status(
                    429, "Too Many Requests", {"aws": "ThrottlingException (HTTP 429)", "s3": "SlowDown (HTTP 429)"}
                )(s)
                + f", and the server asks to retry after 3600 s (more than the {MAX_WAIT_S:g} s limit)"
            )
        ),
        sleeps=(),
    ),
    "503-retry-after-date-over-cap": Case(
        each(lambda s: s.error_reply(503, {"Retry-After": IN_1_H})),
        at_once(
            lambda s: (
                _status(
                    503, "Service Unavailable", {"aws": "ServiceUnavailable (HTTP 503)", "s3": "SlowDown (HTTP 503)"}
                )(s)
                + f", and the server asks to retry after 3600 s (more than the {MAX_WAIT_S:g} s limit)"
            )
        ),
        sleeps=(),
    ),
    "truncated-body": Case(each(lambda s: ok_reply(s, truncate_at=20)), _truncated),
    "invalid-json": Case(
        each(lambda s: Reply(status=200, body=b'{"Items": [', headers={"Content-Type": "application/x-amz-json-1.1"})),
        _invalid_json,
    ),
    "wrong-shape": Case(each(lambda s: s.wrong_shape()), _wrong_shape, sleeps=()),
    "page-2-of-3-fails": Case(lambda s, server: s.page_two_fails(server), _page_two, sources=("aws", "azure")),
    "next-page-loop": Case(lambda s, server: s.page_loop(server), _loop, sleeps=(), sources=("aws", "azure")),
}
# An S3 object that is not a catalog is invalid input: exit 3 at once, with the file:line:col of the problem.
S3_INVALID = {"invalid-json", "wrong-shape"}

MATRIX = [pytest.param(source, name, id=f"{source}-{name}") for name, case in CASES.items() for source in case.sources]


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    credentials_env(monkeypatch, tmp_path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line(outcome: Outcome, expected: str, source: Source, name: str) -> None:
    """Exactly the expected line; for an S3 object that is no catalog, the loader's wording of the problem sits
    between the start (source, line:col) and the end (what happened to the local file)."""
    if isinstance(source, S3Source) and name in S3_INVALID:
        start, _, end = expected.partition("; ")
        assert len(outcome.lines) == 1, outcome.stderr
        assert outcome.lines[0].startswith(start) and outcome.lines[0].endswith(f"; {end}"), outcome.lines[0]
        return
    if outcome.lines != [expected]:
        assert len(outcome.lines) == 1, outcome.stderr
        assert _without_later_transport_faults(outcome.lines[0], expected) == expected, outcome.lines[0]


def _without_later_transport_faults(line: str, expected: str) -> str:
    """A loopback connection can still fail on its own on a loaded machine (a reset, a close before the status
    line). The message then names that later attempt's connection failure, and the fault under test again on the
    attempt after it: both are dropped here, and the rest must be the expected line, whole."""
    head, _, kept = expected.rpartition("; ")
    problem = head.split(" attempts: ", 1)[-1]
    if not (line.startswith(head) and line.endswith(f"; {kept}")):
        return line
    later = re.split(r"; attempt [2-9]: ", line[len(head) : len(line) - len(kept) - 2])
    if later[0] or not all(s.startswith("connection failed (") or s == problem for s in later[1:]):
        return line
    return expected


_EXPECTED = "placer: warning: aws: refresh failed: GetProducts u failed after 3 attempts: cut short (20); keeping X"
_RESET = "connection failed (ConnectionClosedError: closed)"


@pytest.mark.parametrize(
    ("line", "tolerated"),
    [
        (_EXPECTED, True),
        (_EXPECTED.replace("; keeping", f"; attempt 3: {_RESET}; keeping"), True),  # the CI flake
        (_EXPECTED.replace("; keeping", f"; attempt 2: {_RESET}; attempt 3: cut short (20); keeping"), True),
        (_EXPECTED.replace("; keeping", "; attempt 3: HTTP 503 Service Unavailable; keeping"), False),
        (_EXPECTED.replace("cut short (20)", f"{_RESET}; attempt 2: cut short (20)"), False),  # attempt 1 must hold
        (_EXPECTED.replace("; keeping X", "; kept nothing"), False),
    ],
)
def test_only_later_loopback_connection_failures_are_tolerated(line: str, tolerated: bool) -> None:
    assert (_without_later_transport_faults(line, _EXPECTED) == _EXPECTED) is tolerated


def _expected_exit(source: Source, name: str, cached: bool) -> int:
    if isinstance(source, S3Source):
        return 3 if name in S3_INVALID else 6
    return 0 if cached else 6


def run_case(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source_name: str, name: str, cached: bool, *extra: str
) -> tuple[Source, FakeServer, Outcome, str | None]:
    """One cell of the matrix through the CLI: (source, server, outcome, sha256 of the older cache or None)."""
    source = make_source(source_name, tmp_path)
    before = digest(source.seed()) if cached else None
    case = CASES[name]
    with serving(source, lambda server: case.fault(source, server)) as server:
        outcome = run_cli(monkeypatch, source, server, *extra, timeout_s=case.timeout_s)
    return source, server, outcome, before


@pytest.mark.parametrize(("source_name", "name"), MATRIX)
def test_a_fault_keeps_the_cache_and_says_what_happened(
    source_name: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    source, server, outcome, before = run_case(monkeypatch, tmp_path, source_name, name, cached=True)
    case = CASES[name]

    assert digest(source.cache) == before  # (a) the older cache, byte for byte
    assert outcome.exit_code == _expected_exit(source, name, cached=True), outcome.stderr  # (b)
    assert_one_line(outcome, source.line(server, case.expect(source, server), cached=True), source, name)  # (c)
    assert outcome.exception is None and "Traceback" not in outcome.stderr  # (d)
    assert outcome.stdout == ""
    expected_sleeps = () if source_name == "s3" and name in S3_INVALID else case.sleeps
    assert tuple(outcome.sleeps) == expected_sleeps
    assert [p.name for p in source.cache.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file
    assert_leaks_nothing(outcome, tmp_path, caplog)


# Without an older cache the same faults are exit 6 (an S3 object that is no catalog: 3); one per kind of fault.
WITHOUT_CACHE = [
    pytest.param(source, name, id=f"{source}-{name}")
    for name in ("stalled-body", "reset-mid-body", "http-503", "429-retry-after-seconds-over-cap", "wrong-shape")
    for source in CASES[name].sources
] + [
    pytest.param("azure", "next-page-loop", id="azure-next-page-loop"),
    pytest.param("s3", "invalid-json", id="s3-invalid-json"),
]


@pytest.mark.parametrize(("source_name", "name"), WITHOUT_CACHE)
def test_a_fault_without_a_cache_exits_6_and_writes_nothing(
    source_name: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, server, outcome, _ = run_case(monkeypatch, tmp_path, source_name, name, cached=False)
    assert outcome.exit_code == _expected_exit(source, name, cached=False), outcome.stderr
    assert_one_line(outcome, source.line(server, CASES[name].expect(source, server), cached=False), source, name)
    assert outcome.exception is None and "Traceback" not in outcome.stderr
    written = [p.name for p in tmp_path.rglob("*") if p.name.startswith((source.cache.name, f".{source.cache.name}"))]
    assert written == []


@pytest.mark.parametrize("source_name", ["aws", "azure", "lambda", "s3"])
@pytest.mark.parametrize("retry_after", ["2", IN_3_S])
def test_retry_after_within_the_cap_is_waited_out_then_the_refresh_succeeds(
    source_name: str, retry_after: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_source(source_name, tmp_path)
    before = source.seed().read_bytes()
    throttled = source.error_reply(429, {"Retry-After": retry_after})
    with serving(source, lambda server: scripted(throttled, throttled)) as server:
        outcome = run_cli(monkeypatch, source, server)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.sleeps == [2.0, 2.0] if retry_after == "2" else [3.0, 3.0]
    assert source.cache.read_bytes() != before  # replaced by the fresh answer
    if isinstance(source, S3Source):
        assert source.cache.read_bytes() == S3Source.SNAPSHOT
        assert outcome.lines == [f"pulled 20 offers (as of 2026-11-22) to {source.cache}"]
    else:
        cached = read_cache(source.name, tmp_path / "cache")
        assert cached is not None and cached.fetched_at == "2026-11-22T10:00:00Z"
        assert outcome.lines == [f"{source.name}: {len(cached.offers)} offers cached"]


BUSY = _status(503, "Service Unavailable", {"aws": "ServiceUnavailable (HTTP 503)", "s3": "SlowDown (HTTP 503)"})
THROTTLED = _status(429, "Too Many Requests", {"aws": "ThrottlingException (HTTP 429)", "s3": "SlowDown (HTTP 429)"})


@pytest.mark.parametrize("source_name", ["aws", "azure", "lambda", "s3"])
def test_each_change_of_problem_is_named_with_its_attempt_and_the_last_one_ends_the_message(
    source_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503, a body cut short, 503 again: all three are said, in order, not only the last."""
    source = make_source(source_name, tmp_path)
    source.seed()
    busy = source.error_reply(503)
    with serving(source, lambda server: scripted(busy, ok_reply(source, truncate_at=20), busy)) as server:
        outcome = run_cli(monkeypatch, source, server)
    cut = _cut_short(source)
    status = BUSY(source)
    expected = f"{source.where(server)} failed after 3 attempts: {status}; attempt 2: {cut}; attempt 3: {status}"
    assert outcome.exit_code == _expected_exit(source, "http-503", cached=True), outcome.stderr
    assert outcome.sleeps == [0.25, 0.5]
    assert outcome.lines == [source.line(server, expected, cached=True)]


@pytest.mark.parametrize("source_name", ["aws", "s3"])
@pytest.mark.parametrize("enforced", [True, False], ids=["urllib3-enforces-the-length", "botocore-hands-it-over"])
@pytest.mark.parametrize("cut", [20, 0])
def test_a_body_cut_short_is_named_so_whichever_way_botocore_reads_it(
    source_name: str, enforced: bool, cut: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore before 1.44 lets urllib3 enforce Content-Length, and a short body arrives as a closed connection
    (the CI machine's botocore did); 1.44 hands the short body over. The user reads the same fact either way."""
    import urllib3.connectionpool

    urlopen = urllib3.connectionpool.HTTPConnectionPool.urlopen

    def with_the_length(self: urllib3.connectionpool.HTTPConnectionPool, *args: object, **kw: object) -> object:
        kw["enforce_content_length"] = enforced
        return urlopen(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "urlopen", with_the_length)
    source = make_source(source_name, tmp_path)
    source.seed()
    with serving(source, lambda server: scripted(*[ok_reply(source, truncate_at=cut)] * 3)) as server:
        outcome = run_cli(monkeypatch, source, server)
    expected = f"{source.where(server)} failed after 3 attempts: {_cut_short(source, cut)}"
    assert outcome.lines == [source.line(server, expected, cached=True)]


def test_a_short_read_is_found_wherever_botocore_wrapped_it() -> None:
    from http.client import IncompleteRead

    from botocore.exceptions import ConnectionClosedError, ResponseStreamingError
    from urllib3.exceptions import IncompleteRead as Urllib3IncompleteRead
    from urllib3.exceptions import ProtocolError

    from placer.providers.aws_call import short_read

    urllib3_short = Urllib3IncompleteRead(20, 3_463)
    closed = ConnectionClosedError(error=ProtocolError("Connection broken", urllib3_short), endpoint_url="http://x/")
    assert short_read(closed) == "received 20 of 3,483 bytes"
    streaming = ResponseStreamingError(error=ProtocolError("Connection broken", IncompleteRead(b"x" * 7, 3)))
    assert short_read(streaming) == "received 7 of 10 bytes"
    assert short_read(ConnectionClosedError(error=ConnectionResetError(104, "reset"), endpoint_url="u")) is None


@pytest.mark.parametrize("source_name", ["aws", "azure", "lambda", "s3"])
def test_a_request_given_up_after_a_retry_says_what_the_earlier_attempt_met(
    source_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503, then a 429 asking for an hour: the refusal ends the message, after the 503 it follows."""
    source = make_source(source_name, tmp_path)
    source.seed()
    busy, later = source.error_reply(503), source.error_reply(429, {"Retry-After": "3600"})
    with serving(source, lambda server: scripted(busy, later)) as server:
        outcome = run_cli(monkeypatch, source, server)
    refusal = f"{THROTTLED(source)}, and the server asks to retry after 3600 s (more than the {MAX_WAIT_S:g} s limit)"
    expected = f"{source.where(server)} failed after 2 attempts: {BUSY(source)}; attempt 2: {refusal}"
    assert outcome.sleeps == [0.25]
    assert outcome.lines == [source.line(server, expected, cached=True)]


@pytest.mark.parametrize("source_name", ["azure", "lambda", "s3"])
def test_a_body_over_the_limit_after_a_retry_says_what_the_earlier_attempt_met(
    source_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503, then an answer over the size limit (100 bytes here): not retried, and the 503 is still said."""
    monkeypatch.setattr(http_module, "MAX_BODY_BYTES", 100)
    monkeypatch.setattr(s3_module, "MAX_SNAPSHOT_BYTES", 100)
    source = make_source(source_name, tmp_path)
    source.seed()
    with serving(source, lambda server: scripted(source.error_reply(503))) as server:
        outcome = run_cli(monkeypatch, source, server)
    too_big = "larger than 100 bytes" if isinstance(source, S3Source) else "the response is larger than 100 bytes"
    expected = f"{source.where(server)} failed after 2 attempts: {BUSY(source)}; attempt 2: {too_big}"
    assert outcome.sleeps == [0.25]
    assert outcome.lines == [source.line(server, expected, cached=True)]


@pytest.mark.parametrize(
    ("problems", "summary"),
    [
        ([], "no attempt made"),
        (["timed out after 2 s"] * 3, "timed out after 2 s"),
        (  # the same fault at another byte is the same fact
            [
                "the response was cut short (received 20 of 900 bytes)",
                "the response was cut short (received 64 of 900 bytes)",
            ],
            "the response was cut short (received 20 of 900 bytes)",
        ),
        (
            ["not valid JSON (at byte 3)", "connection failed (ReadError: reset)", "not valid JSON (at byte 9)"],
            "not valid JSON (at byte 3); attempt 2: connection failed (ReadError: reset); "
            "attempt 3: not valid JSON (at byte 9)",
        ),
        (["SlowDown (HTTP 503)", "SlowDown (HTTP 429)"], "SlowDown (HTTP 503); attempt 2: SlowDown (HTTP 429)"),
        (
            ["HTTP 502 Bad Gateway", "HTTP 503 Service Unavailable"],
            "HTTP 502 Bad Gateway; attempt 2: HTTP 503 Service Unavailable",
        ),
        (  # an object's address is a particular too
            [
                "connection failed (ProtocolError: <x at 0x7f3a1c>)",
                "connection failed (ProtocolError: <x at 0x7f9b02>)",
            ],
            "connection failed (ProtocolError: <x at 0x7f3a1c>)",
        ),
    ],
)
def test_attempts_summarise_each_change_of_problem(problems: list[str], summary: str) -> None:
    tried = Attempts()
    for attempt, problem in enumerate(problems, start=1):
        tried.failed(attempt, problem)
    assert tried.summary() == summary


def test_a_fault_on_one_provider_leaves_the_others_refreshed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    azure, lam = make_source("azure", tmp_path), make_source("lambda", tmp_path)
    kept = digest(azure.seed())
    with serving(azure, lambda s: lambda page, nth: azure.error_reply(503)) as az, serving(lam, None) as lm:
        outcome = run_cli(
            monkeypatch, azure, az, "lambda", "--plugins", "azure,lambda", "--endpoint", f"lambda={lm.url}"
        )
    assert outcome.exit_code == 0
    assert digest(azure.cache) == kept
    assert outcome.lines == [
        azure.line(
            az, f"GET {azure.endpoint(az)} (page 1) failed after 3 attempts: HTTP 503 Service Unavailable", True
        ),
        "lambda: 3 offers cached",
    ]


def test_a_cache_that_cannot_be_written_is_a_failure_that_names_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_source("azure", tmp_path)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "prices").write_text("a file where the cache folder should be")
    with serving(source, None) as server:
        outcome = run_cli(monkeypatch, source, server)
    assert outcome.exit_code == 6
    assert outcome.lines == [
        f"placer: error: azure: refresh failed: could not write the price cache: cannot write {source.cache}: "
        f"part of its folder path is a file; the cached prices cannot be used ({source.cache}: unreadable price "
        "cache (Not a directory))"
    ]


# --- S3 with moto: the real S3 protocol, failing the ways S3 fails --------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    client = boto3.Session().client("s3", endpoint_url=moto_endpoint)
    if "team-catalogs" not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket="team-catalogs")
    good = MINI_CATALOG.read_bytes()
    client.put_object(Bucket="team-catalogs", Key="good.json", Body=good)
    client.put_object(Bucket="team-catalogs", Key="truncated.json", Body=good[: len(good) // 2])
    client.put_object(Bucket="team-catalogs", Key="binary.json", Body=b"\xff\xfe\x00garbage")
    client.put_object(Bucket="team-catalogs", Key="shape.json", Body=json.dumps({"offers": {}}).encode())
    return "team-catalogs"


def _pull(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str, url: str) -> tuple[Path, str, Outcome]:
    source = make_source("s3", tmp_path)
    source.URL = url  # type: ignore[misc]
    before = digest(source.seed())
    at = SimpleNamespace(url=endpoint)  # the S3 endpoint is all run_cli needs of a server
    return source.cache, before, run_cli(monkeypatch, source, at)  # type: ignore[arg-type]


def _truncated_at() -> tuple[int, int]:
    """Line and column where the first half of the mini catalog stops being JSON (hand-checkable with jq)."""
    try:
        json.loads(MINI_CATALOG.read_bytes()[: len(MINI_CATALOG.read_bytes()) // 2])
    except json.JSONDecodeError as bad:
        return bad.lineno, bad.colno
    raise AssertionError("half a catalog parsed")


TRUNCATED_AT = _truncated_at()


@pytest.mark.parametrize(
    ("key", "exit_code", "message"),
    [
        pytest.param(
            "no-such-bucket/pinned.json",
            6,
            "pull s3://no-such-bucket/pinned.json failed: NoSuchBucket (HTTP 404): The specified bucket does not exist",
            id="missing-bucket",
        ),
        pytest.param(
            "team-catalogs/absent.json",
            6,
            "pull s3://team-catalogs/absent.json failed: NoSuchKey (HTTP 404): The specified key does not exist.",
            id="missing-key",
        ),
        pytest.param(
            "team-catalogs/truncated.json",
            3,
            f"s3://team-catalogs/truncated.json:{TRUNCATED_AT[0]}:{TRUNCATED_AT[1]}: not valid JSON: ",
            id="truncated-object",
        ),
        pytest.param(
            "team-catalogs/binary.json", 3, "s3://team-catalogs/binary.json: not UTF-8 JSON;", id="corrupt-object"
        ),
        pytest.param(
            "team-catalogs/shape.json",
            3,
            "s3://team-catalogs/shape.json: as_of: ",
            id="not-a-catalog",
        ),
    ],
)
def test_moto_pull_failures_keep_the_local_snapshot(
    key: str,
    exit_code: int,
    message: str,
    bucket: str,
    moto_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dest, before, outcome = _pull(monkeypatch, tmp_path, moto_endpoint, f"s3://{key}")
    assert digest(dest) == before
    assert outcome.exit_code == exit_code, outcome.stderr
    assert len(outcome.lines) == 1 and outcome.exception is None, outcome.stderr
    assert outcome.lines[0].startswith(f"placer: error: {message}")
    assert outcome.lines[0].endswith(f"; {dest} left unchanged")
    assert_leaks_nothing(outcome, tmp_path, caplog)


def test_moto_wrong_credentials_are_refused_without_echoing_them(
    bucket: str, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import moto.settings

    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # moto checks the keys from now on
    dest, before, outcome = _pull(monkeypatch, tmp_path, moto_endpoint, "s3://team-catalogs/good.json")
    assert digest(dest) == before
    assert outcome.exit_code == 6
    assert outcome.lines == [
        "placer: error: pull s3://team-catalogs/good.json failed: InvalidAccessKeyId (HTTP 403): The AWS Access Key "
        f"Id you provided does not exist in our records.; {dest} left unchanged"
    ]
    assert_leaks_nothing(outcome, tmp_path, caplog)


def test_moto_endpoint_down_is_retried_then_exit_6(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
        dest, before, outcome = _pull(monkeypatch, tmp_path, closed, "s3://team-catalogs/good.json")
    assert digest(dest) == before
    assert outcome.exit_code == 6
    assert outcome.sleeps == [0.25, 0.5]
    assert outcome.lines == [
        "placer: error: pull s3://team-catalogs/good.json failed after 3 attempts: connection failed "
        f'(EndpointConnectionError: Could not connect to the endpoint URL: "{closed}/team-catalogs/good.json"); '
        f"{dest} left unchanged"
    ]


def test_moto_pull_of_a_good_snapshot_replaces_the_older_one(
    bucket: str, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest, before, outcome = _pull(monkeypatch, tmp_path, moto_endpoint, "s3://team-catalogs/good.json")
    assert outcome.exit_code == 0, outcome.stderr
    assert digest(dest) != before
    assert dest.read_bytes() == MINI_CATALOG.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir() if p.name.startswith(".pinned")) == []
