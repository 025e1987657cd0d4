"""``placer plan PROFILE``: one profile, one plan, on stdout."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.errors import ExitCode
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
    catalog: Annotated[
        list[Path] | None,
        typer.Option(
            help="A catalog snapshot (.json) to use instead of the embedded one, or a user catalog (.yaml, .csv) "
            "to layer on top; repeatable. Also $PLACER_CATALOG (os.pathsep-separated).",
            show_default=False,
        ),
    ] = None,
    plugins: Annotated[
        str | None,
        typer.Option(help="Provider plugins to load: comma-separated names, 'all' or 'none' ($PLACER_PLUGINS)."),
    ] = None,
    max_age_days: Annotated[
        int | None,
        typer.Option(
            min=0, help="Warn when a price source is older than this (default 90, $PLACER_MAX_PRICE_AGE_DAYS)."
        ),
    ] = None,
    show_traceback: Annotated[bool, typer.Option("--traceback", help="Show the traceback of an error.")] = False,
) -> None:
    """Plan where a workload should run: the chosen offer, ranked alternatives and every rejection."""
    from placer.cli.sources import effective_catalog
    from placer.planner import PlanOptions, make_plan
    from placer.profile import read_profile

    docs: list[ProfileDocument] = []
    with errors_to_exit_codes(want_traceback(show_traceback), docs):
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
