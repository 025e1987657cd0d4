"""Hypothesis strategies for generated catalogs and generated workload profiles, shared by property tests.

Catalogs are built on the mini catalog's hardware, region, latency and egress tables (so every name an offer uses
resolves), with generated offers (GPU, per-token API, Mac), extra regions, egress tiers and spot-risk rows on top.
Profiles are YAML text of all three kinds, drawn for one catalog so most of the names they use exist in it; a few
names are deliberately wrong, to reach the planner's input errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import strategies as st
from tests.conftest import MINI_CATALOG

from placer.catalog.models import (
    MAX_USD,
    MIN_USD,
    ZERO_MARGINAL,
    ApiOffer,
    Catalog,
    EgressTier,
    GpuOffer,
    MacOffer,
    MacPlan,
    Price,
    Region,
    SpotRisk,
)

MINI = Catalog.model_validate_json(MINI_CATALOG.read_text())
MAX_OFFERS = 40  # keep an example cheap
MIN_LOG, MAX_LOG = math.log10(MIN_USD), math.log10(MAX_USD)  # the prices a catalog accepts

GPU_KEYS = sorted(k for k, h in MINI.hardware.items() if h.build_speed is None)  # A100-80GB, H100, L4, MTIA-v2
MAC_KEYS = sorted(k for k, h in MINI.hardware.items() if h.build_speed is not None)  # M1-VM-3CPU, M4, M4-Pro
USER_PLACES = sorted(k for k in MINI.regions if "/" not in k)  # "us-east", "eu-west", …
GEOS = sorted({r.geo for r in MINI.regions.values()})
AWS_PROXIES = sorted({p.src for p in MINI.latency})
EGRESS_PROVIDERS = {t.provider for t in MINI.egress}
NEW_PROVIDERS = ("acme", "vast", "tensorwave", "azure")
NEW_REGION_NAMES = ("us-east-1", "eu-west-1", "us", "ap-south-1", "fr-par", "us-west")
GPU_INSTANCES = ("p5.48xlarge", "g6.xlarge", "gpu-8x", "a3-highgpu-8g", "node", "h100-pool")
MAC_INSTANCES = ("mac-m4.metal", "mac-mini-m4", "M4-S", "macos-latest")
API_MODELS = ("llama-3.3-70b", "llama-3.1-8b", "muse-spark", "qwen-2.5-72b")
SOURCE = "https://example.test/prices.csv"
PRICE_DATES = ("2026-11-22", "2026-10", "2026", "2025-01-27", "2024-03-01", "unknown")
CATALOG_DATES = ("2026-11-22", "2026-06", "2027-01-01")


# log10 ranges of the numbers a profile holds: realistic ones, and wide ones (to the validators' limits) for the
# properties that must hold for any valid input
RANGES = {
    "training_parameters": (8.5, 11.6),
    "flops": (19, 24.5),
    "tokens": (9, 12.7),
    "inference_parameters": (9, 11.5),
    "requests_per_second": (-1.3, 2.3),
    "p95_latency_ms": (2.5, 5.5),
    "jobs_per_day": (0, 3.3),
    "minutes_per_job": (0, 2.3),
    "deadline_hours": (0.5, 4),
    "training_budget": (1, 8),
    "monthly_budget": (0.5, 6),
}
WIDE = {
    "training_parameters": (0, 15),
    "flops": (0, 32),
    "tokens": (0, 17),
    "inference_parameters": (0, 15),
    "requests_per_second": (-6, 6),
    "p95_latency_ms": (-3, 9),
    "jobs_per_day": (-4, 7),
    "minutes_per_job": (-4, 6),
    "deadline_hours": (-4, 8),
    "training_budget": (-3, 15),
    "monthly_budget": (-3, 15),
}


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A positive number spread evenly over orders of magnitude, from 10**lo to 10**hi."""
    return st.floats(lo, hi).map(lambda e: float(f"{10**e:.6g}"))


# --- catalogs --------------------------------------------------------------------------------------------------


@st.composite
def prices(draw: st.DrawFn, low: float, high: float, *, zero_marginal: bool = False) -> Price:
    """A price with its provenance: sourced (list, community, snapshot…) or an assumption, dated or not."""
    if zero_marginal and draw(st.integers(0, 9)) == 0:
        return Price(usd=0.0, source="internal pool", as_of=draw(st.sampled_from(PRICE_DATES)), basis=ZERO_MARGINAL)
    assumed = draw(st.integers(0, 4)) == 0
    return Price(
        usd=draw(log_uniform(low, high)),
        source=SOURCE,
        as_of=draw(st.sampled_from(PRICE_DATES)),
        basis="assumption"
        if assumed
        else draw(st.sampled_from(["list", "community", "market_snapshot", "from_price", "cud_1yr"])),
        assumption="no public price; assumed at the median of its peers" if assumed else None,
        original=draw(st.sampled_from([None, "EUR 1.00/hour, converted from EUR at an assumed 1.16 USD/EUR"])),
    )


@st.composite
def regions(draw: st.DrawFn) -> Region:
    """A provider region beyond the mini catalog's: a geo code and coordinates, maybe a measured AWS proxy."""
    provider = draw(st.sampled_from((*NEW_PROVIDERS, "aws", "lambda", "runpod")))
    name = draw(st.sampled_from(NEW_REGION_NAMES))
    return Region(
        key=f"{provider}/{name}",
        geo=draw(st.sampled_from(GEOS)),
        lat=draw(st.floats(-60, 70).map(lambda x: round(x, 2))),
        lon=draw(st.floats(-180, 180).map(lambda x: round(x, 2))),
        label=f"{provider} {name}",
        aws_proxy=draw(st.sampled_from([None, *AWS_PROXIES])),
        assumption=draw(st.sampled_from([None, "location not published; assumed"])),
    )


@st.composite
def gpu_offers(draw: st.DrawFn, place: str, instance: str, wide: bool = False) -> GpuOffer:
    provider, region = place.split("/", 1)
    accelerator = draw(st.sampled_from(GPU_KEYS))
    if draw(st.integers(0, 19)) == 0:
        accelerator = draw(st.sampled_from(MAC_KEYS))  # a GPU offer on hardware that cannot train or serve
    per_instance = draw(st.integers(1, 8))
    capped = draw(st.booleans())
    # prices per instance-hour: per accelerator, times the accelerators in the instance
    kinds = draw(st.sets(st.sampled_from(["on-demand", "spot", "reserved"]), min_size=1))
    scale = math.log10(per_instance)
    low, high = (MIN_LOG, MAX_LOG) if wide else (scale - 1.3, scale + 1.3)
    offer_prices = {k: draw(prices(low, high, zero_marginal=capped)) for k in kinds}
    memory = MINI.hardware[accelerator].memory_gb
    return GpuOffer(
        id=f"{place}/{instance}",
        provider=provider,
        region=region,
        instance=instance,
        accelerator=accelerator,
        accelerators_per_instance=per_instance,
        accelerator_memory_gb=draw(st.sampled_from([memory, memory, memory / 2, 141.0])),
        interconnect=draw(st.sampled_from(["infiniband", "efa", "roce", "tcpx", "ethernet"])),
        max_instances=draw(st.integers(1, 1024)) if capped else None,
        prices=offer_prices,
    )


@st.composite
def api_offers(draw: st.DrawFn, place: str, instance: str, wide: bool = False) -> ApiOffer:
    provider, region = place.split("/", 1)
    model = draw(st.sampled_from(API_MODELS))
    return ApiOffer(
        id=f"{place}/{model}-{instance}",
        provider=provider,
        region=region,
        model=model,
        provider_model=f"{model}-instruct",
        parameters=draw(st.sampled_from([None, 8e9, 70e9])),
        input_usd_per_mtok=draw(prices(*((MIN_LOG, MAX_LOG) if wide else (-2, 1.5)))),
        output_usd_per_mtok=draw(prices(*((MIN_LOG, MAX_LOG) if wide else (-2, 1.8)))),
        ttft_ms=draw(log_uniform(*((-3, 7) if wide else (1.5, 3.5)))),
        output_tokens_per_s=draw(log_uniform(*((-3, 7) if wide else (1, 2.8)))),
        performance_assumption="assumption: default speed",
    )


@st.composite
def mac_offers(draw: st.DrawFn, place: str, instance: str, wide: bool = False) -> MacOffer:
    """A Mac host held by lease (the macOS licence's 24 h minimum on hourly and daily plans), or an elastic
    per-minute runner; now and then one a farm cannot be built on (no lease plan)."""
    provider, region = place.split("/", 1)
    chip = draw(st.sampled_from(MAC_KEYS))
    if draw(st.integers(0, 19)) == 0:
        chip = draw(st.sampled_from(GPU_KEYS))  # no build-speed figure: rejected
    elastic = draw(st.booleans())
    plans: list[MacPlan] = []
    if elastic or draw(st.integers(0, 9)) == 0:
        plans.append(
            MacPlan(
                unit="minute", price=draw(prices(*((MIN_LOG, MAX_LOG) if wide else (-2.5, -0.5)))), min_lease_hours=0
            )
        )
    if not elastic:
        units = draw(st.sets(st.sampled_from(["hour", "day", "week", "month"]), min_size=0 if plans else 1))
        bounds = {"hour": (-1.2, 0.5), "day": (0.3, 1.8), "week": (1.2, 2.6), "month": (1.8, 2.8)}
        minimum = {"hour": 24.0, "day": 24.0, "week": 168.0, "month": 730.0}
        for unit in sorted(units):
            lease = minimum[unit] if draw(st.integers(0, 4)) else 0.0
            price = draw(prices(*((MIN_LOG, MAX_LOG) if wide else bounds[unit])))
            plans.append(MacPlan(unit=unit, price=price, min_lease_hours=lease))
    return MacOffer(
        id=f"{place}/{instance}",
        provider=provider,
        region=region,
        instance=instance,
        chip=chip,
        cpu_cores=draw(st.sampled_from([None, 8, 10, 14])),
        memory_gb=draw(st.sampled_from([None, 8.0, 16.0, 24.0, 64.0])),
        elastic=elastic,
        startup_minutes=draw(st.sampled_from([0.0, 1.0, 5.0, 20.0])),
        plans=plans,
    )


@st.composite
def egress_tiers(draw: st.DrawFn, provider: str) -> list[EgressTier]:
    """Internet tiers (a free allowance, then one or two rates) and an inter-region rate, maybe assumed."""
    step = draw(st.sampled_from([0.0, 100.0, 1024.0]))
    top = step + draw(st.sampled_from([1024.0, 10240.0]))
    rate = draw(st.floats(0.01, 0.12))
    assumption = draw(st.sampled_from([None, "no egress price in the reference data; assumed"]))
    common = {"provider": provider, "source": SOURCE, "as_of": "2026", "assumption": assumption}
    tiers = [
        EgressTier(transfer="internet", from_gb=0.0, to_gb=step or top, usd_per_gb=0.0 if step else rate, **common)
    ]
    if step:
        tiers.append(EgressTier(transfer="internet", from_gb=step, to_gb=top, usd_per_gb=rate, **common))
    tiers.append(EgressTier(transfer="internet", from_gb=top, to_gb=None, usd_per_gb=rate * 0.8, **common))
    if draw(st.booleans()):
        tiers.append(EgressTier(transfer="inter-region", from_gb=0.0, usd_per_gb=0.02, **common))
    return tiers


@st.composite
def catalogs(
    draw: st.DrawFn,
    max_offers: int = 24,
    min_offers: int = 1,
    mix: tuple[str, ...] = ("gpu", "gpu", "api", "mac"),
    wide: bool = False,
) -> Catalog:
    """A valid catalog: up to ``max_offers`` (≤ 40) generated offers over the mini catalog's tables, of the kinds
    in ``mix`` (drawn evenly from it, so a kind listed twice comes twice as often); ``wide`` draws prices from the
    whole range a catalog accepts."""
    assert max_offers <= MAX_OFFERS
    table = dict(MINI.regions)
    for region in draw(st.lists(regions(), max_size=4)):
        table[region.key] = region
    places = sorted(k for k in table if "/" in k)
    kinds = draw(st.lists(st.sampled_from(mix), min_size=min_offers, max_size=max_offers))
    offers: list[GpuOffer | ApiOffer | MacOffer] = []
    ids: set[str] = set()
    for i, kind in enumerate(kinds):
        place = draw(st.sampled_from(places))
        if kind == "gpu":
            offer: GpuOffer | ApiOffer | MacOffer = draw(gpu_offers(place, draw(st.sampled_from(GPU_INSTANCES)), wide))
        elif kind == "api":
            offer = draw(api_offers(place, str(i), wide))
        else:
            offer = draw(mac_offers(place, draw(st.sampled_from(MAC_INSTANCES)), wide))
        if offer.id in ids:  # same instance in the same region: a second listing, under its own id
            offer = offer.model_copy(update={"id": f"{offer.id}-{i}"})
        ids.add(offer.id)
        offers.append(offer)
    providers = sorted({o.provider for o in offers})
    egress = list(MINI.egress)
    for provider in providers:
        if provider not in EGRESS_PROVIDERS and draw(st.booleans()):
            egress += draw(egress_tiers(provider))
    spot = list(MINI.spot_risk)
    for offer in offers:
        if isinstance(offer, GpuOffer) and "spot" in offer.prices and draw(st.integers(0, 2)) == 0:
            match = draw(st.sampled_from([offer.instance.split(".")[0] + ".", offer.accelerator]))
            rate = draw(st.floats(0, 0.5))
            spot.append(
                SpotRisk(
                    provider=offer.provider, match=match, interruptions_per_month=rate, source=SOURCE, as_of="2026-02"
                )
            )
    return Catalog(
        as_of=draw(st.sampled_from(CATALOG_DATES)),
        description="generated",
        offers=offers,
        hardware=MINI.hardware,
        regions=table,
        latency=MINI.latency,
        rtt_model=MINI.rtt_model,
        egress=egress,
        spot_risk=spot,
        fx=MINI.fx,
    )


# --- profiles --------------------------------------------------------------------------------------------------

REGION_PATTERNS = ("us-*", "eu-*", "*", "us-east", "aws/*", "*/us-east-1", "ap-*", "fr-par", "us-central")
ACCELERATOR_NAMES = (*GPU_KEYS, "A100", "H100", "h100")
USES = {"training": ("gpu",), "inference": ("gpu", "api"), "apple-build": ("mac",)}
DATA_PLACES = ("aws/us-east-1", "gcp/us-central1", "us-east-1", "eu-west", "scaleway/fr-par", "lambda/us-east-1")


def _number(draw: st.DrawFn, value: float, human: bool = False) -> Any:
    """The same number as a person might write it: plain, in scientific notation, or with a B/T suffix."""
    form = draw(st.integers(0, 3))
    if human and form == 0 and value >= 1e9:
        return f"{value / 1e9:.6g}B"
    if form == 1:
        return f"{value:.6e}"
    return value


@st.composite
def profile_docs(
    draw: st.DrawFn, catalog: Catalog, kind: str | None = None, wrong_names: bool = True, wide: bool = False
) -> dict[str, Any]:
    """A profile as the mapping its YAML holds; ``wrong_names`` lets a few name a provider or place not in the
    catalog (an input error, exit 3); ``wide`` draws its numbers from the validators' whole range."""
    ranges = WIDE if wide else RANGES

    def number(name: str) -> float:
        return draw(log_uniform(*ranges[name]))

    kind = kind or draw(st.sampled_from(["training", "inference", "apple-build"]))
    doc: dict[str, Any] = {"kind": kind, "name": draw(st.sampled_from(["job", "chat-service", "ios-ci", "x"]))}
    if kind == "training":
        params = number("training_parameters")
        model: dict[str, Any] = {"parameters": _number(draw, params, human=True)}
        if draw(st.integers(0, 4)) == 0:
            model["active_parameters"] = params * draw(st.floats(0.05, 1.0))
        model["precision"] = draw(st.sampled_from(["bf16", "bf16", "bf16", "bf16", "fp16", "fp8", "fp32", "int8"]))
        doc["model"] = model
        training: dict[str, Any] = {}
        if draw(st.integers(0, 5)) == 0:
            training["flops"] = _number(draw, number("flops"))
        else:
            training["tokens"] = _number(draw, number("tokens"), human=True)
        if draw(st.integers(0, 4)) == 0:
            training["mfu"] = draw(st.floats(0.1, 0.6))
        if draw(st.integers(0, 4)) == 0:
            training["checkpoint_interval_minutes"] = draw(st.sampled_from([5, 30, 120]))
            training["restart_minutes"] = draw(st.sampled_from([0, 10, 30]))
        doc["training"] = training
    elif kind == "inference":
        model = {"parameters": _number(draw, number("inference_parameters"), human=True)}
        names = [o.model for o in catalog.offers if isinstance(o, ApiOffer)]
        if draw(st.integers(0, 2)):
            model["name"] = draw(st.sampled_from([*names, *API_MODELS]))
        model["precision"] = draw(st.sampled_from(["bf16", "bf16", "fp8", "int8", "int4", "fp16"]))
        if draw(st.integers(0, 4)) == 0:
            model.update(layers=draw(st.integers(16, 96)), kv_heads=draw(st.sampled_from([1, 8])), head_dim=128)
        doc["model"] = model
        peak = number("requests_per_second")
        spec: dict[str, Any] = {
            "requests_per_second": peak,
            "input_tokens": draw(st.integers(1, 10**6 if wide else 8000)),
            "output_tokens": draw(st.integers(1, 10**6 if wide else 2000)),
        }
        if draw(st.integers(0, 3)) == 0:
            spec["average_requests_per_second"] = peak * draw(st.floats(0.05, 1.0))
        if draw(st.booleans()):
            spec["user_regions"] = draw(st.lists(st.sampled_from(USER_PLACES), min_size=1, max_size=3, unique=True))
        if draw(st.booleans()):
            spec["slo"] = {"p95_latency_ms": number("p95_latency_ms")}
        if draw(st.integers(0, 3)) == 0:
            spec["hours_per_day"] = draw(st.sampled_from([1, 8, 12.5, 24]))
        if draw(st.integers(0, 3)) == 0:
            spec["accept_models"] = draw(st.lists(st.sampled_from(API_MODELS), min_size=1, max_size=2, unique=True))
        serving = draw(st.sampled_from(["both", "both", "self", "api"]))
        if serving == "self":
            spec["hosted_api"] = False
        elif serving == "api":
            spec["self_hosted"] = False
        doc["inference"] = spec
    else:
        build: dict[str, Any] = {
            "jobs_per_day": number("jobs_per_day"),
            "minutes_per_job": number("minutes_per_job"),
            "reference_chip": draw(st.sampled_from(MAC_KEYS)),
            "max_queue_wait_minutes": draw(st.floats(0, 1e5) if wide else st.sampled_from([0, 1, 5, 10, 30, 60])),
        }
        if draw(st.booleans()):
            build["working_hours_per_day"] = draw(st.sampled_from([1, 8, 10, 16, 24]))
        if draw(st.integers(0, 3)) == 0:
            build["working_days_per_month"] = draw(st.sampled_from([5, 22, 30, 31]))
        if draw(st.integers(0, 3)) == 0:
            build["min_memory_gb"] = draw(st.sampled_from([8, 16, 32]))
        doc["build"] = build
    doc.update(_common_keys(draw, catalog, kind, wrong_names, number))
    return doc


def _common_keys(
    draw: st.DrawFn, catalog: Catalog, kind: str, wrong_names: bool, number: Callable[[str], float]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    providers = sorted({o.provider for o in catalog.offers})
    # mostly providers with offers the workload can use, so a constraint leaves something to choose from
    usable = sorted({o.provider for o in catalog.offers if o.kind in USES[kind]}) or providers
    unknown = ["unknown-cloud"] if wrong_names else []
    constraints: dict[str, Any] = {}
    if providers and draw(st.integers(0, 4)) == 0:
        constraints["providers"] = draw(
            st.lists(st.sampled_from(usable + usable + providers + unknown), min_size=1, max_size=3, unique=True)
        )
    if len(providers) > 1 and draw(st.integers(0, 5)) == 0:
        constraints["exclude_providers"] = draw(
            st.lists(st.sampled_from(providers), min_size=1, max_size=2, unique=True)
        )
    if draw(st.integers(0, 5)) == 0:
        constraints["regions"] = draw(st.lists(st.sampled_from(REGION_PATTERNS), min_size=1, max_size=2, unique=True))
    if kind != "apple-build":
        constraints["spot"] = draw(st.sampled_from(["never", "never", "allow", "allow", "only"]))
        constraints["reserved"] = draw(st.sampled_from(["never", "allow"]))
    if constraints:
        out["constraints"] = constraints
    resources: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        names = MAC_KEYS if kind == "apple-build" else ACCELERATOR_NAMES
        resources["accelerators"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    if kind == "training" and draw(st.booleans()):
        resources["count"] = draw(st.sampled_from([1, 2, 8, 16, 64, 256, 1024, 4096]))
    if resources:
        out["resources"] = resources
    if draw(st.integers(0, 3)) == 0:
        places = [*DATA_PLACES, "mars-1"] if wrong_names else list(DATA_PLACES)
        out["data"] = {
            "size_gb": draw(st.sampled_from([0, 50, 500, 20000, 200000])),
            "location": draw(st.sampled_from(places)),
        }
    if draw(st.integers(0, 1 if kind == "training" else 5)) == 0:  # only training plans against a deadline
        out["deadline_hours"] = number("deadline_hours")
    out["objective"] = draw(st.sampled_from(["cost", "time", "balanced"]))
    if draw(st.booleans()):
        out["budget"] = {"max_usd": number("training_budget" if kind == "training" else "monthly_budget")}
    return out


def to_yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@st.composite
def profiles(
    draw: st.DrawFn, catalog: Catalog, kind: str | None = None, wrong_names: bool = True, wide: bool = False
) -> str:
    """A profile's YAML text for ``catalog``."""
    return to_yaml(draw(profile_docs(catalog, kind, wrong_names, wide)))


@st.composite
def cases(draw: st.DrawFn, max_offers: int = 24, wrong_names: bool = False, wide: bool = False) -> tuple[Catalog, str]:
    """A generated catalog and a generated profile for it; the catalog leans to the offers the profile's kind uses
    (every kind still appears), so most plans have a choice to make."""
    kind = draw(st.sampled_from(["training", "inference", "apple-build"]))
    lean = {"training": ("gpu", "gpu"), "inference": ("gpu", "api"), "apple-build": ("mac", "mac", "mac")}[kind]
    catalog = draw(catalogs(max_offers, min_offers=3, mix=("gpu", "api", "mac", *lean), wide=wide))
    return catalog, draw(profiles(catalog, kind, wrong_names=wrong_names, wide=wide))
