"""``placer export PLAN --to skypilot|dstack``: one placement of a plan as a launcher's configuration file.

No ``from __future__ import annotations`` here: typer reads the parameters' annotations on every run.
"""

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import CatalogOption, MaxAgeOption, PluginsOption, TracebackOption

if TYPE_CHECKING:
    from placer.plan import Plan
    from placer.profile import ProfileDocument

PLAN_SUFFIXES = (".json",)
PROFILE_SUFFIXES = (".yaml", ".yml")
DEFAULT_ALTERNATIVES = 5


class LauncherChoice(str, enum.Enum):
    skypilot = "skypilot"
    dstack = "dstack"


def _is_plan_file(path: Path) -> bool:
    """A plan is JSON; a profile is YAML. Other names: a plan when the text starts with ``{``."""
    suffix = path.suffix.lower()
    if suffix in PLAN_SUFFIXES or suffix in PROFILE_SUFFIXES:
        return suffix in PLAN_SUFFIXES
    try:
        with path.open("rb") as handle:
            return handle.read(1024).lstrip().startswith(b"{")
    except OSError:
        return False  # let the profile reader report it, with its usual message


def _plan_profile(
    profile: Path,
    docs: "list[ProfileDocument]",
    catalog: list[str] | None,
    plugins: str | None,
    max_age_days: int | None,
    alternative: int,
) -> "Plan":
    from placer.cli.sources import effective_catalog
    from placer.dataset import plan_profile
    from placer.planner import PlanOptions
    from placer.profile import read_profile

    doc = read_profile(profile)
    docs.append(doc)
    assembled, sources, warnings = effective_catalog(catalog, plugins, max_age_days)
    options = PlanOptions(alternatives=max(DEFAULT_ALTERNATIVES, alternative), sources=sources, warnings=warnings)
    result = plan_profile(doc.profile, assembled, options, file=str(profile))
    for warning in result.warnings:
        print(f"placer: warning: {warning}", file=sys.stderr)
    return result


def export(
    plan: Annotated[
        Path,
        typer.Argument(
            help="A plan (.json, from `placer plan --format json`), or a profile (.yaml) to plan first.",
            show_default=False,
        ),
    ],
    to: Annotated[
        LauncherChoice,
        typer.Option("--to", help="The launcher to write a configuration for.", show_default=False),
    ],
    alternative: Annotated[
        int,
        typer.Option(min=0, help="Which placement: 0 is the chosen one, N the Nth ranked alternative."),
    ] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the configuration to this file instead of stdout."),
    ] = None,
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    max_age_days: MaxAgeOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Write a SkyPilot or dstack configuration for a plan's placement (the commands are placeholders to fill in)."""
    docs: list[ProfileDocument] = []
    with errors_to_exit_codes(want_traceback(show_traceback), docs):
        from placer.errors import UsageError
        from placer.export import export_plan, read_plan

        if _is_plan_file(plan):
            if catalog or plugins is not None or max_age_days is not None:
                raise UsageError(
                    "--catalog, --plugins and --max-age-days apply when PLAN is a profile; "
                    "a plan already carries the prices it was made with"
                )
            result = read_plan(plan)
        else:
            result = _plan_profile(plan, docs, catalog, plugins, max_age_days, alternative)
        text = export_plan(result, to.value, alternative)
        if output is None:
            typer.echo(text, nl=False)
        else:
            from placer.atomic import write_atomic

            write_atomic(output, text)
