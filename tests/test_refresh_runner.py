"""refresh_providers: successes are cached atomically, failures keep the last good cache byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from placer.catalog.cache import CachedPrices, cache_path, read_cache, write_cache
from placer.catalog.models import GpuOffer, Offer, Price
from placer.errors import ExitCode, UsageError
from placer.providers import azure, lambda_cloud
from placer.providers.refresh import RefreshContext, RefreshFailed, refresh_providers
from placer.providers.registry import Provider, Registry
from servers import AzureRetailPricesFake, LambdaCloudFake, Reply
from servers.azure_prices import item
from servers.context import NOW, TODAY, Recorder, make_ctx
from servers.lambda_api import instance_type

ITEMS = [
    item("Standard_ND96isr_H100_v5", "eastus", 98.32),
    item("Standard_ND96isr_H100_v5", "westeurope", 105.0),
    item("Standard_NC24ads_A100_v4", "westus2", 3.673),
    item("Standard_NC24ads_A100_v4", "northeurope", 0.0),
    item("Standard_NC96ads_A100_v4", "eastus", 19.108),
    item("Standard_NC48ads_A100_v4", "eastus", 7.346),
]
TYPES = dict([instance_type("gpu_8x_h100_sxm5", 3192, ["us-west-1"], gpus=8)])
OLD = CachedPrices(
    provider="azure",
    fetched_at="2026-11-01T08:30:00Z",
    source="https://prices.azure.com/api/retail/prices",
    offers=[
        GpuOffer(
            id="azure/eastus/standard_nd96isr_h100_v5",
            provider="azure",
            region="eastus",
            instance="Standard_ND96isr_H100_v5",
            accelerator="H100",
            accelerators_per_instance=8,
            accelerator_memory_gb=80,
            interconnect="infiniband",
            prices={
                "on-demand": Price(usd=97.0, source="https://prices.azure.com/api/retail/prices", as_of="2026-11-01")
            },
        )
    ],
)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def registry() -> Registry:
    found = Registry()
    azure.register(found)
    lambda_cloud.register(found)
    found.add(Provider(name="static", description="offers only, no refresh"))
    return found


@pytest.fixture(autouse=True)
def lambda_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_API_KEY", "runner-key")


def _fixed_offer(provider: str, usd: float = 1.0) -> Offer:
    return GpuOffer(
        id=f"{provider}/us-east-1/box",
        provider=provider,
        region="us-east-1",
        instance="box",
        accelerator="H100",
        accelerators_per_instance=1,
        accelerator_memory_gb=80,
        interconnect="ethernet",
        prices={"on-demand": Price(usd=usd, source="https://example.invalid/prices", as_of=TODAY)},
    )


def test_successes_are_cached_with_their_fetch_time_and_source(
    registry: Registry, recorder: Recorder, tmp_path: Path
) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=2) as az, LambdaCloudFake(TYPES, api_key="runner-key") as lam:
        ctx = make_ctx(recorder, endpoints={"azure": az.endpoint, "lambda": lam.url})
        report = refresh_providers(registry, None, ctx, cache_directory=tmp_path)
    assert report.ok and report.failed == [] and report.unavailable == []
    assert [r.provider for r in report.results] == ["azure", "lambda"]  # "static" has no refresh

    azure_result = report.get("azure")
    assert azure_result is not None
    assert azure_result.offers_written == 5
    assert azure_result.skipped == {"zero, negative or missing price": 1}
    assert azure_result.fetched_at == "2026-11-22T10:00:00Z"
    assert azure_result.cache_path == cache_path("azure", tmp_path)
    assert azure_result.message == "azure: 5 offers cached, 1 source items skipped"

    cached = read_cache("azure", tmp_path)
    assert cached is not None
    assert cached.fetched_at == "2026-11-22T10:00:00Z"
    assert cached.source == az.endpoint
    assert sorted(o.id for o in cached.offers) == [
        "azure/eastus/standard_nc48ads_a100_v4",
        "azure/eastus/standard_nc96ads_a100_v4",
        "azure/eastus/standard_nd96isr_h100_v5",
        "azure/westeurope/standard_nd96isr_h100_v5",
        "azure/westus2/standard_nc24ads_a100_v4",
    ]
    lam_cached = read_cache("lambda", tmp_path)
    assert lam_cached is not None and [o.id for o in lam_cached.offers] == ["lambda/us-west-1/gpu_8x_h100_sxm5"]
    assert ("azure", 3, None) in recorder.progress and ("lambda", 1, 1) in recorder.progress


def test_a_refresh_failing_on_page_3_leaves_the_previous_cache_byte_identical(
    registry: Registry, recorder: Recorder, tmp_path: Path
) -> None:
    path = write_cache(OLD, tmp_path)
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    fail_page_3 = lambda page, nth: Reply(status=503) if page == 3 else None  # noqa: E731
    with AzureRetailPricesFake(ITEMS, page_size=2, fault=fail_page_3) as az:
        report = refresh_providers(registry, ["azure"], make_ctx(recorder, az.endpoint), cache_directory=tmp_path)

    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir()) == ["azure.json"]  # no temporary file left behind
    result = report.get("azure")
    assert result is not None
    assert not result.ok and result.cache_kept and not result.unavailable
    assert result.fetched_at == "2026-11-01T08:30:00Z"
    assert result.offers_written == 0
    assert result.message == (
        f"azure: GET {az.endpoint} (page 3) failed after 4 attempts: HTTP 503 Service Unavailable; "
        "keeping the cached prices fetched at 2026-11-01T08:30:00Z"
    )
    assert report.unavailable == []  # a failure with a usable cache is not exit 6


def test_a_failure_without_a_cache_is_unavailable(registry: Registry, recorder: Recorder, tmp_path: Path) -> None:
    with AzureRetailPricesFake(ITEMS, fault=lambda page, nth: Reply(status=500)) as az:
        report = refresh_providers(registry, ["azure"], make_ctx(recorder, az.endpoint), cache_directory=tmp_path)
    result = report.get("azure")
    assert result is not None and result.unavailable
    assert [r.provider for r in report.unavailable] == ["azure"]
    assert result.message.endswith("; no cached prices to fall back on")
    assert not cache_path("azure", tmp_path).exists()
    assert RefreshFailed.exit_code == ExitCode.PRICES_UNAVAILABLE


def test_a_corrupt_cache_is_not_usable_and_is_left_alone(
    registry: Registry, recorder: Recorder, tmp_path: Path
) -> None:
    path = cache_path("azure", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{not json")
    with AzureRetailPricesFake(ITEMS, fault=lambda page, nth: Reply(status=500)) as az:
        report = refresh_providers(registry, ["azure"], make_ctx(recorder, az.endpoint), cache_directory=tmp_path)
    result = report.get("azure")
    assert result is not None and result.unavailable
    assert "the cached prices cannot be used" in result.message
    assert path.read_bytes() == b"{not json"


def test_partial_failure_raises_nothing_and_the_others_are_cached(
    registry: Registry, recorder: Recorder, tmp_path: Path
) -> None:
    write_cache(OLD, tmp_path)
    with AzureRetailPricesFake(ITEMS, fault=lambda p, n: Reply(reset=True)) as az, LambdaCloudFake(TYPES) as lam:
        ctx = make_ctx(recorder, endpoints={"azure": az.endpoint, "lambda": lam.url}, max_retries=1)
        report = refresh_providers(registry, ["lambda", "azure"], ctx, cache_directory=tmp_path)
    assert [(r.provider, r.ok) for r in report.results] == [("lambda", True), ("azure", False)]
    assert not report.ok and [r.provider for r in report.failed] == ["azure"] and report.unavailable == []
    assert read_cache("lambda", tmp_path) is not None


def test_an_unknown_provider_is_a_usage_error_with_did_you_mean(registry: Registry, recorder: Recorder) -> None:
    with pytest.raises(UsageError) as caught:
        refresh_providers(registry, ["azur"], make_ctx(recorder))
    assert caught.value.message == "unknown price provider 'azur'"
    assert caught.value.hint == "did you mean 'azure'? providers with a live refresh: azure, lambda"
    with pytest.raises(UsageError, match="has no live price refresh"):
        refresh_providers(registry, ["static"], make_ctx(recorder))


def test_a_plugin_that_misbehaves_is_a_failure_not_a_crash(recorder: Recorder, tmp_path: Path) -> None:
    def broken(ctx: RefreshContext) -> list[Offer]:
        raise KeyError("price")

    def foreign(ctx: RefreshContext) -> list[Offer]:
        return [_fixed_offer("someone-else")]

    def empty(ctx: RefreshContext) -> list[Offer]:
        ctx.skip("zero, negative or missing price", 7)
        return []

    def good(ctx: RefreshContext) -> list[Offer]:
        assert ctx.now() == NOW
        return [_fixed_offer("good", 2.5)]

    registry = Registry()
    for name, fn in [("broken", broken), ("foreign", foreign), ("empty", empty), ("good", good)]:
        registry.add(Provider(name=name, refresh=fn))
    report = refresh_providers(registry, None, make_ctx(recorder), cache_directory=tmp_path, now=lambda: NOW)

    messages = {r.provider: r.message for r in report.results}
    assert messages["broken"] == "broken: refresh failed: KeyError: 'price'; no cached prices to fall back on"
    assert messages["foreign"].startswith("foreign: refresh returned offer 'someone-else/us-east-1/box' of provider")
    assert messages["empty"] == "empty: the price source returned no usable offers; no cached prices to fall back on"
    assert report.get("empty").skipped == {"zero, negative or missing price": 7}  # type: ignore[union-attr]
    assert messages["good"] == "good: 1 offers cached"
    assert [r.provider for r in report.unavailable] == ["broken", "empty", "foreign"]
    good_cache = read_cache("good", tmp_path)
    assert good_cache is not None and good_cache.source == "https://example.invalid/prices"
