"""`placer catalog refresh` end to end: the real CLI against a loopback Azure Retail Prices server."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_placer

from servers import AzureRetailPricesFake, Reply
from servers.azure_prices import item

ITEMS = [
    item("Standard_ND96isr_H100_v5", "eastus", 98.32),
    item("Standard_ND96isr_H100_v5", "westeurope", 105.1),
    item("Standard_NC24ads_A100_v4", "eastus", 3.673),
]


def refresh(endpoint: str, cache: Path) -> object:
    return run_placer(
        "catalog", "refresh", "azure", "--endpoint", f"azure={endpoint}", "--retries", "1", "--timeout", "5",
        env={"PLACER_PLUGINS": "azure", "PLACER_CACHE_DIR": str(cache)},
    )  # fmt: skip


def test_refresh_caches_prices_that_plans_then_use(tmp_path: Path):
    with AzureRetailPricesFake(ITEMS, page_size=2) as server:
        done = refresh(server.endpoint, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "azure: 3 offers cached"
    listed = run_placer(
        "catalog", "show", "azure/westeurope/standard_nd96isr_h100_v5", "--format", "json",
        env={"PLACER_PLUGINS": "azure", "PLACER_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "105.1" in listed.stdout


def test_failed_refresh_keeps_the_cache_byte_identical_and_says_so(tmp_path: Path):
    with AzureRetailPricesFake(ITEMS, page_size=2) as server:
        assert refresh(server.endpoint, tmp_path).returncode == 0
    cache = tmp_path / "prices" / "azure.json"
    before = cache.read_bytes()

    def fail_page_2(page: int, nth: int) -> Reply | None:
        return Reply.json({"Error": {"Code": "ServiceUnavailable"}}, status=503) if page == 2 else None

    with AzureRetailPricesFake(ITEMS, page_size=2, fault=fail_page_2) as server:
        done = refresh(server.endpoint, tmp_path)
    assert done.returncode == 0  # an older usable cache remains
    assert cache.read_bytes() == before
    assert "placer: warning: azure: refresh failed:" in done.stderr
    assert "HTTP 503" in done.stderr
    assert "keeping the cached prices fetched at" in done.stderr


def test_failed_refresh_without_a_cache_exits_6(tmp_path: Path):
    def always_503(page: int, nth: int) -> Reply | None:
        return Reply.json({}, status=503)

    with AzureRetailPricesFake(ITEMS, fault=always_503) as server:
        done = refresh(server.endpoint, tmp_path)
    assert done.returncode == 6
    assert "no cached prices to fall back on" in done.stderr
    assert not (tmp_path / "prices" / "azure.json").exists()


def test_example_plugin_offers_are_listed():
    done = run_placer("catalog", "list", "--provider", "acme", "--format", "json", env={"PLACER_PLUGINS": "acme"})
    assert done.returncode == 0, done.stderr
    assert "acme/us-central/h100x8" in done.stdout
