"""Options several commands share, defined once so their flags and help read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TracebackOption = Annotated[bool, typer.Option("--traceback", help="Show the traceback of an error.")]
# text, not Path: Path("https://u:p@h/c.yaml") collapses "//", and the redaction that finds URLs then misses it
CatalogOption = Annotated[
    list[str] | None,
    typer.Option(
        "--catalog",
        help="A catalog snapshot (.json) to use instead of the embedded one, or a user catalog (.yaml, .yml, .csv) "
        "to layer on top; repeatable. Also $PLACER_CATALOG (os.pathsep-separated) and the config file.",
        show_default=False,  # an unreadable file is invalid input (exit 3, one message naming it), not a usage error
    ),
]
PluginsOption = Annotated[
    str | None,
    typer.Option(
        "--plugins",
        help="Provider plugins to load: comma-separated names, 'all' or 'none' ($PLACER_PLUGINS).",
        show_default=False,
    ),
]
MaxAgeOption = Annotated[
    int | None,
    typer.Option(
        "--max-age-days",
        min=0,
        help="Warn when a price source is older than this (default 90; $PLACER_MAX_PRICE_AGE_DAYS).",
        show_default=False,
    ),
]

# --- the budget gate's options, shared by `placer check` and `placer replan` -----------------------------------

PolicyOption = Annotated[
    Path | None,
    typer.Option(help="Budget policy (YAML): rules of {match: GLOB, max_usd | max_monthly_usd}, first match wins."),
]
MaxUsdOption = Annotated[
    float | None, typer.Option(help="Budget per run for training profiles (USD); beats policy and profile.")
]
MaxMonthlyUsdOption = Annotated[
    float | None,
    typer.Option(help="Budget per month for inference and apple-build profiles (USD); beats policy and profile."),
]
MaxIncreasePctOption = Annotated[
    float | None, typer.Option(min=0, help="Fail when a profile costs more than this % over the baseline.")
]
MaxIncreaseUsdOption = Annotated[
    float | None, typer.Option(min=0, help="Fail when a profile costs more than this many USD over the baseline.")
]
WarnOnlyOption = Annotated[
    bool, typer.Option("--warn-only", help="Over budget or threshold: warn on stderr and exit 0.")
]
ExcludeOption = Annotated[
    list[str] | None, typer.Option(help="Skip profiles matching this glob; repeatable.", show_default=False)
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
]
