"""Regressions from the review of the budget gate: each one crashed, passed silently or mis-judged before."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.conftest import ROOT
from tests.test_cli_check import gate, repo  # noqa: F401 - the fixture is used by name

ACTION = ROOT / "action.yml"


@pytest.mark.parametrize("value", ["nan", "inf", "1e309"])
def test_non_finite_flag_budgets_are_usage_errors(repo: Path, value: str):  # noqa: F811
    done = gate(repo, "profiles/", "--max-usd", value)
    assert done.returncode == 2
    assert "must be a finite number greater than 0" in done.stderr
    assert "internal error" not in done.stderr


def test_a_gate_left_with_nothing_to_check_fails(repo: Path):  # noqa: F811
    done = gate(repo, "profiles/", "--exclude", "*.yaml")
    assert done.returncode == 2
    assert "nothing to check" in done.stderr


@pytest.mark.parametrize("total", ["NaN", "-100", "1e400"])
def test_a_baseline_with_impossible_numbers_is_invalid_input(repo: Path, total: str):  # noqa: F811
    saved = gate(repo, "profiles/train.yaml", "--format", "json")
    text = saved.stdout.replace('"total_usd": ', f'"total_usd": {total}, "was": ', 1)
    (repo / "base.json").write_text(text)
    done = gate(repo, "profiles/train.yaml", "--baseline", "base.json", "--max-increase-pct", "10")
    assert done.returncode == 3, done.stderr


def test_the_job_summary_is_appended_in_place(repo: Path):  # noqa: F811
    summary = repo / "summary.md"
    summary.write_text("## earlier step\n")
    summary.chmod(0o644)
    gate(repo, "profiles/train.yaml", summary=summary)
    text = summary.read_text()
    assert text.startswith("## earlier step\n\n")
    assert stat.S_IMODE(summary.stat().st_mode) == 0o644  # the same file, not a replacement
    missing_dir = repo / "no" / "such" / "dir" / "summary.md"
    done = gate(repo, "profiles/train.yaml", summary=missing_dir)
    assert done.returncode == 0
    assert not (repo / "no").exists()
    assert "cannot append to $GITHUB_STEP_SUMMARY" in done.stderr


def test_the_action_passes_every_profile_line_to_placer(tmp_path: Path):
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    script = next(s for s in steps if s.get("id") == "check")["run"]
    stub = tmp_path / "bin" / "placer"
    stub.parent.mkdir()
    stub.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$ARGS_OUT"\nexit 5\n')
    stub.chmod(0o755)
    out, args = tmp_path / "github_output", tmp_path / "args"
    env = {
        **os.environ,
        "PATH": f"{stub.parent}{os.pathsep}{os.environ['PATH']}",
        "PROFILES": "profiles/a.yaml\nprofiles/b.yaml  profiles/c*.yaml",
        "EXTRA_ARGS": "--exclude\n'x y'",
        "BASELINE": "",
        "MAX_INCREASE_PCT": "",
        "WARN_ONLY": "true",
        "GITHUB_OUTPUT": str(out),
        "ARGS_OUT": str(args),
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 5  # placer's verdict is the step's verdict
    assert args.read_text().splitlines() == [
        "check", "profiles/a.yaml", "profiles/b.yaml", "profiles/c*.yaml", "--warn-only", "--exclude", "'x", "y'",
    ]  # fmt: skip
    assert out.read_text() == "exit-code=5\n"


def test_a_copied_profile_is_new_not_a_change(repo: Path):  # noqa: F811
    base = gate(repo, "profiles/train.yaml", "--format", "json")
    (repo / "base.json").write_text(base.stdout)
    (repo / "profiles" / "train-copy.yaml").write_text((repo / "profiles" / "train.yaml").read_text())
    done = gate(
        repo, "profiles/train.yaml", "profiles/train-copy.yaml", "--baseline", "base.json", "--max-increase-pct", "1",
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    copy = next(p for p in json.loads(done.stdout)["profiles"] if p["file"].endswith("train-copy.yaml"))
    assert copy["baseline"]["found"] is False
