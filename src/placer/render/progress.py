"""A progress display for long fetches: a rich bar on a terminal, nothing when piped or in CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[str, int, int | None], None]


def wants_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def fetch_progress(enabled: bool) -> Iterator[ProgressFn]:
    """Yields a ``(provider, done, total) -> None`` callback; a no-op when ``enabled`` is false."""
    if not enabled:

        def nothing(provider: str, done: int, total: int | None) -> None:
            return None

        yield nothing
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} pages"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(provider: str, done: int, total: int | None) -> None:
        if provider not in tasks:
            tasks[provider] = progress.add_task(f"refreshing {provider}", total=total)
        progress.update(tasks[provider], completed=done, total=total)

    with progress:
        yield update


@contextmanager
def count_progress(enabled: bool, total: int, what: str) -> Iterator[Callable[[int], None]]:
    """Yields an ``advance(n)`` callback for a bar of ``total`` items; a no-op when ``enabled`` is false."""
    if not enabled or total <= 0:

        def nothing(n: int) -> None:
            return None

        yield nothing
        return
    progress = Progress(
        TextColumn(what),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(what, total=total)

    def advance(n: int) -> None:
        progress.advance(task, n)

    with progress:
        yield advance
