"""The ``placer replan`` report: per-profile entries, what moved since a baseline, totals; and joining shards.

Entries are judged by the budget gate's rules (placer.gate); a baseline is applied once every profile is
planned, since matching a baseline entry by name needs all the fleet's names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError

from placer.baseline import BaselineEntry, BaselineResult, Change, PlacementSummary, _Lenient
from placer.budget import REPORT_SCHEMA_VERSION, Period, worst_exit
from placer.errors import ExitCode, InputError, SourceLocation, UsageError
from placer.gate import MissingProfile, PeriodTotals, ProfileResult, Totals, _period_totals, baseline_verdict, tally
from placer.plan import RejectionGroup
from placer.yamldoc import read_text

if TYPE_CHECKING:
    from placer.batch import ReplanOptions


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


class ReplanTotals(Totals):
    pairs: int  # profiles × offers: every pair was filtered or priced
    candidates: int
    examined: int
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


# --- baselines and what moved ----------------------------------------


def _rebaseline(entry: ReplanEntry, old: BaselineEntry | None, options: ReplanOptions) -> ReplanEntry:
    """The gate's baseline rules on an entry planned without one: the diff, and thresholds that fail it."""
    if options.baseline is None:
        return entry
    if entry.chosen is None and entry.status in ("invalid", "unavailable", "error"):
        return entry.model_copy(update={"baseline": BaselineResult(found=old is not None)})
    period: Period = "run" if entry.kind == "training" else "month"
    diff, moved, breaches = baseline_verdict(old, entry.chosen, options.thresholds, period)
    code, gate = entry.exit_code, entry.gate
    if breaches and code == ExitCode.OK:
        code, gate = (int(ExitCode.OK), "warn") if options.warn_only else (int(ExitCode.OVER_BUDGET), "fail")
    return entry.model_copy(
        update={
            "baseline": diff,
            "details": [*entry.details, *([moved] if moved else [])],
            "reasons": [*entry.reasons, *breaches],
            "exit_code": code,
            "gate": gate,
        }
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


# --- the whole report ----------------------------------------


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
            missing.append(MissingProfile.of(old))
    moves = _moves(entries, olds) if baseline is not None else []
    past = None
    if baseline is not None:
        past = _period_totals((o.chosen.cost.period, o.chosen.cost.total_usd) for o in olds.values() if o.chosen)
        past = PeriodTotals(
            run=past.run + sum(m.total_usd or 0 for m in missing if m.period == "run"),
            month=past.month + sum(m.total_usd or 0 for m in missing if m.period == "month"),
        )
    code = worst_exit(e.exit_code for e in entries)
    totals = ReplanTotals(
        **tally(entries, past).model_dump(),
        pairs=len(entries) * catalog.offers,
        candidates=sum(e.candidates for e in entries),
        examined=sum(e.examined for e in entries),
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


# --- merging shards ----------------------------------------


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
    text = read_text(path, InputError, limit=None)
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
