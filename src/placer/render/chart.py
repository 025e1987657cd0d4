"""The cost/time frontier drawn as a hand-written SVG (or a standalone HTML page around it).

No plotting library: the picture is small and fixed, and hand-written markup keeps it byte-identical for the
same plan. Cost runs along x, time up y, so the best corner is bottom left. Every feasible placement is a faint
dot; the frontier's points are marked, joined by the step line of the best time reachable at each cost, and
labelled; the chosen placement is ringed. An axis whose values span more than 30× is drawn on a log scale, and
its title says so. Every bit of text is escaped.
"""

from __future__ import annotations

import itertools
from html import escape

from placer.pareto import METRIC_NAMES, metric
from placer.placements.common import is_assumed
from placer.plan import Placement, Plan
from placer.render.chart_axes import Axis, make_axis
from placer.render.chart_labels import CHAR_W, FONT, Box, Density, place_beside_line, place_labels
from placer.render.pareto_view import frontier_of, frontier_rows, off_frontier_note, time_text
from placer.render.table import resources_text, usd

WIDTH, HEIGHT = 1000, 640
LEFT, RIGHT, TOP, BOTTOM = 92, 36, 104, 84  # margins round the plot area (two subtitle lines above the legend)
FRONTIER, CHOSEN, CLOUD, BUDGET = "#d62728", "#1f77b4", "#7f7f7f", "#2ca02c"


def _x_unit(plan: Plan) -> str:
    return "USD per run" if plan.budget.period == "run" else "USD per month"


def _y_axis(kind: str) -> tuple[str, float]:
    """(axis title, divisor from the metric's unit): builds' turnaround reads better in minutes than ms."""
    if kind == "training":
        return f"{METRIC_NAMES['training']}, hours", 1.0
    if kind == "apple-build":
        return f"{METRIC_NAMES['apple-build']}, minutes", 60_000.0
    return f"{METRIC_NAMES.get(kind, 'p95 latency')}, ms", 1.0


def label(p: Placement, kind: str) -> str:
    """provider/region/accelerator×count/pricing, with * when the price is an assumption."""
    if p.accelerator is None:
        hardware = f"API {p.details.get('model', p.instance)}"
    elif kind == "apple-build" and not p.details.get("machines", p.accelerator_count):
        hardware = f"{p.accelerator} elastic"
    else:
        hardware = f"{p.accelerator}×{p.accelerator_count:,}" if p.accelerator_count else p.accelerator
    return f"{p.provider}/{p.region}/{hardware}/{p.pricing}" + ("*" if is_assumed(p) else "")


def _tooltip(p: Placement, plan: Plan) -> str:
    kind = plan.workload.kind
    per = "run" if plan.budget.period == "run" else "month"
    what = "wall" if kind == "training" else "p95"
    return (
        f"{p.offer} · {p.pricing} · {resources_text(p, kind)} · {usd(p.cost.total_usd)} per {per} · "
        f"{what} {time_text(p, kind)}"
    )


def _f(value: float) -> str:
    """Coordinates with two decimals: enough for a screen, and stable from run to run."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _ticks(axis: Axis, horizontal: bool, plot: Box, fmt: str) -> list[str]:
    parts: list[str] = []
    for value, text in axis.ticks(fmt):
        pos = axis.position(value)
        if horizontal:
            parts.append(
                f'<line class="grid" x1="{_f(pos)}" y1="{_f(plot.y0)}" x2="{_f(pos)}" y2="{_f(plot.y1)}"/>'
                f'<line x1="{_f(pos)}" y1="{_f(plot.y1)}" x2="{_f(pos)}" y2="{_f(plot.y1 + 5)}" stroke="#333"/>'
                f'<text x="{_f(pos)}" y="{_f(plot.y1 + 18)}" text-anchor="middle">{escape(text)}</text>'
            )
        else:
            parts.append(
                f'<line class="grid" x1="{_f(plot.x0)}" y1="{_f(pos)}" x2="{_f(plot.x1)}" y2="{_f(pos)}"/>'
                f'<line x1="{_f(plot.x0 - 5)}" y1="{_f(pos)}" x2="{_f(plot.x0)}" y2="{_f(pos)}" stroke="#333"/>'
                f'<text x="{_f(plot.x0 - 8)}" y="{_f(pos + 4)}" text-anchor="end">{escape(text)}</text>'
            )
    return parts


def _legend(plot: Box, budget: bool, assumed: bool) -> list[str]:
    """One row under the title: what each mark means."""
    entries = [
        (f'<circle cx="0" cy="-4" r="3" fill="{CLOUD}" fill-opacity="0.35"/>', "feasible placement"),
        (
            f'<path d="M-10,-9 H0 V1 H8" fill="none" stroke="{FRONTIER}" stroke-width="1.5"/>'
            f'<circle cx="0" cy="-4" r="4.5" fill="{FRONTIER}" stroke="#fff"/>',
            "frontier: no other is cheaper and faster",
        ),
        (f'<circle cx="0" cy="-4" r="8" fill="none" stroke="{CHOSEN}" stroke-width="2.5"/>', "chosen"),
    ]
    if assumed:
        entries.append(
            (
                f'<circle cx="0" cy="-4" r="4" fill="#fff" stroke="{FRONTIER}" stroke-width="1.5"/>',
                "* price is an assumption",
            )
        )
    if budget:
        entries.append((f'<line x1="0" y1="-11" x2="0" y2="3" stroke="{BUDGET}" stroke-dasharray="4 3"/>', "budget"))
    parts = ['<g class="legend">']
    x = plot.x0 + 10
    for mark, text in entries:
        parts.append(
            f'<g transform="translate({_f(x)},{_f(TOP - 22)})">{mark}<text x="14" y="0">{escape(text)}</text></g>'
        )
        x += 14 + len(text) * CHAR_W + 24
    parts.append("</g>")
    return parts


def _cloud(spots: list[tuple[float, float, Placement]], plan: Plan) -> list[str]:
    """Every feasible placement as a faint dot: one per pixel (the first there in rank order), its tooltip
    counting the rest, so a 50,000-offer market stays a file a browser opens at once."""
    count: dict[tuple[int, int], int] = {}
    first: list[tuple[tuple[int, int], float, float, Placement]] = []
    for x, y, p in spots:
        key = (round(x), round(y))
        if key not in count:
            first.append((key, x, y, p))
        count[key] = count.get(key, 0) + 1
    parts = ['<g class="cloud">']
    for key, x, y, p in first:
        more = count[key] - 1
        tip = _tooltip(p, plan) + (f" (+{more:,} more here)" if more else "")
        parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3"><title>{escape(tip)}</title></circle>')
    parts.append("</g>")
    return parts


def subtitle_lines(text: str, width: float) -> list[str]:
    """The subtitle in at most two lines of ``width`` px, broken between its `` · `` parts; never clipped:
    what does not fit the second line ends in an ellipsis."""
    most = max(1, int(width // CHAR_W))
    lines: list[str] = []
    for part in text.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= most:
            lines[-1] += " · " + part
        elif len(lines) < 2:
            lines.append(part)
        else:
            lines[-1] += " · " + part
    return [line if len(line) <= most else line[: most - 1].rstrip() + "…" for line in lines]


def _zoom_marks(x_axis: Axis, y_axis: Axis, plot: Box) -> list[str]:
    """A break mark (two slashes across the frame) near the origin of each axis that does not start at zero."""
    parts = []
    for zoomed, (cx, cy) in ((y_axis.zoomed, (plot.x0, plot.y1 - 22)), (x_axis.zoomed, (plot.x0 + 22, plot.y1))):
        if zoomed:
            parts.append(
                f'<g class="axis-break" transform="translate({_f(cx)},{_f(cy)})">'
                '<rect x="-6" y="-3" width="12" height="6" fill="#fff"/>'
                '<path d="M-6,1 L6,-5 M-6,5 L6,-1" stroke="#333" stroke-width="1.2" fill="none"/></g>'
            )
    return parts


def _zoom_note(x_axis: Axis, y_axis: Axis, x_values: list[float], y_values: list[float], y_unit: str) -> str:
    """Which axis does not start at zero, and how narrow the band it shows is."""
    notes = []
    for zoomed, name, values, unit in (
        (y_axis.zoomed, "time", y_values, y_unit),
        (x_axis.zoomed, "cost", x_values, "USD"),
    ):
        if zoomed and values:
            lo, hi = min(values), max(values)
            notes.append(
                f"{name} axis does not start at zero: {name}s span {lo:,.4g}–{hi:,.4g} {unit}, "
                f"{(hi - lo) / hi:.1%} apart"
            )
    return " · ".join(notes)


def _text(x: float, y: float, anchor: str, text: str, css: str, fill: str = "#222") -> str:
    return f'<text class="{css}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'


def svg(plan: Plan) -> str:
    """The chart as an ``<svg>`` element (no XML prolog): the same plan always gives the same bytes."""
    kind = plan.workload.kind
    per = "run" if plan.budget.period == "run" else "month"
    y_title, divisor = _y_axis(kind)
    cloud = plan.scored if plan.scored is not None else plan.shown
    front = frontier_of(plan)
    values = [(p, p.cost.total_usd, t / divisor) for p in cloud if (t := metric(p, kind)) is not None]
    plot = Box(LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)
    x_axis = make_axis([c for _, c, _ in values], plot.x0, plot.x1)
    y_axis = make_axis([t for _, _, t in values], plot.y1, plot.y0)
    budget = (
        plan.budget.limit_usd if plan.budget.limit_usd is not None and x_axis.contains(plan.budget.limit_usd) else None
    )

    def at(p: Placement) -> tuple[float, float]:
        return x_axis.position(p.cost.total_usd), y_axis.position((metric(p, kind) or 0.0) / divisor)

    title = f"{plan.workload.name}: cost vs {METRIC_NAMES.get(kind, 'time')}"
    sub = (
        f"{len(values):,} feasible placements · {len(front):,} on the frontier · objective {plan.objective} · "
        f"catalog {plan.catalog.as_of} · lower left is cheaper and faster"
    )
    limit = plan.budget.limit_usd
    if limit is not None and budget is None and values:  # the budget line would fall off the chart: say where
        side = "over" if limit < x_axis.lo else "within"
        sub += f" · budget {usd(limit)}/{per}: every placement is {side} it"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{FONT}" role="img">',
        f"<title>{escape(title)}</title>",
        f"<style>.grid{{stroke:#e6e6e6;stroke-width:1}}.cloud circle{{fill:{CLOUD};fill-opacity:0.35}}"
        ".leader{stroke:#999;stroke-width:0.75}"
        ".label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}</style>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{_f(plot.x0)}" y="26" font-size="17" font-weight="bold">{escape(title)}</text>',
        *(
            f'<text class="subtitle" x="{_f(plot.x0)}" y="{46 + 15 * i}" fill="#555">{escape(line)}</text>'
            for i, line in enumerate(subtitle_lines(sub, WIDTH - plot.x0 - 12))
        ),
        *_legend(plot, budget is not None, any(is_assumed(p) for p in front)),
        *_ticks(x_axis, True, plot, "usd"),
        *_ticks(y_axis, False, plot, "number"),
        f'<rect x="{_f(plot.x0)}" y="{_f(plot.y0)}" width="{_f(plot.x1 - plot.x0)}" height="{_f(plot.y1 - plot.y0)}" '
        'fill="none" stroke="#333"/>',
        f'<text x="{_f((plot.x0 + plot.x1) / 2)}" y="{_f(HEIGHT - 30)}" text-anchor="middle" font-size="13">'
        f"cost, {escape(_x_unit(plan))}{' (log scale)' if x_axis.log else ''}</text>",
        f'<text transform="translate(22,{_f((plot.y0 + plot.y1) / 2)}) rotate(-90)" text-anchor="middle" '
        f'font-size="13">{escape(y_title)}{" (log scale)" if y_axis.log else ""}'
        f"{' (does not start at zero)' if y_axis.zoomed else ''}</text>",
        *_zoom_marks(x_axis, y_axis, plot),
    ]
    zoom = _zoom_note(x_axis, y_axis, [c for _, c, _ in values], [t for _, _, t in values], y_title.split(", ")[-1])
    if zoom:
        parts.append(
            f'<text class="zoom-note" x="{_f(plot.x0)}" y="{_f(HEIGHT - 10)}" fill="#a00">{escape(zoom)}</text>'
        )
    if not values:
        parts.append(
            f'<text x="{_f((plot.x0 + plot.x1) / 2)}" y="{_f((plot.y0 + plot.y1) / 2)}" text-anchor="middle" '
            'font-size="15" fill="#a00">No feasible placement: nothing to draw (the plan says why).</text>'
        )
    obstacles: list[Box] = []
    if budget is not None:
        bx, note = x_axis.position(budget), f"budget {usd(budget)}/{per}"
        parts.append(
            f'<line x1="{_f(bx)}" y1="{_f(plot.y0)}" x2="{_f(bx)}" y2="{_f(plot.y1)}" stroke="{BUDGET}" '
            f'stroke-dasharray="4 3"><title>{escape(note)}</title></line>'
        )
    where = [at(p) for p, _, _ in values]
    parts += _cloud([(x, y, p) for (x, y), (p, _, _) in zip(where, values, strict=True)], plan)

    spots = [at(p) for p in front]
    if spots:
        path = [f"M{_f(spots[0][0])},{_f(spots[0][1])}"]
        for (x0, y0), (x1, y1) in itertools.pairwise(spots):
            path.append(f"H{_f(x1)}V{_f(y1)}")
            obstacles += [Box(x0, y0 - 2, x1, y0 + 2), Box(x1 - 2, y0, x1 + 2, y1)]
        parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{FRONTIER}" stroke-width="1.5"/>')
    chosen = plan.chosen if plan.chosen is not None and metric(plan.chosen, kind) is not None else None
    off_frontier = chosen is not None and chosen not in front
    anchors = spots + ([at(chosen)] if off_frontier and chosen is not None else [])
    obstacles += [Box(x - 9, y - 9, x + 9, y + 9) for x, y in anchors]
    texts = [label(p, kind) for p in front] + (["chosen (off the frontier)"] if off_frontier else [])
    density = Density(where, plot)
    labels = place_labels(anchors, texts, plot, obstacles, density)
    if chosen is not None:
        cx, cy = at(chosen)
        parts.append(
            f'<circle class="chosen" cx="{_f(cx)}" cy="{_f(cy)}" r="9" fill="none" stroke="{CHOSEN}" '
            f'stroke-width="2.5"><title>chosen: {escape(_tooltip(chosen, plan))}</title></circle>'
        )
    parts.append('<g class="frontier">')
    for i, ((x, y), text, spot) in enumerate(zip(anchors, texts, labels, strict=True), 1):
        if spot.leader:
            ly = spot.box.y1 if spot.box.y1 < y else spot.box.y0
            parts.append(f'<line class="leader" x1="{_f(x)}" y1="{_f(y)}" x2="{_f(spot.x)}" y2="{_f(ly)}"/>')
        if i > len(front):  # the chosen placement, off the frontier
            parts.append(_text(spot.x, spot.y, spot.anchor, text, "label chosen-label", CHOSEN))
            continue
        p = front[i - 1]
        fill = "#fff" if is_assumed(p) else FRONTIER
        prefix = "chosen · " if chosen is not None and p == chosen else ""
        parts.append(
            f'<circle class="frontier-point" id="frontier-{i}" data-rank="{i}" data-offer="{escape(p.offer)}" '
            f'data-pricing="{escape(p.pricing)}" cx="{_f(x)}" cy="{_f(y)}" r="4.5" fill="{fill}" '
            f'stroke="{FRONTIER if is_assumed(p) else "#fff"}" stroke-width="1.5">'
            f"<title>{escape(f'{prefix}frontier #{i}: {_tooltip(p, plan)}')}</title></circle>"
        )
        parts.append(_text(spot.x, spot.y, spot.anchor, text, "label frontier-label"))
    parts.append("</g>")
    if budget is not None:  # its note last: the frontier's labels had first pick of the room
        taken = [*obstacles, *(spot.box for spot in labels)]
        note = f"budget {usd(budget)}/{per}"
        spot = place_beside_line(x_axis.position(budget), note, plot, taken, density)
        parts.append(_text(spot.x, spot.y, spot.anchor, note, "label", BUDGET))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def svg_document(plan: Plan) -> str:
    """A standalone ``.svg`` file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg(plan)


def html_document(plan: Plan) -> str:
    """A standalone page: the chart, and the frontier as a table a person can copy from."""
    kind = plan.workload.kind
    per = "run" if plan.budget.period == "run" else "month"
    points = frontier_of(plan)
    metric_name = METRIC_NAMES.get(kind, "time")
    rows = []
    for i, ((chosen, shown), p) in enumerate(zip(frontier_rows(plan, points), points, strict=True), 1):
        cells = [str(i), *shown, "◀ chosen" if chosen else ""]
        tds = "".join(f"<td>{escape(c)}</td>" for c in cells)
        mark = ' class="chosen"' if chosen else ""
        rows.append(f'<tr data-rank="{i}" data-offer="{escape(p.offer)}"{mark}>{tds}</tr>')
    headers = ("#", "offer", "pricing", "resources", "wall" if kind == "training" else "p95", f"cost/{per}")
    head = "".join(f"<th>{escape(h)}</th>" for h in (*headers, "costs more by", "faster by", ""))
    notes = []
    if plan.chosen is not None and plan.chosen not in points:
        notes.append(off_frontier_note(plan, points))
    if len(points) > 1:
        notes.append("costs more by, faster by: against the row above")
    if any(is_assumed(p) for p in points):
        notes.append("* priced by assumption (no public price)")
    caption = f"Pareto frontier: {len(points):,} placements, cheapest first"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(f'{plan.workload.name}: cost vs {metric_name}')}</title>\n"
        "<style>body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#222}"
        "h1{font-size:20px;margin:0 0 4px}p{margin:4px 0;color:#555}"
        "table{border-collapse:collapse;margin-top:16px}caption{text-align:left;font-weight:bold;padding:4px 0}"
        "th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}"
        "td:nth-child(n+5):nth-child(-n+8),th:nth-child(n+5):nth-child(-n+8){text-align:right}"
        "tr.chosen{font-weight:bold}</style>\n"
        "</head>\n<body>\n"
        f"<h1>{escape(plan.workload.name)}</h1>\n"
        f"<p>{escape(f'placer plan: cost vs {metric_name}, {plan.workload.kind}, objective {plan.objective}')}</p>\n"
        f"{svg(plan)}"
        f"<table>\n<caption>{escape(caption)}</caption>\n"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n"
        + "".join(f"<p>{escape(n)}</p>\n" for n in notes)
        + "</body>\n</html>\n"
    )


def chart_document(plan: Plan, suffix: str) -> str:
    """The chart file's text for a ``.svg`` or ``.html`` name."""
    return html_document(plan) if suffix.lower() == ".html" else svg_document(plan)
