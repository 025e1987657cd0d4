"""Round-trip time between places: a measured table where it has the pair, a fitted distance model else."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from placer.catalog.models import Region, RttModel

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Rtt:
    ms: float
    measured: bool


def rtt(a: Region, b: Region, measured: Mapping[tuple[str, str], float], model: RttModel) -> Rtt:
    """p50 RTT between two places. Measured pairs (via each place's nearby AWS region) win."""
    if a.aws_proxy and b.aws_proxy:
        pair = measured.get((a.aws_proxy, b.aws_proxy)) or measured.get((b.aws_proxy, a.aws_proxy))
        if pair is not None:
            return Rtt(pair, True)
    km = great_circle_km(a.lat, a.lon, b.lat, b.lon)
    return Rtt(2 * km / model.km_per_ms * model.route_factor + model.constant_ms, False)
