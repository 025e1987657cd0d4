"""The planner end to end on the frozen mini catalog: filtering with reasons, ranking, budgets, names."""

from __future__ import annotations

import pytest
from tests.conftest import profile_from

from placer.catalog.models import Catalog
from placer.errors import ProfileError
from placer.planner import PlanOptions, make_plan

TRAIN_70B = """
kind: training
name: llama-2-70b
model: {parameters: 70B}
training: {tokens: 2T}
resources: {accelerators: [A100-80GB]}
deadline_hours: 840
"""

CHAT = """
kind: inference
name: chat
model: {name: llama-3.3-70b, parameters: 70B, precision: fp8, layers: 80, kv_heads: 8, head_dim: 128}
inference:
  requests_per_second: 20
  average_requests_per_second: 8
  input_tokens: 1000
  output_tokens: 300
  user_regions: [us-east, eu-west]
  slo: {p95_latency_ms: 6000}
  accept_models: [muse-spark]
"""

IOS = """
kind: apple-build
name: ios
build: {jobs_per_day: 120, minutes_per_job: 18, max_queue_wait_minutes: 5}
"""


def test_llama2_70b_lands_near_published_gpu_hours(mini_catalog: Catalog):
    plan = make_plan(profile_from(TRAIN_70B), mini_catalog)
    assert plan.chosen is not None
    assert plan.chosen.accelerator == "A100-80GB"
    assert abs(plan.chosen.time.accelerator_hours / 1_720_320 - 1) < 0.15
    assert plan.chosen.time.wall_hours <= 840
    # every A100-80GB placement that was feasible is also within the band: no special-casing of one offer
    for p in [plan.chosen, *plan.alternatives]:
        assert abs(p.time.accelerator_hours / 1_720_320 - 1) < 0.15


def test_training_rejects_apis_macs_and_other_accelerators_with_reasons(mini_catalog: Catalog):
    plan = make_plan(profile_from(TRAIN_70B), mini_catalog)
    reasons = {r.offer: r for r in plan.rejected}
    assert reasons["together/llama-3.3-70b"].reason == "a per-token API cannot run training"
    assert reasons["scaleway/fr-par/m4-s"].code == "kind"
    assert reasons["lambda/us-east-1/gpu_8x_h100_sxm5"].code == "accelerator"
    # every offer is either placed or rejected, never silently dropped
    placed = {p.offer for p in [plan.chosen, *plan.alternatives] if p}
    assert len(plan.rejected) + plan.catalog.offers_feasible == len(mini_catalog.offers)
    assert len({r.offer for r in plan.rejected}) == len(plan.rejected)  # each offer rejected once
    assert {r.offer for r in plan.rejected}.isdisjoint(placed)


def test_apple_build_rejects_every_non_mac_and_sizes_the_farm(mini_catalog: Catalog):
    plan = make_plan(profile_from(IOS), mini_catalog)
    non_mac = [o.id for o in mini_catalog.offers if o.kind != "mac"]
    rejected = {r.offer: r for r in plan.rejected}
    for offer_id in non_mac:
        assert rejected[offer_id].reason.startswith("needs macOS on Apple silicon")
    assert plan.chosen is not None
    farms = [p for p in [plan.chosen, *plan.alternatives] if p.details.get("machines")]
    assert farms and all(p.details["machines"] == 7 for p in farms if p.accelerator == "M4")
    assert any(p.details.get("machines") == 0 for p in [plan.chosen, *plan.alternatives])  # elastic runner shown


def test_inference_shows_self_hosted_and_per_token_side_by_side(mini_catalog: Catalog):
    plan = make_plan(profile_from(CHAT), mini_catalog)
    shown = [plan.chosen, *plan.alternatives]
    modes = {p.details["serving"] for p in shown if p}
    assert modes == {"self-hosted", "hosted-api"}
    for p in shown:
        assert p is not None and p.latency.p50_ms is not None and p.latency.p95_ms <= 6000
    api = next(p for p in shown if p and p.pricing == "per-token")
    assert api.cost.period == "month"
    assert any("is an assumption" in a for a in api.assumptions) == (api.provider == "meta")


def test_api_serving_another_model_is_rejected_with_the_names(mini_catalog: Catalog):
    plan = make_plan(profile_from(CHAT), mini_catalog)
    groq = next(r for r in plan.rejected if r.offer == "groq/llama-3.1-8b")
    assert groq.code == "model"
    assert "llama-3.1-8b" in groq.reason and "llama-3.3-70b" in groq.reason


def test_budget_verdict_agrees_with_totals(mini_catalog: Catalog):
    within = make_plan(profile_from(IOS + "budget: {max_usd: 100000}\n"), mini_catalog)
    over = make_plan(profile_from(IOS + "budget: {max_usd: 1}\n"), mini_catalog)
    assert within.budget.status == "within" and within.budget.total_usd <= 100000
    assert over.budget.status == "over" and over.budget.total_usd > 1
    assert make_plan(profile_from(IOS), mini_catalog).budget.status == "none"


def test_within_budget_placements_rank_before_over_budget(mini_catalog: Catalog):
    plan = make_plan(profile_from(CHAT + "objective: time\n"), mini_catalog)
    cheapest = min(p.cost.total_usd for p in [plan.chosen, *plan.alternatives])
    tight = make_plan(profile_from(CHAT + f"objective: time\nbudget: {{max_usd: {cheapest * 1.01}}}\n"), mini_catalog)
    assert tight.chosen is not None and tight.chosen.cost.total_usd <= cheapest * 1.01


def test_objectives_rank_differently(mini_catalog: Catalog):
    cheap = make_plan(profile_from(CHAT), mini_catalog, PlanOptions(objective="cost")).chosen
    fast = make_plan(profile_from(CHAT), mini_catalog, PlanOptions(objective="time")).chosen
    assert cheap is not None and fast is not None
    assert cheap.cost.total_usd <= fast.cost.total_usd
    assert fast.latency.p95_ms <= cheap.latency.p95_ms


def test_nothing_feasible_explains_every_rejection(mini_catalog: Catalog):
    plan = make_plan(profile_from(TRAIN_70B.replace("840", "10")), mini_catalog)
    assert plan.chosen is None and plan.alternatives == []
    assert len(plan.rejected) == len(mini_catalog.offers)
    assert any(g.code == "deadline" for g in plan.rejected_summary)


def test_spot_policy(mini_catalog: Catalog):
    base = TRAIN_70B.replace("accelerators: [A100-80GB]", "accelerators: [H100]")
    never = make_plan(profile_from(base), mini_catalog)
    only = make_plan(profile_from(base + "constraints: {spot: only}\n"), mini_catalog)
    assert all(p.pricing == "on-demand" for p in [never.chosen, *never.alternatives])
    assert only.chosen is not None
    assert all(p.pricing == "spot" for p in [only.chosen, *only.alternatives])


@pytest.mark.parametrize(
    ("snippet", "path", "hint"),
    [
        ("constraints: {providers: [lamda]}\n", ("constraints", "providers", 0), "did you mean 'lambda'?"),
        ("constraints: {regions: ['us-est-*']}\n", ("constraints", "regions", 0), None),
        ("resources: {accelerators: [H10O]}\n", ("resources", "accelerators", 0), "did you mean"),
        ("data: {size_gb: 10, location: aws/us-eats-1}\n", ("data", "location"), "did you mean 'aws/us-east-1'?"),
    ],
)
def test_unknown_names_are_input_errors_with_a_field_path(mini_catalog: Catalog, snippet, path, hint):
    text = IOS if "accelerators" not in snippet else TRAIN_70B.replace("resources: {accelerators: [A100-80GB]}\n", "")
    with pytest.raises(ProfileError) as exc:
        make_plan(profile_from(text + snippet), mini_catalog)
    assert exc.value.path == path
    if hint:
        assert exc.value.hint is not None and exc.value.hint.startswith(hint)


def test_egress_charged_when_data_lives_elsewhere(mini_catalog: Catalog):
    text = TRAIN_70B + "data: {size_gb: 50000, location: aws/us-east-1}\n"
    plan = make_plan(profile_from(text), mini_catalog)
    by_offer = {p.offer: p for p in [plan.chosen, *plan.alternatives]}
    aws = by_offer["aws/us-east-1/p4de.24xlarge"]
    crusoe = by_offer["crusoe/us-east/a100-80gb-sxm-x8"]
    assert aws.cost.egress_usd == 0
    # 50,000 GB over AWS's internet tiers: 100 free, 10,140 at 0.09, 39,760 at 0.085
    assert crusoe.cost.egress_usd == pytest.approx(10140 * 0.09 + 39760 * 0.085)
    assert crusoe.cost.total_usd == pytest.approx(crusoe.cost.compute_usd + crusoe.cost.egress_usd)


def test_a_monthly_plan_says_its_data_copy_is_one_off(mini_catalog: Catalog):
    plan = make_plan(profile_from(CHAT + "data: {size_gb: 500, location: aws/us-east-1}\n"), mini_catalog)
    moved = [p for p in [plan.chosen, *plan.alternatives] if p is not None and p.cost.egress_usd > 0]
    assert moved, "some placement copies the data across providers or regions"
    for p in moved:
        note = next(a for a in p.assumptions if a.startswith("data: "))
        assert note.endswith("a one-off copy, counted in full in this month's cost")
    training = make_plan(profile_from(TRAIN_70B + "data: {size_gb: 500, location: aws/us-east-1}\n"), mini_catalog)
    for p in [training.chosen, *training.alternatives]:
        assert p is not None and not any("one-off" in a for a in p.assumptions)


def test_inputs_are_not_mutated(mini_catalog: Catalog):
    before = mini_catalog.model_dump_json()
    make_plan(profile_from(CHAT), mini_catalog)
    assert mini_catalog.model_dump_json() == before
