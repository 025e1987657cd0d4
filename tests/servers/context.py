"""A RefreshContext for tests: short timeouts, a fixed clock, and sleep/progress that record instead of acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from placer.providers.refresh import RefreshContext

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
TODAY = "2026-11-22"


@dataclass
class Recorder:
    sleeps: list[float] = field(default_factory=list)
    progress: list[tuple[str, int, int | None]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_progress(self, provider: str, done: int, total: int | None) -> None:
        self.progress.append((provider, done, total))


def make_ctx(recorder: Recorder, endpoint: str | None = None, **overrides: Any) -> RefreshContext:
    values: dict[str, Any] = {
        "endpoint_url": endpoint,
        "timeout_s": 5.0,  # generous: a loaded CI machine must not turn a happy path into a retry; faults set theirs
        "max_retries": 3,
        "backoff_s": 0.25,
        "max_backoff_s": 4.0,
        "sleep": recorder.sleep,
        "progress": recorder.on_progress,
        "now": lambda: NOW,
    }
    values.update(overrides)
    return RefreshContext(**values)
