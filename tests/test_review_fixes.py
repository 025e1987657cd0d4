"""Regressions for defects an independent review found; each would have misled or crashed for a user."""

from __future__ import annotations

import pytest
from tests.conftest import profile_from

from placer.catalog.models import Catalog
from placer.errors import ProfileError
from placer.estimate.training import Accelerator, Infeasible, TrainingJob, estimate
from placer.numbers import parse_human_number
from placer.placements.common import is_assumed
from placer.planner import make_plan


def test_no_slo_huge_load_rejects_slow_offers_instead_of_crashing(mini_catalog: Catalog):
    text = (
        "kind: inference\nname: x\nmodel: {parameters: 8B}\n"
        "inference: {requests_per_second: 1e5, input_tokens: 1000, output_tokens: 300}\n"
    )
    plan = make_plan(profile_from(text), mini_catalog)
    capacity = [r for r in plan.rejected if r.code == "capacity"]
    assert capacity, "offers too slow for 1e5 req/s are rejected, not a crash"
    assert "needs more than 100,000 replicas" in capacity[0].reason


def test_copying_data_counts_against_the_deadline(mini_catalog: Catalog):
    # 3,000,000 GB at 10 Gbit/s takes 666.7 h: with 840 h to go, the training must fit in the 173 h left.
    text = (
        "kind: training\nname: x\nmodel: {parameters: 70B}\ntraining: {tokens: 2T}\n"
        "resources: {accelerators: [H100]}\ndeadline_hours: 840\n"
        "data: {size_gb: 3000000, location: gcp/us-central1}\n"
    )
    plan = make_plan(profile_from(text), mini_catalog)
    for p in [plan.chosen, *plan.alternatives]:
        assert p is not None and p.time.wall_hours <= 840


def test_single_gpu_instances_are_not_scaled_out_for_big_training():
    # An EFA-connected 1-GPU instance (like p5.4xlarge) must not be fanned out to hundreds of nodes for a 70B run.
    one_gpu = Accelerator("H100", 989, 0.40, 80, 1, "efa", 4.0)
    with pytest.raises(Infeasible) as exc:
        estimate(one_gpu, TrainingJob(flops=6 * 70e9 * 2e12, parameters=70e9, deadline_hours=840))
    assert exc.value.code == "capacity"
    assert "instances of fewer than 4 accelerators are limited to 4 for training" in exc.value.reason


def test_assumed_prices_rank_after_sourced_ones_with_a_warning(mini_catalog: Catalog):
    plan = make_plan(
        profile_from("kind: apple-build\nname: x\nbuild: {jobs_per_day: 120, minutes_per_job: 18}\n"), mini_catalog
    )
    assert plan.chosen is not None and not is_assumed(plan.chosen)
    cheaper_assumed = [p for p in plan.alternatives if is_assumed(p) and p.cost.total_usd < plan.chosen.cost.total_usd]
    assert cheaper_assumed
    assert any(w.startswith(f"{cheaper_assumed[0].offer} would cost") for w in plan.warnings)


def test_non_list_price_of_the_choice_is_a_warning(mini_catalog: Catalog):
    text = (
        "kind: training\nname: x\nmodel: {parameters: 1B}\ntraining: {tokens: 1B}\n"
        "resources: {count: 1}\nconstraints: {providers: [runpod]}\n"
    )
    plan = make_plan(profile_from(text), mini_catalog)
    assert plan.chosen is not None and "community" in plan.chosen.offer
    assert any("RunPod Community Cloud price (third-party hosts, no SLA)" in w for w in plan.warnings)


def test_api_rejection_says_its_speed_is_assumed(mini_catalog: Catalog):
    text = (
        "kind: inference\nname: x\nmodel: {name: llama-3.3-70b, parameters: 70B}\n"
        "inference: {requests_per_second: 1, input_tokens: 100, output_tokens: 300, slo: {p95_latency_ms: 1000}}\n"
    )
    plan = make_plan(profile_from(text), mini_catalog)
    together = next(r for r in plan.rejected if r.offer == "together/llama-3.3-70b")
    assert together.code == "slo"
    assert together.reason.endswith("(at an assumed TTFT of 500 ms and 60 tok/s)")


@pytest.mark.parametrize(("field", "value"), [("minutes_per_job", "18m"), ("min_memory_gb", "32G")])
def test_size_suffixes_are_refused_on_quantities_in_a_unit(field: str, value: str):
    with pytest.raises(ProfileError) as exc:
        profile_from(
            f"kind: apple-build\nname: x\nbuild: {{jobs_per_day: 10, minutes_per_job: 18, {field}: {value}}}\n".replace(
                "minutes_per_job: 18, minutes_per_job", "minutes_per_job"
            )
        )
    assert "without a size suffix" in exc.value.message


def test_a_400_digit_number_is_an_input_error():
    with pytest.raises(ValueError, match="too large"):
        parse_human_number(10**400)
    with pytest.raises(ProfileError):
        profile_from(f"kind: apple-build\nname: x\nbuild: {{jobs_per_day: {10**400}, minutes_per_job: 18}}\n")


def test_absurd_build_load_rejects_farms_quickly(mini_catalog: Catalog):
    plan = make_plan(
        profile_from("kind: apple-build\nname: x\nbuild: {jobs_per_day: 1e12, minutes_per_job: 18}\n"), mini_catalog
    )
    farms = [r for r in plan.rejected if r.code == "capacity"]
    assert farms and farms[0].reason.startswith("the farm needs more than 100,000 servers")


def test_every_offer_is_placed_or_rejected(mini_catalog: Catalog):
    for text in (
        "kind: apple-build\nname: x\nbuild: {jobs_per_day: 120, minutes_per_job: 18}\n",
        "kind: training\nname: x\nmodel: {parameters: 8B}\ntraining: {tokens: 100B}\n",
    ):
        plan = make_plan(profile_from(text), mini_catalog)
        assert len(plan.rejected) + plan.catalog.offers_feasible == plan.catalog.offers_considered


def test_alternatives_zero_means_none(mini_catalog: Catalog):
    from placer.planner import PlanOptions

    text = "kind: apple-build\nname: x\nbuild: {jobs_per_day: 120, minutes_per_job: 18}\n"
    assert make_plan(profile_from(text), mini_catalog, PlanOptions(alternatives=0)).alternatives == []


def test_a_date_value_is_shown_as_written():
    with pytest.raises(ProfileError) as exc:
        profile_from("kind: apple-build\nname: 2026-01-01\nbuild: {jobs_per_day: 1, minutes_per_job: 1}\n")
    assert exc.value.message == "must be a valid string, got 2026-01-01"
