"""M/M/c (Erlang C) queues: sizing a Mac build farm and the request slots of an inference service.

Jobs arrive at rate λ, each takes S on one of c servers. With offered load a = λ·S, the probability
that a job waits is Erlang C; the waiting time beyond that is exponential with rate c/S − λ, so
P(W > t) = C·exp(−(c/S − λ)·t).
"""

from __future__ import annotations

import math

MAX_SERVERS = 100_000


class TooManyServers(ValueError):
    """The load needs an absurd number of servers; callers turn this into a rejection."""


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability B(c, a) = pmf(c) / Σ_{k≤c} pmf(k) for Poisson(a) — in O(√a), not O(c).

    Far above the load the tail is negligible and B ≈ pmf(c). Otherwise sum pmf(k)/pmf(c) downward from
    k = c (ratio k/a per step) and stop once terms no longer matter: about c − a + 10·√a terms.
    """
    return _erlang_b(servers, offered_load, math.inf)


def _erlang_b(servers: int, offered_load: float, enough: float) -> float:
    """erlang_b, but if the sum reaches ``enough`` first, stop there and return 1/sum: no less than the exact value,
    as the sum only grows. (With enough = inf that happens only if the sum overflows, when the exact value is 0.0.)"""
    if offered_load <= 0:
        return 0.0
    a = offered_load
    if servers > a + 12 * math.sqrt(a) + 12:
        return math.exp(servers * math.log(a) - a - math.lgamma(servers + 1))
    total = term = 1.0
    for k in range(servers, 0, -1):
        term *= k / a
        total += term
        if term < 1e-17 * total or total >= enough:
            break
    return 1.0 / total


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arriving job has to wait (1.0 when the queue is unstable)."""
    return _erlang_c(servers, offered_load, 0.0)


def _erlang_c(servers: int, offered_load: float, negligible: float) -> float:
    """erlang_c — or, when erlang_c is at most ``negligible``, perhaps sooner some other value that is too.

    With ρ = a/c < 1 and B ≤ 1: C = B / (1 − ρ(1 − B)) ≤ B / (1 − ρ), and that holds for the floating-point
    evaluations too (each step rounds monotonically). B = 1/sum, and the sum only grows; so once
    (1/sum) / (1 − ρ) ≤ negligible, both the exact C and the one computed from this partial sum are ≤ negligible.
    """
    if offered_load <= 0:
        return 0.0
    if servers <= offered_load:
        return 1.0
    rho = offered_load / servers
    blocking = _erlang_b(servers, offered_load, _sum_for_at_most(negligible, 1.0 - rho))
    return blocking / (1.0 - rho * (1.0 - blocking))


def _sum_for_at_most(negligible: float, slack: float) -> float:
    """A sum past which (1/sum) / slack ≤ negligible in floating point; inf if there is none to rely on."""
    product = negligible * slack
    if not (product > 0 and slack > 0):
        return math.inf
    enough = (1 + 1e-9) / product
    return enough if 1.0 / enough / slack <= negligible else math.inf


def wait_quantile(servers: int, arrival_rate: float, service_time: float, quantile: float) -> float:
    """The waiting time that a ``quantile`` share of jobs do not exceed (same unit as service_time)."""
    return wait_quantiles(servers, arrival_rate, service_time, (quantile,))[0]


def wait_quantiles(
    servers: int, arrival_rate: float, service_time: float, quantiles: tuple[float, ...]
) -> tuple[float, ...]:
    """wait_quantile at each of ``quantiles``, with one Erlang C — cut short when it is below every tail 1 − q, so
    that no quantile waits at all."""
    if arrival_rate <= 0:
        return tuple(0.0 for _ in quantiles)
    offered = arrival_rate * service_time
    if servers <= offered:
        return tuple(math.inf for _ in quantiles)
    p_wait = _erlang_c(servers, offered, min((1.0 - q for q in quantiles), default=0.0))
    return tuple(_wait_within(p_wait, servers, arrival_rate, service_time, q) for q in quantiles)


def _wait_within(p_wait: float, servers: int, arrival_rate: float, service_time: float, quantile: float) -> float:
    """The ``quantile`` wait of a stable queue where a job waits with probability ``p_wait``: P(W > t) = p·e^{−rt}."""
    tail = 1.0 - quantile
    if p_wait <= tail:
        return 0.0
    excess = math.log(p_wait / tail)
    drain = servers / service_time - arrival_rate  # > 0 when stable; rounding can leave it ≤ 0 right at c ≈ λS
    return excess / drain if drain > 0 else math.inf


def mean_wait(servers: int, arrival_rate: float, service_time: float) -> float:
    offered = arrival_rate * service_time
    if servers <= offered:
        return math.inf
    return erlang_c(servers, offered) * service_time / (servers - offered)


def min_servers(
    arrival_rate: float,
    service_time: float,
    max_wait: float,
    quantile: float = 0.95,
    max_utilisation: float = 1.0,
) -> int:
    """The fewest servers whose ``quantile`` wait is at most ``max_wait`` and load at most the cap."""
    if arrival_rate <= 0:
        return 1
    offered = arrival_rate * service_time
    if offered > MAX_SERVERS:
        raise TooManyServers(f"needs more than {MAX_SERVERS:,} servers (offered load {offered:,.0f})")
    servers = max(1, math.floor(offered) + 1, math.ceil(offered / max_utilisation))
    # Erlang B is carried forward incrementally, so the search stays O(c) even for large farms.
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    while True:
        rho = offered / servers
        p_wait = blocking / (1.0 - rho * (1.0 - blocking))
        if _wait_within(p_wait, servers, arrival_rate, service_time, quantile) <= max_wait:
            return servers
        if servers >= MAX_SERVERS:
            raise TooManyServers(f"needs more than {MAX_SERVERS:,} servers")
        servers += 1
        blocking = offered * blocking / (servers + offered * blocking)
