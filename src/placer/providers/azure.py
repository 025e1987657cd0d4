"""Azure: live GPU VM list prices from the Azure Retail Prices API (public, no authentication, paged).

``GET https://prices.azure.com/api/retail/prices?$filter=...`` answers
``{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items": [...], "NextPageLink", "Count"}`` with
at most 100 items a page; ``NextPageLink`` is the absolute URL of the next page, null on the last. Each item has
``currencyCode, retailPrice, unitPrice, armRegionName, location, effectiveStartDate, meterId, meterName,
productId, skuId, productName, skuName, serviceName, serviceFamily, unitOfMeasure, type, isPrimaryMeterRegion,
armSkuName`` (learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices). Windows meters
have a product name ending in " Windows"; spot and low-priority meters a SKU name ending in " Spot" and
" Low Priority"; ``type`` is Consumption, DevTestConsumption or Reservation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from placer.catalog.models import GpuOffer, Interconnect, Offer, Price, PricingModel
from placer.providers.refresh import RefreshContext, RefreshFailed, safe_url, usable_usd
from placer.providers.registry import Provider, Registry

if TYPE_CHECKING:
    import httpx

NAME = "azure"
DEFAULT_URL = "https://prices.azure.com/api/retail/prices"
MAX_PAGES = 500  # a safety stop: the GPU filter yields a few dozen pages at most
NOTES = "interconnect assumed: ND-series InfiniBand, NC-series ethernet"


@dataclass(frozen=True)
class _Sku:
    accelerator: str  # key into Catalog.hardware
    count: int
    memory_gb: float
    interconnect: Interconnect
    note: str | None = None


_H100_NVL = "H100 NVL (94 GB) priced with the H100-PCIe hardware figures (conservative)"

# The GPU VM sizes placer knows, by armSkuName. ND = InfiniBand-connected scale-out sizes, NC = ethernet.
SKUS: dict[str, _Sku] = {
    "Standard_ND96isr_H100_v5": _Sku("H100", 8, 80.0, "infiniband"),
    "Standard_ND96isr_H200_v5": _Sku("H200", 8, 141.0, "infiniband"),
    "Standard_ND96isr_MI300X_v5": _Sku("MI300X", 8, 192.0, "infiniband"),
    "Standard_ND96asr_v4": _Sku("A100-40GB", 8, 40.0, "infiniband"),
    "Standard_ND96asr_A100_v4": _Sku("A100-40GB", 8, 40.0, "infiniband"),  # the embedded catalog's spelling
    "Standard_ND96amsr_A100_v4": _Sku("A100-80GB", 8, 80.0, "infiniband"),
    "Standard_NC24ads_A100_v4": _Sku("A100-80GB-PCIe", 1, 80.0, "ethernet"),
    "Standard_NC48ads_A100_v4": _Sku("A100-80GB-PCIe", 2, 80.0, "ethernet"),
    "Standard_NC96ads_A100_v4": _Sku("A100-80GB-PCIe", 4, 80.0, "ethernet"),
    "Standard_NC40ads_H100_v5": _Sku("H100-PCIe", 1, 94.0, "ethernet", _H100_NVL),
    "Standard_NC80adis_H100_v5": _Sku("H100-PCIe", 2, 94.0, "ethernet", _H100_NVL),
}


def register(registry: Registry) -> None:
    registry.add(
        Provider(
            name=NAME,
            description="Azure GPU VM list prices (Azure Retail Prices API, public)",
            refresh=refresh,
        )
    )


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def odata_filter(regions: list[str]) -> str:
    skus = " or ".join(f"armSkuName eq {_quote(s)}" for s in SKUS)
    text = f"serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and ({skus})"
    if regions:
        text += " and (" + " or ".join(f"armRegionName eq {_quote(r)}" for r in regions) + ")"
    return text


@dataclass
class _Found:
    price: float
    effective: str


def _classify(item: dict[str, Any], ctx: RefreshContext) -> tuple[str, PricingModel] | None:
    """(armSkuName, pricing) for a usable Linux pay-as-you-go item; None (counted) for anything else."""
    sku = item.get("armSkuName")
    if not isinstance(sku, str) or sku not in SKUS:
        ctx.skip("VM size placer does not know")
        return None
    if item.get("type") != "Consumption":
        ctx.skip("not pay-as-you-go (reservation or dev/test)")
        return None
    product = str(item.get("productName", ""))
    sku_name = str(item.get("skuName", ""))
    if "windows" in product.lower():
        ctx.skip("Windows meter")
        return None
    if sku_name.endswith("Low Priority"):
        ctx.skip("low-priority meter")
        return None
    if item.get("isPrimaryMeterRegion") is False:
        ctx.skip("non-primary meter")
        return None
    if item.get("unitOfMeasure") != "1 Hour":
        ctx.skip("not priced per hour")
        return None
    if item.get("currencyCode") != "USD":
        ctx.skip("not in USD")
        return None
    return sku, ("spot" if sku_name.endswith(" Spot") else "on-demand")


def _collect(items: object, ctx: RefreshContext, found: dict[tuple[str, str, PricingModel], _Found]) -> None:
    if not isinstance(items, list):
        raise ValueError("Items is not a list")
    for item in items:
        if not isinstance(item, dict):
            ctx.skip("malformed item")
            continue
        kind = _classify(item, ctx)
        if kind is None:
            continue
        region = item.get("armRegionName")
        if not isinstance(region, str) or not region:
            ctx.skip("no region")
            continue
        if ctx.regions and region not in ctx.regions:
            ctx.skip("region not asked for")
            continue
        usd = usable_usd(item.get("retailPrice"))
        if usd is None:
            ctx.skip("zero, negative or missing price")
            continue
        key = (region, kind[0], kind[1])
        effective = str(item.get("effectiveStartDate", ""))
        older = found.get(key)
        if older is not None:
            ctx.skip("duplicate meter")
            if older.effective >= effective:
                continue
        found[key] = _Found(usd, effective)


def _same_origin(base: str, link: str) -> bool:
    a, b = urlsplit(base), urlsplit(link)
    return (a.scheme, a.hostname) == (b.scheme, b.hostname)


def _fetch(client: httpx.Client, ctx: RefreshContext, base: str) -> dict[tuple[str, str, PricingModel], _Found]:
    from placer.providers.http import get_json  # noqa: PLC0415  (httpx: lazily)

    found: dict[tuple[str, str, PricingModel], _Found] = {}
    # Written out as in Microsoft's examples ("$filter=serviceName%20eq%20'Virtual%20Machines'..."), not
    # httpx's form encoding ("%24filter=serviceName+eq+%27...").
    query = "$filter=" + quote(odata_filter(ctx.regions), safe="'()")
    url = f"{base}{'&' if '?' in base else '?'}{query}"
    seen: set[str] = set()
    page = 0
    while True:
        page += 1
        body = get_json(client, url, ctx, provider=NAME, what=f"page {page}")
        try:
            if not isinstance(body, dict):
                raise ValueError("the page is not a JSON object")
            _collect(body.get("Items"), ctx, found)
            link = body.get("NextPageLink")
            if link is not None and not (isinstance(link, str) and _same_origin(base, link)):
                raise ValueError("NextPageLink points elsewhere")
        except ValueError as exc:
            raise RefreshFailed(f"{NAME}: page {page} of {safe_url(base)} is malformed: {exc}") from None
        ctx.report_progress(NAME, page, None)
        if not link:
            return found
        if link in seen or link == url:
            raise RefreshFailed(
                f"{NAME}: {safe_url(base)}: page {page}'s NextPageLink repeats an earlier page (a paging loop); stopped"
            )
        if page >= MAX_PAGES:
            raise RefreshFailed(f"{NAME}: {safe_url(base)}: more than {MAX_PAGES} pages; stopped")
        seen.add(link)
        url = link


def refresh(ctx: RefreshContext) -> list[Offer]:
    """Page through the Retail Prices API for the GPU VM sizes in SKUS; one offer per size and region."""
    from placer.providers.http import http_client  # noqa: PLC0415

    base = ctx.endpoint_for(NAME) or DEFAULT_URL
    source = safe_url(base)  # never store user info or query strings in a price source
    with http_client(ctx) as client:
        found = _fetch(client, ctx, base)
    as_of = ctx.today()
    by_offer: dict[tuple[str, str], dict[PricingModel, Price]] = {}
    for (region, sku, pricing), hit in sorted(found.items()):
        basis = "list_spot" if pricing == "spot" else "list"
        by_offer.setdefault((region, sku), {})[pricing] = Price(usd=hit.price, source=source, as_of=as_of, basis=basis)
    offers: list[Offer] = []
    for (region, sku), prices in by_offer.items():
        spec = SKUS[sku]
        offers.append(
            GpuOffer(
                id=f"{NAME}/{region}/{sku.lower()}",
                provider=NAME,
                region=region,
                instance=sku,
                accelerator=spec.accelerator,
                accelerators_per_instance=spec.count,
                accelerator_memory_gb=spec.memory_gb,
                interconnect=spec.interconnect,
                prices=prices,
                notes=f"{NOTES}; {spec.note}" if spec.note else NOTES,
            )
        )
    return offers
