"""The ``placer replan`` report for people: what moved since the baseline, biggest cost change first, and the
profiles that fail; a fleet of thousands is summarised, never printed row by row.

One layout, two media: Markdown (a pull-request comment or the job summary) and a rich table (a terminal).
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placer.budget import signed_pct, signed_usd, usd
from placer.render.markdown import _cell, _code
from placer.render.table import plain_text, stdout_console
from placer.replan_report import Move, ReplanEntry, ReplanReport

SHOWN = 20  # moves and failures listed; the JSON report has them all


def headline(report: ReplanReport) -> str:
    t = report.totals
    scope = ""
    if report.shard is not None:
        scope = f" (shard {report.shard.index}/{report.shard.count})"
    elif report.shards:
        scope = f" ({len(report.shards)} shards merged)"
    verdict = "passed" if report.passed else f"failed (exit {report.exit_code})"
    return (
        f"placer replan{scope}: {t.profiles:,} profiles on {report.catalog.offers:,} offers "
        f"(as of {report.catalog.as_of}): {verdict}"
    )


def counts(report: ReplanReport) -> str:
    t = report.totals
    parts = [
        f"{t.within:,} within budget",
        f"{t.over:,} over",
        f"{t.no_budget:,} without a budget",
        f"{t.infeasible:,} with no feasible placement",
        f"{t.invalid:,} invalid or failed",
    ]
    if t.warned:
        parts.append(f"{t.warned:,} warned only")
    return " · ".join(parts)


def cost_line(report: ReplanReport) -> str:
    t = report.totals
    line = f"Chosen placements cost {usd(t.cost_usd.run)} per run (training) and {usd(t.cost_usd.month)} per month"
    if t.baseline_cost_usd is not None and t.delta_usd is not None:
        line += (
            f"; baseline {usd(t.baseline_cost_usd.run)} per run and {usd(t.baseline_cost_usd.month)} per month "
            f"({signed_usd(t.delta_usd.run)} per run, {signed_usd(t.delta_usd.month)} per month)"
        )
    return line + "."


def moved_line(report: ReplanReport) -> str | None:
    m = report.totals.moved
    if m is None:
        return None
    return (
        f"Since {report.baseline or 'the baseline'}: {m.placement_changed:,} placements changed · "
        f"{m.cost_up:,} cost more · {m.cost_down:,} cost less · {m.newly_over:,} newly over budget · "
        f"{m.back_within:,} back within · {m.new:,} new · {m.missing:,} gone"
    )


def _offer_move(m: Move) -> str:
    if m.kind == "new":
        return f"new: {m.new_offer or ('none feasible' if m.new_status == 'infeasible' else m.new_status)}"
    if m.old_offer == m.new_offer:
        return m.new_offer or "none feasible"
    return f"{m.old_offer or 'none'} → {m.new_offer or 'none feasible'}"


def _cost_move(m: Move) -> str:
    per = f" / {m.period}" if m.period else ""
    if m.delta_usd is None:
        return (usd(m.new_usd) + per) if m.new_usd is not None else "—"
    share = f" ({signed_pct(m.delta_pct)})" if m.delta_pct is not None else ""
    return f"{signed_usd(m.delta_usd)}{share} → {usd(m.new_usd or 0.0)}{per}"


def _status_move(m: Move) -> str:
    if m.old_status is not None and m.old_status != m.new_status:
        text = f"{m.old_status} → {m.new_status}"
    else:
        text = m.new_status
    return text + (" (newly over)" if m.newly_over and m.kind == "changed" else "")


def failing(report: ReplanReport) -> list[ReplanEntry]:
    return [e for e in report.profiles if e.gate != "pass"]


def _more(total: int, shown: int, what: str) -> str | None:
    return f"… and {total - shown:,} more {what} in the JSON report (--format json)" if total > shown else None


def markdown(report: ReplanReport) -> str:
    out = [f"## {headline(report)}", "", counts(report), "", cost_line(report)]
    line = moved_line(report)
    if line:
        out += ["", line]
    if report.moved:
        out += ["", "### What moved", "", "| Profile | Placement | Cost change | Budget |", "|---|---|---:|---|"]
        for m in report.moved[:SHOWN]:
            label = f"{_cell(m.name)} ({_code(m.file)})" if m.name else _code(m.file)
            out.append(f"| {label} | {_cell(_offer_move(m))} | {_cost_move(m)} | {_cell(_status_move(m))} |")
        more = _more(len(report.moved), SHOWN, "moves")
        out += ["", more] if more else []
    if report.missing:
        out += ["", "In the baseline but not re-planned now:", ""]
        out += [f"- {_code(g.file or g.name or '?')}" for g in report.missing[:SHOWN]]
    bad = failing(report)
    if bad:
        out += ["", "### Failing", ""]
        for e in bad[:SHOWN]:
            out.append(f"- {_code(e.file)}: {_cell('; '.join(e.reasons) or e.status)}")
        more = _more(len(bad), SHOWN, "failing profiles")
        out += ["", more] if more else []
    return "\n".join(out) + "\n"


def render_replan(report: ReplanReport) -> Group:
    parts: list[RenderableType] = [Text(headline(report), style="bold"), Text(counts(report)), Text(cost_line(report))]
    line = moved_line(report)
    if line:
        parts.append(Text(line))
    if report.moved:
        table = Table(box=box.SIMPLE_HEAD, title="What moved", title_justify="left")
        table.add_column("profile", overflow="fold")
        table.add_column("placement", overflow="fold")
        table.add_column("cost change", justify="right", overflow="fold")
        table.add_column("budget", overflow="fold")
        for m in report.moved[:SHOWN]:
            style = "red" if m.newly_over else ("green" if (m.delta_usd or 0) < 0 else None)
            table.add_row(m.file, _offer_move(m), _cost_move(m), _status_move(m), style=style)
        parts.append(table)
        more = _more(len(report.moved), SHOWN, "moves")
        if more:
            parts.append(Text(more))
    if report.missing:
        parts.append(
            Text(
                "In the baseline but not re-planned now: "
                + ", ".join(g.file or g.name or "?" for g in report.missing[:SHOWN])
            )
        )
    bad = failing(report)
    if bad:
        parts.append(Text())
        parts.append(Text("Failing:", style="bold"))
        parts.extend(Text(f"  • {e.file}: {'; '.join(e.reasons) or e.status}") for e in bad[:SHOWN])
        more = _more(len(bad), SHOWN, "failing profiles")
        if more:
            parts.append(Text(more))
    return Group(*parts)


def print_replan(report: ReplanReport, console: Console | None = None) -> None:
    (console or stdout_console()).print(render_replan(report))


def replan_text(report: ReplanReport) -> str:
    """The terminal rendering as plain text, for ``--output FILE`` with the table format."""
    return plain_text(render_replan(report))
