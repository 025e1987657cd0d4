"""What every placement kind shares: rejections, pricing options, place lookups, egress, price notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from placer.catalog.index import CatalogIndex
from placer.catalog.models import ApiOffer, GpuOffer, MacOffer, Price, PricingModel, Region
from placer.estimate.egress import Egress, egress
from placer.plan import Cost, DetailValue, Latency, Placement, Time
from placer.profile import Constraints

AnyOffer = GpuOffer | ApiOffer | MacOffer


class Rejected(Exception):
    """An offer cannot serve the workload; ``reason`` is shown to the user, ``code`` groups reasons."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Context:
    index: CatalogIndex
    data_region: Region | None
    data_size_gb: float
    user_regions: tuple[Region, ...] = ()


def pricing_options(offer: GpuOffer, constraints: Constraints) -> list[PricingModel]:
    wanted: list[PricingModel]
    if constraints.spot == "only":
        wanted = ["spot"]
    else:
        wanted = ["on-demand"]
        if constraints.spot == "allow":
            wanted.append("spot")
        if constraints.reserved == "allow":
            wanted.append("reserved")
    options = [p for p in wanted if p in offer.prices]
    if not options:
        have = ", ".join(sorted(offer.prices))
        raise Rejected(f"no {' or '.join(wanted)} price (offer has {have})", "pricing")
    return options


def price_notes(offer_id: str, price: Price, what: str) -> list[str]:
    notes = []
    if price.assumption:
        notes.append(f"{what} for {offer_id} is an assumption: {price.assumption}")
    if price.as_of == "unknown":
        notes.append(f"{what} for {offer_id} has no known date ({price.source})")
    return notes


def region_notes(ctx: Context, offer: AnyOffer) -> list[str]:
    info = ctx.index.catalog.region_of(offer)
    return [f"region: {info.assumption}"] if info is not None and info.assumption else []


def data_egress(ctx: Context, offer: AnyOffer) -> Egress | None:
    """Egress for copying the profile's data to the offer once; None when the profile has no data."""
    src = ctx.data_region
    if src is None:
        return None
    provider = src.key.split("/", 1)[0]
    here = ctx.index.catalog.region_of(offer)
    same_region = here is not None and here.key == src.key
    return egress(
        ctx.data_size_gb,
        same_region,
        provider == offer.provider,
        ctx.index.egress_tiers(provider, "internet"),
        ctx.index.egress_tiers(provider, "inter-region"),
    )


def user_rtt(ctx: Context, offer: AnyOffer) -> tuple[float, float, bool]:
    """(p50, p95, all measured): p50 is the mean over user regions, p95 the worst region."""
    here = ctx.index.catalog.region_of(offer)
    if here is None or not ctx.user_regions:
        return 0.0, 0.0, False
    rtts = [ctx.index.rtt(user, here) for user in ctx.user_regions]
    values = [r.ms for r in rtts]
    return sum(values) / len(values), max(values), all(r.measured for r in rtts)


def gpu_placement(
    offer: GpuOffer,
    pricing: PricingModel,
    *,
    accelerators: int,
    instances: int,
    compute_usd: float,
    moved: Egress | None,
    period: Literal["run", "month"],
    time: Time,
    latency: Latency,
    details: dict[str, DetailValue],
    notes: list[str],
) -> Placement:
    """A placement on a GPU offer; copying the data there (if any) adds egress to the cost and a note."""
    egress_usd = moved.usd if moved else 0.0
    if moved is not None:
        notes = [*notes, f"data: {moved.tier}; copy takes {moved.hours:.1f} h"]
    return Placement(
        offer=offer.id,
        provider=offer.provider,
        region=offer.region,
        instance=offer.instance,
        accelerator=offer.accelerator,
        accelerator_count=accelerators,
        instances=instances,
        pricing=pricing,
        cost=Cost(total_usd=compute_usd + egress_usd, compute_usd=compute_usd, egress_usd=egress_usd, period=period),
        time=time,
        latency=latency,
        details=details,
        assumptions=notes,
    )
