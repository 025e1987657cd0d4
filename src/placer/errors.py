"""One error tree and one exit-code enum, so every failure maps to a documented exit code.

The core raises these with plain text; the CLI's single handler renders them (see ``placer.cli.app``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (contract: design.md)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    INVALID_INPUT = 3
    NO_FEASIBLE = 4
    OVER_BUDGET = 5
    PRICES_UNAVAILABLE = 6


@dataclass(frozen=True)
class SourceLocation:
    """Where in an input file a problem is: 1-based line and column, and the dotted field path."""

    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    source_line: str | None = None

    def prefix(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


class PlacerError(Exception):
    """Base of every error placer reports to a user; never shown as a traceback unless asked."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(PlacerError):
    """A profile, catalog or config file is unreadable or invalid (exit 3)."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        path: tuple[str | int, ...] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.location = location
        self.path = path  # field path inside the input, for callers that can map it to a line

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        field = f" {self.location.field}:" if self.location.field else ""
        return f"{self.location.prefix()}:{field} {self.message}"


class ProfileError(InputError):
    """A workload profile is invalid."""


class CatalogError(InputError):
    """A catalog file or embedded catalog is invalid."""


class UsageError(PlacerError):
    """Flags or arguments that make no sense together (exit 2)."""

    exit_code = ExitCode.USAGE


class OutputError(PlacerError):
    """A file placer was asked to write cannot be written (a directory, no such folder, no permission): exit 2."""

    exit_code = ExitCode.USAGE


class NoFeasiblePlacement(PlacerError):
    """Every offer was rejected (exit 4); the plan itself says why."""

    exit_code = ExitCode.NO_FEASIBLE


class PriceSourceUnavailable(PlacerError):
    """A live price source failed and no usable cache exists (exit 6)."""

    exit_code = ExitCode.PRICES_UNAVAILABLE
