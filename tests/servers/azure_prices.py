"""A loopback Azure Retail Prices API: ``GET /api/retail/prices?$filter=...&$skip=N``, paged like the real one
(``Items``, absolute ``NextPageLink`` carrying the filter and the next ``$skip``, null on the last page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from servers.base import FakeServer, Reply, Schedule, Seen

PATH = "/api/retail/prices"


def item(
    sku: str,
    region: str,
    price: float,
    *,
    sku_name: str | None = None,
    product: str | None = None,
    kind: str = "Consumption",
    currency: str = "USD",
    unit: str = "1 Hour",
    primary: bool = True,
    effective: str = "2026-10-01T00:00:00Z",
) -> dict[str, Any]:
    """One price item in the documented shape (learn.microsoft.com, Azure Retail Prices overview)."""
    short = sku.removeprefix("Standard_").replace("_", " ")
    return {
        "currencyCode": currency,
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": effective,
        "meterId": f"meter-{sku}-{region}-{sku_name or short}",
        "meterName": sku_name or short,
        "productId": "DZH318Z0TEST",
        "skuId": "DZH318Z0TEST/0001",
        "productName": product or "Virtual Machines Series",
        "skuName": sku_name or short,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": unit,
        "type": kind,
        "isPrimaryMeterRegion": primary,
        "armSkuName": sku,
    }


class AzureRetailPricesFake(FakeServer):
    """Serves ``items`` ``page_size`` at a time; ``fault(page, nth)`` may replace any answer."""

    def __init__(
        self,
        items: list[dict[str, Any]],
        page_size: int = 2,
        fault: Callable[[int, int], Reply | None] | None = None,
    ) -> None:
        self.items = items
        self.page_size = page_size
        self.schedule = Schedule(fault)
        super().__init__(self._answer)

    @property
    def endpoint(self) -> str:
        return self.url + PATH

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.items) // self.page_size))

    def _answer(self, seen: Seen) -> Reply:
        if seen.method != "GET" or seen.path != PATH:
            return Reply.json({"Error": {"Code": "NotFound"}}, status=404)
        skip = int((seen.query.get("$skip") or ["0"])[0])
        page = skip // self.page_size + 1
        fault = self.schedule.next(page)
        if fault is not None:
            return fault
        chunk = self.items[skip : skip + self.page_size]
        following = skip + self.page_size
        flt = (seen.query.get("$filter") or [""])[0]
        link = None
        if following < len(self.items):
            link = f"{self.endpoint}?$filter={quote(flt)}&$skip={following}"
        return Reply.json(
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": chunk,
                "NextPageLink": link,
                "Count": len(chunk),
            }
        )
