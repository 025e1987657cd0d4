"""Spot risk: interruption rates from the catalog (or the default), the expected overhead of preemptions, and the
same offer on demand beside each spot placement, in the plan's details and in the table's "Spot vs on-demand"."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import ROOT, profile_from
from tests.test_render import check_golden

from placer.catalog.models import Catalog, GpuOffer, SpotRisk
from placer.errors import ProfileError
from placer.estimate.training import TrainingJob, spot_overhead
from placer.placements.common import AnyOffer
from placer.placements.training import DEFAULT_SPOT_INTERRUPTIONS
from placer.plan import Placement, Plan
from placer.planner import make_plan
from placer.profile import parse_profile, read_profile
from placer.render.json_out import to_json
from placer.render.spot_view import spot_placements
from placer.render.table import plain_text, render_plan

P5 = "aws/us-east-1/p5.48xlarge"
FAILURES_PER_GPU_HOUR = 466 / (16384 * 54 * 24)  # the Llama 3 figure the estimator uses
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def p5_profile(interval: float = 30, restart: float = 10, spot: str = "only", count: int = 2048) -> str:
    return f"""
kind: training
name: spot-by-hand
model: {{parameters: 70B, precision: bf16}}
training: {{tokens: 2T, checkpoint_interval_minutes: {interval}, restart_minutes: {restart}}}
resources: {{accelerators: [H100], count: {count}}}
constraints: {{providers: [aws], spot: {spot}}}
"""


def spot_on_p5(catalog: Catalog, text: str) -> Placement:
    plan = make_plan(profile_from(text), catalog)
    spot = [p for p in [plan.chosen, *plan.alternatives] if p and p.offer == P5 and p.pricing == "spot"]
    assert len(spot) == 1
    return spot[0]


def with_spot_rows(catalog: Catalog, *rows: SpotRisk) -> Catalog:
    return catalog.model_copy(update={"spot_risk": list(rows)})


def row(match: str, rate: float, provider: str = "aws") -> SpotRisk:
    return SpotRisk(provider=provider, match=match, interruptions_per_month=rate, source="test row", as_of="2026-01")


def text_of(plan: Plan) -> str:
    return plain_text(render_plan(plan))  # what `placer plan` prints to a pipe: 120 columns, no colour


# --- the formula ------------------------------------------------------------------------------------------


def test_spot_overhead_by_hand():
    # 4 instances for 365 h at 0.2 interruptions per instance-month (730 h): 4 × 365 × 0.2 / 730 = 0.4
    # interruptions, each losing 30/2 + 10 = 25 min: 10 min = 1/6 h, paid on all 4 instances at $10/h.
    got = spot_overhead(4, 365.0, 0.2, TrainingJob(flops=1e20, parameters=1e9), 10.0)
    assert got.interruptions == pytest.approx(0.4, rel=1e-12)
    assert got.lost_hours == pytest.approx(1 / 6, rel=1e-12)
    assert got.usd == pytest.approx(40 / 6, rel=1e-12)


@given(
    instances=st.integers(1, 4096),
    wall=st.floats(0.01, 1e5),
    rate=st.floats(0, 5),
    more=st.floats(0.001, 5),
    interval=st.floats(0.1, 10_080),
    restart=st.floats(0, 10_080),
)
def test_spot_overhead_is_monotone_in_rate_interval_and_restart(instances, wall, rate, more, interval, restart):
    def usd(rate: float, interval: float, restart: float) -> float:
        job = TrainingJob(flops=1e20, parameters=1e9, checkpoint_interval_minutes=interval, restart_minutes=restart)
        return spot_overhead(instances, wall, rate, job, 10.0).usd

    base = usd(rate, interval, restart)
    assert usd(rate + more, interval, restart) >= base
    assert usd(rate, interval + more, restart) >= base
    assert usd(rate, interval, restart + more) >= base
    if rate >= 1e-6:  # strictly, where the product does not underflow to zero
        assert usd(rate, interval + more, restart) > base and usd(rate, interval, restart + more) > base


# --- the plan's details ---------------------------------------------------------------------------------------


def test_spot_trade_by_hand(mini_catalog: Catalog):
    """2,048 H100 on 256 p5.48xlarge, spot only: the on-demand side is not ranked, so it is priced beside."""
    p = spot_on_p5(mini_catalog, p5_profile())
    d = p.details
    ideal = 8.4e23 / (2048 * 989e12 * 0.40 * 0.97) / 3600  # 6·70e9·2e12 FLOPs; EFA scaling 0.97 → 296.906 h
    per_event = (30 / 2 + 10) / 60  # hours lost per interruption
    wall = ideal * (1 + (2048 * FAILURES_PER_GPU_HOUR + 256 * 0.175 / 730) * per_event)
    interruptions = 256 * wall * 0.175 / 730
    lost = interruptions * per_event
    overhead = lost * 256 * 20.9934
    od_wall = ideal * (1 + 2048 * FAILURES_PER_GPU_HOUR * per_event)
    od_total, spot_total = od_wall * 256 * 55.04, wall * 256 * 20.9934
    assert p.instances == 256 and p.time.wall_hours == pytest.approx(wall, rel=1e-12)
    assert d["spot_interruptions_per_month"] == 0.175 and d["spot_rate_source"] == "aws p5.48xlarge"
    assert d["spot_interruptions"] == pytest.approx(interruptions, rel=1e-12)
    assert d["spot_lost_hours"] == pytest.approx(lost, rel=1e-12)
    assert d["spot_overhead_usd"] == pytest.approx(overhead, rel=1e-12)
    assert d["on_demand_total_usd"] == pytest.approx(od_total, rel=1e-12)
    assert d["on_demand_wall_hours"] == pytest.approx(od_wall, rel=1e-12)
    assert d["spot_saving_usd"] == pytest.approx(od_total - spot_total, rel=1e-12)
    assert d["spot_saving_pct"] == pytest.approx((od_total - spot_total) / od_total * 100, rel=1e-12)
    # the same figures worked on paper: 310.06 h, 19.03 interruptions, 7.93 h lost, $42,610 overhead,
    # $4.26 M on demand against $1.67 M spot: $2.60 M (60.9 %) saved net of the overhead
    assert (round(wall, 2), round(interruptions, 2), round(lost, 2)) == (310.06, 19.03, 7.93)
    assert (round(overhead), round(od_total, -4), round(spot_total, -4)) == (42610, 4_260_000, 1_670_000)
    assert round(float(d["spot_saving_pct"]), 1) == 60.9


@pytest.mark.parametrize("data", ["", "data: {size_gb: 20000, location: gcp/us-central1}\n"])
def test_on_demand_side_is_the_ranked_on_demand_placement_when_there_is_one(mini_catalog: Catalog, data: str):
    plan = make_plan(profile_from(p5_profile(spot="allow") + data), mini_catalog)
    shown = [plan.chosen, *plan.alternatives]
    spot = next(p for p in shown if p and p.pricing == "spot")
    on_demand = next(p for p in shown if p and p.pricing == "on-demand")
    assert on_demand.instances == spot.instances == 256
    assert (spot.cost.egress_usd > 0) == bool(data)  # copying the data in: the same egress and hours on both sides
    assert spot.details["spot_saving_usd"] == pytest.approx(on_demand.cost.total_usd - spot.cost.total_usd)
    assert spot.details["on_demand_total_usd"] == on_demand.cost.total_usd
    assert spot.details["on_demand_wall_hours"] == on_demand.time.wall_hours
    assert not any(k.startswith(("spot_", "on_demand_")) for k in on_demand.details)


def test_on_demand_side_uses_the_spot_count_when_on_demand_is_sized_differently(mini_catalog: Catalog):
    """With a deadline and no count, spot's preemptions can need more instances: the trade compares equal shapes."""
    text = (ROOT / "profiles" / "llama2-70b-pretrain.yaml").read_text()  # deadline 840 h, no count
    plan = make_plan(profile_from(text + "constraints: {providers: [aws], spot: allow}\n"), mini_catalog)
    p4de = "aws/us-east-1/p4de.24xlarge"
    pairs = {p.pricing: p for p in [plan.chosen, *plan.alternatives] if p is not None and p.offer == p4de}
    spot, ranked_od = pairs["spot"], pairs["on-demand"]
    assert spot.instances is not None and ranked_od.instances is not None and ranked_od.time.wall_hours is not None
    assert spot.instances > ranked_od.instances  # preemptions cost the spot run instances to meet the deadline
    offer = next(o for o in mini_catalog.offers if o.id == p4de)
    assert isinstance(offer, GpuOffer)
    od_wall = float(spot.details["on_demand_wall_hours"])
    assert od_wall < ranked_od.time.wall_hours  # more instances: sooner
    assert spot.details["on_demand_total_usd"] == pytest.approx(
        od_wall * spot.instances * offer.prices["on-demand"].usd, rel=1e-12
    )


def test_known_family_rate_is_used_over_the_default(mini_catalog: Catalog):
    plan = make_plan(profile_from(p5_profile(spot="only", count=64).replace("[aws]", "[aws, gcp]")), mini_catalog)
    by_offer = {p.offer: p for p in [plan.chosen, *plan.alternatives] if p}
    p5, a3 = by_offer[P5], by_offer["gcp/europe-west4/a3-highgpu-8g"]
    assert (p5.details["spot_interruptions_per_month"], p5.details["spot_rate_source"]) == (0.175, "aws p5.48xlarge")
    assert (a3.details["spot_interruptions_per_month"], a3.details["spot_rate_source"]) == (0.1, "default")
    assert DEFAULT_SPOT_INTERRUPTIONS == 0.1
    assert any("17.5% of instances interrupted per month (aws p5.48xlarge spot-risk row" in n for n in p5.assumptions)
    assert any("10% of instances interrupted per month (assumed;" in n for n in a3.assumptions)
    # a row for the GCP family, matched by instance prefix, replaces the default there and nowhere else
    catalog = with_spot_rows(mini_catalog, *mini_catalog.spot_risk, row("a3-highgpu", 0.3, provider="gcp"))
    plan = make_plan(profile_from(p5_profile(spot="only", count=64).replace("[aws]", "[aws, gcp]")), catalog)
    by_offer = {p.offer: p for p in [plan.chosen, *plan.alternatives] if p}
    assert by_offer["gcp/europe-west4/a3-highgpu-8g"].details["spot_rate_source"] == "gcp a3-highgpu"
    assert by_offer["gcp/europe-west4/a3-highgpu-8g"].details["spot_interruptions_per_month"] == 0.3
    assert by_offer[P5].details["spot_interruptions_per_month"] == 0.175


def test_checkpoint_interval_moves_the_overhead_as_the_formula_says(mini_catalog: Catalog):
    short, long = (spot_on_p5(mini_catalog, p5_profile(interval=i)) for i in (30, 60))
    # overhead = instances² × wall × rate / 730 × (interval / 2 + restart) / 60 × price: only wall and the
    # per-interruption loss (25 → 40 min) move
    ratio = long.time.wall_hours / short.time.wall_hours * (30 + 10) / (15 + 10)  # type: ignore[operator]
    assert long.details["spot_overhead_usd"] == pytest.approx(short.details["spot_overhead_usd"] * ratio, rel=1e-12)
    assert long.details["spot_lost_hours"] > short.details["spot_lost_hours"]
    # failures cost the on-demand run the longer interval too, and at its higher price: the saving need not fall
    assert long.details["on_demand_total_usd"] > short.details["on_demand_total_usd"]


@SETTINGS
@given(
    rate=st.floats(0.0, 2.0),
    interval=st.floats(1, 600),
    restart=st.floats(0, 600),
    more=st.floats(0.01, 100),
)
def test_placement_overhead_is_monotone(mini_catalog: Catalog, rate, interval, restart, more):
    def overhead(rate: float, interval: float, restart: float) -> float:
        catalog = with_spot_rows(mini_catalog, row("p5.", rate))
        return float(spot_on_p5(catalog, p5_profile(interval, restart, count=64)).details["spot_overhead_usd"])

    base = overhead(rate, interval, restart)
    assert overhead(rate + more, interval, restart) >= base
    assert overhead(rate, interval + more, restart) >= base
    assert overhead(rate, interval, restart + more) >= base


def test_offer_without_an_on_demand_price_shows_the_spot_side_only(mini_catalog: Catalog):
    def spot_only(offer: AnyOffer) -> AnyOffer:
        if not isinstance(offer, GpuOffer) or offer.id != P5:
            return offer
        return offer.model_copy(update={"prices": {"spot": offer.prices["spot"]}})

    catalog = mini_catalog.model_copy(update={"offers": [spot_only(o) for o in mini_catalog.offers]})
    p = spot_on_p5(catalog, p5_profile(spot="allow", count=64))
    assert "spot_overhead_usd" in p.details
    assert not {"on_demand_total_usd", "on_demand_wall_hours", "spot_saving_usd", "spot_saving_pct"} & set(p.details)
    text = text_of(make_plan(profile_from(p5_profile(spot="allow", count=64)), catalog))
    line = next(line for line in text.splitlines() if line.startswith(" aws/us-east-1/p5.48xlarge"))
    assert "no price" in line and line.rstrip().endswith("—")


# --- profile keys ---------------------------------------------------------------------------------------------


def test_defaults_are_labelled_assumptions_and_profile_values_are_not(mini_catalog: Catalog):
    given_both = spot_on_p5(mini_catalog, p5_profile(interval=20, restart=5, count=64))
    note = next(n for n in given_both.assumptions if n.startswith("spot:"))
    assert "half the 20-min checkpoint interval plus a 5-min restart" in note and "default" not in note
    text = p5_profile(count=64).replace(", checkpoint_interval_minutes: 30, restart_minutes: 10", "")
    defaults = spot_on_p5(mini_catalog, text)
    note = next(n for n in defaults.assumptions if n.startswith("spot:"))
    assert note.endswith(
        "half the 30-min checkpoint interval (default, an assumption) plus a 10-min restart (default, an assumption)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("checkpoint_interval_minutes: 0", "greater than 0"),
        ("checkpoint_interval_minutes: 20000", "less than or equal to 10080"),
        ("checkpoint_interval_minutes: 15m", "without a size suffix"),
        ("restart_minutes: -1", "greater than or equal to 0"),
        ("restart_minutes: 1e9", "less than or equal to 10080"),
        ("restart_minutes: .nan", "finite"),
        ("restart_mintues: 5", "restart_minutes"),
    ],
)
def test_checkpoint_and_restart_keys_are_validated(value: str, message: str):
    text = f"kind: training\nname: x\nmodel: {{parameters: 8B}}\ntraining:\n  tokens: 5B\n  {value}\n"
    with pytest.raises(ProfileError) as err:
        parse_profile(text, "p.yaml")
    shown = str(err.value) + (err.value.hint or "")
    assert message in shown
    assert err.value.location is not None and err.value.location.line == 6


# --- rendering ------------------------------------------------------------------------------------------------


def test_finetune_table_golden(mini_catalog: Catalog):
    doc = read_profile(ROOT / "profiles" / "finetune-8b.yaml")
    plan = make_plan(doc.profile, mini_catalog, file="profiles/finetune-8b.yaml")
    text = text_of(plan)
    check_golden("finetune-8b.table.txt", text)
    check_golden("finetune-8b.json", to_json(plan))
    assert "Spot vs on-demand" in text
    assert len(spot_placements(plan)) == sum(p.pricing == "spot" for p in [plan.chosen, *plan.alternatives] if p)
    assert max(len(line) for line in text.splitlines()) <= 120


def test_spot_figures_are_json_numbers(mini_catalog: Catalog):
    plan = make_plan(profile_from(p5_profile()), mini_catalog)
    details = json.loads(to_json(plan))["chosen"]["details"]
    numbers = [k for k in details if k.startswith(("spot_", "on_demand_")) and k != "spot_rate_source"]
    assert len(numbers) == 8 and all(type(details[k]) is float for k in numbers)


@pytest.mark.parametrize("name", ["llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"])
def test_plans_without_spot_have_no_spot_section(name: str, mini_catalog: Catalog):
    plan = make_plan(read_profile(ROOT / "profiles" / f"{name}.yaml").profile, mini_catalog)
    assert spot_placements(plan) == []
    assert "Spot vs on-demand" not in text_of(plan)
