"""GitHub Actions workflow commands for ``placer check``: one annotation per profile that fails (``::error``) or
only warns (``::warning``, with --warn-only), pointing at the profile's budget line, or at its ``kind:`` line
when the budget came from a flag or a policy file.

They go to **stderr**: the Actions runner reads workflow commands from both output streams of a step (its
script handler gives stdout and stderr the same command manager), and stdout carries the report itself, which
must stay valid JSON or Markdown when it is redirected to a file.
"""

from __future__ import annotations

from placer.gate import CheckReport, ProfileResult

TITLE_BUDGET = "placer budget"
TITLE_CHECK = "placer check"


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF are percent-encoded (as actions/toolkit does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as a message, plus ``:`` and ``,``, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(
    command: str, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    properties = [(k, v) for k, v in (("file", file), ("line", line), ("title", title)) if v is not None]
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def _budget_related(result: ProfileResult) -> bool:
    return result.status in ("within", "over", "none")


def profile_annotation(result: ProfileResult) -> str | None:
    if result.gate == "pass":
        return None
    command = "warning" if result.gate == "warn" else "error"
    lines = list(result.reasons)
    if result.gate == "warn":
        lines[0] = f"{lines[0]} (--warn-only: not failing the check)"
    message = "\n".join([*lines, *result.details])
    title = TITLE_BUDGET if _budget_related(result) else TITLE_CHECK
    # a file that could not be read (or a glob that matched nothing) has no place to point at
    file = result.file if result.line is not None or result.kind is not None else None
    return workflow_command(command, message, file=file, line=result.line, title=title)


def check_annotations(report: CheckReport) -> list[str]:
    """Every annotation for a report, in the report's (deterministic) profile order."""
    out = [a for a in (profile_annotation(r) for r in report.profiles) if a is not None]
    for gone in report.missing:
        label = gone.file or gone.name or "a profile"
        out.append(workflow_command("notice", f"{label} is in the baseline but was not checked", title=TITLE_BUDGET))
    return out


def error_annotation(message: str, file: str | None = None, line: int | None = None) -> str:
    """An error that stopped the whole check (a bad policy, baseline or catalog, a usage error)."""
    return workflow_command("error", message, file=file, line=line, title=TITLE_CHECK)
