"""``placer plan PROFILE``: one profile, one plan, on stdout.

No ``from __future__ import annotations`` here: typer reads the parameters' annotations on every run, and
string annotations would have to be compiled and evaluated again each time.
"""

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import CatalogOption, MaxAgeOption, PluginsOption, TracebackOption
from placer.errors import ExitCode

if TYPE_CHECKING:
    from placer.profile import ProfileDocument


class Format(str, enum.Enum):
    table = "table"
    json = "json"


class ObjectiveChoice(str, enum.Enum):
    cost = "cost"
    time = "time"
    balanced = "balanced"


def plan(
    profile: Annotated[Path, typer.Argument(help="Workload profile (YAML).", show_default=False, readable=False)],
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    objective: Annotated[
        ObjectiveChoice | None, typer.Option(help="Override the profile's objective.", show_default=False)
    ] = None,
    alternatives: Annotated[int, typer.Option(min=0, max=100, help="Ranked alternatives to show.")] = 5,
    pareto: Annotated[
        bool, typer.Option("--pareto", help="Also show the cost/time frontier (table, or the JSON key 'pareto').")
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Draw the cost/time frontier into this file (.svg, or .html with a table); the plan still prints.",
            show_default=False,
        ),
    ] = None,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    max_age_days: MaxAgeOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Plan where a workload should run: the chosen offer, ranked alternatives and every rejection."""
    docs: list[ProfileDocument] = []
    with errors_to_exit_codes(want_traceback(show_traceback), docs):
        # imported inside the handler's scope: it spares pydantic a plugin scan while they build their models
        from placer.cli.sources import effective_catalog
        from placer.dataset import plan_profile
        from placer.planner import PlanOptions
        from placer.profile import read_profile

        if chart is not None and chart.suffix.lower() not in (".svg", ".html"):
            from placer.errors import UsageError

            raise UsageError(f"--chart {chart}: the file name must end in .svg or .html")
        doc = read_profile(profile)
        docs.append(doc)
        assembled, sources, warnings = effective_catalog(catalog, plugins, max_age_days)
        options = PlanOptions(
            alternatives=alternatives,
            objective=objective.value if objective else None,
            sources=sources,
            warnings=warnings,
            pareto=pareto or chart is not None,
        )
        result = plan_profile(doc.profile, assembled, options, file=str(profile))  # s3:// data measured
        if chart is not None:
            from placer.atomic import write_atomic
            from placer.render.chart import chart_document

            write_atomic(chart, chart_document(result, chart.suffix))
            if not pareto:  # the chart alone leaves the printed plan as it would be without it
                result = result.model_copy(update={"pareto": None, "scored": None})
        if output_format is Format.json:
            from placer.render.json_out import to_json

            typer.echo(to_json(result), nl=False)
        else:
            from placer.render.table import print_plan

            print_plan(result)
            if result.pareto is not None:
                from placer.render.pareto_view import print_pareto

                print_pareto(result)
    if result.chosen is None:
        raise typer.Exit(int(ExitCode.NO_FEASIBLE))
    if result.budget.status == "over":
        raise typer.Exit(int(ExitCode.OVER_BUDGET))
