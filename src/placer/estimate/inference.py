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

from placer.estimate.queueing import wait_quantile

BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
EFF_BANDWIDTH = 0.77  # single-stream Llama 3.1 8B on A100 decodes at ~77 % of the bandwidth ceiling
EFF_COMPUTE = 0.5
EFF_PREFILL = 0.5
USABLE_MEMORY = 0.9
MAX_UTILISATION = 0.85
GQA_KV_DIM = 8 * 128  # Llama-3-style grouped-query attention: 8 KV heads × 128
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
class ModelShape:
    parameters: float
    active_parameters: float
    precision: str
    layers: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None

    @property
    def weight_bytes(self) -> float:
        return self.parameters * BYTES[self.precision]

    @property
    def kv_bytes_per_token(self) -> float:
        kv_bytes = 1.0 if self.precision == "fp8" else 2.0
        if self.layers and self.kv_heads and self.head_dim:
            return 2 * self.layers * self.kv_heads * self.head_dim * kv_bytes
        return 2 * self.layer_count * GQA_KV_DIM * kv_bytes

    @property
    def layer_count(self) -> int:
        return self.layers or approx_layers(self.parameters)

    @property
    def attention_width(self) -> float:
        """Query width d (heads × head_dim), from N ≈ 12·L·d² when the profile gives no architecture."""
        return math.sqrt(self.parameters / (12 * self.layer_count))

    def attention_flops(self, prompt_tokens: int) -> float:
        """Causal self-attention over a prompt (QKᵀ and AV): 2·L·d·n², beyond the 2·N per-token matmuls."""
        return 2 * self.layer_count * self.attention_width * prompt_tokens**2

    def attention_flops_per_token(self, context_tokens: float) -> float:
        """One decode step's attention over the context so far: 4·L·d·context."""
        return 4 * self.layer_count * self.attention_width * context_tokens

    @property
    def kv_is_approximate(self) -> bool:
        return not (self.layers and self.kv_heads and self.head_dim)


def approx_layers(parameters: float) -> int:
    """Depth from size for Llama-like models (8B→32, 70B→80 layers), when the profile gives none."""
    return int(max(16, min(160, round(32 * (parameters / 8e9) ** 0.42))))


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


MAX_REPLICAS = 100_000
REPLICA_SEARCH = 64  # replicas beyond the analytic lower bound tried for queueing slack


def _replica_floor(load: Load, prefill_s: float, step: float, batch: int) -> int | None:
    """Fewest replicas that could carry the peak within the SLO, before queueing; None if none can."""
    work_s = prefill_s + load.output_tokens * step / batch
    floor = max(1, math.ceil(load.peak_rps * work_s / MAX_UTILISATION))
    if load.p95_slo_ms is not None:
        # service time falls as replicas dilute the prefill stall: solve service ≤ SLO − RTT for replicas
        budget_s = (load.p95_slo_ms - load.rtt_p95_ms) / 1000 - prefill_s
        if budget_s <= 0 or load.output_tokens * step >= budget_s:
            return None  # even an idle replica is too slow at this batch size
        allowed_share = 1 - load.output_tokens * step / budget_s
        floor = max(floor, math.ceil(load.peak_rps * prefill_s / allowed_share))
    return floor if floor <= MAX_REPLICAS else None


def _size_replicas(
    load: Load, prefill_s: float, step: float, batch: int, floor: int
) -> tuple[int, float, float, float] | None:
    """Fewest replicas from ``floor`` that carry the peak and meet the SLO: (replicas, service s, step s, p95 wait s).

    Each request costs a replica its prefill plus a 1/batch share of its decode steps; prefills also stall
    the running batch, stretching every decode step by 1 / (1 − prefill share of the replica's time).
    """
    for replicas in range(floor, min(floor + REPLICA_SEARCH, MAX_REPLICAS + 1)):
        prefill_share = load.peak_rps / replicas * prefill_s
        if prefill_share >= MAX_UTILISATION:
            continue
        step_eff = step / (1 - prefill_share)
        service_s = prefill_s + load.output_tokens * step_eff
        slots = replicas * batch
        if load.peak_rps * service_s / slots > MAX_UTILISATION:
            continue
        wait95 = wait_quantile(slots, load.peak_rps, service_s, 0.95)
        p95_ms = load.rtt_p95_ms + (service_s + wait95) * 1000
        if load.p95_slo_ms is None or p95_ms <= load.p95_slo_ms:
            return replicas, service_s, step_eff, wait95
    return None


def prefill_seconds(model: ModelShape, hw: Hardware, tp: int, prompt_tokens: int) -> float:
    """Compute-bound prefill of one prompt on a tensor-parallel group: the time to first token."""
    flops = 2 * model.active_parameters * prompt_tokens + model.attention_flops(prompt_tokens)
    return flops / (tp * hw.peak_tflops * 1e12 * EFF_PREFILL)


def decode_step_seconds(model: ModelShape, hw: Hardware, tp: int, batch: int, mean_context: float) -> float:
    """One decode step for ``batch`` streams: bandwidth-bound (weights + KV reads) or compute-bound, plus the
    tensor-parallel all-reduces."""
    memory = (model.weight_bytes + batch * mean_context * model.kv_bytes_per_token) / (
        tp * hw.mem_bw_tbps * 1e12 * EFF_BANDWIDTH
    )
    compute = (
        batch
        * (2 * model.active_parameters + model.attention_flops_per_token(mean_context))
        / (tp * hw.peak_tflops * 1e12 * EFF_COMPUTE)
    )
    return max(memory, compute) + (2 * model.layer_count * TP_ALLREDUCE_S if tp > 1 else 0.0)


def estimate(model: ModelShape, load: Load, hw: Hardware) -> ServingEstimate:
    context = load.input_tokens + load.output_tokens
    mean_ctx = load.input_tokens + load.output_tokens / 2
    kv = model.kv_bytes_per_token
    fits = False
    hours = HOURS_PER_MONTH * load.hours_per_day / 24
    per_instance_month = hw.usd_per_instance_hour * hours
    best: ServingEstimate | None = None
    fastest_p95 = math.inf
    for tp in _tp_options(hw.per_instance):
        free = USABLE_MEMORY * tp * hw.memory_gb * 1e9 - model.weight_bytes
        max_batch = int(free // (context * kv)) if free > 0 else 0
        if max_batch < 1:
            continue
        fits = True
        prefill_s = prefill_seconds(model, hw, tp, load.input_tokens)
        batches = sorted({min(max_batch, 2**i) for i in range(0, 12)})
        for batch in batches:
            step = decode_step_seconds(model, hw, tp, batch, mean_ctx)
            fastest_p95 = min(fastest_p95, load.rtt_p95_ms + (prefill_s + load.output_tokens * step) * 1000)
            floor = _replica_floor(load, prefill_s, step, batch)
            if floor is None:
                continue
            if best is not None and math.ceil(floor * tp / hw.per_instance) * per_instance_month > best.monthly_usd:
                continue  # queueing only adds replicas: this cannot beat the best so far
            sized = _size_replicas(load, prefill_s, step, batch, floor)
            if sized is None:
                continue
            replicas, service_s, step_eff, wait95 = sized
            wait50 = wait_quantile(replicas * batch, load.peak_rps, service_s, 0.5)
            instances = math.ceil(replicas * tp / hw.per_instance)
            candidate = ServingEstimate(
                tensor_parallel=tp,
                batch=batch,
                replicas=replicas,
                instances=instances,
                accelerators=replicas * tp,
                ttft_ms=prefill_s * 1000,
                tokens_per_s_per_stream=1 / step_eff,
                p50_ms=load.rtt_p50_ms + (wait50 + service_s) * 1000,
                p95_ms=load.rtt_p95_ms + (wait95 + service_s) * 1000,
                monthly_usd=instances * per_instance_month,
                instance_hours=instances * hours,
                kv_bytes_per_token=kv,
            )
            if best is None or (candidate.monthly_usd, candidate.p95_ms) < (best.monthly_usd, best.p95_ms):
                best = candidate
    if not fits:
        need = (model.weight_bytes + context * kv) / 1e9 / USABLE_MEMORY
        have = max(_tp_options(hw.per_instance)) * hw.memory_gb
        raise Infeasible(
            f"{have:g} GB per instance < {need:,.0f} GB needed for weights and one sequence's KV cache",
            "memory",
        )
    if best is None:
        if load.p95_slo_ms is None or fastest_p95 <= load.p95_slo_ms:
            raise Infeasible(f"needs more than {MAX_REPLICAS:,} replicas to carry {load.peak_rps:g} req/s", "capacity")
        raise Infeasible(f"p95 latency {fastest_p95:,.0f} ms > SLO {load.p95_slo_ms:,.0f} ms even at batch 1", "slo")
    return best


@dataclass(frozen=True)
class ApiEstimate:
    monthly_usd: float
    input_mtok: float
    output_mtok: float
    p50_ms: float
    p95_ms: float


API_P95_TTFT_FACTOR = 2.0


def estimate_api(
    load: Load, usd_per_mtok_in: float, usd_per_mtok_out: float, ttft_ms: float, tokens_per_s: float
) -> ApiEstimate:
    """Per-token APIs: pay for tokens, no capacity to size; latency from the provider's speed."""
    seconds = HOURS_PER_MONTH * 3600 * load.hours_per_day / 24
    requests = load.mean_rps * seconds
    mtok_in = requests * load.input_tokens / 1e6
    mtok_out = requests * load.output_tokens / 1e6
    decode_ms = load.output_tokens / tokens_per_s * 1000
    p50 = load.rtt_p50_ms + ttft_ms + decode_ms
    p95 = load.rtt_p95_ms + API_P95_TTFT_FACTOR * ttft_ms + decode_ms
    if load.p95_slo_ms is not None and p95 > load.p95_slo_ms:
        raise Infeasible(f"p95 latency {p95:,.0f} ms > SLO {load.p95_slo_ms:,.0f} ms", "slo")
    return ApiEstimate(
        monthly_usd=mtok_in * usd_per_mtok_in + mtok_out * usd_per_mtok_out,
        input_mtok=mtok_in,
        output_mtok=mtok_out,
        p50_ms=p50,
        p95_ms=p95,
    )
