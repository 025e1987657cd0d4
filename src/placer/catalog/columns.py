"""A catalog as columns (numpy arrays, one row per offer in id order), built once for fleet re-planning.

Filtering 50,000 offers for every one of 10,000 profiles is 500 million comparisons: as Python objects that
takes minutes, as array operations a fraction of a millisecond per profile. Each row also carries its
*shape* (the fields a physical estimate depends on, price aside), so one estimate serves every offer that
shares it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from placer.catalog.index import CatalogIndex
from placer.catalog.models import HOURS_PER_UNIT, ApiOffer, Catalog, GpuOffer, MacOffer

PRICINGS = ("on-demand", "spot", "reserved")  # GPU price columns, in this order
GPU, API, MAC = 0, 1, 2
KIND_CODES = {"gpu": GPU, "api": API, "mac": MAC}
MONTH_HOURS = 730.0

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Bytes = npt.NDArray[np.uint8]  # small codes (0 to 255), a byte each


def _codes(values: list[str]) -> tuple[Ints, list[str]]:
    names = sorted(set(values))
    where = {name: i for i, name in enumerate(names)}
    return np.array([where[v] for v in values], dtype=np.int64), names


@dataclass
class OfferColumns:
    """Arrays over ``offers`` (sorted by id, the order ``make_plan`` walks them). NaN marks "not given"."""

    index: CatalogIndex
    offers: list[GpuOffer | ApiOffer | MacOffer]
    kind: Ints
    provider: Ints
    providers: list[str]
    region: Ints  # index into region_keys ("provider/region")
    region_keys: list[str]
    region_name: Ints  # the bare region name an offer shows, for rejection examples
    hardware: Ints  # index into hardware_keys; -1 for APIs
    hardware_keys: list[str]
    # GPU
    price: Floats  # (3, n): USD per instance-hour per PRICINGS entry
    assumed: Bools  # (3, n): that price is an assumption
    per_instance: Floats
    memory_gb: Floats
    ethernet_or_small: Bools  # capped at 4 instances for training
    max_instances: Floats  # inf when unlimited
    shape: Ints  # GPU shape id; -1 otherwise
    serving_shape: Ints  # what a serving estimate depends on (accelerator, count, memory): coarser than shape
    spot_class: Ints  # one class per distinct spot interruption rate (the default where the data has none)
    # APIs (USD per million tokens)
    model: Ints  # index into model_keys; -1 otherwise
    model_keys: list[str]
    input_price: Floats
    output_price: Floats
    ttft_ms: Floats
    tokens_per_s: Floats
    api_assumed: Bools
    # Macs
    elastic: Bools
    startup_minutes: Floats
    minute_price: Floats
    held_month: Floats  # cheapest way to hold one Mac all month on a non-minute plan
    hour_price: Floats  # cheapest hourly plan, for leases per working day
    hour_min_lease: Floats  # the smallest lease minimum among hourly plans
    mac_assumed: Bools  # a farm shows every plan's price; an elastic runner its per-minute one

    @property
    def size(self) -> int:
        return len(self.offers)


def build_columns(catalog: Catalog, index: CatalogIndex | None = None) -> OfferColumns:
    from placer.placements.training import DEFAULT_SPOT_INTERRUPTIONS  # noqa: PLC0415 - placements import catalog

    index = index or CatalogIndex(catalog)
    offers = sorted(catalog.offers, key=lambda o: o.id)
    n = len(offers)
    nan = math.nan
    kind = np.array([KIND_CODES[o.kind] for o in offers], dtype=np.int64)
    provider, providers = _codes([o.provider for o in offers])
    region, region_keys = _codes([f"{o.provider}/{o.region}" for o in offers])
    region_name, _ = _codes([o.region for o in offers])
    hw_names = [o.accelerator if isinstance(o, GpuOffer) else o.chip if isinstance(o, MacOffer) else "" for o in offers]
    hw_codes, hardware_keys = _codes(hw_names)
    hardware = np.where(kind == API, -1, hw_codes)
    model_names = [o.model if isinstance(o, ApiOffer) else "" for o in offers]
    model_codes, model_keys = _codes(model_names)
    model = np.where(kind == API, model_codes, -1)

    price = np.full((3, n), nan)
    assumed = np.zeros((3, n), dtype=np.bool_)
    per_instance = np.full(n, nan)
    memory = np.full(n, nan)
    small = np.zeros(n, dtype=np.bool_)
    cap = np.full(n, math.inf)
    shape = np.full(n, -1, dtype=np.int64)
    spot = np.full(n, nan)
    shapes: dict[tuple[str, int, float, str, int | None], int] = {}
    serving_shape = np.full(n, -1, dtype=np.int64)
    serving_shapes: dict[tuple[str, int, float], int] = {}
    api = {f: np.full(n, nan) for f in ("in", "out", "ttft", "tps")}
    api_assumed = np.zeros(n, dtype=np.bool_)
    elastic = np.zeros(n, dtype=np.bool_)
    mac = {f: np.full(n, nan) for f in ("startup", "minute", "held", "hour", "lease")}
    mac_assumed = np.zeros(n, dtype=np.bool_)
    for i, o in enumerate(offers):
        if isinstance(o, GpuOffer):
            for p, name in enumerate(PRICINGS):
                if name in o.prices:
                    price[p, i] = o.prices[name].usd
                    assumed[p, i] = o.prices[name].assumption is not None
            per_instance[i] = o.accelerators_per_instance
            memory[i] = o.accelerator_memory_gb
            small[i] = o.interconnect == "ethernet" or o.accelerators_per_instance < 4
            cap[i] = o.max_instances if o.max_instances is not None else math.inf
            key = (o.accelerator, o.accelerators_per_instance, o.accelerator_memory_gb, o.interconnect, o.max_instances)
            shape[i] = shapes.setdefault(key, len(shapes))
            serving_shape[i] = serving_shapes.setdefault(key[:3], len(serving_shapes))
            known = index.spot_interruptions_per_month(o)
            spot[i] = DEFAULT_SPOT_INTERRUPTIONS if known is None else known
        elif isinstance(o, ApiOffer):
            api["in"][i], api["out"][i] = o.input_usd_per_mtok.usd, o.output_usd_per_mtok.usd
            api["ttft"][i], api["tps"][i] = o.ttft_ms, o.output_tokens_per_s
            api_assumed[i] = o.input_usd_per_mtok.assumption is not None or o.output_usd_per_mtok.assumption is not None
        else:
            elastic[i] = o.elastic
            mac["startup"][i] = o.startup_minutes
            minute = next((p for p in o.plans if p.unit == "minute"), None)
            if minute is not None:
                mac["minute"][i] = minute.price.usd
            held = [
                math.ceil(max(MONTH_HOURS, p.min_lease_hours) / HOURS_PER_UNIT[p.unit] - 1e-9) * p.price.usd
                for p in o.plans
                if p.unit != "minute"
            ]
            mac["held"][i] = min(held) if held else nan
            hourly = [p for p in o.plans if p.unit == "hour"]
            if hourly:
                mac["hour"][i] = min(p.price.usd for p in hourly)
                mac["lease"][i] = min(p.min_lease_hours for p in hourly)
            shown = [minute] if o.elastic and minute is not None else o.plans if not o.elastic else []
            mac_assumed[i] = any(p.price.assumption is not None for p in shown)
    _, spot_class = np.unique(np.nan_to_num(spot, nan=-1.0), return_inverse=True)
    return OfferColumns(
        index=index,
        offers=offers,
        kind=kind,
        provider=provider,
        providers=providers,
        region=region,
        region_keys=region_keys,
        region_name=region_name,
        hardware=hardware,
        hardware_keys=hardware_keys,
        price=price,
        assumed=assumed,
        per_instance=per_instance,
        memory_gb=memory,
        ethernet_or_small=small,
        max_instances=cap,
        shape=shape,
        serving_shape=serving_shape,
        spot_class=spot_class.astype(np.int64).reshape(-1),
        model=model,
        model_keys=model_keys,
        input_price=api["in"],
        output_price=api["out"],
        ttft_ms=api["ttft"],
        tokens_per_s=api["tps"],
        api_assumed=api_assumed,
        elastic=elastic,
        startup_minutes=mac["startup"],
        minute_price=mac["minute"],
        held_month=mac["held"],
        hour_price=mac["hour"],
        hour_min_lease=mac["lease"],
        mac_assumed=mac_assumed,
    )
