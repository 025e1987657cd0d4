"""The cost/time frontier: exact on hand-checked lists, the definition as properties, and how it meets the ranking.

Golden tables for ``placer plan --pareto`` (regenerate with PLACER_UPDATE_GOLDEN=1 and review the diff).
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import ROOT
from tests.test_render import check_golden

from placer.catalog.models import Catalog
from placer.pareto import TIME_TOLERANCE, dominates, faster, frontier, metric
from placer.placements.common import ASSUMED, CAVEAT, is_assumed
from placer.plan import Cost, Latency, Placement, Plan, Time
from placer.planner import PlanOptions, make_plan, rank
from placer.profile import read_profile
from placer.render.json_out import to_json
from placer.render.pareto_view import pareto_table
from placer.render.table import plain_text


def placement(
    name: str, cost: float, time: float | None, kind: str = "training", *, assumed: bool = False
) -> Placement:
    """A placement with just what the frontier and the ranking read: cost, time for its kind, assumed or not."""
    training = kind == "training"
    return Placement(
        offer=name,
        provider=name.split("/", maxsplit=1)[0],
        region="r",
        instance="i",
        accelerator="H100",
        accelerator_count=8,
        instances=1,
        pricing="on-demand",
        cost=Cost(total_usd=cost, compute_usd=cost, period="run" if training else "month"),
        time=Time(wall_hours=time if training else 1.0),
        latency=Latency(p95_ms=None if training else time),
        assumptions=[f"{CAVEAT}price for {name} {ASSUMED}: test"] if assumed else [],
    )


def names(placements: list[Placement]) -> list[str]:
    return [p.offer for p in placements]


# --- exact, by hand ------------------------------------------------------------------------------------------------


def test_frontier_by_hand_with_ties_and_dominated_points():
    a = placement("a", 10, 100)
    b = placement("b", 20, 50)
    c = placement("c", 20, 60)  # same cost as b, slower: dominated
    d = placement("d", 30, 50)  # same time as b, dearer: dominated
    e = placement("e", 15, 120)  # dearer and slower than a
    f = placement("f", 10, 100)  # a's twin, later in the input: a stands for both
    g = placement("g", 40, 10)
    h = placement("h", 50, 10)  # same time as g, dearer
    i = placement("i", 5, 500)  # cheapest of all: on the frontier however slow
    assert names(frontier([a, b, c, d, e, f, g, h, i], "training")) == ["i", "a", "b", "g"]


def test_twins_keep_the_first_in_the_input_order():
    a, f = placement("a", 10, 100), placement("f", 10, 100)
    assert names(frontier([a, f], "training")) == ["a"]
    assert names(frontier([f, a], "training")) == ["f"]


def test_sorted_by_cost_with_time_strictly_falling():
    points = [placement(f"p{n}", cost, time) for n, (cost, time) in enumerate([(40, 1), (10, 9), (20, 5), (30, 2)])]
    got = frontier(points, "training")
    assert names(got) == ["p1", "p2", "p3", "p0"]
    assert [p.cost.total_usd for p in got] == [10, 20, 30, 40]
    assert [p.time.wall_hours for p in got] == [9, 5, 2, 1]


def test_the_metric_follows_the_kind():
    # inference and apple-build are judged by p95 latency, training by wall hours
    cheap_slow, dear_fast = placement("x", 10, 900, "inference"), placement("y", 20, 300, "inference")
    assert names(frontier([dear_fast, cheap_slow], "inference")) == ["x", "y"]
    assert names(frontier([dear_fast, cheap_slow], "apple-build")) == ["x", "y"]
    assert metric(cheap_slow, "inference") == 900
    assert metric(cheap_slow, "training") == 1.0  # its wall_hours, not its latency
    # read as training (wall time 1.0 for both), the dearer one is dominated
    assert names(frontier([dear_fast, cheap_slow], "training")) == ["x"]


def test_placements_without_a_comparable_time_are_left_out():
    no_time = placement("none", 1, None)
    endless = placement("inf", 1, float("inf"))
    ok = placement("ok", 5, 10)
    assert names(frontier([no_time, endless, ok], "training")) == ["ok"]
    assert metric(no_time, "training") is None
    assert not dominates(no_time, ok, "training")
    assert frontier([], "training") == []


def test_dominates_needs_one_strict_improvement():
    assert dominates(placement("a", 10, 10), placement("b", 10, 11), "training")
    assert dominates(placement("a", 9, 10), placement("b", 10, 10), "training")
    assert not dominates(placement("a", 10, 10), placement("b", 10, 10), "training")
    assert not dominates(placement("a", 9, 11), placement("b", 10, 10), "training")


def test_near_ties_in_time_are_ties():
    # the review's case: "faster by 0 min" at six times the cost is no trade
    cheap = placement("cheap", 2_500_000, 1408.7)
    dear = placement("dear", 15_000_000, 1408.4)  # 0.02 % faster
    assert names(frontier([cheap, dear], "training")) == ["cheap"]
    assert dominates(cheap, dear, "training") and not dominates(dear, cheap, "training")
    # 0.2 % faster is a real, if small, trade
    assert names(frontier([cheap, placement("dear", 15_000_000, 1405.0)], "training")) == ["cheap", "dear"]
    # equal cost, times within the tolerance: near-twins, and the faster stands for both
    assert names(frontier([placement("a", 10, 1000.0), placement("b", 10, 999.5)], "training")) == ["b"]
    assert not dominates(placement("a", 10, 1000.0), placement("b", 10, 999.5), "training")
    assert faster(998.9, 1000.0) and not faster(999.0, 1000.0) and TIME_TOLERANCE == 1e-3


# --- the definition, as properties --------------------------------------------------------------------------------

# small integer grids, so ties in cost, time and both come up often
pairs = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 12)), max_size=40)


def near_twin(q: Placement, p: Placement, points: list[Placement]) -> bool:
    """``q`` stands for ``p``: same cost, times within the tolerance, ``q`` first in (time, input order)."""
    tq, tp = q.time.wall_hours or 0.0, p.time.wall_hours or 0.0
    return (
        q.cost.total_usd == p.cost.total_usd
        and not faster(tq, tp)
        and not faster(tp, tq)
        and (tq, points.index(q)) < (tp, points.index(p))
    )


def check_frontier(points: list[Placement]) -> None:
    got = frontier(points, "training")
    on = {p.offer for p in got}
    for p in got:  # no frontier point is dominated by any feasible point, nor stands in for by a near-twin
        assert not any(dominates(q, p, "training") or near_twin(q, p, points) for q in points)
    for p in points:  # every other point is dominated (within the tolerance), or has a near-twin standing for it
        if p.offer not in on:
            assert any(dominates(q, p, "training") or near_twin(q, p, points) for q in points)
    brute = [p for p in points if not any(dominates(q, p, "training") or near_twin(q, p, points) for q in points)]
    assert names(got) == names(sorted(brute, key=lambda p: p.cost.total_usd))
    costs = [p.cost.total_usd for p in got]
    times = [p.time.wall_hours or 0 for p in got]
    assert costs == sorted(set(costs))
    assert all(faster(b, a) for a, b in itertools.pairwise(times))


@settings(max_examples=300, deadline=None)
@given(pairs)
def test_frontier_is_exactly_the_undominated_first_of_each_twin_set(values: list[tuple[int, int]]):
    check_frontier([placement(f"p{i}", cost, time) for i, (cost, time) in enumerate(values)])


# times 1000 h minus up to 3 h in 0.25 h steps: most pairs are within the 0.1 % tolerance, chains of them common
near_pairs = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(near_pairs)
def test_frontier_with_near_ties(values: list[tuple[int, int]]):
    check_frontier([placement(f"p{i}", cost, 1000.0 - step * 0.25) for i, (cost, step) in enumerate(values)])


ranked_inputs = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12), st.booleans()), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(ranked_inputs, st.one_of(st.none(), st.integers(1, 12)))
def test_objective_cost_chooses_the_cheapest_frontier_point_of_the_sourced_prices(
    values: list[tuple[int, int, bool]], budget: int | None
):
    """What is actually true of the planner's ranking under objective=cost.

    It sorts by (over budget, assumed price, cost, time, ...). Over budget alone orders as cost does (it is a
    cost threshold), but an assumed price ranks after every sourced one within the same side of the budget. So
    the chosen placement is the cheapest frontier point of the first non-empty group of: within budget and
    sourced, within budget and assumed, over and sourced, over and assumed. It is the cheapest point of the
    whole frontier when no price is assumed, and on the frontier at all only when no assumed price beats it.
    """
    points = [placement(f"p{i}", c, t, assumed=a) for i, (c, t, a) in enumerate(values)]
    ranked = rank(points, "cost", budget)
    chosen = ranked[0]
    whole = frontier(ranked, "training")

    def over(p: Placement) -> bool:
        return budget is not None and p.cost.total_usd > budget

    groups = [[p for p in ranked if over(p) is o and is_assumed(p) is a] for o in (False, True) for a in (False, True)]
    first = next(g for g in groups if g)
    assert chosen == frontier(first, "training")[0]
    if not any(is_assumed(p) for p in points):
        assert chosen == whole[0]
    if chosen in whole:
        assert not any(dominates(q, chosen, "training") for q in points)
    else:  # only a price the planner ranks after it can beat it
        assert any(dominates(q, chosen, "training") for q in points if is_assumed(q))


@settings(max_examples=300, deadline=None)
@given(ranked_inputs, st.one_of(st.none(), st.integers(1, 12)))
def test_objective_time_chooses_the_fastest_frontier_point_within_budget(
    values: list[tuple[int, int, bool]], budget: int | None
):
    """Under objective=time the budget does matter: the fastest placement may be over it."""
    points = [placement(f"p{i}", c, t) for i, (c, t, _) in enumerate(values)]
    ranked = rank(points, "time", budget)
    whole = frontier(ranked, "training")
    within = [p for p in whole if budget is None or p.cost.total_usd <= budget]
    assert ranked[0] == (within[-1] if within else whole[-1])


# --- through make_plan ----------------------------------------------------------------------------------------------


def _plan(name: str, catalog: Catalog, *, pareto: bool = False) -> Plan:
    doc = read_profile(ROOT / "profiles" / f"{name}.yaml")
    return make_plan(doc.profile, catalog, PlanOptions(pareto=pareto), file=f"profiles/{name}.yaml")


@pytest.mark.parametrize("name", ["llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"])
def test_pareto_option_adds_the_frontier_and_changes_nothing_else(name: str, mini_catalog: Catalog):
    plain, with_frontier = _plan(name, mini_catalog), _plan(name, mini_catalog, pareto=True)
    assert plain.pareto is None and plain.scored is None
    assert "pareto" not in json.loads(to_json(plain))
    data = json.loads(to_json(with_frontier))
    assert "scored" not in data  # carried for the chart only
    assert [p["offer"] for p in data.pop("pareto")] == names(with_frontier.pareto or [])
    assert data == json.loads(to_json(plain))
    assert with_frontier.scored is not None
    assert with_frontier.pareto == frontier(with_frontier.scored, with_frontier.workload.kind)


def test_mini_catalog_frontiers_by_hand(mini_catalog: Catalog):
    chat = _plan("chat-70b-service", mini_catalog, pareto=True)
    assert names(chat.pareto or []) == [
        "meta/muse-spark",  # assumed price: cheapest, so on the frontier, but ranked after sourced prices
        "runpod/us/h100-sxm-secure-x8",
        "lambda/us-east-1/gpu_8x_h100_sxm5",
    ]
    assert chat.chosen == (chat.pareto or [])[1]
    assert [round(p.cost.total_usd) for p in chat.pareto or []] == [16640, 20382, 23302]
    ios = _plan("ios-app-ci", mini_catalog, pareto=True)
    assert names(ios.pareto or []) == ["macstadium/us-east/mac-mini-m4", "scaleway/fr-par/m4-xl"]
    assert ios.chosen is not None and ios.chosen not in (ios.pareto or [])  # beaten by the assumed price
    assert dominates((ios.pareto or [])[0], ios.chosen, "apple-build")


@pytest.mark.parametrize("name", ["llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"])
def test_pareto_table_golden(name: str, mini_catalog: Catalog):
    check_golden(f"{name}.pareto.txt", plain_text(pareto_table(_plan(name, mini_catalog, pareto=True))))
