"""User catalogs: discounts, overrides, private pools and CSV offers layered on a base catalog; every mistake is one
CatalogError at file:line:col (YAML) or file:row:column (CSV) naming the field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import ValidationError

from placer.catalog.files import compose_catalog, load_catalog_file
from placer.catalog.layering import apply_user_catalog
from placer.catalog.loader import embedded_catalog
from placer.catalog.models import ZERO_MARGINAL, ApiOffer, Catalog, GpuOffer, MacOffer
from placer.catalog.user import load_user_catalog, parse_user_catalog
from placer.catalog.user_csv import parse_user_csv
from placer.errors import CatalogError, ExitCode, UsageError

REPO = Path(__file__).resolve().parents[1]
ACME = REPO / "examples" / "catalogs" / "acme.yaml"
EXTRA = REPO / "examples" / "catalogs" / "extra-offers.csv"
MINI = REPO / "tests" / "fixtures" / "mini_catalog.json"
P5 = "aws/us-east-1/p5.48xlarge"
HEAD = dedent(
    """\
    as_of: 2026-11-01
    source: rate card
    """
)
CSV_HEADER = (
    "id,provider,region,instance,accelerator,accelerators_per_instance,accelerator_memory_gb,interconnect,"
    "on_demand_usd,spot_usd,source,as_of\n"
)
CSV_OK = "a/b/c,crusoe,us-east,x8,H100,8,80,infiniband,25.6,,quote,2026-10-15\n"
POOL = dedent(
    """\
    pools:
      - name: p
        region: us-east
        accelerator: H100
        accelerators: 16
        per_instance: 8
        interconnect: roce
    """
)
REGION = "regions:\n  internal/us-east: {geo: us-east, lat: 39.0, lon: -77.5, label: DC1}\n"


@pytest.fixture(scope="module")
def base() -> Catalog:
    return embedded_catalog()


@pytest.fixture(scope="module")
def acme(base: Catalog) -> Catalog:
    return apply_user_catalog(base, load_user_catalog(ACME))


def offer(catalog: Catalog, offer_id: str) -> GpuOffer | MacOffer | ApiOffer:
    return next(o for o in catalog.offers if o.id == offer_id)


def gpu(catalog: Catalog, offer_id: str) -> GpuOffer:
    found = offer(catalog, offer_id)
    assert isinstance(found, GpuOffer)
    return found


def apply_text(base: Catalog, text: str, name: str = "acme.yaml") -> Catalog:
    return apply_user_catalog(base, parse_user_catalog(text, name))


# --- the example file -----------------------------------------------------------------------------


def test_example_reads_with_its_defaults():
    user = load_user_catalog(ACME)
    assert user.path == str(ACME)
    assert user.name == "acme.yaml"
    assert user.as_of == "2026-11-01"
    assert user.source == "ACME negotiated rate card 2026"
    assert dict(user.discounts) == {"aws": pytest.approx(0.28), "gcp": pytest.approx(0.15)}
    assert user.summary() == "0 offers, 2 pools, 1 override, 2 discounts, 1 region"


def test_discount_by_hand_aws_p5_us_east_1(base: Catalog, acme: Catalog):
    before, after = gpu(base, P5), gpu(acme, P5)
    assert before.prices["on-demand"].usd == 55.04
    on_demand = after.prices["on-demand"]
    assert on_demand.usd == pytest.approx(55.04 * 0.72)
    assert on_demand.usd == 39.6288  # no float noise
    assert on_demand.original == "list USD 55.04/hour less 28 % (acme.yaml)"
    assert on_demand.source == before.prices["on-demand"].source  # a discount keeps the source and date
    assert on_demand.as_of == before.prices["on-demand"].as_of
    assert on_demand.basis == "list"
    spot = after.prices["spot"]  # every pricing of the provider, spot included
    assert spot.usd == pytest.approx(20.9934 * 0.72)
    assert spot.original is not None
    assert spot.original.startswith("market_snapshot_range_across_AZs USD 20.9934/hour less 28 % (acme.yaml); range")


def test_fraction_discount_and_other_providers_untouched(base: Catalog, acme: Catalog):
    a2 = gpu(acme, "gcp/us-central1/a2-ultragpu-8g")
    assert a2.prices["on-demand"].usd == pytest.approx(40.5504 * 0.85)
    assert a2.prices["spot"].usd == pytest.approx(22.0764 * 0.85)
    assert a2.prices["spot"].original == "list_spot USD 22.0764/hour less 15 % (acme.yaml)"
    lam = "lambda/us-east-1/gpu_8x_h100_sxm5"
    assert offer(acme, lam) == offer(base, lam)


def test_discount_covers_mac_plans_and_token_prices(base: Catalog):
    cat = apply_text(base, "discounts: {aws: 28%, anthropic: 10%}\n")
    mac = offer(cat, "aws/us-east-1/mac-m4.metal")
    assert isinstance(mac, MacOffer)
    assert mac.plans[0].price.usd == pytest.approx(1.2 * 0.72)
    assert mac.plans[0].price.original is not None
    assert mac.plans[0].price.original.startswith("third_party_estimate USD 1.2/hour less 28 % (acme.yaml); USD 0.65")
    assert mac.plans[0].price.assumption is not None  # a discounted assumption is still an assumption
    api = offer(cat, "anthropic/claude-sonnet-4")
    assert isinstance(api, ApiOffer)
    assert api.input_usd_per_mtok.usd == pytest.approx(2.7)
    assert api.output_usd_per_mtok.usd == pytest.approx(13.5)
    assert api.output_usd_per_mtok.original == "list USD 15/M output tokens less 10 % (acme.yaml)"


def test_override_replaces_an_assumed_price_with_the_files_source(base: Catalog, acme: Catalog):
    pool = gpu(acme, "meta/us-east/h100-pool")
    price = pool.prices["on-demand"]
    assert price.usd == 28.0
    assert price.source == "ACME negotiated rate card 2026"
    assert price.as_of == "2026-11-01"
    assert price.basis == "user"
    assert price.assumption is None
    assert price.original == "replaces assumption USD 33.12/hour (acme.yaml)"
    assert pool.max_instances == gpu(base, "meta/us-east/h100-pool").max_instances


def test_discount_does_not_apply_to_an_overridden_price(base: Catalog):
    """Decision: an override states the price paid; the provider discount covers only prices the file did not set."""
    text = HEAD + f"discounts: {{aws: 28%}}\noverrides:\n  - offer: {P5}\n    prices: {{on-demand: 40}}\n"
    p5 = gpu(apply_text(base, text), P5)
    assert p5.prices["on-demand"].usd == 40.0
    assert p5.prices["on-demand"].original == "replaces list USD 55.04/hour (acme.yaml)"
    assert p5.prices["spot"].usd == pytest.approx(20.9934 * 0.72)


def test_override_can_add_a_pricing_and_set_its_own_source_and_basis(base: Catalog):
    text = dedent(
        f"""\
        overrides:
          - offer: {P5}
            prices: {{reserved: 30.5}}
            source: "AWS EDP quote"
            as_of: 2026-10
            basis: negotiated
        """
    )
    reserved = gpu(apply_text(base, text), P5).prices["reserved"]
    assert (reserved.usd, reserved.source, reserved.as_of, reserved.basis) == (
        30.5,
        "AWS EDP quote",
        "2026-10",
        "negotiated",
    )
    assert reserved.original == "added by acme.yaml"


def test_override_mac_plan_and_api_sides(base: Catalog):
    text = HEAD + dedent(
        """\
        overrides:
          - offer: scaleway/fr-par/m4-s
            prices: {month: 150}
          - offer: anthropic/claude-sonnet-4
            prices: {input: 2.5, output: 12}
        """
    )
    cat = apply_text(base, text)
    mac = offer(cat, "scaleway/fr-par/m4-s")
    assert isinstance(mac, MacOffer)
    assert [(p.unit, p.price.usd) for p in mac.plans] == [("hour", 0.2552), ("month", 150.0)]
    assert mac.plans[1].price.original == "replaces monthly_commitment USD 172.84/month (acme.yaml)"
    api = offer(cat, "anthropic/claude-sonnet-4")
    assert isinstance(api, ApiOffer)
    assert (api.input_usd_per_mtok.usd, api.output_usd_per_mtok.usd) == (2.5, 12.0)
    assert api.input_usd_per_mtok.original == "replaces list USD 3/M input tokens (acme.yaml)"


def test_pools_capacity_price_and_region(acme: Catalog):
    rsc = gpu(acme, "internal/us-east/rsc-h100")
    assert (rsc.provider, rsc.region, rsc.instance, rsc.accelerator) == ("internal", "us-east", "rsc-h100", "H100")
    assert (rsc.accelerators_per_instance, rsc.max_instances) == (8, 2048 // 8)
    assert rsc.accelerator_memory_gb == 80.0  # from the hardware spec
    assert rsc.interconnect == "infiniband"
    price = rsc.prices["on-demand"]
    assert price.usd == pytest.approx(2.10 * 8)
    assert rsc.usd_per_accelerator_hour("on-demand") == pytest.approx(2.10)
    assert (price.basis, price.source, price.as_of) == ("internal", "ACME negotiated rate card 2026", "2026-11-01")
    assert price.original == "USD 2.1/accelerator-hour × 8 per instance (acme.yaml)"
    region = acme.regions["internal/us-east"]
    assert (region.geo, region.label, region.aws_proxy) == ("us-east", "ACME DC1 (Ashburn)", "us-east-1")


def test_zero_marginal_pool(acme: Catalog):
    lab = gpu(acme, "internal/us-east/lab-a100")
    price = lab.prices["on-demand"]
    assert price.usd == 0.0
    assert price.basis == ZERO_MARGINAL
    assert price.source == "ACME lab cluster (capex, fully depreciated)"
    assert lab.max_instances == 8


def test_marginal_cost_accepts_0_as_zero(base: Catalog):
    text = HEAD + POOL + "    marginal_cost: 0\n" + REGION
    assert gpu(apply_text(base, text), "internal/us-east/p").prices["on-demand"].basis == ZERO_MARGINAL


def test_pool_prices_are_not_discounted_by_their_own_file_but_are_by_a_later_one(base: Catalog, tmp_path: Path):
    first = tmp_path / "pools.yaml"
    first.write_text(HEAD + POOL + "    usd_per_accelerator_hour: 2\n" + REGION + "discounts: {internal: 10%}\n")
    once = compose_catalog([first], base)
    assert gpu(once, "internal/us-east/p").prices["on-demand"].usd == 16.0
    later = tmp_path / "later.yaml"
    later.write_text("discounts: {internal: 10%}\n")
    twice = compose_catalog([first, later], base)
    price = gpu(twice, "internal/us-east/p").prices["on-demand"]
    assert price.usd == pytest.approx(14.4)
    assert (
        price.original
        == "internal USD 16/hour less 10 % (later.yaml); USD 2/accelerator-hour × 8 per instance (pools.yaml)"
    )


def test_added_offers_join_the_catalog(base: Catalog):
    text = dedent(
        """\
        offers:
          - kind: gpu
            id: crusoe/us-east/h100-deal
            provider: crusoe
            region: us-east
            instance: h100-deal
            accelerator: H100
            accelerators_per_instance: 8
            accelerator_memory_gb: 80
            interconnect: infiniband
            prices:
              on-demand: {usd: 24, source: quote, as_of: 2026-10-01}
        """
    )
    cat = apply_text(base, text)
    deal = gpu(cat, "crusoe/us-east/h100-deal")
    assert deal.prices["on-demand"].as_of == "2026-10-01"  # a YAML date, kept as written
    assert len(cat.offers) == len(base.offers) + 1


def test_apply_is_pure(base: Catalog):
    snapshot = base.model_dump_json()
    user = load_user_catalog(ACME)
    first = apply_user_catalog(base, user)
    second = apply_user_catalog(base, user)
    assert base.model_dump_json() == snapshot
    assert first == second
    assert first is not base
    assert len(first.offers) == len(base.offers) + 2
    assert "internal/us-east" not in base.regions


def test_user_catalog_is_immutable():
    user = load_user_catalog(ACME)
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.path = "other.yaml"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        user.spec.source = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        user.discounts["aws"] = 0.5  # type: ignore[index]


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_rows_become_gpu_offers(base: Catalog):
    user = load_user_catalog(EXTRA)
    assert [o.id for o in user.offers] == [
        "crusoe/us-east/h100-reserved-x8",
        "coreweave/us-east/hgx-h100-committed",  # empty id: provider/region/instance
        "lambda/us-east-1/gpu_8x_h200_reseller",
    ]
    crusoe, coreweave, reseller = user.offers
    assert isinstance(crusoe, GpuOffer)
    assert list(crusoe.prices) == ["on-demand"]  # empty spot_usd: no spot price
    assert isinstance(coreweave, GpuOffer)
    assert (coreweave.prices["on-demand"].usd, coreweave.prices["spot"].usd) == (39.5, 17.9)
    assert coreweave.prices["spot"].source == "ACME-CoreWeave quote 2026-09"
    assert isinstance(reseller, GpuOffer)
    assert (reseller.accelerator, reseller.accelerator_memory_gb, reseller.prices["on-demand"].as_of) == (
        "H200",
        141.0,
        "2026-11",
    )
    assert user.as_of == "2026-11"  # the newest price date when the file has no as_of
    cat = apply_user_catalog(base, user)
    assert len(cat.offers) == len(base.offers) + 3


def test_csv_quoted_cells_and_optional_columns(base: Catalog):
    text = (
        CSV_HEADER.rstrip("\n") + ",max_instances,notes\n"
        '"a/b/c","crusoe","us-east","x8","H100",8,80,"infiniband",25.6,,"quote, Q3",2026-10-15,4,"private, 32 GPUs"\n'
    )
    (row,) = parse_user_csv(text, "x.csv").offers
    assert isinstance(row, GpuOffer)
    assert (row.max_instances, row.notes, row.prices["on-demand"].source) == (4, "private, 32 GPUs", "quote, Q3")


# --- composing -------------------------------------------------------------------------------------


def test_compose_json_replaces_the_base_and_user_catalogs_layer_on(tmp_path: Path):
    assert compose_catalog([]) is embedded_catalog()
    mini = compose_catalog([MINI])
    assert len(mini.offers) == 20
    layered = compose_catalog([MINI, ACME])
    assert len(layered.offers) == 20 + 2
    assert gpu(layered, P5).prices["on-demand"].usd == 39.6288


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([ACME, MINI], "a catalog JSON replaces the base, so it must come first and only once"),
        ([MINI, MINI], "a catalog JSON replaces the base, so it must come first and only once"),
    ],
)
def test_compose_json_must_come_first(files: list[Path], message: str):
    with pytest.raises(UsageError, match=message) as info:
        compose_catalog(files)
    assert info.value.exit_code == ExitCode.USAGE


def test_compose_rejects_unknown_file_types(tmp_path: Path):
    odd = tmp_path / "prices.txt"
    odd.write_text("x")
    with pytest.raises(CatalogError) as info:
        compose_catalog([odd])
    assert str(info.value) == f"{odd}: unknown catalog file type '.txt': expected .json, .yaml, .yml or .csv"


def test_load_user_catalog_file_errors(tmp_path: Path):
    with pytest.raises(CatalogError) as info:
        load_user_catalog(tmp_path / "missing.yaml")
    assert str(info.value) == f"{tmp_path / 'missing.yaml'}: no such file"
    with pytest.raises(CatalogError) as info:
        load_user_catalog(MINI)
    assert info.value.hint == "a catalog JSON is a base catalog, not a user catalog"
    assert info.value.exit_code == ExitCode.INVALID_INPUT


# --- errors: YAML ----------------------------------------------------------------------------------

OV = HEAD + f"overrides:\n  - offer: {P5}\n"
POOL_PRICED = HEAD + POOL + "    usd_per_accelerator_hour: 2\n"

YAML_ERRORS = [
    (
        "unknown-key",
        HEAD + "discount: {aws: 28%}\n",
        "acme.yaml:3:1: discount: unknown key 'discount'",
        "did you mean 'discounts'?",
    ),
    (
        "unknown-pool-key",
        HEAD + POOL.replace("accelerator: H100", "acelerator: H100"),
        "acme.yaml:6:5: pools[0].acelerator: unknown key 'acelerator' (and 1 more problem)",
        "did you mean 'accelerator'?",
    ),
    (
        "zero-price",
        OV + "    prices: {on-demand: 0}\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: price must be greater than zero, got 0",
        None,
    ),
    (
        "negative-price",
        OV + "    prices: {on-demand: -3}\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: price must be greater than zero, got -3",
        None,
    ),
    (
        "nan-price",
        OV + "    prices: {on-demand: .nan}\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: price must be a finite number greater than zero, got nan",
        None,
    ),
    (
        "inf-price",
        OV + "    prices: {on-demand: .inf}\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: price must be a finite number greater than zero, got inf",
        None,
    ),
    (
        "missing-price",
        OV + "    prices: {on-demand: }\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: missing price: must be a number greater than zero",
        None,
    ),
    (
        "text-price",
        OV + "    prices: {on-demand: cheap}\n",
        "acme.yaml:5:25: overrides[0].prices.on-demand: expected a number, got 'cheap'",
        None,
    ),
    (
        "wrong-type",
        HEAD + "overrides: {offer: x}\n",
        "acme.yaml:3:12: overrides: must be a valid list",
        None,
    ),
    (
        "unknown-offer",
        HEAD + "overrides:\n  - offer: aws/us-east-1/p5.48xlarg\n    prices: {on-demand: 3}\n",
        "acme.yaml:4:12: overrides[0].offer: unknown offer 'aws/us-east-1/p5.48xlarg'",
        "did you mean 'aws/us-east-1/p5.48xlarge'?",
    ),
    (
        "unknown-pricing",
        OV + "    prices: {ondemand: 3}\n",
        "acme.yaml:5:14: overrides[0].prices.ondemand: unknown pricing 'ondemand' for gpu offer "
        "aws/us-east-1/p5.48xlarge; expected on-demand, spot, reserved",
        "did you mean 'on-demand'?",
    ),
    (
        "unknown-mac-unit",
        HEAD + "overrides:\n  - offer: scaleway/fr-par/m4-s\n    prices: {week: 3}\n",
        "acme.yaml:5:14: overrides[0].prices.week: unknown plan unit 'week' for mac offer scaleway/fr-par/m4-s; "
        "expected hour, month",
        None,
    ),
    (
        "overridden-twice",
        OV + "    prices: {on-demand: 3}\n" + f"  - offer: {P5}\n    prices: {{spot: 2}}\n",
        "acme.yaml:6:12: overrides[1].offer: offer 'aws/us-east-1/p5.48xlarge' is overridden twice (first on line 4)",
        None,
    ),
    (
        "no-source",
        "as_of: 2026-11-01\n" + f"overrides:\n  - offer: {P5}\n    prices: {{on-demand: 3}}\n",
        "acme.yaml:3:5: overrides[0]: missing source: give `source:` at the top of the file or in this entry",
        None,
    ),
    (
        "bad-as-of",
        "as_of: 11/2026\n",
        "acme.yaml:1:8: as_of: as_of must be YYYY, YYYY-MM, YYYY-MM-DD or 'unknown', got '11/2026'",
        None,
    ),
    (
        "unknown-provider",
        "discounts: {aws: 10%, awz: 5%}\n",
        "acme.yaml:1:23: discounts.awz: unknown provider 'awz'",
        "did you mean 'aws'?",
    ),
    (
        "discount-over-100",
        "discounts: {aws: 120%}\n",
        "acme.yaml:1:18: discounts.aws: discount must be at least 0 % and below 100 %, got 120%",
        None,
    ),
    (
        "discount-100",
        "discounts: {aws: 1}\n",
        "acme.yaml:1:18: discounts.aws: discount must be at least 0 % and below 100 %, got 1",
        None,
    ),
    (
        "discount-negative",
        "discounts: {aws: -5%}\n",
        "acme.yaml:1:18: discounts.aws: discount must be at least 0 % and below 100 %, got -5%",
        None,
    ),
    (
        "discount-28-not-a-fraction",
        "discounts: {aws: 28}\n",
        "acme.yaml:1:18: discounts.aws: a discount written as a number is a fraction below 1; for a percentage "
        "write '28%'",
        None,
    ),
    (
        "discount-text",
        "discounts: {aws: lots}\n",
        "acme.yaml:1:18: discounts.aws: a discount is a percentage such as '28%' or a fraction such as 0.28, "
        "got 'lots'",
        None,
    ),
    (
        "pool-without-price",
        HEAD + POOL,
        "acme.yaml:4:5: pools[0]: a pool needs a price: usd_per_accelerator_hour (greater than zero) or "
        "marginal_cost: zero",
        None,
    ),
    (
        "pool-zero-price",
        HEAD + POOL + "    usd_per_accelerator_hour: 0\n",
        "acme.yaml:10:31: pools[0].usd_per_accelerator_hour: price must be greater than zero, got 0 "
        "(a pool with no marginal cost says `marginal_cost: zero`)",
        None,
    ),
    (
        "pool-two-prices",
        POOL_PRICED + "    marginal_cost: zero\n",
        "acme.yaml:11:5: pools[0].marginal_cost: give usd_per_accelerator_hour or marginal_cost: zero, not both",
        None,
    ),
    (
        "pool-marginal-cost-text",
        HEAD + POOL + "    marginal_cost: free\n",
        "acme.yaml:10:20: pools[0].marginal_cost: marginal_cost must be 'zero' (a priced pool gives "
        "usd_per_accelerator_hour), got 'free'",
        None,
    ),
    (
        "pool-capacity",
        POOL_PRICED.replace("accelerators: 16", "accelerators: 20"),
        "acme.yaml:7:19: pools[0].accelerators: accelerators (20) must be a whole number of instances of "
        "per_instance (8)",
        None,
    ),
    (
        "pool-interconnect",
        POOL_PRICED.replace("roce", "nvlink"),
        "acme.yaml:9:19: pools[0].interconnect: must be 'infiniband', 'efa', 'roce', 'tcpx' or 'ethernet', "
        "got 'nvlink'",
        None,
    ),
    (
        "pool-unknown-region",
        POOL_PRICED,
        "acme.yaml:5:13: pools[0].region: unknown region 'internal/us-east'",
        "add it under regions: in a YAML user catalog, e.g. internal/us-east: {geo: us-east, lat: 39.0, "
        "lon: -77.5, label: ...}",
    ),
    (
        "pool-region-with-provider",
        POOL_PRICED.replace("region: us-east", "region: internal/us-east"),
        "acme.yaml:5:13: pools[0].region: a pool's region is the bare name, without its provider (the provider "
        "comes from `provider:`), got 'internal/us-east'",
        None,
    ),
    (
        "pool-unknown-hardware",
        POOL_PRICED.replace("H100", "H10") + REGION,
        "acme.yaml:6:18: pools[0].accelerator: unknown hardware 'H10'",
        "did you mean 'H100'?",
    ),
    (
        "pool-duplicates-base-id",
        POOL_PRICED.replace("name: p", "name: h100-pool").replace(
            "region: us-east", "provider: meta\n    region: us-east"
        ),
        "acme.yaml:4:11: pools[0].name: duplicate offer id 'meta/us-east/h100-pool': the catalog already has it",
        "to change its prices, use overrides: in a YAML user catalog",
    ),
    (
        "duplicate-in-file",
        POOL_PRICED + POOL_PRICED.split("pools:\n")[1] + REGION,
        "acme.yaml:11:11: pools[1].name: duplicate offer id 'internal/us-east/p' (first on line 4)",
        None,
    ),
    (
        "region-already-known",
        "regions:\n  meta/us-east: {geo: us-east, lat: 39.0, lon: -77.5, label: DC1}\n",
        "acme.yaml:2:3: regions.meta/us-east: region 'meta/us-east' is already in the catalog",
        "remove it here",
    ),
    (
        "region-latitude",
        "regions:\n  internal/x: {geo: us-east, lat: 139.0, lon: -77.5, label: DC1}\n",
        "acme.yaml:2:35: regions.internal/x.lat: must be less than or equal to 90, got 139.0",
        None,
    ),
    (
        "offer-kind",
        "offers:\n  - kind: gpus\n    id: x\n",
        "acme.yaml:2:11: offers[0].kind: unknown kind 'gpus'; expected gpu, mac or api",
        "did you mean 'gpu'?",
    ),
    (
        "offer-unknown-key",
        dedent(
            """\
            offers:
              - kind: mac
                id: x/y/z
                provider: x
                region: y
                instance: z
                chip: M4
                plans: [{unit: hour, price: {usd: 1, source: s, as_of: 2026}, min_lease_hours: 24}]
                elastik: true
            """
        ),
        "acme.yaml:9:5: offers[0].elastik: unknown key 'elastik'",
        "did you mean 'elastic'?",
    ),
    (
        "offer-zero-price",
        dedent(
            """\
            offers:
              - kind: api
                id: acme/llm
                provider: acme
                region: us
                model: llm
                provider_model: llm-1
                input_usd_per_mtok: {usd: 0, source: s, as_of: 2026}
                output_usd_per_mtok: {usd: 1, source: s, as_of: 2026}
                ttft_ms: 300
                output_tokens_per_s: 50
                performance_assumption: guess
            """
        ),
        "acme.yaml:8:25: offers[0].input_usd_per_mtok: price must be greater than zero, got 0.0",
        None,
    ),
    (
        "offer-unknown-hardware",
        dedent(
            """\
            offers:
              - kind: mac
                id: x/y/z
                provider: aws
                region: us-east-1
                instance: z
                chip: M4-Maxx
                plans: [{unit: hour, price: {usd: 1, source: s, as_of: 2026}, min_lease_hours: 24}]
            """
        ),
        "acme.yaml:7:11: offers[0].chip: unknown hardware 'M4-Maxx'",
        "did you mean 'M4-Max'?",
    ),
    (
        "not-a-mapping",
        "- a\n",
        "acme.yaml:1:1: expected a mapping of user catalog keys (as_of, source, discounts, overrides, pools, "
        "regions, offers), found a list",
        None,
    ),
    ("empty", "# nothing\n", "acme.yaml: file is empty", None),
]


@pytest.mark.parametrize(("text", "message", "hint"), [c[1:] for c in YAML_ERRORS], ids=[c[0] for c in YAML_ERRORS])
def test_yaml_errors_name_file_line_column_and_field(base: Catalog, text: str, message: str, hint: str | None):
    with pytest.raises(CatalogError) as info:
        apply_text(base, text)
    assert str(info.value) == message
    assert info.value.hint == hint
    assert info.value.exit_code == ExitCode.INVALID_INPUT


def test_invalid_yaml_is_located(base: Catalog):
    with pytest.raises(CatalogError) as info:
        apply_text(base, "discounts: {aws: 28%\n")
    assert str(info.value).startswith("acme.yaml:2:1: not valid YAML: ")


def test_errors_carry_the_source_line_for_the_caret(base: Catalog):
    with pytest.raises(CatalogError) as info:
        apply_text(base, OV + "    prices: {on-demand: 0}\n")
    loc = info.value.location
    assert loc is not None
    assert loc.source_line == "    prices: {on-demand: 0}"
    assert loc.source_line[(loc.column or 0) - 1] == "0"


# --- errors: CSV -----------------------------------------------------------------------------------

CSV_ERRORS = [
    (
        "zero",
        CSV_HEADER + CSV_OK + ",crusoe,us-east,y8,H100,8,80,infiniband,0,,quote,2026-10-15\n",
        "x.csv:3:41: on_demand_usd: price must be greater than zero, got 0",
        None,
    ),
    (
        "nan",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,infiniband,nan,,quote,2026-10-15\n",
        "x.csv:2:41: on_demand_usd: price must be a finite number greater than zero, got nan",
        None,
    ),
    (
        "negative-spot",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,infiniband,3,-1,quote,2026-10-15\n",
        "x.csv:2:43: spot_usd: price must be greater than zero, got -1",
        None,
    ),
    (
        "no-price",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,infiniband,,,quote,2026-10-15\n",
        "x.csv:2:41: on_demand_usd: missing price: give on_demand_usd or spot_usd (greater than zero)",
        None,
    ),
    (
        "unknown-column",
        CSV_HEADER.replace("spot_usd", "spot") + CSV_OK,
        "x.csv:1:116: spot: unknown column 'spot'",
        "did you mean 'spot_usd'?",
    ),
    (
        "missing-column",
        CSV_HEADER.replace(",spot_usd", "") + CSV_OK,
        "x.csv:1: missing column spot_usd",
        "the header is: " + CSV_HEADER.strip(),
    ),
    (
        "short-row",
        CSV_HEADER + "a/b/c,crusoe,us-east,x8,H100,8,80,infiniband,25.6,quote,2026-10-15\n",
        "x.csv:2: row has 11 cells but the header has 12 columns",
        None,
    ),
    (
        "interconnect",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,nvlink,3,,quote,2026-10-15\n",
        "x.csv:2:30: interconnect: must be 'infiniband', 'efa', 'roce', 'tcpx' or 'ethernet', got 'nvlink'",
        None,
    ),
    (
        "count",
        CSV_HEADER + ",crusoe,us-east,y8,H100,eight,80,efa,3,,quote,2026-10-15\n",
        "x.csv:2:25: accelerators_per_instance: must be a valid integer, unable to parse string as an integer, "
        "got 'eight'",
        None,
    ),
    (
        "as-of",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,efa,3,,quote,15/10/2026\n",
        "x.csv:2:43: as_of: as_of must be YYYY, YYYY-MM, YYYY-MM-DD or 'unknown', got '15/10/2026'",
        None,
    ),
    (
        "no-source",
        CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,efa,3,,,2026\n",
        "x.csv:2:37: source: missing source",
        None,
    ),
    (
        "unknown-hardware",
        CSV_HEADER + ",crusoe,us-east,y8,H1000,8,80,efa,3,,quote,2026\n",
        "x.csv:2:20: accelerator: unknown hardware 'H1000'",
        "did you mean 'H100'?",
    ),
    (
        "unknown-region",
        CSV_HEADER + ",crusoe,us-west,y8,H100,8,80,efa,3,,quote,2026\n",
        "x.csv:2:9: region: unknown region 'crusoe/us-west'",
        "did you mean 'crusoe/us-east'?",
    ),
    ("duplicate-row", CSV_HEADER + CSV_OK + CSV_OK, "x.csv:3:1: id: duplicate offer id 'a/b/c' (first on row 2)", None),
    (
        "duplicate-of-base",
        CSV_HEADER + "crusoe/us-east/h100-80gb-hgx-x8,crusoe,us-east,x8,H100,8,80,infiniband,25.6,,q,2026\n",
        "x.csv:2:1: id: duplicate offer id 'crusoe/us-east/h100-80gb-hgx-x8': the catalog already has it",
        "to change its prices, use overrides: in a YAML user catalog",
    ),
    (
        "quoted-cells",
        CSV_HEADER + '"a/b/c","crusoe","us-east","x8","H100",8,80,"infiniband",0,,"quote, Q3",2026-10-15\n',
        "x.csv:2:58: on_demand_usd: price must be greater than zero, got 0",
        None,
    ),
    ("empty", "", "x.csv: file is empty", None),
]


@pytest.mark.parametrize(("text", "message", "hint"), [c[1:] for c in CSV_ERRORS], ids=[c[0] for c in CSV_ERRORS])
def test_csv_errors_name_row_and_column(base: Catalog, text: str, message: str, hint: str | None):
    with pytest.raises(CatalogError) as info:
        apply_user_catalog(base, parse_user_csv(text, "x.csv"))
    assert str(info.value) == message
    assert info.value.hint == hint


def test_csv_errors_via_a_file(tmp_path: Path):
    bad = tmp_path / "offers.csv"
    bad.write_text(CSV_HEADER + ",crusoe,us-east,y8,H100,8,80,infiniband,0,,quote,2026-10-15\n")
    with pytest.raises(CatalogError) as info:
        compose_catalog([bad])
    assert str(info.value) == f"{bad}:2:41: on_demand_usd: price must be greater than zero, got 0"


# --- catalog JSON with positions -------------------------------------------------------------------


def _broken_mini(tmp_path: Path, change) -> Path:
    data = json.loads(MINI.read_text())
    change(data)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def _line_of(path: Path, needle: str, nth: int = 0) -> int:
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return hits[nth]


def test_catalog_json_schema_errors_get_line_and_column(tmp_path: Path):
    path = _broken_mini(tmp_path, lambda d: d["offers"][1].update(colour="red"))
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    line = _line_of(path, '"colour"')
    assert str(info.value) == f"{path}:{line}:7: offers[1].colour: unknown key 'colour'"


def test_catalog_json_duplicate_id_points_at_the_second(tmp_path: Path):
    path = _broken_mini(tmp_path, lambda d: d["offers"].append(dict(d["offers"][0])))
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    line = _line_of(path, '"id": "aws-bedrock/llama-3.3-70b"', nth=1)
    assert str(info.value) == f"{path}:{line}:13: offers[20].id: duplicate offer id 'aws-bedrock/llama-3.3-70b'"


def test_catalog_json_unknown_hardware_points_at_the_field(tmp_path: Path):
    path = _broken_mini(tmp_path, lambda d: d["offers"][1].update(accelerator="H1000"))
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    line = _line_of(path, '"accelerator": "H1000"')
    assert str(info.value) == (
        f"{path}:{line}:22: offers[1].accelerator: offer 'aws/us-east-1/g6.xlarge' names unknown hardware 'H1000'"
    )
