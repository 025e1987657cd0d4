"""The frontier chart: well-formed SVG and HTML holding every frontier point, axes, labels, the CLI's --chart.

Golden SVG for one plan (regenerate with PLACER_UPDATE_GOLDEN=1, review the diff, and look at it rendered).
"""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.conftest import ROOT, profile_from, run_placer
from tests.test_render import check_golden

from placer.catalog.models import Catalog
from placer.plan import Plan
from placer.planner import PlanOptions, make_plan
from placer.profile import read_profile
from placer.render.chart import WIDTH, html_document, label, subtitle_lines, svg, svg_document
from placer.render.chart_axes import make_axis
from placer.render.chart_labels import Box, Density, place_labels

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG_TEXT, SVG_G = "{http://www.w3.org/2000/svg}text", "{http://www.w3.org/2000/svg}g"
PROFILES = ["llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"]


def _plan(name: str, catalog: Catalog, pareto: bool = True) -> Plan:
    doc = read_profile(ROOT / "profiles" / f"{name}.yaml")
    return make_plan(doc.profile, catalog, PlanOptions(pareto=pareto), file=f"profiles/{name}.yaml")


def _frontier_points(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{{{NS['svg']}}}circle") if e.get("class") == "frontier-point"]


# --- SVG ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROFILES)
def test_svg_parses_and_marks_every_frontier_point_once(name: str, mini_catalog: Catalog):
    plan = _plan(name, mini_catalog)
    root = ET.fromstring(svg_document(plan).encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    front = plan.pareto or []
    marked = _frontier_points(root)
    assert [e.get("data-offer") for e in marked] == [p.offer for p in front]
    assert [e.get("id") for e in marked] == [f"frontier-{i}" for i in range(1, len(front) + 1)]
    for e in marked:  # a tooltip on each
        assert e.find("svg:title", NS) is not None
    labels = [e.text for e in root.iter(f"{{{NS['svg']}}}text") if "frontier-label" in (e.get("class") or "")]
    assert labels == [label(p, plan.workload.kind) for p in front]
    cloud = root.find(".//svg:g[@class='cloud']", NS)
    assert cloud is not None
    assert 0 < len(cloud) <= len(plan.scored or [])  # one faint dot per screen spot
    assert len([e for e in root.iter() if e.get("class") == "chosen"]) == 1


def test_axes_say_units_and_log_scale(mini_catalog: Catalog):
    texts = {
        name: " ".join(e.text or "" for e in ET.fromstring(svg(_plan(name, mini_catalog))).iter(f"{{{NS['svg']}}}text"))
        for name in PROFILES
    }
    assert "cost, USD per run" in texts["llama2-70b-pretrain"]
    assert "wall time, hours" in texts["llama2-70b-pretrain"]
    assert "cost, USD per month" in texts["chat-70b-service"]
    assert "p95 latency, ms" in texts["chat-70b-service"]
    assert "p95 job turnaround incl. queue, minutes" in texts["ios-app-ci"]
    assert "(log scale)" not in texts["chat-70b-service"]  # $16,640 to $148,009 a month: under 30×


def test_svg_is_byte_identical_for_the_same_plan(mini_catalog: Catalog):
    first, second = _plan("chat-70b-service", mini_catalog), _plan("chat-70b-service", mini_catalog)
    assert svg_document(first) == svg_document(second)


def test_svg_golden(mini_catalog: Catalog):
    check_golden("chat-70b-service.pareto.svg", svg_document(_plan("chat-70b-service", mini_catalog)))


def test_every_text_is_escaped(mini_catalog: Catalog):
    name = """a<b>&"c'<script>"""
    profile = profile_from(
        f"kind: training\nname: '{name.replace(chr(39), chr(39) * 2)}'\nmodel: {{parameters: 8B}}\n"
        "training: {tokens: 10B}\n"
    )
    plan = make_plan(profile, mini_catalog, PlanOptions(pareto=True))
    root = ET.fromstring(svg(plan))
    assert root.find("svg:title", NS) is not None
    assert root.find("svg:title", NS).text == f"{name}: cost vs wall time"  # type: ignore[union-attr]
    page = _Page.parse(html_document(plan))
    assert page.title == f"{name}: cost vs wall time"
    assert "<script>" not in svg(plan)


def test_no_feasible_placement_still_draws_a_well_formed_chart(mini_catalog: Catalog):
    profile = profile_from(
        "kind: training\nname: impossible\nmodel: {parameters: 70B}\ntraining: {tokens: 2T}\ndeadline_hours: 1\n"
    )
    plan = make_plan(profile, mini_catalog, PlanOptions(pareto=True))
    assert plan.chosen is None and plan.pareto == []
    root = ET.fromstring(svg(plan))
    assert _frontier_points(root) == []
    assert any("No feasible placement" in (e.text or "") for e in root.iter(f"{{{NS['svg']}}}text"))


def test_a_plan_made_without_the_frontier_charts_what_it_shows(mini_catalog: Catalog):
    plan = _plan("chat-70b-service", mini_catalog, pareto=False)
    marked = _frontier_points(ET.fromstring(svg(plan)))
    assert [e.get("data-offer") for e in marked] == ["meta/muse-spark", "runpod/us/h100-sxm-secure-x8",
                                                     "lambda/us-east-1/gpu_8x_h100_sxm5"]  # fmt: skip


# --- axes and labels ------------------------------------------------------------------------------------------------


def test_axis_goes_log_past_30x_with_round_dollar_ticks():
    axis = make_axis([1009.0, 33131.0], 0, 100)
    assert axis.log
    assert [t for _, t in axis.ticks("usd")] == ["$1k", "$2k", "$5k", "$10k", "$20k"]
    assert axis.position(axis.lo) == 0 and axis.position(axis.hi) == pytest.approx(100)


def test_linear_axis_ticks_and_decimals():
    axis = make_axis([837.1, 839.9], 500, 100)  # y: low values at the bottom
    assert not axis.log
    # 836.96 to 840.04 over ~6 ticks: the round step nearest 0.51 is 0.5, which needs one decimal
    assert [t for _, t in axis.ticks("number")] == ["837.0", "837.5", "838.0", "838.5", "839.0", "839.5", "840.0"]
    quarter = make_axis([0.0, 13.0], 0, 100)  # 0 to 13.65 over ~6 ticks: a step of 2.5 needs one decimal
    assert [t for _, t in quarter.ticks("number")] == ["0.0", "2.5", "5.0", "7.5", "10.0", "12.5"]
    assert axis.position(837.1) > axis.position(839.9)
    money = make_axis([4_389_869.0, 9_258_832.0], 0, 100)
    assert [t for _, t in money.ticks("usd")] == ["$5M", "$6M", "$7M", "$8M", "$9M"]
    # 520.65 to 1,232.35 over ~6 ticks: the round step nearest 118.6 is 100
    assert [t for _, t in make_axis([553.0, 1200.0], 0, 1).ticks("usd")] == [
        "$600", "$700", "$800", "$900", "$1,000", "$1,100", "$1,200"]  # fmt: skip


def test_a_narrow_band_far_from_zero_is_marked_zoomed():
    assert make_axis([837.1, 839.9], 500, 100).zoomed  # 2.8 h of 840: 0.3 %
    assert make_axis([1408.4, 1427.6], 500, 100).zoomed  # 1.3 %
    assert not make_axis([600.0, 900.0], 500, 100).zoomed  # 33 %
    assert not make_axis([0.0, 13.0], 0, 100).zoomed  # starts at zero
    assert not make_axis([1009.0, 33131.0], 0, 100).zoomed  # log


def test_zoomed_time_axis_says_so_on_the_chart(mini_catalog: Catalog):
    root = ET.fromstring(svg(_plan("llama2-70b-pretrain", mini_catalog)))
    texts = ["".join(t.itertext()) for t in root.iter(SVG_TEXT)]
    assert any(t.endswith("(does not start at zero)") for t in texts)
    note = [t for t in texts if "axis does not start at zero" in t]
    assert len(note) == 1 and note[0].startswith("time axis does not start at zero: times span ")
    assert len([g for g in root.iter(SVG_G) if g.get("class") == "axis-break"]) == 1


def test_subtitle_wraps_to_two_lines_and_is_never_clipped():
    parts = [f"part {i} " + "x" * 30 for i in range(3)]
    assert subtitle_lines(" · ".join(parts), 1000) == [" · ".join(parts)]
    width = 60 * 6.6  # room for 60 characters
    assert subtitle_lines(" · ".join(parts), width) == [parts[0], f"{parts[1]} · {parts[2]}"[:59] + "…"]
    long = " · ".join(["8 feasible placements", "objective cost", "catalog 2026-11-22", "lower left is cheaper"])
    lines = subtitle_lines(long, 45 * 6.6)
    assert lines == ["8 feasible placements · objective cost", "catalog 2026-11-22 · lower left is cheaper"]


def test_every_subtitle_line_fits_the_chart(mini_catalog: Catalog):
    for name in ("llama2-70b-pretrain", "chat-70b-service", "ios-app-ci"):
        root = ET.fromstring(svg(_plan(name, mini_catalog)))
        subs = [t for t in root.iter(SVG_TEXT) if t.get("class") == "subtitle"]
        assert 1 <= len(subs) <= 2
        for t in subs:
            assert float(t.get("x", 0)) + len(t.text or "") * 6.6 <= WIDTH


def test_degenerate_axes():
    one = make_axis([5.0], 0, 100)
    assert one.lo < 5 < one.hi and not one.log
    with_zero = make_axis([0.0, 1000.0], 0, 100)  # a zero price: never a log scale, never below zero
    assert not with_zero.log and with_zero.lo == 0
    assert make_axis([], 0, 100).ticks("number")


def test_crowded_labels_do_not_overlap_and_stay_in_the_plot():
    plot = Box(0, 0, 600, 400)
    points = [(300.0 + i, 200.0 + 2 * i) for i in range(8)]  # eight points within 16 px
    texts = [f"provider{i}/region/H100×8/on-demand" for i in range(8)]
    dots = [Box(x - 5, y - 5, x + 5, y + 5) for x, y in points]
    placed = place_labels(points, texts, plot, dots, Density(points, plot))
    for a, b in itertools.combinations(placed, 2):
        assert a.box.overlap(b.box) == 0
    for spot in placed:
        assert spot.box.inside(plot)
        assert not any(spot.box.overlap(d) for d in dots)
    assert any(spot.leader for spot in placed)  # some had to move away: a line joins them to their point


def test_density_counts_dots_in_a_box():
    area = Box(0, 0, 100, 100)
    density = Density([(10, 10), (11, 11), (90, 90)], area)
    assert density.count(Box(0, 0, 20, 20)) == 2
    assert density.count(Box(0, 0, 100, 100)) == 3
    assert density.count(Box(40, 40, 60, 60)) == 0


# --- HTML -----------------------------------------------------------------------------------------------------------

VOID = {"meta", "br", "img", "hr", "link", "input", "col", "area", "base", "source", "wbr"}
SVG_EMPTY = {"circle", "line", "rect", "path"}  # written as <x/> inside the SVG


class _Page(HTMLParser):
    """A strict reading: every element closed in order; the table's rows and the title collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.cells: list[list[str]] = []
        self.title = ""
        self.doctype = ""

    @classmethod
    def parse(cls, text: str) -> _Page:
        page = cls()
        page.feed(text)
        page.close()
        assert page.stack == [], f"unclosed: {page.stack}"
        return page

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag == "tr" and "tbody" in self.stack:
            self.rows.append(dict(attrs))
            self.cells.append([])
        if tag == "td" and "tbody" in self.stack:
            self.cells[-1].append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in SVG_EMPTY | VOID, tag
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack[-1:] == ["title"] and "head" in self.stack:
            self.title += data
        if self.stack[-1:] == ["td"] and "tbody" in self.stack:
            self.cells[-1][-1] += data


def test_html_is_a_well_formed_page_with_the_chart_and_every_frontier_point(mini_catalog: Catalog):
    plan = _plan("chat-70b-service", mini_catalog)
    page = _Page.parse(html_document(plan))
    assert page.doctype == "DOCTYPE html"
    assert page.seen[:3] == ["html", "head", "meta"]
    assert page.seen.count("svg") == 1 and page.seen.count("table") == 1 and page.seen.count("body") == 1
    assert page.title == "support-chat-70b: cost vs p95 latency"
    front = plan.pareto or []
    assert [r["data-offer"] for r in page.rows] == [p.offer for p in front]
    assert [r["data-rank"] for r in page.rows] == ["1", "2", "3"]
    assert [r.get("class") for r in page.rows] == [None, "chosen", None]
    assert page.cells[0] == [
        "1", "meta/muse-spark", "per-token*", "API muse-spark", "5,034 ms", "$16,640", "cheapest", "slowest",
        ""]  # fmt: skip
    assert page.cells[1] == [
        "2", "runpod/us/h100-sxm-secure-x8", "on-demand", "8 × H100", "3,010 ms", "$20,382", "+$3,741 (+22%)",
        "2,024 ms (40%)", "◀ chosen"]  # fmt: skip
    # the page's SVG is the chart itself
    body = html_document(plan)
    assert svg(plan) in body


# --- the CLI --------------------------------------------------------------------------------------------------------


def test_cli_chart_svg_writes_the_file_and_prints_the_normal_plan(tmp_path: Path):
    out = tmp_path / "charts" / "ios.svg"
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == run_placer("plan", "profiles/ios-app-ci.yaml").stdout  # --chart alone adds no table
    root = ET.fromstring(out.read_bytes())
    assert len(_frontier_points(root)) == 3  # embedded catalog: macstadium*, scaleway m2-l, scaleway m4-xl


def test_cli_pareto_json_and_html_chart(tmp_path: Path):
    out = tmp_path / "chat.html"
    done = run_placer("plan", "profiles/chat-70b-service.yaml", "--pareto", "--format", "json", "--chart", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    offers = [p["offer"] for p in data["pareto"]]
    assert offers and data["chosen"]["offer"] in offers
    costs = [p["cost"]["total_usd"] for p in data["pareto"]]
    assert costs == sorted(costs)
    page = _Page.parse(out.read_text(encoding="utf-8"))
    assert [r["data-offer"] for r in page.rows] == offers
    plain = json.loads(run_placer("plan", "profiles/chat-70b-service.yaml", "--format", "json").stdout)
    assert "pareto" not in plain
    del data["pareto"]
    assert data == plain


def test_cli_pareto_table_and_over_budget_exit(tmp_path: Path):
    done = run_placer("plan", "profiles/macos-nightly-matrix.yaml", "--pareto", "--chart", str(tmp_path / "m.svg"))
    assert done.returncode == 5  # over budget still exits 5; the chart is written all the same
    assert "Pareto frontier (cost vs p95 job turnaround incl. queue)" in done.stdout
    assert "every placement is over it" in (tmp_path / "m.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["chart.txt", "chart", "chart.png"])
def test_cli_chart_with_another_suffix_is_a_usage_error(tmp_path: Path, bad: str):
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--chart", str(tmp_path / bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--chart" in done.stderr and ".svg or .html" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_chart_into_a_directory_is_a_usage_error(tmp_path: Path):
    (tmp_path / "taken.svg").mkdir()
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--chart", str(tmp_path / "taken.svg"))
    assert done.returncode == 2
    assert "cannot write" in done.stderr
    assert "Traceback" not in done.stderr
