"""Renderers against full-output golden files (regenerate with PLACER_UPDATE_GOLDEN=1 and review the diff)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console
from tests.conftest import ROOT

from placer.catalog.models import Catalog
from placer.errors import ProfileError, SourceLocation
from placer.planner import make_plan
from placer.profile import read_profile
from placer.render.errors import format_error
from placer.render.json_out import to_json
from placer.render.table import render_plan

GOLDEN = Path(__file__).resolve().parent / "golden"
PROFILES = ["llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PLACER_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with PLACER_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def plan_for(name: str, catalog: Catalog):
    doc = read_profile(ROOT / "profiles" / f"{name}.yaml")
    return make_plan(doc.profile, catalog, file=f"profiles/{name}.yaml")


@pytest.mark.parametrize("name", PROFILES)
def test_table_golden(name: str, mini_catalog: Catalog):
    console = Console(width=120, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    console.print(render_plan(plan_for(name, mini_catalog)))
    check_golden(f"{name}.table.txt", console.export_text())


@pytest.mark.parametrize("name", PROFILES)
def test_json_golden(name: str, mini_catalog: Catalog):
    check_golden(f"{name}.json", to_json(plan_for(name, mini_catalog)))


def test_json_contract_keys_and_number_types(mini_catalog: Catalog):
    data = json.loads(to_json(plan_for("chat-70b-service", mini_catalog)))
    for key in ("schema_version", "workload", "catalog", "objective", "chosen", "alternatives", "rejected", "budget"):
        assert key in data
    assert data["schema_version"] == 1
    assert set(data["workload"]) >= {"name", "kind"}
    assert set(data["catalog"]) >= {"as_of", "offers_considered"}
    assert set(data["budget"]) >= {"limit_usd", "total_usd", "status"}
    placement_keys = {
        "provider", "region", "offer", "accelerator", "accelerator_count", "instances", "pricing", "cost", "time",
        "latency", "assumptions",
    }  # fmt: skip
    for p in [data["chosen"], *data["alternatives"]]:
        assert placement_keys <= set(p)
        assert set(p["cost"]) >= {"total_usd", "compute_usd", "egress_usd", "other_usd", "period"}
        assert isinstance(p["cost"]["total_usd"], float | int)
        assert set(p["latency"]) == {"p50_ms", "p95_ms"}
        assert set(p["time"]) == {"wall_hours", "accelerator_hours"}
    for r in data["rejected"]:
        assert set(r) >= {"offer", "reason"}


def test_json_is_byte_identical_for_identical_inputs(mini_catalog: Catalog):
    assert to_json(plan_for("ios-app-ci", mini_catalog)) == to_json(plan_for("ios-app-ci", mini_catalog))


def test_error_with_caret():
    err = ProfileError(
        "must be greater than 0, got -70e9",
        location=SourceLocation("p.yaml", 4, 15, "model.parameters", "  parameters: -70e9"),
    )
    assert format_error(err) == (
        "placer: error: p.yaml:4:15: model.parameters: must be greater than 0, got -70e9\n"
        "  4 |   parameters: -70e9\n"
        "    |               ^"
    )
