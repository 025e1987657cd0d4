"""The cost/time Pareto frontier of a plan: the placements no other placement beats on both cost and speed.

A ranked list answers "which is best for my objective"; the frontier answers "what does going faster cost".
It is taken over every feasible placement the planner scored (not only the shown alternatives).

Time is the workload's own speed measure (``metric``): training, the run's wall hours; inference, the p95
request latency in ms; apple-build, the p95 job turnaround including the queue, in ms.

A placement is on the frontier when no other one is at most as expensive and at most as slow with one of the
two strictly better. Placements with the same cost and the same time are duplicates: only the first of them in
the input order is kept, so pass the planner's ranking and the one it ranks first stands for them all. The
frontier is sorted by cost (cheapest, and so slowest, first); along it time strictly falls as cost strictly
rises. Placements with no time for their kind, or a cost or time that is not finite, cannot be compared and
are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from placer.plan import Placement

METRIC_NAMES = {
    "training": "wall time",
    "inference": "p95 latency",
    "apple-build": "p95 job turnaround incl. queue",
}


def metric(placement: Placement, kind: str) -> float | None:
    """The time a placement is judged by on the frontier (hours for training, ms otherwise), or None."""
    value = placement.time.wall_hours if kind == "training" else placement.latency.p95_ms
    if value is None or not math.isfinite(value) or not math.isfinite(placement.cost.total_usd):
        return None
    return value


def dominates(a: Placement, b: Placement, kind: str) -> bool:
    """``a`` is at most as expensive and at most as slow as ``b``, and strictly better on one of them."""
    ta, tb = metric(a, kind), metric(b, kind)
    if ta is None or tb is None:
        return False
    ca, cb = a.cost.total_usd, b.cost.total_usd
    return ca <= cb and ta <= tb and (ca < cb or ta < tb)


def frontier(placements: Sequence[Placement], kind: str) -> list[Placement]:
    """The Pareto frontier of ``placements`` sorted by cost; ties keep the earliest in the input order.

    One stable sort by (cost, time), then one sweep keeping each placement faster than every cheaper-or-equal
    one before it: O(n log n), so a frontier of a 50,000-offer market is cheap.
    """
    comparable = [(p.cost.total_usd, t, i) for i, p in enumerate(placements) if (t := metric(p, kind)) is not None]
    comparable.sort()  # (cost, time, input position): among equal cost and time the first input wins
    kept: list[Placement] = []
    fastest = math.inf
    for _cost, time, i in comparable:
        if time < fastest:
            kept.append(placements[i])
            fastest = time
    return kept
