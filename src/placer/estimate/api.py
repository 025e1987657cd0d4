"""Per-token hosted APIs: pay for the tokens, no capacity to size; latency from the provider's own speed.

Apart from self-hosted serving (``placer.estimate.inference``), which sizes replicas with a queue; the two share
only the load and the month.
"""

from __future__ import annotations

from dataclasses import dataclass

from placer.estimate.inference import HOURS_PER_MONTH, Infeasible, Load


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
