"""The committed default catalog (src/placer/catalog/data/catalog.json) and its generator scripts/build_catalog.py."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer, Price

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DATA = REPO / "src" / "placer" / "catalog" / "data"
SCRIPT = REPO / "scripts" / "build_catalog.py"
AS_OF = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?|unknown)$")

needs_shared = pytest.mark.skipif(
    not (SHARED / "reference").is_dir(), reason=f"reference data not found at {SHARED} (the repo's ../shared/data)"
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.model_validate_json((DATA / "catalog.json").read_text(encoding="utf-8"))


def all_prices(cat: Catalog) -> list[tuple[str, Price]]:
    out: list[tuple[str, Price]] = []
    for offer in cat.offers:
        if isinstance(offer, GpuOffer):
            out += [(offer.id, p) for p in offer.prices.values()]
        elif isinstance(offer, ApiOffer):
            out += [(offer.id, offer.input_usd_per_mtok), (offer.id, offer.output_usd_per_mtok)]
        else:
            out += [(offer.id, plan.price) for plan in offer.plans]
    return out


def offer(cat: Catalog, offer_id: str) -> GpuOffer | ApiOffer | MacOffer:
    return next(o for o in cat.offers if o.id == offer_id)


# ------------------------------------------------------------------------------------------ reproducibility
@needs_shared
def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    cmd = [sys.executable, str(SCRIPT), "--shared", str(SHARED), "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    for name in ("catalog.json", "BUILD_REPORT.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} is stale: rerun the script"


def test_committed_json_is_canonical_and_compact(catalog: Catalog) -> None:
    text = (DATA / "catalog.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n" == text
    assert len(text.encode()) < 1_500_000
    ids = [o.id for o in catalog.offers]
    assert ids == sorted(ids)
    assert catalog.as_of == "2026-11-22"
    assert catalog.fx == {"EUR": 1.16}


# ------------------------------------------------------------------------------------------ provenance
def test_every_price_has_provenance(catalog: Catalog) -> None:
    for offer_id, p in all_prices(catalog):
        assert p.source.strip(), offer_id
        assert AS_OF.match(p.as_of), (offer_id, p.as_of)
        assert p.basis.strip(), offer_id
        assert math.isfinite(p.usd), offer_id
        assert p.usd > 0, offer_id


def test_meta_and_muse_prices_are_assumptions(catalog: Catalog) -> None:
    meta = [(i, p) for i, p in all_prices(catalog) if i.startswith("meta/")]
    assert {i for i, _ in meta} >= {
        "meta/us-east/h100-pool",
        "meta/us-east/b200-pool",
        "meta/us-west/mtia-v2-pool",
        "meta/muse-spark",
    }
    for offer_id, p in meta:
        assert p.is_assumption, offer_id
        assert p.assumption, offer_id
    muse = offer(catalog, "meta/muse-spark")
    assert isinstance(muse, ApiOffer)
    assert "assumption" in muse.performance_assumption


def test_eur_prices_record_the_original(catalog: Catalog) -> None:
    eur = [(i, p) for i, p in all_prices(catalog) if p.original and p.original.startswith("EUR")]
    assert len(eur) >= 7  # Scaleway: 3 hourly + 4 monthly plans
    for offer_id, p in all_prices(catalog):
        if offer_id.startswith("scaleway/"):
            assert (p.original or "").startswith("EUR"), offer_id
            assert "assumed 1.16 USD/EUR" in (p.original or ""), offer_id
            assert p.assumption is None, offer_id  # a sourced price; only the exchange rate is assumed
    m4s = offer(catalog, "scaleway/fr-par/m4-s")
    assert isinstance(m4s, MacOffer)
    hourly = next(pl for pl in m4s.plans if pl.unit == "hour")
    assert hourly.price.usd == pytest.approx(0.22 * 1.16)
    assert hourly.min_lease_hours == 24


# ------------------------------------------------------------------------------------------ spot checks
def test_hand_checked_prices(catalog: Catalog) -> None:
    p5 = offer(catalog, "aws/us-east-1/p5.48xlarge")
    assert isinstance(p5, GpuOffer)
    assert p5.prices["on-demand"].usd == 55.04  # gpu_prices.csv, tsaol/aws-gpu (vantage) 2026-01-21
    lam = offer(catalog, "lambda/us-east-1/gpu_8x_h100_sxm5")
    assert isinstance(lam, GpuOffer)
    assert lam.prices["on-demand"].usd == 31.92
    neb = offer(catalog, "nebius/eu-north1/gpu-h100-sxm_8gpu-128vcpu-1600gb")
    assert isinstance(neb, GpuOffer)
    assert neb.usd_per_accelerator_hour("on-demand") == pytest.approx(4.50)  # post-2026-10-01, not 3.85
    assert neb.prices["on-demand"].as_of == "2026-10-01"


def test_meta_h100_pool_is_the_neocloud_median(catalog: Catalog) -> None:
    # Hand-computed from gpu_prices.csv neocloud H100 SXM on-demand list rows (USD/GPU-h): RunPod secure 3.49,
    # Crusoe 3.9, Lambda 8x 3.99 / 4x 4.09 / 2x 4.19 / 1x 4.29, Nebius 4.5 (post-2026-10-01), CoreWeave 6.155.
    # Median of these 8 values = (4.09 + 4.19) / 2 = 4.14.
    pool = offer(catalog, "meta/us-east/h100-pool")
    assert isinstance(pool, GpuOffer)
    assert pool.accelerators_per_instance == 8
    assert pool.usd_per_accelerator_hour("on-demand") == pytest.approx(4.14)
    mtia = offer(catalog, "meta/us-west/mtia-v2-pool")
    assert isinstance(mtia, GpuOffer)
    assert mtia.prices["on-demand"].usd == pytest.approx(4.14 * 177 / 989, abs=1e-4)


# ------------------------------------------------------------------------------------------ consistency
def test_offers_reference_known_hardware_and_regions(catalog: Catalog) -> None:
    for o in catalog.offers:
        if isinstance(o, GpuOffer):
            assert o.accelerator in catalog.hardware, o.id
            assert o.prices, o.id
        assert f"{o.provider}/{o.region}" in catalog.regions, o.id
    for key, region in catalog.regions.items():
        assert region.key == key
        measured = {p.src for p in catalog.latency} | {p.dst for p in catalog.latency}
        assert region.aws_proxy is None or region.aws_proxy in measured, key


def test_mac_coverage(catalog: Catalog) -> None:
    macs = [o for o in catalog.offers if isinstance(o, MacOffer) and o.chip in ("M4", "M4-Pro")]
    assert len(macs) >= 3
    assert len({o.provider for o in macs}) >= 3
    for o in catalog.offers:
        if isinstance(o, MacOffer):
            assert o.chip in catalog.hardware, o.id
            assert catalog.hardware[o.chip].build_speed, o.id
    assert catalog.hardware["M4"].build_speed == 1.0


def test_required_hardware_keys(catalog: Catalog) -> None:
    expected = {
        "H100",
        "H100-PCIe",
        "H200",
        "B200",
        "GB200",
        "A100-80GB",
        "A100-80GB-PCIe",
        "A100-40GB",
        "L40S",
        "L4",
        "MI300X",
        "MTIA-v2",
        "M1",
        "M2",
        "M2-Pro",
        "M1-Ultra",
        "M4",
        "M4-Pro",
        "M4-Max",
        "M1-VM-3CPU",
    }
    assert expected <= set(catalog.hardware)
    assert catalog.hardware["MTIA-v2"].trains_llms is False
    assert catalog.hardware["H100"].peak_tflops["bf16"] == catalog.hardware["H100"].peak_tflops["fp16"]


# ------------------------------------------------------------------------------------------ network
def test_rtt_fit_is_plausible(catalog: Catalog) -> None:
    rtt = catalog.rtt_model
    assert 1.0 <= rtt.route_factor <= 3.0
    a, b = catalog.regions["aws/us-east-1"], catalog.regions["aws/eu-west-1"]
    p1, p2, dl = math.radians(a.lat), math.radians(b.lat), math.radians(b.lon - a.lon)
    hav = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371.0 * math.asin(math.sqrt(hav))
    predicted = 2 * km / rtt.km_per_ms * rtt.route_factor + rtt.constant_ms
    measured = next(p.p50_ms for p in catalog.latency if (p.src, p.dst) == ("us-east-1", "eu-west-1"))
    assert abs(predicted - measured) / measured <= 0.30


def test_egress_and_spot_risk(catalog: Catalog) -> None:
    providers = {o.provider for o in catalog.offers if not isinstance(o, ApiOffer)}
    assert providers <= {t.provider for t in catalog.egress if t.transfer == "internet"}
    p5 = next(s for s in catalog.spot_risk if s.match == "p5.48xlarge")
    assert p5.interruptions_per_month == pytest.approx(0.175)
