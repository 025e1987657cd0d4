"""Training placements: one per allowed pricing model of a GPU offer.

A spot placement also carries the figures of its trade in ``details``: the interruption rate and where it came
from, the expected interruptions, lost hours and overhead, and the same offer on demand at the same instance count
(priced here when the profile does not allow on-demand, or sized it differently), with the saving net of the
overhead. The shortlist builds its placements with ``score`` too, so both paths carry the same figures.
"""

from __future__ import annotations

from dataclasses import replace

from placer.catalog.models import GpuOffer, HardwareSpec, SpotRisk
from placer.estimate import training
from placer.estimate.egress import Egress
from placer.placements.common import (
    Context,
    Rejected,
    data_egress,
    gpu_placement,
    price_notes,
    pricing_options,
    region_notes,
)
from placer.plan import DetailValue, Latency, Placement, Time
from placer.profile import TrainingProfile

DEFAULT_SPOT_INTERRUPTIONS = 0.10  # per instance-month where the reference data has no figure (assumption)


def figures(offer: GpuOffer, profile: TrainingProfile, ctx: Context) -> tuple[HardwareSpec, float, float]:
    """The accelerator's spec, dense peak and MFU at the profile's precision; Rejected when it cannot train."""
    hw = ctx.index.catalog.hardware[offer.accelerator]
    if not hw.trains_llms:
        raise Rejected(f"{hw.name} is not used for LLM training ({hw.notes or 'inference part'})", "hardware")
    precision = profile.model.precision
    peak = hw.peak_tflops.get(precision)
    if peak is None:
        raise Rejected(f"{hw.name} has no {precision} peak in the hardware table", "precision")
    mfu = profile.training.mfu or hw.mfu.get(precision)
    if mfu is None:
        raise Rejected(f"no default {precision} MFU for {hw.name} (set training.mfu)", "precision")
    return hw, peak, mfu


def job(profile: TrainingProfile, moved: Egress | None) -> training.TrainingJob:
    spec = training.TrainingJob(
        flops=profile.flops,
        parameters=profile.model.parameters,
        count=profile.resources.count,
        deadline_hours=profile.deadline_hours,
        max_count=profile.resources.max_count,
        checkpoint_interval_minutes=profile.training.checkpoint_interval_minutes,
        restart_minutes=profile.training.restart_minutes,
    )
    return replace(spec, setup_hours=moved.hours) if moved is not None else spec


def spot_source(offer: GpuOffer, ctx: Context) -> tuple[float, SpotRisk | None]:
    """Spot interruptions per instance-month, and the catalog row they come from (None: the default)."""
    risk = ctx.index.spot_risk(offer)
    return (DEFAULT_SPOT_INTERRUPTIONS, None) if risk is None else (risk.interruptions_per_month, risk)


def percent(share: float) -> str:
    return f"{share * 100:g}%"


def spot_note(rate: float, risk: SpotRisk | None, profile: TrainingProfile) -> str:
    """Where the interruption rate comes from, and what each interruption costs (and whether that is assumed)."""
    if risk is None:
        where = "assumed; the catalog has no spot-risk row for this family"
    else:
        where = f"{risk.provider} {risk.match} spot-risk row, {risk.as_of}, {risk.source}"
    t = profile.training
    given = t.model_fields_set
    interval = "" if "checkpoint_interval_minutes" in given else " (default, an assumption)"
    restart = "" if "restart_minutes" in given else " (default, an assumption)"
    return (
        f"spot: {percent(rate)} of instances interrupted per month ({where}); each interruption costs half the "
        f"{t.checkpoint_interval_minutes:g}-min checkpoint interval{interval} plus a {t.restart_minutes:g}-min "
        f"restart{restart}"
    )


def on_demand_twin(
    offer: GpuOffer,
    hw: HardwareSpec,
    peak: float,
    mfu: float,
    spec: training.TrainingJob,
    spot: training.TrainingEstimate,
    on_demand: training.TrainingEstimate | None,
) -> training.TrainingEstimate | None:
    """The offer on demand at the spot placement's instance count; None when it has no on-demand price.

    ``on_demand`` is the estimate the offer already has on demand, if any: reused when its count is the same,
    re-made at the spot count otherwise (it needs no more time than spot there, so it meets the same deadline)."""
    price = offer.prices.get("on-demand")
    if price is None:
        return None
    if on_demand is not None and on_demand.instances == spot.instances:
        return on_demand
    acc = accelerator(offer, hw, peak, mfu, price.usd, 0.0)
    return training.estimate(acc, replace(spec, count=spot.accelerators))


def spot_trade(
    spot: training.TrainingEstimate,
    rate: float,
    risk: SpotRisk | None,
    spec: training.TrainingJob,
    usd_per_instance_hour: float,
    on_demand: training.TrainingEstimate | None,
    moved: Egress | None,
) -> dict[str, DetailValue]:
    """The figures of a spot placement's trade, as JSON numbers for its ``details``.

    Both totals carry the same egress, so the saving is the compute difference: net of the preemption overhead,
    which the spot estimate already charges in its wall time."""
    overhead = training.spot_overhead(spot.instances, spot.wall_hours, rate, spec, usd_per_instance_hour)
    out: dict[str, DetailValue] = {
        "spot_interruptions_per_month": rate,
        "spot_rate_source": "default" if risk is None else f"{risk.provider} {risk.match}",
        "spot_interruptions": overhead.interruptions,
        "spot_lost_hours": overhead.lost_hours,
        "spot_overhead_usd": overhead.usd,
    }
    if on_demand is None:
        return out
    egress_usd, copy_hours = (moved.usd, moved.hours) if moved else (0.0, 0.0)
    od_total, spot_total = on_demand.compute_usd + egress_usd, spot.compute_usd + egress_usd
    out["on_demand_total_usd"] = od_total
    out["on_demand_wall_hours"] = on_demand.wall_hours + copy_hours
    out["spot_saving_usd"] = od_total - spot_total
    out["spot_saving_pct"] = (od_total - spot_total) / od_total * 100 if od_total else 0.0
    return out


def accelerator(
    offer: GpuOffer, hw: HardwareSpec, peak: float, mfu: float, price: float, spot: float
) -> training.Accelerator:
    return training.Accelerator(
        name=hw.name,
        peak_tflops=peak,
        mfu=mfu,
        memory_gb=offer.accelerator_memory_gb,
        per_instance=offer.accelerators_per_instance,
        interconnect=offer.interconnect,
        usd_per_instance_hour=price,
        max_instances=offer.max_instances,
        spot_interruptions_per_month=spot,
    )


def score(offer: GpuOffer, profile: TrainingProfile, ctx: Context, only: str | None = None) -> list[Placement]:
    """``only``: the one pricing wanted (a fleet re-plan's placement of a pair), the others not placed (spot still
    estimates on demand first: its trade-off is told against that estimate)."""
    hw, peak, mfu = figures(offer, profile, ctx)
    precision = profile.model.precision
    moved = data_egress(ctx, offer)
    spec = job(profile, moved)
    placements: list[Placement] = []
    first_failure: training.Infeasible | None = None
    on_demand: training.TrainingEstimate | None = None
    for pricing in pricing_options(offer, profile.constraints):  # on-demand before spot
        if only is not None and pricing != only and not (pricing == "on-demand" and only == "spot"):
            continue
        price = offer.prices[pricing]
        rate, risk, spot_notes = 0.0, None, []
        if pricing == "spot":
            rate, risk = spot_source(offer, ctx)
            spot_notes = [spot_note(rate, risk, profile)]
        acc = accelerator(offer, hw, peak, mfu, price.usd, rate)
        try:
            est = training.estimate(acc, spec)
        except training.Infeasible as exc:
            first_failure = first_failure or exc
            continue
        trade: dict[str, DetailValue] = {}
        if pricing == "on-demand":
            on_demand = est
            if only is not None and only != pricing:
                continue
        elif pricing == "spot":
            twin = on_demand_twin(offer, hw, peak, mfu, spec, est, on_demand)
            trade = spot_trade(est, rate, risk, spec, price.usd, twin, moved)
        mfu_note = (
            f"MFU {mfu:.2f} from the profile"
            if profile.training.mfu
            else f"MFU {mfu:.2f} for {hw.name} {precision} ({hw.mfu_source or 'catalog default'})"
        )
        notes = [
            mfu_note,
            f"{hw.name} dense {precision} peak {peak:g} TFLOPS ({hw.source})",
            f"fabric {offer.interconnect}: scaling {est.scaling:.2f}; goodput {est.goodput:.3f}",
            *spot_notes,
            *price_notes(offer.id, price, f"{pricing} price", ctx.index.catalog.as_of),
            *region_notes(ctx, offer),
        ]
        placements.append(
            gpu_placement(
                offer,
                pricing,
                accelerators=est.accelerators,
                instances=est.instances,
                compute_usd=est.compute_usd,
                moved=moved,
                period="run",
                time=Time(
                    wall_hours=est.wall_hours + (moved.hours if moved else 0.0),
                    accelerator_hours=est.accelerator_hours,
                ),
                latency=Latency(),
                details={
                    "mfu": mfu,
                    "scaling": est.scaling,
                    "goodput": est.goodput,
                    "memory_needed_gb": est.memory_needed_gb,
                    "usd_per_accelerator_hour": price.usd / offer.accelerators_per_instance,
                    "interconnect": offer.interconnect,
                    **trade,
                },
                notes=notes,
            )
        )
    if not placements:
        assert first_failure is not None
        raise Rejected(first_failure.reason, first_failure.code)
    return placements
