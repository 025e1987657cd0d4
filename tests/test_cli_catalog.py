"""`placer catalog list|show|validate|diff` through typer's CliRunner on the sub-app (works whether or not the sub-app
is registered on `placer` yet), plus one real subprocess run once it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from tests.conftest import ROOT, run_placer
from typer.testing import CliRunner

from placer.catalog.loader import embedded_catalog
from placer.cli.catalog import app

ACME = str(ROOT / "examples" / "catalogs" / "acme.yaml")
EXTRA = str(ROOT / "examples" / "catalogs" / "extra-offers.csv")
MINI = str(ROOT / "tests" / "fixtures" / "mini_catalog.json")
EMBEDDED = str(ROOT / "src" / "placer" / "catalog" / "data" / "catalog.json")
P5 = "aws/us-east-1/p5.48xlarge"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def json_out(*args: str) -> dict:
    done = run(*args, "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout)


# --- list ------------------------------------------------------------------------------------------


def test_list_json_follows_the_catalog_contract():
    data = json_out("list")
    assert set(data) == {"schema_version", "as_of", "offers"}
    assert data["schema_version"] == 1
    assert data["as_of"] == embedded_catalog().as_of
    assert len(data["offers"]) == len(embedded_catalog().offers)
    for offer in data["offers"]:
        assert {"id", "provider", "region", "kind", "source", "as_of"} <= set(offer)
        assert offer["kind"] in ("gpu", "mac", "api")
        assert ("prices" in offer) or ("plans" in offer) or ("input_usd_per_mtok" in offer)


def test_list_filters_like_the_issue_example():
    data = json_out("list", "--accelerator", "H100", "--provider", "AWS", "--region", "us-*", "--max-price", "8")
    offers = data["offers"]
    assert offers
    for offer in offers:
        assert offer["provider"] == "aws"
        assert offer["accelerator"] == "H100"
        assert offer["region"].startswith("us-")
        assert offer["usd_per_accelerator_hour"] <= 8
    prices = [o["usd_per_accelerator_hour"] for o in offers]
    assert prices == sorted(prices)


def test_accelerator_family_matches_its_variants():
    data = json_out("list", "--accelerator", "A100", "--kind", "gpu")
    assert {o["accelerator"] for o in data["offers"]} == {"A100-40GB", "A100-80GB", "A100-80GB-PCIe"}


def test_region_pattern_matches_geo():
    data = json_out("list", "--region", "eu-west", "--kind", "mac")
    assert {o["id"] for o in data["offers"]} >= {"scaleway/fr-par/m4-s"}


def test_max_price_leaves_apis_out_unless_asked_for():
    data = json_out("list", "--max-price", "1")
    assert data["offers"]
    assert all(o["kind"] != "api" for o in data["offers"])
    apis = json_out("list", "--kind", "api", "--max-price", "1")["offers"]
    assert apis
    assert all(o["kind"] == "api" and o["output_usd_per_mtok"]["usd"] <= 1 for o in apis)


def test_list_sorted_by_price_then_id_with_user_catalogs():
    data = json_out("list", "--accelerator", "H100", "--max-price", "3", "--catalog", ACME, "--catalog", EXTRA)
    ids = [o["id"] for o in data["offers"]]
    assert "internal/us-east/rsc-h100" in ids
    rsc = next(o for o in data["offers"] if o["id"] == "internal/us-east/rsc-h100")
    assert rsc["usd_per_accelerator_hour"] == pytest.approx(2.1)
    assert rsc["source"] == "ACME negotiated rate card 2026"
    assert rsc["max_instances"] == 256
    keys = [(o["usd_per_accelerator_hour"], o["id"]) for o in data["offers"]]
    assert keys == sorted(keys)


def test_pricing_option_lists_by_that_price():
    data = json_out("list", "--pricing", "spot", "--provider", "coreweave")
    assert data["offers"]
    assert all(o["pricing"] == "spot" and "spot" in o["prices"] for o in data["offers"])


def test_list_table_columns():
    done = run("list", "--provider", "meta", "--kind", "gpu")
    assert done.exit_code == 0
    assert done.stderr == ""
    for header in ("id", "provider", "region", "hardware", "$/inst-h", "$/accel-h", "pricing", "as_of", "source"):
        assert header in done.stdout
    assert "meta/us-east/h100-pool" in done.stdout
    assert "H100 × 8" in done.stdout
    assert "$33.12*" in done.stdout  # assumed prices are starred
    assert "* an assumption" in done.stdout


def test_list_with_nothing_matching_says_so():
    done = run("list", "--provider", "aws", "--max-price", "0.01")
    assert done.exit_code == 0
    assert done.stdout.startswith("No offers match")


def test_unknown_filter_values_are_usage_errors_with_did_you_mean():
    done = run("list", "--accelerator", "H10O")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "placer: error: --accelerator H10O: no such accelerator in the catalog" in done.stderr
    done = run("list", "--provider", "awz")
    assert done.exit_code == 2
    assert "hint: did you mean 'aws'?" in done.stderr


def test_list_on_a_replacement_base():
    data = json_out("list", "--catalog", MINI)
    assert len(data["offers"]) == 20


def test_list_with_a_broken_user_catalog_exits_3(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("discounts: {aws: 128%}\n")
    done = run("list", "--catalog", str(bad))
    assert done.exit_code == 3
    assert done.stdout == ""
    assert f"placer: error: {bad}:1:18: discounts.aws: discount must be at least 0 % and below 100 %" in done.stderr


# --- show ------------------------------------------------------------------------------------------


def test_show_json_every_price_with_provenance():
    data = json_out("show", P5, "--catalog", ACME)
    assert set(data) == {"schema_version", "as_of", "offer", "region", "hardware"}
    offer = data["offer"]
    assert offer["id"] == P5
    assert offer["prices"]["on-demand"] == {
        "usd": 39.6288,
        "source": "https://github.com/tsaol/aws-gpu/blob/main/data/p5_instances.js",
        "as_of": "2026-01-21",
        "basis": "list",
        "original": "list USD 55.04/hour less 28 % (acme.yaml)",
    }
    assert data["region"]["key"] == "aws/us-east-1"
    assert data["hardware"]["name"]


def test_show_table_has_basis_assumption_and_source():
    done = run("show", "meta/us-east/h100-pool")
    assert done.exit_code == 0
    assert done.stderr == ""
    for text in ("meta/us-east/h100-pool", "on-demand", "$33.12", "assumption", "Meta Compute publishes no prices"):
        assert text in done.stdout


def test_show_unknown_offer_exits_3_with_did_you_mean():
    done = run("show", "aws/us-east-1/p5.48xlarg")
    assert done.exit_code == 3
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "placer: error: no offer 'aws/us-east-1/p5.48xlarg' in the catalog",
        "  hint: did you mean 'aws/us-east-1/p5.48xlarge'?",
    ]


def test_show_by_instance_name_lists_the_candidates():
    done = run("show", "p5.48xlarge")
    assert done.exit_code == 3
    assert "did you mean one of: aws/ap-northeast-1/p5.48xlarge" in done.stderr


# --- validate --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (ACME, "ok: 0 offers, 2 pools, 1 override, 2 discounts, 1 region in "),
        (EXTRA, "ok: 3 offers, 0 pools, 0 overrides, 0 discounts in "),
        (MINI, "ok: 20 offers, "),
    ],
)
def test_validate_ok(path: str, expected: str):
    done = run("validate", path)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith(expected)


def test_validate_applies_user_catalogs_to_the_base():
    done = run("validate", ACME)
    assert done.stdout.strip().endswith(f"{len(embedded_catalog().offers) + 2:,} offers with the base catalog")
    done = run("validate", ACME, "--catalog", MINI)
    assert done.stdout.strip().endswith("22 offers with the base catalog")


def test_validate_error_goes_to_stderr_with_position_and_caret(tmp_path: Path):
    bad = tmp_path / "acme.yaml"
    bad.write_text(
        "as_of: 2026-11-01\nsource: x\noverrides:\n  - offer: meta/us-east/h100-pool\n    prices: {on-demand: 0}\n"
    )
    done = run("validate", str(bad))
    assert done.exit_code == 3
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"placer: error: {bad}:5:25: overrides[0].prices.on-demand: price must be greater than zero, got 0",
        "  5 |     prices: {on-demand: 0}",
        "    |                         ^",
    ]


def test_validate_csv_error_names_row_and_column(tmp_path: Path):
    bad = tmp_path / "offers.csv"
    lines = Path(EXTRA).read_text().splitlines()
    lines[2] = lines[2].replace(",39.5,", ",-39.5,")
    bad.write_text("\n".join(lines) + "\n")
    done = run("validate", str(bad))
    assert done.exit_code == 3
    assert done.stderr.startswith(f"placer: error: {bad}:3:60: on_demand_usd: price must be greater than zero")


def test_validate_catalog_json_error_has_line_and_column(tmp_path: Path):
    data = json.loads(Path(MINI).read_text())
    data["offers"][1]["accelerator"] = "H1000"
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data, indent=2))
    done = run("validate", str(bad))
    assert done.exit_code == 3
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"placer: error: {bad}:")
    assert first.endswith(":22: offers[1].accelerator: offer 'aws/us-east-1/g6.xlarge' names unknown hardware 'H1000'")


def test_validate_missing_file():
    done = run("validate", "no-such-file.yaml")
    assert done.exit_code == 3
    assert done.stderr.strip() == "placer: error: no-such-file.yaml: no such file"


# --- diff ------------------------------------------------------------------------------------------


def test_diff_json_embedded_vs_user_catalog():
    data = json_out("diff", EMBEDDED, ACME)
    assert [a["id"] for a in data["added"]] == ["internal/us-east/lab-a100", "internal/us-east/rsc-h100"]
    assert data["removed"] == []
    p5 = next(c for c in data["price_changes"] if c["offer"] == P5 and c["key"] == "on-demand")
    assert p5 == {
        "offer": P5,
        "kind": "gpu",
        "key": "on-demand",
        "unit": "instance-hour",
        "old_usd": 55.04,
        "new_usd": 39.6288,
        "delta_usd": -15.4112,
        "delta_pct": -28.0,
        "old_as_of": "2026-01-21",
        "new_as_of": "2026-01-21",
    }
    meta = next(c for c in data["price_changes"] if c["offer"] == "meta/us-east/h100-pool")
    assert (meta["old_usd"], meta["new_usd"], meta["new_as_of"]) == (33.12, 28.0, "2026-11-01")


def test_diff_table_and_reverse_direction():
    done = run("diff", ACME, EMBEDDED)
    assert done.exit_code == 0
    assert done.stderr == ""
    assert "offers added · 2 removed" in done.stdout
    assert "+$15.41" in done.stdout
    assert "+38.9 %" in done.stdout  # 39.6288 → 55.04


def test_diff_of_a_catalog_with_itself_is_empty():
    done = run("diff", MINI, MINI)
    assert done.exit_code == 0
    assert "No differences in offers or prices." in done.stdout


def test_diff_with_an_invalid_side_exits_3(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,provider\n")
    done = run("diff", MINI, str(bad))
    assert done.exit_code == 3
    assert "missing columns" in done.stderr


# --- the real command line -------------------------------------------------------------------------


def test_placer_catalog_subprocess_once_registered():
    done = run_placer("catalog", "validate", ACME)
    if done.returncode == 2 and "No such command" in done.stderr:
        pytest.skip("the catalog sub-app is not registered on `placer` yet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")
    assert done.stderr == ""
