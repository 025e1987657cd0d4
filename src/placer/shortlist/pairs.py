"""Candidate (offer, pricing) pairs for one profile, from the rows its constraints let through
(placer.shortlist.constraints), with lower bounds on every pair's cost and time or latency, computed as arrays
(ideal accelerator-hours for training; compute and memory floors on replicas for serving; the farm's own
turnaround and its queue-free cost for builds)."""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from placer.catalog.columns import MAC, PRICINGS, Bools, Floats, Ints
from placer.catalog.models import ApiOffer, GpuOffer
from placer.estimate import api as api_model
from placer.estimate import inference as inference_model
from placer.estimate import training as training_model
from placer.estimate.apple_build import WAIT_QUANTILE, farm_size, job_minutes
from placer.estimate.queueing import TooManyServers, wait_quantile
from placer.placements import apple_build, inference
from placer.placements.common import Context, Rejected, pricing_options
from placer.plan import RejectionGroup
from placer.profile import AnyProfile, AppleBuildProfile, InferenceProfile, TrainingProfile
from placer.shortlist.market import Market

PER_TOKEN, RENTAL = 3, 4
T = TypeVar("T", bound=np.generic)
PRICING_NAMES = (*PRICINGS, "per-token", "rental")
# what the plan shows the best of side by side (planner._family): a pricing, a way of serving, a kind of farm
FAMILIES = (*PRICINGS, "self-hosted", "hosted-api", "farm", "elastic")
SELF_HOSTED, HOSTED_API, FARM, ELASTIC = 3, 4, 5, 6
SAFETY = 1 - 1e-9  # bounds are shaded down so that rounding never lifts one above the exact figure


@dataclass
class Pairs:
    row: Ints
    pricing: Ints
    family: Ints  # index into FAMILIES
    assumed: Bools
    key: Ints
    cost_lb: Floats
    metric_lb: Floats
    egress_usd: Floats
    egress_hours: Floats
    rel: Ints  # the data's place: 0 same region, 1 same provider, 2 another provider
    rtt50: Floats = field(default_factory=lambda: np.zeros(0))  # per region code: users' mean RTT
    rtt95: Floats = field(default_factory=lambda: np.zeros(0))  # and worst
    serving: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # each GPU pair's serving shape
    gpu_price: Floats = field(default_factory=lambda: np.zeros(0))  # the price of each GPU pair (they come first)
    n_gpu: int = 0  # GPU pairs: the first n_gpu
    # pricing -> (start, end): the pairs of one pricing are contiguous, their rows ascending
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    rtt95_gpu: Floats = field(default_factory=lambda: np.zeros(0))  # inference: each GPU pair's users' worst RTT


@dataclass
class Counts:
    groups: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, code: str, count: int, example: str) -> None:
        if count:
            had, first = self.groups.get(code, (0, example))
            self.groups[code] = (had + count, first)

    def summary(self) -> list[RejectionGroup]:
        items = sorted(self.groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [RejectionGroup(code=code, count=count, example=example) for code, (count, example) in items]


def build_pairs(
    market: Market, profile: AnyProfile, ctx: Context, reference_speed: float, alive: Bools, counts: Counts
) -> Pairs:
    cols = market.columns
    rows: list[Ints] = []
    pricing: list[Ints] = []
    if isinstance(profile, TrainingProfile | InferenceProfile):
        gpu = alive & market.is_gpu
        if isinstance(profile, InferenceProfile) and not profile.inference.self_hosted:
            _reject_by_scorer(market, np.flatnonzero(gpu), "serving", profile, ctx, counts)
            gpu = gpu & False
        wanted = [PRICINGS.index(p) for p in wanted_pricings(profile)]
        has = np.zeros_like(gpu)
        for p in wanted:
            has |= market.priced[p]
        none = gpu & ~has
        if none.any():
            first = int(np.flatnonzero(none)[0])
            try:
                pricing_options(cols.offers[first], profile.constraints)  # type: ignore[arg-type]
                example = "no wanted price"  # pragma: no cover
            except Rejected as exc:
                example = exc.reason
            counts.add("pricing", int(none.sum()), example)
        for p in wanted:
            take = np.flatnonzero(gpu & market.priced[p])
            rows.append(take)
            pricing.append(np.full(take.size, p, dtype=np.int64))
    if isinstance(profile, InferenceProfile):
        api = market.api_rows[alive[market.api_rows]]  # worked on as rows: APIs are a few of the offers
        wanted_models = {inference.model_key(n) for n in profile.inference.accept_models}
        if profile.model.name:
            wanted_models.add(inference.model_key(profile.model.name))
        model_ok = np.array([k in wanted_models for k in cols.model_keys], dtype=np.bool_)
        if not profile.inference.hosted_api:
            _reject_by_scorer(market, api, "serving", profile, ctx, counts)
            api = api[:0]
        ok = model_ok[np.maximum(cols.model[api], 0)]
        if not ok.all():
            _reject_by_scorer(market, api[~ok], "model", profile, ctx, counts, cols.model)
        take = api[ok]
        rows.append(take)
        pricing.append(np.full(take.size, PER_TOKEN, dtype=np.int64))
    if isinstance(profile, AppleBuildProfile):
        take = np.flatnonzero(alive & (cols.kind == MAC))
        rows.append(take)
        pricing.append(np.full(take.size, RENTAL, dtype=np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    price_code = np.concatenate(pricing) if pricing else np.zeros(0, dtype=np.int64)
    moves = market.moves(ctx)
    rel = market.relation(ctx, row)
    if ctx.data_region is None:  # nothing to copy: no gather of zeros
        egress_usd, egress_hours = np.zeros(row.size), np.zeros(row.size)
    else:
        egress_usd = np.array([m.usd if m else 0.0 for m in moves])[rel]
        egress_hours = np.array([m.hours if m else 0.0 for m in moves])[rel]
    pairs = Pairs(
        row=row,
        pricing=price_code,
        family=np.zeros(row.size, dtype=np.int64),
        assumed=np.zeros(row.size, dtype=np.bool_),
        key=np.zeros(row.size, dtype=np.int64),
        cost_lb=np.zeros(row.size),
        metric_lb=np.zeros(row.size),
        egress_usd=egress_usd,
        egress_hours=egress_hours,
        rel=rel,
        n_gpu=sum(r.size for r, p in zip(rows, pricing, strict=True) if p.size and p[0] < PER_TOKEN),
        spans=_spans(pricing),
    )
    if isinstance(profile, TrainingProfile):
        _training_bounds(market, profile, pairs)
    elif isinstance(profile, InferenceProfile):
        _inference_bounds(market, profile, ctx, pairs)
    else:
        _build_bounds(market, profile, reference_speed, pairs)
    # in place: both are the bound functions' own new arrays
    _finite(pairs.cost_lb)
    pairs.cost_lb *= SAFETY
    _finite(pairs.metric_lb)
    if not isinstance(profile, AppleBuildProfile):  # a build's metric bound is exact
        pairs.metric_lb *= SAFETY
    return pairs


def _by_pricing(pairs: Pairs, table: npt.NDArray[T], count: int) -> npt.NDArray[T]:
    """table[pricing, row] for the first ``count`` pairs: a plain gather per pricing, as each pricing's pairs lie
    together (a gather by two indices computes a flat index for every pair first)."""
    out = np.empty(count, dtype=table.dtype)
    for code, (start, end) in pairs.spans.items():
        stop = min(end, count)
        if start < stop:
            out[start:stop] = table[code][pairs.row[start:stop]]
    return out


def _spans(pricing: list[Ints]) -> dict[int, tuple[int, int]]:
    """Where each pricing's pairs lie, listed one pricing after another."""
    spans: dict[int, tuple[int, int]] = {}
    start = 0
    for codes in pricing:
        if codes.size:
            spans[int(codes[0])] = (start, start + codes.size)
        start += codes.size
    return spans


_MAX_FLOAT = float(np.finfo(np.float64).max)


def _finite(values: Floats) -> None:
    """np.nan_to_num(values, copy=False, nan=0.0) in fewer passes: NaN to 0, ±inf to the largest finite float.

    Mostly there are none, which one sum tells: it is finite only when every value is."""
    with np.errstate(over="ignore", invalid="ignore"):  # a sum that overflows, or inf − inf, says so by itself
        total = values.sum()
    if math.isfinite(total):
        return
    np.copyto(values, 0.0, where=np.isnan(values))
    np.clip(values, -_MAX_FLOAT, _MAX_FLOAT, out=values)


def _reject_by_scorer(
    market: Market,
    rejected: Ints,
    code: str,
    profile: AnyProfile,
    ctx: Context,
    counts: Counts,
    attribute: Ints | None = None,
) -> None:
    """Count the rejected rows (ascending) under one code, with the scorer's reason for the most common value."""
    if rejected.size == 0:
        return
    cols = market.columns

    def why(row: int) -> str:
        offer = cols.offers[row]
        try:
            if isinstance(offer, ApiOffer) and isinstance(profile, InferenceProfile):
                inference.score_api(offer, profile, ctx)
            elif isinstance(offer, GpuOffer) and isinstance(profile, InferenceProfile):
                inference.gpu_figures(offer, profile, ctx)
        except Rejected as exc:
            return exc.reason
        return code  # pragma: no cover

    counts.add(code, rejected.size, market.example_of(rejected, attribute if attribute is not None else cols.kind, why))


def _training_bounds(market: Market, profile: TrainingProfile, pairs: Pairs) -> None:
    cols = market.columns
    row, p = pairs.row, pairs.pricing
    precision = profile.model.precision
    rate = np.full(len(cols.hardware_keys), np.nan)
    for h, key in enumerate(cols.hardware_keys):
        hw = market.catalog.hardware.get(key)
        if hw is None or not hw.trains_llms:
            continue
        peak, mfu = hw.peak_tflops.get(precision), profile.training.mfu or hw.mfu.get(precision)
        if peak is not None and mfu is not None:
            rate[h] = peak * 1e12 * mfu * 3600  # FLOPs per accelerator-hour at full scaling and goodput
    acc_hours = profile.flops / rate[cols.hardware[row]]
    per = cols.per_instance[row]
    price = pairs.gpu_price = _by_pricing(pairs, cols.price, row.size)
    pairs.cost_lb = acc_hours / per * price + pairs.egress_usd
    if profile.resources.count is not None:
        most = np.ceil(profile.resources.count / per) * per
    else:
        cap = np.minimum(np.floor(profile.resources.max_count / per), cols.max_instances[row])
        cap = np.where(cols.ethernet_or_small[row], np.minimum(cap, training_model.ETHERNET_MAX_INSTANCES), cap)
        most = np.maximum(cap, 1) * per
    pairs.metric_lb = acc_hours / most + pairs.egress_hours
    # a key is what the estimate depends on: the shape, the data's place and, on spot, the interruption rate (the
    # price only scales the cost, so on-demand and reserved pairs of a shape share one estimate)
    pairs.key = _by_pricing(pairs, market.training_key, row.size) + pairs.rel
    pairs.family = p.copy()
    pairs.assumed = _by_pricing(pairs, cols.assumed, row.size)


def _inference_bounds(market: Market, profile: InferenceProfile, ctx: Context, pairs: Pairs) -> None:
    cols = market.columns
    spec = profile.inference
    row = pairs.row
    r50, r95 = market.rtts(ctx)
    pairs.rtt50, pairs.rtt95 = r50, r95
    rtt95 = r95[cols.region[row]]
    model = inference.model_shape(profile)
    # GPU pairs: replicas × tensor-parallel ≥ what memory, prefill compute and decode compute need
    bw = np.full(len(cols.hardware_keys), np.nan)
    peak = np.full(len(cols.hardware_keys), np.nan)
    for h, key in enumerate(cols.hardware_keys):
        hw = market.catalog.hardware.get(key)
        if hw is None or hw.mem_bw_tbps is None or "bf16" not in hw.peak_tflops:
            continue
        bf16 = hw.peak_tflops["bf16"]
        bw[h] = hw.mem_bw_tbps
        peak[h] = hw.peak_tflops.get("fp8", bf16) if model.precision == "fp8" else bf16
    # everything but price and RTT depends on the hardware shape only: computed once per shape, then gathered
    rep = market.shape_rows if market.shape_rows.size else np.zeros(min(1, cols.size), dtype=np.int64)  # APIs only
    hwc = np.maximum(cols.hardware[rep], 0)
    flops = peak[hwc] * 1e12
    per = cols.per_instance[rep]
    mem = cols.memory_gb[rep]
    context = spec.input_tokens + spec.output_tokens
    mean_ctx = spec.input_tokens + spec.output_tokens / 2
    kv = model.kv_bytes_per_token
    tp_min = np.full(rep.size, np.nan)
    tp_max = np.ones(rep.size)
    for tp in (16, 8, 4, 2, 1):
        fits = (tp <= per) & ((inference_model.USABLE_MEMORY * tp * mem * 1e9 - model.weight_bytes) >= context * kv)
        tp_min = np.where(fits, tp, tp_min)
    for tp in (1, 2, 4, 8, 16):
        tp_max = np.where(tp <= per, tp, tp_max)
    prefill = 2 * model.active_parameters * spec.input_tokens + model.attention_flops(spec.input_tokens)
    decode = 2 * model.active_parameters + model.attention_flops_per_token(mean_ctx)
    util = inference_model.MAX_UTILISATION
    need = np.maximum(
        tp_min,
        np.maximum(
            spec.requests_per_second * prefill / (flops * inference_model.EFF_PREFILL * util),
            spec.requests_per_second * spec.output_tokens * decode / (flops * inference_model.EFF_COMPUTE * util),
        ),
    )
    # no configuration is faster than the widest tensor-parallel group at batch 1 (its step is a lower bound)
    step = np.maximum(
        (model.weight_bytes + mean_ctx * kv) / (tp_max * bw[hwc] * 1e12 * inference_model.EFF_BANDWIDTH),
        decode / (tp_max * flops * inference_model.EFF_COMPUTE),
    )
    # build_pairs lists GPU pairs first, then APIs: each formula runs on its own part only
    n_gpu = pairs.n_gpu
    g_row, a_row = row[:n_gpu], row[n_gpu:]
    shape = cols.shape[g_row]
    instances = np.maximum(1.0, np.ceil(need / per - 1e-9))[shape]
    hours = inference_model.HOURS_PER_MONTH * spec.hours_per_day / 24
    gpu_price = pairs.gpu_price = _by_pricing(pairs, cols.price, n_gpu)
    gpu_cost = instances * (gpu_price * hours) + pairs.egress_usd[:n_gpu]
    idle_ms = (prefill / (tp_max * flops * inference_model.EFF_PREFILL) + spec.output_tokens * step) * 1000
    pairs.rtt95_gpu = rtt95[:n_gpu]
    gpu_p95 = pairs.rtt95_gpu + idle_ms[shape]
    # APIs: the estimate is a formula, so the bound is the figure itself (shaded by SAFETY)
    seconds = inference_model.HOURS_PER_MONTH * 3600 * spec.hours_per_day / 24
    requests = spec.mean_requests_per_second * seconds
    api_cost = requests * spec.input_tokens / 1e6 * cols.input_price[a_row] + (
        requests * spec.output_tokens / 1e6 * cols.output_price[a_row]
    )
    api_p95 = (
        rtt95[n_gpu:]
        + api_model.API_P95_TTFT_FACTOR * cols.ttft_ms[a_row]
        + spec.output_tokens / cols.tokens_per_s[a_row] * 1000
    )
    pairs.cost_lb = np.concatenate([gpu_cost, api_cost])
    pairs.metric_lb = np.concatenate([gpu_p95, api_p95])
    # one estimate per (serving shape × zero price, user RTT) for GPUs: keys are formed when asked for (a few
    # pairs), by Search._key_of; APIs are priced one by one
    pairs.serving = _by_pricing(pairs, market.serving_code, n_gpu)
    pairs.family = np.concatenate(
        [np.full(n_gpu, SELF_HOSTED, dtype=np.int64), np.full(a_row.size, HOSTED_API, dtype=np.int64)]
    )
    pairs.assumed = np.concatenate([_by_pricing(pairs, cols.assumed, n_gpu), cols.api_assumed[a_row]])


def _build_bounds(market: Market, profile: AppleBuildProfile, reference_speed: float, pairs: Pairs) -> None:
    cols = market.columns
    b = profile.build
    row = pairs.row
    load = apple_build.build_load(profile, reference_speed)
    minutes = np.full(len(cols.hardware_keys), np.nan)
    machines = np.full(len(cols.hardware_keys), np.nan)
    turnaround = np.full(len(cols.hardware_keys), np.nan)  # a farm's p95 turnaround, minutes
    arrivals_per_h = load.jobs_per_day / load.working_hours_per_day
    for h in np.unique(cols.hardware[row]).tolist():
        hw = market.catalog.hardware.get(cols.hardware_keys[h])
        if hw is None or hw.build_speed is None:
            continue
        minutes[h] = job_minutes(load, hw.build_speed)
        with suppress(TooManyServers):  # the scorer rejects such a farm when it is examined
            machines[h] = farm_size(load, hw.build_speed)
            # estimate_farm's own figure, computed the same way: the farm's size depends on the chip, not the price
            wait95 = wait_quantile(int(machines[h]), arrivals_per_h, minutes[h] / 60, WAIT_QUANTILE) * 60
            turnaround[h] = wait95 + minutes[h]
    job = minutes[np.maximum(cols.hardware[row], 0)]
    elastic = cols.elastic[row]
    days = b.working_days_per_month
    leased = np.full(row.size, np.inf)
    if b.working_hours_per_day < 24:
        lease = np.maximum(np.nan_to_num(cols.hour_min_lease[row], nan=0.0), b.working_hours_per_day)
        leased = np.nan_to_num(days * lease * cols.hour_price[row], nan=np.inf)
    per_machine = np.fmin(np.nan_to_num(cols.held_month[row], nan=np.inf), leased)
    farm = machines[np.maximum(cols.hardware[row], 0)] * np.where(np.isinf(per_machine), 0.0, per_machine)
    startup = cols.startup_minutes[row]
    runner = b.jobs_per_day * days * (job + startup) * cols.minute_price[row]
    pairs.cost_lb = np.where(elastic, runner, farm)
    # exact (the scorer's p95 turnaround, where it places the pair at all), so not shaded: pairs tied on it,
    # every offer of a chip, are told apart by their cost without pricing each
    pairs.metric_lb = np.where(elastic, startup + job, turnaround[np.maximum(cols.hardware[row], 0)]) * 60_000
    pairs.key = -1 - row
    pairs.family = np.where(elastic, ELASTIC, FARM).astype(np.int64)
    pairs.assumed = cols.mac_assumed[row]


def wanted_pricings(profile: TrainingProfile | InferenceProfile) -> list[str]:
    c = profile.constraints
    if c.spot == "only":
        return ["spot"]
    wanted = ["on-demand"]
    if c.spot == "allow":
        wanted.append("spot")
    if c.reserved == "allow":
        wanted.append("reserved")
    return wanted
