"""Lambda (a neocloud): on-demand GPU instance prices and current capacity from the Lambda Cloud API.

``GET {base}/api/v1/instance-types`` with ``Authorization: Bearer $LAMBDA_API_KEY`` answers
``{"data": {"gpu_8x_h100_sxm5": {"instance_type": {"name", "description", "gpu_description",
"price_cents_per_hour", "specs": {"vcpus", "memory_gib", "storage_gib", "gpus"}},
"regions_with_capacity_available": [{"name", "description"}]}, ...}}``; errors are
``{"error": {"code", "message", "suggestion"}}``. One offer per instance type and region *with capacity now*;
a type with no capacity anywhere gives no offer.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from placer.catalog.models import GpuOffer, Offer, Price
from placer.providers.refresh import RefreshContext, RefreshFailed, safe_url, usable_usd
from placer.providers.registry import Provider, Registry

NAME = "lambda"
DEFAULT_URL = "https://cloud.lambda.ai"  # formerly cloud.lambdalabs.com
PATH = "/api/v1/instance-types"
API_KEY_ENV = "LAMBDA_API_KEY"
NOTES = "interconnect assumed: on-demand instances have no inter-node InfiniBand"


@dataclass(frozen=True)
class _Gpu:
    accelerator: str  # key into Catalog.hardware
    memory_gb: float


# The GPU part of an instance type name (gpu_{N}x_{part}), mirroring the embedded catalog's choices.
GPUS: dict[str, _Gpu] = {
    "h100_sxm5": _Gpu("H100", 80.0),
    "h100_pcie": _Gpu("H100-PCIe", 80.0),
    "h200_sxm5": _Gpu("H200", 141.0),
    "b200_sxm6": _Gpu("B200", 180.0),
    "a100": _Gpu("A100-40GB", 40.0),
    "a100_sxm4": _Gpu("A100-40GB", 40.0),
    "a100_pcie": _Gpu("A100-40GB", 40.0),
    "a100_80gb_sxm4": _Gpu("A100-80GB", 80.0),
    "a100_80gb_pcie": _Gpu("A100-80GB-PCIe", 80.0),
}
_TYPE_NAME = re.compile(r"^gpu_(\d+)x_([a-z0-9_]+)$")


def register(registry: Registry) -> None:
    registry.add(
        Provider(
            name=NAME,
            description="Lambda on-demand GPU prices and capacity (Lambda Cloud API; LAMBDA_API_KEY)",
            refresh=refresh,
        )
    )


def _gpus(name: str, entry: dict[str, Any]) -> tuple[_Gpu, int] | None:
    match = _TYPE_NAME.match(name)
    if match is None or match.group(2) not in GPUS:
        return None
    count = int(match.group(1))
    specs = entry.get("specs")
    if isinstance(specs, dict) and isinstance(specs.get("gpus"), int) and specs["gpus"] >= 1:
        count = specs["gpus"]
    return GPUS[match.group(2)], count


def _offers(data: dict[str, Any], ctx: RefreshContext, source: str) -> list[Offer]:
    as_of = ctx.today()
    offers: list[Offer] = []
    for key in sorted(data):
        wrapper = data[key]
        entry = wrapper.get("instance_type") if isinstance(wrapper, dict) else None
        if not isinstance(entry, dict):
            ctx.skip("malformed instance type")
            continue
        raw_name = entry.get("name")
        name = raw_name if isinstance(raw_name, str) and raw_name else str(key)
        gpu = _gpus(name, entry)
        if gpu is None:
            ctx.skip("instance type placer does not know")
            continue
        cents = usable_usd(entry.get("price_cents_per_hour"))
        if cents is None:
            ctx.skip("zero, negative or missing price")
            continue
        regions = wrapper.get("regions_with_capacity_available")
        names = sorted({r["name"] for r in regions or [] if isinstance(r, dict) and isinstance(r.get("name"), str)})
        if ctx.regions:
            names = [r for r in names if r in ctx.regions]
        if not names:
            ctx.skip("no capacity in any region")
            continue
        price = Price(usd=round(cents / 100, 4), source=source, as_of=as_of, basis="list")
        spec, count = gpu
        for region in names:
            offers.append(
                GpuOffer(
                    id=f"{NAME}/{region}/{name}",
                    provider=NAME,
                    region=region,
                    instance=name,
                    accelerator=spec.accelerator,
                    accelerators_per_instance=count,
                    accelerator_memory_gb=spec.memory_gb,
                    interconnect="ethernet",
                    prices={"on-demand": price},
                    notes=NOTES,
                )
            )
    return offers


def refresh(ctx: RefreshContext) -> list[Offer]:
    from placer.providers.http import get_json, http_client  # noqa: PLC0415  (httpx: lazily)

    base = (ctx.endpoint_for(NAME) or DEFAULT_URL).rstrip("/")
    url = base + PATH
    key = os.environ.get(API_KEY_ENV, "").strip()
    headers = {"Authorization": f"Bearer {key}"} if key else None
    hint = f"set {API_KEY_ENV} to a valid Lambda Cloud API key" if not key else f"check {API_KEY_ENV}"
    with http_client(ctx) as client:
        body = get_json(client, url, ctx, provider=NAME, headers=headers, auth_hint=hint)
    ctx.report_progress(NAME, 1, 1)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise RefreshFailed(f"{NAME}: {safe_url(url)} answered without a 'data' object of instance types")
    return _offers(data, ctx, safe_url(url))
