"""Self-hosted serving: weights and KV cache must fit; decode is bandwidth bound, prefill compute bound.

For a replica of ``tp`` accelerators (tensor parallel inside one instance) serving B streams at once:

    decode step  = max((weights + B·ctx·kv_bytes) / (tp·BW·eff_bw), B·(2·N_active + 4·L·d·ctx) / (tp·peak·eff_compute))
    TTFT         = (2·N_active·input_tokens + 2·L·d·input_tokens²) / (tp·peak·eff_prefill)
    service time = TTFT + output_tokens · decode step

Replicas × B request slots form an M/M/c queue at the peak request rate; the cheapest (tp, B, replicas)
whose p95 latency (RTT + queue + service) meets the SLO wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from placer.estimate.model_shape import BYTES, GQA_KV_DIM, ModelShape, approx_layers
from placer.estimate.replicas import HUGE, MAX_REPLICAS, MAX_UTILISATION, Config, Sized, cheapest

# the model's geometry and the replica limits, used with the estimator
__all__ = ["BYTES", "GQA_KV_DIM", "MAX_REPLICAS", "MAX_UTILISATION", "ModelShape", "approx_layers"]

EFF_BANDWIDTH = 0.77  # single-stream Llama 3.1 8B on A100 decodes at ~77 % of the bandwidth ceiling
EFF_COMPUTE = 0.5
EFF_PREFILL = 0.5
USABLE_MEMORY = 0.9
TP_ALLREDUCE_S = 10e-6  # one NVLink all-reduce of a decode step's activations; two per layer (assumption)
HOURS_PER_MONTH = 730.0

ASSUMPTIONS = (
    f"decode at {EFF_BANDWIDTH:.0%} of memory bandwidth (single-stream Llama 3.1 8B on A100 measured ~77 %); "
    f"prefill and batched decode at {EFF_COMPUTE:.0%} of dense peak (assumption)",
    f"{USABLE_MEMORY:.0%} of accelerator memory usable for weights and KV cache; "
    f"replicas sized for ≤ {MAX_UTILISATION:.0%} utilisation at peak; "
    "prefills share each replica's compute and stall its decode batch",
    f"tensor parallelism costs {TP_ALLREDUCE_S * 1e6:g} µs per all-reduce, two per layer per decode step; "
    "service time is taken as fixed for requests of the stated size (assumptions)",
)


@dataclass(frozen=True)
class Load:
    input_tokens: int
    output_tokens: int
    peak_rps: float
    mean_rps: float
    hours_per_day: float
    p95_slo_ms: float | None
    rtt_p50_ms: float
    rtt_p95_ms: float


@dataclass(frozen=True)
class Hardware:
    peak_tflops: float
    mem_bw_tbps: float
    memory_gb: float
    per_instance: int
    usd_per_instance_hour: float


@dataclass(frozen=True)
class ServingEstimate:
    tensor_parallel: int
    batch: int
    replicas: int
    instances: int
    accelerators: int
    ttft_ms: float
    tokens_per_s_per_stream: float
    p50_ms: float
    p95_ms: float
    monthly_usd: float
    instance_hours: float
    kv_bytes_per_token: float


class Infeasible(Exception):
    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _tp_options(per_instance: int) -> list[int]:
    return [tp for tp in (1, 2, 4, 8, 16) if tp <= per_instance]


BATCH_SIZES = tuple(2**i for i in range(12))  # streams per replica: 1, 2, 4 … 2048, and as many as fit if fewer


def prefill_seconds(model: ModelShape, hw: Hardware, tp: int, prompt_tokens: int) -> float:
    """Compute-bound prefill of one prompt on a tensor-parallel group: the time to first token."""
    return _prefill_time(_prefill_flops(model, prompt_tokens), hw, tp)


def _prefill_flops(model: ModelShape, prompt_tokens: int) -> float:
    return 2 * model.active_parameters * prompt_tokens + model.attention_flops(prompt_tokens)


def _prefill_time(flops: float, hw: Hardware, tp: int) -> float:
    return flops / (tp * hw.peak_tflops * 1e12 * EFF_PREFILL)


class _DecodeCosts(NamedTuple):
    """A model's decode-step figures at one mean context, worked out once rather than per batch size."""

    weight_bytes: float
    kv_bytes_per_token: float
    mean_context: float
    flops_per_stream: float  # 2·N_active + 4·L·d·context
    allreduce_s: float  # two all-reduces per layer, when tensor parallel

    @classmethod
    def of(cls, model: ModelShape, mean_context: float) -> _DecodeCosts:
        return cls(
            model.weight_bytes,
            model.kv_bytes_per_token,
            mean_context,
            2 * model.active_parameters + model.attention_flops_per_token(mean_context),
            2 * model.layer_count * TP_ALLREDUCE_S,
        )


def decode_step_seconds(model: ModelShape, hw: Hardware, tp: int, batch: int, mean_context: float) -> float:
    """One decode step for ``batch`` streams: bandwidth-bound (weights + KV reads) or compute-bound, plus the
    tensor-parallel all-reduces."""
    return _decode_steps(_DecodeCosts.of(model, mean_context), hw, tp, [batch])[0]


def _decode_steps(costs: _DecodeCosts, hw: Hardware, tp: int, batches: list[int]) -> list[float]:
    """decode_step_seconds at each batch size."""
    weights, context, kv, flops = (
        costs.weight_bytes,
        costs.mean_context,
        costs.kv_bytes_per_token,
        costs.flops_per_stream,
    )
    bandwidth = tp * hw.mem_bw_tbps * 1e12 * EFF_BANDWIDTH
    compute_rate = tp * hw.peak_tflops * 1e12 * EFF_COMPUTE
    allreduce_s = costs.allreduce_s if tp > 1 else 0.0
    steps = []
    for batch in batches:
        memory = (weights + batch * context * kv) / bandwidth
        compute = batch * flops / compute_rate
        steps.append((compute if compute > memory else memory) + allreduce_s)  # max(memory, compute)
    return steps


class _TpWork(NamedTuple):
    """One tensor-parallel degree's configs on one accelerator, before its price and how many come per instance:
    the same for every shape of that accelerator (1, 2, 4 or 8 to an instance, any price), so kept in the
    SharedWork of its (model, load).

    kept: (idle p95 ms, batch, decode step s, replica floor) of each config that can meet the SLO within
    MAX_REPLICAS, in batch order; fastest_p95: the least idle p95 of all its configs; bounded: whether every
    time is in [0, HUGE]."""

    prefill_s: float
    kept: list[tuple[float, int, float, int]]
    fastest_p95: float
    bounded: bool


def _tp_work(load: Load, prefill_s: float, steps: list[float], batches: list[int]) -> _TpWork:
    """The configs of one tensor-parallel degree with a replica floor, their least idle p95 and whether their times are
    in [0, HUGE].

    The floor: each request costs a replica its prefill plus a 1/batch share of its decode steps, at most
    MAX_UTILISATION of the replica's time; and as the service time falls when replicas dilute the prefill stall,
    solve service ≤ SLO − RTT for replicas. No floor (so no config) when even an idle replica is too slow.
    """
    peak, out, rtt95, slo = load.peak_rps, load.output_tokens, load.rtt_p95_ms, load.p95_slo_ms
    budget_s = 0.0 if slo is None else (slo - rtt95) / 1000 - prefill_s
    kept: list[tuple[float, int, float, int]] = []
    fastest_p95 = math.inf
    bounded = 0 <= prefill_s <= HUGE
    for batch, step in zip(batches, steps, strict=True):
        decode_s = out * step
        idle_p95 = rtt95 + (prefill_s + decode_s) * 1000
        if idle_p95 < fastest_p95:  # noqa: PLR1730 -- min() and max() as comparisons: the hot loop of estimate
            fastest_p95 = idle_p95
        bounded = bounded and 0 <= step <= HUGE
        floor = math.ceil(peak * (prefill_s + decode_s / batch) / MAX_UTILISATION)
        if floor < 1:  # noqa: PLR1730
            floor = 1
        if slo is not None:
            if budget_s <= 0 or decode_s >= budget_s:
                continue
            stalled = math.ceil(peak * prefill_s / (1 - decode_s / budget_s))
            if stalled > floor:  # noqa: PLR1730
                floor = stalled
        if floor <= MAX_REPLICAS:
            kept.append((idle_p95, batch, step, floor))
    return _TpWork(prefill_s, kept, fastest_p95, bounded)


class SharedWork:
    """What estimates of one model under one load share between accelerator shapes: each tensor-parallel degree's
    configs per accelerator (its memory, bandwidth and peak), whatever the instance size and price, and the
    replica sizing of a config. A fleet re-plan estimates dozens of shapes per profile, most of them an
    accelerator already seen in another instance size, which picks the same config."""

    def __init__(self, model: ModelShape, load: Load) -> None:
        self.model = model
        self.load = load
        self.blocks: dict[tuple[int, float, float, float], _TpWork | None] = {}  # None: the weights do not fit
        self.sized: dict[tuple[float, float, int, int], Sized | None] = {}  # (prefill, step, batch, floor)

    def of(self, model: ModelShape, load: Load) -> SharedWork:
        """This, when asked with its very model and load; else a fresh one (nothing shared)."""
        return self if model is self.model and load is self.load else SharedWork(model, load)


def estimate(model: ModelShape, load: Load, hw: Hardware, shared: SharedWork | None = None) -> ServingEstimate:
    """The cheapest (tp, batch, replicas) meeting the SLO; among equal costs the lowest p95, then the first in
    tp-then-batch order. Infeasible (memory, slo or capacity) when there is none, and (range) when the figures
    are so extreme that the arithmetic leaves the finite floats: that offer is rejected, the plan goes on.

    ``shared``: work kept between estimates of the same model and load on other shapes; the answer is the same."""
    try:
        return _estimate(model, load, hw, SharedWork(model, load) if shared is None else shared.of(model, load))
    except (OverflowError, ValueError, ZeroDivisionError) as exc:  # int(inf), int(nan), ceil(inf), x / 0.0
        raise Infeasible(f"the figures are out of range for an estimate ({exc})", "range") from None


def _estimate(model: ModelShape, load: Load, hw: Hardware, shared: SharedWork) -> ServingEstimate:
    context = load.input_tokens + load.output_tokens
    mean_ctx = load.input_tokens + load.output_tokens / 2
    kv = model.kv_bytes_per_token
    weight_bytes = model.weight_bytes
    fits = False
    hours = HOURS_PER_MONTH * load.hours_per_day / 24
    per_instance, per_instance_month = hw.per_instance, hw.usd_per_instance_hour * hours
    fastest_p95 = math.inf
    configs: list[Config] = []
    bounded = True
    costs: _DecodeCosts | None = None  # the model's other figures, once it fits (so only then can they fail)
    prefill_flops = 0.0
    blocks = shared.blocks
    # equal keys mean equal arithmetic: a zero of either sign divides by zero (and fails) alike, and the memory's
    # sign only ever lowers the free memory below zero; not so for figures that are not floats (an int equal to a
    # float can overflow where the float gives inf), which share nothing
    floats = type(hw.memory_gb) is float and type(hw.mem_bw_tbps) is float and type(hw.peak_tflops) is float
    for tp in _tp_options(per_instance):
        key = (tp, hw.memory_gb, hw.mem_bw_tbps, hw.peak_tflops)
        if floats and key in blocks:
            work = blocks[key]
        else:
            free = USABLE_MEMORY * tp * hw.memory_gb * 1e9 - weight_bytes
            max_batch = int(free // (context * kv)) if free > 0 else 0
            work = None
            if max_batch >= 1:
                if costs is None:
                    prefill_flops = _prefill_flops(model, load.input_tokens)
                    costs = _DecodeCosts.of(model, mean_ctx)
                prefill_s = _prefill_time(prefill_flops, hw, tp)
                batches = [b for b in BATCH_SIZES if b < max_batch] + [min(max_batch, BATCH_SIZES[-1])]
                work = _tp_work(load, prefill_s, _decode_steps(costs, hw, tp, batches), batches)
            if floats:
                blocks[key] = work
        if work is None:
            continue
        fits = True
        for idle_p95, batch, step, floor in work.kept:
            min_usd = math.ceil(floor * tp / per_instance) * per_instance_month
            configs.append((min_usd, idle_p95, len(configs), tp, batch, work.prefill_s, step, floor))
        fastest_p95 = min(fastest_p95, work.fastest_p95)
        bounded = bounded and work.bounded
    if not fits:
        need = (weight_bytes + context * kv) / 1e9 / USABLE_MEMORY
        have = max(_tp_options(hw.per_instance)) * hw.memory_gb
        raise Infeasible(
            f"{have:g} GB per instance < {need:,.0f} GB needed for weights and one sequence's KV cache",
            "memory",
        )
    best = cheapest(configs, load, hw.per_instance, per_instance_month, bounded, shared.sized)
    if best is None:
        if load.p95_slo_ms is None or fastest_p95 <= load.p95_slo_ms:
            raise Infeasible(f"needs more than {MAX_REPLICAS:,} replicas to carry {load.peak_rps:g} req/s", "capacity")
        raise Infeasible(f"p95 latency {fastest_p95:,.0f} ms > SLO {load.p95_slo_ms:,.0f} ms even at batch 1", "slo")
    (_, _, _, tp, batch, prefill_s, _, _), sized = best
    instances = math.ceil(sized.replicas * tp / hw.per_instance)
    return ServingEstimate(
        tensor_parallel=tp,
        batch=batch,
        replicas=sized.replicas,
        instances=instances,
        accelerators=sized.replicas * tp,
        ttft_ms=prefill_s * 1000,
        tokens_per_s_per_stream=1 / sized.step_s,
        p50_ms=load.rtt_p50_ms + (sized.wait50_s + sized.service_s) * 1000,
        p95_ms=load.rtt_p95_ms + (sized.wait95_s + sized.service_s) * 1000,
        monthly_usd=instances * per_instance_month,
        instance_hours=instances * hours,
        kv_bytes_per_token=kv,
    )
