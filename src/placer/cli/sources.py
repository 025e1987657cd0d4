"""Where commands get their catalog: flags, environment and config, assembled once with its source mix."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from placer.catalog.models import Catalog
from placer.plan import SourceRef

CATALOG_ENV = "PLACER_CATALOG"


def catalog_files(flags: list[Path] | None) -> list[Path]:
    """Catalog files from $PLACER_CATALOG (os.pathsep-separated) followed by --catalog flags."""
    env = [Path(p) for p in os.environ.get(CATALOG_ENV, "").split(os.pathsep) if p.strip()]
    return env + list(flags or [])


def effective_catalog(
    flags: list[Path] | None, plugins: str | None, max_age: int | None
) -> tuple[Catalog, tuple[SourceRef, ...], tuple[str, ...]]:
    from placer.catalog.assemble import assemble_catalog, freshness_warnings, max_age_days
    from placer.providers.registry import wanted_plugins

    def warn(message: str) -> None:
        print(f"placer: warning: {message}", file=sys.stderr)

    assembled = assemble_catalog(catalog_files(flags), plugins=wanted_plugins(plugins), warn=warn)
    today = datetime.now(timezone.utc).date()
    stale = freshness_warnings(assembled.sources, today, max_age_days(max_age))
    sources = tuple(SourceRef(name=s.name, kind=s.kind, as_of=s.as_of, offers=s.offers) for s in assembled.sources)
    return assembled.catalog, sources, (*assembled.warnings, *stale)
