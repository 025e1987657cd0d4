"""AWS live refresh: real boto3 against a loopback server speaking the Price List Query API's JSON 1.1 protocol."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from placer.catalog.cache import read_cache
from placer.catalog.models import GpuOffer, MacOffer, MacPlan, Price
from placer.providers import aws
from placer.providers.refresh import RefreshFailed, refresh_providers
from placer.providers.registry import Registry, load_plugins
from servers import AwsPricingFake, Reply, price_list_entry
from servers.aws_pricing import error
from servers.context import TODAY, Recorder, make_ctx

ACCESS_KEY = "AKIDSENTINEL00000000"
SECRET = "secret-sentinel-aws-0123456789"

PRODUCTS = [
    price_list_entry("p5.48xlarge", "us-east-1", "98.3200000000"),
    price_list_entry("p5.48xlarge", "eu-west-1", "0.0000000000"),
    price_list_entry("p4d.24xlarge", "us-east-1", "32.7726000000"),
    price_list_entry("p4d.24xlarge", "eu-west-1", "-1.0000000000"),
    price_list_entry("g6.xlarge", "ap-northeast-1", "1.1672000000"),
    price_list_entry("g6.xlarge", "us-east-1", "1.5000000000", extra={"operatingSystem": "Windows"}),
    price_list_entry("p5.48xlarge", "us-west-2", "31.4640000000", extra={"marketoption": "CapacityBlock"}),
    price_list_entry("mac-m4", "us-east-1", "1.2240000000", family="Dedicated Host"),
    price_list_entry("mac-m4.metal", "us-east-1", "0.0000000000", extra={"tenancy": "Host"}),
    price_list_entry("mac2-m2pro", "eu-central-1", "1.5600000000", family="Dedicated Host"),
    price_list_entry("mac2", "us-east-1", "0.9000000000", family="Dedicated Host", extra={"tenancy": "Reserved"}),
]
GPU_NOTES = "interconnect assumed: EFA on p-family, plain ethernet on g-family"
MAC_NOTES = "EC2 Mac runs on a Dedicated Host: the host-hour price; 24 h minimum allocation (Apple macOS licence)"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials from the environment, and nothing of the developer's AWS setup."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_PRICING",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _gpu(source: str, region: str, instance: str, accelerator: str, count: int, memory: float, usd: float) -> GpuOffer:
    return GpuOffer(
        id=f"aws/{region}/{instance}",
        provider="aws",
        region=region,
        instance=instance,
        accelerator=accelerator,
        accelerators_per_instance=count,
        accelerator_memory_gb=memory,
        interconnect="efa" if instance.startswith("p") else "ethernet",
        prices={"on-demand": Price(usd=usd, source=source, as_of=TODAY, basis="list")},
        notes=GPU_NOTES,
    )


def _mac(source: str, region: str, instance: str, chip: str, usd: float) -> MacOffer:
    return MacOffer(
        id=f"aws/{region}/{instance}",
        provider="aws",
        region=region,
        instance=instance,
        chip=chip,
        startup_minutes=20.0,
        plans=[
            MacPlan(unit="hour", price=Price(usd=usd, source=source, as_of=TODAY, basis="list"), min_lease_hours=24)
        ],
        notes=MAC_NOTES,
    )


def test_pages_through_get_products_and_maps_gpu_and_mac_offers_exactly(recorder: Recorder) -> None:
    with AwsPricingFake(PRODUCTS, page_size=1) as server:
        ctx = make_ctx(recorder, server.url)
        offers = aws.refresh(ctx)
    src = server.url
    assert sorted(offers, key=lambda o: o.id) == [
        _gpu(src, "ap-northeast-1", "g6.xlarge", "L4", 1, 24.0, 1.1672),
        _mac(src, "eu-central-1", "mac2-m2pro.metal", "M2-Pro", 1.56),
        _mac(src, "us-east-1", "mac-m4.metal", "M4", 1.224),
        _gpu(src, "us-east-1", "p4d.24xlarge", "A100-40GB", 8, 40.0, 32.7726),
        _gpu(src, "us-east-1", "p5.48xlarge", "H100", 8, 80.0, 98.32),
    ]
    # One query per known type; p5.48xlarge and p4d.24xlarge have two matching products, so two pages each.
    assert len(server.calls) == len(aws.GPU_TYPES) + len(aws.MAC_TYPES) + 2
    assert [c.get("NextToken") for c in server.calls[:2]] == [None, "tok-1"]
    assert server.calls[0] == {
        "ServiceCode": "AmazonEC2",
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "p4d.24xlarge"},
            {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
            {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
            {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
            {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
            {"Type": "TERM_MATCH", "Field": "marketoption", "Value": "OnDemand"},
            {"Type": "TERM_MATCH", "Field": "licenseModel", "Value": "No License required"},
        ],
    }
    mac_call = next(
        c for c in server.calls if {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "mac-m4"} in c["Filters"]
    )
    assert {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Dedicated Host"} in mac_call["Filters"]
    assert all(r.headers["x-amz-target"] == "AWSPriceListService.GetProducts" for r in server.requests)
    assert all(r.headers["content-type"] == "application/x-amz-json-1.1" for r in server.requests)
    assert recorder.progress == [("aws", n, None) for n in range(1, len(server.calls) + 1)]
    assert recorder.sleeps == []
    assert ctx.skipped == {"zero, negative or missing price": 2, "reserved host": 1}


def test_throttling_and_server_errors_back_off_and_recover(recorder: Recorder) -> None:
    faults = {
        2: error("ThrottlingException", "Rate exceeded"),
        3: error("InternalErrorException", "oops", status=500),
        4: error("ServiceUnavailable", "later", status=503, headers={"Retry-After": "2"}),
    }
    with AwsPricingFake(PRODUCTS, fault=lambda n, nth: faults.get(n)) as server:
        offers = aws.refresh(make_ctx(recorder, server.url, backoff_s=0.5))
    # Request 1 is fine; 2, 3 and 4 fail in a row for the same query, then it succeeds.
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert len(offers) == 5


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Reply(status=200, delay_s=1.0), id="timeout"),
        pytest.param(Reply(reset=True), id="connection-reset"),
        pytest.param(
            Reply(status=200, body=b'{"FormatVersion": "aws_v1", "PriceList": ["{}", "{}"]}', truncate_at=25),
            id="truncated-body",
        ),
        pytest.param(
            Reply(status=200, body=b'{"FormatVersion": "aws_v1", "PriceList": ["{\\"product'), id="invalid-json"
        ),
    ],
)
def test_transient_faults_are_retried(recorder: Recorder, fault: Reply) -> None:
    with AwsPricingFake(PRODUCTS, fault=lambda n, nth: fault if n == 1 else None) as server:
        offers = aws.refresh(make_ctx(recorder, server.url, timeout_s=0.3))
    assert recorder.sleeps == [0.25]
    assert len(offers) == 5
    assert server.calls[0] == server.calls[1]  # the same page asked again


def test_invalid_json_is_never_taken_for_an_empty_page(recorder: Recorder) -> None:
    garbage = Reply(status=200, body=b"<html>gateway</html>", headers={"Content-Type": "text/html"})
    with AwsPricingFake(PRODUCTS, fault=lambda n, nth: garbage) as server, pytest.raises(RefreshFailed) as caught:
        aws.refresh(make_ctx(recorder, server.url, max_retries=1))
    assert str(caught.value) == (
        f"aws: GetProducts {server.url} (p4d.24xlarge, page 1) failed after 2 attempts: "
        "the response is not valid JSON (JSONDecodeError)"
    )


def test_fails_after_max_retries_with_a_plain_message(recorder: Recorder) -> None:
    broken = error("InternalErrorException", status=500)
    with AwsPricingFake(PRODUCTS, fault=lambda n, nth: broken) as server, pytest.raises(RefreshFailed) as caught:
        aws.refresh(make_ctx(recorder, server.url, max_retries=3, backoff_s=1.0, max_backoff_s=3.0))
    assert recorder.sleeps == [1.0, 2.0, 3.0]
    assert len(server.calls) == 4
    assert str(caught.value) == (
        f"aws: GetProducts {server.url} (p4d.24xlarge, page 1) failed after 4 attempts: "
        "InternalErrorException (HTTP 500)"
    )


def test_a_mid_pagination_failure_fails_the_refresh(recorder: Recorder) -> None:
    # page_size 1: requests 1-4 are p4d (2 pages), p4de, p5.4xlarge; p5.48xlarge's second page (6) always fails.
    broken = error("InternalErrorException", status=500)
    with (
        AwsPricingFake(PRODUCTS, page_size=1, fault=lambda n, nth: broken if n >= 6 else None) as server,
        pytest.raises(RefreshFailed, match=r"\(p5.48xlarge, page 2\) failed after 4 attempts"),
    ):
        aws.refresh(make_ctx(recorder, server.url))
    assert server.calls[5]["NextToken"] == "tok-1"


def test_access_denied_is_not_retried_and_leaks_no_credential(recorder: Recorder) -> None:
    def deny(n: int, nth: int) -> Reply | None:
        seen = server.requests[-1].headers["authorization"]  # a careless server echoing the signature header
        return error("AccessDeniedException", f"not authorized; you sent {seen} with {SECRET}", status=403)

    with AwsPricingFake(PRODUCTS, fault=deny) as server, pytest.raises(RefreshFailed) as caught:
        aws.refresh(make_ctx(recorder, server.url))
    message = str(caught.value)
    assert message.startswith(
        f"aws: GetProducts {server.url} (p4d.24xlarge, page 1) failed: AccessDeniedException (HTTP 403)"
    )
    assert ACCESS_KEY in server.requests[0].headers["authorization"]  # it was sent...
    assert ACCESS_KEY not in message  # ...and never repeated
    assert SECRET not in message
    assert recorder.sleeps == []


def test_no_credentials_says_what_to_set(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with AwsPricingFake(PRODUCTS) as server, pytest.raises(RefreshFailed, match="no AWS credentials found"):
        aws.refresh(make_ctx(recorder, server.url))
    assert server.requests == []


def test_an_injected_session_and_regions(recorder: Recorder) -> None:
    session = boto3.Session(aws_access_key_id="AKIDINJECTED", aws_secret_access_key="injected", region_name="eu-west-1")
    with AwsPricingFake(PRODUCTS) as server:
        offers = aws.refresh(make_ctx(recorder, server.url, boto3_session=session, regions=["eu-central-1"]))
    assert [o.id for o in offers] == ["aws/eu-central-1/mac2-m2pro.metal"]
    assert "AKIDINJECTED" in server.requests[0].headers["authorization"]


def test_registered_through_the_entry_point() -> None:
    provider = load_plugins(only={"aws"}).get("aws")
    assert provider is not None
    assert provider.refresh is aws.refresh


def test_through_the_runner_a_failed_refresh_keeps_the_cache_and_the_report_leaks_nothing(
    recorder: Recorder, tmp_path: Path
) -> None:
    registry = Registry()
    aws.register(registry)
    with AwsPricingFake(PRODUCTS, page_size=1) as server:
        first = refresh_providers(registry, ["aws"], make_ctx(recorder, server.url), cache_directory=tmp_path)
    cached = read_cache("aws", tmp_path)
    assert first.ok and cached is not None and len(cached.offers) == 5
    path = first.results[0].cache_path
    assert path is not None
    before = path.read_bytes()

    def deny_from_page_6(n: int, nth: int) -> Reply | None:
        if n < 6:
            return None
        seen = server.requests[-1].headers["authorization"]
        return error("AccessDeniedException", f"you sent {seen}", status=403)

    with AwsPricingFake(PRODUCTS, page_size=1, fault=deny_from_page_6) as server:
        report = refresh_providers(registry, ["aws"], make_ctx(recorder, server.url), cache_directory=tmp_path)
    assert path.read_bytes() == before
    result = report.results[0]
    assert not result.ok and result.cache_kept and result.fetched_at == "2026-11-22T10:00:00Z"
    assert "(p5.48xlarge, page 2) failed: AccessDeniedException (HTTP 403)" in result.message
    assert ACCESS_KEY not in repr(report) and SECRET not in repr(report)
