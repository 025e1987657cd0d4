"""Plan results: the contract of ``placer plan --format json`` (design.md), versioned by schema_version."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

PLAN_SCHEMA_VERSION = 1

PricingKind = Literal["on-demand", "spot", "reserved", "per-token", "rental"]
DetailValue = str | int | float | bool


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cost(_Model):
    total_usd: float
    compute_usd: float
    egress_usd: float = 0.0
    other_usd: float = 0.0
    period: Literal["run", "month"]


class Time(_Model):
    wall_hours: float | None = None
    accelerator_hours: float | None = None


class Latency(_Model):
    p50_ms: float | None = None
    p95_ms: float | None = None


class Placement(_Model):
    offer: str
    provider: str
    region: str
    instance: str
    accelerator: str | None
    accelerator_count: Annotated[int, Field(ge=1)] | None  # bounded so a hand-edited plan file is refused on load
    instances: Annotated[int, Field(ge=1)] | None
    pricing: PricingKind
    cost: Cost
    time: Time
    latency: Latency
    details: dict[str, DetailValue] = Field(default_factory=dict)
    assumptions: list[str] = Field(default_factory=list)


class Rejection(_Model):
    offer: str
    reason: str
    code: str


class RejectionGroup(_Model):
    code: str
    count: int
    example: str


class WorkloadRef(_Model):
    name: str
    kind: str
    file: str | None = None


class SourceRef(_Model):
    """Where some of the catalog's prices came from: the embedded catalog, a plugin, live prices, a user file."""

    name: str
    kind: str
    as_of: str
    offers: int


class CatalogRef(_Model):
    as_of: str
    offers_considered: int
    sources: list[SourceRef] = Field(default_factory=list)
    offers_feasible: int = 0
    assumed_prices: int = 0


class BudgetVerdict(_Model):
    limit_usd: float | None
    total_usd: float | None
    period: Literal["run", "month"] | None
    status: Literal["within", "over", "none"]


class Plan(_Model):
    schema_version: int = PLAN_SCHEMA_VERSION
    workload: WorkloadRef
    catalog: CatalogRef
    objective: str
    chosen: Placement | None
    alternatives: list[Placement]
    rejected: list[Rejection]
    rejected_summary: list[RejectionGroup]
    budget: BudgetVerdict
    assumptions: list[str]
    warnings: list[str] = Field(default_factory=list)
    # Only with PlanOptions(pareto=True): the cost/time frontier (placer.pareto), sorted by cost, and every
    # placement the planner scored, in rank order (for the chart's cloud; never in JSON). Absent otherwise, and
    # then left out of the JSON too, so a plan without them is byte-identical to one made before they existed.
    pareto: list[Placement] | None = None
    scored: list[Placement] | None = Field(default=None, exclude=True, repr=False)

    @model_serializer(mode="wrap")
    def _omit_absent_pareto(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.pareto is None:
            data.pop("pareto", None)
        return data

    @property
    def shown(self) -> list[Placement]:
        """The chosen placement (if any), then the ranked alternatives: what every view lists."""
        return ([self.chosen] if self.chosen else []) + self.alternatives

    @property
    def feasible(self) -> bool:
        return self.chosen is not None
