"""The four price sources behind ``placer catalog refresh`` and ``placer catalog pull`` as test subjects.

Each source seeds an older "cache" (the provider's price cache, or the snapshot pulled before), serves its
recorded-shape answer from a loopback fake, and knows how its faults look on the wire (AWS's JSON errors,
S3's XML, the JSON of the HTTP feeds). :func:`run_cli` runs the real CLI in-process, with short timeouts, a fixed
clock and a sleep that records instead of waiting, so a matrix of faults stays fast.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from placer.catalog.cache import CachedPrices, write_cache
from placer.catalog.models import GpuOffer, Price
from placer.cli.app import app
from placer.providers import refresh as refresh_module
from servers.aws_pricing import AwsPricingFake, error, price_list_entry
from servers.azure_prices import AzureRetailPricesFake, item
from servers.base import FakeServer, Reply
from servers.context import NOW
from servers.lambda_api import LambdaCloudFake, instance_type
from servers.s3_objects import S3ObjectsFake, s3_error, s3_object

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OLD_FETCHED_AT = "2026-11-20T08:00:00Z"
TIMEOUT_S = 0.2  # for the faults that wait a client out: stalls, trickles, silence
PATIENT_S = 5.0  # for the others, so a loaded machine never turns a good page into a timeout
RETRIES = 2  # so "after 3 attempts"
MAX_WAIT_S = 4.0  # the Retry-After cap (RefreshContext.max_backoff_s) in these tests
BACKOFF_S = 0.25

# Sentinel credentials: distinctive, so a leak anywhere is found by a plain substring search.
AWS_ACCESS_KEY = "AKIASENTINEL7Q3Z9XW2"
AWS_SECRET = "sentinel-aws-secret-Zq8Rk2Lm5Nv7Bx4Cw1Dy6Ef3Gh"
AWS_SESSION_TOKEN = "sentinel-aws-session-token-Jp4Ks9Lt2Mu7Nv0Ow5Px8"
LAMBDA_KEY = "secret_sentinel-lambda-key_Hq3Jr8Ks1Lt6"
SENTINELS = (AWS_ACCESS_KEY, AWS_SECRET, AWS_SESSION_TOKEN, LAMBDA_KEY)

Fault = Callable[[int, int], Reply | None]


def credentials_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Sentinel AWS and Lambda credentials, and nothing of the developer's own AWS setup."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_PRICING",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_SESSION_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("LAMBDA_API_KEY", LAMBDA_KEY)


def _offer(provider: str, region: str, instance: str, usd: float) -> GpuOffer:
    return GpuOffer(
        id=f"{provider}/{region}/{instance.lower()}",
        provider=provider,
        region=region,
        instance=instance,
        accelerator="H100",
        accelerators_per_instance=8,
        accelerator_memory_gb=80,
        interconnect="ethernet",
        prices={"on-demand": Price(usd=usd, source="https://prices.example/old", as_of="2026-11-20")},
    )


@dataclass
class Source:
    """One price source under test; subclasses fill in the wire details."""

    name: str
    tmp: Path
    paged: bool = True
    server: FakeServer | None = None
    extra_args: list[str] = field(default_factory=list)

    # -- the cache -------------------------------------------------------------------------------------------
    @property
    def cache(self) -> Path:
        return self.tmp / "cache" / "prices" / f"{self.name}.json"

    def seed(self) -> Path:
        """Write the older, usable cache the failed run must keep."""
        write_cache(
            CachedPrices(
                provider=self.name,
                fetched_at=OLD_FETCHED_AT,
                source="https://prices.example/old",
                offers=[_offer(self.name, "old-region", "old-box", 9.5)],
            ),
            self.tmp / "cache",
        )
        return self.cache

    # -- the wire ----------------------------------------------------------------------------------------------
    def make_server(self) -> FakeServer:
        raise NotImplementedError

    def error_reply(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError

    def sample_body(self) -> bytes:
        """A valid answer, long enough to cut short or trickle."""
        raise NotImplementedError

    def wrong_shape(self) -> Reply:
        raise NotImplementedError

    def page_two_fails(self, server: FakeServer) -> Fault:
        raise NotImplementedError

    def page_loop(self, server: FakeServer) -> Fault:
        raise NotImplementedError

    def where(self, server: FakeServer) -> str:
        """How the failure message names the request (page 1)."""
        raise NotImplementedError

    def args(self, server: FakeServer, timeout_s: float) -> list[str]:
        return [
            "catalog", "refresh", self.name, "--plugins", self.name,
            "--endpoint", f"{self.name}={self.endpoint(server)}",
            "--timeout", str(timeout_s), "--retries", str(RETRIES), *self.extra_args,
        ]  # fmt: skip

    def endpoint(self, server: FakeServer) -> str:
        return server.url

    def kept(self, cached: bool) -> str:
        """The end of the failure line: which cache is kept."""
        if cached:
            return f"keeping the cached prices fetched at {OLD_FETCHED_AT}"
        return "no cached prices to fall back on"

    def line(self, server: FakeServer, problem: str, cached: bool) -> str:
        level = "warning" if cached else "error"
        return f"placer: {level}: {self.name}: refresh failed: {problem}; {self.kept(cached)}"


class AzureSource(Source):
    ITEMS: ClassVar[list[dict[str, Any]]] = [
        item("Standard_ND96isr_H100_v5", "eastus", 98.32),
        item("Standard_ND96isr_H100_v5", "westeurope", 105.0),
        item("Standard_NC24ads_A100_v4", "westus2", 3.673),
        item("Standard_NC96ads_A100_v4", "eastus", 19.108),
        item("Standard_NC48ads_A100_v4", "eastus", 7.346),
        item("Standard_NC48ads_A100_v4", "westus2", 7.346),
    ]

    def make_server(self) -> AzureRetailPricesFake:
        return AzureRetailPricesFake(self.ITEMS, page_size=2)  # three pages

    def endpoint(self, server: FakeServer) -> str:
        return f"{server.url}/api/retail/prices"

    def error_reply(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        return Reply.json({"Error": {"Code": "Busy", "Message": "try later"}}, status=status, headers=headers)

    def sample_body(self) -> bytes:
        return json.dumps({"Items": self.ITEMS, "NextPageLink": None, "Count": len(self.ITEMS)}).encode()

    def wrong_shape(self) -> Reply:
        return Reply.json([{"Items": []}])

    def page_two_fails(self, server: FakeServer) -> Fault:
        return lambda page, nth: self.error_reply(503) if page == 2 else None

    def page_loop(self, server: FakeServer) -> Fault:
        loop = {"Items": self.ITEMS[2:4], "NextPageLink": f"{self.endpoint(server)}?$skip=2", "Count": 2}
        return lambda page, nth: Reply.json(loop) if page == 2 else None

    def where(self, server: FakeServer) -> str:
        return f"GET {self.endpoint(server)} (page 1)"


class LambdaSource(Source):
    TYPES: ClassVar[dict[str, Any]] = dict(
        [
            instance_type("gpu_8x_h100_sxm5", 3192, ["us-west-1", "us-east-1"], gpus=8),
            instance_type("gpu_1x_h100_pcie", 329, ["us-east-1"], gpus=1),
        ]
    )

    def make_server(self) -> LambdaCloudFake:
        return LambdaCloudFake(self.TYPES, api_key=LAMBDA_KEY)

    def error_reply(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        body = {"error": {"code": "global/unknown", "message": "busy", "suggestion": "retry"}}
        return Reply.json(body, status=status, headers=headers)

    def sample_body(self) -> bytes:
        return json.dumps({"data": self.TYPES}).encode()

    def wrong_shape(self) -> Reply:
        return Reply.json({"data": [{"instance_type": {}}]})

    def where(self, server: FakeServer) -> str:
        return f"GET {server.url}/api/v1/instance-types"


class AwsSource(Source):
    PRODUCTS: ClassVar[list[dict[str, Any]]] = [
        price_list_entry("p4d.24xlarge", region, "32.7726") for region in ("us-east-1", "us-west-2", "eu-west-1")
    ]
    CODES: ClassVar[dict[int, str]] = {
        429: "ThrottlingException",
        500: "InternalErrorException",
        503: "ServiceUnavailable",
    }

    def make_server(self) -> AwsPricingFake:
        return AwsPricingFake(self.PRODUCTS, page_size=1)  # the first query (p4d.24xlarge) has three pages

    def error_reply(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        if status not in self.CODES:  # a proxy in front of the API: HTML, no error code
            return Reply(status=status, body=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
        return error(self.CODES[status], "try later", status=status, headers=headers)

    def sample_body(self) -> bytes:
        return json.dumps({"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in self.PRODUCTS]}).encode()

    def wrong_shape(self) -> Reply:
        return Reply(status=200, body=b'["aws_v1"]', headers={"Content-Type": "application/x-amz-json-1.1"})

    def page_two_fails(self, server: FakeServer) -> Fault:
        assert isinstance(server, AwsPricingFake)
        return lambda n, nth: self.error_reply(503) if server.calls[-1].get("NextToken") == "tok-1" else None

    def page_loop(self, server: FakeServer) -> Fault:
        page = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(self.PRODUCTS[0])], "NextToken": "tok-1"}
        body = json.dumps(page).encode()
        return lambda n, nth: Reply(status=200, body=body, headers={"Content-Type": "application/x-amz-json-1.1"})

    def where(self, server: FakeServer) -> str:
        return f"GetProducts {server.url} (p4d.24xlarge, page 1)"


class S3Source(Source):
    """``placer catalog pull``: the "cache" is the snapshot pulled before, which a failed pull leaves alone."""

    URL = "s3://team-catalogs/pinned.json"
    SNAPSHOT = (FIXTURES / "mini_catalog.json").read_bytes()

    @property
    def cache(self) -> Path:
        return self.tmp / "pinned.json"

    def seed(self) -> Path:
        older = json.loads(self.SNAPSHOT)
        older["as_of"] = "2026-10-01"
        self.cache.write_text(json.dumps(older, indent=1, sort_keys=True) + "\n")
        return self.cache

    def make_server(self) -> S3ObjectsFake:
        return S3ObjectsFake({"team-catalogs/pinned.json": self.SNAPSHOT})

    def error_reply(self, status: int, headers: dict[str, str] | None = None) -> Reply:
        code = {500: "InternalError", 503: "SlowDown", 429: "SlowDown"}.get(status)
        if code is None:
            return Reply(status=status, body=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
        return s3_error(code, "Please reduce your request rate.", status, headers)

    def sample_body(self) -> bytes:
        return self.SNAPSHOT

    def wrong_shape(self) -> Reply:
        return s3_object(b'{"schema_version": 1, "offers": "none"}')

    def args(self, server: FakeServer, timeout_s: float) -> list[str]:
        return [
            "catalog", "pull", self.URL, "--output", str(self.cache), "--endpoint-url", server.url,
            "--timeout", str(timeout_s), "--retries", str(RETRIES), *self.extra_args,
        ]  # fmt: skip

    def where(self, server: FakeServer) -> str:
        return f"pull {self.URL}"

    def kept(self, cached: bool) -> str:
        return f"{self.cache} left unchanged" if cached else f"nothing written to {self.cache}"

    def line(self, server: FakeServer, problem: str, cached: bool) -> str:
        return f"placer: error: {problem}; {self.kept(cached)}"


def make_source(name: str, tmp: Path) -> Source:
    kinds: dict[str, type[Source]] = {"aws": AwsSource, "azure": AzureSource, "lambda": LambdaSource, "s3": S3Source}
    return kinds[name](name=name, tmp=tmp, paged=name in ("aws", "azure"))


def ok_reply(source: Source, **kw: Any) -> Reply:
    """The source's valid answer, misbehaving as ``kw`` says (truncate_at, stall_after...)."""
    if isinstance(source, S3Source):
        return s3_object(source.sample_body(), **kw)
    content_type = "application/x-amz-json-1.1" if isinstance(source, AwsSource) else "application/json"
    return Reply(status=200, body=source.sample_body(), headers={"Content-Type": content_type}, **kw)


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    sleeps: list[float]
    exception: BaseException | None

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


@contextmanager
def serving(source: Source, fault_for: Callable[[FakeServer], Fault] | None) -> Iterator[FakeServer]:
    """The source's fake, started, with the fault (built once the server's address is known) installed."""
    server = source.make_server()
    if fault_for is not None:
        server.schedule.fault = fault_for(server)  # type: ignore[attr-defined]
    with server:
        source.server = server
        yield server


def run_cli(
    monkeypatch: pytest.MonkeyPatch, source: Source, server: FakeServer, *extra: str, timeout_s: float = PATIENT_S
) -> Outcome:
    """The real CLI, in-process: the context it builds gets a recording sleep, a fixed clock and the test's caps."""
    sleeps: list[float] = []
    monkeypatch.setenv("PLACER_CACHE_DIR", str(source.tmp / "cache"))
    monkeypatch.setattr(
        refresh_module,
        "RefreshContext",
        functools.partial(
            refresh_module.RefreshContext,
            sleep=sleeps.append,
            now=lambda: NOW,
            backoff_s=BACKOFF_S,
            max_backoff_s=MAX_WAIT_S,
        ),
    )
    result = CliRunner().invoke(app, [*source.args(server, timeout_s), *extra], env={"COLUMNS": "200"})
    exception = None if isinstance(result.exception, SystemExit) else result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr, sleeps, exception)


def assert_leaks_nothing(outcome: Outcome, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No sentinel credential in stdout, stderr, the log records placer's process made (moto's own server
    logs excepted: it is the test's S3, not placer), or any file under ``tmp_path`` (caches, snapshots, plans)."""
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("moto", "werkzeug")))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    for secret in SENTINELS:
        assert secret not in outcome.stdout + outcome.stderr
        assert secret not in logged
        assert not [p for p in files if secret.encode() in p.read_bytes()]
