"""Catalog models: what can be bought (offers), what the hardware can do, and the network facts between regions.

Every price carries its own provenance (``source``, ``as_of``) because one offer can mix sources
(list on-demand from one catalog, a spot snapshot from another). A price that no public source gives is
an *assumption*: it says so in ``assumption`` with its rationale, and a user catalog can override it.
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATALOG_SCHEMA_VERSION = 1

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
PricingModel = Literal["on-demand", "spot", "reserved"]
Interconnect = Literal["infiniband", "efa", "roce", "tcpx", "ethernet"]
BillingUnit = Literal["minute", "hour", "day", "week", "month"]

HOURS_PER_UNIT: dict[str, float] = {
    "minute": 1 / 60,
    "hour": 1.0,
    "day": 24.0,
    "week": 168.0,
    "month": 730.0,
}

ZERO_MARGINAL = "zero-marginal"  # Price.basis of a private pool whose marginal cost is nil
MIN_USD = 1e-6  # below this a price is a typo or a unit error, not a price
MAX_USD = 1e7  # per instance-hour, per month of a Mac, per million tokens: more is a typo or a unit error
MAX_COUNT = 10**9  # accelerators per instance, instances, cores: more is a typo, and overflows the arithmetic
# Upper bounds on physical figures: far beyond any real hardware, low enough that the estimators' products
# (bytes, FLOPs, seconds) stay finite. A finite 1e300 GB would otherwise become inf − inf = NaN mid-estimate.
MAX_MEMORY_GB = 1e6  # per accelerator or Mac: a petabyte
MAX_BANDWIDTH_TBPS = 1e4
MAX_TFLOPS = 1e7
MAX_PARAMETERS = 1e15
MAX_MS = 1e7  # a latency or time to first token: nearly three hours
MAX_TOKENS_PER_S = 1e9
MAX_HOURS = 1e5  # a lease minimum, a start-up time (in its own unit): eleven years
MAX_GB = 1e12  # an egress tier edge: a zettabyte

_AS_OF = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|unknown)$")


class _Frozen(BaseModel):
    # NaN and infinity are never a price, a size or a coordinate: NaN slips through every `gt`/`le` check
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


@lru_cache(maxsize=1024)  # a catalog repeats a few dates across tens of thousands of prices
def _check_as_of(value: str) -> str:
    if not _AS_OF.match(value):
        raise ValueError("as_of must be YYYY, YYYY-MM, YYYY-MM-DD or 'unknown'")
    if value != "unknown":
        parts = [int(p) for p in value.split("-")]
        try:
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            raise ValueError(f"as_of {value!r} is not a real date") from None
    return value


class Price(_Frozen):
    """One price with its provenance. ``usd`` is per the unit its owner documents."""

    usd: float
    source: str = Field(min_length=1)
    as_of: str
    basis: str = "list"
    assumption: str | None = None
    original: str | None = None  # e.g. "EUR 0.22/hour" when converted

    @field_validator("source")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        # a user catalog's source may be the URL it came from, password and all: every view of the price
        # (catalog list/show, plans, snapshots) shows it, so the credentials go here, once
        if "@" in value or "=" in value or " " in value:
            from placer.redact import redact_text  # noqa: PLC0415 - rarely needed

            return redact_text(value)
        return value

    @field_validator("usd")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("price must be a finite number")
        return value

    @model_validator(mode="after")
    def _positive_unless_zero_marginal(self) -> Price:
        # Zero is never a silent default: only a private pool that says so (basis "zero-marginal") costs nothing.
        if self.basis == ZERO_MARGINAL:
            if self.usd != 0:
                raise ValueError(f"a zero-marginal price must be 0, got {self.usd}")
        elif self.usd <= 0:
            raise ValueError(f"price must be greater than zero, got {self.usd}")
        elif not MIN_USD <= self.usd <= MAX_USD:
            raise ValueError(f"price {self.usd:g} is implausible (expected {MIN_USD:g} to {MAX_USD:g} USD)")
        return self

    @field_validator("as_of")
    @classmethod
    def _valid_as_of(cls, value: str) -> str:
        return _check_as_of(value)

    @property
    def is_assumption(self) -> bool:
        return self.assumption is not None


class _OfferBase(_Frozen):
    id: str = Field(min_length=1)
    provider: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    region: str = Field(min_length=1)
    notes: str | None = None


class GpuOffer(_OfferBase):
    """A rentable instance with accelerators; prices are USD per *instance*-hour."""

    kind: Literal["gpu"] = "gpu"
    instance: str
    accelerator: str  # key into Catalog.hardware
    accelerators_per_instance: int = Field(ge=1, le=MAX_COUNT)
    accelerator_memory_gb: float = Field(gt=0, le=MAX_MEMORY_GB)
    interconnect: Interconnect
    max_instances: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    prices: dict[PricingModel, Price]

    @model_validator(mode="after")
    def _has_price(self) -> GpuOffer:
        if not self.prices:
            raise ValueError("a GPU offer needs at least one price")
        if self.max_instances is None and any(p.basis == ZERO_MARGINAL for p in self.prices.values()):
            raise ValueError("a zero-marginal price needs a capacity (max_instances): free capacity is not unlimited")
        return self

    def usd_per_accelerator_hour(self, pricing: PricingModel) -> float:
        return self.prices[pricing].usd / self.accelerators_per_instance


class ApiOffer(_OfferBase):
    """A hosted model priced per token. Prices are USD per million tokens."""

    kind: Literal["api"] = "api"
    model: str  # canonical model key, e.g. "llama-3.3-70b"; profiles match on it
    provider_model: str  # the provider's own model id
    model_family: str | None = None
    parameters: float | None = Field(default=None, gt=0, le=MAX_PARAMETERS)
    input_usd_per_mtok: Price
    output_usd_per_mtok: Price
    ttft_ms: float = Field(gt=0, le=MAX_MS)
    output_tokens_per_s: float = Field(gt=0, le=MAX_TOKENS_PER_S)
    performance_assumption: str


class MacPlan(_Frozen):
    """One way to pay for one Mac: per unit, with the lease minimum that Apple's macOS licence imposes."""

    unit: BillingUnit
    price: Price
    min_lease_hours: float = Field(ge=0, le=MAX_HOURS)


class MacOffer(_OfferBase):
    """A macOS host on Apple silicon (or an elastic per-minute macOS runner)."""

    kind: Literal["mac"] = "mac"
    instance: str
    chip: str  # key into Catalog.hardware
    cpu_cores: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    memory_gb: float | None = Field(default=None, gt=0, le=MAX_MEMORY_GB)
    elastic: bool = False  # per-minute runners: no farm to size, no queue of our own
    startup_minutes: float = Field(default=0.0, ge=0, le=MAX_HOURS)
    plans: list[MacPlan] = Field(min_length=1)


Offer = Annotated[GpuOffer | ApiOffer | MacOffer, Field(discriminator="kind")]


class HardwareSpec(_Frozen):
    """Peak figures are dense (no sparsity). ``mfu`` holds default training MFU per precision."""

    name: str
    vendor: str
    memory_gb: float = Field(gt=0, le=MAX_MEMORY_GB)
    mem_bw_tbps: float | None = Field(default=None, gt=0, le=MAX_BANDWIDTH_TBPS)
    peak_tflops: dict[Precision, Annotated[float, Field(gt=0, le=MAX_TFLOPS)]] = Field(default_factory=dict)
    mfu: dict[Precision, Annotated[float, Field(gt=0, le=1)]] = Field(default_factory=dict)
    mfu_source: str | None = None
    trains_llms: bool = True
    build_speed: float | None = Field(default=None, gt=0, le=MAX_TFLOPS)  # Apple chips: relative Xcode build throughput
    build_speed_assumption: str | None = None
    source: str
    as_of: str
    notes: str | None = None


class Region(_Frozen):
    """A place offers run in or users sit in. ``geo`` is a provider-neutral code such as ``us-east``."""

    key: str  # "aws/us-east-1", or a bare geo code for user regions ("us-east")
    geo: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: str
    aws_proxy: str | None = None  # nearest AWS region with measured latency, when within ~300 km
    assumption: str | None = None


class LatencyPair(_Frozen):
    src: str  # AWS region name
    dst: str
    p50_ms: float = Field(gt=0, le=MAX_MS)


class RttModel(_Frozen):
    """RTT ≈ 2·distance/km_per_ms · route_factor + constant_ms, fitted to the measured table."""

    km_per_ms: float = Field(default=200.0, gt=0, le=MAX_MS)
    route_factor: float = Field(ge=0, le=MAX_MS)
    constant_ms: float = Field(ge=0, le=MAX_MS)
    source: str


class EgressTier(_Frozen):
    provider: str
    transfer: Literal["internet", "inter-region", "inter-zone"]
    from_gb: float = Field(ge=0, le=MAX_GB)
    to_gb: float | None = Field(default=None, ge=0, le=MAX_GB)
    usd_per_gb: float = Field(ge=0, le=MAX_USD)
    source: str
    as_of: str
    assumption: str | None = None


class SpotRisk(_Frozen):
    """Share of spot instances interrupted per month for an instance family (AWS Spot Advisor buckets)."""

    provider: str
    match: str  # instance-name prefix or accelerator key
    interruptions_per_month: float = Field(ge=0, le=1000)
    source: str
    as_of: str

    @field_validator("as_of")
    @classmethod
    def _valid_as_of(cls, value: str) -> str:
        return _check_as_of(value)


class Catalog(_Frozen):
    schema_version: int = CATALOG_SCHEMA_VERSION
    as_of: str
    description: str = ""
    offers: list[Offer]
    hardware: dict[str, HardwareSpec]
    regions: dict[str, Region]
    latency: list[LatencyPair] = Field(default_factory=list)
    rtt_model: RttModel
    egress: list[EgressTier] = Field(default_factory=list)
    spot_risk: list[SpotRisk] = Field(default_factory=list)
    fx: dict[str, Annotated[float, Field(gt=0, le=MAX_USD)]] = Field(
        default_factory=dict
    )  # currency -> USD, assumption rates used at build time

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        seen: set[str] = set()
        for offer in self.offers:
            if offer.id in seen:
                raise ValueError(f"duplicate offer id {offer.id!r}")
            seen.add(offer.id)
            hw = offer.accelerator if isinstance(offer, GpuOffer) else getattr(offer, "chip", None)
            if hw is not None and hw not in self.hardware:
                raise ValueError(f"offer {offer.id!r} names unknown hardware {hw!r}")
            if f"{offer.provider}/{offer.region}" not in self.regions:
                raise ValueError(f"offer {offer.id!r} is in unknown region {offer.provider}/{offer.region}")
        return self

    def region_of(self, offer: GpuOffer | ApiOffer | MacOffer) -> Region | None:
        return self.regions.get(f"{offer.provider}/{offer.region}")
