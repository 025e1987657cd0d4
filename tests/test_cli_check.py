"""`placer check` as CI runs it: the real CLI in a subprocess on small profiles over and under budget.

Exit codes, what goes to stdout and what to stderr, GitHub annotations (exact strings) and the job summary
(golden Markdown; regenerate with PLACER_UPDATE_GOLDEN=1 and review the diff).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.budget_profiles import NO_BUDGET, OVER, SERVICE, UNDER
from tests.conftest import MINI_CATALOG, run_placer
from tests.test_render import check_golden

OVER_ANNOTATION = (
    "::error file=profiles/train-over.yaml,line=8,title=placer budget::over budget by $4,882 (+488%25): $5,882 per "
    "run against $1,000 set by the profile (budget.max_usd)%0Athe chosen runpod/us/h100-sxm-secure-x8 (on-demand) "
    "is the cheapest placement placer found: none fits%0Ato pass, raise budget.max_usd (line 8) to at least "
    "$5,882, or make the workload cheaper"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with four profiles: over budget, within, within (per month) and without a budget."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for name, text in {"train-over": OVER, "train": UNDER, "chat-service": SERVICE, "ios": NO_BUDGET}.items():
        (profiles / f"{name}.yaml").write_text(text)
    (profiles / "README.md").write_text("not a profile\n")
    return tmp_path


def gate(repo: Path, *args: str, github: bool = False, summary: Path | None = None):
    env = {
        "GITHUB_ACTIONS": "true" if github else "",
        "GITHUB_STEP_SUMMARY": str(summary) if summary else "",
        "PLACER_MAX_PRICE_AGE_DAYS": "100000",  # the fixture's prices never go stale in these tests
    }
    return run_placer("check", *args, "--catalog", str(MINI_CATALOG), cwd=repo, env=env)


def test_over_budget_fails_with_annotations_and_a_job_summary(repo: Path):
    summary = repo / "summary.md"
    summary.write_text("## earlier step\n")
    done = gate(repo, "profiles/", "--format", "markdown", github=True, summary=summary)
    assert done.returncode == 5
    # stdout: the report only; stderr: the workflow commands, nothing else
    assert done.stdout.startswith("## placer budget check: failed (exit 5)\n")
    assert done.stderr.splitlines() == [OVER_ANNOTATION]
    written = summary.read_text()
    assert written.startswith("## earlier step\n\n## placer budget check")  # appended, not replaced
    assert written.removeprefix("## earlier step\n\n") == done.stdout
    check_golden("check-budget.md", done.stdout)


def test_warn_only_passes_with_a_visible_warning_and_json_is_stable(repo: Path):
    done = gate(repo, "profiles/*.yaml", "--warn-only", "--format", "json", github=True)
    assert done.returncode == 0
    warning, annotation = done.stderr.splitlines()
    assert warning == (
        "placer: warning: profiles/train-over.yaml: over budget by $4,882 (+488%): $5,882 per run against $1,000 "
        "set by the profile (budget.max_usd) (--warn-only: not failing)"
    )
    assert annotation.startswith(
        "::warning file=profiles/train-over.yaml,line=8,title=placer budget::over budget by $4,882 (+488%25): "
        "$5,882 per run against $1,000 set by the profile (budget.max_usd) (--warn-only: not failing the check)%0A"
    )
    report = json.loads(done.stdout)
    assert (report["exit_code"], report["passed"], report["warn_only"]) == (0, True, True)
    assert [p["file"] for p in report["profiles"]] == [
        "profiles/chat-service.yaml",
        "profiles/ios.yaml",
        "profiles/train-over.yaml",
        "profiles/train.yaml",
    ]
    assert [(p["status"], p["gate"]) for p in report["profiles"]] == [
        ("within", "pass"),
        ("none", "pass"),
        ("over", "warn"),
        ("within", "pass"),
    ]
    over = report["profiles"][2]
    assert over["budget"] == {
        "limit_usd": 1000.0,
        "total_usd": over["chosen"]["cost"]["total_usd"],
        "period": "run",
        "status": "over",
        "source": "profile",
        "origin": "the profile (budget.max_usd)",
        "over_usd": pytest.approx(over["chosen"]["cost"]["total_usd"] - 1000, abs=1e-3),
        "over_pct": pytest.approx((over["chosen"]["cost"]["total_usd"] - 1000) / 10, abs=1e-3),
    }
    assert report["totals"]["cost_usd"]["run"] == pytest.approx(
        sum(p["chosen"]["cost"]["total_usd"] for p in report["profiles"] if p["kind"] == "training"), abs=1e-3
    )
    # --output writes the same bytes atomically, and says so on stderr
    again = gate(repo, "profiles/", "--warn-only", "--format", "json", "--output", "out/check.json")
    assert again.returncode == 0
    assert again.stdout == ""
    assert (repo / "out" / "check.json").read_text() == done.stdout
    assert again.stderr.splitlines()[-1] == "placer: wrote the json report to out/check.json"


def test_baseline_threshold_fails_and_lists_new_and_missing(repo: Path):
    first = gate(repo, "profiles/", "--exclude", "*-over.yaml", "--format", "json", "--output", "base.json")
    assert first.returncode == 0, first.stderr
    base = json.loads((repo / "base.json").read_text())
    base["profiles"].append({"file": "profiles/retired.yaml", "name": "retired", "kind": "inference"})
    (repo / "base.json").write_text(json.dumps(base))
    (repo / "profiles" / "train.yaml").write_text(UNDER.replace("tokens: 20B", "tokens: 25B"))  # +25 %
    (repo / "profiles" / "new-service.yaml").write_text(SERVICE.replace("small-service", "new-service"))

    done = gate(
        repo, "profiles/", "--exclude", "*-over.yaml", "--baseline", "base.json", "--max-increase-pct", "10",
        "--max-increase-usd", "50", "--format", "markdown", github=True,
    )  # fmt: skip
    assert done.returncode == 5
    assert done.stderr.splitlines() == [
        "::error file=profiles/train.yaml,line=8,title=placer budget::cost up 25%25 vs baseline ($294.09 → $367.61 per "
        "run), over --max-increase-pct 10 by 15.0 points%0Acost up $73.52 vs baseline ($294.09 → $367.61 per run), "
        "over --max-increase-usd 50 by $23.52",
        "::notice title=placer budget::profiles/retired.yaml is in the baseline but was not checked",
    ]
    check_golden("check-baseline.md", done.stdout)


def test_bad_profiles_are_reported_by_path_and_the_others_still_checked(repo: Path):
    (repo / "profiles" / "typo.yaml").write_text("kind: inference\nname: typo\nmodle: {parameters: 8B}\n")
    (repo / "profiles" / "nofit.yaml").write_text(UNDER.replace("resources: {count: 8}", "deadline_hours: 0.001"))
    done = gate(repo, "profiles/", "missing/*.yaml", "--format", "json", github=True)
    assert done.returncode == 3  # 3 (invalid) beats 4 (no feasible placement) and 5 (over budget)
    report = json.loads(done.stdout)
    statuses = {p["file"]: p["status"] for p in report["profiles"]}
    assert statuses == {
        "missing/*.yaml": "invalid",
        "profiles/chat-service.yaml": "within",
        "profiles/ios.yaml": "none",
        "profiles/nofit.yaml": "infeasible",
        "profiles/train-over.yaml": "over",
        "profiles/train.yaml": "within",
        "profiles/typo.yaml": "invalid",
    }
    errors = [line for line in done.stderr.splitlines() if line.startswith("placer: error:")]
    assert errors == [
        "placer: error: missing/*.yaml: no file matches this pattern",
        "placer: error: profiles/typo.yaml:3:1: modle: unknown key 'modle' (and 2 more problems)",
    ]
    assert "::error title=placer check::missing/*.yaml: no file matches this pattern" in done.stderr
    assert (
        "::error file=profiles/typo.yaml,line=3,title=placer check::profiles/typo.yaml:3:1: modle: unknown key "
        "'modle' (and 2 more problems)%0Ahint: did you mean 'model'?"
    ) in done.stderr.splitlines()
    assert (
        "::error file=profiles/nofit.yaml,line=8,title=placer check::no feasible placement: all 20 offers"
        in done.stderr
    )


def test_flags_and_policy_precedence_and_usage_errors(repo: Path):
    (repo / "policy.yaml").write_text(
        "rules:\n  - match: profiles/train*.yaml\n    max_usd: 5e6\n  - match: '*.yaml'\n    max_monthly_usd: 100\n"
    )
    # the stricter of policy (5e6) and profile: both training profiles keep their own, smaller budgets
    # (train-over.yaml's $1,000 is over); --max-monthly-usd beats the policy: 10,000 a month fits the others
    done = gate(repo, "profiles/", "--policy", "policy.yaml", "--max-monthly-usd", "10000", "--format", "json")
    assert done.returncode == 5, done.stderr
    sources = {
        p["file"]: (p["budget"]["limit_usd"], p["budget"]["origin"]) for p in json.loads(done.stdout)["profiles"]
    }
    assert sources == {
        "profiles/chat-service.yaml": (10000.0, "--max-monthly-usd"),
        "profiles/ios.yaml": (10000.0, "--max-monthly-usd"),
        "profiles/train-over.yaml": (1000.0, "the profile (budget.max_usd, stricter than the policy)"),
        "profiles/train.yaml": (100000.0, "the profile (budget.max_usd, stricter than the policy)"),
    }
    wrong = gate(repo, "profiles/chat-service.yaml", "--max-usd", "500")
    assert wrong.returncode == 2
    assert wrong.stdout == ""
    assert wrong.stderr.splitlines() == [
        "placer: error: --max-usd is a per-run budget for training profiles, and none of the profiles is training",
        "  hint: inference and apple-build profiles are budgeted per month: use --max-monthly-usd",
    ]
    (repo / "bad-policy.yaml").write_text("rules:\n  - match: '*.yaml'\n    max_monthy_usd: 5\n")
    bad = gate(repo, "profiles/", "--policy", "bad-policy.yaml", github=True)
    assert bad.returncode == 3
    assert bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "::error file=bad-policy.yaml,line=3,title=placer check::unknown key 'max_monthy_usd'",
        "placer: error: bad-policy.yaml:3:5: rules[0].max_monthy_usd: unknown key 'max_monthy_usd'",
        "  3 |     max_monthy_usd: 5",
        "    |     ^",
        "  hint: did you mean 'max_monthly_usd'?",
    ]


def test_a_relative_profile_is_named_even_when_the_working_directory_is_gone(tmp_path: Path) -> None:
    """Listing profiles asks for the working directory only to shorten an absolute path: a relative one is
    reported as missing, with its name and the input-error exit code, not as a crash."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "from placer.cli.app import main; sys.argv = ['placer', 'check', 'nothing.yaml']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(gone)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert "nothing.yaml" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
