"""Lookups over one catalog that the planner needs many times: names, regions, RTT, egress, spot risk."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property

from placer.catalog.models import Catalog, EgressTier, GpuOffer, Region, SpotRisk
from placer.estimate.network import Rtt, rtt


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


@dataclass
class CatalogIndex:
    catalog: Catalog
    providers: frozenset[str] = field(init=False)
    _latency: dict[tuple[str, str], float] = field(init=False)
    _hw_by_norm: dict[str, str] = field(init=False)
    _spot_by_provider: dict[str, list[SpotRisk]] = field(init=False)
    _matching: dict[str, frozenset[str]] = field(init=False)  # region pattern -> the region keys it matches

    def __post_init__(self) -> None:
        self.providers = frozenset(o.provider for o in self.catalog.offers)
        self._latency = {(p.src, p.dst): p.p50_ms for p in self.catalog.latency}
        self._hw_by_norm = {_norm(k): k for k in self.catalog.hardware}
        self._matching = {}
        self._spot_by_provider = {}
        for risk in self.catalog.spot_risk:  # in catalog order: the last match wins
            self._spot_by_provider.setdefault(risk.provider, []).append(risk)

    # --- names -------------------------------------------------------------------------------------

    def hardware_matching(self, name: str) -> list[str]:
        """Hardware keys a requested name covers: exact, else the family ("A100" → A100-80GB, A100-40GB…)."""
        wanted = _norm(name)
        if wanted in self._hw_by_norm:
            return [self._hw_by_norm[wanted]]
        return sorted(k for n, k in self._hw_by_norm.items() if n.startswith(wanted + "-"))

    def suggest(self, name: str, choices: list[str]) -> str | None:
        found = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
        if not found:
            lowered = {c.lower(): c for c in choices}
            found = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)]
        return found[0] if found else None

    # --- places ------------------------------------------------------------------------------------

    def resolve_region(self, name: str) -> Region | None:
        """A user-facing place: "aws/us-east-1", a geo code ("eu-west"), or a bare region name."""
        regions = self.catalog.regions
        if name in regions:
            return regions[name]
        bare = [r for k, r in sorted(regions.items()) if k.split("/", 1)[-1] == name]
        if not bare:
            return None
        return next((r for r in bare if r.key.startswith("aws/")), bare[0])

    def region_names(self) -> list[str]:
        names = set(self.catalog.regions)
        names.update(k.split("/", 1)[-1] for k in self.catalog.regions)
        return sorted(names)

    def region_matches(self, patterns: Sequence[str], provider: str, region: str) -> bool:
        """Whether a pattern matches the region's name, its provider/region key or its geo (fnmatch, case kept)."""
        key = f"{provider}/{region}"
        return any(key in self.regions_matching(p) for p in patterns)

    def regions_matching(self, pattern: str) -> frozenset[str]:
        """The region keys (of the catalog's regions and its offers) a pattern matches, worked out once per pattern
        and per distinct name: make_plan asks for every offer, a fleet for every profile."""
        found = self._matching.get(pattern)
        if found is None:
            match = re.compile(fnmatch.translate(pattern)).match  # fnmatchcase, once compiled
            found = frozenset(k for name, keys in self._region_names.items() if match(name) for k in keys)
            self._matching[pattern] = found
        return found

    @cached_property
    def _region_names(self) -> dict[str, list[str]]:
        """Each name a region pattern is tried on (a region, its provider/region key, its geo) -> the region keys."""
        names: dict[str, list[str]] = {}
        for key in {*self.catalog.regions, *(f"{o.provider}/{o.region}" for o in self.catalog.offers)}:
            info = self.catalog.regions.get(key)
            for name in (key.split("/", 1)[-1], key, *([info.geo] if info else [])):
                names.setdefault(name, []).append(key)
        return names

    def pattern_matches_anything(self, pattern: str) -> bool:
        return any(
            fnmatchcase(n, pattern)
            for key, r in self.catalog.regions.items()
            for n in (key, key.split("/", 1)[-1], r.geo)
        )

    def rtt(self, a: Region, b: Region) -> Rtt:
        return rtt(a, b, self._latency, self.catalog.rtt_model)

    # --- money -------------------------------------------------------------------------------------

    def egress_tiers(self, provider: str, transfer: str) -> tuple[EgressTier, ...]:
        """The provider's tiers of one kind of transfer, by size: every placement that moves data asks."""
        return self._egress_tiers.get((provider, transfer), ())

    @cached_property
    def _egress_tiers(self) -> dict[tuple[str, str], tuple[EgressTier, ...]]:
        grouped: dict[tuple[str, str], list[EgressTier]] = {}
        for tier in self.catalog.egress:
            grouped.setdefault((tier.provider, tier.transfer), []).append(tier)
        return {k: tuple(sorted(tiers, key=lambda t: t.from_gb)) for k, tiers in grouped.items()}

    def spot_interruptions_per_month(self, offer: GpuOffer) -> float | None:
        risk = self.spot_risk(offer)
        return None if risk is None else risk.interruptions_per_month

    def spot_risk(self, offer: GpuOffer) -> SpotRisk | None:
        """The catalog's spot-risk row for the offer's provider and instance family (or accelerator), if any."""
        best: SpotRisk | None = None
        for risk in self._spot_by_provider.get(offer.provider, ()):
            if offer.instance.startswith(risk.match) or offer.accelerator == risk.match:
                best = risk
        return best
