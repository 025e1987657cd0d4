"""The top of ``make_plan``'s ranking without pricing every offer: how ``placer replan`` scales to fleets.

``make_plan`` prices every offer so a plan can show every rejection. A fleet re-plan needs only each
profile's chosen placement and its alternatives, so this module finds exactly those, and proves it:

1. the profile's constraints filter the catalog's columns (array operations, no Python loop per offer);
2. every surviving (offer, pricing) pair gets a cheap *lower bound* on its cost and on its time or latency
   (ideal accelerator-hours for training; compute and memory floors on replicas for serving; the
   queue-free farm for builds), computed for all pairs at once;
3. pairs are examined in order of those bounds, and one physical estimate serves every pair that shares
   its *key* (the same hardware shape, context and pricing class: price only scales the cost);
4. a pair is placed in the ranking only once no unexamined pair's bound can rank before it, so the
   result is make_plan's own ranking, cut short (tests hold the two equal).

Placements of the chosen and the alternatives are then built by the same scorers ``make_plan`` uses.
What a shortlist does not have: the per-offer rejection list (only counts by reason, for the offers it
examined or filtered out) and the hint that an assumed-price offer would be cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass

from placer.catalog.models import Catalog
from placer.plan import BudgetVerdict, CatalogRef, Plan, WorkloadRef
from placer.planner import PlanOptions, check_names, context_for, plan_assumptions, plan_warnings, reference_chip_speed
from placer.profile import AnyProfile, Objective, TrainingProfile
from placer.shortlist.constraints import filter_rows
from placer.shortlist.market import Market
from placer.shortlist.pairs import Counts, build_pairs
from placer.shortlist.ranking import rank
from placer.shortlist.search import Search


@dataclass
class Shortlist:
    """A plan cut to the chosen placement and its alternatives, with how much work finding them took."""

    plan: Plan
    candidates: int  # (offer, pricing) pairs that passed the profile's constraints
    examined: int  # pairs priced exactly; the rest provably could not enter the shortlist
    estimates: int  # physical estimates run (one serves every pair of a key)


class Shortlister:
    """Built once per catalog (its market: columns, lookups, caches), then asked for one shortlist per profile."""

    def __init__(self, catalog: Catalog) -> None:
        self.market = Market(catalog)

    def shortlist(
        self, profile: AnyProfile, options: PlanOptions | None = None, *, file: str | None = None
    ) -> Shortlist:
        options = options or PlanOptions()
        allowed = check_names(profile, self.market.index)
        ctx = context_for(profile, self.market.index)
        reference_speed = reference_chip_speed(profile, self.market.index)
        objective: Objective = options.objective or profile.objective
        counts = Counts()
        alive = filter_rows(self.market, profile, allowed, counts)
        pairs = build_pairs(self.market, profile, ctx, reference_speed, alive, counts)
        search = Search(self.market, profile, ctx, reference_speed, pairs, counts)
        limit = profile.budget.max_usd if profile.budget else None
        chosen, shown = rank(search, objective, limit, options.alternatives)
        placements = [search.placement(j) for j in ([chosen, *shown] if chosen is not None else [])]
        feasible = {j for j, e in search.exact.items() if e is not None}
        total = placements[0].cost.total_usd if placements else None
        status = "none" if limit is None or total is None else ("over" if total > limit else "within")
        plan = Plan(
            workload=WorkloadRef(name=profile.name, kind=profile.kind, file=file),
            catalog=CatalogRef(
                as_of=self.market.catalog.as_of,
                offers_considered=self.market.columns.size,
                sources=list(options.sources),
                offers_feasible=len({int(pairs.row[j]) for j in feasible}),
                assumed_prices=sum(1 for j in feasible if pairs.assumed[j]),
            ),
            objective=objective,
            chosen=placements[0] if placements else None,
            alternatives=placements[1:],
            rejected=[],
            rejected_summary=counts.summary(),
            budget=BudgetVerdict(
                limit_usd=limit,
                total_usd=total,
                period="run" if isinstance(profile, TrainingProfile) else "month",
                status=status,
            ),
            assumptions=plan_assumptions(profile, self.market.catalog),
            warnings=[*options.warnings, *plan_warnings(placements[:1])],
        )
        return Shortlist(plan, candidates=len(pairs.row), examined=search.examined, estimates=search.estimates)


def shortlist(
    profile: AnyProfile, catalog: Catalog, options: PlanOptions | None = None, *, file: str | None = None
) -> Shortlist:
    """One profile; for many, build a Shortlister once and call its ``shortlist`` per profile."""
    return Shortlister(catalog).shortlist(profile, options, file=file)
