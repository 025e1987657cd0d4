"""Inference placements: self-hosted replicas on GPU offers, and hosted per-token APIs, side by side."""

from __future__ import annotations

import re
from collections.abc import Callable

from placer.catalog.models import ApiOffer, GpuOffer, HardwareSpec
from placer.estimate import api, inference
from placer.placements.common import (
    Context,
    Rejected,
    data_egress,
    gpu_placement,
    price_notes,
    pricing_options,
    region_notes,
    user_rtt,
)
from placer.plan import Cost, Latency, Placement, Time
from placer.profile import InferenceProfile


def model_key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def load(profile: InferenceProfile, rtt50: float, rtt95: float) -> inference.Load:
    spec = profile.inference
    return inference.Load(
        input_tokens=spec.input_tokens,
        output_tokens=spec.output_tokens,
        peak_rps=spec.requests_per_second,
        mean_rps=spec.mean_requests_per_second,
        hours_per_day=spec.hours_per_day,
        p95_slo_ms=spec.slo.p95_latency_ms,
        rtt_p50_ms=rtt50,
        rtt_p95_ms=rtt95,
    )


def _rtt_note(measured: bool) -> str:
    return "RTT to users: " + (
        "measured (cloudping p50 via nearby AWS regions); p95 = worst user region"
        if measured
        else "distance model fitted to measured pairs; p95 = worst user region"
    )


def gpu_figures(offer: GpuOffer, profile: InferenceProfile, ctx: Context) -> tuple[HardwareSpec, float, float]:
    """The accelerator's spec, bandwidth and serving peak; Rejected when self-hosting is off or figures are missing."""
    if not profile.inference.self_hosted:
        raise Rejected("self-hosting is turned off (inference.self_hosted: false)", "serving")
    hw = ctx.index.catalog.hardware[offer.accelerator]
    if hw.mem_bw_tbps is None or "bf16" not in hw.peak_tflops:
        raise Rejected(f"no bandwidth or BF16 peak for {hw.name} in the hardware table", "hardware")
    bf16 = hw.peak_tflops["bf16"]
    peak = hw.peak_tflops.get("fp8", bf16) if profile.model.precision == "fp8" else bf16
    return hw, hw.mem_bw_tbps, peak


def model_shape(profile: InferenceProfile) -> inference.ModelShape:
    m = profile.model
    return inference.ModelShape(
        parameters=m.parameters,
        active_parameters=m.compute_parameters,
        precision=m.precision,
        layers=m.layers,
        kv_heads=m.kv_heads,
        head_dim=m.head_dim,
    )


def hardware(offer: GpuOffer, bandwidth: float, peak: float, price: float) -> inference.Hardware:
    return inference.Hardware(
        peak_tflops=peak,
        mem_bw_tbps=bandwidth,
        memory_gb=offer.accelerator_memory_gb,
        per_instance=offer.accelerators_per_instance,
        usd_per_instance_hour=price,
    )


def score_gpu(
    offer: GpuOffer,
    profile: InferenceProfile,
    ctx: Context,
    shared_at: Callable[[float, float], inference.SharedWork] | None = None,
    only: str | None = None,
) -> list[Placement]:
    """``shared_at(rtt50, rtt95)``: work kept between estimates with users that far (a fleet re-plan's);
    ``only``: the one pricing wanted (a fleet re-plan's placement of a pair), the others not scored."""
    hw, bandwidth, peak = gpu_figures(offer, profile, ctx)
    m = profile.model
    rtt50, rtt95, measured = user_rtt(ctx, offer)
    shared = shared_at(rtt50, rtt95) if shared_at is not None else None
    shape, served = (shared.model, shared.load) if shared is not None else (model_shape(profile), None)
    placements: list[Placement] = []
    failure: inference.Infeasible | None = None
    for pricing in pricing_options(offer, profile.constraints):
        if only is not None and pricing != only:
            continue
        price = offer.prices[pricing]
        figures = hardware(offer, bandwidth, peak, price.usd)
        try:
            at = served if served is not None else load(profile, rtt50, rtt95)
            est = inference.estimate(shape, at, figures, shared)
        except inference.Infeasible as exc:
            failure = failure or exc
            continue
        moved = data_egress(ctx, offer)
        notes = [
            f"{est.replicas} replica(s) × tensor-parallel {est.tensor_parallel}, batch {est.batch}: "
            f"TTFT {est.ttft_ms:,.0f} ms, {est.tokens_per_s_per_stream:,.0f} tok/s per stream",
            f"{hw.name}: {hw.mem_bw_tbps:g} TB/s, {peak:g} TFLOPS dense ({hw.source})",
            _rtt_note(measured),
            *price_notes(offer.id, price, f"{pricing} price", ctx.index.catalog.as_of),
            *region_notes(ctx, offer),
        ]
        if shape.kv_is_approximate:
            notes.append(
                f"KV cache {est.kv_bytes_per_token / 1e3:,.0f} kB/token approximated from size "
                f"({inference.approx_layers(m.parameters)} layers, 8 KV heads × 128; set model.layers, "
                "kv_heads, head_dim for exact)"
            )
        if pricing == "spot":
            notes.append("spot capacity can be reclaimed: keep on-demand replicas for the SLO")
        placements.append(
            gpu_placement(
                offer,
                pricing,
                accelerators=est.accelerators,
                instances=est.instances,
                compute_usd=est.monthly_usd,
                moved=moved,
                period="month",
                time=Time(accelerator_hours=est.instance_hours * offer.accelerators_per_instance),
                latency=Latency(p50_ms=est.p50_ms, p95_ms=est.p95_ms),
                details={
                    "replicas": est.replicas,
                    "tensor_parallel": est.tensor_parallel,
                    "batch": est.batch,
                    "ttft_ms": est.ttft_ms,
                    "tokens_per_s_per_stream": est.tokens_per_s_per_stream,
                    "serving": "self-hosted",
                },
                notes=notes,
            )
        )
    if not placements:
        assert failure is not None
        raise Rejected(failure.reason, failure.code)
    return placements


def score_api(offer: ApiOffer, profile: InferenceProfile, ctx: Context) -> list[Placement]:
    if not profile.inference.hosted_api:
        raise Rejected("hosted APIs are turned off (inference.hosted_api: false)", "serving")
    wanted = {model_key(n) for n in profile.inference.accept_models}
    if profile.model.name:
        wanted.add(model_key(profile.model.name))
    if not wanted:
        raise Rejected(
            f"serves {offer.model}; the profile names no model (set model.name or inference.accept_models)",
            "model",
        )
    if offer.model not in wanted:
        raise Rejected(f"serves {offer.model}, not {' or '.join(sorted(wanted))}", "model")
    rtt50, rtt95, measured = user_rtt(ctx, offer)
    try:
        est = api.estimate_api(
            load(profile, rtt50, rtt95),
            offer.input_usd_per_mtok.usd,
            offer.output_usd_per_mtok.usd,
            offer.ttft_ms,
            offer.output_tokens_per_s,
        )
    except inference.Infeasible as exc:
        assumed = f" (at an assumed TTFT of {offer.ttft_ms:g} ms and {offer.output_tokens_per_s:g} tok/s)"
        raise Rejected(exc.reason + assumed, exc.code) from None
    notes = [
        f"{est.input_mtok:,.0f} M input + {est.output_mtok:,.0f} M output tokens a month at "
        f"${offer.input_usd_per_mtok.usd:g} / ${offer.output_usd_per_mtok.usd:g} per M",
        f"speed: {offer.performance_assumption}",
        f"p95 TTFT taken as {api.API_P95_TTFT_FACTOR:g}× typical; provider rate limits not modelled",
        _rtt_note(measured),
        *price_notes(offer.id, offer.input_usd_per_mtok, "input price", ctx.index.catalog.as_of),
        *price_notes(offer.id, offer.output_usd_per_mtok, "output price", ctx.index.catalog.as_of),
        *region_notes(ctx, offer),
    ]
    return [
        Placement(
            offer=offer.id,
            provider=offer.provider,
            region=offer.region,
            instance=offer.provider_model,
            accelerator=None,
            accelerator_count=None,
            instances=None,
            pricing="per-token",
            cost=Cost(total_usd=est.monthly_usd, compute_usd=est.monthly_usd, period="month"),
            time=Time(),
            latency=Latency(p50_ms=est.p50_ms, p95_ms=est.p95_ms),
            details={
                "serving": "hosted-api",
                "model": offer.model,
                "input_mtok_per_month": est.input_mtok,
                "output_mtok_per_month": est.output_mtok,
            },
            assumptions=notes,
        )
    ]
