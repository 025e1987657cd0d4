"""Where a many-profile report goes: stdout or an atomically written file, as JSON, Markdown or a table."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel


class ReportFormat(str, enum.Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


def emit(
    report: BaseModel,
    output_format: ReportFormat,
    output: Path | None,
    *,
    markdown: Callable[[], str],
    table: Callable[[], None],
    text: Callable[[], str],
) -> None:
    """JSON from the report itself; the others from the renderers given (a terminal table, or its plain text
    when written to a file)."""
    from placer.atomic import write_atomic
    from placer.render.json_out import json_bytes, to_json

    rendered: str | bytes
    if output_format is ReportFormat.json:
        rendered = json_bytes(report) if output is not None else to_json(report)
    elif output_format is ReportFormat.markdown:
        rendered = markdown()
    elif output is None:
        table()
        return
    else:
        rendered = text()
    if output is None:
        typer.echo(rendered, nl=False)
    else:
        write_atomic(output, rendered)
