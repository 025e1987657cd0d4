"""Baselines for the budget gate: read an earlier report or plan, diff costs and placements, apply thresholds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from placer.budget import (
    DECIMALS,
    BaselineError,
    Period,
    normalize_path,
    pct,
    usd,
)
from placer.errors import SourceLocation
from placer.yamldoc import read_text

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
    status: str | None = None  # a report's budget verdict (within, over, …); a plan has none


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
    return parse_baseline(read_text(path, BaselineError, limit=None), str(path))


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
