"""Spot vs on-demand: what preemptions are expected to cost each spot placement a training plan shows, beside
the same offer on demand at the same instance count, so the user sees the trade before taking the cheap side.

Every figure comes from the placement's ``details`` (placer.placements.training); nothing is estimated here.
"""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from placer.plan import Placement, Plan
from placer.render.table import duration_h, usd


def spot_placements(plan: Plan) -> list[tuple[int, Placement]]:
    """The spot placements among those shown, with their rank in the ranked table."""
    if plan.workload.kind != "training":
        return []
    shown = plan.shown
    return [(i, p) for i, p in enumerate(shown, 1) if p.pricing == "spot" and "spot_overhead_usd" in p.details]


def _number(details: dict[str, str | int | float | bool], key: str) -> float | None:
    value = details.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def rate_label(p: Placement) -> str:
    """ "17.5% p5.48xlarge" from a catalog row (its provider is the offer's), "10% assumed" for the default."""
    rate = f"{(_number(p.details, 'spot_interruptions_per_month') or 0.0) * 100:g}%"
    source = str(p.details.get("spot_rate_source", "default"))
    return f"{rate} assumed" if source == "default" else f"{rate} {source.split(' ', 1)[-1]}"


def count(value: float) -> str:
    """Expected interruptions: small ones keep two significant digits rather than rounding to zero."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.1f}"
    return f"{value:.2g}"


def lost(hours: float) -> str:
    if hours >= 1:
        return duration_h(hours)
    if hours * 60 >= 1:
        return f"{hours * 60:,.0f} min"
    return f"{hours * 3600:,.0f} s"


def money(value: float) -> str:
    if value < 0:
        return "-" + money(-value)
    return "< $0.01" if 0 < value < 0.005 else usd(value)


def saving(p: Placement) -> str:
    value, share = _number(p.details, "spot_saving_usd"), _number(p.details, "spot_saving_pct")
    if value is None or share is None:
        return "—"
    return f"{money(value)} ({share:.0f}%)"


def spot_table(plan: Plan) -> Table | None:
    rows = spot_placements(plan)
    if not rows:
        return None
    table = Table(
        title="Spot vs on-demand", box=box.SIMPLE_HEAD, title_justify="left", show_edge=False, collapse_padding=True
    )
    table.add_column("offer", overflow="fold")
    table.add_column("rate/month", overflow="fold")
    table.add_column("interrupts", justify="right")
    table.add_column("lost", justify="right")
    table.add_column("overhead", justify="right")
    table.add_column("spot", justify="right")
    table.add_column("on-demand", justify="right")
    table.add_column("saving", justify="right")
    for i, p in rows:
        details = p.details
        on_demand = _number(details, "on_demand_total_usd")
        table.add_row(
            p.offer,
            rate_label(p),
            count(_number(details, "spot_interruptions") or 0.0),
            lost(_number(details, "spot_lost_hours") or 0.0),
            money(_number(details, "spot_overhead_usd") or 0.0),
            usd(p.cost.total_usd),
            "no price" if on_demand is None else usd(on_demand),
            saving(p),
            style="bold" if i == 1 else None,
        )
    return table


LEGEND = (
    "rate: share of instances interrupted per month; interrupts: expected over the run; lost: each costs half a "
    "checkpoint interval plus a restart; on-demand: the same offer and instance count; saving: net of the overhead "
    "(the spot total already includes it)"
)


def spot_section(plan: Plan) -> list[RenderableType]:
    """The section for ``render_plan``: nothing when the plan shows no spot placement."""
    table = spot_table(plan)
    return [] if table is None else [table, Text(LEGEND, style="dim"), Text()]
