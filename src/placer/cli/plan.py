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
    profile: Annotated[Path, typer.Argument(help="Workload profile (YAML).", show_default=False)],
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    objective: Annotated[
        ObjectiveChoice | None, typer.Option(help="Override the profile's objective.", show_default=False)
    ] = None,
    alternatives: Annotated[int, typer.Option(min=0, max=100, help="Ranked alternatives to show.")] = 5,
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
        from placer.planner import PlanOptions, make_plan
        from placer.profile import read_profile

        doc = read_profile(profile)
        docs.append(doc)
        assembled, sources, warnings = effective_catalog(catalog, plugins, max_age_days)
        options = PlanOptions(
            alternatives=alternatives,
            objective=objective.value if objective else None,
            sources=sources,
            warnings=warnings,
        )
        result = make_plan(doc.profile, assembled, options, file=str(profile))
        if output_format is Format.json:
            from placer.render.json_out import to_json

            typer.echo(to_json(result), nl=False)
        else:
            from placer.render.table import print_plan

            print_plan(result)
    if result.chosen is None:
        raise typer.Exit(int(ExitCode.NO_FEASIBLE))
    if result.budget.status == "over":
        raise typer.Exit(int(ExitCode.OVER_BUDGET))
