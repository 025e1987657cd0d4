"""The shortlist (placer replan's planner) is make_plan's ranking cut short: same chosen placement, same
alternatives, same budget verdict — on the bundled profiles and on generated profiles × generated markets."""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import MINI_CATALOG, profile_from
from tests.test_properties import scale_prices

from placer.catalog.loader import embedded_catalog
from placer.catalog.models import Catalog
from placer.errors import PlacerError
from placer.plan import Plan
from placer.planner import PlanOptions, context_for, make_plan
from placer.profile import load_profile
from placer.shortlist import Shortlister, shortlist

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "profiles").glob("*.yaml"))
MINI = Catalog.model_validate_json(MINI_CATALOG.read_text())


def assert_same_top(full: Plan, short: Plan) -> None:
    assert short.chosen == full.chosen
    assert short.alternatives == full.alternatives
    assert short.budget == full.budget
    assert short.objective == full.objective
    assert short.assumptions == full.assumptions
    assert short.rejected == []
    if full.workload.kind == "apple-build":  # one pair per Mac offer, so the two count the same things
        # the shortlist counts the rejections it met (the filters', the pairs it examined, those rejected in bulk
        # with them): a part of make_plan's, each with an example make_plan gives for that reason too
        full_counts = {g.code: g.count for g in full.rejected_summary}
        reasons = {(r.code, r.reason) for r in full.rejected}
        for group in short.rejected_summary:
            assert group.count <= full_counts.get(group.code, 0), (group, full.rejected_summary)
            assert (group.code, group.example) in reasons, group


@pytest.fixture(scope="module")
def embedded() -> tuple[Catalog, Shortlister]:
    catalog = embedded_catalog()
    return catalog, Shortlister(catalog)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("objective", ["cost", "time", "balanced"])
def test_bundled_profiles_shortlist_as_make_plan_ranks(path: Path, objective: str, embedded):
    catalog, engine = embedded
    profile = load_profile(path)
    for count in (0, 1, 5):
        options = PlanOptions(alternatives=count, objective=objective)  # type: ignore[arg-type]
        assert_same_top(make_plan(profile, catalog, options), engine.shortlist(profile, options).plan)


@pytest.mark.parametrize("kinds", [("api",), ("gpu",), ("api", "gpu")])
@pytest.mark.parametrize("objective", ["cost", "time", "balanced"])
def test_markets_of_one_kind_shortlist_as_make_plan_ranks(kinds: tuple[str, ...], objective: str):
    """Per-shape figures need a GPU shape to exist: a market of per-token APIs alone has none."""
    market = MINI.model_copy(update={"offers": [o for o in MINI.offers if o.kind in kinds]})
    for path in PROFILES:
        profile = load_profile(path)
        if profile.kind != "inference" or profile.data is not None:
            continue
        options = PlanOptions(alternatives=3, objective=objective)  # type: ignore[arg-type]
        assert_same_top(make_plan(profile, market, options), shortlist(profile, market, options).plan)


def test_macs_rejected_for_memory_or_farm_size_are_counted_in_bulk_as_make_plan_counts_them():
    """One Mac short of memory, or one farm too large for its chip, rejects its like without examining each."""
    profile = profile_from(
        "kind: apple-build\nname: b\nbuild: {jobs_per_day: 2500000, minutes_per_job: 60, max_queue_wait_minutes: 5, "
        "working_hours_per_day: 8, min_memory_gb: 16}\n"
    )
    full, short = (
        make_plan(profile, MINI, PlanOptions(alternatives=2)),
        shortlist(profile, MINI, PlanOptions(alternatives=2)),
    )
    assert_same_top(full, short.plan)
    assert [(g.code, g.count) for g in short.plan.rejected_summary] == [("kind", 15), ("memory", 3), ("capacity", 2)]
    assert short.plan.rejected_summary == full.rejected_summary
    assert short.examined == 3


def test_filter_counts_match_make_plan_and_examined_is_a_small_share(embedded):
    catalog, engine = embedded
    profile = profile_from(
        "kind: training\nname: t\nmodel: {parameters: 8B}\ntraining: {tokens: 200B}\n"
        "resources: {accelerators: [H100]}\nconstraints: {exclude_providers: [meta], regions: ['us-*']}\n"
    )
    found = engine.shortlist(profile)
    full = make_plan(profile, catalog)
    by_code = {g.code: g.count for g in full.rejected_summary}
    short = {g.code: g.count for g in found.plan.rejected_summary}
    for code in ("kind", "provider", "region", "accelerator"):
        assert short.get(code) == by_code.get(code), code
    filtered = {r.offer for r in full.rejected if r.code in ("kind", "provider", "region", "accelerator")}
    on_demand = [o for o in catalog.offers if o.id not in filtered and "on-demand" in getattr(o, "prices", {})]
    assert found.candidates == len(on_demand)
    assert found.examined < found.candidates


def test_one_estimate_serves_a_whole_shape_of_a_large_market():
    """50 copies of every GPU offer in other regions: the shortlist prices a small share of them exactly."""
    copies = []
    for offer in MINI.offers:
        copies.append(offer)
        if offer.kind == "gpu":
            for k in range(50):
                copies.append(scale_prices(offer.model_copy(update={"id": f"{offer.id}#{k:02d}"}), 1 + k / 100))
    market = MINI.model_copy(update={"offers": copies})
    profile = profile_from("kind: training\nname: t\nmodel: {parameters: 8B}\ntraining: {tokens: 100B}\n")
    found = shortlist(profile, market)
    assert_same_top(make_plan(profile, market), found.plan)
    assert found.candidates > 500
    assert found.examined < found.candidates
    assert found.estimates <= 12  # one per hardware shape at most, not one per offer


def _with_reserved(offer):
    """A GPU offer with a reserved price (60 % of its on-demand) where it has none."""
    if offer.kind != "gpu" or "reserved" in offer.prices or "on-demand" not in offer.prices:
        return offer
    od = offer.prices["on-demand"]
    reserved = od.model_copy(update={"usd": od.usd * 0.6, "basis": "reserved_1yr_no_upfront"})
    return offer.model_copy(update={"prices": {**offer.prices, "reserved": reserved}})


def test_on_demand_and_reserved_pairs_of_a_shape_share_one_training_estimate():
    """The price only scales a training run's cost: a shape's on-demand and reserved pairs are one estimate."""
    market = MINI.model_copy(update={"offers": [_with_reserved(o) for o in MINI.offers]})
    text = "kind: training\nname: t\nmodel: {parameters: 8B}\ntraining: {tokens: 300B}\n"
    on_demand = shortlist(profile_from(text), market)
    profile = profile_from(text + "constraints: {reserved: allow}\n")
    both = shortlist(profile, market)
    assert_same_top(make_plan(profile, market), both.plan)
    assert both.candidates == 2 * on_demand.candidates
    assert both.estimates == on_demand.estimates
    assert both.plan.chosen is not None and both.plan.chosen.pricing == "reserved"


def test_offers_differing_only_in_interconnect_or_cap_share_one_serving_estimate():
    """A serving estimate reads the accelerator, how many and their memory: not the interconnect or the cap."""
    copies = []
    for offer in MINI.offers:
        copies.append(offer)
        if offer.kind == "gpu":
            other = "ethernet" if offer.interconnect != "ethernet" else "infiniband"
            copies.append(offer.model_copy(update={"id": f"{offer.id}#eth", "interconnect": other}))
            copies.append(offer.model_copy(update={"id": f"{offer.id}#cap", "max_instances": 3}))
    market = MINI.model_copy(update={"offers": copies})
    text = (
        "kind: inference\nname: i\nmodel: {name: llama-3.1-8b, parameters: 8B}\n"
        "inference: {requests_per_second: 5, input_tokens: 500, output_tokens: 200, hosted_api: false}\n"
    )
    profile = profile_from(text)
    alone = shortlist(profile, MINI)
    found = shortlist(profile, market)
    assert_same_top(make_plan(profile, market), found.plan)
    assert found.candidates == 3 * alone.candidates
    assert found.estimates == alone.estimates


def test_the_users_rtt_rows_are_kept_per_list_of_places_and_cannot_be_changed(embedded):
    """A fleet repeats a few lists of user places: each list's RTTs are worked out once, and shared read-only."""
    market = embedded[1].market

    def ctx(users: str):
        text = (
            "kind: inference\nname: i\nmodel: {name: llama-3.1-8b, parameters: 8B}\n"
            f"inference: {{requests_per_second: 5, input_tokens: 500, output_tokens: 200, user_regions: {users}}}\n"
        )
        return context_for(profile_from(text), market.index)

    first = market.rtts(ctx("[us-east, eu-west]"))
    again = market.rtts(ctx("[us-east, eu-west]"))
    assert again[0] is first[0] and again[1] is first[1]
    swapped = market.rtts(ctx("[eu-west, us-east]"))
    assert swapped[1].tolist() == first[1].tolist()  # the worst is the same; the mean is summed in the users' order
    with pytest.raises(ValueError, match="read-only"):
        first[0][0] = 1.0
    one = market.rtts(ctx("[us-east]"))
    east = market.rtt_row(ctx("[us-east]").user_regions[0])
    assert one[0].tolist() == east.tolist() == one[1].tolist()


# --- generated profiles × generated markets ------------------------------------------------------------------

objective = st.sampled_from(["", "objective: cost\n", "objective: time\n", "objective: balanced\n"])
constraints = st.sampled_from(
    [
        "",
        "constraints: {spot: allow}\n",
        "constraints: {spot: only}\n",
        "constraints: {spot: allow, reserved: allow}\n",
        "constraints: {regions: ['us-*']}\n",
        "constraints: {providers: [aws, runpod, gcp, lambda, crusoe]}\n",
        "constraints: {exclude_providers: [meta]}\n",
    ]
)
data = st.sampled_from(
    ["", "data: {size_gb: 2000, location: aws/us-east-1}\n", "data: {size_gb: 50000, location: gcp/us-central1}\n"]
)
budget = st.sampled_from(
    ["", "budget: {max_usd: 1000}\n", "budget: {max_usd: 50000}\n", "budget: {max_usd: 2000000}\n"]
)

training = st.builds(
    lambda params, tokens, sizing, acc, c, d, o, b: (
        f"kind: training\nname: t\nmodel: {{parameters: {params}B}}\ntraining: {{tokens: {tokens}B}}\n"
        f"{sizing}{acc}{c}{d}{o}{b}"
    ),
    st.sampled_from([1, 8, 34, 70]),
    st.sampled_from([20, 300, 2000]),
    st.sampled_from(["", "resources: {count: 16}\n", "deadline_hours: 400\n", "deadline_hours: 48\n"]),
    st.sampled_from(["", "# any accelerator\n"]),
    constraints,
    data,
    objective,
    budget,
)
inference = st.builds(
    lambda params, name, rps, inp, out, slo, users, c, o, b, d: (
        f"kind: inference\nname: i\nmodel: {{name: {name}, parameters: {params}B}}\n"
        f"inference: {{requests_per_second: {rps}, input_tokens: {inp}, output_tokens: {out}{slo}{users}}}\n"
        f"{c}{o}{b}{d}"
    ),
    st.sampled_from([8, 70]),
    st.sampled_from(["llama-3.3-70b", "llama-3.1-8b", "muse-spark"]),
    st.sampled_from([1, 5, 40]),
    st.sampled_from([200, 2000]),
    st.sampled_from([50, 400]),
    st.sampled_from(["", ", slo: {p95_latency_ms: 2500}", ", slo: {p95_latency_ms: 9000}"]),
    st.sampled_from(["", ", user_regions: [us-east]", ", user_regions: [us-east, eu-west]"]),
    constraints,
    objective,
    budget,
    data,
)
builds = st.builds(
    lambda jobs, minutes, wait, hours, memory, o, b: (
        f"kind: apple-build\nname: b\nbuild: {{jobs_per_day: {jobs}, minutes_per_job: {minutes}, "
        f"max_queue_wait_minutes: {wait}, working_hours_per_day: {hours}{memory}}}\n{o}{b}"
    ),
    st.sampled_from([5, 120, 900, 2_500_000]),  # the last: farms of the slower chips are too large (capacity)
    st.sampled_from([3, 18, 60]),
    st.sampled_from([0, 5, 30]),
    st.sampled_from([8, 24]),
    st.sampled_from(["", ", min_memory_gb: 16", ", min_memory_gb: 48"]),  # some Macs too small, some not listed
    objective,
    budget,
)


@st.composite
def markets(draw: st.DrawFn) -> Catalog:
    """The mini catalog with offers copied across the same provider's regions at equal or shifted prices
    (equal prices exercise the tie-breaks), some offers dropped, some re-priced."""
    regions = list(MINI.regions)
    offers = []
    for offer in MINI.offers:
        if draw(st.integers(0, 9)) == 0:
            continue
        offers.append(scale_prices(offer, draw(st.sampled_from([1.0, 1.0, 0.7, 1.3]))))
        places = [k.split("/", 1)[1] for k in regions if k.startswith(offer.provider + "/")]
        for k in range(draw(st.integers(0, 3))):
            region = draw(st.sampled_from(places))
            copy = offer.model_copy(update={"id": f"{offer.id}@{region}#{k}", "region": region})
            offers.append(scale_prices(copy, draw(st.sampled_from([1.0, 0.9, 1.1]))))
    return MINI.model_copy(update={"offers": offers})


@settings(
    max_examples=int(os.environ.get("PLACER_SHORTLIST_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=st.one_of(training, inference, builds), market=markets(), count=st.sampled_from([0, 2, 5]))
def test_shortlist_is_make_plan_cut_short(text: str, market: Catalog, count: int):
    profile = profile_from(text)
    options = PlanOptions(alternatives=count)
    try:
        full = make_plan(profile, market, options)
    except PlacerError as exc:  # a name the market lacks: the same error, raised before any scoring
        with pytest.raises(PlacerError, match=re.escape(exc.message)):
            shortlist(profile, market, options)
        return
    assert_same_top(full, shortlist(profile, market, options).plan)


@pytest.mark.parametrize(
    "patterns",
    [("us-*",), ("eu-*", "*west*"), ("aws/us-east-1",), ("us-east",), ("*",), ("[ae]*-?",), ("nowhere",)],
)
def test_region_masks_match_what_the_index_matches(patterns: tuple[str, ...], embedded):
    """Both planners match region patterns through CatalogIndex.regions_matching (once per pattern and name); the
    answer is fnmatchcase's on each region's name, its provider/region key and its geo."""
    catalog, engine = embedded
    market = engine.market

    def reference(provider: str, region: str) -> bool:
        info = catalog.regions.get(f"{provider}/{region}")
        names = [region, f"{provider}/{region}"] + ([info.geo] if info else [])
        return any(fnmatchcase(n, p) for p in patterns for n in names)

    keys = market.columns.region_keys
    expected = [reference(*k.split("/", 1)) for k in keys]
    assert market.region_mask(patterns).tolist() == expected
    assert [market.index.region_matches(patterns, *k.split("/", 1)) for k in keys] == expected
    assert any(expected) or patterns == ("nowhere",)


def test_an_empty_market_shortlists_as_make_plan_plans():
    """No offers at all (an emptied snapshot), with and without region constraints: nothing feasible, no crash."""
    market = MINI.model_copy(update={"offers": []})
    planned = 0
    for path in PROFILES:
        profile = load_profile(path)
        if profile.data is not None:
            continue
        for regions in (None, ["us-*"]):
            constrained = profile.model_copy(
                update={"constraints": profile.constraints.model_copy(update={"regions": regions})}
            )
            try:
                full = make_plan(constrained, market, PlanOptions(alternatives=2))
            except PlacerError as exc:  # a provider the empty market does not know: the same error from both
                with pytest.raises(PlacerError, match=re.escape(exc.message)):
                    shortlist(constrained, market, PlanOptions(alternatives=2))
                continue
            assert_same_top(full, shortlist(constrained, market, PlanOptions(alternatives=2)).plan)
            assert full.chosen is None
            planned += 1
    assert planned >= 8


@pytest.mark.filterwarnings("error")
@given(st.lists(st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 5e-324, -1.7976931348623157e308])), max_size=50))
def test_bounds_are_made_finite_bit_for_bit_as_nan_to_num_does(values: list[float]):
    """NaN to 0.0 and ±inf to the largest finite float, in place; every other bit pattern (-0.0 too) kept; and no
    numpy warning on the way (a sum that overflows is only a test)."""
    import numpy as np

    from placer.shortlist.pairs import _finite

    mine = np.array(values, dtype=np.float64)
    _finite(mine)
    expected = np.nan_to_num(np.array(values, dtype=np.float64), nan=0.0)
    assert mine.view(np.int64).tolist() == expected.view(np.int64).tolist()


@pytest.mark.parametrize(
    "text",
    [
        "kind: training\nname: t\nmodel: {parameters: 8B}\ntraining: {tokens: 300B}\n"
        "constraints: {spot: allow, reserved: allow}\n",
        "kind: training\nname: t\nmodel: {parameters: 70B}\ntraining: {tokens: 2000B}\ndeadline_hours: 400\n"
        "constraints: {spot: allow, reserved: allow}\ndata: {size_gb: 2000, location: aws/us-east-1}\n",
        "kind: inference\nname: i\nmodel: {name: llama-3.3-70b, parameters: 70B}\n"
        "inference: {requests_per_second: 5, input_tokens: 2000, output_tokens: 400, user_regions: [us-east]}\n"
        "constraints: {spot: allow, reserved: allow}\n",
    ],
)
def test_scoring_one_pricing_places_it_as_scoring_them_all_does(text: str):
    """The shortlist places a pair by scoring its pricing alone: the same placement as the full scorer's."""
    from placer.catalog.index import CatalogIndex
    from placer.placements import inference as inference_scorer
    from placer.placements import training as training_scorer
    from placer.placements.common import Rejected

    market = MINI.model_copy(update={"offers": [_with_reserved(o) for o in MINI.offers]})
    profile = profile_from(text)
    ctx = context_for(profile, CatalogIndex(market))
    compared = 0
    for offer in market.offers:
        if offer.kind != "gpu":
            continue
        score = training_scorer.score if profile.kind == "training" else inference_scorer.score_gpu
        try:
            every = score(offer, profile, ctx)  # type: ignore[arg-type]
        except Rejected:
            continue
        for placement in every:
            assert score(offer, profile, ctx, only=placement.pricing) == [placement]  # type: ignore[arg-type]
            compared += 1
    assert compared >= 10
