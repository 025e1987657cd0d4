"""The one error handler: typed errors become one stderr message and the documented exit code.

It exits with SystemExit, not typer's Exit, and imports no typer: ``placer plan``'s quick start (placer.cli.start)
runs commands through it without loading typer at all."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from placer.errors import ExitCode, InputError, PlacerError

if TYPE_CHECKING:  # placer.profile pulls in pydantic: only the commands that read profiles pay for it
    from placer.profile import ProfileDocument


def relocate(error: PlacerError, doc: ProfileDocument | None) -> PlacerError:
    """Point an error the planner raised about a profile field at that field's line in the file."""
    if (
        doc is not None
        and isinstance(error, InputError)
        and error.path is not None
        and (error.location is None or error.location.line is None)
    ):
        error.location = doc.locate(error.path)
    return error


def _print_traceback() -> None:
    """The real traceback for --traceback: frames and source lines, never locals, credentials masked."""
    from placer.redact import redact

    print(redact(traceback.format_exc()), end="", file=sys.stderr)


def error_message(error: PlacerError) -> str:
    """What stderr shows for an error: the formatted message with credentials masked and control characters (a
    NUL or an ESC read from an input file) shown as "?", so text from a file can neither reach the terminal as
    escape codes nor forge output lines."""
    from placer.redact import redact
    from placer.render.errors import format_error
    from placer.yamldoc import printable

    return "\n".join(printable(line) for line in redact(format_error(error)).split("\n"))


def want_traceback(flag: bool) -> bool:
    return flag or os.environ.get("PLACER_TRACEBACK", "") not in ("", "0")


@contextmanager
def errors_to_exit_codes(show_traceback: bool, doc: list[ProfileDocument]) -> Iterator[None]:
    """Wrap one command: PlacerError → message + its exit code; anything else → internal error, exit 1.

    Inside, pydantic is spared its plugin scan when no pydantic plugin is installed (see
    ``placer.providers.registry.pydantic_plugins_known_absent``): a command that imports its models here
    starts faster, and behaves the same.
    """
    from placer.providers.registry import pydantic_plugins_known_absent

    try:
        with pydantic_plugins_known_absent():
            yield
    except PlacerError as exc:
        if show_traceback:
            _print_traceback()
        relocate(exc, doc[0] if doc else None)
        print(error_message(exc), file=sys.stderr)
        raise SystemExit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        print("placer: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as exc:
        typer = sys.modules.get("typer")
        if typer is not None and isinstance(exc, typer.Exit):  # a command's own exit code, not an error
            raise
        from placer.redact import one_line, redact

        if show_traceback:
            _print_traceback()
        else:
            print(
                f"placer: internal error: {type(exc).__name__}: {redact(one_line(str(exc), 500))}\n"
                "  this is a bug in placer; run again with --traceback and report it",
                file=sys.stderr,
            )
        raise SystemExit(int(ExitCode.INTERNAL)) from None
