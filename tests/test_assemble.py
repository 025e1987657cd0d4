"""The effective catalog: cached live prices merge over the base, bad caches are reported, stale prices warned."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import MINI_CATALOG, ROOT, run_placer

from placer.catalog.assemble import (
    CatalogSource,
    apply_cached_prices,
    assemble_catalog,
    freshness_warnings,
    future_dated_warnings,
    median_price_date,
)
from placer.catalog.cache import CachedPrices, cache_path, read_cache, write_cache
from placer.catalog.models import Catalog, GpuOffer, Price

CATALOG = Catalog.model_validate_json(MINI_CATALOG.read_text())
P5 = "aws/us-east-1/p5.48xlarge"


def fresh_p5(usd: float, region: str = "us-east-1") -> GpuOffer:
    base = next(o for o in CATALOG.offers if o.id == P5)
    assert isinstance(base, GpuOffer)
    price = Price(usd=usd, source="https://pricing.us-east-1.amazonaws.com (test)", as_of="2026-11-20")
    return base.model_copy(update={"id": f"aws/{region}/p5.48xlarge", "region": region, "prices": {"on-demand": price}})


def test_cached_prices_update_known_offers_and_keep_other_pricing():
    cached = CachedPrices("aws", "2026-11-20T08:00:00Z", "test", [fresh_p5(50.0)])
    merged, used, skipped = apply_cached_prices(CATALOG, cached)
    p5 = next(o for o in merged.offers if o.id == P5)
    before = next(o for o in CATALOG.offers if o.id == P5)
    assert isinstance(p5, GpuOffer) and isinstance(before, GpuOffer)
    assert p5.prices["on-demand"].usd == 50.0
    assert {k: v for k, v in p5.prices.items() if k != "on-demand"} == {
        k: v for k, v in before.prices.items() if k != "on-demand"
    }
    assert (used, skipped) == (1, 0)


def test_cached_offers_in_unknown_regions_are_skipped_and_counted():
    cached = CachedPrices("aws", "2026-11-20T08:00:00Z", "test", [fresh_p5(50.0, region="mars-north-1")])
    merged, used, skipped = apply_cached_prices(CATALOG, cached)
    assert (used, skipped) == (0, 1)
    assert len(merged.offers) == len(CATALOG.offers)


def test_cache_round_trip_is_atomic_and_byte_stable(tmp_path: Path):
    entry = CachedPrices("aws", "2026-11-20T08:00:00Z", "test", [fresh_p5(50.0)])
    path = write_cache(entry, tmp_path)
    first = path.read_bytes()
    write_cache(entry, tmp_path)
    assert path.read_bytes() == first
    assert read_cache("aws", tmp_path) == entry
    assert [p.name for p in path.parent.iterdir()] == ["aws.json"]  # no temp files left behind


def test_live_cache_is_used_by_plans_and_reported_as_a_source(tmp_path: Path):
    write_cache(CachedPrices("aws", "2026-11-20T08:00:00Z", "test", [fresh_p5(1.0)]), tmp_path)
    assembled = assemble_catalog([], plugins={"aws"}, cache_directory=tmp_path)
    assert any(s.kind == "live" and s.as_of == "2026-11-20" and s.offers == 1 for s in assembled.sources)
    assert next(o for o in assembled.catalog.offers if o.id == P5).prices["on-demand"].usd == 1.0  # type: ignore[union-attr]


def test_corrupt_cache_is_reported_and_ignored(tmp_path: Path):
    path = cache_path("aws", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"schema_version": 1, "provider": "aws", "offers": [{"kind": "gpu"')
    warnings: list[str] = []
    assembled = assemble_catalog([], plugins={"aws"}, cache_directory=tmp_path, warn=warnings.append)
    assert warnings and warnings[0].startswith("ignoring the aws price cache:")
    assert [s.kind for s in assembled.sources] == ["embedded"]


def test_a_pinned_snapshot_ignores_local_caches_and_plugins(tmp_path: Path):
    write_cache(CachedPrices("aws", "2026-11-20T08:00:00Z", "test", [fresh_p5(1.0)]), tmp_path)
    assembled = assemble_catalog([MINI_CATALOG], plugins={"aws", "acme"}, cache_directory=tmp_path)
    assert assembled.catalog == CATALOG  # byte for byte what was pinned, on every machine
    assert [s.kind for s in assembled.sources] == ["snapshot"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-01", []),
        ("2026-09-01", ["old: prices are 82 days old (as of 2026-09-01; the limit is 45 days)"]),
        ("unknown", ["old: prices have no known date"]),
    ],
)
def test_freshness_warnings(as_of: str, expected: list[str]):
    warnings = freshness_warnings([CatalogSource("old", "embedded", as_of, 1)], date(2026, 11, 22), 45)
    assert [w.split(": run")[0] for w in warnings] == expected


def _dated(*days: str) -> Catalog:
    """The mini catalog with one more P5 per date given."""
    extra = []
    for i, day in enumerate(days):
        offer = fresh_p5(10.0, f"test-{i}")
        extra.append(
            offer.model_copy(
                update={"prices": {"on-demand": offer.prices["on-demand"].model_copy(update={"as_of": day})}}
            )
        )
    return CATALOG.model_copy(update={"offers": [*CATALOG.offers, *extra]})


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ((), []),
        (("2026-11-23",), []),  # tomorrow: a day's grace for time zones
        (("2026-11-24",), ["1 price is dated after tomorrow (the latest 2026-11-24)"]),
        (("2027-01", "9999-12-31", "2026-12-01"), ["3 prices are dated after tomorrow (the latest 9999-12-31)"]),
    ],
)
def test_prices_dated_after_tomorrow_are_warned_of_once(days: tuple[str, ...], expected: list[str]):
    warnings = future_dated_warnings(_dated(*days), date(2026, 11, 22))
    assert [w.split(": a typo")[0] for w in warnings] == expected


def test_plan_warns_of_a_user_catalog_dated_in_the_future(tmp_path: Path):
    text = (ROOT / "examples" / "catalogs" / "acme.yaml").read_text()
    future = tmp_path / "future.yaml"
    future.write_text(text.replace("as_of: 2026-11-01", "as_of: 9999-12-31"))
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--catalog", str(future), "-f", "json")
    assert done.returncode == 0, done.stderr
    warnings = json.loads(done.stdout)["warnings"]
    assert any(w.startswith("3 prices are dated after tomorrow (the latest 9999-12-31)") for w in warnings), warnings


def test_plan_reports_sources_dated_by_their_prices_and_warns_past_the_age_limit():
    median = median_price_date(CATALOG.offers)
    assert median == "2026-08-21"  # the catalog was built 2026-11-22, but its prices are older
    done = run_placer(
        "plan", "profiles/ios-app-ci.yaml", "--format", "json", "--max-age-days", "30", "--catalog", str(MINI_CATALOG)
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["catalog"]["sources"] == [
        {"name": str(MINI_CATALOG), "kind": "snapshot", "as_of": median, "offers": 20}
    ]
    assert any(
        w.startswith(f"{MINI_CATALOG}: prices are ") and "(as of 2026-08-21; the limit is 30 days)" in w
        for w in plan["warnings"]
    )
