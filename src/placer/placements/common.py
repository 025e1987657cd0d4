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

    def kept(self) -> Rejected:
        """This, to be kept as a value: without its traceback and the exception it replaced, which hold the frames
        it went through, the frame that keeps it among them (a cycle only the garbage collector frees)."""
        self.__traceback__ = None
        self.__context__ = None
        return self


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


CAVEAT = "price caveat: "  # notes that start with this become warnings when their placement is chosen
ASSUMED = "is an assumption"
STALE_MONTHS = 12
_BASIS_WORDS = {
    "from_price": "a 'from' price (the lowest advertised; preemptible prices can change every few minutes)",
    "community": "a RunPod Community Cloud price (third-party hosts, no SLA)",
    "market_snapshot": "a spot-market snapshot",
    "market_snapshot_range_across_AZs": "the low end of a spot-market snapshot across zones",
    "zero-marginal": "zero: a private pool already paid for (its capacity, not money, is the limit)",
}


def _months(as_of: str) -> int | None:
    parts = as_of.split("-")
    if not parts[0].isdigit():
        return None
    return int(parts[0]) * 12 + (int(parts[1]) if len(parts) > 1 else 1)


def price_notes(offer_id: str, price: Price, what: str, catalog_as_of: str) -> list[str]:
    """Caveats a user must see before trusting a price: assumed, undated, not a list price, or old."""
    notes = []
    if price.assumption:
        notes.append(f"{CAVEAT}{what} for {offer_id} {ASSUMED}: {price.assumption}")
    if price.original and "converted" in price.original:
        notes.append(f"{what} for {offer_id}: {price.original}")
    if price.basis in _BASIS_WORDS:
        notes.append(f"{CAVEAT}{what} for {offer_id} is {_BASIS_WORDS[price.basis]}")
    if price.as_of == "unknown":
        notes.append(f"{CAVEAT}{what} for {offer_id} has no known date ({price.source})")
    else:
        age, now = _months(price.as_of), _months(catalog_as_of)
        if age is not None and now is not None and now - age > STALE_MONTHS:
            notes.append(
                f"{CAVEAT}{what} for {offer_id} dates from {price.as_of}, {now - age} months before the catalog"
            )
    return notes


def is_assumed(placement: Placement) -> bool:
    return any(note.startswith(CAVEAT) and ASSUMED in note for note in placement.assumptions)


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
        once = "; a one-off copy, counted in full in this month's cost" if period == "month" and moved.usd else ""
        notes = [*notes, f"data: {moved.tier}; copy takes {moved.hours:.1f} h{once}"]
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
