"""Inference estimates: the bandwidth-bound decode model against a measured figure, and sizing rules."""

import math

import pytest

from placer.estimate.inference import (
    Hardware,
    Infeasible,
    Load,
    ModelShape,
    approx_layers,
    decode_step_seconds,
    estimate,
    estimate_api,
    prefill_seconds,
)

LLAMA_8B = ModelShape(8e9, 8e9, "bf16", layers=32, kv_heads=8, head_dim=128)
A100_40GB = Hardware(peak_tflops=312, mem_bw_tbps=1.555, memory_gb=40, per_instance=1, usd_per_instance_hour=1.99)


def load(**kw) -> Load:
    base = {
        "input_tokens": 1024,
        "output_tokens": 128,
        "peak_rps": 0.01,
        "mean_rps": 0.01,
        "hours_per_day": 24,
        "p95_slo_ms": None,
        "rtt_p50_ms": 0.0,
        "rtt_p95_ms": 0.0,
    }
    base.update(kw)
    return Load(**base)


def test_kv_bytes_llama3_70b_by_hand():
    # 2 (K and V) × 80 layers × 8 KV heads × 128 dims × 2 bytes = 327,680 bytes per token
    assert ModelShape(70e9, 70e9, "bf16", 80, 8, 128).kv_bytes_per_token == 327_680


def test_depth_approximation_matches_known_llamas():
    assert approx_layers(8e9) == 32
    assert approx_layers(70e9) == 80


def test_single_stream_decode_matches_measured_75_tok_s():
    # Reference: Llama 3.1 8B, one request, A100 40GB (1.555 TB/s): ~75 tok/s measured.
    # At a trickle of load one replica costs the same at any batch, so the lowest latency (batch 1) wins.
    est = estimate(LLAMA_8B, load(), A100_40GB)
    assert est.batch == 1
    # By hand: step = (16e9 + 1 × 1088 × 131072) / (1.555e12 × 0.77) = 13.48 ms → 74.18 tok/s,
    # stretched by the replica's prefill share: 0.01 req/s × (2 × 8e9 × 1024 / (312e12 × 0.5) = 0.105 s)
    step = (16e9 + 1088 * 131_072) / (1.555e12 * 0.77)
    prefill = prefill_seconds(LLAMA_8B, A100_40GB, 1, 1024)  # 2·N·n plus causal attention, at 50 % of peak
    assert prefill == pytest.approx((2 * 8e9 * 1024 + 2 * 32 * (8e9 / (12 * 32)) ** 0.5 * 1024**2) / (312e12 * 0.5))
    assert 1 / step == pytest.approx(74.18, abs=0.01)
    assert est.tokens_per_s_per_stream == pytest.approx((1 - 0.01 * prefill) / step, rel=1e-9)
    assert abs(est.tokens_per_s_per_stream / 75 - 1) < 0.05
    assert est.ttft_ms == pytest.approx(prefill * 1000)


def test_weights_that_do_not_fit_are_rejected_with_numbers():
    big = ModelShape(70e9, 70e9, "bf16", 80, 8, 128)
    with pytest.raises(Infeasible) as exc:
        estimate(big, load(), A100_40GB)
    assert exc.value.code == "memory"
    assert "40 GB per instance" in exc.value.reason


def test_tensor_parallel_inside_an_instance_makes_70b_fit():
    big = ModelShape(70e9, 70e9, "bf16", 80, 8, 128)
    h100x8 = Hardware(989, 3.35, 80, 8, 8 * 4.0)
    est = estimate(big, load(peak_rps=20, mean_rps=20, input_tokens=1000, output_tokens=300), h100x8)
    assert est.tensor_parallel in (2, 4, 8)
    assert est.tensor_parallel * 80 * 0.9 > 140  # weights (140 GB) fit in the TP group
    assert est.monthly_usd == pytest.approx(est.instances * 32.0 * 730)


def test_slo_too_tight_is_rejected():
    with pytest.raises(Infeasible) as exc:
        estimate(LLAMA_8B, load(p95_slo_ms=500), A100_40GB)
    assert exc.value.code == "slo"


def test_prefill_compute_limits_replica_capacity():
    # 20 req/s × 1000 prompt tokens of a 70B model: 2 × 70e9 × 1000 × 20 = 2.8 PFLOP/s of prefill alone.
    big = ModelShape(70e9, 70e9, "fp8", 80, 8, 128)
    b200 = Hardware(4500, 8.0, 180, 1, 5.98)
    est = estimate(big, load(peak_rps=20, mean_rps=20, input_tokens=1000, output_tokens=300), b200)
    prefill_share_per_replica = 20 / est.replicas * (2 * 70e9 * 1000 / (4500e12 * 0.5))
    assert est.replicas >= 2
    assert prefill_share_per_replica < 0.85


def test_more_load_needs_more_replicas():
    light = estimate(LLAMA_8B, load(peak_rps=1, mean_rps=1, p95_slo_ms=10_000), A100_40GB)
    heavy = estimate(LLAMA_8B, load(peak_rps=50, mean_rps=50, p95_slo_ms=10_000), A100_40GB)
    assert heavy.replicas > light.replicas
    assert heavy.p95_ms <= 10_000


def test_api_cost_by_hand():
    # 2 req/s × 730 h × 3600 s = 5,256,000 requests; × 1000 in = 5,256 M tokens; × 300 out = 1,576.8 M
    est = estimate_api(
        load(peak_rps=5, mean_rps=2, input_tokens=1000, output_tokens=300, rtt_p50_ms=10, rtt_p95_ms=80),
        usd_per_mtok_in=0.88,
        usd_per_mtok_out=0.88,
        ttft_ms=500,
        tokens_per_s=60,
    )
    assert est.monthly_usd == pytest.approx(5256 * 0.88 + 1576.8 * 0.88, rel=1e-12)
    assert est.p50_ms == pytest.approx(10 + 500 + 5000)
    assert est.p95_ms == pytest.approx(80 + 1000 + 5000)


def test_api_over_slo_is_rejected():
    with pytest.raises(Infeasible):
        estimate_api(load(p95_slo_ms=1000), 1, 1, ttft_ms=500, tokens_per_s=60)


# Measured: Qwen3-8B, bf16, vLLM 0.30 on one H100 at "max users meeting the SLO" (TTFT p99 2 s, ITL median 50 ms),
# silybench rows in ../shared/data/reference/inference_throughput.csv (2026-09-24): (input, output) -> output tok/s.
SILYBENCH_H100_BF16 = {(128, 128): 14539.5, (1024, 128): 3017.7, (128, 1024): 13322.0, (2048, 2048): 2814.7,
                       (8192, 512): 501.6}  # fmt: skip
QWEN3_8B = ModelShape(8.19e9, 8.19e9, "bf16", layers=36, kv_heads=8, head_dim=128)
H100 = Hardware(peak_tflops=989, mem_bw_tbps=3.35, memory_gb=80, per_instance=1, usd_per_instance_hour=1.0)


def model_throughput_at_itl(inp: int, out: int, itl_s: float = 0.05, ttft_p99_s: float = 2.0) -> float:
    """The most output tok/s one H100 sustains in the model under the benchmark's SLO: each stream's ITL ≤ itl_s,
    and TTFT p99 ≤ ttft_p99_s with prompts queueing for the compute as an M/M/1 queue."""
    prefill = prefill_seconds(QWEN3_8B, H100, 1, inp)
    fits = int((0.9 * 80e9 - QWEN3_8B.weight_bytes) // ((inp + out) * QWEN3_8B.kv_bytes_per_token))
    best = 0.0
    for batch in range(1, fits + 1):
        step = decode_step_seconds(QWEN3_8B, H100, 1, batch, inp + out / 2)
        rate = 1 / (prefill + out * step / batch)  # requests/s a saturated replica completes
        share = rate * prefill
        if share >= 1:
            continue
        wait_p99 = max(0.0, math.log(share / 0.01)) * prefill / (1 - share) if share > 0.01 else 0.0
        if step / (1 - share) <= itl_s and prefill + wait_p99 <= ttft_p99_s:
            best = max(best, rate * out)
    return best


@pytest.mark.parametrize(("shape", "measured"), list(SILYBENCH_H100_BF16.items()))
def test_serving_model_tracks_measured_h100_throughput(shape: tuple[int, int], measured: float):
    # A first-order model: within ±35 % of every measured scenario, from short chats to 8k-token prompts.
    assert model_throughput_at_itl(*shape) == pytest.approx(measured, rel=0.35)
