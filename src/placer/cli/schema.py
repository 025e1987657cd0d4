"""``placer schema``: the JSON Schema of the profile format, for an editor's YAML extension.

No ``from __future__ import annotations`` here: typer reads the parameters' annotations on every run.
"""

from pathlib import Path
from typing import Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import TracebackOption


def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the schema to this file instead of stdout."),
    ] = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Print the JSON Schema (draft-07) of workload profiles, for completion and validation in editors."""
    with errors_to_exit_codes(want_traceback(show_traceback), []):
        from placer.profile_schema import profile_schema_json

        text = profile_schema_json()
        if output is None:
            typer.echo(text, nl=False)
        else:
            from placer.atomic import write_atomic

            write_atomic(output, text)
