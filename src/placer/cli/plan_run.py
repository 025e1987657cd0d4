"""What ``placer plan`` does once its arguments are read, without typer: the typer command and the quick start
(placer.cli.start) both call it, so the two cannot drift apart."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.errors import ExitCode

if TYPE_CHECKING:
    from placer.profile import Objective, ProfileDocument

FORMATS = ("table", "json")  # cli/plan.py's Format, which typer reads


@dataclass(frozen=True)
class PlanRequest:
    profile: Path
    output_format: str = "table"
    objective: Objective | None = None
    alternatives: int = 5
    pareto: bool = False
    chart: Path | None = None
    catalog: tuple[str, ...] | None = None
    plugins: str | None = None
    max_age_days: int | None = None
    show_traceback: bool = False


def run_plan(request: PlanRequest) -> int:
    """Print the plan; return 0, NO_FEASIBLE or OVER_BUDGET. Errors leave through the handler (SystemExit)."""
    docs: list[ProfileDocument] = []
    with errors_to_exit_codes(want_traceback(request.show_traceback), docs):
        # imported inside the handler's scope: it spares pydantic a plugin scan while they build their models
        from placer.cli.sources import effective_catalog
        from placer.dataset import plan_profile
        from placer.planner import PlanOptions
        from placer.profile import read_profile

        chart = request.chart
        if chart is not None and chart.suffix.lower() not in (".svg", ".html"):
            from placer.errors import UsageError

            raise UsageError(f"--chart {chart}: the file name must end in .svg or .html")
        doc = read_profile(request.profile)
        docs.append(doc)
        assembled, sources, warnings = effective_catalog(request.catalog, request.plugins, request.max_age_days)
        options = PlanOptions(
            alternatives=request.alternatives,
            objective=request.objective,
            sources=sources,
            warnings=warnings,
            pareto=request.pareto or chart is not None,
        )
        result = plan_profile(doc.profile, assembled, options, file=str(request.profile))  # s3:// data measured
        if chart is not None:
            from placer.atomic import write_atomic
            from placer.render.chart import chart_document

            write_atomic(chart, chart_document(result, chart.suffix))
            if not request.pareto:  # the chart alone leaves the printed plan as it would be without it
                result = result.model_copy(update={"pareto": None, "scored": None})
        if request.output_format == "json":
            from placer.render.json_out import to_json

            if sys.stdout is not None:  # started with stdout closed: nothing to print to, as click.echo does
                sys.stdout.write(to_json(result))
                sys.stdout.flush()
        else:
            from placer.render.table import print_plan

            print_plan(result)
            if result.pareto is not None:
                from placer.render.pareto_view import print_pareto

                print_pareto(result)
    if result.chosen is None:
        return int(ExitCode.NO_FEASIBLE)
    if result.budget.status == "over":
        return int(ExitCode.OVER_BUDGET)
    return 0
