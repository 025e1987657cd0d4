"""Moving the data to the compute: the source provider's egress tiers, and the hours the copy takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from placer.catalog.models import EgressTier

TRANSFER_GBIT_PER_S = 10.0  # sustained cross-cloud copy rate (assumption)


@dataclass(frozen=True)
class Egress:
    usd: float
    hours: float
    tier: str


def tiered_usd(size_gb: float, tiers: Sequence[EgressTier]) -> float:
    """Charge each GB at the rate of the tier it falls in (tiers sorted by ``from_gb``)."""
    usd = 0.0
    for tier in tiers:
        top = tier.to_gb if tier.to_gb is not None else float("inf")
        span = max(0.0, min(size_gb, top) - tier.from_gb)
        usd += span * tier.usd_per_gb
    return usd


def transfer_hours(size_gb: float) -> float:
    return size_gb * 8 / TRANSFER_GBIT_PER_S / 3600


def egress(
    size_gb: float,
    same_region: bool,
    same_provider: bool,
    internet: Sequence[EgressTier],
    inter_region: Sequence[EgressTier],
) -> Egress:
    if size_gb <= 0 or same_region:
        return Egress(0.0, 0.0, "data is in the same region: no egress")
    if same_provider and inter_region:
        rate = inter_region[0]
        return Egress(
            size_gb * rate.usd_per_gb,
            transfer_hours(size_gb),
            f"inter-region transfer at ${rate.usd_per_gb:g}/GB",
        )
    if not internet:
        return Egress(0.0, transfer_hours(size_gb), "no egress price known for the data's provider")
    usd = tiered_usd(size_gb, internet)
    assumed = " (assumed rate)" if any(t.assumption for t in internet) else ""
    return Egress(usd, transfer_hours(size_gb), f"internet egress tiers of {internet[0].provider}{assumed}")
