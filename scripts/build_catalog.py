#!/usr/bin/env python3
"""Build placer's default catalog from the sourced reference CSVs.

Usage: python scripts/build_catalog.py [--shared ../shared/data] [--out src/placer/catalog/data]

Reads <shared>/reference/*.csv (see its README.md for units and caveats) and the SkyPilot catalog copies in
<shared>/skypilot-catalog/{lambda,nebius}/vms.csv (instance shapes and regions only, never their prices).
Writes <out>/catalog.json (a validated ``placer.catalog.models.Catalog``) and <out>/BUILD_REPORT.md (counts,
every assumption, what was omitted and why, the RTT fit).

Rules
- Never invent a price. Every Price has ``source`` (the row's source_url), ``as_of`` (its source_date reduced to
  YYYY[-MM[-DD]] or "unknown"), ``basis``; derived figures say how in ``original`` or the offer notes; a figure
  no source gives is an *assumption* and says why in ``Price.assumption``. EUR converts at an assumed 1.16 USD,
  said in ``Price.original`` (the price is sourced; only the rate is assumed).
- GPU offers (gpu_prices.csv): USD per instance-hour keyed on-demand / spot / reserved (spot+preemptible -> spot,
  reserved_1yr_no_upfront + cud_1yr -> reserved, RunPod community -> separate "-community" on-demand offers).
  Skipped: cud_3yr, capacity_block, aggregator / median / range rows, superseded Nebius list prices, Vast.ai,
  Hyperbolic, Fluidstack, empty prices, AWS GovCloud. Newest source_date wins per (offer, pricing); spot
  ranges use the low bound. Per-GPU providers (RunPod, Crusoe, Nebius) become x1 and, for SXM-class parts, x8
  instances priced per-GPU x count. Nebius shapes/regions and Lambda regions come from SkyPilot.
  Accelerators without a hardware_specs.csv row get no hardware entry and their offers are dropped.
- Meta Compute has no public price: its pools are priced at the median neocloud H100 / B200 on-demand per-GPU
  price (MTIA-v2 per dense BF16 TFLOP like the H100 pool); Muse Spark at the median token price. All flagged.
- Interconnects, unknown regions, Mac lease terms and API latency/throughput are assumptions where the data is
  silent; each says so in notes / assumption fields (and in BUILD_REPORT.md).
- RTT model: relative-error least squares (weights 1/p50^2) of p50 = 2*km/200*route_factor + constant over the
  cloudping pairs with src != dst (the plain fit is also reported).
- Deterministic: no clock, offers sorted by id, json.dumps(indent=1, sort_keys=True), atomic writes.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
try:
    from placer.catalog.models import Catalog
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(REPO / "src"))
    from placer.catalog.models import Catalog

CATALOG_AS_OF = "2026-11-22"  # compile date of the reference data (reference/README.md)
EUR_USD = 1.16
EUR_NOTE = f"converted from EUR at an assumed {EUR_USD} USD/EUR"
GIB_PER_GB = 1.073741824
Row = dict[str, str]
J = dict[str, Any]


# ----------------------------------------------------------------------------------------- helpers
class Report:
    """Collects what BUILD_REPORT.md says: omissions grouped by reason, assumptions, facts."""

    def __init__(self) -> None:
        self.omitted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.assumptions: set[str] = set()
        self.facts: list[str] = []

    def omit(self, reason: str, what: str, region: str = "") -> None:
        regions = self.omitted[reason][what]
        if region:
            regions.add(region)


def read_csv(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def norm_date(text: str) -> str:
    """'2026-08-22 (commit ...)' -> '2026-08-22'; 'before 2025-01-01 ...' / '' -> 'unknown'."""
    if not text or text.lower().startswith("before"):
        return "unknown"
    found = re.search(r"\d{4}(?:-\d{2}){0,2}", text)
    return found.group(0) if found else "unknown"


def date_key(as_of: str) -> tuple[int, str]:
    return (0, "") if as_of == "unknown" else (1, as_of)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")


def num(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def price(usd: float, row: Row, basis: str, **extra: str | None) -> J:
    out: J = {"usd": round(usd, 4), "source": row["source_url"], "as_of": norm_date(row["source_date"]),
              "basis": basis}
    out.update({k: v for k, v in extra.items() if v})
    return out


def eur_price(eur: float, unit: str, row: Row, basis: str, assumption: str | None = None) -> J:
    # The price itself is sourced; only the exchange rate is assumed, so it is said in `original`.
    return price(eur * EUR_USD, row, basis, original=f"EUR {eur:g}/{unit}, {EUR_NOTE}", assumption=assumption)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# ----------------------------------------------------------------------------------------- regions
# (lat, lon, geo, place); approximate city coordinates of each region's known location.
AWS_REGIONS = {
    "us-east-1": (38.95, -77.45, "us-east", "N. Virginia"), "us-east-2": (39.96, -83.0, "us-east", "Ohio"),
    "us-east-1-atl-1": (33.75, -84.39, "us-east", "Atlanta Local Zone"),
    "us-west-1": (37.35, -121.96, "us-west", "N. California"), "us-west-2": (45.84, -119.7, "us-west", "Oregon"),
    "ca-central-1": (45.5, -73.57, "ca-central", "Montreal"), "sa-east-1": (-23.55, -46.63, "sa-east", "São Paulo"),
    "eu-west-1": (53.35, -6.26, "eu-west", "Ireland"), "eu-west-2": (51.51, -0.13, "uk", "London"),
    "eu-west-3": (48.86, 2.35, "eu-west", "Paris"), "eu-central-1": (50.11, 8.68, "eu-central", "Frankfurt"),
    "eu-central-2": (47.37, 8.54, "eu-central", "Zurich"), "eu-north-1": (59.33, 18.07, "eu-north", "Stockholm"),
    "eu-south-2": (41.65, -0.88, "eu-south", "Spain"), "il-central-1": (32.09, 34.78, "me-central", "Tel Aviv"),
    "me-central-1": (25.2, 55.27, "me-central", "UAE"), "ap-south-1": (19.08, 72.88, "ap-south", "Mumbai"),
    "ap-south-2": (17.39, 78.49, "ap-south", "Hyderabad"),
    "ap-southeast-1": (1.35, 103.82, "ap-southeast", "Singapore"),
    "ap-southeast-2": (-33.87, 151.21, "au-east", "Sydney"),
    "ap-southeast-3": (-6.21, 106.85, "ap-southeast", "Jakarta"),
    "ap-southeast-5": (3.14, 101.69, "ap-southeast", "Malaysia"),
    "ap-northeast-1": (35.68, 139.69, "ap-northeast", "Tokyo"),
    "ap-northeast-2": (37.57, 126.98, "ap-northeast", "Seoul"),
}
GCP_REGIONS = {
    "asia-northeast1": (35.68, 139.69, "ap-northeast", "Tokyo"), "asia-south1": (19.08, 72.88, "ap-south", "Mumbai"),
    "asia-southeast1": (1.35, 103.82, "ap-southeast", "Singapore"),
    "europe-west1": (50.47, 3.82, "eu-west", "Belgium"), "europe-west3": (50.11, 8.68, "eu-central", "Frankfurt"),
    "europe-west4": (53.44, 6.84, "eu-west", "Netherlands"), "us-central1": (41.26, -95.86, "us-central", "Iowa"),
    "us-east1": (33.2, -80.01, "us-east", "South Carolina"), "us-east4": (39.04, -77.49, "us-east", "N. Virginia"),
    "us-east5": (39.96, -83.0, "us-east", "Columbus"), "us-west1": (45.6, -121.18, "us-west", "Oregon"),
    "us-west4": (36.17, -115.14, "us-west", "Las Vegas"),
}
_VA, _CA, _TX = (38.95, -77.45), (37.4, -122.0), (33.1, -96.7)
_GUESS = "location not in the reference data; assumed"
LAMBDA_REGIONS = {
    "us-east-1": (*_VA, "us-east", "Virginia", None), "us-west-1": (*_CA, "us-west", "California", None),
    "us-south-1": (*_TX, "us-south", "Texas", None), "us-midwest-1": (41.88, -87.63, "us-central", "Illinois", None),
    "europe-central-1": (50.11, 8.68, "eu-central", "Germany", None),
    "asia-south-1": (19.08, 72.88, "ap-south", "India", f"{_GUESS} Mumbai (India)"),
    "me-west-1": (32.09, 34.78, "me-central", "Israel", None),
    "asia-northeast-1": (35.68, 139.69, "ap-northeast", "Tokyo", None),
    "asia-northeast-2": (37.57, 126.98, "ap-northeast", "Seoul", None),
    "australia-east-1": (-33.87, 151.21, "au-east", "Sydney", None),
    "europe-south-1": (45.46, 9.19, "eu-south", "Italy", f"{_GUESS} Milan (Italy)"),
    **{f"us-east-{n}": (*_VA, "us-east", "US East", f"{_GUESS} at Lambda us-east-1 (Virginia)") for n in (2, 3)},
    **{f"us-west-{n}": (*_CA, "us-west", "US West", f"{_GUESS} at Lambda us-west-1 (California)") for n in (2, 3)},
    **{f"us-south-{n}": (*_TX, "us-south", "US South", f"{_GUESS} at Lambda us-south-1 (Texas)") for n in (2, 3)},
}
_NOT_IN_SOURCE = "region not in the price source; assumed"
_US_CENTRE = (39.83, -98.58, "us-central", "United States")
_US_NOTE = "a US-wide service placed at the geographic centre of the contiguous US (Kansas)"
OTHER_REGIONS = {  # key: (lat, lon, geo, place, assumption)
    "azure/eastus": (37.37, -79.82, "us-east", "Virginia", None),
    # Azure GPU regions a live refresh can return (approximate city locations of Microsoft's published regions)
    "azure/eastus2": (36.67, -78.39, "us-east", "Virginia", None),
    "azure/centralus": (41.59, -93.60, "us-central", "Iowa", None),
    "azure/northcentralus": (41.88, -87.63, "us-central", "Illinois", None),
    "azure/southcentralus": (29.42, -98.49, "us-south", "Texas", None),
    "azure/westus": (37.78, -122.42, "us-west", "California", None),
    "azure/westus2": (47.23, -119.85, "us-west", "Washington", None),
    "azure/westus3": (33.45, -112.07, "us-west", "Arizona", None),
    "azure/canadacentral": (43.65, -79.38, "ca-central", "Toronto", None),
    "azure/brazilsouth": (-23.55, -46.63, "sa-east", "São Paulo", None),
    "azure/westeurope": (52.37, 4.90, "eu-west", "Netherlands", None),
    "azure/northeurope": (53.35, -6.26, "eu-west", "Ireland", None),
    "azure/uksouth": (51.51, -0.13, "uk", "London", None),
    "azure/francecentral": (48.86, 2.35, "eu-west", "Paris", None),
    "azure/germanywestcentral": (50.11, 8.68, "eu-central", "Frankfurt", None),
    "azure/swedencentral": (60.67, 17.14, "eu-north", "Gävle", None),
    "azure/uaenorth": (25.27, 55.30, "me-central", "Dubai", None),
    "azure/centralindia": (18.52, 73.86, "ap-south", "Pune", None),
    "azure/southeastasia": (1.35, 103.82, "ap-southeast", "Singapore", None),
    "azure/japaneast": (35.68, 139.69, "ap-northeast", "Tokyo", None),
    "azure/koreacentral": (37.57, 126.98, "ap-northeast", "Seoul", None),
    "azure/australiaeast": (-33.87, 151.21, "au-east", "New South Wales", None),
    "nebius/eu-north1": (60.55, 25.25, "eu-north", "Finland", None),
    "nebius/eu-west1": (48.86, 2.35, "eu-west", "Paris", None),
    "nebius/us-central1": (39.1, -94.58, "us-central", "Kansas City", None),
    "nebius/me-west1": (32.09, 34.78, "me-central", "Israel", None),
    "coreweave/us-east": (*_VA, "us-east", "US East", f"{_NOT_IN_SOURCE} US East (Virginia)"),
    "crusoe/us-east": (*_VA, "us-east", "US East", f"{_NOT_IN_SOURCE} US East (Virginia)"),
    "runpod/us": (*_US_CENTRE, f"{_NOT_IN_SOURCE} {_US_NOTE}"),
    "meta/us-east": (*_VA, "us-east", "US East", "Meta Compute locations are not disclosed; "
                     "assumed US East (Virginia)"),
    "meta/us-west": (44.3, -120.83, "us-west", "US West", "Meta Compute locations are not disclosed; "
                     "assumed US West (Prineville, Oregon)"),
    "together/us-west": (37.77, -122.42, "us-west", "US West", f"{_NOT_IN_SOURCE} US West (San Francisco)"),
    "scaleway/fr-par": (48.86, 2.35, "eu-west", "Paris", None),
    "macstadium/us-east": (33.75, -84.39, "us-east", "Atlanta", f"{_NOT_IN_SOURCE} MacStadium's Atlanta data centre"),
    **{f"{p}/us": (*_US_CENTRE, f"{_NOT_IN_SOURCE} {_US_NOTE}")
       for p in ("github", "codemagic", "groq", "fireworks", "openai", "anthropic")},
}
GEO_CITIES = {  # bare geo codes used as user regions: representative city
    "us-east": (38.9, -77.04, "Washington DC"), "us-west": (37.77, -122.42, "San Francisco"),
    "us-central": (41.88, -87.63, "Chicago"), "us-south": (32.78, -96.8, "Dallas"),
    "ca-central": (43.65, -79.38, "Toronto"), "sa-east": (-23.55, -46.63, "São Paulo"),
    "eu-west": (48.86, 2.35, "Paris"), "eu-central": (50.11, 8.68, "Frankfurt"),
    "eu-north": (59.33, 18.07, "Stockholm"), "eu-south": (45.46, 9.19, "Milan"), "uk": (51.51, -0.13, "London"),
    "me-central": (25.2, 55.27, "Dubai"), "af-south": (-26.2, 28.05, "Johannesburg"),
    "ap-south": (19.08, 72.88, "Mumbai"), "ap-southeast": (1.35, 103.82, "Singapore"),
    "ap-northeast": (35.68, 139.69, "Tokyo"), "ap-east": (22.3, 114.17, "Hong Kong"),
    "au-east": (-33.87, 151.21, "Sydney"),
}
PROVIDER_NAMES = {
    "aws": "AWS", "gcp": "GCP", "azure": "Azure", "coreweave": "CoreWeave", "lambda": "Lambda", "nebius": "Nebius",
    "runpod": "RunPod", "crusoe": "Crusoe", "together": "Together AI", "meta": "Meta Compute",
    "scaleway": "Scaleway", "macstadium": "MacStadium", "github": "GitHub Actions", "codemagic": "Codemagic",
    "groq": "Groq", "fireworks": "Fireworks AI", "openai": "OpenAI", "anthropic": "Anthropic",
    "aws-bedrock": "AWS Bedrock",
}


def region_spec(key: str) -> tuple[float, float, str, str, str | None]:
    provider, _, region = key.partition("/")
    if provider in ("aws", "aws-bedrock") and region in AWS_REGIONS:
        return (*AWS_REGIONS[region], None)
    if provider == "gcp" and region in GCP_REGIONS:
        return (*GCP_REGIONS[region], None)
    if provider == "lambda" and region in LAMBDA_REGIONS:
        return LAMBDA_REGIONS[region]
    return OTHER_REGIONS[key]


def build_regions(keys: set[str], proxies: set[str]) -> dict[str, J]:
    def nearest_proxy(lat: float, lon: float) -> str | None:
        dist = sorted((haversine_km(lat, lon, *AWS_REGIONS[r][:2]), r) for r in proxies)
        return dist[0][1] if dist and dist[0][0] <= 300 else None

    out: dict[str, J] = {}
    for key in sorted(keys):
        lat, lon, geo, place, assumption = region_spec(key)
        provider, _, region = key.partition("/")
        out[key] = {"key": key, "geo": geo, "lat": lat, "lon": lon, "assumption": assumption,
                    "label": f"{PROVIDER_NAMES[provider]} {region} ({place})", "aws_proxy": nearest_proxy(lat, lon)}
    for geo, (lat, lon, city) in GEO_CITIES.items():
        out[geo] = {"key": geo, "geo": geo, "lat": lat, "lon": lon, "label": f"Users in {geo} ({city})",
                    "aws_proxy": nearest_proxy(lat, lon), "assumption": f"representative city for {geo}: {city}"}
    return out


# ----------------------------------------------------------------------------------------- hardware
APPLE_CORES = {  # key: (performance cores, efficiency cores, per-core generation factor)
    "M1": (4, 4, 1.0), "M2": (4, 4, 1.1), "M2-Pro": (8, 4, 1.1), "M1-Ultra": (16, 4, 1.0),
    "M4": (4, 6, 1.45), "M4-Pro": (10, 4, 1.45), "M4-Max": (12, 4, 1.45), "M1-VM-3CPU": (3, 0, 1.0),
}
BUILD_SPEED_NOTE = ("relative Xcode build throughput = (P cores + 0.3 x E cores) x generation factor (M1 1.0, "
                    "M2 1.1, M4 1.45), normalised to M4 = 1.0; assumption: no public Xcode build benchmark in "
                    "the reference data")
APPLE_FROM_RENTALS = {"M1": "Apple M1", "M2": "Apple M2", "M2-Pro": "Apple M2 Pro", "M1-Ultra": "Apple M1 Ultra"}
GPU_NAMES = {"H100": "NVIDIA H100 SXM 80GB", "H100-PCIe": "NVIDIA H100 PCIe 80GB", "H200": "NVIDIA H200 SXM 141GB",
             "B200": "NVIDIA B200", "GB200": "NVIDIA GB200 (per Blackwell GPU)", "A100-80GB": "NVIDIA A100 SXM 80GB",
             "A100-80GB-PCIe": "NVIDIA A100 PCIe 80GB", "A100-40GB": "NVIDIA A100 SXM 40GB",
             "L40S": "NVIDIA L40S", "L4": "NVIDIA L4", "MI300X": "AMD Instinct MI300X", "MTIA-v2": "Meta MTIA v2",
             "M4": "Apple M4", "M4-Pro": "Apple M4 Pro (14-core CPU)", "M4-Max": "Apple M4 Max"}


def spec_key(row: Row) -> str | None:
    acc, variant = row["accelerator"], row["variant"]
    if acc in ("H100", "A100"):
        base = "H100" if acc == "H100" else "A100-80GB"
        return f"{base}-PCIe" if "PCIe" in variant else base
    if acc == "Apple M4 Pro":
        return "M4-Pro" if "14-core" in variant else None
    return {"MTIA v2": "MTIA-v2", "Apple M4": "M4", "Apple M4 Max": "M4-Max"}.get(acc, acc)


def mfu_table(train: list[Row]) -> dict[str, tuple[dict[str, float], str]]:
    mamf = {(r["accelerator"], r["precision"]): float(r["pct_of_peak"]) for r in train
            if r["metric"].startswith("MAMF") and r["pct_of_peak"]}
    mi300x = round(0.40 * mamf[("MI300X", "BF16")] / mamf[("H100 SXM", "BF16")], 3)
    llama = "Llama 3 paper (arXiv 2407.21783) reports 38-43 % BF16 MFU on H100 (training_efficiency.csv)"
    a100 = "estimation-model default: Llama 2 training on A100 reaches about 40 % MFU"
    new = (f"assumption: new parts, lower MAMF ({mamf[('B200', 'BF16')]} % for B200 vs "
           f"{mamf[('H100 SXM', 'BF16')]} % for H100)")
    fp8 = "fp8 0.30 is an assumption: FP8 reaches a lower fraction of its doubled peak"
    return {
        "H100": ({"bf16": 0.40, "fp16": 0.40, "fp8": 0.30}, f"bf16: {llama}; {fp8}; fp16 = bf16"),
        "H200": ({"bf16": 0.40, "fp16": 0.40, "fp8": 0.30}, f"bf16 as H100: {llama}; {fp8}; fp16 = bf16"),
        "H100-PCIe": ({"bf16": 0.35, "fp16": 0.35}, "assumption: PCIe part without NVLink, below SXM's 0.40"),
        "B200": ({"bf16": 0.35, "fp16": 0.35, "fp8": 0.28}, new),
        "GB200": ({"bf16": 0.35, "fp16": 0.35, "fp8": 0.28}, new),
        "MI300X": ({"bf16": mi300x, "fp16": mi300x},
                   f"derived: 0.40 x MI300X MAMF {mamf[('MI300X', 'BF16')]} % / H100 MAMF "
                   f"{mamf[('H100 SXM', 'BF16')]} % (training_efficiency.csv)"),
        "L40S": ({"bf16": 0.30, "fp16": 0.30}, "assumption: PCIe inference-class part, no NVLink"),
        "L4": ({"bf16": 0.30, "fp16": 0.30}, "assumption: PCIe inference-class part, no NVLink"),
        **{k: ({"bf16": 0.40, "fp16": 0.40}, a100) for k in ("A100-80GB", "A100-80GB-PCIe", "A100-40GB")},
    }


def build_hardware(specs: list[Row], train: list[Row], macs: list[Row], rep: Report) -> dict[str, J]:
    mfus = mfu_table(train)
    hw: dict[str, J] = {}
    for row in specs:
        key = spec_key(row)
        if key is None:
            rep.omit("hardware row not used (the M4-Pro key is the 14-core part)", f"{row['accelerator']} "
                     f"{row['variant']}")
            continue
        bf16, fp8, int8 = num(row["bf16_dense_tflops"]), num(row["fp8_dense_tflops"]), num(row["int8_dense_tops"])
        peak = {"bf16": bf16, "fp16": bf16, "fp8": fp8, "int8": int8, "fp32": num(row["fp32_tflops"])}
        notes = [row["notes"]] if row["notes"] else []
        if bf16:
            notes.append("fp16 peak = bf16 dense (same dense rate on NVIDIA/AMD; derived)")
        spec: J = {"name": GPU_NAMES[key], "vendor": row["vendor"], "memory_gb": float(row["memory_gb"]),
                   "mem_bw_tbps": num(row["mem_bw_tbps"]), "peak_tflops": {k: v for k, v in peak.items() if v},
                   "source": row["source_url"], "as_of": norm_date(row["source_date"])}
        if key in mfus:
            spec["mfu"], spec["mfu_source"] = mfus[key]
        if key == "MTIA-v2":
            spec["trains_llms"] = False
            notes.append("inference-oriented, not rentable, not used for LLM training (reference README)")
        spec["notes"] = "; ".join(notes) or None
        hw[key] = spec
    a100 = dict(hw["A100-80GB"], name=GPU_NAMES["A100-40GB"], memory_gb=40.0, mfu=mfus["A100-40GB"][0])
    # The reference's single-stream row (Llama 3.1 8B, bf16, A100 40GB: 75 tok/s at ~77 % of the bandwidth
    # ceiling) implies the ceiling: 75 / 0.77 tok/s × 16.06 GB of weights ≈ 1.56 TB/s (datasheet: 1.555).
    a100["mem_bw_tbps"] = round(75 / 0.77 * 16.06e9 / 1e12, 3)
    a100["notes"] = ("compute from the A100 SXM 80GB row; memory 40 GB from gpu_prices.csv; mem_bw_tbps derived "
                     "from inference_throughput.csv (75 tok/s single-stream 8B at ~77 % of the ceiling)")
    hw["A100-40GB"] = a100
    rep.assumptions.add("A100-40GB memory bandwidth derived from the 75 tok/s single-stream row: 1.564 TB/s.")
    for key, chip in APPLE_FROM_RENTALS.items():
        rows = [r for r in macs if r["chip"] == chip and num(r["memory_gb"])]
        best = max(rows, key=lambda r: float(r["memory_gb"]))
        hw[key] = {"name": chip, "vendor": "Apple", "memory_gb": float(best["memory_gb"]), "source":
                   best["source_url"], "as_of": norm_date(best["source_date"]),
                   "notes": f"no hardware_specs.csv row; max memory from the mac_rentals.csv rows ({best['offering']})"}
    gh = next(r for r in macs if r["provider"] == "GitHub Actions")
    hw["M1-VM-3CPU"] = {"name": "Apple M1 (GitHub-hosted 3-vCPU VM)", "vendor": "Apple", "memory_gb": 7.0,
                        "source": gh["source_url"], "as_of": norm_date(gh["source_date"]),
                        "notes": "3 vCPU of a virtualised M1 (mac_rentals.csv); memory_gb 7 is an assumption "
                                 "(GitHub's documented runner size, not in the reference data)"}
    rep.assumptions.add("M1-VM-3CPU memory 7 GB: GitHub's documented macOS arm64 runner size, not in the data.")
    m4 = (APPLE_CORES["M4"][0] + 0.3 * APPLE_CORES["M4"][1]) * APPLE_CORES["M4"][2]
    for key, (perf, eff, gen) in APPLE_CORES.items():
        hw[key].update(build_speed=round((perf + 0.3 * eff) * gen / m4, 3), build_speed_assumption=BUILD_SPEED_NOTE,
                       trains_llms=False)
    rep.assumptions.add(f"Apple build_speed: {BUILD_SPEED_NOTE}.")
    rep.assumptions.add("Apple chips have trains_llms=false (Mac hosts are for builds, not LLM training).")
    for key, (mfu, why) in mfus.items():
        rep.assumptions.add(f"MFU {key}: {', '.join(f'{p} {v:g}' for p, v in mfu.items())} ({why}).")
    return hw


# ----------------------------------------------------------------------------------------- GPU offers
GPU_MODEL = {"H100 SXM": "H100", "H100 PCIe": "H100-PCIe", "H200": "H200", "B200": "B200", "GB200": "GB200",
             "A100 40GB": "A100-40GB", "A100 40GB SXM": "A100-40GB", "A100 80GB": "A100-80GB",
             "A100 80GB SXM": "A100-80GB", "A100": "A100-80GB", "A100 80GB PCIe": "A100-80GB-PCIe",
             "L40S": "L40S", "L4": "L4", "MI300X": "MI300X"}
PROVIDER_SLUGS = {"AWS": "aws", "GCP": "gcp", "Azure": "azure", "CoreWeave": "coreweave", "Lambda": "lambda",
                  "Nebius": "nebius", "RunPod": "runpod", "Crusoe": "crusoe"}
PRICING = {"on_demand": "on-demand", "community": "on-demand", "spot": "spot", "preemptible": "spot",
           "reserved_1yr_no_upfront": "reserved", "cud_1yr": "reserved"}
SKIP_PROVIDERS = "volatile marketplace / undated snapshot provider (Vast.ai, Hyperbolic, Fluidstack)"
SKIP_BASIS = {"aggregator_average": "aggregator average, not a list price", "market_median": "marketplace median",
              "range_across_gpu_types": "range across GPU types (price-to-GPU mapping not given)",
              "range_across_listings": "range across listings", "list_superseded_2026-10-01":
              "Nebius list price superseded on 2026-10-01"}
SKIP_PRICING = {"cud_3yr": "3-year commitment not modelled", "capacity_block": "capacity-block rate, stale "
                "(before 2025-01-01)", "reserved_short_term": "short-term reservation range"}
SXM_CLASS = {"H100", "H200", "B200", "A100-80GB", "MI300X"}
INTERCONNECT_NOTE = {
    "aws": "interconnect assumed: EFA on p-family, plain ethernet on g-family",
    "gcp": "interconnect assumed: a3-high/mega GPUDirect-TCPX, a3-ultra RoCE, others ethernet",
    "azure": "interconnect assumed: ND-series InfiniBand, NC-series ethernet",
    "coreweave": "interconnect assumed: HGX / GB200 InfiniBand, L40S ethernet",
    "lambda": "interconnect assumed: on-demand instances have no inter-node InfiniBand",
    "nebius": "interconnect assumed: 8-GPU shapes InfiniBand, 1-GPU ethernet",
    "crusoe": "interconnect assumed: 8-GPU instances InfiniBand, 1-GPU ethernet",
    "runpod": "interconnect assumed: ethernet between pods",
}


def interconnect(provider: str, instance: str, count: int) -> str:
    name = instance.lower()
    if provider == "aws":
        return "ethernet" if name.startswith("g") else "efa"
    if provider == "gcp":
        if name.startswith(("a3-mega", "a3-high")):
            return "tcpx"
        return "roce" if name.startswith("a3-ultra") else "ethernet"
    if provider == "azure":
        return "infiniband" if name.startswith("standard_nd") else "ethernet"
    if provider == "coreweave":
        return "ethernet" if "l40s" in name else "infiniband"
    if provider in ("nebius", "crusoe"):
        return "infiniband" if count >= 8 else "ethernet"
    return "ethernet"


def skip_reason(row: Row) -> str | None:
    if row["provider"] in ("Vast.ai", "Hyperbolic", "Fluidstack"):
        return SKIP_PROVIDERS
    if row["provider"] == "Together AI":
        return "Together AI GPU rows are ranges or aggregates only"
    if row["price_basis"] in SKIP_BASIS:
        return SKIP_BASIS[row["price_basis"]]
    if row["pricing_model"] in SKIP_PRICING:
        return SKIP_PRICING[row["pricing_model"]]
    if row["region"].startswith("us-gov-"):
        return "AWS GovCloud region (restricted to US-government accounts)"
    if not row["usd_per_instance_hour"] and not row["usd_per_gpu_hour"]:
        return "empty price"
    return None


def lambda_type(offering: str) -> str:
    count, _, gpu = offering.partition("x ")
    suffix = {"B200": "b200_sxm6", "H100 SXM": "h100_sxm5", "H100 PCIe": "h100_pcie", "A100 80GB SXM":
              "a100_80gb_sxm4", "A100 40GB SXM": "a100"}.get(gpu, slug(gpu))
    return f"gpu_{count}x_{suffix}"


def nebius_shapes(sky: list[Row], acc: str, offering: str) -> list[tuple[str, str, int]]:
    """(region, instance, count) for 1- and 8-GPU shapes; L40S: the cheapest 1-GPU shape per CPU variant."""
    rows = [r for r in sky if r["AcceleratorName"] == acc and r["AcceleratorCount"] in ("1", "8")]
    if acc == "L40S":  # gpu-l40s-a matches the Intel "from" price, gpu-l40s-d the AMD one
        prefix = "gpu-l40s-a_" if "Intel" in offering else "gpu-l40s-d_"
        rows = [min((r for r in rows if r["InstanceType"].startswith(prefix)), key=lambda r: float(r["Price"]))]
    return sorted({(r["Region"], r["InstanceType"], int(r["AcceleratorCount"])) for r in rows})


def placements(row: Row, acc: str, sky: dict[str, list[Row]], rep: Report) -> list[J]:
    """Where one priced row lands: dicts with provider, region, instance, count, usd, original, notes."""
    provider = PROVIDER_SLUGS[row["provider"]]
    count = int(row["gpu_count"] or 1)
    per_gpu = num(row["usd_per_gpu_hour"])
    base = {"provider": provider, "count": count, "usd": num(row["usd_per_instance_hour"]), "notes": []}
    instance = re.sub(r"\s*\(.*\)$", "", row["offering"])
    if provider in ("aws", "gcp"):
        if provider == "gcp":
            rep.assumptions.add("GCP prices exist for every region with a billing SKU; availability of the machine "
                                "type there is not verified (reference README).")
        return [dict(base, region=row["region"], instance=instance)]
    if provider == "azure":
        notes = [] if row["region"] else ["region not recorded in the source; assumed eastus"]
        return [dict(base, region=row["region"] or "eastus", instance=instance, notes=notes)]
    if provider == "coreweave":
        notes = ["instance = the listed plan's GPU count"]
        if row["gpu_model"] == "A100":
            notes.append("source gives no A100 memory size; the 80 GB SXM part is assumed")
        return [dict(base, region="us-east", instance=instance, notes=notes)]
    if provider == "lambda":
        kind = lambda_type(row["offering"])
        regions = sorted({r["Region"] for r in sky["lambda"] if r["InstanceType"] == kind})
        rep.assumptions.add("Lambda offers are listed in every region SkyPilot lists for the type (it lists all 17 "
                            "regions for every type; availability there is not verified).")
        if regions:
            return [dict(base, region=reg, instance=kind) for reg in regions]
        rep.assumptions.add(f"Lambda '{row['offering']}' is not in the SkyPilot catalog: region us-east-1 assumed.")
        return [dict(base, region="us-east-1", instance=slug(row["offering"]),
                     notes=["instance type not in the SkyPilot Lambda catalog; region us-east-1 assumed"])]
    assert per_gpu is not None
    derived = "derived: per-GPU price x GPU count"
    if provider == "nebius":
        notes = [derived, "shape and region from skypilot-catalog nebius/vms.csv, price from the reference row"]
        if acc == "L40S":
            notes.append("gpu-l40s-a taken as the Intel and gpu-l40s-d as the AMD variant (their SkyPilot prices "
                         "match the 'from' prices)")
        return [dict(base, region=reg, instance=inst, count=n, usd=per_gpu * n, per_gpu=per_gpu, notes=notes)
            for reg, inst, n in nebius_shapes(sky["nebius"], acc, row["offering"])]
    name = slug(row["offering"].replace(" Cloud", ""))
    sizes = (1, 8) if acc in SXM_CLASS else (1,)
    region = "us" if provider == "runpod" else "us-east"
    return [dict(base, region=region, instance=f"{name}-x{n}", count=n, usd=per_gpu * n, per_gpu=per_gpu,
                 notes=[derived]) for n in sizes]


def nebius_spot_rows(rows: list[Row]) -> list[tuple[Row, str, str]]:
    """Expand Nebius 'Preemptible X/Y from' rows to (row, accelerator, on-demand offering it applies to)."""
    out = []
    for row in rows:
        if row["provider"] != "Nebius" or row["pricing_model"] != "preemptible":
            continue
        accs = [a for a in ("B200", "H100", "H200", "L40S") if a in row["offering"] or a in row["gpu_model"]]
        for acc in accs:
            variant = "Intel" if "Intel" in row["offering"] else "AMD" if "AMD" in row["offering"] else ""
            out.append((row, acc, variant))
    return out


def build_gpu_offers(rows: list[Row], sky: dict[str, list[Row]], hw: dict[str, J], rep: Report) -> list[J]:
    chosen: dict[str, J] = {}  # offer id -> offer dict (prices merged)
    spot_rows = nebius_spot_rows(rows)
    for row in rows:
        reason = skip_reason(row)
        if reason:
            rep.omit(reason, f"{row['provider']} {row['offering']} ({row['pricing_model']})", row["region"])
            continue
        if row["provider"] == "Nebius" and row["pricing_model"] == "preemptible":
            continue  # applied to the on-demand shapes below
        acc = GPU_MODEL.get(row["gpu_model"])
        if acc is None or acc not in hw:
            rep.omit("no sourced hardware spec", f"{row['provider']} {row['offering']} ({row['gpu_model']})",
                     row["region"])
            continue
        pricing = PRICING[row["pricing_model"]]
        community = row["pricing_model"] == "community"
        basis = row["pricing_model"] if pricing == "reserved" else row["price_basis"]
        if community:
            basis = "community"  # third-party hosts, no SLA: a plan must say so when it picks one
        for place in placements(row, acc, sky, rep):
            count = place["count"]
            usd = place["usd"] or float(row["usd_per_gpu_hour"]) * count
            original = None
            if place.get("per_gpu"):
                original = f"USD {place['per_gpu']:g}/GPU-hour x {count} GPU" + "s" * (count > 1)
            elif row["usd_per_gpu_hour_max"] and "range" in row["price_basis"]:
                high = float(row["usd_per_gpu_hour_max"]) * count
                original = f"range USD {usd:g}-{high:.4f}/instance-hour across AZs; low bound used"
            if row["source_type"] == "catalog_snapshot_stale":
                original = "; ".join(filter(None, [original, "undated, stale SkyPilot snapshot"]))
            oid = f"{place['provider']}/{place['region']}/{place['instance']}".lower().replace(" ", "-")
            offer = chosen.setdefault(oid, {
                "kind": "gpu", "id": oid, "provider": place["provider"], "region": place["region"],
                "instance": place["instance"], "accelerator": acc, "accelerators_per_instance": count,
                "accelerator_memory_gb": num(row["gpu_mem_gb"]) or hw[acc]["memory_gb"],
                "interconnect": interconnect(place["provider"], place["instance"], count), "prices": {},
                "notes": [*place["notes"], INTERCONNECT_NOTE[place["provider"]]]})
            new = price(usd, row, basis, original=original)
            old = offer["prices"].get(pricing)
            if old is None or date_key(new["as_of"]) > date_key(old["as_of"]):
                offer["prices"][pricing] = new
            if old is not None:
                kept, other = (new, old) if offer["prices"][pricing] is new else (old, new)
                rep.facts.append(f"{oid} {pricing}: kept {kept['usd']:g} ({kept['as_of']}, {kept['source']}) over "
                                 f"{other['usd']:g} ({other['as_of']}, {other['source']})")
            if community:
                offer["notes"].insert(0, "RunPod Community Cloud (priced as on-demand)")
            if place["provider"] == "nebius":
                for srow, sacc, variant in spot_rows:
                    if sacc == acc and (not variant or variant in row["offering"]):
                        offer["prices"]["spot"] = price(float(srow["usd_per_gpu_hour"]) * count, srow, "from_price",
                                                        original=f"USD {srow['usd_per_gpu_hour']}/GPU-hour x "
                                                                 f"{count} ('from' price)")
    offers = []
    for offer in chosen.values():
        offer["notes"] = "; ".join(dict.fromkeys(offer["notes"]))
        if "on-demand" not in offer["prices"]:
            offer["notes"] += "; no on-demand price in the reference data"
            rep.facts.append(f"{offer['id']} has no on-demand price (only {', '.join(sorted(offer['prices']))}).")
        offers.append(offer)
    return offers


def neocloud_median(offers: list[J], acc: str) -> tuple[float, list[float]]:
    """Median on-demand per-GPU price over distinct (provider, per-GPU price) among neocloud offers."""
    seen = set()
    for o in offers:
        if (o["provider"] in ("coreweave", "lambda", "nebius", "crusoe", "runpod") and o["accelerator"] == acc
                and "on-demand" in o["prices"] and "community" not in o["id"]):
            seen.add((o["provider"], round(o["prices"]["on-demand"]["usd"] / o["accelerators_per_instance"], 4)))
    values = sorted(v for _, v in seen)
    return statistics.median(values), values


def build_meta_offers(gpu: list[J], hw: dict[str, J], rep: Report) -> list[J]:
    h100, h100_vals = neocloud_median(gpu, "H100")
    b200, b200_vals = neocloud_median(gpu, "B200")
    ratio = hw["MTIA-v2"]["peak_tflops"]["bf16"] / hw["H100"]["peak_tflops"]["bf16"]
    src = "placer reference data gpu_prices.csv (neocloud on-demand rows, via this catalog)"
    why = ("Meta Compute publishes no prices; assumed at the median neocloud {acc} on-demand per-GPU price "
           "({vals} -> median {med:g} USD/GPU-hour) x {n} GPUs")
    offers = []
    for acc, med, vals, n, region, inst, cap in (("H100", h100, h100_vals, 8, "us-east", "h100-pool", 512),
                                                 ("B200", b200, b200_vals, 8, "us-east", "b200-pool", 256)):
        text = why.format(acc=acc, vals=", ".join(f"{v:g}" for v in vals), med=med, n=n)
        offers.append({"kind": "gpu", "id": f"meta/{region}/{inst}", "provider": "meta", "region": region,
                       "instance": inst, "accelerator": acc, "accelerators_per_instance": n,
                       "accelerator_memory_gb": hw[acc]["memory_gb"], "interconnect": "roce", "max_instances": cap,
                       "notes": "Meta Compute pool; interconnect (RoCE) and max_instances are assumptions",
                       "prices": {"on-demand": {"usd": round(med * n, 4), "source": src, "as_of": CATALOG_AS_OF,
                                                "basis": "assumption", "assumption": text}}})
        rep.assumptions.add(f"meta/{region}/{inst}: {text}.")
    mtia = round(h100 * ratio, 4)
    text = (f"Meta Compute publishes no prices; MTIA v2 priced per dense BF16 TFLOP like the H100 pool: "
            f"{h100:g} USD/H100-hour x {hw['MTIA-v2']['peak_tflops']['bf16']:g}/"
            f"{hw['H100']['peak_tflops']['bf16']:g} TFLOPS")
    offers.append({"kind": "gpu", "id": "meta/us-west/mtia-v2-pool", "provider": "meta", "region": "us-west",
                   "instance": "mtia-v2-pool", "accelerator": "MTIA-v2", "accelerators_per_instance": 1,
                   "accelerator_memory_gb": hw["MTIA-v2"]["memory_gb"], "interconnect": "ethernet",
                   "max_instances": 1024, "notes": "Meta Compute MTIA pool (inference); capacity is an assumption",
                   "prices": {"on-demand": {"usd": mtia, "source": src, "as_of": CATALOG_AS_OF,
                                            "basis": "assumption", "assumption": text}}})
    rep.assumptions.add(f"meta/us-west/mtia-v2-pool: {text} = {mtia:g} USD/hour.")
    rep.facts.append(f"Meta pools: H100 median {h100:g} USD/GPU-h over {h100_vals}; B200 median {b200:g} over "
                     f"{b200_vals}; MTIA-v2 {mtia:g} USD/h.")
    return offers


# ----------------------------------------------------------------------------------------- API offers
API_PROVIDERS = {"Together AI": ("together", "us-west"), "Groq": ("groq", "us"), "Fireworks AI": ("fireworks", "us"),
                 "OpenAI": ("openai", "us"), "Anthropic": ("anthropic", "us"),
                 "AWS Bedrock": ("aws-bedrock", "us-east-1"), "Crusoe": ("crusoe", "us-east")}
PERF = {"groq": (250.0, 250.0)}
PERF_NOTE = "assumption: ttft {t:g} ms and {s:g} output tok/s are defaults, not in the reference data"


def canonical_model(name: str) -> tuple[str, float | None] | None:
    n = re.sub(r"v(\d)p(\d)", r"\1.\2", name.lower())
    if "maverick" in n:
        return "llama-4-maverick", 400e9
    if "scout" in n:
        return "llama-4-scout", 109e9
    if "gpt-oss-120b" in n:
        return "gpt-oss-120b", 120e9
    if "gpt-4o" in n:
        return ("gpt-4o-mini" if "mini" in n else "gpt-4o"), None
    if "claude-3-5-sonnet" in n:
        return "claude-3.5-sonnet", None
    if m := re.search(r"claude-sonnet-(\d)(?:-(\d))?", n):
        minor = m.group(2) if m.group(2) not in (None, "0") else None
        return f"claude-sonnet-{m.group(1)}" + (f".{minor}" if minor else ""), None
    if m := re.search(r"llama[- ]?(\d)(?:[.-](\d))?[- ](\d+)b", n):
        major, minor, size = m.groups()
        return f"llama-{major}" + (f".{minor}" if minor else "") + f"-{size}b", float(size) * 1e9
    return None


def build_api_offers(rows: list[Row], rep: Report) -> list[J]:
    groups: dict[tuple[str, str], list[tuple[Row, float | None]]] = defaultdict(list)
    for row in rows:
        if not (num(row["usd_per_mtok_input"]) and num(row["usd_per_mtok_output"])):
            continue
        canon = canonical_model(row["model"])
        if canon is None or row["provider"] not in API_PROVIDERS:
            rep.omit("no canonical model key / provider", f"{row['provider']} {row['model']}")
            continue
        groups[(row["provider"], canon[0])].append((row, canon[1]))
    offers = []
    for (prov_name, model), cands in sorted(groups.items()):
        cands.sort(key=lambda c: (float(c[0]["usd_per_mtok_input"]) + float(c[0]["usd_per_mtok_output"]),
                                  tuple(-ord(ch) for ch in norm_date(c[0]["source_date"]))))
        (row, params), others = cands[0], [c[0] for c in cands[1:]]
        provider, region = API_PROVIDERS[prov_name]
        notes, provider_model = [], row["model"]
        for other in others:
            rep.omit(f"duplicate of a kept {provider}/{model} row", f"{prov_name} {other['model']} "
                     f"({other['usd_per_mtok_input']}/{other['usd_per_mtok_output']}, {other['source_date']})")
            notes.append(f"also listed as {other['model']} ({other['source_date']}) at the same or higher price")
            if "(" in provider_model:
                provider_model = other["model"]
                notes.append(f"provider_model id taken from that row; price from '{row['model']}'")
        if row["notes"]:
            notes.append(row["notes"])
        if model == "gpt-oss-120b":
            notes.append("parameters 120e9 from the model name (exact count not in the data)")
        ttft, tps = PERF.get(provider, (500.0, 60.0))
        basis = "list" if row["source_type"] != "third_party_gateway" else "gateway_listing"
        offers.append({"kind": "api", "id": f"{provider}/{model}", "provider": provider, "region": region,
                       "model": model, "provider_model": provider_model, "model_family": row["model_family"] or None,
                       "parameters": params, "ttft_ms": ttft, "output_tokens_per_s": tps,
                       "performance_assumption": PERF_NOTE.format(t=ttft, s=tps),
                       "input_usd_per_mtok": price(float(row["usd_per_mtok_input"]), row, basis),
                       "output_usd_per_mtok": price(float(row["usd_per_mtok_output"]), row, basis),
                       "notes": "; ".join(notes) or None})
    rep.assumptions.add("API ttft/throughput: 500 ms and 60 tok/s by default, Groq 250 ms and 250 tok/s.")
    muse = next(r for r in rows if r["provider"].startswith("Meta"))
    priced = [r for r in rows if num(r["usd_per_mtok_input"]) and num(r["usd_per_mtok_output"])]
    med_in = statistics.median(float(r["usd_per_mtok_input"]) for r in priced)
    med_out = statistics.median(float(r["usd_per_mtok_output"]) for r in priced)
    why = (f"Muse Spark has no public token price (hosted-only private preview); assumed at the median {{}} price of "
           f"the {len(priced)} priced token_prices.csv rows")
    offers.append({"kind": "api", "id": "meta/muse-spark", "provider": "meta", "region": "us-east",
                   "model": "muse-spark", "provider_model": "Muse Spark", "model_family": "Muse", "parameters": None,
                   "ttft_ms": 600.0, "output_tokens_per_s": 80.0,
                   "performance_assumption": "assumption: 600 ms ttft and 80 tok/s; no public figures for Muse "
                                             "Spark (hosted-only private preview per token_prices.csv)",
                   "input_usd_per_mtok": price(med_in, muse, "assumption", assumption=why.format("input")),
                   "output_usd_per_mtok": price(med_out, muse, "assumption", assumption=why.format("output")),
                   "notes": muse["notes"]})
    rep.assumptions.add(f"meta/muse-spark: input {med_in:g} / output {med_out:g} USD per Mtok = medians of the "
                        f"{len(priced)} priced token rows; 600 ms / 80 tok/s assumed.")
    return offers


# ----------------------------------------------------------------------------------------- Mac offers
SCALEWAY = [  # instance, chip, datasheet offering, hourly offering, monthly offering
    ("M4-S", "M4", "M4-S (datasheet)", "M4-S", "M4-S monthly commitment"),
    ("M4-M", "M4", "M4-M (datasheet)", "M4-M", None),
    ("M4-XL", "M4-Pro", "M4 Pro-XL (datasheet)", "M4-XL (M4 Pro)", None),
    ("M1-M", "M1", "M1-M (datasheet)", None, "M1-M monthly commitment"),
    ("M2-M", "M2", "M2-M (datasheet)", None, "M2-M monthly commitment"),
    ("M2-L", "M2-Pro", "M2 Pro-L (datasheet)", None, "M2-L (M2 Pro) monthly commitment"),
]


def mac_offer(provider: str, region: str, instance: str, chip: str, plans: list[J], **extra: Any) -> J:
    return {"kind": "mac", "id": f"{provider}/{region}/{instance}".lower(), "provider": provider, "region": region,
            "instance": instance, "chip": chip, "plans": plans, **extra}


def build_mac_offers(macs: list[Row], prov: list[Row], rep: Report) -> list[J]:
    by = {(r["provider"], r["offering"]): r for r in macs}
    offers = []
    for inst, chip, sheet, hourly, monthly in SCALEWAY:
        spec, plans = by[("Scaleway", sheet)], []
        if hourly:
            row = by[("Scaleway", hourly)]
            plans.append({"unit": "hour", "min_lease_hours": 24.0, "price": eur_price(
                float(row["price"]), "hour", row, "list")})
        if monthly:
            row = by[("Scaleway", monthly)]
            plans.append({"unit": "month", "min_lease_hours": 730.0, "price": eur_price(
                float(row["price"]), "month", row, "monthly_commitment")})
        offers.append(mac_offer("scaleway", "fr-par", inst, chip, plans, cpu_cores=int(spec["cpu_cores"]),
                                memory_gb=float(spec["memory_gb"]), notes="specs from the Scaleway datasheet "
                                "(memory in GiB as listed); 24 h minimum lease (Apple macOS licence)"))
    rep.assumptions.add(f"Scaleway EUR prices {EUR_NOTE}; monthly commitments leased for 730 h minimum; "
                        "startup_minutes left at 0 for dedicated Macs (no figure in the data).")
    launch = next(r for r in prov if r["metric"] == "launch_time")
    rng = by[("AWS EC2 Mac", "EC2 Mac family (range estimate)")]
    why = ("the only figure is a third-party range for the whole EC2 Mac family (0.65-1.20 USD/h); the upper "
           "bound is used (conservative)")
    offers.append(mac_offer("aws", "us-east-1", "mac-m4.metal", "M4", [{
        "unit": "hour", "min_lease_hours": 24.0, "price": price(1.20, rng, "third_party_estimate",
                                                                 original="USD 0.65-1.20/hour", assumption=why)}],
        startup_minutes=float(launch["value_high"]), notes="EC2 Mac region not in the reference data; assumed "
        "us-east-1; memory not in the data; Dedicated Host 24 h minimum; "
        f"startup = upper end of the {launch['value_low']}-{launch['value_high']} min launch time (provisioning.csv)"))
    rep.assumptions.add(f"aws/us-east-1/mac-m4.metal at 1.20 USD/h: {why}; region us-east-1 assumed.")
    ms = by[("MacStadium", "Dedicated/private cloud Mac (range)")]
    why = "third-party range only; the entry M4 Mac mini is assumed at its low end"
    offers.append(mac_offer("macstadium", "us-east", "mac-mini-m4", "M4", [{
        "unit": "month", "min_lease_hours": 730.0, "price": price(79.0, ms, "third_party_estimate",
                                                                   original="USD 79-599+/month", assumption=why)}],
        notes="chip M4 and monthly term assumed for MacStadium's entry Mac mini"))
    rep.assumptions.add(f"macstadium/us-east/mac-mini-m4 at 79 USD/month: {why}.")
    gh = next(r for r in macs if r["provider"] == "GitHub Actions")
    offers.append(mac_offer("github", "us", "macos-latest", "M1-VM-3CPU", [{
        "unit": "minute", "min_lease_hours": 0.0, "price": price(float(gh["price"]), gh, "list")}],
        cpu_cores=3, elastic=True, startup_minutes=1.0, notes="per-minute hosted runner; startup_minutes 1 assumed"))
    cm = next(r for r in macs if r["provider"] == "Codemagic")
    why = "of the two listed tiers (0.038 and 0.095 USD/min) the M4 machine is taken to be the higher one"
    offers.append(mac_offer("codemagic", "us", "mac-mini-m4", "M4", [{
        "unit": "minute", "min_lease_hours": 0.0, "price": price(0.095, cm, "list", original="USD 0.038-0.095/minute",
                                                                  assumption=why)}],
        elastic=True, startup_minutes=1.0, notes="pay-as-you-go build minutes; startup_minutes 1 assumed"))
    rep.assumptions.add(f"codemagic/us/mac-mini-m4 at 0.095 USD/min: {why}; startup 1 min assumed (also GitHub).")
    used = {"GitHub Actions", "Codemagic", "MacStadium", "Scaleway"}
    for r in macs:
        if r["offering"].startswith("(rule)") or r["provider"].startswith("Apple"):
            continue
        if not r["price"] and r["provider"] != "Scaleway" and r["offering"] != "mac-m4.metal":
            rep.omit("Mac row without a price", f"{r['provider']} {r['offering']}")
        elif r["price"] and r["provider"] not in used and "range" not in r["offering"]:
            rep.omit("Mac row not usable (no Apple-silicon chip stated)", f"{r['provider']} {r['offering']}")
    return offers


# ----------------------------------------------------------------------------------------- network, risk
def build_latency(rows: list[Row], rep: Report) -> tuple[list[J], J, set[str]]:
    pairs: list[J] = sorted(({"src": r["src_region"], "dst": r["dst_region"], "p50_ms": float(r["p50_ms"])}
                             for r in rows), key=lambda p: (p["src"], p["dst"]))
    xs: list[float] = []
    ys: list[float] = []
    for p in pairs:
        if p["src"] != p["dst"]:
            xs.append(2 * haversine_km(*AWS_REGIONS[p["src"]][:2], *AWS_REGIONS[p["dst"]][:2]) / 200.0)
            ys.append(p["p50_ms"])
    n = len(xs)

    def fit(weights: list[float]) -> tuple[float, float, float, float]:
        sw = sum(weights)
        mx = sum(w * x for w, x in zip(weights, xs, strict=True)) / sw
        my = sum(w * y for w, y in zip(weights, ys, strict=True)) / sw
        slope = (sum(w * (x - mx) * (y - my) for w, x, y in zip(weights, xs, ys, strict=True))
                 / sum(w * (x - mx) ** 2 for w, x in zip(weights, xs, strict=True)))
        const = my - slope * mx
        rmse = math.sqrt(sum((slope * x + const - y) ** 2 for x, y in zip(xs, ys, strict=True)) / n)
        mape = sum(abs(slope * x + const - y) / y for x, y in zip(xs, ys, strict=True)) / n
        return slope, const, rmse, mape

    # Relative-error least squares (weights 1/p50^2): latency errors scale with distance, and the plain fit is
    # dominated by long Europe-Asia detours (it over-predicts us-east-1 -> eu-west-1 by ~39 %).
    ols = fit([1.0] * n)
    slope, const, rmse, mape = fit([1 / y**2 for y in ys])
    source = (f"least-squares fit (relative error, weights 1/p50^2) to cloudping.co p50 (captured 2025-05-29), "
              f"{n} pairs, RMSE {rmse:.1f} ms, mean abs error {mape:.1%}")
    rep.facts.append(f"RTT fit (relative least squares, chosen): route_factor {slope:.4f}, constant_ms {const:.3f}, "
                     f"{n} pairs, RMSE {rmse:.2f} ms, mean abs error {mape:.1%}.")
    rep.facts.append(f"RTT fit (plain least squares, not used): route_factor {ols[0]:.4f}, constant_ms "
                     f"{ols[1]:.3f}, RMSE {ols[2]:.2f} ms, mean abs error {ols[3]:.1%}.")
    model = {"km_per_ms": 200.0, "route_factor": round(slope, 4), "constant_ms": round(const, 3), "source": source}
    proxies = {p["src"] for p in pairs} | {p["dst"] for p in pairs}
    return pairs, model, proxies


def egress_tier(provider: str, transfer: str, row: Row, lo: float, hi: float | None, usd: float,
                assumption: str | None = None) -> J:
    return {"provider": provider, "transfer": transfer, "from_gb": round(lo, 3), "to_gb": None if hi is None else
            round(hi, 3), "usd_per_gb": round(usd, 5), "source": row["source_url"],
            "as_of": norm_date(row["source_date"]), "assumption": assumption}


def build_egress(rows: list[Row], providers: set[str], rep: Report) -> list[J]:
    kinds = {"internet_egress": "internet", "inter_region": "inter-region", "inter_az": "inter-zone",
             "inter_zone": "inter-zone"}
    keep = {("AWS", "us (standard regions)"), ("AWS", "any"), ("AWS", "us (typical)"), ("GCP", "us-central1"),
            ("GCP", "any"), ("GCP", "same continent"), ("Azure", "NA/EU (zone 1)"), ("Azure", "any"),
            ("Azure", "within North America or Europe"), ("CoreWeave", "all"), ("Nebius", "all"), ("Lambda", "all")}
    tiers = []
    for r in rows:
        transfer = kinds.get(r["transfer_type"])
        if not transfer or (r["provider"], r["source_region"]) not in keep or r["destination"] == "Australia":
            rep.omit("egress row not used (ingress / NAT / object storage, or a region- or destination-specific "
                     "rate that EgressTier cannot scope)",
                     f"{r['provider']} {r['transfer_type']} {r['source_region']} -> {r['destination']}")
            continue
        provider = r["provider"].lower()
        lo, hi = num(r["tier_from_gb_per_month"]) or 0.0, num(r["tier_to_gb_per_month"])
        value, assumption = r["usd_per_gb"], None
        if "-" in value:
            value, assumption = value.split("-")[1], f"upper end of the quoted {r['usd_per_gb']} USD/GB range"
        usd = float(value)
        if r["unit"] == "GiB":
            usd, lo, hi = usd / GIB_PER_GB, lo * GIB_PER_GB, None if hi is None else hi * GIB_PER_GB
            assumption = "; ".join(filter(None, [assumption, "converted from per-GiB (divided by 1.073741824)"]))
        if provider == "azure" and transfer == "internet" and hi == 10240:
            hi, assumption = None, "no price above 10 TB in the reference data; the 0.087 rate assumed to continue"
        tiers.append(egress_tier(provider, transfer, r, lo, hi, usd, assumption))
    aws = next(r for r in rows if r["provider"] == "AWS" and r["usd_per_gb"] == "0.09")
    missing = sorted(providers - {t["provider"] for t in tiers})
    for provider in missing:
        tiers.append(egress_tier(provider, "internet", aws, 0.0, None, 0.09,
                                 "no egress price in the reference data; assumed AWS's internet rate"))
    rep.assumptions.add(f"Egress for {', '.join(missing)}: no row, assumed AWS's first paid internet tier "
                        "(0.09 USD/GB). API providers get no egress tier (tokens, not bulk data).")
    return sorted(tiers, key=lambda t: (t["provider"], t["transfer"], t["from_gb"]))


def build_spot_risk(rows: list[Row]) -> list[J]:
    newest: dict[str, J] = {}
    for r in rows:
        if r["metric"] != "spot_interruption_frequency":
            continue
        family = r["resource"].split(" ")[0]
        match = family if "." in family else f"{family}."
        item: J = {"provider": "aws", "match": match, "source": r["source_url"], "as_of": norm_date(r["source_date"]),
                "interruptions_per_month": round((float(r["value_low"]) + float(r["value_high"])) / 200, 4)}
        if match not in newest or date_key(item["as_of"]) > date_key(newest[match]["as_of"]):
            newest[match] = item
    return [newest[k] for k in sorted(newest)]


# ----------------------------------------------------------------------------------------- report, main
def render_report(cat: Catalog, rep: Report) -> str:
    counts = Counter((o.provider, o.kind) for o in cat.offers)
    lines = ["# Catalog build report", "", f"Generated by `scripts/build_catalog.py` from the reference data "
             f"compiled {CATALOG_AS_OF}. Regenerate with `python scripts/build_catalog.py`; do not edit by hand.",
             "", f"## Contents ({len(cat.offers)} offers, {len(cat.hardware)} hardware specs, {len(cat.regions)} "
             f"regions, {len(cat.latency)} latency pairs, {len(cat.egress)} egress tiers, {len(cat.spot_risk)} "
             "spot-risk rows)", "", "| provider | gpu | api | mac |", "|---|---|---|---|"]
    for provider in sorted({p for p, _ in counts}):
        lines.append(f"| {provider} | " + " | ".join(str(counts[(provider, k)] or "") for k in ("gpu", "api", "mac"))
                     + " |")
    lines += ["", "## Hardware", "", "| key | memory GB | bf16 TFLOPS | MFU | build_speed |", "|---|---|---|---|---|"]
    for key, spec in sorted(cat.hardware.items()):
        lines.append(f"| {key} | {spec.memory_gb:g} | {spec.peak_tflops.get('bf16', '')} | "
                     f"{', '.join(f'{k} {v:g}' for k, v in spec.mfu.items())} | {spec.build_speed or ''} |")
    lines += ["", "## Facts computed at build time", "", *(f"- {f}" for f in sorted(rep.facts)), "",
              f"FX: 1 EUR = {EUR_USD} USD (assumed).", "", "## Assumptions", "",
              *(f"- {a}" for a in sorted(rep.assumptions)),
              *(f"- {p}: {n}" for p, n in sorted(INTERCONNECT_NOTE.items())), "- meta: RoCE assumed",
              "- Regions missing in the source: Azure blank -> eastus, CoreWeave / Crusoe -> us-east, RunPod and "
              "US-wide API/CI services -> us (Kansas); Together -> us-west; see Region.assumption.",
              "- Spot risk `match` for the g6 (L4) family is `g6.` so it does not also match g6e / g6f.",
              "", "## Omitted", ""]
    for reason in sorted(rep.omitted):
        items = rep.omitted[reason]
        lines += [f"### {reason} ({len(items)})", ""]
        for what in sorted(items):
            where = f": {', '.join(sorted(items[what]))}" if items[what] else ""
            lines.append(f"- {what}{where}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(shared: Path) -> tuple[Catalog, Report]:
    ref, rep = shared / "reference", Report()
    macs, prov = read_csv(ref / "mac_rentals.csv"), read_csv(ref / "provisioning.csv")
    hw = build_hardware(read_csv(ref / "hardware_specs.csv"), read_csv(ref / "training_efficiency.csv"), macs, rep)
    sky = {p: read_csv(shared / "skypilot-catalog" / p / "vms.csv") for p in ("lambda", "nebius")}
    gpu = build_gpu_offers(read_csv(ref / "gpu_prices.csv"), sky, hw, rep)
    offers = gpu + build_meta_offers(gpu, hw, rep) + build_api_offers(read_csv(ref / "token_prices.csv"), rep)
    offers += build_mac_offers(macs, prov, rep)
    latency, rtt, proxies = build_latency(read_csv(ref / "region_latency.csv"), rep)
    non_api = {o["provider"] for o in offers if o["kind"] != "api"}
    data = {"as_of": CATALOG_AS_OF, "fx": {"EUR": EUR_USD},
            "description": "placer default catalog: list-price snapshot built by scripts/build_catalog.py from the "
                           f"sourced reference data compiled {CATALOG_AS_OF}; see BUILD_REPORT.md",
            "offers": sorted(offers, key=lambda o: o["id"]), "hardware": hw,
            # every region an offer uses, plus each cloud's known regions, so live refreshes can place new offers
            "regions": build_regions(
                {f"{o['provider']}/{o['region']}" for o in offers}
                | {f"aws/{r}" for r in AWS_REGIONS}
                | {f"gcp/{r}" for r in GCP_REGIONS}
                | {k for k in OTHER_REGIONS if k.startswith("azure/")},
                proxies,
            ),
            "latency": latency, "rtt_model": rtt, "egress": build_egress(read_csv(ref / "egress.csv"), non_api, rep),
            "spot_risk": build_spot_risk(prov)}
    return Catalog.model_validate(data), rep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "placer" / "catalog" / "data")
    args = parser.parse_args(argv)
    catalog, rep = build(args.shared)
    text = json.dumps(catalog.model_dump(mode="json", exclude_none=True), indent=1, sort_keys=True,
                      ensure_ascii=False) + "\n"
    write_atomic(args.out / "catalog.json", text)
    write_atomic(args.out / "BUILD_REPORT.md", render_report(catalog, rep))
    print(f"wrote {len(catalog.offers)} offers ({len(text) // 1024} KiB) to {args.out / 'catalog.json'}")
    print(next(f for f in rep.facts if f.startswith("RTT fit (relative")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
