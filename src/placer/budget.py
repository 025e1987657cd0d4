"""The CI budget gate: where a workload's budget comes from, whether its plan fits, and how it moved.

A budget comes from the command line (``--max-usd`` per run for training, ``--max-monthly-usd`` per month for
inference and Apple builds), else from the first rule of a policy file whose glob matches the profile's path,
else from the profile's ``budget:``. A baseline (the JSON of an earlier ``placer check`` or ``placer plan``)
gives each profile's cost delta and placement changes; ``--max-increase-pct`` / ``--max-increase-usd`` fail the
gate like a budget does. The worst exit code wins, in the order 3 > 6 > 4 > 5 > 0.

Pure apart from reading the policy and baseline files it is handed: no printing, no clock, no network.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placer.catalog.models import Catalog
from placer.errors import ExitCode, InputError, PlacerError, SourceLocation, UsageError
from placer.plan import Placement, Plan
from placer.planner import PlanOptions, make_plan
from placer.profile import Budget, PositiveNumber, ProfileDocument
from placer.yamldoc import YamlDocument, decode, parse_yaml, read_text, validation_error

REPORT_SCHEMA_VERSION = 1
DECIMALS = 4  # reports round money to this many decimals (placer.render.json_out)
Period = Literal["run", "month"]
FLAG_FOR: dict[str, str] = {"run": "--max-usd", "month": "--max-monthly-usd"}
POLICY_KEY_FOR: dict[str, str] = {"run": "max_usd", "month": "max_monthly_usd"}
# the worst outcome decides the exit code: a broken input hides every verdict, then missing prices, then a
# workload that cannot run anywhere, then a cost over its budget or threshold
EXIT_PRIORITY = (
    ExitCode.INVALID_INPUT,
    ExitCode.PRICES_UNAVAILABLE,
    ExitCode.NO_FEASIBLE,
    ExitCode.OVER_BUDGET,
    ExitCode.OK,
)


class PolicyError(InputError):
    """A budget policy file is invalid, or one of its rules does not fit a profile it matches (exit 3)."""


class BaselineError(InputError):
    """A baseline file is not the JSON of a placer plan or check (exit 3)."""


def period_for(kind: str) -> Period:
    return "run" if kind == "training" else "month"


def usd(value: float) -> str:
    """$1,234 from a thousand up, $12.34 below (the sign before the $)."""
    shown = round(value) if abs(value) >= 999.995 else round(value, 2)
    sign = "-" if shown < 0 else ""
    return f"{sign}${abs(shown):,.0f}" if abs(shown) >= 1000 else f"{sign}${abs(shown):,.2f}"


def signed_usd(value: float) -> str:
    return ("+" if value >= 0 else "") + usd(value)


def pct(value: float) -> str:
    value = value or 0.0  # never "-0.0%"
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:,.0f}%"


def signed_pct(value: float) -> str:
    return ("+" if value >= 0 else "") + pct(value)


def normalize_path(path: str) -> str:
    """A profile path as reports and globs see it: forward slashes, no ``./``."""
    return posixpath.normpath(path.replace("\\", "/"))


def worst_exit(codes: Iterable[int]) -> ExitCode:
    rank = {code: i for i, code in enumerate(EXIT_PRIORITY)}
    return min((ExitCode(c) for c in codes), key=lambda c: rank.get(c, -1), default=ExitCode.OK)


# --- where a budget comes from -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyRule(_Strict):
    match: str = Field(min_length=1)
    max_usd: PositiveNumber | None = None  # per run: training
    max_monthly_usd: PositiveNumber | None = None  # per month: inference, apple-build

    @model_validator(mode="after")
    def _some_limit(self) -> PolicyRule:
        if self.max_usd is None and self.max_monthly_usd is None:
            raise ValueError("a rule needs max_usd (per run, training) or max_monthly_usd (per month), or both")
        return self

    def limit(self, period: Period) -> float | None:
        return self.max_usd if period == "run" else self.max_monthly_usd


class Policy(_Strict):
    rules: list[PolicyRule] = Field(min_length=1)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` stay within a path segment, ``**/`` spans directories, ``[...]`` is a class."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        ch = pattern[i]
        end = pattern.find("]", i + 2) if ch == "[" else -1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif end > 0:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(pattern: str, path: str) -> bool:
    """Match a profile path relative to the working directory; a pattern without ``/`` matches the file name."""
    path = normalize_path(path)
    pattern = pattern.strip()
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    target = path if "/" in pattern else posixpath.basename(path)
    return glob_regex(pattern).match(target) is not None


@dataclass(frozen=True)
class PolicyDocument:
    policy: Policy
    yaml: YamlDocument

    @property
    def path(self) -> str:
        return self.yaml.filename

    def rule_for(self, profile_path: str) -> tuple[int, PolicyRule] | None:
        """The first rule whose glob matches (first match wins)."""
        return next(((i, r) for i, r in enumerate(self.policy.rules) if glob_matches(r.match, profile_path)), None)


def parse_policy(text: str, filename: str = "<policy>") -> PolicyDocument:
    doc = parse_yaml(text, filename, PolicyError)
    if not isinstance(doc.data, dict):
        raise PolicyError("expected a mapping with a 'rules:' list", location=doc.locate(()))
    try:
        policy = Policy.model_validate(doc.data)
    except ValidationError as exc:
        raise validation_error(exc, doc, PolicyError, Policy) from None
    return PolicyDocument(policy, doc)


def read_policy(path: str | Path) -> PolicyDocument:
    return parse_policy(read_text(path, PolicyError), str(path))


@dataclass(frozen=True)
class FlagBudgets:
    max_usd: float | None = None  # per run, training
    max_monthly_usd: float | None = None  # per month, inference and apple-build

    def limit(self, period: Period) -> float | None:
        return self.max_usd if period == "run" else self.max_monthly_usd

    def check(self, kinds: Iterable[str]) -> None:
        """Each flag applies to the profiles of its period; one that applies to none of them is a usage error."""
        for name, value in (("max_usd", self.max_usd), ("max_monthly_usd", self.max_monthly_usd)):
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise UsageError(f"--{name.replace('_', '-')} must be a finite number greater than 0, got {value:g}")
        periods = {period_for(k) for k in kinds}
        if not periods:
            return
        if self.max_usd is not None and "run" not in periods:
            raise UsageError(
                "--max-usd is a per-run budget for training profiles, and none of the profiles is training",
                hint="inference and apple-build profiles are budgeted per month: use --max-monthly-usd",
            )
        if self.max_monthly_usd is not None and "month" not in periods:
            raise UsageError(
                "--max-monthly-usd is a per-month budget for inference and apple-build profiles, and every "
                "profile is training",
                hint="training profiles are budgeted per run: use --max-usd",
            )


@dataclass(frozen=True)
class BudgetLimit:
    max_usd: float
    period: Period
    source: Literal["flag", "policy", "profile"]
    origin: str  # in words: "--max-usd", "budget-policy.yaml rule 2 (profiles/*.yaml)", "the profile (budget.max_usd)"


def resolve_budget(
    kind: str, path: str, profile_max_usd: float | None, flags: FlagBudgets, policy: PolicyDocument | None
) -> BudgetLimit | None:
    """Command line first; else the stricter of the policy (its first matching rule) and the profile's own
    budget, so a catch-all policy rule can never loosen a budget a team set; None when no budget applies."""
    period = period_for(kind)
    flag = flags.limit(period)
    if flag is not None:
        return BudgetLimit(flag, period, "flag", FLAG_FOR[period])
    hit = policy.rule_for(path) if policy else None
    if policy is not None and hit is not None:
        i, rule = hit
        limit = rule.limit(period)
        if limit is None:
            raise PolicyError(
                f"rule {i + 1} (match {rule.match!r}) matches {path}, {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                f"profile budgeted per {period}, "
                f"but sets only {POLICY_KEY_FOR['month' if period == 'run' else 'run']}",
                location=policy.yaml.locate(("rules", i, "match")),
                hint=f"add {POLICY_KEY_FOR[period]}: to this rule, or put a rule for {path} before it",
            )
        if profile_max_usd is not None and profile_max_usd < limit:
            return BudgetLimit(
                profile_max_usd, period, "profile", "the profile (budget.max_usd, stricter than the policy)"
            )
        return BudgetLimit(limit, period, "policy", f"{policy.path} rule {i + 1} ({rule.match})")
    if profile_max_usd is not None:
        return BudgetLimit(profile_max_usd, period, "profile", "the profile (budget.max_usd)")
    return None


# --- baselines ---------------------------------------------------------------------------------------------


class _Lenient(BaseModel):
    """Report models: what placer writes, and what it reads back from a baseline (ignoring other keys)."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class CostSummary(_Lenient):
    total_usd: float = Field(ge=0)
    period: Period


class PlacementSummary(_Lenient):
    offer: str
    provider: str
    region: str
    instance: str | None = None
    accelerator: str | None = None
    accelerator_count: int | None = None
    instances: int | None = None
    pricing: str
    cost: CostSummary


class BaselineEntry(_Lenient):
    file: str | None = None
    name: str | None = None
    kind: str | None = None
    chosen: PlacementSummary | None = None


class _PlanWorkload(_Lenient):
    name: str
    kind: str
    file: str | None = None


class _PlanShape(_Lenient):
    workload: _PlanWorkload
    chosen: PlacementSummary | None


class _CheckShape(_Lenient):
    profiles: list[BaselineEntry]


@dataclass(frozen=True)
class Baseline:
    file: str
    entries: tuple[BaselineEntry, ...]

    def assign(self, profiles: Sequence[tuple[str, str | None]]) -> list[int | None]:
        """The baseline entry of each (path, workload name): same file first; then, among entries no file
        claimed, the one entry with the same name. A copy of a profile under a new file is new, not a change."""
        by_file = {normalize_path(e.file): i for i, e in enumerate(self.entries) if e.file is not None}
        out: list[int | None] = [by_file.get(normalize_path(path)) for path, _ in profiles]
        claimed = {i for i in out if i is not None}
        for k, (_, name) in enumerate(profiles):
            if out[k] is not None or name is None:
                continue
            named = [i for i, e in enumerate(self.entries) if e.name == name and i not in claimed]
            if len(named) == 1:
                out[k] = named[0]
                claimed.add(named[0])
        return out


def parse_baseline(text: str, filename: str = "<baseline>") -> Baseline:
    """A check report (``profiles: [...]``), one plan (``workload`` + ``chosen``) or a list of plans."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"not valid JSON: {exc.msg}", location=SourceLocation(filename, exc.lineno)) from None
    try:
        if isinstance(data, dict) and "profiles" in data:
            return Baseline(filename, tuple(_CheckShape.model_validate(data).profiles))
        plans = data if isinstance(data, list) else [data]
        entries = []
        for item in plans:
            plan = _PlanShape.model_validate(item)
            w = plan.workload
            entries.append(BaselineEntry(file=w.file, name=w.name, kind=w.kind, chosen=plan.chosen))
        return Baseline(filename, tuple(entries))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise BaselineError(
            f"not a placer plan or check report ({where}: {first['msg']})",
            location=SourceLocation(filename),
            hint="write one with `placer check … --format json --output FILE` or `placer plan … --format json`",
        ) from None


def read_baseline(path: str | Path) -> Baseline:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BaselineError(
            "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror or exc}",
            location=SourceLocation(str(path)),
        ) from None
    return parse_baseline(decode(raw, str(path), BaselineError), str(path))


class Change(_Lenient):
    field: str
    old: str | int | None
    new: str | int | None


PLACEMENT_FIELDS = ("offer", "provider", "region", "instance", "accelerator", "accelerator_count", "instances")


def placement_changes(old: PlacementSummary | None, new: PlacementSummary | None) -> list[Change]:
    if old is None or new is None:
        return [] if old is new else [Change(field="chosen", old=old and old.offer, new=new and new.offer)]
    fields = [*PLACEMENT_FIELDS, "pricing"]
    return [
        Change(field=f, old=getattr(old, f), new=getattr(new, f)) for f in fields if getattr(old, f) != getattr(new, f)
    ]


@dataclass(frozen=True)
class Thresholds:
    max_increase_pct: float | None = None
    max_increase_usd: float | None = None

    @property
    def any(self) -> bool:
        return self.max_increase_pct is not None or self.max_increase_usd is not None


class BaselineResult(_Lenient):
    found: bool
    total_usd: float | None = None
    delta_usd: float | None = None
    delta_pct: float | None = None
    changes: list[Change] = Field(default_factory=list)
    chosen: PlacementSummary | None = None


def compare(old: PlacementSummary | None, new: PlacementSummary | None) -> BaselineResult:
    """Cost delta in $ and % (of the baseline) and placement changes; no delta across different periods."""
    result = BaselineResult(found=True, chosen=old, changes=placement_changes(old, new))
    if old is None or new is None or old.cost.period != new.cost.period:
        return result.model_copy(update={"total_usd": old.cost.total_usd if old else None})
    # at the precision reports are written with, so an unchanged plan diffs as exactly zero
    before, after = round(old.cost.total_usd, DECIMALS), round(new.cost.total_usd, DECIMALS)
    delta = round(after - before, DECIMALS) or 0.0
    share = delta / before * 100 if before > 0 else None
    return result.model_copy(update={"total_usd": before, "delta_usd": delta, "delta_pct": share})


def threshold_breaches(diff: BaselineResult, thresholds: Thresholds, period: str) -> list[str]:
    """Why the increase over the baseline fails the gate: which threshold, and by how much."""
    if diff.delta_usd is None or diff.total_usd is None or diff.delta_usd <= 0:
        return []
    after = diff.total_usd + diff.delta_usd
    moved = f"({usd(diff.total_usd)} → {usd(after)} per {period})"
    out = []
    limit_pct, limit_usd = thresholds.max_increase_pct, thresholds.max_increase_usd
    if limit_pct is not None and diff.delta_pct is None and diff.total_usd == 0:
        out.append(f"cost up from nothing vs baseline {moved}: any increase is over --max-increase-pct {limit_pct:g}")
    if limit_pct is not None and diff.delta_pct is not None and diff.delta_pct > limit_pct:
        out.append(
            f"cost up {pct(diff.delta_pct)} vs baseline {moved}, over --max-increase-pct {limit_pct:g} "
            f"by {diff.delta_pct - limit_pct:.1f} points"
        )
    if limit_usd is not None and diff.delta_usd > limit_usd:
        out.append(
            f"cost up {usd(diff.delta_usd)} vs baseline {moved}, over --max-increase-usd {limit_usd:g} "
            f"by {usd(diff.delta_usd - limit_usd)}"
        )
    return out


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
    return PlacementSummary.model_validate(p.model_dump())


def _over_budget(plan: Plan, limit: BudgetLimit, line: int | None) -> tuple[str, list[str]]:
    """The reason (how far over, against what) and the why (nothing cheaper fits; what would pass)."""
    chosen = plan.chosen
    assert chosen is not None
    total, per = chosen.cost.total_usd, limit.period
    over = total - limit.max_usd
    reason = (
        f"over budget by {usd(over)} ({signed_pct(over / limit.max_usd * 100)}): {usd(total)} per {per} "
        f"against {usd(limit.max_usd)} set by {limit.origin}"
    )
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
            budget = budget.model_copy(update={"over_usd": over, "over_pct": over / limit.max_usd * 100})
    reasons: list[str] = []
    details: list[str] = []
    diff: BaselineResult | None = None
    if options.baseline is not None:
        diff = compare(baseline.chosen, chosen) if baseline is not None else BaselineResult(found=False)
        if diff.found and diff.changes:
            moved = "; ".join(f"{c.field} {c.old} → {c.new}" for c in diff.changes)
            details.append(f"placement changed since the baseline: {moved}")
    code = ExitCode.OK
    result_status: Status = budget.status
    if plan.chosen is None:
        code, result_status = ExitCode.NO_FEASIBLE, "infeasible"
        reasons.append(f"no feasible placement: all {len(plan.rejected):,} offers were rejected")
        details.extend(f"{g.count:,} × {g.code}: {g.example}" for g in plan.rejected_summary[:3])
    else:
        if budget.status == "over" and limit is not None:
            reason, why = _over_budget(plan, limit, line)
            reasons.append(reason)
            details[:0] = why
        breaches = threshold_breaches(diff, options.thresholds, period) if diff else []
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
        plan = make_plan(budgeted, catalog, options.plan_options, file=item.path)
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
    missing = [
        MissingProfile(
            file=e.file,
            name=e.name,
            kind=e.kind,
            total_usd=e.chosen.cost.total_usd if e.chosen else None,
            period=e.chosen.cost.period if e.chosen else None,
        )
        for i, e in enumerate(baseline.entries if baseline else ())
        if i not in matched
    ]
    cost = _period_totals((r.chosen.cost.period, r.chosen.cost.total_usd) for r in results if r.chosen)
    past = None
    if baseline is not None:
        past = _period_totals((e.chosen.cost.period, e.chosen.cost.total_usd) for e in baseline.entries if e.chosen)
    code = worst_exit(r.exit_code for r in results)
    totals = Totals(
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
