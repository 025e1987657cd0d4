"""Re-planning a fleet: many profiles × one catalog, in parallel, split into shards, diffed against a baseline.

Each profile is shortlisted (placer.shortlist: the chosen placement and its alternatives, exactly as
``placer plan`` ranks them) and judged by the budget gate's rules. A profile that cannot be read or
planned is reported with its path and reason; the others go on. Shards split a fleet by a stable hash of
each profile's path, so every machine of a CI matrix or a job array picks its share without talking to
the others, and ``merge`` joins their reports into one.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from placer.baseline import (
    Baseline,
    BaselineEntry,
    BaselineResult,
    Change,
    PlacementSummary,
    Thresholds,
    _Lenient,
    compare,
    threshold_breaches,
)
from placer.budget import (
    REPORT_SCHEMA_VERSION,
    FlagBudgets,
    Period,
    PolicyDocument,
    normalize_path,
    resolve_budget,
    worst_exit,
)
from placer.catalog.models import Catalog
from placer.errors import ExitCode, InputError, PlacerError, ProfileError, SourceLocation, UsageError
from placer.gate import CheckOptions, MissingProfile, PeriodTotals, ProfileResult, _failed, _period_totals, evaluate
from placer.plan import RejectionGroup
from placer.planner import PlanOptions
from placer.profile import Budget, read_profile
from placer.shortlist import Shortlister
from placer.yamldoc import decode

# --- shards ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a CI matrix or `--shard 2/4` counts
    count: int

    def holds(self, path: str) -> bool:
        """Whether a profile belongs to this shard: a stable hash of its path, the same on every machine."""
        return zlib.crc32(normalize_path(path).encode("utf-8")) % self.count == self.index - 1


def parse_shard(text: str) -> Shard:
    parts = text.split("/")
    try:
        index, count = (int(p) for p in parts) if len(parts) == 2 else (0, 0)
    except ValueError:
        index = count = 0
    if count < 1 or not 1 <= index <= count:
        raise UsageError(
            f"--shard {text!r} is not I/N with 1 ≤ I ≤ N",
            hint="e.g. --shard 2/4 for the second of four shards (a Kubernetes JOB_COMPLETION_INDEX is I − 1)",
        )
    return Shard(index, count)


# --- the report --------------------------------------------------------------------------------------------


class ReplanEntry(ProfileResult):
    """One profile's outcome: the gate's verdict plus the shortlist it came from."""

    alternatives: list[PlacementSummary] = Field(default_factory=list)
    rejected_summary: list[RejectionGroup] = Field(default_factory=list)
    candidates: int = 0  # (offer, pricing) pairs within the profile's constraints
    examined: int = 0  # pairs priced exactly; the rest could provably not make the shortlist


MoveKind = Literal["changed", "new"]


class Move(_Lenient):
    """A profile whose placement, cost or budget verdict moved since the baseline (or that is new)."""

    file: str
    name: str | None
    kind: MoveKind
    period: Period | None
    old_offer: str | None = None
    new_offer: str | None = None
    old_usd: float | None = None
    new_usd: float | None = None
    delta_usd: float | None = None
    delta_pct: float | None = None
    old_status: str | None = None
    new_status: str
    newly_over: bool = False
    changes: list[Change] = Field(default_factory=list)


class MovedTotals(_Lenient):
    placement_changed: int = 0
    cost_up: int = 0
    cost_down: int = 0
    newly_over: int = 0
    back_within: int = 0
    new: int = 0
    missing: int = 0


class ReplanTotals(_Lenient):
    profiles: int
    within: int
    over: int
    no_budget: int
    infeasible: int
    invalid: int
    failed: int
    warned: int
    pairs: int  # profiles × offers: every pair was filtered or priced
    candidates: int
    examined: int
    cost_usd: PeriodTotals
    baseline_cost_usd: PeriodTotals | None = None
    delta_usd: PeriodTotals | None = None
    moved: MovedTotals | None = None


class CatalogSummary(_Lenient):
    as_of: str
    offers: int


class ShardRef(_Lenient):
    index: int
    count: int


class ReplanReport(_Lenient):
    schema_version: int = REPORT_SCHEMA_VERSION
    report: Literal["placer replan"] = "placer replan"
    exit_code: int
    passed: bool
    catalog: CatalogSummary
    baseline: str | None
    shard: ShardRef | None  # the shard this report covers; None for a whole fleet or a merge
    shards: list[int] = Field(default_factory=list)  # a merge: the shard indexes it joined
    totals: ReplanTotals
    moved: list[Move]
    profiles: list[ReplanEntry]
    missing: list[MissingProfile]
    reasons: list[str]


# --- planning one profile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplanOptions:
    flags: FlagBudgets = field(default_factory=FlagBudgets)
    policy: PolicyDocument | None = None
    baseline: Baseline | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    warn_only: bool = False
    plan_options: PlanOptions = field(default_factory=lambda: PlanOptions(alternatives=3))
    jobs: int = 1
    shard: Shard | None = None


def _gate_options(options: ReplanOptions) -> CheckOptions:
    # the baseline is applied after planning, once all profiles' names are known
    return CheckOptions(
        flags=options.flags, policy=options.policy, warn_only=options.warn_only, plan_options=options.plan_options
    )


def _plan_one(path: str, engine: Shortlister, options: ReplanOptions) -> ReplanEntry:
    gate = _gate_options(options)
    doc = None
    try:
        doc = read_profile(path)
        profile = doc.profile
        own = profile.budget.max_usd if profile.budget else None
        limit = resolve_budget(profile.kind, path, own, options.flags, options.policy)
        budgeted = profile.model_copy(update={"budget": Budget(max_usd=limit.max_usd) if limit else None})
        found = engine.shortlist(budgeted, options.plan_options, file=path)
    except PlacerError as exc:
        return ReplanEntry(**_failed(path, exc, doc, None).model_dump())
    on_budget_line = limit is not None and limit.source == "profile"
    line = doc.locate(("budget", "max_usd") if on_budget_line else ("kind",)).line
    result = evaluate(path, found.plan, limit, line, None, gate)
    alternatives = [PlacementSummary.model_validate(p.model_dump()) for p in found.plan.alternatives]
    return ReplanEntry(
        **result.model_dump(),
        alternatives=alternatives,
        rejected_summary=found.plan.rejected_summary,
        candidates=found.candidates,
        examined=found.examined,
    )


def _broken(path: str, exc: BaseException) -> ReplanEntry:
    """A bug in placer while planning one profile: reported as such (exit 1), never a lost batch."""
    message = f"internal error while planning {path}: {type(exc).__name__}: {exc}"
    return ReplanEntry(
        file=path, status="error", gate="fail", exit_code=int(ExitCode.INTERNAL), reasons=[message], error=message
    )


_WORKER: tuple[Shortlister, ReplanOptions] | None = None  # set in the parent before forking; workers inherit it


def _work(chunk: Sequence[str]) -> list[dict[str, object]]:
    assert _WORKER is not None
    engine, options = _WORKER
    out = []
    for path in chunk:
        try:
            entry = _plan_one(path, engine, options)
        except Exception as exc:  # one profile's bug must not sink the fleet
            entry = _broken(path, exc)
        out.append(entry.model_dump())
    return out


def _chunks(paths: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(paths), size):
        yield paths[start : start + size]


def plan_fleet(
    paths: Sequence[str],
    catalog: Catalog,
    options: ReplanOptions,
    progress: Callable[[int], None] | None = None,
) -> list[ReplanEntry]:
    """Entries in the order of ``paths``. With ``jobs`` > 1, forked workers share the catalog's columns."""
    global _WORKER  # noqa: PLW0603 - handed to forked workers without pickling the catalog
    engine = Shortlister(catalog)
    _WORKER = (engine, options)
    size = max(1, min(256, len(paths) // (max(1, options.jobs) * 8) or 1))
    entries: list[ReplanEntry] = []
    try:
        if options.jobs <= 1 or len(paths) <= size:
            for chunk in _chunks(paths, size):
                entries.extend(ReplanEntry.model_validate(e) for e in _work(chunk))
                if progress:
                    progress(len(chunk))
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(options.jobs) as pool:
                for done in pool.imap(_work, _chunks(paths, size)):
                    entries.extend(ReplanEntry.model_validate(e) for e in done)
                    if progress:
                        progress(len(done))
    finally:
        _WORKER = None
    return entries


# --- baselines and what moved -------------------------------------------------------------------------------


def _rebaseline(entry: ReplanEntry, old: BaselineEntry | None, options: ReplanOptions) -> ReplanEntry:
    """The gate's baseline rules on an entry planned without one: the diff, and thresholds that fail it."""
    if options.baseline is None:
        return entry
    if entry.chosen is None and entry.status in ("invalid", "unavailable", "error"):
        return entry.model_copy(update={"baseline": BaselineResult(found=old is not None)})
    diff = compare(old.chosen, entry.chosen) if old is not None else BaselineResult(found=False)
    details = list(entry.details)
    if diff.found and diff.changes:
        details.append(
            "placement changed since the baseline: " + "; ".join(f"{c.field} {c.old} → {c.new}" for c in diff.changes)
        )
    period: Period = "run" if entry.kind == "training" else "month"
    breaches = threshold_breaches(diff, options.thresholds, period) if entry.chosen is not None else []
    reasons = [*entry.reasons, *breaches]
    code, gate = entry.exit_code, entry.gate
    if breaches and code == ExitCode.OK:
        code, gate = (int(ExitCode.OK), "warn") if options.warn_only else (int(ExitCode.OVER_BUDGET), "fail")
    return entry.model_copy(
        update={"baseline": diff, "details": details, "reasons": reasons, "exit_code": code, "gate": gate}
    )


def _moves(entries: Iterable[ReplanEntry], olds: dict[str, BaselineEntry]) -> list[Move]:
    moves = []
    for e in entries:
        if e.baseline is None:
            continue
        new_usd = e.chosen.cost.total_usd if e.chosen else None
        period = e.chosen.cost.period if e.chosen else None
        if not e.baseline.found:
            moves.append(
                Move(
                    file=e.file,
                    name=e.name,
                    kind="new",
                    period=period,
                    new_offer=e.chosen and e.chosen.offer,
                    new_usd=new_usd,
                    new_status=e.status,
                    newly_over=e.status == "over",
                )
            )
            continue
        old = olds.get(e.file)
        old_status = old.status if old is not None else None
        base = e.baseline
        moved_cost = base.delta_usd is not None and base.delta_usd != 0
        newly_over = e.status == "over" and old_status != "over"
        status_moved = old_status is not None and old_status != e.status
        if not (base.changes or moved_cost or status_moved):
            continue
        moves.append(
            Move(
                file=e.file,
                name=e.name,
                kind="changed",
                period=period,
                old_offer=base.chosen.offer if base.chosen else None,
                new_offer=e.chosen.offer if e.chosen else None,
                old_usd=base.total_usd,
                new_usd=new_usd,
                delta_usd=base.delta_usd,
                delta_pct=base.delta_pct,
                old_status=old_status,
                new_status=e.status,
                newly_over=newly_over,
                changes=base.changes,
            )
        )
    return sorted(moves, key=lambda m: (-abs(m.delta_usd or 0.0), m.kind != "changed", m.file))


def _moved_totals(moves: Sequence[Move], missing: int) -> MovedTotals:
    return MovedTotals(
        placement_changed=sum(1 for m in moves if m.kind == "changed" and m.changes),
        cost_up=sum(1 for m in moves if (m.delta_usd or 0) > 0),
        cost_down=sum(1 for m in moves if (m.delta_usd or 0) < 0),
        newly_over=sum(1 for m in moves if m.newly_over),
        back_within=sum(1 for m in moves if m.old_status == "over" and m.new_status == "within"),
        new=sum(1 for m in moves if m.kind == "new"),
        missing=missing,
    )


# --- the whole report -----------------------------------------------------------------------------------------


def build_report(
    entries: Sequence[ReplanEntry],
    catalog: CatalogSummary,
    options: ReplanOptions,
    *,
    shards: Sequence[int] = (),
) -> ReplanReport:
    """Totals, what moved and the exit code over planned entries (also how ``merge`` re-judges shards)."""
    baseline = options.baseline
    entries = sorted(entries, key=lambda e: e.file)
    missing: list[MissingProfile] = []
    olds: dict[str, BaselineEntry] = {}
    if baseline is not None:
        names = [(e.file, e.name) for e in entries]
        assigned = baseline.assign(names)
        matched = {i for i in assigned if i is not None}
        rebased = []
        for e, i in zip(entries, assigned, strict=True):
            old = baseline.entries[i] if i is not None else None
            if old is not None:
                olds[e.file] = old
            rebased.append(_rebaseline(e, old, options))
        entries = rebased
        for i, old in enumerate(baseline.entries):
            if i in matched or (options.shard is not None and (old.file is None or not options.shard.holds(old.file))):
                continue  # a shard reports only the missing profiles that would have been its own
            missing.append(
                MissingProfile(
                    file=old.file,
                    name=old.name,
                    kind=old.kind,
                    total_usd=old.chosen.cost.total_usd if old.chosen else None,
                    period=old.chosen.cost.period if old.chosen else None,
                )
            )
    moves = _moves(entries, olds) if baseline is not None else []
    cost = _period_totals((e.chosen.cost.period, e.chosen.cost.total_usd) for e in entries if e.chosen)
    past = None
    if baseline is not None:
        past = _period_totals((o.chosen.cost.period, o.chosen.cost.total_usd) for o in olds.values() if o.chosen)
        past = PeriodTotals(
            run=past.run + sum(m.total_usd or 0 for m in missing if m.period == "run"),
            month=past.month + sum(m.total_usd or 0 for m in missing if m.period == "month"),
        )
    code = worst_exit(e.exit_code for e in entries)
    totals = ReplanTotals(
        profiles=len(entries),
        within=sum(e.status == "within" for e in entries),
        over=sum(e.status == "over" for e in entries),
        no_budget=sum(e.status == "none" for e in entries),
        infeasible=sum(e.status == "infeasible" for e in entries),
        invalid=sum(e.status in ("invalid", "unavailable", "error") for e in entries),
        failed=sum(e.gate == "fail" for e in entries),
        warned=sum(e.gate == "warn" for e in entries),
        pairs=len(entries) * catalog.offers,
        candidates=sum(e.candidates for e in entries),
        examined=sum(e.examined for e in entries),
        cost_usd=cost,
        baseline_cost_usd=past,
        delta_usd=PeriodTotals(run=cost.run - past.run, month=cost.month - past.month) if past else None,
        moved=_moved_totals(moves, len(missing)) if baseline is not None else None,
    )
    return ReplanReport(
        exit_code=int(code),
        passed=code == ExitCode.OK,
        catalog=catalog,
        baseline=baseline.file if baseline else None,
        shard=ShardRef(index=options.shard.index, count=options.shard.count) if options.shard else None,
        shards=list(shards),
        totals=totals,
        moved=moves,
        profiles=list(entries),
        missing=missing,
        reasons=[f"{e.file}: {reason}" for e in entries if e.gate != "pass" for reason in e.reasons],
    )


def replan(
    paths: Sequence[str],
    catalog: Catalog,
    options: ReplanOptions,
    *,
    problems: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplanReport:
    """Plan every profile in ``paths`` (those of ``options.shard`` only, when given) and judge the fleet.

    ``problems`` are arguments that named no profile (an empty folder, a glob matching nothing): each is
    reported as an invalid entry, as a bad profile is.
    """
    problems = problems or {}
    mine = [p for p in paths if options.shard is None or options.shard.holds(p)]
    if not paths and not problems:
        raise UsageError("nothing to re-plan: no profiles were given, or --exclude left none")
    entries = plan_fleet(mine, catalog, options, progress)
    for arg, why in problems.items():
        error = ProfileError(why, location=SourceLocation(arg))
        entries.append(ReplanEntry(**_failed(arg, error, None, None).model_dump()))
    return build_report(entries, CatalogSummary(as_of=catalog.as_of, offers=len(catalog.offers)), options)


# --- merging shards ------------------------------------------------------------------------------------------


def merge_reports(reports: Sequence[tuple[str, ReplanReport]], options: ReplanOptions) -> ReplanReport:
    """Join the shards of one fleet: same catalog, same shard count, every shard exactly once."""
    if not reports:
        raise UsageError("--merge needs the JSON reports of the shards to join")
    first_name, first = reports[0]
    counts = {r.shard.count if r.shard else 1 for _, r in reports}
    if len(counts) != 1:
        raise UsageError(
            "these reports come from different splits: "
            + ", ".join(
                f"{n} (shard {r.shard.index}/{r.shard.count})" if r.shard else f"{n} (unsharded)" for n, r in reports
            )
        )
    count = counts.pop()
    seen: dict[int, str] = {}
    for name, r in reports:
        index = r.shard.index if r.shard else 1
        if index in seen:
            raise UsageError(f"shard {index}/{count} given twice: {seen[index]} and {name}")
        seen[index] = name
        if (r.catalog.as_of, r.catalog.offers) != (first.catalog.as_of, first.catalog.offers):
            raise UsageError(
                f"{name} was planned on another catalog ({r.catalog.offers} offers as of {r.catalog.as_of}) "
                f"than {first_name} ({first.catalog.offers} offers as of {first.catalog.as_of})"
            )
    absent = [i for i in range(1, count + 1) if i not in seen]
    if absent:
        raise UsageError(f"shard(s) {', '.join(f'{i}/{count}' for i in absent)} missing from the merge")
    entries = [e for _, r in reports for e in r.profiles]
    if options.baseline is None:
        # keep each shard's own baseline verdicts; join what they found missing
        report = build_report(entries, first.catalog, replace(options, shard=None), shards=sorted(seen))
        moves = sorted(
            (m for _, r in reports for m in r.moved),
            key=lambda m: (-abs(m.delta_usd or 0.0), m.kind != "changed", m.file),
        )
        missing = [m for _, r in reports for m in r.missing]
        had_baseline = any(r.baseline for _, r in reports)
        return report.model_copy(
            update={
                "moved": moves,
                "missing": missing,
                "baseline": next((r.baseline for _, r in reports if r.baseline), None),
                "totals": report.totals.model_copy(
                    update={"moved": _moved_totals(moves, len(missing)) if had_baseline else None}
                ),
            }
        )
    fresh = [e.model_copy(update={"baseline": None}) for e in entries]
    return build_report(fresh, first.catalog, replace(options, shard=None), shards=sorted(seen))


def read_report(path: str) -> ReplanReport:
    """A shard's JSON report, validated; errors name the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror or exc}",
            location=SourceLocation(path),
        ) from None
    text = decode(raw, path, InputError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", location=SourceLocation(path, exc.lineno, exc.colno)) from None
    try:
        return ReplanReport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise InputError(
            f"not a placer replan report ({where}: {first['msg']})",
            location=SourceLocation(path),
            hint="write one with `placer replan … --format json --output FILE`",
        ) from None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
