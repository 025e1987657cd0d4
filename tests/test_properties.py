"""Invariants of planning, over generated workloads and perturbed catalogs (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import MINI_CATALOG, profile_from

from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer
from placer.errors import PlacerError
from placer.placements.common import is_assumed
from placer.plan import Placement
from placer.planner import make_plan
from placer.profile import parse_profile
from placer.render.json_out import to_json

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CATALOG = Catalog.model_validate_json(MINI_CATALOG.read_text())


def scale_prices(offer: GpuOffer | ApiOffer | MacOffer, factor: float) -> GpuOffer | ApiOffer | MacOffer:
    def bump(price):  # type: ignore[no-untyped-def]
        return price.model_copy(update={"usd": price.usd * factor})

    if isinstance(offer, GpuOffer):
        return offer.model_copy(update={"prices": {k: bump(v) for k, v in offer.prices.items()}})
    if isinstance(offer, ApiOffer):
        return offer.model_copy(
            update={
                "input_usd_per_mtok": bump(offer.input_usd_per_mtok),
                "output_usd_per_mtok": bump(offer.output_usd_per_mtok),
            }
        )
    return offer.model_copy(update={"plans": [p.model_copy(update={"price": bump(p.price)}) for p in offer.plans]})


def no_better(a: Placement, b: Placement) -> bool:
    """a ranks no better than b under objective cost: sourced prices first, then cost (within rounding)."""
    if is_assumed(a) != is_assumed(b):
        return is_assumed(a)
    return a.cost.total_usd >= b.cost.total_usd * (1 - 1e-12)


def with_offers(offers: list) -> Catalog:  # type: ignore[type-arg]
    return CATALOG.model_copy(update={"offers": offers})


training = st.builds(
    lambda params, tokens, count: (
        f"kind: training\nname: t\nmodel: {{parameters: {params}B}}\ntraining: {{tokens: {tokens}B}}\n"
        f"resources: {{count: {count}}}\n"
    ),
    st.integers(1, 70),
    st.integers(1, 500),
    st.sampled_from([8, 16, 64]),
)
inference = st.builds(
    lambda params, rps, inp, out: (
        f"kind: inference\nname: i\nmodel: {{name: llama-3.3-70b, parameters: {params}B}}\n"
        f"inference: {{requests_per_second: {rps}, input_tokens: {inp}, output_tokens: {out}}}\n"
    ),
    st.sampled_from([8, 70]),
    st.integers(1, 50),
    st.integers(10, 4000),
    st.integers(10, 1000),
)
builds = st.builds(
    lambda jobs, minutes, wait, hours: (
        f"kind: apple-build\nname: b\nbuild: {{jobs_per_day: {jobs}, minutes_per_job: {minutes}, "
        f"max_queue_wait_minutes: {wait}, working_hours_per_day: {hours}}}\n"
    ),
    st.integers(1, 400),
    st.integers(1, 120),
    st.integers(0, 60),
    st.integers(1, 24),
)
workloads = st.one_of(training, inference, builds)


@SETTINGS
@given(text=workloads, index=st.integers(0, 10_000), factor=st.floats(1.0, 5.0))
def test_raising_a_price_never_lowers_the_best_cost(text: str, index: int, factor: float):
    profile = profile_from(text)
    before = make_plan(profile, CATALOG)
    offers = list(CATALOG.offers)
    i = index % len(offers)
    offers[i] = scale_prices(offers[i], factor)
    after = make_plan(profile, with_offers(offers))
    if before.chosen is None:
        assert after.chosen is None
        return
    assert after.chosen is not None
    assert no_better(after.chosen, before.chosen)


@SETTINGS
@given(text=workloads, index=st.integers(0, 10_000))
def test_adding_an_offer_never_raises_the_best_cost(text: str, index: int):
    profile = profile_from(text)
    offers = list(CATALOG.offers)
    fewer = offers[: index % len(offers)] + offers[index % len(offers) + 1 :]
    small, full = make_plan(profile, with_offers(fewer)), make_plan(profile, CATALOG)
    if small.chosen is not None:
        assert full.chosen is not None
        assert no_better(small.chosen, full.chosen)


@SETTINGS
@given(text=workloads)
def test_removing_the_chosen_offer_picks_the_next_best(text: str):
    profile = profile_from(text)
    plan = make_plan(profile, CATALOG)
    if plan.chosen is None:
        return
    rest = [o for o in CATALOG.offers if o.id != plan.chosen.offer]
    again = make_plan(profile, with_offers(rest))
    if not plan.alternatives:
        return
    assert again.chosen is not None
    assert again.chosen.offer != plan.chosen.offer
    assert no_better(again.chosen, plan.chosen)
    assert no_better(plan.alternatives[0], again.chosen)


@SETTINGS
@given(text=workloads, limit=st.floats(1, 1e8))
def test_budget_verdict_agrees_with_totals(text: str, limit: float):
    plan = make_plan(profile_from(text + f"budget: {{max_usd: {limit!r}}}\n"), CATALOG)
    if plan.chosen is None:
        assert plan.budget.total_usd is None
        return
    assert plan.budget.total_usd == plan.chosen.cost.total_usd
    assert plan.budget.status == ("over" if plan.chosen.cost.total_usd > limit else "within")
    if plan.budget.status == "over":  # nothing within budget was passed over
        assert all(p.cost.total_usd > limit for p in plan.alternatives)


@SETTINGS
@given(text=workloads)
def test_identical_inputs_give_identical_json(text: str):
    profile = profile_from(text)
    assert to_json(make_plan(profile, CATALOG)) == to_json(make_plan(profile, CATALOG))


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["training", "inference", "apple-build"]),
    values=st.lists(st.one_of(st.integers(-10, 10**13), st.floats(allow_nan=True), st.text(max_size=8)), min_size=6),
)
def test_no_traceback_for_any_numbers(kind: str, values: list):  # type: ignore[type-arg]
    v = [repr(x) if isinstance(x, float) else x for x in values]
    text = {
        "training": f"kind: training\nname: x\nmodel: {{parameters: {v[0]}}}\ntraining: {{tokens: {v[1]}}}\n"
        f"resources: {{count: {v[2]}}}\ndeadline_hours: {v[3]}\n",
        "inference": f"kind: inference\nname: x\nmodel: {{parameters: {v[0]}}}\ninference: {{requests_per_second: "
        f"{v[1]}, input_tokens: {v[2]}, output_tokens: {v[3]}, hours_per_day: {v[4]}}}\n",
        "apple-build": f"kind: apple-build\nname: x\nbuild: {{jobs_per_day: {v[0]}, minutes_per_job: {v[1]}, "
        f"max_queue_wait_minutes: {v[2]}, working_hours_per_day: {v[3]}}}\n",
    }[kind]
    try:
        profile = parse_profile(text, "gen.yaml").profile
        plan = make_plan(profile, CATALOG)
        to_json(plan)
    except PlacerError:
        pass  # a clear, typed error is the right outcome for nonsense input
