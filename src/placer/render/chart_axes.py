"""Chart axes: a linear or log scale fitted to the data, with round ticks and their labels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LOG_SPAN = 30.0  # values spanning more than this factor go on a log scale
PAD = 0.05  # of the axis length, left free at each end so no dot sits on the frame
ZOOM_SPAN = 0.05  # a linear axis whose data span less than this share of their maximum is marked as zoomed


@dataclass(frozen=True)
class Axis:
    lo: float  # the domain's ends, in data units
    hi: float
    p0: float  # the pixels they map to
    p1: float
    log: bool

    def position(self, value: float) -> float:
        if self.log:
            if value <= 0:
                return self.p0
            lo, hi, value = math.log10(self.lo), math.log10(self.hi), math.log10(value)
        else:
            lo, hi = self.lo, self.hi
        return self.p0 + (value - lo) / (hi - lo) * (self.p1 - self.p0)

    @property
    def zoomed(self) -> bool:
        """A linear axis over a narrow band far from zero: small gaps look big, so the chart must say so."""
        if self.log or self.lo <= 0:
            return False
        span = (self.hi - self.lo) / (1 + 2 * PAD)  # the data's span, without the padding
        return span < ZOOM_SPAN * self.hi

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi and (value > 0 or not self.log)

    def tick_values(self) -> list[tuple[float, int]]:
        """Round values inside the domain, each with the decimals it needs."""
        if self.log:
            return _log_ticks(self.lo, self.hi)
        step = _nice_step((self.hi - self.lo) / 6)
        decimals = next((d for d in range(12) if abs(round(step, d) - step) <= step * 1e-9), 12)
        first = math.ceil(self.lo / step - 1e-9)
        out = []
        k = first
        while k * step <= self.hi + step * 1e-9:
            out.append((round(k * step, decimals + 2), decimals))
            k += 1
        return out

    def ticks(self, fmt: str) -> list[tuple[float, str]]:
        values = self.tick_values()
        scale, suffix = (1.0, "")
        if fmt == "usd" and not self.log:
            top = max(abs(v) for v, _ in values) if values else 0.0
            scale, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")
        out = []
        for value, decimals in values:
            if fmt == "usd":
                s, suf = (scale, suffix) if not self.log else _usd_scale(value)
                out.append((value, usd_tick(value, s, suf, decimals)))
            else:
                out.append((value, f"{value:,.{decimals}f}"))
        return out


def _usd_scale(value: float) -> tuple[float, str]:
    return (1e6, "M") if value >= 1e6 else (1e3, "k") if value >= 1e3 else (1.0, "")


def usd_tick(value: float, scale: float, suffix: str, decimals: int) -> str:
    """$ with a k/M suffix and just the decimals the step needs ($1.5k, $20k, $1.25M)."""
    step_decimals = max(0, decimals + round(math.log10(scale)))
    text = f"{value / scale:,.{step_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"${text}{suffix}"


def _nice_step(raw: float) -> float:
    """The round step (1, 2, 2.5 or 5 × 10^k) nearest ``raw`` on a log scale."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return min((m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0)), key=lambda step: abs(math.log(step / raw)))


def _log_ticks(lo: float, hi: float) -> list[tuple[float, int]]:
    decades = math.log10(hi / lo)
    mantissas = (1.0,) if decades > 5 else (1.0, 2.0, 5.0) if decades > 1.2 else (1.0, 2.0, 3.0, 5.0, 7.0)
    out = []
    for power in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in mantissas:
            value = m * 10.0**power
            if lo <= value <= hi:
                out.append((value, max(0, -power)))
    return out


def make_axis(values: Sequence[float], p0: float, p1: float) -> Axis:
    """An axis over ``values`` from pixel ``p0`` (low values) to ``p1``, log when they span > 30×."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return Axis(0.0, 1.0, p0, p1, log=False)
    lo, hi = min(finite), max(finite)
    if lo > 0 and hi / lo > LOG_SPAN:
        span = math.log10(hi / lo)
        return Axis(lo / 10 ** (span * PAD), hi * 10 ** (span * PAD), p0, p1, log=True)
    if hi == lo:
        half = abs(lo) * 0.1 or 1.0
        lo, hi = lo - half, hi + half
    pad = (hi - lo) * PAD
    low = lo - pad
    if min(finite) >= 0 > low:
        low = 0.0
    return Axis(low, hi + pad, p0, p1, log=False)
