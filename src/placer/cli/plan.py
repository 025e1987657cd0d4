"""``placer plan PROFILE``: one profile, one plan, on stdout.

No ``from __future__ import annotations`` here: typer reads the parameters' annotations on every run, and
string annotations would have to be compiled and evaluated again each time.
"""

import enum
from pathlib import Path
from typing import Annotated

import typer

from placer.cli.options import CatalogOption, MaxAgeOption, PluginsOption, TracebackOption
from placer.cli.plan_run import PlanRequest, run_plan


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
    code = run_plan(
        PlanRequest(
            profile=profile,
            output_format=output_format.value,
            objective=objective.value if objective else None,
            alternatives=alternatives,
            pareto=pareto,
            chart=chart,
            catalog=tuple(catalog) if catalog is not None else None,
            plugins=plugins,
            max_age_days=max_age_days,
            show_traceback=show_traceback,
        )
    )
    if code:
        raise typer.Exit(code)
