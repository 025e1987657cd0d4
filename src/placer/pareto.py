"""The cost/time Pareto frontier of a plan: the placements no other placement beats on both cost and speed.

A ranked list answers "which is best for my objective"; the frontier answers "what does going faster cost".
It is taken over every feasible placement the planner scored (not only the shown alternatives).

Time is the workload's own speed measure (``metric``): training, the run's wall hours; inference, the p95
request latency in ms; apple-build, the p95 job turnaround including the queue, in ms.

Times within a relative tolerance (``TIME_TOLERANCE``, 0.1 %) count as equal: the estimates are not that
precise, and a placement "faster by 0 min" at six times the cost is no trade anyone should be shown. So ``a``
is *faster* than ``b`` when ``a``'s time is below ``b``'s by more than 0.1 % of ``b``'s; ``a`` is *as fast* when
``b`` is not faster. ``a`` dominates ``b`` when it is at most as expensive, as fast, and cheaper or faster.
A placement is on the frontier when no other one dominates it. Placements with the same cost and times within
the tolerance are near-twins: only the fastest of them (the first in the input order among equal times) is
kept, so pass the planner's ranking and the one it ranks first stands for exact twins. (The tolerance is not
transitive: a chain of near-ties, each a little cheaper and a hair slower, can keep a point 1 % faster off the
frontier; every point off it is still dominated by, or a near-twin of, a placement the user can see beside it.)
The frontier is sorted by cost (cheapest, and so slowest, first); along it time falls by more than the
tolerance at every step as cost strictly rises. Placements with no time for their kind, or a cost or time
that is not finite, cannot be compared and are left out.
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


TIME_TOLERANCE = 1e-3  # times within 0.1 % of each other count as equal


def faster(ta: float, tb: float) -> bool:
    """Time ``ta`` beats ``tb`` by more than the tolerance (a share of ``tb``)."""
    return ta < tb * (1 - TIME_TOLERANCE)


def dominates(a: Placement, b: Placement, kind: str) -> bool:
    """``a`` is at most as expensive and as fast as ``b`` (within the tolerance), and cheaper or faster."""
    ta, tb = metric(a, kind), metric(b, kind)
    if ta is None or tb is None:
        return False
    ca, cb = a.cost.total_usd, b.cost.total_usd
    return ca <= cb and not faster(tb, ta) and (ca < cb or faster(ta, tb))


def frontier(placements: Sequence[Placement], kind: str) -> list[Placement]:
    """The Pareto frontier of ``placements`` sorted by cost; ties keep the earliest in the input order.

    One stable sort by (cost, time), then one sweep keeping each placement faster (beyond the tolerance) than
    every cheaper-or-equal one before it, kept or not: O(n log n), so a frontier of a 50,000-offer market is
    cheap.
    """
    comparable = [(p.cost.total_usd, t, i) for i, p in enumerate(placements) if (t := metric(p, kind)) is not None]
    comparable.sort()  # (cost, time, input position): among equal cost and time the first input wins
    kept: list[Placement] = []
    fastest = math.inf
    for _cost, time, i in comparable:
        if faster(time, fastest):
            kept.append(placements[i])
        fastest = min(fastest, time)
    return kept
