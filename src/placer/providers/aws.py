"""AWS: live on-demand list prices for the GPU and EC2 Mac instance types placer knows, from the AWS Price List
Query API (``pricing`` ``GetProducts``, JSON 1.1 protocol, served from us-east-1) through boto3.

Request: ``ServiceCode=AmazonEC2``, ``Filters=[{"Type": "TERM_MATCH", "Field", "Value"}]``, ``MaxResults`` (1-100),
``NextToken``. Response: ``{"FormatVersion": "aws_v1", "PriceList": ["<json>", ...], "NextToken"}``; each PriceList
entry is a JSON *string* ``{"product": {"productFamily", "attributes": {...}, "sku"}, "terms": {"OnDemand": {TERM:
{"priceDimensions": {DIM: {"unit": "Hrs", "pricePerUnit": {"USD": "98.32"}}}}}}, ...}``.

GPU instances: one query per instance type (``instanceType``, Linux, Shared tenancy, ``capacitystatus`` Used,
``preInstalledSw`` NA, ``marketoption`` OnDemand, no licence). EC2 Mac instances run on Dedicated Hosts, which is what
is billed (the instance on the host is priced at zero): one query per Mac host family (``productFamily`` Dedicated
Host, ``instanceType`` = the family, e.g. ``mac-m4`` for ``mac-m4.metal``). Boto3's own retries are off: retries,
backoff and timeouts follow the RefreshContext like the HTTP feeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from placer.catalog.models import GpuOffer, Interconnect, MacOffer, MacPlan, Offer, Price
from placer.providers.refresh import RefreshContext, RefreshFailed, safe_url, usable_usd
from placer.providers.registry import Provider, Registry

if TYPE_CHECKING:
    from mypy_boto3_pricing.client import PricingClient

NAME = "aws"
PRICING_REGION = "us-east-1"
GPU_NOTES = "interconnect assumed: EFA on p-family, plain ethernet on g-family"
MAC_NOTES = "EC2 Mac runs on a Dedicated Host: the host-hour price; 24 h minimum allocation (Apple macOS licence)"
MAC_STARTUP_MINUTES = 20.0  # upper end of the 6-20 min launch time, as in the embedded catalog
MAX_PAGES_PER_QUERY = 200


@dataclass(frozen=True)
class _Gpu:
    accelerator: str  # key into Catalog.hardware
    count: int
    memory_gb: float
    interconnect: Interconnect


GPU_TYPES: dict[str, _Gpu] = {
    "p4d.24xlarge": _Gpu("A100-40GB", 8, 40.0, "efa"),
    "p4de.24xlarge": _Gpu("A100-80GB", 8, 80.0, "efa"),
    "p5.4xlarge": _Gpu("H100", 1, 80.0, "efa"),
    "p5.48xlarge": _Gpu("H100", 8, 80.0, "efa"),
    "p5e.48xlarge": _Gpu("H200", 8, 141.0, "efa"),
    "p5en.48xlarge": _Gpu("H200", 8, 141.0, "efa"),
    "p6-b200.48xlarge": _Gpu("B200", 8, 180.0, "efa"),
    "g6.xlarge": _Gpu("L4", 1, 24.0, "ethernet"),
    "g6.12xlarge": _Gpu("L4", 4, 24.0, "ethernet"),
    "g6.48xlarge": _Gpu("L4", 8, 24.0, "ethernet"),
    "g6e.xlarge": _Gpu("L40S", 1, 48.0, "ethernet"),
    "g6e.12xlarge": _Gpu("L40S", 4, 48.0, "ethernet"),
    "g6e.24xlarge": _Gpu("L40S", 4, 48.0, "ethernet"),
    "g6e.48xlarge": _Gpu("L40S", 8, 48.0, "ethernet"),
}

# EC2 Mac instance type -> Apple chip (a key into Catalog.hardware). The host family is the type minus ".metal".
MAC_TYPES: dict[str, str] = {
    "mac2.metal": "M1",
    "mac2-m1ultra.metal": "M1-Ultra",
    "mac2-m2.metal": "M2",
    "mac2-m2pro.metal": "M2-Pro",
    "mac-m4.metal": "M4",
    "mac-m4pro.metal": "M4-Pro",
}

_GPU_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "capacitystatus": "Used",
    "preInstalledSw": "NA",
    "marketoption": "OnDemand",
    "licenseModel": "No License required",
}


def register(registry: Registry) -> None:
    registry.add(
        Provider(
            name=NAME,
            description="AWS EC2 GPU and Mac on-demand list prices (AWS Price List Query API, via boto3)",
            refresh=refresh,
        )
    )


def host_family(instance_type: str) -> str:
    return instance_type.removesuffix(".metal")


def _term(field: str, value: str) -> dict[str, str]:
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


def queries() -> list[tuple[str, list[dict[str, str]]]]:
    """(label, Filters) for every GetProducts query a refresh makes."""
    found = [(t, [_term("instanceType", t), *(_term(k, v) for k, v in _GPU_FILTERS.items())]) for t in GPU_TYPES]
    for mac in MAC_TYPES:
        found.append((mac, [_term("productFamily", "Dedicated Host"), _term("instanceType", host_family(mac))]))
    return found


def _check_body(response_dict: dict[str, Any], **_: Any) -> None:
    """Before botocore parses a 2xx GetProducts answer: refuse a body that is not JSON (botocore would take it
    for an empty page) or not shaped like a page (botocore would crash on it)."""
    from placer.providers.aws_call import BadBody, CutShort, WrongShape  # noqa: PLC0415 - only a refresh calls

    if not 200 <= int(response_dict.get("status_code") or 0) < 300:
        return
    body = response_dict.get("body") or b""
    announced = {k.lower(): v for k, v in (response_dict.get("headers") or {}).items()}.get("content-length")
    if announced is not None and announced.isdigit() and len(body) < int(announced):
        raise CutShort(f"received {len(body):,} of {int(announced):,} bytes")  # botocore does not check
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody(type(exc).__name__) from None
    if not isinstance(doc, dict):
        raise WrongShape(f"a JSON {type(doc).__name__}, not an object")
    if not isinstance(doc.get("PriceList", []), list):
        raise WrongShape("PriceList is not a list")
    if not isinstance(doc.get("NextToken") or "", str):
        raise WrongShape("NextToken is not a string")


# --- calling GetProducts ---------------------------------------------------------------------------------------


@dataclass
class _Caller:
    client: PricingClient
    ctx: RefreshContext
    endpoint: str
    secrets: list[str]
    pages: int = 0

    def page(self, kwargs: dict[str, Any], what: str) -> dict[str, Any]:
        from placer.providers.aws_call import CallFailed, call  # noqa: PLC0415

        try:
            response: dict[str, Any] = dict(call(self.ctx, lambda: self.client.get_products(**kwargs), self.secrets))
        except CallFailed as exc:
            raise RefreshFailed(f"{NAME}: " + exc.describe(f"GetProducts {self.endpoint} ({what})")) from None
        self.pages += 1
        self.ctx.report_progress(NAME, self.pages, None)
        return response

    def products(self, label: str, filters: list[dict[str, str]]) -> list[Any]:
        kwargs: dict[str, Any] = {
            "ServiceCode": "AmazonEC2",
            "Filters": filters,
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        found: list[Any] = []
        seen: set[str] = set()
        for page in range(1, MAX_PAGES_PER_QUERY + 1):
            response = self.page(kwargs, f"{label}, page {page}")
            found.extend(response.get("PriceList") or [])
            token = response.get("NextToken")
            if not token:
                return found
            if token in seen:
                raise RefreshFailed(
                    f"{NAME}: GetProducts {self.endpoint} ({label}): page {page} repeats an earlier NextToken "
                    "(a paging loop); stopped"
                )
            seen.add(token)
            kwargs["NextToken"] = token
        raise RefreshFailed(
            f"{NAME}: GetProducts {self.endpoint} ({label}): more than {MAX_PAGES_PER_QUERY} pages; stopped"
        )


# --- mapping ---------------------------------------------------------------------------------------------------


def _on_demand_usd(doc: dict[str, Any]) -> float | None:
    terms = doc.get("terms", {}).get("OnDemand", {})
    if not isinstance(terms, dict):
        return None
    for term_key in sorted(terms):
        dimensions = terms[term_key].get("priceDimensions", {}) if isinstance(terms[term_key], dict) else {}
        for dim_key in sorted(dimensions):
            dim = dimensions[dim_key]
            if isinstance(dim, dict) and dim.get("unit") in ("Hrs", "Hours", "Hour"):
                usd = usable_usd(dim.get("pricePerUnit", {}).get("USD"))
                if usd is not None:
                    return usd
    return None


def _parse(entry: Any, ctx: RefreshContext) -> tuple[str, str, float, dict[str, Any]] | None:
    """(instance type, region code, USD per hour, attributes) of one PriceList entry; None (counted) if unusable."""
    try:
        doc = json.loads(entry) if isinstance(entry, str) else entry
        attributes = doc["product"]["attributes"]
        product_family = doc["product"].get("productFamily")
    except (ValueError, TypeError, KeyError, AttributeError):
        ctx.skip("unparseable price list entry")
        return None
    if not isinstance(attributes, dict):
        ctx.skip("unparseable price list entry")
        return None
    instance = str(attributes.get("instanceType", ""))
    if product_family == "Dedicated Host":
        instance = instance if instance.endswith(".metal") else f"{instance}.metal"  # hosts are named by family
        if attributes.get("tenancy") == "Reserved":
            ctx.skip("reserved host")
            return None
    elif attributes.get("marketoption", "OnDemand") != "OnDemand":
        ctx.skip("not on-demand (capacity block)")
        return None
    if instance not in GPU_TYPES and instance not in MAC_TYPES:
        ctx.skip("instance type placer does not know")
        return None
    region = attributes.get("regionCode")
    if not isinstance(region, str) or not region:
        ctx.skip("no region code")
        return None
    if ctx.regions and region not in ctx.regions:
        ctx.skip("region not asked for")
        return None
    usd = _on_demand_usd(doc)
    if usd is None:
        ctx.skip("zero, negative or missing price")
        return None
    return instance, region, usd, attributes


def _offer(instance: str, region: str, price: Price) -> Offer:
    offer_id = f"{NAME}/{region}/{instance}"
    if instance in MAC_TYPES:
        return MacOffer(
            id=offer_id,
            provider=NAME,
            region=region,
            instance=instance,
            chip=MAC_TYPES[instance],
            startup_minutes=MAC_STARTUP_MINUTES,
            plans=[MacPlan(unit="hour", price=price, min_lease_hours=24.0)],
            notes=MAC_NOTES,
        )
    spec = GPU_TYPES[instance]
    return GpuOffer(
        id=offer_id,
        provider=NAME,
        region=region,
        instance=instance,
        accelerator=spec.accelerator,
        accelerators_per_instance=spec.count,
        accelerator_memory_gb=spec.memory_gb,
        interconnect=spec.interconnect,
        prices={"on-demand": price},
        notes=GPU_NOTES,
    )


def _client(ctx: RefreshContext) -> tuple[PricingClient, list[str]]:
    import boto3  # noqa: PLC0415  (boto3: lazily)
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    from placer.log_guard import guard_logs  # noqa: PLC0415
    from placer.providers.aws_call import client_config, frozen_secrets  # noqa: PLC0415
    from placer.redact import redact  # noqa: PLC0415

    try:
        session = ctx.boto3_session if ctx.boto3_session is not None else boto3.Session()
        secrets = frozen_secrets(session)
        client: PricingClient = session.client(
            "pricing", region_name=PRICING_REGION, endpoint_url=ctx.endpoint_for(NAME), config=client_config(ctx)
        )
    except BotoCoreError as exc:
        raise RefreshFailed(f"{NAME}: cannot set up the AWS Pricing client: {type(exc).__name__}") from None
    except ValueError as exc:  # an endpoint URL botocore refuses
        raise RefreshFailed(f"{NAME}: cannot set up the AWS Pricing client: {redact(str(exc), [])}") from None
    client.meta.events.register("before-parse.pricing.GetProducts", _check_body)
    guard_logs()
    return client, secrets


def refresh(ctx: RefreshContext) -> list[Offer]:
    """On-demand prices of GPU_TYPES and MAC_TYPES in every region the Price List has them."""
    client, secrets = _client(ctx)
    endpoint = safe_url(client.meta.endpoint_url)  # no user info in sources or messages
    caller = _Caller(client, ctx, endpoint.split("?", 1)[0], secrets)
    best: dict[tuple[str, str], float] = {}
    for label, filters in queries():
        for entry in caller.products(label, filters):
            parsed = _parse(entry, ctx)
            if parsed is None:
                continue
            instance, region, usd, _attributes = parsed
            key = (instance, region)
            if key in best:
                ctx.skip("duplicate product")
                if best[key] <= usd:
                    continue
            best[key] = usd
    as_of = ctx.today()
    offers: list[Offer] = []
    for (instance, region), usd in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        offers.append(_offer(instance, region, Price(usd=usd, source=caller.endpoint, as_of=as_of, basis="list")))
    return offers
