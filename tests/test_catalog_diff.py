"""Catalog diffs on hand-built catalogs: exact deltas in USD and per cent, added and removed offers, determinism."""

from __future__ import annotations

import json
from typing import Any

import pytest

from placer.catalog.diff import CatalogDiff, diff_catalogs
from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer
from placer.render.catalog_view import diff_json


def price(usd: float, as_of: str = "2026-01-01", **extra: Any) -> dict[str, Any]:
    return {"usd": usd, "source": "test", "as_of": as_of, **extra}


def gpu(offer_id: str, **prices: float) -> dict[str, Any]:
    return {
        "kind": "gpu",
        "id": offer_id,
        "provider": "acme",
        "region": "r1",
        "instance": offer_id.rsplit("/", 1)[-1],
        "accelerator": "H100",
        "accelerators_per_instance": 8,
        "accelerator_memory_gb": 80,
        "interconnect": "infiniband",
        "prices": {k.replace("_", "-"): price(v) for k, v in prices.items()},
    }


def mac(offer_id: str, **plans: float) -> dict[str, Any]:
    return {
        "kind": "mac",
        "id": offer_id,
        "provider": "acme",
        "region": "r1",
        "instance": "mini",
        "chip": "M4",
        "plans": [{"unit": u, "price": price(v), "min_lease_hours": 24} for u, v in plans.items()],
    }


def api(offer_id: str, usd_in: float, usd_out: float) -> dict[str, Any]:
    return {
        "kind": "api",
        "id": offer_id,
        "provider": "acme",
        "region": "r1",
        "model": "llm",
        "provider_model": "llm-1",
        "input_usd_per_mtok": price(usd_in),
        "output_usd_per_mtok": price(usd_out),
        "ttft_ms": 300,
        "output_tokens_per_s": 50,
        "performance_assumption": "test",
    }


def catalog(as_of: str, *offers: dict[str, Any]) -> Catalog:
    return Catalog.model_validate(
        {
            "as_of": as_of,
            "offers": list(offers),
            "hardware": {
                "H100": {"name": "H100", "vendor": "nvidia", "memory_gb": 80, "source": "t", "as_of": "2026"},
                "M4": {"name": "M4", "vendor": "apple", "memory_gb": 16, "source": "t", "as_of": "2026"},
            },
            "regions": {"acme/r1": {"key": "acme/r1", "geo": "us-east", "lat": 39, "lon": -77, "label": "R1"}},
            "rtt_model": {"route_factor": 1.5, "constant_ms": 5, "source": "t"},
        }
    )


OLD = catalog(
    "2026-01-01",
    gpu("acme/r1/a", on_demand=10.0, spot=4.0),
    gpu("acme/r1/gone", on_demand=7.0),
    gpu("acme/r1/same", on_demand=3.0),
    mac("acme/r1/mac", hour=1.2, month=150.0),
    api("acme/llm", 3.0, 15.0),
)
NEW = catalog(
    "2026-02-01",
    gpu("acme/r1/a", on_demand=12.5, reserved=6.0),
    gpu("acme/r1/same", on_demand=3.0),
    gpu("acme/r1/new", on_demand=9.0),
    mac("acme/r1/mac", hour=1.2, month=120.0),
    api("acme/llm", 2.4, 15.0),
    gpu("acme/r1/b-new", on_demand=1.0),
)


@pytest.fixture(scope="module")
def diff() -> CatalogDiff:
    return diff_catalogs(OLD, NEW)


def test_added_and_removed_sorted(diff: CatalogDiff):
    assert [r.id for r in diff.added] == ["acme/r1/b-new", "acme/r1/new"]
    assert [r.id for r in diff.removed] == ["acme/r1/gone"]
    assert diff.removed[0].model_dump() == {"id": "acme/r1/gone", "kind": "gpu", "provider": "acme", "region": "r1"}
    assert (diff.old_as_of, diff.new_as_of, diff.old_offers, diff.new_offers) == ("2026-01-01", "2026-02-01", 5, 6)


def test_price_changes_exact(diff: CatalogDiff):
    rows = [(c.offer, c.key, c.unit, c.old_usd, c.new_usd, c.delta_usd, c.delta_pct) for c in diff.price_changes]
    assert rows == [
        ("acme/llm", "input", "M input tokens", 3.0, 2.4, pytest.approx(-0.6), pytest.approx(-20.0)),
        ("acme/r1/a", "on-demand", "instance-hour", 10.0, 12.5, 2.5, 25.0),
        ("acme/r1/a", "reserved", "instance-hour", None, 6.0, None, None),  # a new pricing
        ("acme/r1/a", "spot", "instance-hour", 4.0, None, None, None),  # a pricing that went away
        ("acme/r1/mac", "month", "month", 150.0, 120.0, -30.0, -20.0),
    ]


def test_dates_travel_with_changes(diff: CatalogDiff):
    first = diff.price_changes[1]
    assert (first.old_as_of, first.new_as_of) == ("2026-01-01", "2026-01-01")
    added = diff.price_changes[2]
    assert (added.old_as_of, added.new_as_of) == (None, "2026-01-01")


def test_identical_catalogs_have_an_empty_diff():
    same = diff_catalogs(OLD, OLD)
    assert same.empty
    assert (same.added, same.removed, same.price_changes) == ([], [], [])


def test_zero_old_price_has_no_percentage():
    zero = {"usd": 0.0, "source": "pool", "as_of": "2026", "basis": "zero-marginal"}
    old = catalog("2026", {**gpu("acme/r1/pool", on_demand=1.0), "prices": {"on-demand": zero}, "max_instances": 4})
    new = catalog("2026", gpu("acme/r1/pool", on_demand=2.0))
    (change,) = diff_catalogs(old, new).price_changes
    assert (change.old_usd, change.new_usd, change.delta_usd, change.delta_pct) == (0.0, 2.0, 2.0, None)


def test_mac_plans_with_the_same_unit_are_told_apart():
    two = mac("acme/r1/m", hour=1.0)
    two["plans"].append({"unit": "hour", "price": price(0.8), "min_lease_hours": 720})
    changed = mac("acme/r1/m", hour=1.0)
    changed["plans"].append({"unit": "hour", "price": price(0.7), "min_lease_hours": 720})
    (change,) = diff_catalogs(catalog("2026", two), catalog("2026", changed)).price_changes
    assert change.key == "hour (min 720 h)"
    assert change.delta_usd == pytest.approx(-0.1)


def test_diff_renders_to_deterministic_json(diff: CatalogDiff):
    text = diff_json(diff)
    assert text == diff_json(diff_catalogs(OLD, NEW))
    data = json.loads(text)
    assert set(data) == {
        "schema_version",
        "old_as_of",
        "new_as_of",
        "old_offers",
        "new_offers",
        "added",
        "removed",
        "price_changes",
    }
    assert data["price_changes"][0] == {
        "offer": "acme/llm",
        "kind": "api",
        "key": "input",
        "unit": "M input tokens",
        "old_usd": 3.0,
        "new_usd": 2.4,
        "delta_usd": -0.6,  # rounded in JSON: no float noise
        "delta_pct": -20.0,
        "old_as_of": "2026-01-01",
        "new_as_of": "2026-01-01",
    }


def test_offers_are_the_models_used(diff: CatalogDiff):
    kinds = {type(o) for o in NEW.offers}
    assert kinds == {GpuOffer, MacOffer, ApiOffer}
    assert {c.kind for c in diff.price_changes} == {"gpu", "mac", "api"}
