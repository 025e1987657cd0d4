"""Azure live refresh against a loopback Retail Prices API (real httpx, real sockets, injected faults)."""

from __future__ import annotations

import math

import httpx
import pytest

from placer.catalog.models import GpuOffer, Price
from placer.providers import azure
from placer.providers.refresh import RefreshFailed
from placer.providers.registry import load_plugins
from servers import AzureRetailPricesFake, Reply
from servers.azure_prices import item
from servers.context import TODAY, Recorder, make_ctx

H100 = "Standard_ND96isr_H100_v5"
A100 = "Standard_NC24ads_A100_v4"
NOTES = "interconnect assumed: ND-series InfiniBand, NC-series ethernet"

ITEMS = [
    item(H100, "eastus", 98.32),
    item(H100, "eastus", 29.5, sku_name="ND96isr H100 v5 Spot"),
    item(H100, "eastus", 110.0, product="Virtual Machines NDisrH100v5 Series Windows"),
    item(A100, "westus2", 3.673),
    item(A100, "westus2", 0.7346, sku_name="NC24ads A100 v4 Low Priority"),
    item(A100, "northeurope", 0.0),
    item(A100, "uksouth", -1.0),
    item(A100, "francecentral", math.nan),
    item("Standard_D4s_v3", "eastus", 0.192),
    item(H100, "germanywestcentral", 90.0, currency="EUR"),
    item(H100, "eastus2", 80.0, kind="DevTestConsumption"),
    item(H100, "westeurope", 105.0),
]


def _offer(
    source: str, region: str, sku: str, accelerator: str, count: int, memory: float, interconnect: str, **usd: float
) -> GpuOffer:
    prices = {
        ("spot" if k == "spot" else "on-demand"): Price(
            usd=v, source=source, as_of=TODAY, basis="list_spot" if k == "spot" else "list"
        )
        for k, v in usd.items()
    }
    return GpuOffer(
        id=f"azure/{region}/{sku.lower()}",
        provider="azure",
        region=region,
        instance=sku,
        accelerator=accelerator,
        accelerators_per_instance=count,
        accelerator_memory_gb=memory,
        interconnect=interconnect,  # type: ignore[arg-type]
        prices=prices,  # type: ignore[arg-type]
        notes=NOTES,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_pages_through_every_page_and_maps_offers_exactly(recorder: Recorder) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=2) as server:
        ctx = make_ctx(recorder, server.endpoint)
        offers = azure.refresh(ctx)

    assert sorted(offers, key=lambda o: o.id) == [
        _offer(server.endpoint, "eastus", H100, "H100", 8, 80.0, "infiniband", on_demand=98.32, spot=29.5),
        _offer(server.endpoint, "westeurope", H100, "H100", 8, 80.0, "infiniband", on_demand=105.0),
        _offer(server.endpoint, "westus2", A100, "A100-80GB-PCIe", 1, 80.0, "ethernet", on_demand=3.673),
    ]
    assert len(server.requests) == 6  # 12 items, 2 a page, each page once
    assert [r.query.get("$skip", ["0"])[0] for r in server.requests] == ["0", "2", "4", "6", "8", "10"]
    # Written like Microsoft's examples: a literal $filter, spaces as %20, quotes and parentheses as they are.
    assert server.requests[0].raw_query.startswith(
        "$filter=serviceName%20eq%20'Virtual%20Machines'%20and%20priceType%20eq%20'Consumption'%20and%20("
    )
    first_filter = server.requests[0].query["$filter"][0]
    assert first_filter.startswith("serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and (")
    assert "armSkuName eq 'Standard_ND96isr_H100_v5'" in first_filter
    assert recorder.progress == [("azure", page, None) for page in range(1, 7)]
    assert recorder.sleeps == []


def test_refused_items_are_counted_and_never_used(recorder: Recorder) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=5) as server:
        ctx = make_ctx(recorder, server.endpoint)
        offers = azure.refresh(ctx)
    assert ctx.skipped == {
        "Windows meter": 1,
        "low-priority meter": 1,
        "zero, negative or missing price": 3,
        "VM size placer does not know": 1,
        "not in USD": 1,
        "not pay-as-you-go (reservation or dev/test)": 1,
    }
    regions = {o.region for o in offers}
    assert regions.isdisjoint({"northeurope", "uksouth", "francecentral", "germanywestcentral", "eastus2"})


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(recorder: Recorder, status: int) -> None:
    fault = Reply.json({"error": "slow down"}, status=status, headers={"Retry-After": "3"})
    with AzureRetailPricesFake(
        ITEMS, page_size=4, fault=lambda page, nth: fault if (page, nth) == (2, 1) else None
    ) as s:
        offers = azure.refresh(make_ctx(recorder, s.endpoint))
    assert recorder.sleeps == [3.0]
    assert len(offers) == 3
    assert len(s.requests) == 4  # page 2 asked twice


def test_retry_after_beyond_the_limit_fails_at_once(recorder: Recorder) -> None:
    fault = Reply.json({}, status=429, headers={"Retry-After": "3600"})
    with AzureRetailPricesFake(ITEMS, fault=lambda page, nth: fault) as s, pytest.raises(RefreshFailed) as caught:
        azure.refresh(make_ctx(recorder, s.endpoint))
    assert "retry after 3600 s (more than the 4 s limit)" in str(caught.value)
    assert recorder.sleeps == []


def test_backoff_doubles_then_fails_after_max_retries(recorder: Recorder) -> None:
    with (
        AzureRetailPricesFake(ITEMS, fault=lambda p, n: Reply(status=503)) as s,
        pytest.raises(RefreshFailed) as caught,
    ):
        azure.refresh(make_ctx(recorder, s.endpoint, max_retries=4, backoff_s=0.5, max_backoff_s=30.0))
    assert recorder.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert len(s.requests) == 5
    assert str(caught.value) == (
        f"azure: GET {s.endpoint} (page 1) failed after 5 attempts: HTTP 503 Service Unavailable"
    )


def test_backoff_is_capped(recorder: Recorder) -> None:
    with AzureRetailPricesFake(ITEMS, fault=lambda page, nth: Reply(status=500)) as s, pytest.raises(RefreshFailed):
        azure.refresh(make_ctx(recorder, s.endpoint, max_retries=5, backoff_s=1.0, max_backoff_s=3.0))
    assert recorder.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_other_4xx_are_not_retried(recorder: Recorder) -> None:
    with (
        AzureRetailPricesFake(ITEMS, fault=lambda page, nth: Reply(status=400)) as s,
        pytest.raises(RefreshFailed, match=r"failed: HTTP 400 Bad Request$"),
    ):
        azure.refresh(make_ctx(recorder, s.endpoint))
    assert len(s.requests) == 1
    assert recorder.sleeps == []


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Reply(status=200, delay_s=1.0), id="timeout"),
        pytest.param(Reply(reset=True), id="connection-reset"),
        pytest.param(Reply(status=500), id="5xx"),
        pytest.param(
            Reply(status=200, body=b'{"Items": [{"armSkuName": "x"}], "NextPageLink": null}' * 3, truncate_at=30),
            id="truncated-body",
        ),
        pytest.param(Reply(status=200, body=b'{"Items": [{"armSkuName": '), id="invalid-json"),
    ],
)
def test_transient_faults_are_retried(recorder: Recorder, fault: Reply) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=6, fault=lambda page, nth: fault if nth == 1 else None) as s:
        offers = azure.refresh(make_ctx(recorder, s.endpoint, timeout_s=0.3))
    assert len(offers) == 3
    assert recorder.sleeps == [0.25, 0.25]  # each of the two pages failed once
    assert len(s.requests) == 4


def test_invalid_json_every_time_fails_with_a_plain_message(recorder: Recorder) -> None:
    bad = Reply(status=200, body=b"<html>maintenance</html>")
    with AzureRetailPricesFake(ITEMS, fault=lambda page, nth: bad) as s, pytest.raises(RefreshFailed) as caught:
        azure.refresh(make_ctx(recorder, s.endpoint, max_retries=1))
    assert str(caught.value) == (
        f"azure: GET {s.endpoint} (page 1) failed after 2 attempts: "
        "the response is not valid JSON (JSONDecodeError at byte 0)"
    )


def test_a_failure_mid_pagination_fails_the_whole_refresh(recorder: Recorder) -> None:
    with (
        AzureRetailPricesFake(
            ITEMS, page_size=2, fault=lambda page, nth: Reply(status=502) if page == 3 else None
        ) as s,
        pytest.raises(RefreshFailed, match=r"\(page 3\) failed after 4 attempts: HTTP 502"),
    ):
        azure.refresh(make_ctx(recorder, s.endpoint))
    assert recorder.progress == [("azure", 1, None), ("azure", 2, None)]


def test_a_next_page_link_to_another_host_is_refused(recorder: Recorder) -> None:
    page = {"Items": [], "NextPageLink": "https://elsewhere.example/api/retail/prices?$skip=100"}
    with (
        AzureRetailPricesFake(ITEMS, fault=lambda p, nth: Reply.json(page)) as s,
        pytest.raises(RefreshFailed, match=r"page 1 of .* is malformed: NextPageLink points elsewhere"),
    ):
        azure.refresh(make_ctx(recorder, s.endpoint))


def test_regions_limit_the_query_and_the_offers(recorder: Recorder) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=20) as s:
        offers = azure.refresh(make_ctx(recorder, s.endpoint, regions=["eastus"]))
    assert s.requests[0].query["$filter"][0].endswith(" and (armRegionName eq 'eastus')")
    assert [o.id for o in offers] == ["azure/eastus/standard_nd96isr_h100_v5"]


def test_an_injected_client_is_used_and_left_open(recorder: Recorder) -> None:
    with AzureRetailPricesFake(ITEMS, page_size=20) as s, httpx.Client(trust_env=False) as client:
        offers = azure.refresh(make_ctx(recorder, s.endpoint, http_client=client))
        assert not client.is_closed
    assert len(offers) == 3


def test_registered_through_the_entry_point() -> None:
    registry = load_plugins(only={"azure"})
    provider = registry.get("azure")
    assert provider is not None
    assert provider.refresh is azure.refresh
