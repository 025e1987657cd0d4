"""A loopback AWS Price List Query API speaking the JSON 1.1 protocol: ``POST /`` with
``X-Amz-Target: AWSPriceListService.GetProducts`` and ``Content-Type: application/x-amz-json-1.1``, a SigV4
``Authorization`` header, TERM_MATCH filters, pages of ``PriceList`` JSON strings chained by ``NextToken``.
Errors use the JSON protocol's ``{"__type": code, "Message": ...}`` body."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from servers.base import FakeServer, Reply, Schedule, Seen

TARGET = "AWSPriceListService.GetProducts"
JSON_11 = "application/x-amz-json-1.1"


def price_list_entry(
    instance_type: str,
    region: str,
    usd: str,
    *,
    family: str = "Compute Instance",
    extra: dict[str, str] | None = None,
    sku: str | None = None,
) -> dict[str, Any]:
    """One Price List product document in the aws_v1 shape (product.attributes, terms.OnDemand...)."""
    sku = sku or f"SKU{zlib.crc32(f'{instance_type}|{region}|{family}'.encode()):010d}"
    attributes = {
        "instanceType": instance_type,
        "regionCode": region,
        "location": f"Location of {region}",
        "locationType": "AWS Region",
        "servicecode": "AmazonEC2",
        "operatingSystem": "Linux",
        "tenancy": "Host" if family == "Dedicated Host" else "Shared",
        "capacitystatus": "AllocatedHost" if family == "Dedicated Host" else "Used",
        "preInstalledSw": "NA",
        "licenseModel": "No License required",
        "marketoption": "OnDemand",
        "usagetype": f"USE1-BoxUsage:{instance_type}",
        **(extra or {}),
    }
    term = f"{sku}.JRTCKXETXF"
    return {
        "product": {"productFamily": family, "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": {
                        f"{term}.6YS6EN2CT7": {
                            "unit": "Hrs",
                            "endRange": "Inf",
                            "description": f"${usd} per On Demand Linux {instance_type} Instance Hour",
                            "appliesTo": [],
                            "rateCode": f"{term}.6YS6EN2CT7",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-10-01T00:00:00Z",
                    "offerTermCode": "JRTCKXETXF",
                    "termAttributes": {},
                }
            }
        },
        "version": "20261001000000",
        "publicationDate": "2026-10-01T00:00:00Z",
    }


def error(code: str, message: str = "", status: int = 400, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status=status,
        body=json.dumps({"__type": code, "Message": message}).encode(),
        headers={"Content-Type": JSON_11, "x-amzn-RequestId": "fake-request", **(headers or {})},
    )


class AwsPricingFake(FakeServer):
    """Answers GetProducts from ``products``; ``fault(request_number, 1)`` may replace any answer (1-based)."""

    def __init__(
        self,
        products: list[dict[str, Any]],
        page_size: int = 100,
        fault: Callable[[int, int], Reply | None] | None = None,
    ) -> None:
        self.products = products
        self.page_size = page_size
        self.schedule = Schedule(fault)
        self.calls: list[dict[str, Any]] = []  # decoded GetProducts requests, in order
        super().__init__(self._answer)

    def _matches(self, product: dict[str, Any], filters: list[dict[str, str]]) -> bool:
        for flt in filters:
            if flt.get("Type") != "TERM_MATCH":
                return False
            field, value = flt["Field"], flt["Value"]
            if field == "ServiceCode":
                have = product.get("serviceCode")
            elif field == "productFamily":
                have = product["product"].get("productFamily")
            else:
                have = product["product"]["attributes"].get(field)
            if have != value:
                return False
        return True

    def _answer(self, seen: Seen) -> Reply:
        if seen.method != "POST" or seen.path != "/":
            return error("UnknownOperationException", status=404)
        if seen.headers.get("x-amz-target") != TARGET:
            return error("UnknownOperationException", f"unexpected target {seen.headers.get('x-amz-target')!r}")
        if seen.headers.get("content-type") != JSON_11:
            return error("SerializationException", "expected application/x-amz-json-1.1")
        if not seen.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 "):
            return error("MissingAuthenticationTokenException", "request is not signed", status=403)
        request = seen.json()
        self.calls.append(request)
        fault = self.schedule.next(len(self.calls))
        if fault is not None:
            return fault
        if request.get("ServiceCode") != "AmazonEC2":
            return error("NotFoundException", "unknown service code")
        found = [p for p in self.products if self._matches(p, request.get("Filters", []))]
        size = min(int(request.get("MaxResults") or 100), self.page_size)
        token = request.get("NextToken")
        start = int(token.removeprefix("tok-")) if token else 0
        chunk = found[start : start + size]
        body: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in chunk]}
        if start + size < len(found):
            body["NextToken"] = f"tok-{start + size}"
        return Reply(status=200, body=json.dumps(body).encode(), headers={"Content-Type": JSON_11})
