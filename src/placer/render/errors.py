"""Error messages for stderr: one line naming file:line:col and field, then the line with a caret."""

from __future__ import annotations

from placer.errors import InputError, PlacerError


def format_error(error: PlacerError) -> str:
    lines = [f"placer: error: {error}"]
    loc = error.location if isinstance(error, InputError) else None
    if loc is not None and loc.source_line is not None:
        number = str(loc.line)
        lines.append(f"  {number} | {loc.source_line.rstrip()}")
        if loc.column:
            lines.append(f"  {' ' * len(number)} | {' ' * (loc.column - 1)}^")
    if error.hint:
        lines.append(f"  hint: {error.hint}")
    return "\n".join(lines)
