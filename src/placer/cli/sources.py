"""Where commands get their catalog: flags, environment and config, assembled once with its source mix."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from placer.catalog.models import Catalog
from placer.config import Config, load_config
from placer.plan import SourceRef

CATALOG_ENV = "PLACER_CATALOG"


def catalog_files(flags: Sequence[str | Path] | None, config: Config) -> list[str | Path]:
    """Catalogs from the config file, then $PLACER_CATALOG (os.pathsep-separated), then --catalog flags; as
    written (a message naming ``https://…`` keeps its "//", so the URL's credentials are still found and masked)."""
    env = [p for p in os.environ.get(CATALOG_ENV, "").split(os.pathsep) if p.strip()]
    return [*config.catalogs, *env, *(flags or [])]


def plugin_choice(flag: str | None, config: Config | None = None) -> set[str] | None:
    """Which plugins load: --plugins, else $PLACER_PLUGINS, else the config file's ``plugins:``, else all."""
    from placer.providers.registry import ENV as PLUGINS_ENV
    from placer.providers.registry import wanted_plugins

    if flag is None and os.environ.get(PLUGINS_ENV) is None:
        flag = (config or load_config()).plugins
    return wanted_plugins(flag)


def effective_catalog(
    flags: Sequence[str | Path] | None, plugins: str | None, max_age: int | None
) -> tuple[Catalog, tuple[SourceRef, ...], tuple[str, ...]]:
    from placer.catalog.assemble import assemble_catalog, freshness_warnings, future_dated_warnings, max_age_days

    def redact(text: str) -> str:  # placer.redact (and logging) only once there is a warning: 3-5 ms of a start
        from placer.redact import redact

        return redact(text)

    def warn(message: str) -> None:
        print(f"placer: warning: {redact(message)}", file=sys.stderr)

    config = load_config()
    assembled = assemble_catalog(catalog_files(flags, config), plugins=plugin_choice(plugins, config), warn=warn)
    today = datetime.now(timezone.utc).date()
    limit = max_age if max_age is not None else config.max_price_age_days
    stale = [
        *freshness_warnings(assembled.sources, today, max_age_days(limit)),
        *future_dated_warnings(assembled.catalog, today),
    ]
    sources = tuple(SourceRef(name=s.name, kind=s.kind, as_of=s.as_of, offers=s.offers) for s in assembled.sources)
    # warnings go into plans (JSON, reports) as well as on stderr: none may carry a credential
    return assembled.catalog, sources, tuple(redact(w) for w in (*assembled.warnings, *stale))
