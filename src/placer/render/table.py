"""The plan for a person at a terminal: chosen placement, ranked alternatives, why the rest were rejected."""

from __future__ import annotations

import io
import os

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placer.placements.common import is_assumed
from placer.plan import Placement, Plan


def usd(value: float) -> str:
    if value >= 1e6:
        return f"${value / 1e6:,.2f} M"
    if value >= 1000:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def duration_h(hours: float) -> str:
    if hours >= 48:
        return f"{hours:,.0f} h ({hours / 24:,.1f} d)"
    if hours >= 1:
        return f"{hours:,.1f} h"
    return f"{hours * 60:,.0f} min"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 60_000:
        return f"{value / 60_000:,.1f} min"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.0f} ms"


def _per(plan: Plan) -> str:
    return "run" if plan.budget.period == "run" else "month"


def resources_text(p: Placement, kind: str) -> str:
    if kind == "apple-build":
        machines = p.details.get("machines")
        return f"{machines:,} × {p.accelerator}" if machines else f"{p.accelerator} (elastic)"
    if p.accelerator is None:
        return f"API {p.details.get('model', '')}"
    return f"{p.accelerator_count:,} × {p.accelerator}"


def _headline(plan: Plan) -> Text:
    w = plan.workload
    text = Text()
    text.append(f"{w.name}", style="bold")
    text.append(f" · {w.kind} · objective {plan.objective} · catalog {plan.catalog.as_of}")
    text.append(f" ({plan.catalog.offers_considered:,} offers)")
    return text


def _sources(plan: Plan) -> Text | None:
    if not plan.catalog.sources:
        return None
    parts = [f"{s.name} ({s.as_of}, {s.offers:,} offers)" for s in plan.catalog.sources]
    return Text("prices: " + " + ".join(parts), style="dim")


def _chosen(plan: Plan) -> RenderableType:
    p = plan.chosen
    if p is None:
        return Text("No feasible placement: every offer was rejected (reasons below).", style="bold red")
    kind = plan.workload.kind
    t = Text()
    t.append("Chosen: ", style="bold green")
    t.append(f"{p.offer}", style="bold")
    t.append(f" · {p.pricing} · {resources_text(p, kind)}")
    if p.instances and kind != "apple-build":
        t.append(f" on {p.instances:,} instance{'s' if p.instances != 1 else ''} ({p.instance})")
    t.append("\n  ")
    t.append(f"{usd(p.cost.total_usd)} per {_per(plan)}", style="bold")
    if p.cost.egress_usd:
        t.append(f" (incl. {usd(p.cost.egress_usd)} egress)")
    if kind == "training" and p.time.wall_hours is not None:
        t.append(f" · {duration_h(p.time.wall_hours)} wall · {p.time.accelerator_hours or 0:,.0f} accelerator-hours")
    elif kind == "inference":
        t.append(f" · p50 {ms(p.latency.p50_ms)} · p95 {ms(p.latency.p95_ms)} per request")
    else:
        t.append(
            f" · job {p.details.get('job_minutes', 0):.1f} min · turnaround p50 {ms(p.latency.p50_ms)}"
            f", p95 {ms(p.latency.p95_ms)}"
        )
    return t


def _ranked(plan: Plan) -> Table:
    kind = plan.workload.kind
    table = Table(title="Ranked placements", box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    table.add_column("#", justify="right")
    table.add_column("offer", overflow="fold")
    table.add_column("pricing")
    table.add_column("resources")
    if kind == "training":
        table.add_column("wall", justify="right")
        table.add_column("accel-hours", justify="right")
        table.add_column("$/accel-h", justify="right")
    elif kind == "inference":
        table.add_column("p50", justify="right")
        table.add_column("p95", justify="right")
    else:
        table.add_column("job", justify="right")
        table.add_column("p95 turnaround", justify="right")
    table.add_column(f"cost/{_per(plan)}", justify="right")
    rows = plan.shown
    if any(is_assumed(p) for p in rows):
        table.caption = "* priced by assumption (no public price): ranked after sourced prices"
        table.caption_justify = "left"
    for i, p in enumerate(rows, 1):
        cells = [str(i), p.offer, p.pricing + ("*" if is_assumed(p) else ""), resources_text(p, kind)]
        if kind == "training":
            cells += [
                duration_h(p.time.wall_hours or 0),
                f"{(p.time.accelerator_hours or 0) / 1e6:,.2f} M"
                if (p.time.accelerator_hours or 0) >= 1e5
                else f"{p.time.accelerator_hours or 0:,.0f}",
                f"${p.details.get('usd_per_accelerator_hour', 0):,.2f}",
            ]
        elif kind == "inference":
            cells += [ms(p.latency.p50_ms), ms(p.latency.p95_ms)]
        else:
            cells += [f"{p.details.get('job_minutes', 0):.1f} min", ms(p.latency.p95_ms)]
        cells.append(usd(p.cost.total_usd))
        table.add_row(*cells, style="bold" if i == 1 else None)
    return table


def _rejected(plan: Plan) -> Table:
    table = Table(
        title=f"Rejected: {len(plan.rejected):,} offers",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    table.add_column("reason", no_wrap=True)
    table.add_column("offers", justify="right")
    table.add_column("for example", overflow="fold")
    for group in plan.rejected_summary:
        table.add_row(group.code, f"{group.count:,}", group.example)
    return table


def _budget(plan: Plan) -> Text | None:
    b = plan.budget
    if b.status == "none" or b.limit_usd is None or b.total_usd is None:
        return None
    t = Text("Budget: ")
    t.append(f"{usd(b.limit_usd)} per {_per(plan)} — ")
    if b.status == "within":
        t.append(f"within ({usd(b.limit_usd - b.total_usd)} to spare)", style="green")
    else:
        over = b.total_usd - b.limit_usd
        t.append(f"OVER by {usd(over)} (+{over / b.limit_usd:.0%})", style="bold red")
    return t


def _assumptions(plan: Plan) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(overflow="fold")
    for note in [*plan.assumptions, *(plan.chosen.assumptions if plan.chosen else [])]:
        grid.add_row("•", note)
    for warning in plan.warnings:
        grid.add_row(Text("!", style="bold yellow"), Text(warning, style="yellow"))
    return Group(Text("Assumptions", style="bold"), grid)


def render_plan(plan: Plan) -> Group:
    sources = _sources(plan)
    parts: list[RenderableType] = [_headline(plan), *([sources] if sources else []), Text(), _chosen(plan)]
    if plan.chosen is not None:
        from placer.render.spot_view import spot_section  # noqa: PLC0415 - spot_view imports this module

        parts += [Text(), _ranked(plan), *spot_section(plan)]
    if plan.rejected:
        parts.append(_rejected(plan))
    budget = _budget(plan)
    if budget is not None:
        parts += [budget, Text()]
    parts.append(_assumptions(plan))
    return Group(*parts)


PIPE_WIDTH = 120  # when stdout is a file or pipe, rich would otherwise wrap at 80 columns


def stdout_console() -> Console:
    """Stdout at the terminal's width; piped, a fixed width (unless $COLUMNS says otherwise)."""
    console = Console(soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(soft_wrap=False, width=PIPE_WIDTH)
    return console


def plain_text(renderable: RenderableType) -> str:
    """What the terminal would show, without colour, at the piped width: for ``--output FILE``."""
    console = Console(width=PIPE_WIDTH, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def print_plan(plan: Plan, console: Console | None = None) -> None:
    (console or stdout_console()).print(render_plan(plan))
