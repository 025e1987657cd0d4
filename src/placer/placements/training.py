"""Training placements: one per allowed pricing model of a GPU offer."""

from __future__ import annotations

from dataclasses import replace

from placer.catalog.models import GpuOffer, HardwareSpec
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
from placer.plan import Latency, Placement, Time
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


def spot_rate(offer: GpuOffer, ctx: Context) -> tuple[float, bool]:
    """Spot interruptions per instance-month, and whether the reference data knows the family."""
    known = ctx.index.spot_interruptions_per_month(offer)
    return (DEFAULT_SPOT_INTERRUPTIONS, False) if known is None else (known, True)


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


def score(offer: GpuOffer, profile: TrainingProfile, ctx: Context) -> list[Placement]:
    hw, peak, mfu = figures(offer, profile, ctx)
    precision = profile.model.precision
    moved = data_egress(ctx, offer)
    spec = job(profile, moved)
    placements: list[Placement] = []
    first_failure: training.Infeasible | None = None
    for pricing in pricing_options(offer, profile.constraints):
        price = offer.prices[pricing]
        rate, spot_note = 0.0, []
        if pricing == "spot":
            rate, known = spot_rate(offer, ctx)
            spot_note = [
                f"spot: {rate:.0%} of instances interrupted per month"
                + (" (AWS Spot Advisor bucket)" if known else " (assumed; no figure for this family)")
            ]
        acc = accelerator(offer, hw, peak, mfu, price.usd, rate)
        try:
            est = training.estimate(acc, spec)
        except training.Infeasible as exc:
            first_failure = first_failure or exc
            continue
        mfu_note = (
            f"MFU {mfu:.2f} from the profile"
            if profile.training.mfu
            else f"MFU {mfu:.2f} for {hw.name} {precision} ({hw.mfu_source or 'catalog default'})"
        )
        notes = [
            mfu_note,
            f"{hw.name} dense {precision} peak {peak:g} TFLOPS ({hw.source})",
            f"fabric {offer.interconnect}: scaling {est.scaling:.2f}; goodput {est.goodput:.3f}",
            *spot_note,
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
                },
                notes=notes,
            )
        )
    if not placements:
        assert first_failure is not None
        raise Rejected(first_failure.reason, first_failure.code)
    return placements
