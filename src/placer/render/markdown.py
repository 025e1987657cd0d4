"""The ``placer check`` report for people: Markdown for a pull-request comment or the job summary, and the same
rows as a rich table for a terminal. One layout, two media: a row per profile (placement, cost and period,
budget and where it came from, status, delta against the baseline), then why each failing profile fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from placer.baseline import PlacementSummary
from placer.budget import signed_pct, signed_usd, usd
from placer.gate import CheckReport, ProfileResult
from placer.render.table import plain_text, stdout_console


def _placement(p: PlacementSummary | None) -> tuple[str, ...]:
    if p is None:
        return ("none feasible",)
    if p.accelerator is None:
        what = "per-token API"
    elif p.accelerator_count:
        what = f"{p.accelerator_count:,} × {p.accelerator}"
    else:
        what = p.accelerator
    return (what, p.offer, p.pricing)


def _budget(r: ProfileResult) -> str:
    b = r.budget
    if b is None or b.limit_usd is None:
        return "none"
    source = {"flag": (b.origin or "flag"), "policy": "policy", "profile": "profile"}.get(b.source or "", "")
    return f"{usd(b.limit_usd)} / {b.period} ({source})"


def _status(r: ProfileResult) -> str:
    b = r.budget
    if r.status == "invalid":
        return "invalid profile"
    if r.status in ("unavailable", "error"):
        return f"error (exit {r.exit_code})"
    if r.status == "infeasible":
        return "no feasible placement"
    if b is not None and b.status == "over" and b.over_usd is not None:
        text = f"over by {usd(b.over_usd)}" + (f" ({signed_pct(b.over_pct)})" if b.over_pct is not None else "")
    elif b is not None and b.status == "within" and b.limit_usd is not None and b.total_usd is not None:
        text = f"within ({usd(b.limit_usd - b.total_usd)} to spare)"
    else:
        text = "no budget (passes)"
    if r.status != "over" and r.reasons:
        text += "; increase past threshold"
    if r.gate == "warn":
        text += ", warning only"
    return text


def _delta(r: ProfileResult) -> str:
    d = r.baseline
    if d is None:
        return "—"
    if not d.found:
        return "new"
    if d.delta_usd == 0 and not d.changes:
        return "no change"
    parts = []
    if d.delta_usd is not None:
        parts.append(signed_usd(d.delta_usd) + (f" ({signed_pct(d.delta_pct)})" if d.delta_pct is not None else ""))
    if d.changes:
        parts.append("placement changed")
    return ", ".join(parts) or "—"


@dataclass(frozen=True)
class Row:
    """A profile's cells in plain text, laid out as a Markdown row or a terminal row."""

    result: ProfileResult
    placement: tuple[str, ...]
    cost: str
    budget: str
    status: str
    delta: str | None  # None without a baseline


def rows(report: CheckReport) -> list[Row]:
    out = []
    for r in report.profiles:
        broken = r.status in ("invalid", "unavailable", "error")
        out.append(
            Row(
                result=r,
                placement=("—",) if broken else _placement(r.chosen),
                cost=f"{usd(r.chosen.cost.total_usd)} / {r.chosen.cost.period}" if r.chosen else "—",
                budget=_budget(r) if r.budget else "—",
                status=_status(r),
                delta=_delta(r) if report.baseline is not None else None,
            )
        )
    return out


def headline(report: CheckReport) -> str:
    t = report.totals
    verdict = "passed" if report.passed else "failed"
    if report.passed and t.warned:
        verdict = "passed with warnings"
    return f"placer budget check: {verdict} (exit {report.exit_code})"


def counts(report: CheckReport) -> str:
    t = report.totals
    parts = [
        (t.within, "within budget"),
        (t.over, "over budget"),
        (t.no_budget, "without a budget (they pass)"),
        (t.infeasible, "with no feasible placement"),
        (t.invalid, "invalid"),
    ]
    shown = ", ".join(f"{n} {words}" for n, words in parts if n)
    noun = "profile" if t.profiles == 1 else "profiles"
    catalog = f"; prices as of {report.catalog_as_of}" if report.catalog_as_of else ""
    return f"{t.profiles} {noun} checked: {shown or 'none'}{catalog}."


def totals_line(report: CheckReport) -> str:
    """Sums per period (a run and a month do not add up), beside the baseline's when there is one."""
    t, past, delta = report.totals, report.totals.baseline_cost_usd, report.totals.delta_usd
    parts = []
    for period, words in (("run", "per run (training)"), ("month", "per month (inference and builds)")):
        now = getattr(t.cost_usd, period)
        before = getattr(past, period) if past is not None else 0.0
        if not (now or before):
            continue
        text = f"{usd(now)} {words}"
        if past is not None and delta is not None:
            text += f", baseline {usd(before)} ({signed_usd(getattr(delta, period))})"
        parts.append(text)
    return "Total: " + ("; ".join(parts) or usd(0)) + "."


def missing_lines(report: CheckReport, code: bool = False) -> list[str]:
    out = []
    for m in report.missing:
        cost = f", {usd(m.total_usd)} / {m.period}" if m.total_usd is not None and m.period else ""
        file = (_code(m.file) if code else m.file) if m.file else "no file recorded"
        out.append(f"{_cell(m.name) if code and m.name else m.name or '?'} ({file}){cost}")
    return out


def why(report: CheckReport) -> list[tuple[ProfileResult, list[str]]]:
    """For each profile that fails or warns: its reasons, then the details behind them."""
    return [(r, [*r.reasons, *r.details]) for r in report.profiles if r.gate != "pass"]


# --- Markdown ------------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _code(text: str) -> str:
    """A path as code; in a table, a ``|`` needs its backslash even inside backticks (GitHub Markdown)."""
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if "`" not in text else text


def markdown(report: CheckReport) -> str:
    header = ["Profile", "Kind", "Placement", "Cost", "Budget", "Status"]
    header += ["vs baseline"] if report.baseline is not None else []
    out = [f"## {headline(report)}", "", counts(report), ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---:" if h == "Cost" else "---" for h in header) + "|")
    for row in rows(report):
        r = row.result
        cells = [
            f"{_cell(r.name)} ({_code(r.file)})" if r.name else _code(r.file),
            r.kind or "—",
            _cell(" · ".join(row.placement)),
            row.cost,
            row.budget,
            _cell(row.status),
        ]
        cells += [_cell(row.delta)] if row.delta is not None else []
        out.append("| " + " | ".join(cells) + " |")
    out += ["", totals_line(report)]
    gone = missing_lines(report, code=True)
    if gone:
        out += ["", "In the baseline but not checked now:", "", *(f"- {g}" for g in gone)]
    failing = why(report)
    if failing:
        out += ["", "### Why"]
        for r, lines in failing:
            label = f"{_code(r.file)} ({_cell(r.name)})" if r.name else _code(r.file)
            out += ["", f"**{label}**{' (warning only)' if r.gate == 'warn' else ''}", ""]
            out += [f"- {_cell(line)}" for line in lines]
    return "\n".join(out) + "\n"


# --- terminal --------------------------------------------------------------------------------------------------


def render_check(report: CheckReport) -> Group:
    table = Table(box=box.SIMPLE_HEAD, title_justify="left", title=headline(report), leading=1)
    table.add_column("profile", no_wrap=True)
    table.add_column("placement", overflow="fold", min_width=26)
    table.add_column("cost / budget", justify="right", no_wrap=True)
    table.add_column("status" + (" / vs baseline" if report.baseline is not None else ""), overflow="fold")
    for row in rows(report):
        r = row.result
        style = None if r.gate == "pass" else ("yellow" if r.gate == "warn" else "red")
        cells = [
            "\n".join(x for x in (r.name, r.file, r.kind) if x),
            "\n".join(row.placement),
            f"{row.cost}\nbudget {row.budget}".replace(" (", "\n("),
            row.status + (f"\n{row.delta}" if row.delta is not None else ""),
        ]
        table.add_row(*cells, style=style)
    parts: list[RenderableType] = [table, Text(counts(report)), Text(totals_line(report))]
    gone = missing_lines(report)
    if gone:
        parts.append(Text("In the baseline but not checked now: " + "; ".join(gone)))
    for r, lines in why(report):
        parts.append(Text())
        parts.append(Text(f"Why {r.file}" + (" (warning only)" if r.gate == "warn" else "") + ":", style="bold"))
        parts.extend(Text(f"  • {line}") for line in lines)
    return Group(*parts)


def print_check(report: CheckReport, console: Console | None = None) -> None:
    (console or stdout_console()).print(render_check(report))


def check_text(report: CheckReport) -> str:
    """The terminal rendering as plain text, for ``--output FILE`` with the table format."""
    return plain_text(render_check(report))
