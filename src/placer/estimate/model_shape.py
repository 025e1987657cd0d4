"""A model's geometry as serving sees it: weight bytes, KV cache per token, attention FLOPs, depth from size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
GQA_KV_DIM = 8 * 128  # Llama-3-style grouped-query attention: 8 KV heads × 128


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


@lru_cache(maxsize=64)  # read several times per estimate through layer_count and attention_width
def approx_layers(parameters: float) -> int:
    """Depth from size for Llama-like models (8B→32, 70B→80 layers), when the profile gives none."""
    return int(max(16, min(160, round(32 * (parameters / 8e9) ** 0.42))))
