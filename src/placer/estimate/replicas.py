"""Replicas for a serving config: the fewest that carry the peak within the SLO (an M/M/c queue of request slots),
and, among a shape's configs, the cheapest once sized, found without sizing most of them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from placer.estimate.queueing import wait_quantiles

if TYPE_CHECKING:
    from placer.estimate.inference import Load

MAX_UTILISATION = 0.85
MAX_REPLICAS = 100_000
REPLICA_SEARCH = 64  # replicas beyond the analytic lower bound tried for queueing slack
HUGE = 1e300  # seconds; times up to this keep every derived latency free of NaN (see Config)


# One (tensor parallel, batch) way to serve, as a plain tuple (there are dozens per estimate):
#   (min_usd, min_p95_ms, position, tp, batch, prefill_s, step_s, floor)
# floor: the fewest replicas that could carry the peak within the SLO before queueing, so the config costs at least
# min_usd a month; min_p95_ms: its p95 with no queue and no prefill stall, a lower bound on its p95 when the times
# are in [0, HUGE] and the rate and output are not negative; position: tp-then-batch order, which breaks ties.
Config = tuple[float, float, int, int, int, float, float, int]


class Sized(NamedTuple):
    replicas: int
    service_s: float
    step_s: float  # the decode step, stretched by prefill stalls
    wait50_s: float
    wait95_s: float


def size_replicas(load: Load, prefill_s: float, step: float, batch: int, floor: int) -> Sized | None:
    """Fewest replicas from ``floor`` that carry the peak and meet the SLO, or None within the search window.

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
        wait95, wait50 = wait_quantiles(slots, load.peak_rps, service_s, (0.95, 0.5))
        p95_ms = load.rtt_p95_ms + (service_s + wait95) * 1000
        if load.p95_slo_ms is None or p95_ms <= load.p95_slo_ms:
            return Sized(replicas, service_s, step_eff, wait50, wait95)
    return None


def cheapest(
    configs: list[Config],
    load: Load,
    per_instance: int,
    per_instance_month: float,
    bounded: bool,
    sized_before: dict[tuple[float, float, int, int], Sized | None],
) -> tuple[Config, Sized] | None:
    """The config with the least (monthly cost, p95), the first in tp-then-batch order among equals, sized; None if
    none can be sized. The same answer as sizing every config in order, but sizing (the queueing) is the costly part.

    So configs are sized in increasing order of their bounds (min_usd, min_p95_ms) — more replicas only add cost,
    prefill stalls only stretch the step and queueing only adds wait — and the search stops once a bound passes the
    best found. The bounds need a price, RTT, rate and output that are finite and not negative, and times in
    [0, HUGE] (``bounded``); failing that, every config is sized in order, skipping only those whose cost bound
    exceeds the best cost so far.
    """
    ordered = (
        bounded
        and 0 <= per_instance_month < math.inf
        and math.isfinite(load.rtt_p95_ms)
        and load.peak_rps >= 0
        and load.output_tokens >= 0
    )
    best: tuple[Config, Sized] | None = None
    best_key = (math.inf, math.inf, len(configs))  # (monthly usd, p95 ms, position)
    for config in sorted(configs) if ordered else configs:
        min_usd, min_p95, position, tp, batch, prefill_s, step, floor = config
        if best is not None:
            if not ordered:
                if min_usd > best_key[0]:
                    continue  # more replicas only add cost: this cannot beat the best so far
            elif (min_usd, min_p95, position) > best_key:
                break  # nor can any config after it
            elif (min_usd, _least_p95_at_min_usd(config, load, per_instance, per_instance_month), position) > best_key:
                continue
        if prefill_s and step:  # sizings kept by their inputs (not zeros: 0.0 and -0.0 are equal keys)
            memo = (prefill_s, step, batch, floor)
            sized = sized_before[memo] if memo in sized_before else size_replicas(load, prefill_s, step, batch, floor)
            sized_before[memo] = sized
        else:
            sized = size_replicas(load, prefill_s, step, batch, floor)
        if sized is None:
            continue
        key = (
            math.ceil(sized.replicas * tp / per_instance) * per_instance_month,
            load.rtt_p95_ms + (sized.wait95_s + sized.service_s) * 1000,
            position,
        )
        if best is None or key < best_key:
            best, best_key = (config, sized), key
    return best


def _least_p95_at_min_usd(config: Config, load: Load, per_instance: int, per_instance_month: float) -> float:
    """A tighter lower bound on the config's p95 (ms) should it cost only min_usd: it then runs no more replicas than
    fit in the floor's instances, so prefill stalls its decode step at least as much as at that count.

    min_p95_ms when that argument fails in floating point (more replicas could cost the same, say at a zero price);
    inf when even that count is overloaded by prefill (so the config costs more than min_usd).
    """
    min_usd, min_p95, _, tp, _, prefill_s, step, floor = config
    instances = math.ceil(floor * tp / per_instance)
    most = instances * per_instance // tp
    if not (math.ceil((most + 1) * tp / per_instance) > instances and (instances + 1) * per_instance_month > min_usd):
        return min_p95
    prefill_share = load.peak_rps / most * prefill_s
    if prefill_share >= MAX_UTILISATION:
        return math.inf
    return load.rtt_p95_ms + (prefill_s + load.output_tokens * (step / (1 - prefill_share))) * 1000
