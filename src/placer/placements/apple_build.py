"""Apple build/test placements: Mac farms sized by queueing, or elastic per-minute macOS runners."""

from __future__ import annotations

from placer.catalog.models import MacOffer
from placer.estimate import apple_build
from placer.estimate.queueing import TooManyServers
from placer.placements.common import Context, Rejected, price_notes, region_notes
from placer.plan import Cost, Latency, Placement, Time
from placer.profile import AppleBuildProfile

PER_UNIT = {"minute": "per-minute", "hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly"}


def build_load(profile: AppleBuildProfile, reference_speed: float) -> apple_build.BuildLoad:
    b = profile.build
    return apple_build.BuildLoad(
        jobs_per_day=b.jobs_per_day,
        minutes_per_job=b.minutes_per_job,
        reference_speed=reference_speed,
        max_queue_wait_minutes=b.max_queue_wait_minutes,
        working_hours_per_day=b.working_hours_per_day,
        working_days_per_month=b.working_days_per_month,
    )


def score(offer: MacOffer, profile: AppleBuildProfile, ctx: Context, reference_speed: float) -> list[Placement]:
    b = profile.build
    hw = ctx.index.catalog.hardware[offer.chip]
    if hw.build_speed is None:
        raise Rejected(f"no build-speed figure for {hw.name}", "hardware")
    if b.min_memory_gb is not None:
        if offer.memory_gb is None:
            raise Rejected(f"memory not listed; the profile needs ≥ {b.min_memory_gb:g} GB", "memory")
        if offer.memory_gb < b.min_memory_gb:
            raise Rejected(f"{offer.memory_gb:g} GB < {b.min_memory_gb:g} GB needed", "memory")
    load = build_load(profile, reference_speed)
    notes = [
        f"{hw.name} builds at {hw.build_speed:.2f}× an M4 ({hw.build_speed_assumption or hw.source})",
        *region_notes(ctx, offer),
    ]
    if offer.elastic:
        plan = next((p for p in offer.plans if p.unit == "minute"), None)
        if plan is None:
            raise Rejected("elastic offer without a per-minute price", "pricing")
        est = apple_build.estimate_elastic(load, hw.build_speed, plan.price.usd, offer.startup_minutes)
        notes += [
            f"{offer.startup_minutes:g} min runner start-up billed per job; concurrency limits not modelled",
            *price_notes(offer.id, plan.price, "per-minute price", ctx.index.catalog.as_of),
        ]
    else:
        plans = [apple_build.Plan(p.unit, p.price.usd, p.min_lease_hours) for p in offer.plans if p.unit != "minute"]
        if not plans:
            raise Rejected("no lease plan (hour, day, month) to hold a farm", "pricing")
        try:
            est = apple_build.estimate_farm(load, hw.build_speed, plans)
        except TooManyServers as exc:
            raise Rejected(f"the farm {exc}", "capacity") from None
        notes += [
            f"farm sized by Erlang C so 95% of jobs wait ≤ {b.max_queue_wait_minutes:g} min "
            f"({b.jobs_per_day:g} jobs over {b.working_hours_per_day:g} h a day)",
            f"billing: {est.billing}; busy {est.utilisation:.0%} of paid hours",
        ]
        if est.minimum_billing_waste_hours > 0:
            notes.append(
                f"24-hour macOS lease minimum: {est.minimum_billing_waste_hours:,.0f} paid machine-hours a month "
                "are never used"
            )
        for p in offer.plans:
            notes += price_notes(offer.id, p.price, f"{PER_UNIT[p.unit]} price", ctx.index.catalog.as_of)
    return [
        Placement(
            offer=offer.id,
            provider=offer.provider,
            region=offer.region,
            instance=offer.instance,
            accelerator=offer.chip,
            accelerator_count=est.machines or None,
            instances=est.machines or None,
            pricing="rental",
            cost=Cost(total_usd=est.monthly_usd, compute_usd=est.monthly_usd, period="month"),
            time=Time(wall_hours=est.job_minutes / 60, accelerator_hours=est.paid_hours),
            latency=Latency(p50_ms=est.p50_turnaround_min * 60_000, p95_ms=est.p95_turnaround_min * 60_000),
            details={
                "machines": est.machines,
                "job_minutes": est.job_minutes,
                "p95_turnaround_minutes": est.p95_turnaround_min,
                "billing": est.billing,
                "utilisation": est.utilisation,
                "minimum_billing_waste_hours": est.minimum_billing_waste_hours,
            },
            assumptions=notes,
        )
    ]
