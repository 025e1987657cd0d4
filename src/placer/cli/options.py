"""Options several commands share, defined once so their flags and help read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TracebackOption = Annotated[bool, typer.Option("--traceback", help="Show the traceback of an error.")]
CatalogOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="A catalog snapshot (.json) to use instead of the embedded one, or a user catalog (.yaml, .yml, .csv) "
        "to layer on top; repeatable. Also $PLACER_CATALOG (os.pathsep-separated) and the config file.",
        show_default=False,
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
