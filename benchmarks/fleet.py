"""Fleet re-planning benchmark: many profiles against a large catalog with ``placer replan``, plus cold start.

    python benchmarks/fleet.py                               # 10,000 profiles × 50,000 offers, 2 jobs
    python benchmarks/fleet.py --profiles 200 --offers 5000  # a quick run
    python benchmarks/fleet.py --generate-only --workdir /tmp/fleet   # just the inputs, to run by hand

The inputs are generated from a seed, byte-identical for the same seed and sizes, so a figure quoted in a
note can be reproduced. The catalog is the embedded one replicated across synthetic providers, regions and
zones with jittered prices: the number of distinct instance shapes stays that of the real market (the cost of
planning grows with offers, and a real market grows by regions and prices, not by new kinds of machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib
import json
import math
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from placer.catalog.loader import EMBEDDED, load_catalog
from placer.catalog.models import Catalog
from placer.errors import PlacerError
from placer.planner import PlanOptions, make_plan
from placer.profile import parse_profile

ROOT = Path(__file__).resolve().parent.parent
COLD_START_PROFILE = "profiles/ios-app-ci.yaml"

# The targets the figures are held against (at TARGET_PROFILES × TARGET_OFFERS).
TARGET_PROFILES, TARGET_OFFERS = 10_000, 50_000
TARGET_WALL_S = 20.0
TARGET_RSS_BYTES = 1 << 30
TARGET_COLD_RATIO = 10.0

# Kind mix of the catalog: GPU instances ≫ per-token APIs > Macs, as in the embedded catalog.
API_SHARE, MAC_SHARE = 0.04, 0.015
# GPU offers by seller archetype: marketplaces list many hosts, hyperscalers many zones; the rest are neoclouds.
MARKET_SHARE, HYPERSCALE_SHARE = 0.30, 0.25
# Kind mix of the fleet.
KIND_WEIGHTS = {"inference": 0.45, "training": 0.35, "apple-build": 0.20}

# Regional price levels relative to the US (a rough shape of public list prices, not a source).
GEO_PRICE = {
    "us-east": 1.0, "us-central": 1.0, "us-south": 1.0, "us-west": 1.03, "ca-central": 1.05,
    "eu-west": 1.08, "eu-central": 1.1, "eu-north": 1.04, "eu-south": 1.1, "uk": 1.1,
    "ap-northeast": 1.15, "ap-south": 1.1, "ap-southeast": 1.14, "ap-east": 1.16, "au-east": 1.18,
    "me-central": 1.2, "sa-east": 1.3, "af-south": 1.25,
}  # fmt: skip

JsonDict = dict[str, Any]


# --- the catalog --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A metro where synthetic regions are placed: a real region's coordinates, geo and nearby AWS proxy."""

    key: str
    geo: str
    lat: float
    lon: float
    aws_proxy: str | None
    city: str


def embedded_catalog_dict() -> JsonDict:
    text = resources.files("placer.catalog.data").joinpath(EMBEDDED).read_text(encoding="utf-8")
    data: JsonDict = json.loads(text)
    return data


def _anchors(base: JsonDict) -> list[Anchor]:
    seen: set[tuple[float, float]] = set()
    out = []
    for key, r in sorted(base["regions"].items()):
        spot = (round(r["lat"], 1), round(r["lon"], 1))
        if spot in seen:
            continue
        seen.add(spot)
        city = re.search(r"\(([^)]*)\)", r["label"])
        out.append(Anchor(key, r["geo"], r["lat"], r["lon"], r.get("aws_proxy"), city.group(1) if city else key))
    return out


class _Regions:
    """Synthetic regions, created on first use so that the catalog lists only regions some offer is in."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.made: dict[str, JsonDict] = {}

    def add(self, provider: str, name: str, anchor: Anchor, spread_deg: float) -> str:
        key = f"{provider}/{name}"
        if key not in self.made:
            region: JsonDict = {
                "key": key,
                "geo": anchor.geo,
                "lat": round(max(-89.0, min(89.0, anchor.lat + self.rng.uniform(-spread_deg, spread_deg))), 2),
                "lon": round(max(-179.0, min(179.0, anchor.lon + self.rng.uniform(-spread_deg, spread_deg))), 2),
                "label": f"{provider} {name} (near {anchor.city})",
                "assumption": f"synthetic benchmark region placed near {anchor.key} ({anchor.city})",
            }
            if anchor.aws_proxy and spread_deg <= 0.5:
                region["aws_proxy"] = anchor.aws_proxy
            self.made[key] = region
        return name


def _templates(base: JsonDict, kind: str) -> dict[str, list[JsonDict]]:
    """Real offers of a kind by provider, one per instance or model (US first), to copy into synthetic sellers.

    Meta's pools are private capacity with assumed prices: nobody else can sell them, so they are left out.
    """
    chosen: dict[tuple[str, str], JsonDict] = {}
    for offer in sorted(base["offers"], key=lambda o: (not o["region"].startswith("us"), o["id"])):
        if offer["kind"] != kind or offer["provider"] == "meta":
            continue
        what = offer.get("instance") or offer.get("model") or offer["id"]
        chosen.setdefault((offer["provider"], what), offer)
    by_provider: dict[str, list[JsonDict]] = {}
    for (provider, _), offer in sorted(chosen.items()):
        by_provider.setdefault(provider, []).append(offer)
    return by_provider


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-")


def _distinct(templates: list[JsonDict]) -> list[JsonDict]:
    """One template per instance name (two sellers' machines can share one), so offer ids stay unique."""
    by_name = {_slug(t["instance"]): t for t in sorted(templates, key=lambda t: t["id"])}
    return sorted(by_name.values(), key=lambda t: t["id"])


def _scaled(price: JsonDict, factor: float) -> JsonDict:
    """A template's price scaled; source, date, basis and assumption stay (``original`` no longer applies)."""
    out = {k: v for k, v in price.items() if k != "original"}
    out["usd"] = max(1e-4, round(price["usd"] * factor, 4))
    return out


def _gpu_replica(template: JsonDict, provider: str, region: str, factor: float, drop_spot: bool) -> JsonDict:
    prices = {name: _scaled(p, factor) for name, p in sorted(template["prices"].items())}
    if drop_spot and len(prices) > 1:
        prices.pop("spot", None)
    offer: JsonDict = {
        k: template[k]
        for k in ("kind", "instance", "accelerator", "accelerators_per_instance", "accelerator_memory_gb",
                  "interconnect", "max_instances")
        if k in template
    }  # fmt: skip
    offer.update(
        id=f"{provider}/{region}/{_slug(template['instance'])}",
        provider=provider,
        region=region,
        prices=prices,
        notes=f"synthetic benchmark replica of {template['id']}; prices × {factor:.3f}",
    )
    return offer


class _CatalogBuilder:
    def __init__(self, base: JsonDict, rng: random.Random) -> None:
        self.base = base
        self.rng = rng
        self.anchors = _anchors(base)
        self.regions = _Regions(rng)
        self.gpu = _templates(base, "gpu")
        self.api = _templates(base, "api")
        self.mac = _templates(base, "mac")
        self.egress: list[JsonDict] = []
        self.spot_risk: list[JsonDict] = []

    def _copy_tables(self, provider: str, like: str) -> None:
        """A synthetic seller is billed for egress (and interrupted on spot) like the provider it copies."""
        self.egress += [{**t, "provider": provider} for t in self.base["egress"] if t["provider"] == like]
        self.spot_risk += [{**s, "provider": provider} for s in self.base["spot_risk"] if s["provider"] == like]

    def _factor(self, anchor: Anchor, sigma: float) -> float:
        return GEO_PRICE.get(anchor.geo, 1.1) * math.exp(self.rng.gauss(0, sigma))

    def hyperscaler(self, provider: str) -> list[JsonDict]:
        like = self.rng.choices(["aws", "gcp", "azure"], weights=[5, 3, 2])[0]
        self._copy_tables(provider, like)
        level = math.exp(self.rng.gauss(0, 0.12))
        offers = []
        counters: Counter[str] = Counter()
        for anchor in self.rng.sample(self.anchors, k=min(len(self.anchors), self.rng.randint(12, 30))):
            counters[anchor.geo] += 1
            metro = self._factor(anchor, 0.04) * level
            for zone in "abcd"[: self.rng.randint(2, 4)]:
                region = self.regions.add(provider, f"{anchor.geo}-{counters[anchor.geo]}{zone}", anchor, 0.2)
                for template in self.gpu[like]:
                    if self.rng.random() < 0.7:
                        factor = metro * self.rng.uniform(0.99, 1.01)
                        offers.append(_gpu_replica(template, provider, region, factor, self.rng.random() < 0.15))
        return offers

    def neocloud(self, provider: str) -> list[JsonDict]:
        pool = [t for p in ("lambda", "nebius", "crusoe", "coreweave", "runpod") for t in self.gpu.get(p, [])]
        skus = _distinct(self.rng.sample(pool, k=self.rng.randint(6, 16)))
        self._copy_tables(provider, skus[0]["provider"])
        level = math.exp(self.rng.gauss(0, 0.18))
        offers = []
        for n, anchor in enumerate(self.rng.sample(self.anchors, k=self.rng.randint(2, 10)), start=1):
            metro = self._factor(anchor, 0.05) * level
            for zone in range(1, self.rng.randint(1, 3) + 1):
                region = self.regions.add(provider, f"{anchor.geo}{n}-{zone}", anchor, 0.3)
                offers += [
                    _gpu_replica(t, provider, region, metro * self.rng.uniform(0.97, 1.03), False)
                    for t in skus
                    if self.rng.random() < 0.85
                ]
        return offers

    def marketplace(self, provider: str, count: int) -> list[JsonDict]:
        """Many independent hosts listing a few machines each at their own price, located by metro (as
        marketplaces list them): the hosts multiply offers and prices, not places."""
        pool = [t for p in ("runpod", "lambda", "crusoe") for t in self.gpu.get(p, [])]
        self._copy_tables(provider, "runpod")
        metros = {a.key: [f"{a.geo}-{n}" for n in range(1, self.rng.randint(1, 3) + 1)] for a in self.anchors}
        offers: list[JsonDict] = []
        host = 0
        while len(offers) < count:
            host += 1
            anchor = self.rng.choice(self.anchors)
            region = self.regions.add(provider, self.rng.choice(metros[anchor.key]), anchor, 0.3)
            level = self._factor(anchor, 0.25)
            for template in _distinct(self.rng.sample(pool, k=self.rng.randint(1, 4))):
                offer = _gpu_replica(template, provider, region, level * self.rng.uniform(0.95, 1.05), False)
                offer["id"] = f"{provider}/{region}/host{host:05d}-{_slug(template['instance'])}"
                offers.append(offer)
        return offers[:count]

    def token_api(self, provider: str) -> list[JsonDict]:
        pool = sorted({t["model"]: t for ts in self.api.values() for t in ts}.items())
        models = self.rng.sample(pool, k=min(len(pool), self.rng.randint(4, 12)))
        anchors = [a for a in self.anchors if a.geo.startswith(("us", "eu", "ap"))]
        offers = []
        for n, anchor in enumerate(self.rng.sample(anchors, k=self.rng.randint(1, 3)), start=1):
            region = self.regions.add(provider, f"{anchor.geo}-{n}", anchor, 0.2)
            for model, t in sorted(models):
                # open-weight models are resold at market prices; closed ones at about the list price
                factor = self.rng.uniform(0.6, 1.3) if t.get("parameters") else self.rng.uniform(1.0, 1.1)
                speed = self.rng.uniform(0.6, 1.8)
                offers.append(
                    {
                        **t,
                        "id": f"{provider}/{region}/{model}",
                        "provider": provider,
                        "region": region,
                        "input_usd_per_mtok": _scaled(t["input_usd_per_mtok"], factor),
                        "output_usd_per_mtok": _scaled(t["output_usd_per_mtok"], factor),
                        "ttft_ms": round(t["ttft_ms"] / speed, 1),
                        "output_tokens_per_s": round(t["output_tokens_per_s"] * speed, 1),
                        "performance_assumption": f"{t['performance_assumption']} (synthetic: speed × {speed:.2f})",
                        "notes": f"synthetic benchmark replica of {t['id']}; prices × {factor:.3f}",
                    }
                )
        return offers

    def mac_host(self, provider: str) -> list[JsonDict]:
        pool = [t for ts in self.mac.values() for t in ts]
        skus = _distinct(self.rng.sample(pool, k=self.rng.randint(2, 6)))
        self._copy_tables(provider, skus[0]["provider"])
        offers = []
        for n, anchor in enumerate(self.rng.sample(self.anchors, k=self.rng.randint(1, 5)), start=1):
            region = self.regions.add(provider, f"{anchor.geo}-{n}", anchor, 0.2)
            factor = self._factor(anchor, 0.12)
            for t in skus:
                offers.append(
                    {
                        **t,
                        "id": f"{provider}/{region}/{_slug(t['instance'])}",
                        "provider": provider,
                        "region": region,
                        "plans": [{**p, "price": _scaled(p["price"], factor)} for p in t["plans"]],
                        "notes": f"synthetic benchmark replica of {t['id']}; prices × {factor:.3f}",
                    }
                )
        return offers


def _fill(target: int, make: Callable[[int], list[JsonDict]]) -> list[JsonDict]:
    """Offers from successive sellers until ``target``; the last seller is cut short to hit it exactly."""
    offers: list[JsonDict] = []
    seller = 0
    while len(offers) < target:
        seller += 1
        offers += make(seller)
    return offers[:target]


def build_catalog(offers: int, seed: int) -> JsonDict:
    """The embedded catalog plus synthetic sellers, ``offers`` offers in all, in the real catalog's kind mix."""
    base = embedded_catalog_dict()
    real = Counter(o["kind"] for o in base["offers"])
    if offers < len(base["offers"]):
        raise SystemExit(f"--offers must be at least {len(base['offers'])} (the embedded catalog)")
    rng = random.Random(f"placer-fleet-catalog-{seed}")
    b = _CatalogBuilder(base, rng)
    mac = max(0, round(offers * MAC_SHARE) - real["mac"])
    api = max(0, round(offers * API_SHARE) - real["api"])
    gpu = offers - len(base["offers"]) - mac - api
    market = round(gpu * MARKET_SHARE)
    hyper = round(gpu * HYPERSCALE_SHARE)
    markets = max(1, math.ceil(market / 8000))  # a real marketplace lists thousands of machines
    sizes = [market // markets + (i < market % markets) for i in range(markets)]
    synthetic = (
        [o for i, size in enumerate(sizes) for o in b.marketplace(f"market-{i + 1:02d}", size)]
        + _fill(hyper, lambda i: b.hyperscaler(f"hyperscale-{i:02d}"))
        + _fill(gpu - market - hyper, lambda i: b.neocloud(f"neocloud-{i:03d}"))
        + _fill(api, lambda i: b.token_api(f"tokenapi-{i:03d}"))
        + _fill(mac, lambda i: b.mac_host(f"machost-{i:02d}"))
    )  # fmt: skip
    used = {f"{o['provider']}/{o['region']}" for o in synthetic}
    regions = dict(base["regions"])
    regions.update((k, r) for k, r in b.regions.made.items() if k in used)
    sellers = {o["provider"] for o in synthetic}
    return {
        **base,
        "description": (
            f"Synthetic benchmark catalog (benchmarks/fleet.py, seed {seed}, {offers} offers): the embedded catalog "
            f"as of {base['as_of']} plus replicas of its offers across synthetic sellers, regions and zones. "
            "Replica prices are the template's times a seeded regional jitter and keep its source, date and basis: "
            "they are not real prices."
        ),
        "offers": base["offers"] + synthetic,
        "regions": regions,
        "egress": base["egress"] + [t for t in b.egress if t["provider"] in sellers],
        "spot_risk": base["spot_risk"] + [s for s in b.spot_risk if s["provider"] in sellers],
    }


def catalog_shape(catalog: JsonDict) -> str:
    offers = catalog["offers"]
    kinds = Counter(o["kind"] for o in offers)
    shapes = {
        (o["accelerator"], o["accelerators_per_instance"], o["accelerator_memory_gb"], o["interconnect"])
        for o in offers
        if o["kind"] == "gpu"
    }
    providers = {o["provider"] for o in offers}
    share = ", ".join(f"{k} {v:,} ({v / len(offers):.1%})" for k, v in sorted(kinds.items()))
    return (
        f"{len(offers):,} offers: {share}; {len(shapes)} distinct GPU instance shapes; "
        f"{len(providers)} providers; {len(catalog['regions']):,} regions"
    )


# --- the fleet of profiles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedModel:
    name: str
    parameters: float
    active: float | None = None
    arch: tuple[int, int, int] | None = None  # layers, kv_heads, head_dim
    alternatives: tuple[str, ...] = ()  # hosted models that may stand in (accept_models)
    weight: float = 1.0


SERVED = (
    ServedModel("llama-3.1-8b", 8e9, arch=(32, 8, 128), alternatives=("llama-3-8b",), weight=5),
    ServedModel("llama-3-8b", 8e9, arch=(32, 8, 128), weight=1),
    ServedModel("llama-3.3-70b", 70e9, arch=(80, 8, 128), alternatives=("llama-3.1-70b", "muse-spark"), weight=5),
    ServedModel("llama-3.1-70b", 70e9, arch=(80, 8, 128), alternatives=("llama-3.3-70b",), weight=2),
    ServedModel("llama-3.1-405b", 405e9, arch=(126, 8, 128), weight=1),
    ServedModel("llama-3.2-90b", 90e9, weight=1),
    ServedModel("llama-4-scout", 109e9, active=17e9, alternatives=("llama-4-maverick",), weight=2),
    ServedModel("llama-4-maverick", 400e9, active=17e9, weight=1.5),
    ServedModel("gpt-oss-120b", 120e9, active=5.1e9, weight=1.5),
    ServedModel("ranker-3b", 3e9, weight=1.5),  # in-house models: self-hosted only
    ServedModel("support-13b", 13e9, weight=1.5),
    ServedModel("code-assist-34b", 34e9, weight=1),
)
TRAIN_ACCELERATORS = (
    ("H100", "H200", "B200"), ("H100",), ("A100-80GB",), ("A100",), ("H100", "H200"), ("B200", "GB200"), ("MI300X",),
    ("H200",), ("B200",),
)  # fmt: skip
FP8 = frozenset({"H100", "H200", "B200", "GB200"})
SERVE_ACCELERATORS = (("L4", "L40S"), ("H100",), ("H100", "H200"), ("A100",), ("L40S",), ("MI300X",), ("B200",))
US_EU = (("us-*",), ("eu-*",), ("us-*", "eu-*"), ("us-*", "ca-*"), ("eu-*", "uk"), ("us-east", "us-central"))
WIDE = (*US_EU, ("ap-*",), ("ap-*", "au-*"), ("eu-west", "eu-central", "eu-north"), ("us-west",))
DATA_HOMES = ("aws/us-east-1", "aws/us-west-2", "aws/eu-west-1", "gcp/us-central1", "gcp/europe-west4", "azure/eastus")
USER_GEOS = {"us": ("us-east", "us-west", "us-central", "us-south", "ca-central"),
             "eu": ("eu-west", "eu-central", "uk", "eu-north", "eu-south"),
             "ap": ("ap-northeast", "ap-southeast", "ap-south", "au-east"),
             "other": ("sa-east", "me-central", "af-south")}  # fmt: skip
NEAR_USERS = {"us": ("us-*",), "eu": ("eu-*", "uk"), "ap": ("ap-*", "au-*"), "other": ("sa-*", "me-*", "af-*")}
GPU_PROVIDERS = ("aws", "gcp", "azure", "lambda", "nebius", "crusoe", "coreweave", "runpod")
EXCLUDABLE = ["meta", "runpod", "azure", "lambda", "crusoe"]
API_PROVIDERS = ("together", "fireworks", "groq", "aws-bedrock")
REFERENCE_CHIPS = [("M4", 1.0), ("M1", 0.618), ("M2-Pro", 1.203), ("M4-Pro", 1.931)]  # with build speeds
MAC_PROVIDERS = ("scaleway", "macstadium", "aws", "codemagic", "github")
# Rough USD costs to size budgets around (calibrated against plans of the embedded catalog; see the README).
USD_PER_H100_HOUR = 3.0
H100_FLOPS_PER_HOUR = 989e12 * 0.4 * 3600


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _human(value: float) -> str:
    """70e9 → 70B, 1.5e12 → 1.5T: how people write model and data sizes."""
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if value >= scale:
            return f"{float(f'{value / scale:.3g}'):g}{suffix}"
    return f"{value:g}"


def _budget(rng: random.Random, estimate: float) -> float | None:
    """No budget for some; a tight one for some (so a share of the fleet is over); room to spare for most."""
    roll = rng.random()
    if roll < 0.10:
        return None
    factor = rng.uniform(0.2, 0.7) if roll < 0.25 else rng.uniform(1.5, 5.0)
    return float(f"{estimate * factor:.2g}")


def _constraints_for(rng: random.Random, regions: Sequence[str] | None, providers: Sequence[str]) -> JsonDict:
    c: JsonDict = {}
    roll = rng.random()
    if roll < 0.12:
        c["providers"] = sorted(rng.sample(list(providers), k=rng.randint(2, min(4, len(providers)))))
    elif roll < 0.25:
        c["exclude_providers"] = sorted(rng.sample(EXCLUDABLE, k=rng.randint(1, 2)))
    if regions:
        c["regions"] = list(regions)
    return c


def _inference(rng: random.Random, name: str) -> tuple[JsonDict, str]:
    m = rng.choices(SERVED, weights=[s.weight for s in SERVED])[0]
    precision = rng.choices(["bf16", "fp8", "int8", "int4"], weights=[6, 3, 1, 0.5])[0]
    model: JsonDict = {"name": m.name, "parameters": _human(m.parameters), "precision": precision}
    if m.active:
        model["active_parameters"] = _human(m.active)
    if m.arch and rng.random() < 0.6:
        model.update(layers=m.arch[0], kv_heads=m.arch[1], head_dim=m.arch[2])
    peak = round(_log_uniform(rng, 0.5, 150 if m.parameters < 100e9 else 40), 1)
    inp = int(_log_uniform(rng, 200, 8000))
    out = int(_log_uniform(rng, 50, 1000))
    spec: JsonDict = {"requests_per_second": peak}
    if rng.random() < 0.6:
        spec["average_requests_per_second"] = round(peak * rng.uniform(0.2, 0.8), 2) or peak
    continent = rng.choices(list(USER_GEOS), weights=[6, 3, 1.5, 0.5])[0]
    users = sorted(rng.sample(USER_GEOS[continent], k=rng.randint(1, 2)))
    if rng.random() < 0.25 and continent != "us":
        users.append("us-east")
    spec.update(input_tokens=inp, output_tokens=out, user_regions=users)
    if rng.random() < 0.6:
        spec["slo"] = {"p95_latency_ms": int(round(out * rng.uniform(15, 70) + rng.uniform(800, 4000), -2))}
    batch = rng.random() < 0.2
    if batch:
        spec["hours_per_day"] = rng.choice([4, 6, 8, 12])
    if m.alternatives and rng.random() < 0.5:
        spec["accept_models"] = list(m.alternatives)
    if rng.random() < 0.05:
        spec["hosted_api"] = False
    regions = None
    if rng.random() < 0.3:
        regions = NEAR_USERS[continent]
        regions = ("us-*", *regions) if "us-east" in users and continent != "us" else regions
    profile: JsonDict = {"kind": "inference", "name": name, "model": model, "inference": spec}
    if rng.random() < 0.25:
        profile["resources"] = {"accelerators": list(rng.choice(SERVE_ACCELERATORS))}
    constraints = _constraints_for(rng, regions, GPU_PROVIDERS + API_PROVIDERS)
    if batch or rng.random() < 0.2:
        constraints["spot"] = "allow"
    if constraints:
        profile["constraints"] = constraints
    if rng.random() < 0.15:
        profile["data"] = {"size_gb": int(_log_uniform(rng, 20, 800)), "location": rng.choice(DATA_HOMES)}
    profile["objective"] = rng.choices(["cost", "balanced", "time"], weights=[6, 3, 1])[0]
    # self-hosting: weights over H100s, about one replica per 10 req/s of 300-token answers on a 70B
    gpus = max(1, math.ceil(m.parameters * 2 / 70e9)) * max(1.0, peak * out / 3000 * m.parameters / 70e9)
    hours = spec.get("hours_per_day", 24) * 30.4
    tokens = spec.get("average_requests_per_second", peak) * hours * 3600 * (inp + out)
    api = tokens / 1e6 * 0.9 * m.parameters / 70e9 if m.alternatives or m.parameters in (405e9, 90e9) else math.inf
    estimate = min(gpus * USD_PER_H100_HOUR * hours, api)
    budget = _budget(rng, estimate)
    if budget:
        profile["budget"] = {"max_usd": budget}
    summary = f"{m.name} for users in {', '.join(users)}, peak {peak:g} req/s"
    return profile, summary


def _training(rng: random.Random, name: str) -> tuple[JsonDict, str]:
    flavour = rng.choices(["finetune", "pretrain", "moe"], weights=[5, 3, 1.5])[0]
    accelerators = rng.choice(TRAIN_ACCELERATORS) if rng.random() < 0.7 else None
    if flavour == "finetune":
        params = rng.choice([1e9, 3e9, 7e9, 8e9, 13e9, 34e9, 70e9])
        active = None
        tokens = _log_uniform(rng, 0.5e9, 50e9)
    elif flavour == "pretrain":
        params = rng.choice([1e9, 3e9, 8e9, 13e9, 34e9, 70e9, 180e9, 405e9])
        active = None
        tokens = _log_uniform(rng, 0.1e12, 15e12) * min(1.0, (params / 70e9) ** 0.5)
    else:
        params, active = rng.choice([(100e9, 12e9), (236e9, 21e9), (400e9, 17e9), (671e9, 37e9), (1e12, 40e9)])
        tokens = _log_uniform(rng, 1e12, 15e12)
    precision = "fp8" if accelerators and set(accelerators) <= FP8 and rng.random() < 0.3 else "bf16"
    model: JsonDict = {"parameters": _human(params), "precision": precision}
    if active:
        model["active_parameters"] = _human(active)
    training: JsonDict = {"tokens": _human(tokens)}
    flops = 6 * (active or params) * tokens
    if rng.random() < 0.1:
        training = {"flops": f"{flops:.3g}".replace("e+", "e")}
    training["checkpoint_interval_minutes"] = rng.choice([10, 15, 20, 30, 60])
    profile: JsonDict = {"kind": "training", "name": name, "model": model, "training": training}
    wanted: JsonDict = {}
    if accelerators:
        wanted["accelerators"] = list(accelerators)
    h100_hours = flops / H100_FLOPS_PER_HOUR
    state_gpus = 16 * params / (64e9)  # mixed-precision Adam state over 80 GB × 80 % accelerators
    if flavour == "finetune" and rng.random() < 0.5:
        wanted["count"] = 8 * 2 ** math.ceil(math.log2(max(1.0, state_gpus / 8))) * rng.choice([1, 1, 2, 4])
    else:
        gpus = max(state_gpus, _log_uniform(rng, 8, 4096 if flavour != "finetune" else 64))
        profile["deadline_hours"] = int(max(12, min(2880, h100_hours / gpus * rng.uniform(1.2, 2.0))))
    if wanted:
        profile["resources"] = wanted
    regions = rng.choice(WIDE) if rng.random() < 0.35 else None
    constraints = _constraints_for(rng, regions, GPU_PROVIDERS)
    if rng.random() < (0.45 if flavour == "finetune" else 0.1):
        constraints["spot"] = "allow"
    if rng.random() < 0.15:
        constraints["reserved"] = "allow"
    if constraints:
        profile["constraints"] = constraints
    if rng.random() < 0.5:
        size = _log_uniform(rng, 10, 2000) if flavour == "finetune" else _log_uniform(rng, 1000, 100_000)
        profile["data"] = {"size_gb": int(size), "location": rng.choice(DATA_HOMES)}
    profile["objective"] = rng.choices(["cost", "balanced", "time"], weights=[6, 3, 1])[0]
    budget = _budget(rng, h100_hours * USD_PER_H100_HOUR)
    if budget:
        profile["budget"] = {"max_usd": budget}
    return profile, f"{flavour} of a {_human(params)} model on {_human(tokens)} tokens"


def _apple_build(rng: random.Random, name: str) -> tuple[JsonDict, str]:
    jobs = int(_log_uniform(rng, 4, 600))
    minutes = round(rng.uniform(3, 45))
    chip, speed = rng.choices(REFERENCE_CHIPS, weights=[8, 1, 1, 1])[0]
    hours = rng.choice([4, 8, 10, 12, 16, 24])
    build: JsonDict = {
        "jobs_per_day": jobs,
        "minutes_per_job": minutes,
        "reference_chip": chip,
        "max_queue_wait_minutes": rng.choice([2, 5, 10, 15, 30, 60]),
        "working_hours_per_day": hours,
        "working_days_per_month": rng.choice([20, 22, 26, 30]),
    }
    if rng.random() < 0.25:
        build["min_memory_gb"] = rng.choice([16, 24, 32, 64])
    profile: JsonDict = {"kind": "apple-build", "name": name, "build": build}
    regions = rng.choice(US_EU[:3]) if rng.random() < 0.3 else None
    constraints = _constraints_for(rng, regions, MAC_PROVIDERS)
    if constraints:
        profile["constraints"] = constraints
    profile["objective"] = rng.choices(["cost", "balanced", "time"], weights=[6, 3, 1])[0]
    busy_machines = jobs * minutes * speed / (hours * 60)
    budget = _budget(rng, (math.ceil(busy_machines * 1.3) + 1) * 120.0)
    if budget:
        profile["budget"] = {"max_usd": budget}
    return profile, f"{jobs} builds a day of {minutes} min on {chip}"


_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 1900000, not 1.9e+06 (which YAML 1.1 may read as a string)
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    return text if _PLAIN.match(text) and text.lower() not in _YAML_WORDS else json.dumps(text)


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def profile_yaml(profile: JsonDict, comment: str) -> str:
    """Block style at the top, flow style inside, as people write the profiles in profiles/."""
    lines = [f"# {comment}"]
    for key, value in profile.items():
        if isinstance(value, dict) and (
            any(isinstance(v, dict | list) for v in value.values()) or len(_flow(value)) > 90
        ):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


BAD_PROFILES = (
    ("yaml syntax", "kind: training\nname: broken-yaml\nmodel: {parameters: 8B, precision: bf16\n"),
    ("typo in a key",
     "kind: apple-build\nname: typo\nbuild: {jobs_per_day: 10, minutes_per_job: 5}\ndeadline_hour: 4\n"),
    ("unknown kind", "kind: trainng\nname: wrong-kind\n"),
    ("unknown accelerator",
     "kind: training\nname: bad-accelerator\nmodel: {parameters: 8B}\ntraining: {tokens: 1B}\n"
     "resources: {accelerators: [H1000]}\n"),
    ("region pattern matching nothing",
     "kind: apple-build\nname: bad-region\nbuild: {jobs_per_day: 10, minutes_per_job: 5}\n"
     "constraints: {regions: [\"mars-*\"]}\n"),
    ("missing section", "kind: inference\nname: no-load\nmodel: {parameters: 8B}\n"),
)  # fmt: skip


def build_profiles(count: int, seed: int, bad: int) -> list[tuple[str, str]]:
    """(file name, YAML text) for each profile; names sort in generation order."""
    rng = random.Random(f"placer-fleet-profiles-{seed}")
    makers = {"inference": _inference, "training": _training, "apple-build": _apple_build}
    files = []
    for i in range(1, count + 1):
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        name = f"{kind}-{i:05d}"
        profile, summary = makers[kind](rng, name)
        text = profile_yaml(profile, f"fleet benchmark profile {i} (seed {seed}): {summary}")
        files.append((f"{i:05d}-{kind}.yaml", text))
    for j in range(bad):
        what, text = BAD_PROFILES[j % len(BAD_PROFILES)]
        files.append((f"bad-{j + 1:03d}.yaml", f"# deliberately broken ({what}): the batch must go on\n{text}"))
    return files


# --- writing and checking the inputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    profiles_dir: Path
    catalog: Path
    profiles: int
    bad: int
    offers: int
    kinds: Counter[str]
    seconds: float


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def generate(workdir: Path, profiles: int, offers: int, seed: int, bad: int) -> Inputs:
    start = time.perf_counter()
    pdir = workdir / "profiles"
    pdir.mkdir(parents=True, exist_ok=True)
    for old in [*pdir.glob("[0-9]*-*.yaml"), *pdir.glob("bad-*.yaml")]:  # ours, from an earlier run
        old.unlink()
    files = build_profiles(profiles, seed, bad)
    for name, text in files:
        (pdir / name).write_text(text, encoding="utf-8")
    catalog = build_catalog(offers, seed)
    catalog_path = workdir / "catalog.json"
    catalog_path.write_text(json.dumps(catalog, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - start
    kinds = Counter(name.split("-", 1)[1].removesuffix(".yaml") for name, _ in files if name[0].isdigit())
    print(f"generated in {seconds:.1f} s into {workdir}")
    print(f"  catalog   {catalog_path.name}: {catalog_shape(catalog)}; {catalog_path.stat().st_size / 2**20:.1f} MiB")
    print(
        f"  profiles  {profiles:,} ("
        + ", ".join(f"{k} {kinds[k]:,}" for k in KIND_WEIGHTS)
        + f") + {bad} deliberately broken"
    )
    digests = f"profiles {_digest(sorted(pdir.glob('*.yaml')))}, catalog {_digest([catalog_path])}"
    print(f"  sha256    {digests} (seed {seed}: the same seed and sizes give the same digests)")
    return Inputs(pdir, catalog_path, profiles, bad, offers, kinds, seconds)


def self_check(inputs: Inputs, parse_sample: int, plan_sample: int, seed: int) -> None:
    """Every generated profile must be valid and name only what the catalog knows; most must be plannable.

    A sample is parsed and planned against the embedded catalog (the big one only adds synthetic sellers of
    the same hardware), which keeps the check to a couple of seconds.
    """
    start = time.perf_counter()
    try:  # the model behind `--catalog X.json`, without the loader's friendlier wrapping
        catalog = Catalog.model_validate_json(inputs.catalog.read_bytes())
    except ValidationError as exc:
        raise SystemExit(f"self-check: the generated catalog does not validate: {exc}") from None
    validated = time.perf_counter() - start
    good = sorted(inputs.profiles_dir.glob("[0-9]*-*.yaml"))
    rng = random.Random(f"placer-fleet-check-{seed}")
    embedded = load_catalog()
    status: Counter[str] = Counter()
    sample = rng.sample(good, k=min(parse_sample, len(good)))
    for i, path in enumerate(sample):
        try:
            doc = parse_profile(path.read_text(encoding="utf-8"), str(path))
            if i < plan_sample:
                plan = make_plan(doc.profile, embedded, PlanOptions(alternatives=0), file=doc.path)
                status[plan.budget.status if plan.chosen else "infeasible"] += 1
        except PlacerError as exc:
            raise SystemExit(f"self-check: generated profile {path} is invalid: {exc}") from None
    broken = sorted(inputs.profiles_dir.glob("bad-*.yaml"))
    for bad in broken:
        try:
            doc = parse_profile(bad.read_text(encoding="utf-8"), str(bad))
            make_plan(doc.profile, embedded)
        except PlacerError:
            continue
        raise SystemExit(f"self-check: {bad} was meant to be invalid but plans")
    planned = sum(status.values())
    print(
        f"self-check in {time.perf_counter() - start:.1f} s: catalog validates ({len(catalog.offers):,} offers, "
        f"{validated:.1f} s); {len(sample)} sampled profiles parse; {planned} planned on the embedded catalog: "
        + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
        + (f"; the {len(broken)} broken ones fail as meant" if broken else "")
    )
    if status["infeasible"] > planned / 3:
        raise SystemExit("self-check: over a third of the sampled profiles have no feasible placement")


# --- measuring ---------------------------------------------------------------------------------------------------


def _children(pid: int) -> list[int] | None:
    """Children of every thread of ``pid`` (a pool may fork from a helper thread); None if the kernel lacks them."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone
    kids: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                kids += [int(k) for k in f.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended
            return None
        except OSError:
            continue
    return kids


def _all_parents() -> dict[int, list[int]]:
    """Children by parent from every /proc/*/stat: the slow way, for kernels without a children file."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _proc_tree(root: int) -> list[int]:
    """The process and its descendants. Reading only the tree's own children files keeps each poll well under a
    millisecond; scanning all of /proc would take several on a 2-CPU machine and slow the run being measured."""
    tree, todo = [], [root]
    parents: dict[int, list[int]] | None = None
    while todo:
        pid = todo.pop()
        tree.append(pid)
        kids = _children(pid) if parents is None else parents.get(pid, [])
        if kids is None:
            parents = _all_parents()
            kids = parents.get(pid, [])
        todo += kids
    return tree


def _kib_field(path: str, field: str) -> int:
    """A ``Field:  123 kB`` line of a /proc file, in bytes; 0 for a process that is gone or a zombie."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process tree, polled every ``interval`` seconds.

    The RSS sum counts the pages that forked workers share with their parent once per process, so it is an
    upper bound. The PSS sum (shared pages split between their users) is the memory the tree really holds;
    it costs the kernel a page-table walk, so it is read only every ``pss_every``-th poll.

    The poller shares the machine with the run it measures: polling every 20 ms with PSS every 100 ms took 3.1 s
    of CPU during a 10,000-profile replan on 2 CPUs (and lengthened it); every 100 ms with PSS every second, 0.4 s.
    """

    def __init__(self, pid: int, interval: float = 0.1, pss_every: int = 10) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.peak_sum = self.peak_single = self.peak_pss = self.most_processes = self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            tree = _proc_tree(self.pid)
            sizes = [_kib_field(f"/proc/{p}/status", "VmRSS:") for p in tree]
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_single = max(self.peak_single, *sizes)
            self.most_processes = max(self.most_processes, sum(1 for s in sizes if s))
            if self.samples % self.pss_every == 0:
                pss = sum(_kib_field(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree)
                self.peak_pss = max(self.peak_pss, pss)
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass(frozen=True)
class Run:
    code: int
    wall_s: float
    peak_tree_bytes: int
    peak_polled_single_bytes: int
    peak_tree_pss_bytes: int
    maxrss_children_bytes: int
    processes: int
    samples: int
    stderr: str
    wrote: bool = True  # the run wrote its report (set by main, which removes the file before each run)


def run_measured(cmd: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return Run(proc.returncode, wall, sampler.peak_sum, sampler.peak_single, sampler.peak_pss, maxrss,
               sampler.most_processes, sampler.samples, err)  # fmt: skip


def _cold_start_module() -> ModuleType:
    """benchmarks/cold_start.py, imported whether this file runs as a script or from elsewhere."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module("cold_start")


def cold_start(runs: int) -> dict[str, list[float]]:
    """cold_start.py's interleaved rounds (bare interpreter, the three floors, placer plan as a table and as JSON),
    each command's samples by name."""
    cs = _cold_start_module()
    return cs.sample_rounds(cs.commands(COLD_START_PROFILE), runs)  # type: ignore[no-any-return]


# --- reporting ----------------------------------------------------------------------------------------------------


def _load() -> str:
    """The 1-minute load average, printed beside the figures: on a shared machine it explains most noise."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _statuses(doc: JsonDict) -> Counter[str]:
    counts: Counter[str] = Counter()
    for p in doc.get("profiles", []):
        status = p.get("status")
        if status is None and isinstance(p.get("budget"), dict):
            status = p["budget"].get("status")
        counts[str(status or "unknown")] += 1
    return counts


def _lines(text: str, keep: int) -> Iterator[str]:
    lines = text.rstrip().splitlines()
    if len(lines) > keep:
        yield f"  … {len(lines) - keep} more lines"
    yield from (f"  {line}" for line in lines[-keep:])


def report_replan(inputs: Inputs, runs: list[Run], out: Path, cmd: list[str], jobs: int) -> tuple[bool, bool]:
    """Print the figures of one or more runs of the same replan; return (every run ran and wrote its report, the
    targets were met). With several runs the wall time held to the target is their median, not the best: on a
    shared machine one fast run is luck (with an even number of runs, the higher of the middle two); memory is the
    largest of the runs. Runs that exit differently, or one that wrote no report, are shown and fail the script."""
    run = runs[-1]
    odd = [i for i, r in enumerate(runs) if r.code != runs[0].code or not r.wrote]
    if odd:
        codes = ", ".join(f"{r.code}{'' if r.wrote else ' (no report)'}" for r in runs)
        print(f"\n$ {' '.join(cmd)}\nreplan: the {len(runs)} runs did not all end alike: exit codes {codes}")
        for i in sorted({0, *odd}):
            print(f"stderr of run {i + 1}:")
            for line in _lines(runs[i].stderr, 25):
                print(line)
        return False, False
    wall = statistics.median_high(r.wall_s for r in runs)
    peak_tree = max(r.peak_tree_bytes for r in runs)
    at_target = (inputs.profiles, inputs.offers) == (TARGET_PROFILES, TARGET_OFFERS)
    scope = "" if at_target else f" (targets are for {TARGET_PROFILES:,} × {TARGET_OFFERS:,})"
    print(f"\n$ {' '.join(cmd)}")
    if run.stderr.strip():
        print("stderr of placer replan:")
        for line in _lines(run.stderr, 25):
            print(line)
    try:
        doc: JsonDict = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"replan: exit code {run.code}; no JSON report at {out} ({exc})")
        return False, False
    totals = doc.get("totals") or {}
    profiles = int(totals.get("profiles") or len(doc.get("profiles", [])))
    offers = int((doc.get("catalog") or {}).get("offers") or inputs.offers)
    pairs = totals.get("pairs")
    pairs_from = "totals.pairs"
    if not isinstance(pairs, int | float):
        pairs, pairs_from = profiles * offers, "profiles × offers"
    statuses = _statuses(doc)
    print(f"\nreplan{scope}; {_load()} after the run")
    print(f"  profiles             {profiles:,}   offers {offers:,}   jobs {jobs}")
    what = "wall" if len(runs) == 1 else f"wall, median of {len(runs)}"
    print(f"  {what:20} {wall:.2f} s                target ≤ {TARGET_WALL_S:g} s: "
          f"{_verdict(wall <= TARGET_WALL_S)}")  # fmt: skip
    if len(runs) > 1:
        print(f"  wall, each run       {', '.join(f'{r.wall_s:.2f}' for r in runs)} s (best "
              f"{min(r.wall_s for r in runs):.2f} s)")  # fmt: skip
    rate = profiles / wall
    print(f"  profiles/s           {rate:,.0f}" if rate >= 100 else f"  profiles/s           {rate:.2g}")
    print(f"  candidate pairs/s    {pairs / wall:,.0f}   ({pairs:,.0f} pairs, from {pairs_from})")
    print(f"  peak RSS, tree sum   {_mib(peak_tree)}   target ≤ {_mib(TARGET_RSS_BYTES)}: "
          f"{_verdict(peak_tree <= TARGET_RSS_BYTES)}   ({max(r.processes for r in runs)} processes at most, "
          f"{sum(r.samples for r in runs)} samples)")  # fmt: skip
    print(f"  peak PSS, tree sum   {_mib(max(r.peak_tree_pss_bytes for r in runs))}   (shared pages split between "
          "processes; sampled every second)")  # fmt: skip
    print(f"  peak RSS, largest    {_mib(max(r.maxrss_children_bytes for r in runs))} (getrusage ru_maxrss of "
          f"children); {_mib(max(r.peak_polled_single_bytes for r in runs))} polled")  # fmt: skip
    print(f"  exit code            {run.code}")
    print("  profiles by status   " + (", ".join(f"{k} {v:,}" for k, v in statuses.most_common()) or "none"))
    extra = {k: v for k, v in totals.items() if k not in ("profiles", "pairs")}
    if extra:
        print(f"  totals               {json.dumps(extra, sort_keys=True)}")
    return run.code in (0, 3, 4, 5), wall <= TARGET_WALL_S and peak_tree <= TARGET_RSS_BYTES


# --- main ---------------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", type=int, default=TARGET_PROFILES, help="profiles to generate (default %(default)s)")
    p.add_argument("--offers", type=int, default=TARGET_OFFERS, help="offers in the catalog (default %(default)s)")
    p.add_argument("--seed", type=int, default=7, help="seed of both generators (default %(default)s)")
    p.add_argument("--jobs", type=int, default=2, help="placer replan --jobs (default %(default)s)")
    p.add_argument("--bad", type=int, default=0, help="also write N deliberately broken profiles")
    p.add_argument("--workdir", type=Path, help="where the inputs and replan.json go (default: a temporary dir)")
    p.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    p.add_argument("--runs", type=int, default=7, help="cold-start runs, median taken (default %(default)s, ≥ 5)")
    p.add_argument("--replans", type=int, default=1, help="replan runs; their median is held to the target")
    p.add_argument("--generate-only", action="store_true", help="write the inputs and stop")
    p.add_argument("--no-check", action="store_true", help="skip the self-check of the generated inputs")
    p.add_argument("--no-cold-start", action="store_true", help="skip the cold-start comparison")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    if args.profiles < 1 or args.jobs < 1 or args.replans < 1 or args.bad < 0:
        parser.error("--profiles, --jobs and --replans must be at least 1, --bad at least 0")
    temporary = args.workdir is None
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="placer-fleet-"))
    workdir.mkdir(parents=True, exist_ok=True)
    python = f"Python {sys.version.split()[0]} ({sys.executable})"
    print(f"fleet benchmark: seed {args.seed}, {python}, {_load()}")
    ran = ok = True
    try:
        inputs = generate(workdir, args.profiles, args.offers, args.seed, args.bad)
        if not args.no_check:
            self_check(inputs, parse_sample=500, plan_sample=60, seed=args.seed)
        if args.generate_only:
            print(f"\ninputs kept in {workdir}; run:\n  placer replan {inputs.profiles_dir} --catalog {inputs.catalog} "
                  f"--jobs {args.jobs} --format json -o {workdir / 'replan.json'}")  # fmt: skip
            return 0
        out = workdir / "replan.json"
        cmd = [sys.executable, "-m", "placer", "replan", str(inputs.profiles_dir), "--catalog", str(inputs.catalog),
               "--jobs", str(args.jobs), "--format", "json", "-o", str(out)]  # fmt: skip
        # the first children of this process, so ru_maxrss is the replans' alone (the largest of them)
        runs = []
        for _ in range(args.replans):
            out.unlink(missing_ok=True)  # so that each run is seen to write its own report
            run = run_measured(cmd)
            runs.append(dataclasses.replace(run, wrote=out.is_file()))
        ran, ok = report_replan(inputs, runs, out, cmd, args.jobs)
        if not args.no_cold_start:
            times = cold_start(args.runs)
            bare = statistics.median(times["python -c pass"])
            print(f"\ncold start (medians of {args.runs} interleaved rounds, {COLD_START_PROFILE}); {_load()} after")
            print(f"  {'python -c pass':26} {bare * 1000:.1f} ms")
            ratio = 0.0
            for name, samples in list(times.items())[1:]:
                med = statistics.median(samples)
                line = f"  {name.strip():26} {med * 1000:.1f} ms = {med / bare:.1f}×"
                if name.startswith("placer plan"):
                    ratio = max(ratio, med / bare)
                    line += (
                        f" bare start-up   target ≤ {TARGET_COLD_RATIO:g}×: {_verdict(med / bare <= TARGET_COLD_RATIO)}"
                    )
                    line += "   samples: " + ", ".join(f"{t * 1000:.0f}" for t in samples) + " ms"
                else:
                    line += " (a floor: no placer code)"
                print(line)
            ok = ok and ratio <= TARGET_COLD_RATIO
    finally:
        if temporary and not (args.keep or args.generate_only):
            shutil.rmtree(workdir, ignore_errors=True)
        elif not args.generate_only:
            print(f"\ninputs and replan.json kept in {workdir}")
    print(f"\nall targets met: {'yes' if ok else 'no'}")
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
