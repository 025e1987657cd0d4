"""Lambda live refresh against a loopback Lambda Cloud API (real httpx, real sockets, injected faults)."""

from __future__ import annotations

from pathlib import Path

import pytest

from placer.catalog.models import GpuOffer, Price
from placer.providers import lambda_cloud
from placer.providers.refresh import RefreshFailed, refresh_providers
from placer.providers.registry import Registry, load_plugins
from servers import LambdaCloudFake, Reply
from servers.context import TODAY, Recorder, make_ctx
from servers.lambda_api import instance_type

SECRET = "secret-sentinel-0123456789abcdef"
NOTES = "interconnect assumed: on-demand instances have no inter-node InfiniBand"

TYPES = dict(
    [
        instance_type("gpu_8x_h100_sxm5", 3192, ["us-west-1", "us-east-1"], gpus=8),
        instance_type("gpu_1x_h100_pcie", 329, ["us-east-1"], gpus=1),
        instance_type("gpu_8x_a100_80gb_sxm4", 2232, [], gpus=8),
        instance_type("gpu_1x_a10", 75, ["us-west-1"], gpus=1),
        instance_type("gpu_1x_b200_sxm6", 0, ["us-east-1"], gpus=1),
        instance_type("gpu_8x_a100", 1592, ["asia-northeast-1"], gpus=8),
    ]
)


def _offer(source: str, region: str, name: str, accelerator: str, count: int, memory: float, usd: float) -> GpuOffer:
    return GpuOffer(
        id=f"lambda/{region}/{name}",
        provider="lambda",
        region=region,
        instance=name,
        accelerator=accelerator,
        accelerators_per_instance=count,
        accelerator_memory_gb=memory,
        interconnect="ethernet",
        prices={"on-demand": Price(usd=usd, source=source, as_of=TODAY, basis="list")},
        notes=NOTES,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LAMBDA_API_KEY", SECRET)
    return SECRET


def test_maps_every_region_with_capacity_exactly(recorder: Recorder, api_key: str) -> None:
    with LambdaCloudFake(TYPES, api_key=api_key) as server:
        ctx = make_ctx(recorder, server.url)
        offers = lambda_cloud.refresh(ctx)
    source = f"{server.url}/api/v1/instance-types"
    assert sorted(offers, key=lambda o: o.id) == [
        _offer(source, "asia-northeast-1", "gpu_8x_a100", "A100-40GB", 8, 40.0, 15.92),
        _offer(source, "us-east-1", "gpu_1x_h100_pcie", "H100-PCIe", 1, 80.0, 3.29),
        _offer(source, "us-east-1", "gpu_8x_h100_sxm5", "H100", 8, 80.0, 31.92),
        _offer(source, "us-west-1", "gpu_8x_h100_sxm5", "H100", 8, 80.0, 31.92),
    ]
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert ctx.skipped == {
        "no capacity in any region": 1,
        "instance type placer does not know": 1,
        "zero, negative or missing price": 1,
    }
    assert recorder.progress == [("lambda", 1, 1)]


def test_without_a_key_no_authorization_is_sent_and_the_error_says_what_to_set(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDA_API_KEY", raising=False)
    with LambdaCloudFake(TYPES, api_key=SECRET) as server, pytest.raises(RefreshFailed) as caught:
        lambda_cloud.refresh(make_ctx(recorder, server.url))
    assert "authorization" not in server.requests[0].headers
    assert str(caught.value) == (
        f"lambda: GET {server.url}/api/v1/instance-types failed: HTTP 401 Unauthorized "
        "(set LAMBDA_API_KEY to a valid Lambda Cloud API key)"
    )
    assert recorder.sleeps == []  # 401 is not retried


def test_a_rejected_key_never_appears_in_errors_or_the_report(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", SECRET)
    with LambdaCloudFake(TYPES, api_key="the-right-key") as server:  # the server echoes the bad key back
        with pytest.raises(RefreshFailed) as caught:
            lambda_cloud.refresh(make_ctx(recorder, server.url))
        registry = Registry()
        lambda_cloud.register(registry)
        report = refresh_providers(registry, ["lambda"], make_ctx(recorder, server.url), cache_directory=tmp_path)
    assert SECRET not in str(caught.value)
    assert "check LAMBDA_API_KEY" in str(caught.value)
    result = report.get("lambda")
    assert result is not None and not result.ok and result.unavailable
    assert SECRET not in repr(report)


def test_a_key_is_redacted_from_transport_errors(recorder: Recorder, api_key: str) -> None:
    reset = Reply(reset=True)
    with (
        LambdaCloudFake(TYPES, api_key=api_key, fault=lambda n, nth: reset) as s,
        pytest.raises(RefreshFailed) as caught,
    ):
        lambda_cloud.refresh(make_ctx(recorder, s.url, max_retries=1))
    assert "failed after 2 attempts: connection failed" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_retry_after_then_success(recorder: Recorder, api_key: str) -> None:
    throttled = Reply.json({"error": {"code": "global/too-many-requests"}}, status=429, headers={"Retry-After": "1"})
    with LambdaCloudFake(TYPES, api_key=api_key, fault=lambda n, nth: throttled if n == 1 else None) as server:
        offers = lambda_cloud.refresh(make_ctx(recorder, server.url))
    assert recorder.sleeps == [1.0]
    assert len(offers) == 4


def test_truncated_then_invalid_then_good(recorder: Recorder, api_key: str) -> None:
    replies = {1: Reply.json({"data": TYPES}, truncate_at=40), 2: Reply(status=200, body=b'{"data": {')}
    with LambdaCloudFake(TYPES, api_key=api_key, fault=lambda n, nth: replies.get(n)) as server:
        offers = lambda_cloud.refresh(make_ctx(recorder, server.url, backoff_s=0.5))
    assert recorder.sleeps == [0.5, 1.0]
    assert len(offers) == 4


def test_an_answer_without_data_is_refused(recorder: Recorder, api_key: str) -> None:
    with (
        LambdaCloudFake(TYPES, api_key=api_key, fault=lambda n, nth: Reply.json({"error": {}})) as server,
        pytest.raises(RefreshFailed, match="answered without a 'data' object"),
    ):
        lambda_cloud.refresh(make_ctx(recorder, server.url))


def test_regions_limit_the_offers(recorder: Recorder, api_key: str) -> None:
    with LambdaCloudFake(TYPES, api_key=api_key) as server:
        offers = lambda_cloud.refresh(make_ctx(recorder, server.url, regions=["us-west-1"]))
    assert [o.id for o in offers] == ["lambda/us-west-1/gpu_8x_h100_sxm5"]


def test_registered_through_the_entry_point() -> None:
    provider = load_plugins(only={"lambda"}).get("lambda")
    assert provider is not None
    assert provider.refresh is lambda_cloud.refresh
