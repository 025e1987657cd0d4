"""The ``placer`` entry point.

The everyday ``placer plan PROFILE [--format table|json]`` runs without typer: importing it and building its
parameters on every run is most of what separates placer's start-up from the interpreter's. Any other command,
option or unusual spelling goes to the typer app, which answers the same way and also owns help, validation and
usage errors; the two paths share ``run_plan``, so they cannot print different plans.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from placer.cli.plan_run import FORMATS, PlanRequest, run_plan
from placer.collector import keeping_what_is_built, paused


def quick_plan(args: Sequence[str]) -> PlanRequest | None:
    """The request for ``plan PROFILE`` with at most one ``-f``/``--format`` of table or json; None for anything
    else, which typer then reads."""
    if len(args) < 2 or args[0] != "plan":
        return None
    profile: str | None = None
    output_format: str | None = None
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-f", "--format") and rest:
            value = rest.pop(0)
        elif arg.startswith("--format="):
            value = arg.removeprefix("--format=")
        elif arg and not arg.startswith("-") and profile is None:
            profile = arg
            continue
        else:  # a second profile, another option, "-" or "--": typer's to read
            return None
        if output_format is not None or value not in FORMATS:
            return None
        output_format = value
    if profile is None:
        return None
    return PlanRequest(profile=Path(profile), output_format=output_format or "table")


def main() -> None:
    if sys.stderr is None:  # started with stderr closed: print(file=sys.stderr) would write to stdout instead
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
    with keeping_what_is_built():
        request = quick_plan(sys.argv[1:])
        if request is not None:
            # One plan, then the process ends: the cyclic collector would only walk the freshly built model
            # classes and catalog, which hold no garbage (14 ms of a 245 ms start-up, measured interleaved).
            with paused():
                code = run_plan(request)
            sys.exit(code)
        from placer.cli.app import main as typer_main

        typer_main()
