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
    if offered_load <= 0:
        return 0.0
    a = offered_load
    if servers > a + 12 * math.sqrt(a) + 12:
        return math.exp(servers * math.log(a) - a - math.lgamma(servers + 1))
    total = term = 1.0
    for k in range(servers, 0, -1):
        term *= k / a
        total += term
        if term < 1e-17 * total:
            break
    return 1.0 / total


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arriving job has to wait (1.0 when the queue is unstable)."""
    if offered_load <= 0:
        return 0.0
    if servers <= offered_load:
        return 1.0
    blocking = erlang_b(servers, offered_load)
    rho = offered_load / servers
    return blocking / (1.0 - rho * (1.0 - blocking))


def wait_quantile(servers: int, arrival_rate: float, service_time: float, quantile: float) -> float:
    """The waiting time that a ``quantile`` share of jobs do not exceed (same unit as service_time)."""
    if arrival_rate <= 0:
        return 0.0
    offered = arrival_rate * service_time
    if servers <= offered:
        return math.inf
    p_wait = erlang_c(servers, offered)
    tail = 1.0 - quantile
    if p_wait <= tail:
        return 0.0
    return math.log(p_wait / tail) / (servers / service_time - arrival_rate)


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
        tail = 1.0 - quantile
        wait = 0.0 if p_wait <= tail else math.log(p_wait / tail) / (servers / service_time - arrival_rate)
        if wait <= max_wait:
            return servers
        if servers >= MAX_SERVERS:
            raise TooManyServers(f"needs more than {MAX_SERVERS:,} servers")
        servers += 1
        blocking = offered * blocking / (servers + offered * blocking)
