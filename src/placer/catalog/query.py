"""Selecting and looking up offers for ``placer catalog list`` and ``show``.

Filters match the way the planner does: an accelerator name covers its family ("A100" → A100-80GB, A100-40GB…),
providers compare case-insensitively, region patterns (fnmatch) match the region, "provider/region" or its geo.
Prices compare per accelerator-hour for GPU offers (on-demand unless ``pricing`` says otherwise, else the cheapest),
per hour for Macs (the cheapest plan's hourly equivalent), and per million output tokens for APIs — which is why
``max_price`` leaves API offers out unless ``kind`` is ``api``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from placer.catalog.index import CatalogIndex
from placer.catalog.models import HOURS_PER_UNIT, ApiOffer, Catalog, GpuOffer, MacOffer, Price, PricingModel
from placer.errors import CatalogError, UsageError

AnyOffer = GpuOffer | ApiOffer | MacOffer
Kind = Literal["gpu", "mac", "api"]


@dataclass(frozen=True)
class OfferQuery:
    accelerators: tuple[str, ...] = ()  # any of these (family match)
    providers: tuple[str, ...] = ()  # any of these, case-insensitive
    regions: tuple[str, ...] = ()  # fnmatch patterns, any of them
    kind: Kind | None = None
    pricing: PricingModel | None = None  # GPU offers with this price, compared on it
    max_price: float | None = None  # USD per accelerator-hour (GPU), per hour (Mac), per M output tokens (API)


@dataclass(frozen=True)
class PricedItem:
    """One price of an offer: a pricing model (GPU), a plan (Mac) or a token side (API)."""

    key: str  # "on-demand", "hour", "input"…
    unit: str  # "instance-hour", "month", "M input tokens"…
    price: Price


@dataclass(frozen=True)
class Headline:
    """The price an offer is listed, filtered and sorted by."""

    item: PricedItem
    usd_per_instance_hour: float | None  # GPU and Mac (hourly equivalent); None for APIs
    usd_per_accelerator_hour: float | None
    compare_usd: float  # what max_price and sorting use


def priced_items(offer: AnyOffer) -> list[PricedItem]:
    """Every price of an offer, keyed so that two catalogs can be compared price by price."""
    if isinstance(offer, GpuOffer):
        return [PricedItem(k, "instance-hour", p) for k, p in sorted(offer.prices.items())]
    if isinstance(offer, MacOffer):
        units = [p.unit for p in offer.plans]
        return [
            PricedItem(
                p.unit if units.count(p.unit) == 1 else f"{p.unit} (min {p.min_lease_hours:g} h)", p.unit, p.price
            )
            for p in offer.plans
        ]
    return [
        PricedItem("input", "M input tokens", offer.input_usd_per_mtok),
        PricedItem("output", "M output tokens", offer.output_usd_per_mtok),
    ]


def headline(offer: AnyOffer, pricing: PricingModel | None = None) -> Headline | None:
    """None when the offer has no price of the requested ``pricing``."""
    if isinstance(offer, GpuOffer):
        if pricing is not None or "on-demand" in offer.prices:
            key = pricing or "on-demand"
            if key not in offer.prices:
                return None
        else:
            key = min(offer.prices, key=lambda k: (offer.prices[k].usd, k))
        price = offer.prices[key]
        per_accel = price.usd / offer.accelerators_per_instance
        return Headline(PricedItem(key, "instance-hour", price), price.usd, per_accel, per_accel)
    if pricing is not None:
        return None
    if isinstance(offer, MacOffer):
        plan = min(offer.plans, key=lambda p: (p.price.usd / HOURS_PER_UNIT[p.unit], p.unit))
        hourly = plan.price.usd / HOURS_PER_UNIT[plan.unit]
        return Headline(PricedItem(plan.unit, plan.unit, plan.price), hourly, hourly, hourly)
    out = offer.output_usd_per_mtok
    return Headline(PricedItem("output", "M output tokens", out), None, None, out.usd)


def _hardware(offer: AnyOffer) -> str | None:
    if isinstance(offer, GpuOffer):
        return offer.accelerator
    if isinstance(offer, MacOffer):
        return offer.chip
    return None


def _resolve(query: OfferQuery, index: CatalogIndex) -> tuple[set[str] | None, set[str] | None]:
    hardware: set[str] | None = None
    if query.accelerators:
        hardware = set()
        for name in query.accelerators:
            found = index.hardware_matching(name)
            if not found:
                guess = index.suggest(name, list(index.catalog.hardware))
                raise UsageError(
                    f"--accelerator {name}: no such accelerator in the catalog",
                    hint=f"did you mean {guess!r}?" if guess else f"known: {', '.join(sorted(index.catalog.hardware))}",
                )
            hardware.update(found)
    providers: set[str] | None = None
    if query.providers:
        providers = set()
        for name in query.providers:
            if name.lower() not in index.providers:
                guess = index.suggest(name, sorted(index.providers))
                raise UsageError(
                    f"--provider {name}: no offers from this provider",
                    hint=f"did you mean {guess!r}?" if guess else f"providers: {', '.join(sorted(index.providers))}",
                )
            providers.add(name.lower())
    for pattern in query.regions:
        if not index.pattern_matches_anything(pattern):
            guess = index.suggest(pattern, index.region_names())
            raise UsageError(
                f"--region {pattern}: matches no region",
                hint=f"did you mean {guess!r}?" if guess else "regions match on name, provider/name or geo (us-east)",
            )
    return hardware, providers


def select_offers(catalog: Catalog, query: OfferQuery) -> list[tuple[AnyOffer, Headline]]:
    """The offers the query keeps, with their headline price, sorted by price (hourly ones first), then id."""
    index = CatalogIndex(catalog)
    hardware, providers = _resolve(query, index)
    rows: list[tuple[AnyOffer, Headline]] = []
    for offer in catalog.offers:
        if query.kind is not None and offer.kind != query.kind:
            continue
        if providers is not None and offer.provider not in providers:
            continue
        if hardware is not None and _hardware(offer) not in hardware:
            continue
        if query.regions and not index.region_matches(list(query.regions), offer.provider, offer.region):
            continue
        head = headline(offer, query.pricing)
        if head is None:
            continue
        if query.max_price is not None:
            if isinstance(offer, ApiOffer) and query.kind != "api":
                continue
            if head.compare_usd > query.max_price:
                continue
        rows.append((offer, head))
    rows.sort(key=lambda r: (isinstance(r[0], ApiOffer), r[1].compare_usd, r[0].id))
    return rows


def find_offer(catalog: Catalog, offer_id: str) -> AnyOffer:
    """The offer with this id; an unknown id is a CatalogError (exit 3) with a did-you-mean."""
    for offer in catalog.offers:
        if offer.id == offer_id:
            return offer
    ids = [o.id for o in catalog.offers]
    tail = [i for i in ids if i.rsplit("/", 1)[-1] == offer_id or i.lower() == offer_id.lower()]
    if not tail:
        tail = difflib.get_close_matches(offer_id, ids, n=1, cutoff=0.6)
    if len(tail) == 1:
        hint: str | None = f"did you mean {tail[0]!r}?"
    elif tail:
        shown = ", ".join(tail[:5]) + (f" (and {len(tail) - 5} more)" if len(tail) > 5 else "")
        hint = f"did you mean one of: {shown}?"
    else:
        hint = "`placer catalog list` shows every offer id"
    raise CatalogError(f"no offer {offer_id!r} in the catalog", hint=hint)
