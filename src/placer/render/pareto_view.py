"""The cost/time frontier as a table under the plan: what each step towards a faster placement costs."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from placer.pareto import METRIC_NAMES, dominates, frontier, metric
from placer.placements.common import is_assumed
from placer.plan import Placement, Plan
from placer.render.table import duration_h, ms, resources_text, stdout_console, usd


def frontier_of(plan: Plan) -> list[Placement]:
    """The plan's frontier; for a plan made without ``pareto=True``, the frontier of what it shows."""
    if plan.pareto is not None:
        return plan.pareto
    shown = plan.shown
    return frontier(shown, plan.workload.kind)


def time_text(p: Placement, kind: str) -> str:
    """The placement's frontier time as the plan table writes it (hours for training, ms/min otherwise)."""
    value = metric(p, kind)
    if value is None:
        return "—"
    return duration_h(value) if kind == "training" else ms(value)


def step(prev: Placement, p: Placement, kind: str) -> tuple[str, str]:
    """What moving from the previous (cheaper, slower) frontier point to this one costs, and what it saves."""
    before, after = metric(prev, kind), metric(p, kind)
    extra = p.cost.total_usd - prev.cost.total_usd
    cost = f"+{usd(extra)}" + (f" (+{extra / prev.cost.total_usd:.0%})" if prev.cost.total_usd > 0 else "")
    if before is None or after is None:  # pragma: no cover - the frontier holds only placements with a time
        return cost, ""
    saved = before - after
    return cost, f"{duration_h(saved) if kind == 'training' else ms(saved)} ({saved / before:.0%})"


def off_frontier_note(plan: Plan, points: list[Placement]) -> str:
    """Why the chosen placement is missing from the frontier: a point that beats it (at an assumed price, say)."""
    chosen, kind = plan.chosen, plan.workload.kind
    if chosen is None:
        return "no placement chosen"
    i, better = next(((i, q) for i, q in enumerate(points, 1) if dominates(q, chosen, kind)), (0, None))
    if better is None:  # pragma: no cover - a frontier always beats what it leaves out, or has no time for it
        return f"the chosen {chosen.offer} is not on the frontier"
    why = ", but priced by assumption, which ranks after sourced prices" if is_assumed(better) else ""
    return f"the chosen {chosen.offer} is not on the frontier: #{i} is cheaper and faster{why}"


def pareto_table(plan: Plan) -> Table:
    kind = plan.workload.kind
    points = frontier_of(plan)
    per = "run" if plan.budget.period == "run" else "month"
    considered = len(plan.scored) if plan.scored is not None else len(points)
    table = Table(
        title=f"Pareto frontier (cost vs {METRIC_NAMES.get(kind, 'time')}): {len(points):,} of {considered:,} "
        "feasible placements; no other is cheaper and faster",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        expand=False,
    )
    table.add_column("#", justify="right")
    table.add_column("offer", overflow="fold")
    table.add_column("pricing")
    table.add_column("resources")
    table.add_column("wall" if kind == "training" else "p95", justify="right")
    table.add_column(f"cost/{per}", justify="right")
    table.add_column("costs more by", justify="right")
    table.add_column("faster by", justify="right")
    notes = ["◀ chosen" if plan.chosen is None or plan.chosen in points else off_frontier_note(plan, points)]
    if len(points) > 1:
        notes.append("costs more by, faster by: against the row above")
    if any(is_assumed(p) for p in points):
        notes.append("* priced by assumption (no public price)")
    table.caption = "\n".join(notes)
    table.caption_justify = "left"
    for i, (chosen, cells) in enumerate(frontier_rows(plan, points), 1):
        table.add_row(f"◀ {i}" if chosen else str(i), *cells, style="bold" if chosen else None)
    return table


def frontier_rows(plan: Plan, points: list[Placement]) -> list[tuple[bool, list[str]]]:
    """Each frontier point's cells after its rank (offer … faster by) and whether it is the chosen placement:
    the terminal table and the HTML page show the same."""
    kind = plan.workload.kind
    rows = []
    for i, p in enumerate(points, 1):
        extra, faster = step(points[i - 2], p, kind) if i > 1 else ("cheapest", "slowest")
        cells = [
            p.offer,
            p.pricing + ("*" if is_assumed(p) else ""),
            resources_text(p, kind),
            time_text(p, kind),
            usd(p.cost.total_usd),
            extra,
            faster,
        ]
        rows.append((plan.chosen is not None and p == plan.chosen, cells))
    return rows


def print_pareto(plan: Plan, console: Console | None = None) -> None:
    (console or stdout_console()).print(pareto_table(plan))
