"""The budget gate's rules, in process: where a budget comes from, policies, baselines, thresholds, verdicts."""

from __future__ import annotations

import json

import pytest
from tests.budget_profiles import SERVICE
from tests.budget_profiles import UNDER as TRAIN
from tests.conftest import profile_from

from placer.baseline import (
    Baseline,
    BaselineEntry,
    PlacementSummary,
    Thresholds,
    compare,
    parse_baseline,
    placement_changes,
    threshold_breaches,
)
from placer.budget import (
    BaselineError,
    FlagBudgets,
    PolicyError,
    glob_matches,
    parse_policy,
    pct,
    resolve_budget,
    signed_pct,
    usd,
    worst_exit,
)
from placer.catalog.models import Catalog
from placer.errors import ExitCode, ProfileError, SourceLocation, UsageError
from placer.gate import CheckOptions, ProfileInput, check_profiles
from placer.planner import make_plan
from placer.profile import parse_profile
from placer.render.annotations import escape_data, escape_property, workflow_command
from placer.render.json_out import to_json

POLICY = """rules:
  - match: "profiles/train-*.yaml"
    max_usd: 5e6
  - match: "profiles/*-service.yaml"
    max_monthly_usd: 30000
  - match: "**/legacy/*.yaml"
    max_usd: 10
    max_monthly_usd: 20
"""


@pytest.fixture(autouse=True)
def not_in_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def summary(offer: str = "aws/us-east-1/p5", total: float = 1000.0, period: str = "run", **kw: object):
    provider, region, instance = offer.split("/")
    data = {
        "offer": offer,
        "provider": provider,
        "region": region,
        "instance": instance,
        "accelerator": "H100",
        "accelerator_count": 8,
        "instances": 1,
        "pricing": "on-demand",
        "cost": {"total_usd": total, "period": period},
        **kw,
    }
    return PlacementSummary.model_validate(data)


# --- formatting and exit codes ------------------------------------------------------------------------------


def test_money_and_percent_formats():
    assert usd(1234.4) == "$1,234"
    assert usd(999.994) == "$999.99"
    assert usd(999.996) == "$1,000"
    assert usd(-40.5) == "-$40.50"
    assert usd(-0.001) == "$0.00"
    assert signed_pct(12.3) == "+12%"
    assert signed_pct(-2.54) == "-2.5%"
    assert signed_pct(-0.0) == "+0.0%"
    assert pct(1075.0) == "1,075%"


def test_worst_exit_code_order_is_3_6_4_5_0():
    assert worst_exit([0, 5, 4, 6, 3]) == ExitCode.INVALID_INPUT
    assert worst_exit([0, 5, 4, 6]) == ExitCode.PRICES_UNAVAILABLE
    assert worst_exit([5, 4, 0]) == ExitCode.NO_FEASIBLE
    assert worst_exit([0, 5]) == ExitCode.OVER_BUDGET
    assert worst_exit([0, 0]) == ExitCode.OK
    assert worst_exit([]) == ExitCode.OK


# --- where the budget comes from ----------------------------------------------------------------------------


def test_precedence_command_line_then_the_stricter_of_policy_and_profile():
    policy = parse_policy(POLICY, "budget-policy.yaml")
    flags = FlagBudgets(max_usd=123.0, max_monthly_usd=45.0)
    path = "profiles/train-a.yaml"

    from_flag = resolve_budget("training", path, 7.0, flags, policy)
    assert (from_flag.max_usd, from_flag.period, from_flag.source, from_flag.origin) == (
        123.0,
        "run",
        "flag",
        "--max-usd",
    )

    from_policy = resolve_budget("training", path, 9e6, FlagBudgets(max_monthly_usd=45.0), policy)
    assert from_policy is not None
    assert (from_policy.max_usd, from_policy.source) == (5e6, "policy")  # stricter than the profile's 9e6
    assert from_policy.origin == "budget-policy.yaml rule 1 (profiles/train-*.yaml)"

    stricter = resolve_budget("training", path, 7.0, FlagBudgets(max_monthly_usd=45.0), policy)
    assert stricter is not None  # a catch-all policy never loosens a budget the team set
    assert (stricter.max_usd, stricter.source) == (7.0, "profile")
    assert stricter.origin == "the profile (budget.max_usd, stricter than the policy)"

    from_profile = resolve_budget("training", "elsewhere/train-a.yaml", 7.0, FlagBudgets(), policy)
    assert from_profile is not None
    assert (from_profile.max_usd, from_profile.source) == (7.0, "profile")

    assert resolve_budget("training", "elsewhere/x.yaml", None, FlagBudgets(), policy) is None


def test_each_flag_applies_to_its_own_period():
    flags = FlagBudgets(max_monthly_usd=45.0)
    monthly = resolve_budget("apple-build", "p.yaml", 9.0, flags, None)
    assert monthly is not None
    assert (monthly.max_usd, monthly.period, monthly.origin) == (45.0, "month", "--max-monthly-usd")
    # --max-monthly-usd says nothing about a training run: its own budget stands
    training = resolve_budget("training", "p.yaml", 9.0, flags, None)
    assert training is not None
    assert (training.max_usd, training.period, training.source) == (9.0, "run", "profile")


def test_a_flag_for_the_wrong_period_is_a_usage_error_naming_the_right_flag():
    with pytest.raises(UsageError, match="--max-usd is a per-run budget for training") as caught:
        FlagBudgets(max_usd=5.0).check(["inference", "apple-build"])
    assert caught.value.hint == "inference and apple-build profiles are budgeted per month: use --max-monthly-usd"
    with pytest.raises(UsageError, match="--max-monthly-usd") as caught:
        FlagBudgets(max_monthly_usd=5.0).check(["training"])
    assert caught.value.hint == "training profiles are budgeted per run: use --max-usd"
    FlagBudgets(max_usd=5.0).check(["training", "inference"])  # applies to the training one
    FlagBudgets(max_usd=5.0).check([])  # nothing readable to judge by: the profiles' own errors speak
    with pytest.raises(UsageError, match="greater than 0"):
        FlagBudgets(max_usd=0.0).check(["training"])


def test_a_policy_rule_without_the_profiles_period_points_at_the_rule():
    policy = parse_policy(POLICY, "budget-policy.yaml")
    with pytest.raises(PolicyError) as caught:
        resolve_budget("inference", "profiles/train-chat.yaml", None, FlagBudgets(), policy)
    error = caught.value
    assert str(error).startswith("budget-policy.yaml:2:12: rules[0].match: rule 1 (match 'profiles/train-*.yaml')")
    assert "an inference profile budgeted per month, but sets only max_usd" in error.message
    assert error.hint == "add max_monthly_usd: to this rule, or put a rule for profiles/train-chat.yaml before it"


# --- policy files and globs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("profiles/train-*.yaml", "profiles/train-a.yaml", True),
        ("profiles/train-*.yaml", "./profiles/train-a.yaml", True),
        ("./profiles/train-*.yaml", "profiles/train-a.yaml", True),
        ("profiles/train-*.yaml", "profiles/sub/train-a.yaml", False),  # * stays in one directory
        ("profiles/train-*.yaml", "profiles/chat-service.yaml", False),
        ("profiles/**/*.yaml", "profiles/a.yaml", True),
        ("profiles/**/*.yaml", "profiles/x/y/a.yaml", True),
        ("profiles/**", "profiles/x/a.yml", True),
        ("*-service.yaml", "deep/dir/chat-service.yaml", True),  # no "/": the file name
        ("profiles/?.yaml", "profiles/a.yaml", True),
        ("profiles/?.yaml", "profiles/ab.yaml", False),
        ("profiles/[!a]*.yaml", "profiles/b.yaml", True),
        ("profiles/[!a]*.yaml", "profiles/a.yaml", False),
        ("profiles/a+b.yaml", "profiles/a+b.yaml", True),  # regex characters are literal
    ],
)
def test_glob_matching(pattern: str, path: str, matches: bool):
    assert glob_matches(pattern, path) is matches


def test_policy_first_match_wins_and_numbers_parse():
    policy = parse_policy(POLICY, "budget-policy.yaml")
    assert policy.rule_for("profiles/train-x.yaml") == (0, policy.policy.rules[0])
    assert policy.policy.rules[0].max_usd == 5e6  # PyYAML reads 5e6 as text; placer reads it as a number
    hit = policy.rule_for("profiles/legacy/train-x.yaml")
    assert hit is not None
    assert hit[0] == 2
    assert policy.rule_for("other/x.yaml") is None


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "rules:\n  - match: a.yaml\n    max_usdd: 5\n",
            "budget-policy.yaml:3:5: rules[0].max_usdd: unknown key 'max_usdd'",
            "did you mean 'max_usd'?",
        ),
        (
            "rule:\n  - match: a.yaml\n",
            "budget-policy.yaml:1:1: rule: unknown key 'rule' (and 1 more problem)",
            "did you mean 'rules'?",
        ),
        ("rules:\n  - match: a.yaml\n", "budget-policy.yaml:2:5: rules[0]: a rule needs max_usd", None),
        ("rules: []\n", "budget-policy.yaml:1:8: rules: List should have at least 1 item", None),
        (
            "rules:\n  - match: a.yaml\n    max_usd: -3\n",
            "budget-policy.yaml:3:14: rules[0].max_usd: must be greater than 0",
            None,
        ),
        ("- a\n", "budget-policy.yaml:1:1: expected a mapping with a 'rules:' list", None),
    ],
)  # fmt: skip
def test_policy_errors_are_located(text: str, message: str, hint: str | None):
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "budget-policy.yaml")
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT
    assert caught.value.hint == hint


# --- baselines ----------------------------------------------------------------------------------------------


def test_delta_math_by_hand():
    diff = compare(summary(total=1000.0), summary(total=1150.0))
    assert (diff.total_usd, diff.delta_usd, diff.delta_pct) == (1000.0, 150.0, 15.0)
    down = compare(summary(total=800.0), summary(total=600.0))
    assert (down.delta_usd, down.delta_pct) == (-200.0, -25.0)
    same = compare(summary(total=294.08961234), summary(total=294.0896))  # as rounded in a written report
    assert (same.delta_usd, same.delta_pct) == (0.0, 0.0)
    free = compare(summary(total=0.0), summary(total=10.0))
    assert (free.delta_usd, free.delta_pct) == (10.0, None)  # no % of nothing
    other_period = compare(summary(total=10.0, period="run"), summary(total=20.0, period="month"))
    assert other_period.delta_usd is None


def test_thresholds_say_which_and_by_how_much():
    diff = compare(summary(total=1000.0), summary(total=1150.0))
    both = threshold_breaches(diff, Thresholds(max_increase_pct=10, max_increase_usd=100), "run")
    assert both == [
        "cost up 15% vs baseline ($1,000 → $1,150 per run), over --max-increase-pct 10 by 5.0 points",
        "cost up $150.00 vs baseline ($1,000 → $1,150 per run), over --max-increase-usd 100 by $50.00",
    ]
    assert threshold_breaches(diff, Thresholds(max_increase_pct=15, max_increase_usd=150), "run") == []
    assert threshold_breaches(diff, Thresholds(), "run") == []
    down = compare(summary(total=1000.0), summary(total=10.0))
    assert threshold_breaches(down, Thresholds(max_increase_pct=0, max_increase_usd=0), "run") == []


def test_placement_changes_name_each_field():
    old = summary("aws/us-east-1/p5", accelerator_count=8)
    new = summary("gcp/us-east-1/p5", accelerator_count=16, pricing="spot")
    changes = [(c.field, c.old, c.new) for c in placement_changes(old, new)]
    assert changes == [
        ("offer", "aws/us-east-1/p5", "gcp/us-east-1/p5"),
        ("provider", "aws", "gcp"),
        ("accelerator_count", 8, 16),
        ("pricing", "on-demand", "spot"),
    ]
    assert placement_changes(old, old) == []
    assert [(c.field, c.old, c.new) for c in placement_changes(old, None)] == [("chosen", "aws/us-east-1/p5", None)]


def test_baseline_accepts_a_plan_a_list_of_plans_and_a_check_report(mini_catalog: Catalog):
    plan = make_plan(profile_from(TRAIN), mini_catalog, file="./profiles/train-a.yaml")
    one = parse_baseline(to_json(plan), "plan.json")
    assert [(e.file, e.name, e.kind) for e in one.entries] == [("./profiles/train-a.yaml", "small-train", "training")]
    assert one.entries[0].chosen is not None
    assert one.entries[0].chosen.cost.total_usd == pytest.approx(plan.chosen.cost.total_usd, abs=1e-4)
    assert one.assign([("profiles/train-a.yaml", None)]) == [0]  # same file, however it was spelled
    assert one.assign([("renamed.yaml", "small-train")]) == [0]  # else the same workload name
    assert one.assign([("renamed.yaml", "other")]) == [None]
    # a copy of a profile under a new file is new, not a change of the original
    assert one.assign([("profiles/train-a.yaml", "small-train"), ("copy.yaml", "small-train")]) == [0, None]

    listed = parse_baseline("[" + to_json(plan) + "," + to_json(plan) + "]", "plans.json")
    assert len(listed.entries) == 2
    assert listed.assign([("renamed.yaml", "small-train")]) == [None]  # two with that name: ambiguous

    doc = parse_profile(TRAIN, "profiles/train-a.yaml")
    report = check_profiles([ProfileInput("profiles/train-a.yaml", doc)], mini_catalog, CheckOptions())
    again = parse_baseline(to_json(report), "check.json")
    assert again.entries[0].file == "profiles/train-a.yaml"
    assert again.entries[0].chosen is not None
    assert report.profiles[0].chosen is not None
    assert again.entries[0].chosen.offer == report.profiles[0].chosen.offer
    assert again.entries[0].chosen.cost.total_usd == pytest.approx(report.profiles[0].chosen.cost.total_usd, abs=1e-4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{\n  oops\n}", "check.json:2: not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"hello": 1}', "check.json: not a placer plan or check report (workload: Field required)"),
        (
            '{"profiles": [{"chosen": {"offer": 1}}]}',
            "check.json: not a placer plan or check report (profiles.0.chosen.offer",
        ),
    ],
)  # fmt: skip
def test_a_bad_baseline_is_invalid_input(text: str, message: str):
    with pytest.raises(BaselineError) as caught:
        parse_baseline(text, "check.json")
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == ExitCode.INVALID_INPUT


# --- the check itself ---------------------------------------------------------------------------------------


def _inputs(**profiles: str) -> list[ProfileInput]:
    return [ProfileInput(path, parse_profile(text, path)) for path, text in profiles.items()]


def test_verdict_agrees_with_totals_and_the_plan(mini_catalog: Catalog):
    items = _inputs(**{"train.yaml": TRAIN, "svc.yaml": SERVICE})
    report = check_profiles(items, mini_catalog, CheckOptions(flags=FlagBudgets(max_usd=200.0)))
    for item, result in zip(items, report.profiles, strict=True):
        budget, chosen = result.budget, result.chosen
        assert budget is not None
        assert chosen is not None
        assert budget.total_usd == chosen.cost.total_usd
        assert budget.status == ("over" if chosen.cost.total_usd > budget.limit_usd else "within")
        assert (result.exit_code == 5) is (budget.status == "over")
        # the same verdict as `placer plan` on the profile with that budget written in
        assert item.document is not None
        assert budget.limit_usd is not None
        plan = make_plan(profile_from(to_yaml_with_budget(item.document.yaml.text, budget.limit_usd)), mini_catalog)
        assert plan.budget.status == budget.status
        assert plan.chosen is not None
        assert plan.chosen.offer == chosen.offer
    train = report.profiles[0]
    assert train.budget is not None
    assert train.budget.over_usd == pytest.approx(train.budget.total_usd - 200.0)
    assert train.budget.over_pct == pytest.approx(train.budget.over_usd / 200.0 * 100)
    assert report.exit_code == 5
    assert report.totals.cost_usd.run == pytest.approx(train.budget.total_usd)


def to_yaml_with_budget(text: str, limit: float) -> str:
    lines = [ln for ln in text.splitlines() if not ln.startswith(("budget", "  max_usd"))]
    return "\n".join([*lines, f"budget: {{max_usd: {limit}}}"]) + "\n"


def test_a_bad_profile_fails_alone_and_the_worst_code_wins(mini_catalog: Catalog):
    impossible = TRAIN.replace("resources: {count: 8}", "resources: {count: 8, accelerators: [H2OO]}")
    infeasible = TRAIN.replace("resources: {count: 8}", "deadline_hours: 0.001")
    items = [
        ProfileInput("missing.yaml", error=ProfileError("no such file", location=SourceLocation("missing.yaml"))),
        *_inputs(**{"bad-name.yaml": impossible, "nofit.yaml": infeasible, "ok.yaml": TRAIN}),
    ]
    report = check_profiles(items, mini_catalog, CheckOptions())
    codes = {r.file: (r.status, r.exit_code) for r in report.profiles}
    assert codes == {
        "missing.yaml": ("invalid", 3),
        "bad-name.yaml": ("invalid", 3),
        "nofit.yaml": ("infeasible", 4),
        "ok.yaml": ("within", 0),
    }
    bad = report.profiles[1]
    assert bad.error == "bad-name.yaml:5:38: resources.accelerators[0]: unknown accelerator 'H2OO'"
    assert bad.line == 5
    assert report.exit_code == 3
    assert report.totals.invalid == 2
    assert report.totals.infeasible == 1


def test_warn_only_turns_over_budget_and_thresholds_into_warnings(mini_catalog: Catalog):
    items = _inputs(**{"train.yaml": TRAIN})
    options = CheckOptions(flags=FlagBudgets(max_usd=1.0), warn_only=True)
    report = check_profiles(items, mini_catalog, options)
    (result,) = report.profiles
    assert (result.status, result.gate, result.exit_code, report.exit_code) == ("over", "warn", 0, 0)
    assert report.passed
    assert report.totals.warned == 1
    assert report.reasons[0].startswith("train.yaml: over budget by $")


def test_baseline_in_a_check_new_missing_and_threshold(mini_catalog: Catalog):
    items = _inputs(**{"train.yaml": TRAIN, "svc.yaml": SERVICE})
    first = check_profiles(items, mini_catalog, CheckOptions())
    train_before = first.profiles[0].chosen
    assert train_before is not None
    bigger = TRAIN.replace("tokens: 20B", "tokens: 25B")  # 25 % more compute, same placement
    baseline = parse_baseline(to_json(first), "base.json")
    baseline = Baseline(
        baseline.file, (baseline.entries[0], BaselineEntry(file="gone.yaml", name="gone", kind="training"))
    )
    options = CheckOptions(baseline=baseline, thresholds=Thresholds(max_increase_pct=10))
    report = check_profiles(_inputs(**{"train.yaml": bigger, "new.yaml": SERVICE}), mini_catalog, options)
    train, new = report.profiles
    assert new.baseline is not None
    assert new.baseline.found is False
    assert new.exit_code == 0
    assert train.baseline is not None
    assert train.chosen is not None
    assert train.baseline.delta_usd == pytest.approx(
        train.chosen.cost.total_usd - train_before.cost.total_usd, abs=1e-3
    )
    assert train.baseline.delta_pct == pytest.approx(25.0, abs=0.01)
    assert train.baseline.changes == []
    assert train.exit_code == 5
    assert train.reasons[0].startswith(
        "cost up 25% vs baseline ($294.09 → $367.61 per run), over --max-increase-pct 10 by 15.0 points"
    )
    assert [(m.file, m.name) for m in report.missing] == [("gone.yaml", "gone")]
    assert report.totals.baseline_cost_usd is not None
    assert report.totals.delta_usd is not None
    assert report.totals.delta_usd.run == pytest.approx(
        report.totals.cost_usd.run - report.totals.baseline_cost_usd.run
    )


def test_report_json_is_stable(mini_catalog: Catalog):
    items = _inputs(**{"train.yaml": TRAIN, "svc.yaml": SERVICE})
    first = to_json(check_profiles(items, mini_catalog, CheckOptions()))
    assert first == to_json(check_profiles(items, mini_catalog, CheckOptions()))
    data = json.loads(first)
    assert data["report"] == "placer check"
    assert isinstance(data["totals"]["cost_usd"]["run"], float)
    assert data["exit_code"] == 0


# --- workflow commands --------------------------------------------------------------------------------------


def test_workflow_command_escaping():
    assert escape_data("50% off\r\nnext") == "50%25 off%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert (
        workflow_command("error", "over by 12%\nwhy", file="p, q:r.yaml", line=3, title="placer budget")
        == "::error file=p%2C q%3Ar.yaml,line=3,title=placer budget::over by 12%25%0Awhy"
    )
    assert workflow_command("notice", "hi") == "::notice::hi"


# --- the people's renderings --------------------------------------------------------------------------------


def test_terminal_and_markdown_renderings_share_the_verdicts(mini_catalog: Catalog):
    from placer.render.markdown import check_text, markdown

    items = _inputs(**{"a|b.yaml": TRAIN, "svc.yaml": SERVICE})
    report = check_profiles(items, mini_catalog, CheckOptions(flags=FlagBudgets(max_usd=100.0), warn_only=True))
    text = check_text(report)
    assert text.startswith("placer budget check: passed with warnings (exit 0)")
    assert "over by $194.09 (+194%), warning only" in text
    assert "Why a|b.yaml (warning only):" in text
    md = markdown(report)
    assert "| small-train (`a|b.yaml`) |" not in md  # a pipe would split the cell
    assert "| small-train (`a\\|b.yaml`) | training |" in md
    assert "$100.00 / run (--max-usd)" in md
    assert "no budget" not in md
