"""What make_plan promises, over generated profiles × generated catalogs (hypothesis; issue 6, point 2).

The catalogs and profiles come from ``tests/strategies.py``. ``tests/test_properties.py`` keeps its older
properties over the fixed mini catalog; this file generalises them to generated catalogs.

The rank key. For objectives ``cost`` and ``time`` the planner sorts placements by one key per placement
(``planner.rank``)::

    (over budget, priced by assumption, primary, secondary, instances, offer id, pricing)

with primary/secondary = cost/metric for ``cost`` and metric/cost for ``time`` (metric = p95 latency, else wall
hours). So a placement within the budget beats one over it, and a sourced price beats an assumed one, before cost
is compared. The monotonicity properties below are stated on that key, which is exactly what the planner promises;
"the best cost" only follows when the choice stays on the same side of the budget line and of the sourced/assumed
line (a sourced placement at $80 beats an assumed one at $50, so adding it *raises* the chosen cost).
Objective ``balanced`` ranks by cost/best cost + metric/best metric over all placements, so one offer's change moves
every score: it has no monotonicity promise, and only the properties that do not depend on it (no traceback,
budget verdict, determinism, invariants) cover it.

PLACER_PROPERTY_EXAMPLES=2000 raises the number of examples of every property for a long run.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from tests.conftest import profile_from, run_placer
from tests.strategies import MAX_OFFERS, cases, catalogs, profile_docs, profiles, to_yaml
from typer.testing import CliRunner

from placer.baseline import PlacementSummary
from placer.budget import FlagBudgets, parse_policy, resolve_budget, worst_exit
from placer.catalog.loader import dump_catalog, parse_catalog_json
from placer.catalog.models import MAX_USD, ApiOffer, Catalog, GpuOffer, MacOffer, Price
from placer.cli.app import app
from placer.errors import ExitCode, PlacerError, ProfileError
from placer.gate import CheckOptions, ProfileInput, check_profiles, summarize
from placer.placements.common import is_assumed
from placer.plan import Placement, Plan
from placer.planner import PlanOptions, make_plan, ranking_metric
from placer.profile import AnyProfile, Budget, parse_profile
from placer.render.json_out import to_json

AnyOffer = GpuOffer | ApiOffer | MacOffer
LONG_RUN = int(os.environ.get("PLACER_PROPERTY_EXAMPLES", "0"))


def examples(default: int) -> settings:
    """``default`` examples (sized so the file runs in about a minute), or PLACER_PROPERTY_EXAMPLES."""
    return settings(
        max_examples=LONG_RUN or default,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def any_cases(wrong_names: bool = False) -> st.SearchStrategy[tuple[Catalog, str]]:
    """Mostly realistic numbers; one case in four with numbers and prices anywhere the validators accept."""
    return st.one_of(
        cases(wrong_names=wrong_names),
        cases(wrong_names=wrong_names),
        cases(wrong_names=wrong_names),
        cases(wrong_names=wrong_names, wide=True),
    )


def rank_key(p: Placement, objective: str, limit: float | None) -> tuple[bool, bool, float, float, int, str, str]:
    """The planner's sort key for objectives cost and time (see the module docstring)."""
    over = limit is not None and p.cost.total_usd > limit
    cost, metric = p.cost.total_usd, ranking_metric(p)
    first, second = (cost, metric) if objective == "cost" else (metric, cost)
    return (over, is_assumed(p), first, second, p.instances or 0, p.offer, p.pricing)


def limit_of(profile: AnyProfile) -> float | None:
    return profile.budget.max_usd if profile.budget else None


def with_offers(catalog: Catalog, offers: list[AnyOffer]) -> Catalog:
    return catalog.model_copy(update={"offers": offers})


def raise_price(price: Price, factor: float) -> Price:
    """The price times ``factor`` ≥ 1, kept within the catalog's plausible range (a zero-marginal price stays 0)."""
    if price.usd == 0:
        return price
    return price.model_copy(update={"usd": max(price.usd, min(price.usd * factor, MAX_USD))})


def raised(offer: AnyOffer, factor: float, which: int | None) -> AnyOffer:
    """The offer with all its prices (``which`` None) or one of them raised by ``factor``."""

    def bump(i: int, price: Price) -> Price:
        return raise_price(price, factor) if which is None or i == which % count else price

    if isinstance(offer, GpuOffer):
        count = len(offer.prices)
        return offer.model_copy(update={"prices": {k: bump(i, v) for i, (k, v) in enumerate(offer.prices.items())}})
    if isinstance(offer, ApiOffer):
        count = 2
        return offer.model_copy(
            update={
                "input_usd_per_mtok": bump(0, offer.input_usd_per_mtok),
                "output_usd_per_mtok": bump(1, offer.output_usd_per_mtok),
            }
        )
    count = len(offer.plans)
    return offer.model_copy(
        update={"plans": [p.model_copy(update={"price": bump(i, p.price)}) for i, p in enumerate(offer.plans)]}
    )


def provider_vanished(profile: AnyProfile, catalog: Catalog, gone: AnyOffer) -> bool:
    """Removing ``gone`` leaves no offer of its provider while the profile names that provider (an input error)."""
    named = {p.lower() for p in [*(profile.constraints.providers or []), *profile.constraints.exclude_providers]}
    return gone.provider in named and all(o.provider != gone.provider for o in catalog.offers if o.id != gone.id)


# --- 1. no traceback ------------------------------------------------------------------------------------------


@examples(100)
@given(case=any_cases(wrong_names=True), objective=st.sampled_from([None, "cost", "time", "balanced"]))
def test_make_plan_returns_a_plan_or_raises_a_placer_error(case: tuple[Catalog, str], objective: Any):
    """Any generated profile on any generated catalog: a Plan that renders to JSON, or a typed error (exit 3 for
    the names the catalog does not know) — never another exception."""
    catalog, text = case
    profile = profile_from(text)
    try:
        plan: Plan | PlacerError = make_plan(profile, catalog, PlanOptions(objective=objective))
    except PlacerError as exc:
        plan = exc
    if isinstance(plan, PlacerError):
        event("input error")
        assert isinstance(plan, ProfileError)
        assert plan.exit_code == ExitCode.INVALID_INPUT
        return
    event("feasible" if plan.chosen else "no feasible placement")
    json.loads(to_json(plan))


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@examples(30)
@given(case=cases(max_offers=12, wrong_names=True))
def test_placer_plan_exits_with_a_documented_code_and_no_traceback(case: tuple[Catalog, str]):
    """`placer plan PROFILE --catalog CATALOG.json --format json` on written files: exit 0, 3, 4 or 5, never a
    traceback; the JSON is the library's plan (apart from the catalog's source list and freshness warnings, which
    only the CLI assembles) and its exit code says what the plan says."""
    catalog, text = case
    with tempfile.TemporaryDirectory() as tmp:
        profile_path, catalog_path = Path(tmp, "p.yaml"), Path(tmp, "c.json")
        profile_path.write_text(text)
        catalog_path.write_text(dump_catalog(catalog))
        result = run_cli("plan", str(profile_path), "--catalog", str(catalog_path), "--format", "json")
        try:
            expected: Plan | None = make_plan(profile_from(text), catalog, file=str(profile_path))
        except PlacerError:
            expected = None
    assert result.exit_code in (0, 3, 4, 5), result.stderr
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    if expected is None:
        assert result.exit_code == 3
        assert result.stdout == ""
        assert result.stderr.startswith("placer: error: ")
        return
    shown = json.loads(result.stdout)
    library = json.loads(to_json(expected))
    for data in (shown, library):
        data["catalog"].pop("sources")
        data.pop("warnings")
    assert shown == library
    code = 4 if expected.chosen is None else 5 if expected.budget.status == "over" else 0
    assert result.exit_code == code


# --- 2. raising a price ---------------------------------------------------------------------------------------


@examples(80)
@given(
    case=any_cases(),
    objective=st.sampled_from(["cost", "time"]),
    index=st.integers(0, 10**6),
    factor=st.floats(1.0, 50.0),
    which=st.none() | st.integers(0, 3),
    pick_chosen=st.booleans(),
)
def test_raising_an_offers_prices_never_improves_the_choice(
    case: tuple[Catalog, str], objective: Any, index: int, factor: float, which: int | None, pick_chosen: bool
):
    """Raise one offer's prices (all of them, or one) by a factor ≥ 1, under objective cost or time:

    - feasibility does not change (prices never decide whether an offer can run the workload);
    - the chosen placement's rank key never decreases — under objective cost, with the chosen placement on the same
      side of the budget line and of the sourced/assumed line before and after, its total cost never decreases;
    - if the chosen offer was not the one raised, the choice is unchanged (the same Placement)."""
    catalog, text = case
    profile = profile_from(text)
    options = PlanOptions(objective=objective)
    before = make_plan(profile, catalog, options)
    offers = list(catalog.offers)
    i = index % len(offers)
    if pick_chosen and before.chosen is not None:
        i = next(n for n, o in enumerate(offers) if o.id == before.chosen.offer)
    offers[i] = raised(offers[i], factor, which)
    after = make_plan(profile, with_offers(catalog, offers), options)
    assert (before.chosen is None) == (after.chosen is None)
    assert before.catalog.offers_feasible == after.catalog.offers_feasible
    if before.chosen is None or after.chosen is None:
        event("no feasible placement")
        return
    limit = limit_of(profile)
    old, new = rank_key(before.chosen, objective, limit), rank_key(after.chosen, objective, limit)
    event("chosen offer raised" if before.chosen.offer == offers[i].id else "another offer raised")
    event("choice changed" if after.chosen.offer != before.chosen.offer else "same offer chosen")
    assert new >= old
    if objective == "cost" and new[:2] == old[:2]:
        assert after.chosen.cost.total_usd >= before.chosen.cost.total_usd
    if before.chosen.offer != offers[i].id:
        assert after.chosen == before.chosen


# --- 3. adding an offer ---------------------------------------------------------------------------------------


@examples(80)
@given(
    case=any_cases(),
    objective=st.sampled_from(["cost", "time"]),
    index=st.integers(0, 10**6),
    pick_chosen=st.booleans(),
)
def test_adding_an_offer_never_worsens_the_choice(
    case: tuple[Catalog, str], objective: Any, index: int, pick_chosen: bool
):
    """Plan on the catalog without one offer, then with it, under objective cost or time:

    - a workload feasible without the offer stays feasible with it;
    - the chosen placement's rank key never increases — under objective cost, with the choice on the same side of
      the budget line and of the sourced/assumed line, the best cost never rises;
    - the new choice is the old one, or a placement on the added offer."""
    catalog, text = case
    profile = profile_from(text)
    options = PlanOptions(objective=objective)
    added = catalog.offers[index % len(catalog.offers)]
    if pick_chosen:  # add the offer the full catalog's plan chooses, if any: the case where adding matters
        best = make_plan(profile, catalog, options).chosen
        added = next((o for o in catalog.offers if best and o.id == best.offer), added)
    fewer = with_offers(catalog, [o for o in catalog.offers if o.id != added.id])
    try:
        small = make_plan(profile, fewer, options)
    except ProfileError:  # the profile names the added offer's provider, and no other offer has it
        assert provider_vanished(profile, catalog, added)
        return
    full = make_plan(profile, catalog, options)
    event("added offer chosen" if full.chosen and full.chosen.offer == added.id else "added offer not chosen")
    if small.chosen is None:
        assert full.chosen is None or full.chosen.offer == added.id
        return
    assert full.chosen is not None
    limit = limit_of(profile)
    old, new = rank_key(small.chosen, objective, limit), rank_key(full.chosen, objective, limit)
    assert new <= old
    if objective == "cost" and new[:2] == old[:2]:
        assert full.chosen.cost.total_usd <= small.chosen.cost.total_usd
    assert full.chosen == small.chosen or full.chosen.offer == added.id


# --- 4. removing the chosen offer -----------------------------------------------------------------------------


@examples(80)
@given(case=any_cases(), objective=st.sampled_from(["cost", "time"]))
def test_removing_the_chosen_offer_picks_the_first_alternative(case: tuple[Catalog, str], objective: Any):
    """Remove the chosen offer (every placement on it) and plan again, under objective cost or time.

    The plan's alternatives list the best placement of each (provider, instance, pricing) other than the chosen
    one's (``planner._alternatives``, plus the best of an option family the list would leave out); placements that
    share the (provider, instance, pricing) of one already shown — the same instance type in another region — are
    left out of the list but stay in the ranking. The new choice is the first placement of the old ranking on
    another offer. Hence, exactly:

    - when the first alternative is on another offer, the new choice is that alternative — or a placement sharing
      the old choice's (provider, instance, pricing) that ranks no worse than it;
    - every alternative that ranks before the new choice is on the removed offer, and the new choice is one of the
      alternatives, or shares a shown placement's (provider, instance, pricing), or ranks after every alternative;
    - no alternative on another offer: no new choice only if all placements were on the removed offer;
    - the new choice ranks worse than the old one and is never on the removed offer."""
    catalog, text = case
    profile = profile_from(text)
    options = PlanOptions(objective=objective)
    plan = make_plan(profile, catalog, options)
    assume(plan.chosen is not None)
    assert plan.chosen is not None
    gone = next(o for o in catalog.offers if o.id == plan.chosen.offer)
    try:
        again = make_plan(profile, with_offers(catalog, [o for o in catalog.offers if o.id != gone.id]), options)
    except ProfileError:
        assert provider_vanished(profile, catalog, gone)
        return
    limit = limit_of(profile)

    def key(p: Placement) -> tuple[bool, bool, float, float, int, str, str]:
        return rank_key(p, objective, limit)

    def kind(p: Placement) -> tuple[str, str, str]:
        return (p.provider, p.instance, p.pricing)

    alternatives = plan.alternatives
    if again.chosen is None:
        assert all(a.offer == gone.id for a in alternatives)
        return
    new = again.chosen
    assert new.offer != gone.id
    assert key(new) > key(plan.chosen)
    if alternatives and alternatives[0].offer != gone.id:
        event(
            "new choice is the first alternative" if new == alternatives[0] else "new choice: same instance elsewhere"
        )
        assert new == alternatives[0] or (kind(new) == kind(plan.chosen) and key(new) <= key(alternatives[0]))
    assert all(a.offer == gone.id for a in alternatives if key(a) < key(new))
    if alternatives:
        shown = {kind(p) for p in [plan.chosen, *alternatives]}
        assert new in alternatives or kind(new) in shown or key(new) > key(alternatives[-1])


# --- 5. the budget verdict ------------------------------------------------------------------------------------


def assert_verdict(plan: Plan, limit: float | None) -> None:
    """status over ⇔ total > limit, within ⇔ total ≤ limit, none ⇔ no limit or no placement; total is the chosen
    placement's; over means no placement within the budget was passed over."""
    verdict = plan.budget
    assert verdict.limit_usd == limit
    event(f"verdict {verdict.status}")
    assert verdict.period == ("run" if plan.workload.kind == "training" else "month")
    if plan.chosen is None:
        assert verdict.total_usd is None
        assert verdict.status == "none"
        return
    assert verdict.total_usd == plan.chosen.cost.total_usd
    if limit is None:
        assert verdict.status == "none"
    elif verdict.total_usd > limit:
        assert verdict.status == "over"
        assert all(p.cost.total_usd > limit for p in plan.alternatives)
    else:
        assert verdict.status == "within"


@examples(80)
@given(
    case=any_cases(),
    ratio=st.just(1.0) | st.floats(0.3, 3.0),
    objective=st.sampled_from([None, "cost", "time", "balanced"]),
)
def test_budget_verdict_agrees_with_totals(case: tuple[Catalog, str], ratio: float, objective: Any):
    """The verdict on the profile's own budget, and on a budget drawn around the unbudgeted choice's cost (so both
    sides of the line are reached); with a budget, a placement within it is chosen whenever the unbudgeted plan
    shows one."""
    catalog, text = case
    profile = profile_from(text)
    options = PlanOptions(objective=objective)
    own = make_plan(profile, catalog, options)
    assert_verdict(own, limit_of(profile))
    free = make_plan(profile.model_copy(update={"budget": None}), catalog, options)
    assert_verdict(free, None)
    if free.chosen is None or free.chosen.cost.total_usd <= 0:
        return
    limit = free.chosen.cost.total_usd * ratio
    budgeted = make_plan(profile.model_copy(update={"budget": Budget(max_usd=limit)}), catalog, options)
    assert_verdict(budgeted, limit)
    if any(p.cost.total_usd <= limit for p in [free.chosen, *free.alternatives]):
        assert budgeted.budget.status == "within"


POLICIES = (
    None,
    "rules:\n- {match: 'profiles/a*.yaml', max_usd: 5000, max_monthly_usd: 300}\n- {match: '**', max_usd: 1e6, "
    "max_monthly_usd: 20000}\n",
    "rules:\n- {match: '*.yaml', max_monthly_usd: 1000}\n",  # a training profile it matches is an input error
)


@st.composite
def gate_inputs(draw: st.DrawFn) -> tuple[Catalog, list[ProfileInput], CheckOptions]:
    catalog = draw(catalogs(16, min_offers=3))
    docs = draw(st.lists(profile_docs(catalog, wrong_names=False), min_size=1, max_size=4))
    items = []
    for i, doc in enumerate(docs):
        path = f"profiles/{'ab'[i % 2]}{i}.yaml"
        items.append(ProfileInput(path, document=parse_profile(to_yaml(doc), path)))
    if draw(st.integers(0, 4)) == 0:
        items.append(ProfileInput("profiles/broken.yaml", error=ProfileError("unreadable profile")))
    kinds = {doc["kind"] for doc in docs}
    flags = FlagBudgets(
        max_usd=draw(st.none() | st.floats(10, 1e7)) if "training" in kinds else None,
        max_monthly_usd=draw(st.none() | st.floats(1, 1e5)) if kinds - {"training"} else None,
    )
    policy_text = draw(st.sampled_from(POLICIES))
    policy = parse_policy(policy_text, "policy.yaml") if policy_text else None
    return catalog, items, CheckOptions(flags=flags, policy=policy, warn_only=draw(st.booleans()))


@examples(40)
@given(inputs=gate_inputs())
def test_check_report_verdicts_agree_with_totals(inputs: tuple[Catalog, list[ProfileInput], CheckOptions]):
    """`placer check` over several profiles (the gate's library call): each profile's verdict agrees with its total
    and the budget that applies (flag, else the stricter of policy and profile); its exit code follows from the
    verdict; the totals count the verdicts and sum the chosen costs per period; the report exits with the worst."""
    catalog, items, options = inputs
    report = check_profiles(items, catalog, options)
    assert len(report.profiles) == len(items)
    for item, result in zip(items, report.profiles, strict=True):
        event(f"gate {result.status}")
        assert result.file == item.path
        if item.document is None:
            assert (result.status, result.exit_code, result.gate) == ("invalid", 3, "fail")
            continue
        profile = item.document.profile
        own = limit_of(profile)
        try:
            limit = resolve_budget(profile.kind, item.path, own, options.flags, options.policy)
        except PlacerError:
            assert (result.status, result.exit_code) == ("invalid", 3)
            continue
        budgeted = profile.model_copy(update={"budget": Budget(max_usd=limit.max_usd) if limit else None})
        plan = make_plan(budgeted, catalog)
        assert result.chosen == (summarize(plan.chosen) if plan.chosen else None)
        budget = result.budget
        assert budget is not None
        assert budget.limit_usd == (limit.max_usd if limit else None)
        if plan.chosen is None:
            assert (result.status, result.exit_code, result.gate) == ("infeasible", 4, "fail")
            assert budget.status == "none" and budget.total_usd is None
            continue
        total = plan.chosen.cost.total_usd
        assert budget.total_usd == total
        if limit is None:
            assert budget.status == result.status == "none"
        elif total > limit.max_usd:
            assert budget.status == result.status == "over"
            assert budget.over_usd == total - limit.max_usd
            expected = (0, "warn") if options.warn_only else (5, "fail")
            assert (result.exit_code, result.gate) == expected
            continue
        else:
            assert budget.status == result.status == "within"
        assert (result.exit_code, result.gate) == (0, "pass")
    totals = report.totals
    statuses = [r.status for r in report.profiles]
    assert (totals.within, totals.over, totals.no_budget, totals.infeasible) == tuple(
        statuses.count(s) for s in ("within", "over", "none", "infeasible")
    )
    chosen = [r.chosen for r in report.profiles if r.chosen]
    for period in ("run", "month"):
        expected_sum = sum(c.cost.total_usd for c in chosen if c.cost.period == period)
        assert math.isclose(getattr(totals.cost_usd, period), expected_sum, rel_tol=1e-12, abs_tol=1e-9)
    assert report.exit_code == worst_exit(r.exit_code for r in report.profiles)
    assert report.passed == (report.exit_code == 0)


@examples(12)
@given(case=catalogs(12, min_offers=3).flatmap(lambda c: st.tuples(st.just(c), st.lists(profiles(c), max_size=3))))
def test_placer_check_cli_exit_code_is_the_reports(case: tuple[Catalog, list[str]]):
    """`placer check DIR --catalog CATALOG.json --format json` on written profiles: a documented exit code, no
    traceback, the report's own exit code, and every verdict agreeing with its total (to the JSON's 4 decimals)."""
    catalog, texts = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "profiles")
        folder.mkdir()
        for i, text in enumerate(texts):
            Path(folder, f"p{i}.yaml").write_text(text)
        Path(tmp, "c.json").write_text(dump_catalog(catalog))
        result = run_cli("check", str(folder), "--catalog", str(Path(tmp, "c.json")), "--format", "json")
    assert result.exit_code in (0, 3, 4, 5), result.stderr
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    report = json.loads(result.stdout)
    assert report["exit_code"] == result.exit_code
    for r in report["profiles"]:
        budget = r["budget"]
        if budget is None or budget["total_usd"] is None or budget["limit_usd"] is None:
            continue
        total, limit = budget["total_usd"], budget["limit_usd"]
        if abs(total - limit) > 1e-3:
            assert budget["status"] == ("over" if total > limit else "within")


# --- 6. determinism -------------------------------------------------------------------------------------------


@examples(50)
@given(case=any_cases(wrong_names=True), seed=st.integers(0, 2**32 - 1))
def test_identical_inputs_give_byte_identical_json(case: tuple[Catalog, str], seed: int):
    """The same profile and catalog, planned twice, from re-read copies, and with the catalog's offers shuffled:
    byte-identical JSON (or the same error)."""
    catalog, text = case
    shuffled = list(catalog.offers)
    random.Random(seed).shuffle(shuffled)
    runs = [
        (profile_from(text), catalog),
        (profile_from(text), catalog),
        (parse_profile(text, "test.yaml").profile, parse_catalog_json(dump_catalog(catalog), "copy.json")),
        (profile_from(text), with_offers(catalog, shuffled)),
    ]
    outputs = []
    for profile, cat in runs:
        try:
            outputs.append(to_json(make_plan(profile, cat)))
        except PlacerError as exc:
            outputs.append(f"error: {exc}")
    assert len(set(outputs)) == 1


@settings(max_examples=min(LONG_RUN, 10) or 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases(max_offers=12))
def test_a_fresh_process_prints_the_same_json(case: tuple[Catalog, str]):
    """`placer plan` in a fresh Python process prints the bytes the in-process CLI printed, with the same exit."""
    catalog, text = case
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "p.yaml").write_text(text)
        Path(tmp, "c.json").write_text(dump_catalog(catalog))
        args = ("plan", str(Path(tmp, "p.yaml")), "--catalog", str(Path(tmp, "c.json")), "--format", "json")
        inside = run_cli(*args)
        fresh = run_placer(*args)
    assert fresh.returncode == inside.exit_code
    assert fresh.stdout == inside.stdout
    assert fresh.stderr == inside.stderr


# --- more invariants ------------------------------------------------------------------------------------------


def finite_non_negative(*values: float | None) -> bool:
    return all(v is None or (math.isfinite(v) and v >= 0) for v in values)


def assert_placement_sane(p: Placement, profile: AnyProfile) -> None:
    c, t, lat = p.cost, p.time, p.latency
    assert finite_non_negative(c.total_usd, c.compute_usd, c.egress_usd, c.other_usd), c
    assert math.isclose(c.total_usd, c.compute_usd + c.egress_usd + c.other_usd, rel_tol=1e-12, abs_tol=1e-9)
    assert c.period == ("run" if profile.kind == "training" else "month")
    assert finite_non_negative(t.wall_hours, t.accelerator_hours, lat.p50_ms, lat.p95_ms), (t, lat)
    if lat.p50_ms is not None and lat.p95_ms is not None:
        assert lat.p50_ms <= lat.p95_ms * (1 + 1e-9)
    spot, reserved = profile.constraints.spot, profile.constraints.reserved
    if p.pricing in ("on-demand", "spot", "reserved"):
        assert spot != "only" or p.pricing == "spot"
        assert spot != "never" or p.pricing != "spot"
        assert reserved == "allow" or p.pricing != "reserved"
    if profile.kind == "training":
        assert p.accelerator_count is not None and p.accelerator_count >= (profile.resources.count or 1)
        if profile.deadline_hours is not None:
            assert t.wall_hours is not None and t.wall_hours <= profile.deadline_hours * (1 + 1e-9)
    if profile.kind == "inference" and profile.inference.slo.p95_latency_ms is not None:
        assert lat.p95_ms is not None and lat.p95_ms <= profile.inference.slo.p95_latency_ms * (1 + 1e-9)


@examples(100)
@given(case=any_cases(), objective=st.sampled_from([None, "cost", "time", "balanced"]), count=st.integers(0, 8))
def test_plan_invariants(case: tuple[Catalog, str], objective: Any, count: int):
    """Costs, hours and latencies finite and ≥ 0 (total = compute + egress + other); every placement keeps the
    constraints (pricing, count, deadline, SLO); every offer is placed or rejected, exactly once (offers_considered =
    offers_feasible + rejected); nothing chosen or shown is a rejected offer; the alternatives are distinct options,
    at most ``count`` plus one per option family they would leave out, in rank order after the chosen one (for
    balanced, at least the within-budget and sourced-price tiers keep order); and no alternative in the chosen
    placement's tier beats it on both cost and metric, whatever the objective (balanced included)."""
    catalog, text = case
    profile = profile_from(text)
    plan = make_plan(profile, catalog, PlanOptions(objective=objective, alternatives=count))
    rejected = [r.offer for r in plan.rejected]
    assert len(rejected) == len(set(rejected))
    assert plan.catalog.offers_considered == len(catalog.offers) == plan.catalog.offers_feasible + len(rejected)
    assert sum(g.count for g in plan.rejected_summary) == len(rejected)
    assert (plan.chosen is None) == (plan.catalog.offers_feasible == 0)
    if plan.chosen is None:
        assert plan.alternatives == []
        return
    shown = [plan.chosen, *plan.alternatives]
    assert not {p.offer for p in shown} & set(rejected)
    assert {p.offer for p in shown} <= {o.id for o in catalog.offers}
    assert len({p.offer for p in shown}) <= plan.catalog.offers_feasible
    for p in shown:
        assert_placement_sane(p, profile)
        # a report keeps what a full dump read back would keep (summarize reads the fields it needs directly)
        assert summarize(p) == PlacementSummary.model_validate(p.model_dump())
    kinds = [(p.provider, p.instance, p.pricing) for p in shown]
    assert len(kinds) == len(set(kinds))
    assert len(plan.alternatives) <= count + 2  # beyond count, one per family left out: on-demand, spot, reserved
    if count == 0:
        assert plan.alternatives == []
    limit = limit_of(profile)
    used = objective or profile.objective
    if used in ("cost", "time"):
        keys = [rank_key(p, used, limit) for p in shown]
        assert keys == sorted(keys)
    else:
        tiers = [rank_key(p, "cost", limit)[:2] for p in shown]
        assert tiers == sorted(tiers)
    # whatever the objective, nothing shown in the chosen one's tier beats it on both cost and metric
    tier = rank_key(plan.chosen, "cost", limit)[:2]
    for p in plan.alternatives:
        if rank_key(p, "cost", limit)[:2] == tier:
            assert not dominates(p, plan.chosen), (p.offer, plan.chosen.offer)


def dominates(a: Placement, b: Placement) -> bool:
    """a costs no more and is no slower than b, and clearly better on one of them (beyond rounding)."""
    ca, cb, ma, mb = a.cost.total_usd, b.cost.total_usd, ranking_metric(a), ranking_metric(b)
    return ca <= cb and ma <= mb and (ca < cb * (1 - 1e-9) or ma < mb * (1 - 1e-9))


@examples(10)
@given(catalog=catalogs(MAX_OFFERS, min_offers=MAX_OFFERS))
def test_a_full_catalog_of_every_kind_plans_for_every_kind(catalog: Catalog):
    """The largest generated catalogs (40 offers) against one profile of each kind: plans, never an exception,
    and each plan accounts for all 40 offers."""
    for kind in ("training", "inference", "apple-build"):
        text = to_yaml({"kind": kind, "name": kind, **_minimal[kind]})
        plan = make_plan(profile_from(text), catalog)
        assert plan.catalog.offers_feasible + len(plan.rejected) == MAX_OFFERS


_minimal: dict[str, dict[str, Any]] = {
    "training": {"model": {"parameters": "7B"}, "training": {"tokens": "200B"}},
    "inference": {
        "model": {"name": "llama-3.3-70b", "parameters": "70B"},
        "inference": {"requests_per_second": 5, "input_tokens": 1000, "output_tokens": 300},
    },
    "apple-build": {"build": {"jobs_per_day": 100, "minutes_per_job": 15}},
}
