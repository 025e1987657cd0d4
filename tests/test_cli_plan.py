"""`placer plan` as a user runs it: the real CLI in a subprocess, the embedded catalog, every bundled profile."""

from __future__ import annotations

import json

import pytest
from tests.conftest import ROOT, run_placer

PROFILES = sorted(p.name for p in (ROOT / "profiles").glob("*.yaml"))
EXPECTED_EXIT = {"macos-nightly-matrix.yaml": 5}  # its budget is deliberately tight


@pytest.mark.parametrize("name", PROFILES)
def test_every_bundled_profile_plans(name: str):
    done = run_placer("plan", f"profiles/{name}", "--format", "json")
    assert done.returncode == EXPECTED_EXIT.get(name, 0), done.stderr
    assert done.stderr == ""
    plan = json.loads(done.stdout)
    assert plan["chosen"] is not None
    assert plan["chosen"]["cost"]["total_usd"] > 0
    assert plan["catalog"]["offers_considered"] > 400
    assert plan["budget"]["status"] == ("over" if name in EXPECTED_EXIT else "within")


def test_table_goes_to_stdout_and_names_the_choice():
    done = run_placer("plan", "profiles/ios-app-ci.yaml")
    assert done.returncode == 0
    assert done.stderr == ""
    assert "Chosen:" in done.stdout
    assert "needs macOS on Apple silicon" in done.stdout
    assert "Budget: $2,000 per month — within" in done.stdout


def test_json_is_byte_identical_across_runs():
    first = run_placer("plan", "profiles/chat-70b-service.yaml", "--format", "json")
    second = run_placer("plan", "profiles/chat-70b-service.yaml", "--format", "json")
    assert first.returncode == 0
    assert first.stdout == second.stdout


def test_llama2_70b_within_15_percent_of_published_gpu_hours():
    plan = json.loads(run_placer("plan", "profiles/llama2-70b-pretrain.yaml", "--format", "json").stdout)
    hours = plan["chosen"]["time"]["accelerator_hours"]
    assert plan["chosen"]["accelerator"] == "A100-80GB"
    assert abs(hours / 1_720_320 - 1) < 0.15


def test_over_budget_exits_5_and_says_so():
    done = run_placer("plan", "profiles/macos-nightly-matrix.yaml")
    assert done.returncode == 5
    assert "OVER by" in done.stdout


def test_no_feasible_placement_exits_4_with_reasons(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "kind: training\nname: impossible\nmodel: {parameters: 70B}\ntraining: {tokens: 2T}\n"
        "resources: {accelerators: [A100-80GB]}\ndeadline_hours: 10\n"
    )
    done = run_placer("plan", str(profile))
    assert done.returncode == 4
    assert "No feasible placement" in done.stdout
    assert "deadline" in done.stdout
    as_json = run_placer("plan", str(profile), "--format", "json")
    assert as_json.returncode == 4
    assert json.loads(as_json.stdout)["chosen"] is None


def test_unknown_accelerator_points_at_its_line(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "kind: training\nname: x\nmodel: {parameters: 8B}\ntraining: {tokens: 1B}\nresources:\n"
        "  accelerators: [H100, H2OO]\n"
    )
    done = run_placer("plan", str(profile))
    assert done.returncode == 3
    assert done.stdout == ""
    first = done.stderr.splitlines()[0]
    assert first == f"placer: error: {profile}:6:24: resources.accelerators[1]: unknown accelerator 'H2OO'"
    assert "hint: did you mean 'H200'?" in done.stderr


def test_unknown_user_region_points_at_its_line(tmp_path):
    profile = tmp_path / "p.yaml"
    text = (ROOT / "profiles" / "chat-70b-service.yaml").read_text().replace("[us-east, eu-west]", "[us-east, eu-wset]")
    profile.write_text(text)
    done = run_placer("plan", str(profile))
    assert done.returncode == 3
    assert "inference.user_regions[1]: unknown region 'eu-wset'" in done.stderr
    assert "did you mean 'eu-west'?" in done.stderr


def test_bad_catalog_file_is_exit_3(tmp_path):
    bad = tmp_path / "cat.json"
    bad.write_text('{"as_of": "2026-01-01", "offers": []}')
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--catalog", str(bad))
    assert done.returncode == 3
    assert done.stderr.startswith(f"placer: error: {bad}")
