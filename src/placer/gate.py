"""The budget gate: plan every profile against the budget that applies, compare with a baseline, report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from placer.baseline import (
    Baseline,
    BaselineEntry,
    BaselineResult,
    PlacementSummary,
    Thresholds,
    _Lenient,
    compare,
    threshold_breaches,
)
from placer.budget import (
    FLAG_FOR,
    REPORT_SCHEMA_VERSION,
    BudgetLimit,
    FlagBudgets,
    Period,
    PolicyDocument,
    resolve_budget,
    signed_pct,
    usd,
    worst_exit,
)
from placer.catalog.models import Catalog
from placer.dataset import Datasets, plan_profile
from placer.errors import ExitCode, InputError, PlacerError, UsageError
from placer.plan import Placement, Plan
from placer.planner import PlanOptions
from placer.profile import Budget, ProfileDocument

# --- the report --------------------------------------------------------------------------------------------


class BudgetResult(_Lenient):
    limit_usd: float | None
    total_usd: float | None
    period: Period
    status: Literal["within", "over", "none"]
    source: Literal["flag", "policy", "profile"] | None = None
    origin: str | None = None
    over_usd: float | None = None
    over_pct: float | None = None


Status = Literal["within", "over", "none", "infeasible", "invalid", "unavailable", "error"]


class ProfileResult(_Lenient):
    file: str
    name: str | None = None
    kind: str | None = None
    line: int | None = None  # what annotations point at: the budget line, else `kind:`, else the error
    status: Status
    gate: Literal["pass", "warn", "fail"]
    exit_code: int
    chosen: PlacementSummary | None = None
    budget: BudgetResult | None = None
    baseline: BaselineResult | None = None  # None without --baseline; found=False for a new profile
    reasons: list[str] = Field(default_factory=list)  # why it fails or warns, one line each
    details: list[str] = Field(default_factory=list)  # the "why" behind them
    error: str | None = None


class PeriodTotals(_Lenient):
    run: float = 0.0
    month: float = 0.0


class Totals(_Lenient):
    profiles: int
    within: int
    over: int
    no_budget: int
    infeasible: int
    invalid: int
    failed: int
    warned: int
    cost_usd: PeriodTotals
    baseline_cost_usd: PeriodTotals | None = None
    delta_usd: PeriodTotals | None = None


class MissingProfile(_Lenient):
    file: str | None
    name: str | None
    kind: str | None
    total_usd: float | None
    period: Period | None

    @classmethod
    def of(cls, entry: BaselineEntry) -> MissingProfile:
        chosen = entry.chosen
        return cls(
            file=entry.file,
            name=entry.name,
            kind=entry.kind,
            total_usd=chosen.cost.total_usd if chosen else None,
            period=chosen.cost.period if chosen else None,
        )


class CheckReport(_Lenient):
    schema_version: int = REPORT_SCHEMA_VERSION
    report: Literal["placer check"] = "placer check"
    exit_code: int
    passed: bool
    warn_only: bool
    catalog_as_of: str | None
    baseline: str | None
    max_increase_pct: float | None
    max_increase_usd: float | None
    totals: Totals
    profiles: list[ProfileResult]
    missing: list[MissingProfile]
    reasons: list[str]


def summarize(p: Placement) -> PlacementSummary:
    """The placement as reports keep it, validated as one read back would be (a total can be NaN or negative when
    the catalog's figures are), from the fields it keeps: dumping the whole placement first took four times as
    long, and a fleet summarizes four placements a profile."""
    cost = p.cost
    return PlacementSummary.model_validate(
        {
            "offer": p.offer,
            "provider": p.provider,
            "region": p.region,
            "instance": p.instance,
            "accelerator": p.accelerator,
            "accelerator_count": p.accelerator_count,
            "instances": p.instances,
            "pricing": p.pricing,
            "cost": {"total_usd": cost.total_usd, "period": cost.period},
        }
    )


def _share_over(over: float, limit: float) -> float | None:
    """How many percent over the budget; None when too many to write (a budget like 1e-306 makes it inf)."""
    share = over / limit * 100
    return share if math.isfinite(share) else None


def _over_budget(plan: Plan, limit: BudgetLimit, line: int | None) -> tuple[str, list[str]]:
    """The reason (how far over, against what) and the why (nothing cheaper fits; what would pass)."""
    chosen = plan.chosen
    assert chosen is not None
    total, per = chosen.cost.total_usd, limit.period
    over = total - limit.max_usd
    share = _share_over(over, limit.max_usd)
    by = usd(over) if share is None else f"{usd(over)} ({signed_pct(share)})"
    reason = f"over budget by {by}: {usd(total)} per {per} against {usd(limit.max_usd)} set by {limit.origin}"
    # the planner ranks placements within the budget first, so a chosen one over it means none fits
    cheapest = min([chosen, *plan.alternatives], key=lambda p: p.cost.total_usd)
    if cheapest is chosen:
        why = f"the chosen {chosen.offer} ({chosen.pricing}) is the cheapest placement placer found: none fits"
    else:
        why = (
            f"no placement fits: the chosen {chosen.offer} ({chosen.pricing}) ranks first, and the cheapest "
            f"placer found, {cheapest.offer}, costs {usd(cheapest.cost.total_usd)} per {per}"
        )
    where = {
        "flag": FLAG_FOR[per],
        "policy": limit.origin,
        "profile": f"budget.max_usd (line {line})" if line else "budget.max_usd",
    }[limit.source]
    floor = math.ceil(cheapest.cost.total_usd)
    return reason, [why, f"to pass, raise {where} to at least {usd(floor)}, or make the workload cheaper"]


@dataclass(frozen=True)
class ProfileInput:
    """One profile to check: its path as given, and the parsed document or the error reading it."""

    path: str
    document: ProfileDocument | None = None
    error: PlacerError | None = None


@dataclass(frozen=True)
class CheckOptions:
    flags: FlagBudgets = field(default_factory=FlagBudgets)
    policy: PolicyDocument | None = None
    baseline: Baseline | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    warn_only: bool = False
    plan_options: PlanOptions = field(default_factory=PlanOptions)
    datasets: Datasets = field(default_factory=Datasets, compare=False, repr=False)  # s3:// sizes, once a run


_STATUS_FOR_CODE: dict[int, Status] = {3: "invalid", 6: "unavailable"}


def _failed(
    path: str, error: PlacerError, doc: ProfileDocument | None, baseline: BaselineResult | None
) -> ProfileResult:
    unplaced = isinstance(error, InputError) and (error.location is None or error.location.line is None)
    if isinstance(error, InputError) and unplaced and doc is not None and error.path is not None:
        error.location = doc.locate(error.path)  # an error the planner raised about a profile field
    location = error.location if isinstance(error, InputError) else None
    code = int(error.exit_code)
    profile = doc.profile if doc else None
    return ProfileResult(
        file=path,
        name=profile.name if profile else None,
        kind=profile.kind if profile else None,
        line=location.line if location is not None and location.file == path else None,
        status=_STATUS_FOR_CODE.get(code, "error"),
        gate="fail",
        exit_code=code,
        baseline=baseline,
        reasons=[str(error)],
        details=[f"hint: {error.hint}"] if error.hint else [],
        error=str(error),
    )


def baseline_verdict(
    old: BaselineEntry | None, chosen: PlacementSummary | None, thresholds: Thresholds, period: Period
) -> tuple[BaselineResult, str | None, list[str]]:
    """Against a baseline entry (None: the profile is new): the diff, the placement-change detail, the
    thresholds the increase breaks (none without a placement)."""
    diff = compare(old.chosen, chosen) if old is not None else BaselineResult(found=False)
    moved = None
    if diff.found and diff.changes:
        moved = "placement changed since the baseline: " + "; ".join(
            f"{c.field} {c.old} → {c.new}" for c in diff.changes
        )
    breaches = threshold_breaches(diff, thresholds, period) if chosen is not None else []
    return diff, moved, breaches


def evaluate(
    path: str,
    plan: Plan,
    limit: BudgetLimit | None,
    line: int | None,
    baseline: BaselineEntry | None,
    options: CheckOptions,
) -> ProfileResult:
    """One profile's verdict from its plan: budget, baseline delta, thresholds, exit code."""
    period: Period = "run" if plan.workload.kind == "training" else "month"
    chosen = summarize(plan.chosen) if plan.chosen else None
    total = chosen.cost.total_usd if chosen else None
    budget = BudgetResult(limit_usd=limit.max_usd if limit else None, total_usd=total, period=period, status="none")
    if limit is not None:
        budget = budget.model_copy(update={"source": limit.source, "origin": limit.origin})
    if limit is not None and total is not None:
        over = total - limit.max_usd
        status = "over" if over > 0 else "within"
        budget = budget.model_copy(update={"status": status})
        if over > 0:
            budget = budget.model_copy(update={"over_usd": over, "over_pct": _share_over(over, limit.max_usd)})
    reasons: list[str] = []
    details: list[str] = []
    diff: BaselineResult | None = None
    breaches: list[str] = []
    if options.baseline is not None:
        diff, moved, breaches = baseline_verdict(baseline, chosen, options.thresholds, period)
        details.extend([moved] if moved else [])
    code = ExitCode.OK
    result_status: Status = budget.status
    if plan.chosen is None:
        code, result_status = ExitCode.NO_FEASIBLE, "infeasible"
        reasons.append(f"no feasible placement: all {plan.catalog.offers_considered:,} offers were rejected")
        details.extend(f"{g.count:,} × {g.code}: {g.example}" for g in plan.rejected_summary[:3])
    else:
        if budget.status == "over" and limit is not None:
            reason, why = _over_budget(plan, limit, line)
            reasons.append(reason)
            details[:0] = why
        reasons.extend(breaches)
        if reasons:
            code = ExitCode.OVER_BUDGET
    gate: Literal["pass", "warn", "fail"] = "pass" if code == ExitCode.OK else "fail"
    if code == ExitCode.OVER_BUDGET and options.warn_only:
        code, gate = ExitCode.OK, "warn"
    return ProfileResult(
        file=path,
        name=plan.workload.name,
        kind=plan.workload.kind,
        line=line,
        status=result_status,
        gate=gate,
        exit_code=int(code),
        chosen=chosen,
        budget=budget,
        baseline=diff,
        reasons=reasons,
        details=details,
    )


def _check_one(
    item: ProfileInput, catalog: Catalog, options: CheckOptions, index: int | None
) -> tuple[ProfileResult, int | None]:
    doc = item.document
    profile = doc.profile if doc else None
    baseline = options.baseline
    entry = baseline.entries[index] if baseline is not None and index is not None else None
    if doc is None or profile is None:
        failed = BaselineResult(found=index is not None) if baseline else None
        return _failed(item.path, item.error or InputError("unreadable profile"), None, failed), index
    try:
        own = profile.budget.max_usd if profile.budget else None
        limit = resolve_budget(profile.kind, item.path, own, options.flags, options.policy)
        # plan with the budget that applies, so the planner prefers placements within it (as `placer plan` does)
        budgeted = profile.model_copy(update={"budget": Budget(max_usd=limit.max_usd) if limit else None})
        plan = plan_profile(budgeted, catalog, options.plan_options, file=item.path, datasets=options.datasets)
    except PlacerError as exc:
        failed = BaselineResult(found=index is not None) if baseline else None
        return _failed(item.path, exc, doc, failed), index
    on_budget_line = limit is not None and limit.source == "profile"
    line = doc.locate(("budget", "max_usd") if on_budget_line else ("kind",)).line
    return evaluate(item.path, plan, limit, line, entry, options), index


def _period_totals(pairs: Iterable[tuple[str | None, float | None]]) -> PeriodTotals:
    run = month = 0.0
    for period, total in pairs:
        if total is not None and period == "run":
            run += total
        elif total is not None and period == "month":
            month += total
    return PeriodTotals(run=run, month=month)


def tally(results: Sequence[ProfileResult], past: PeriodTotals | None) -> Totals:
    """Counts by verdict and the chosen placements' cost per period, against the baseline's when given."""
    cost = _period_totals((r.chosen.cost.period, r.chosen.cost.total_usd) for r in results if r.chosen)
    return Totals(
        profiles=len(results),
        within=sum(r.status == "within" for r in results),
        over=sum(r.status == "over" for r in results),
        no_budget=sum(r.status == "none" for r in results),
        infeasible=sum(r.status == "infeasible" for r in results),
        invalid=sum(r.status in ("invalid", "unavailable", "error") for r in results),
        failed=sum(r.gate == "fail" for r in results),
        warned=sum(r.gate == "warn" for r in results),
        cost_usd=cost,
        baseline_cost_usd=past,
        delta_usd=PeriodTotals(run=cost.run - past.run, month=cost.month - past.month) if past else None,
    )


def check_profiles(items: Sequence[ProfileInput], catalog: Catalog, options: CheckOptions) -> CheckReport:
    """Plan every profile against its budget (a bad profile fails alone; the others are still checked)."""
    if not items:
        raise UsageError("nothing to check: no profiles were given, or --exclude left none")
    options.flags.check(item.document.profile.kind for item in items if item.document is not None)
    results: list[ProfileResult] = []
    matched: set[int] = set()
    names = [(item.path, item.document.profile.name if item.document else None) for item in items]
    indexes = options.baseline.assign(names) if options.baseline else [None] * len(items)
    for item, assigned in zip(items, indexes, strict=True):
        result, index = _check_one(item, catalog, options, assigned)
        results.append(result)
        if index is not None:
            matched.add(index)
    baseline = options.baseline
    missing = [MissingProfile.of(e) for i, e in enumerate(baseline.entries if baseline else ()) if i not in matched]
    past = None
    if baseline is not None:
        past = _period_totals((e.chosen.cost.period, e.chosen.cost.total_usd) for e in baseline.entries if e.chosen)
    code = worst_exit(r.exit_code for r in results)
    totals = tally(results, past)
    return CheckReport(
        exit_code=int(code),
        passed=code == ExitCode.OK,
        warn_only=options.warn_only,
        catalog_as_of=catalog.as_of,
        baseline=baseline.file if baseline else None,
        max_increase_pct=options.thresholds.max_increase_pct,
        max_increase_usd=options.thresholds.max_increase_usd,
        totals=totals,
        profiles=results,
        missing=missing,
        reasons=[f"{r.file}: {reason}" for r in results if r.gate != "pass" for reason in r.reasons],
    )
