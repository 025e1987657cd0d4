"""ACME Cloud: an example placer provider plugin (a rate card of H100 nodes in one region)."""

from __future__ import annotations

from placer.catalog.models import GpuOffer, Price, Region
from placer.providers.registry import Provider, Registry

RATE_CARD = "https://example.com/acme/rate-card (example plugin; not a real provider)"

REGION = Region(key="acme/us-central", geo="us-central", lat=41.26, lon=-95.94, label="ACME Cloud Omaha")

OFFERS = (
    GpuOffer(
        id="acme/us-central/h100x8",
        provider="acme",
        region="us-central",
        instance="h100x8",
        accelerator="H100",
        accelerators_per_instance=8,
        accelerator_memory_gb=80,
        interconnect="infiniband",
        max_instances=32,
        prices={"on-demand": Price(usd=34.0, source=RATE_CARD, as_of="2026-11-01")},
    ),
)


def register(registry: Registry) -> None:
    registry.add(
        Provider(name="acme", description="ACME Cloud (example plugin)", offers=OFFERS, regions={REGION.key: REGION})
    )
