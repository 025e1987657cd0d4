"""make_plan: filter every offer (with a reason) → estimate → rank by objective under the constraints.

Pure: takes a profile and a catalog, returns a Plan. Names in the profile that the catalog does not know
(providers, accelerators, regions) are input errors with a "did you mean", raised before any scoring.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from placer.catalog.index import CatalogIndex
from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer, Region
from placer.errors import ProfileError
from placer.estimate import inference as inference_model
from placer.estimate import training as training_model
from placer.placements import apple_build, inference, training
from placer.placements.common import CAVEAT, AnyOffer, Context, Rejected, is_assumed
from placer.plan import (
    BudgetVerdict,
    CatalogRef,
    Placement,
    Plan,
    Rejection,
    RejectionGroup,
    SourceRef,
    WorkloadRef,
)
from placer.profile import AnyProfile, AppleBuildProfile, InferenceProfile, Objective, TrainingProfile

KIND_REJECTS = {
    "training": {"api": "a per-token API cannot run training", "mac": "Mac rentals are for Apple builds"},
    "inference": {"mac": "Mac rentals are for Apple builds, not model serving"},
    "apple-build": {
        "gpu": "needs macOS on Apple silicon (Xcode and simulators run nowhere else)",
        "api": "needs macOS on Apple silicon (Xcode and simulators run nowhere else)",
    },
}


@dataclass(frozen=True)
class PlanOptions:
    alternatives: int = 5
    objective: Objective | None = None
    sources: tuple[SourceRef, ...] = ()  # the catalog's source mix, reported in the plan
    warnings: tuple[str, ...] = ()  # e.g. stale prices, found while assembling the catalog
    pareto: bool = False  # also return the cost/time frontier (Plan.pareto) and every scored placement


def _error(message: str, path: tuple[str | int, ...], hint: str | None = None) -> ProfileError:
    return ProfileError(message, path=path, hint=hint)


def _hint(index: CatalogIndex, name: str, choices: list[str]) -> str | None:
    guess = index.suggest(name, choices)
    return f"did you mean {guess!r}?" if guess else None


def check_names(profile: AnyProfile, index: CatalogIndex) -> set[str] | None:
    """Validate catalog names used by the profile; return the accelerator keys it allows (None = any)."""
    c = profile.constraints
    for field, names in (("providers", c.providers or []), ("exclude_providers", c.exclude_providers)):
        for i, name in enumerate(names):
            if name.lower() not in index.providers:
                hint = _hint(index, name, sorted(index.providers))
                raise _error(f"unknown provider {name!r}", ("constraints", field, i), hint)
    for i, pattern in enumerate(c.regions or []):
        if not index.pattern_matches_anything(pattern):
            raise _error(
                f"region pattern {pattern!r} matches no region in the catalog",
                ("constraints", "regions", i),
                _hint(index, pattern, index.region_names()),
            )
    allowed: set[str] | None = None
    if profile.resources.accelerators:
        allowed = set()
        for i, name in enumerate(profile.resources.accelerators):
            keys = index.hardware_matching(name)
            if not keys:
                raise _error(
                    f"unknown accelerator {name!r}",
                    ("resources", "accelerators", i),
                    _hint(index, name, sorted(index.catalog.hardware)),
                )
            allowed.update(keys)
    return allowed


def _resolve_place(index: CatalogIndex, name: str, path: tuple[str | int, ...]) -> Region:
    region = index.resolve_region(name)
    if region is None:
        raise _error(f"unknown region {name!r}", path, _hint(index, name, index.region_names()))
    return region


def context_for(profile: AnyProfile, index: CatalogIndex) -> Context:
    data_region, size = None, 0.0
    if profile.data is not None:
        if profile.data.size_gb is None or "://" in profile.data.location:  # pure: no listing here
            raise _error(
                f"{profile.data.location} must be measured before planning: "
                "use placer.dataset.plan_profile (or Datasets.resolve)",
                ("data", "location"),
            )
        data_region = _resolve_place(index, profile.data.location, ("data", "location"))
        size = profile.data.size_gb
    users: tuple[Region, ...] = ()
    if isinstance(profile, InferenceProfile):
        users = tuple(
            _resolve_place(index, name, ("inference", "user_regions", i))
            for i, name in enumerate(profile.inference.user_regions)
        )
    return Context(index, data_region, size, users)


def filter_offer(offer: AnyOffer, profile: AnyProfile, index: CatalogIndex, allowed: set[str] | None) -> None:
    reason = KIND_REJECTS[profile.kind].get(offer.kind)
    if reason:
        raise Rejected(reason, "kind")
    c = profile.constraints
    if c.providers and offer.provider not in {p.lower() for p in c.providers}:
        raise Rejected(f"provider {offer.provider} not in {', '.join(c.providers)}", "provider")
    if offer.provider in {p.lower() for p in c.exclude_providers}:
        raise Rejected(f"provider {offer.provider} is excluded", "provider")
    if c.regions and not index.region_matches(c.regions, offer.provider, offer.region):
        raise Rejected(f"region {offer.region} not in {', '.join(c.regions)}", "region")
    hardware = offer.accelerator if isinstance(offer, GpuOffer) else getattr(offer, "chip", None)
    if allowed is not None and hardware is not None and hardware not in allowed:
        raise Rejected(f"{hardware} is not among the accepted {', '.join(sorted(allowed))}", "accelerator")


def _score(offer: AnyOffer, profile: AnyProfile, ctx: Context, reference_speed: float) -> list[Placement]:
    if isinstance(profile, TrainingProfile) and isinstance(offer, GpuOffer):
        return training.score(offer, profile, ctx)
    if isinstance(profile, InferenceProfile) and isinstance(offer, GpuOffer):
        return inference.score_gpu(offer, profile, ctx)
    if isinstance(profile, InferenceProfile) and isinstance(offer, ApiOffer):
        return inference.score_api(offer, profile, ctx)
    if isinstance(profile, AppleBuildProfile) and isinstance(offer, MacOffer):
        return apple_build.score(offer, profile, ctx, reference_speed)
    raise Rejected("offer kind does not fit this workload", "kind")  # pragma: no cover - filter_offer stops it


def reference_chip_speed(profile: AnyProfile, index: CatalogIndex) -> float:
    if not isinstance(profile, AppleBuildProfile):
        return 1.0
    name = profile.build.reference_chip
    keys = index.hardware_matching(name)
    exact = [k for k in keys if k.lower() == name.lower().replace(" ", "-")]
    candidates = exact or keys
    spec = index.catalog.hardware.get(candidates[0]) if candidates else None
    if spec is None or spec.build_speed is None:
        chips = sorted(k for k, h in index.catalog.hardware.items() if h.build_speed is not None)
        raise _error(f"unknown reference chip {name!r}", ("build", "reference_chip"), _hint(index, name, chips))
    return spec.build_speed


def ranking_metric(p: Placement) -> float:
    if p.time.wall_hours is not None and p.latency.p95_ms is None:
        return p.time.wall_hours
    return p.latency.p95_ms if p.latency.p95_ms is not None else 0.0


def rank(placements: list[Placement], objective: Objective, budget: float | None) -> list[Placement]:
    if not placements:
        return []
    min_cost = min(p.cost.total_usd for p in placements) or 1.0
    min_metric = min(ranking_metric(p) for p in placements) or 1.0

    def key(p: Placement) -> tuple[bool, bool, float, float, int, str, str]:
        # within budget first; a price nobody publishes never beats one somebody does
        over = budget is not None and p.cost.total_usd > budget
        cost, metric, instances = p.cost.total_usd, ranking_metric(p), p.instances or 0
        if objective == "cost":
            return (over, is_assumed(p), cost, metric, instances, p.offer, p.pricing)
        if objective == "time":
            return (over, is_assumed(p), metric, cost, instances, p.offer, p.pricing)
        return (over, is_assumed(p), cost / min_cost + metric / min_metric, cost, instances, p.offer, p.pricing)

    return sorted(placements, key=key)


def plan_assumptions(profile: AnyProfile, catalog: Catalog) -> list[str]:
    notes = [
        f"prices from the catalog as of {catalog.as_of}, each with its source, date and basis; "
        "placements priced by assumption rank after sourced ones"
    ]
    if isinstance(profile, TrainingProfile):
        notes.append(
            f"compute {profile.flops:.3g} FLOPs = "
            + (
                "given"
                if profile.training.flops is not None
                else f"6 × {profile.model.compute_parameters:.3g} parameters × {profile.training.tokens:.3g} tokens"
            )
        )
        if profile.resources.count is None and profile.deadline_hours is None:
            notes.append(
                f"no count or deadline given: sized for the fewest accelerators that finish within "
                f"{training_model.DEFAULT_TARGET_HOURS:g} h"
            )
        if profile.objective == "time" and profile.resources.count is None:
            notes.append(
                "objective time ranks by wall time at the count that meets the deadline: to go faster, "
                "set a shorter deadline_hours or a count"
            )
        notes.extend(training_model.ASSUMPTIONS)
    elif isinstance(profile, InferenceProfile):
        spec = profile.inference
        notes.append(
            f"peak {spec.requests_per_second:g} req/s sizes the replicas; "
            f"{spec.mean_requests_per_second:g} req/s on average prices the tokens; "
            f"{spec.hours_per_day:g} h a day"
        )
        notes.extend(inference_model.ASSUMPTIONS)
    else:
        notes.append(
            f"job time scales with the chip's relative build speed; {profile.build.minutes_per_job:g} min "
            f"on {profile.build.reference_chip}"
        )
    return notes


def _family(p: Placement) -> str:
    """The kind of option a placement is, so the plan shows the best of each side by side."""
    serving = p.details.get("serving")
    if serving is not None:
        return str(serving)
    if "machines" in p.details:
        return "elastic" if not p.details["machines"] else "farm"
    return p.pricing


def _alternatives(ranked: list[Placement], count: int) -> list[Placement]:
    """The next ``count`` distinct options (one region per provider, instance and pricing, the best),
    plus the best of any option family they leave out (e.g. the best hosted API beside self-hosting)."""
    if not ranked or count == 0:
        return []
    seen = {(ranked[0].provider, ranked[0].instance, ranked[0].pricing)}
    families = {_family(ranked[0])}
    shown: list[Placement] = []
    for p in ranked[1:]:
        key = (p.provider, p.instance, p.pricing)
        if key in seen:
            continue
        if len(shown) < count or _family(p) not in families:
            seen.add(key)
            families.add(_family(p))
            shown.append(p)
    return shown


def plan_warnings(ranked: list[Placement]) -> list[str]:
    if not ranked:
        return []
    chosen = ranked[0]
    warnings = ["chosen " + note.removeprefix(CAVEAT) for note in chosen.assumptions if note.startswith(CAVEAT)]
    if is_assumed(chosen):
        warnings.append("override the assumed price with a catalog of your own before you commit money")
    else:
        cheaper = next((p for p in ranked if is_assumed(p) and p.cost.total_usd < chosen.cost.total_usd), None)
        if cheaper is not None:
            saving = 1 - cheaper.cost.total_usd / chosen.cost.total_usd
            warnings.append(
                f"{cheaper.offer} would cost {saving:.0%} less, but at an assumed price: "
                "give it a real one in a catalog of your own to let it compete"
            )
    return warnings


def make_plan(
    profile: AnyProfile, catalog: Catalog, options: PlanOptions | None = None, *, file: str | None = None
) -> Plan:
    options = options or PlanOptions()
    index = CatalogIndex(catalog)
    allowed = check_names(profile, index)
    ctx = context_for(profile, index)
    reference_speed = reference_chip_speed(profile, index)
    objective: Objective = options.objective or profile.objective

    placements: list[Placement] = []
    rejected: list[Rejection] = []
    for offer in sorted(catalog.offers, key=lambda o: o.id):
        try:
            filter_offer(offer, profile, index, allowed)
            placements.extend(_score(offer, profile, ctx, reference_speed))
        except Rejected as why:
            rejected.append(Rejection(offer=offer.id, reason=why.reason, code=why.code))

    limit = profile.budget.max_usd if profile.budget else None
    ranked = rank(placements, objective, limit)
    chosen = ranked[0] if ranked else None
    groups: dict[str, list[Rejection]] = {}
    for r in rejected:
        groups.setdefault(r.code, []).append(r)
    summary = [
        RejectionGroup(code=code, count=len(items), example=Counter(i.reason for i in items).most_common(1)[0][0])
        for code, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    period = "run" if isinstance(profile, TrainingProfile) else "month"
    total = chosen.cost.total_usd if chosen else None
    status = "none" if limit is None or total is None else ("over" if total > limit else "within")
    pareto: list[Placement] | None = None
    if options.pareto:
        from placer.pareto import frontier  # noqa: PLC0415 - a plan without a frontier pays nothing for it

        pareto = frontier(ranked, profile.kind)  # in rank order, so a tie keeps the one ranked first
    return Plan(
        workload=WorkloadRef(name=profile.name, kind=profile.kind, file=file),
        catalog=CatalogRef(
            as_of=catalog.as_of,
            offers_considered=len(catalog.offers),
            sources=list(options.sources),
            offers_feasible=len({p.offer for p in placements}),
            assumed_prices=sum(1 for p in placements if is_assumed(p)),
        ),
        objective=objective,
        chosen=chosen,
        alternatives=_alternatives(ranked, options.alternatives),
        rejected=rejected,
        rejected_summary=summary,
        budget=BudgetVerdict(limit_usd=limit, total_usd=total, period=period, status=status),
        assumptions=plan_assumptions(profile, catalog),
        warnings=[*options.warnings, *plan_warnings(ranked)],
        pareto=pareto,
        scored=ranked if options.pareto else None,
    )
