"""The price cache: one JSON file per provider in the user's cache directory, written atomically.

A refresh that fails leaves the previous file byte-identical; a corrupt cache file is reported and ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic and the models load when a cache is read, not when its directory is asked for
    from pydantic import TypeAdapter

    from placer.catalog.models import Offer

CACHE_SCHEMA_VERSION = 1


@lru_cache(maxsize=1)
def _offers_adapter() -> TypeAdapter[list[Offer]]:
    from pydantic import TypeAdapter  # noqa: PLC0415 - see TYPE_CHECKING above

    from placer.catalog.models import Offer  # noqa: PLC0415

    return TypeAdapter(list[Offer])


def cache_dir() -> Path:
    """$PLACER_CACHE_DIR, else $XDG_CACHE_HOME/placer, else ~/.cache/placer."""
    explicit = os.environ.get("PLACER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "placer"


def cache_path(provider: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / "prices" / f"{provider}.json"


@dataclass(frozen=True)
class CachedPrices:
    provider: str
    fetched_at: str  # ISO 8601 UTC, e.g. 2026-11-22T10:00:00Z
    source: str
    offers: list[Offer]


def write_cache(entry: CachedPrices, directory: Path | None = None) -> Path:
    from placer.atomic import write_atomic  # noqa: PLC0415 - only refreshes write

    path = cache_path(entry.provider, directory)
    payload = {
        "schema_version": CACHE_SCHEMA_VERSION,
        "provider": entry.provider,
        "fetched_at": entry.fetched_at,
        "source": entry.source,
        "offers": [o.model_dump(mode="json") for o in sorted(entry.offers, key=lambda o: o.id)],
    }
    write_atomic(path, json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


class CorruptCache(Exception):
    pass


def read_cache(provider: str, directory: Path | None = None) -> CachedPrices | None:
    """The cached prices, None when there are none; CorruptCache when the file cannot be used."""
    from pydantic import ValidationError  # noqa: PLC0415 - see TYPE_CHECKING above

    path = cache_path(provider, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptCache(f"{path}: unreadable price cache ({exc.strerror or type(exc).__name__})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptCache(f"{path}: unreadable price cache ({exc})") from None
    try:
        if data.get("schema_version") != CACHE_SCHEMA_VERSION:
            raise CorruptCache(f"{path}: cache schema {data.get('schema_version')!r} is not {CACHE_SCHEMA_VERSION}")
        return CachedPrices(
            provider=str(data["provider"]),
            fetched_at=str(data["fetched_at"]),
            source=str(data.get("source", "")),
            offers=_offers_adapter().validate_python(data["offers"]),
        )
    except (KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise CorruptCache(f"{path}: invalid price cache ({type(exc).__name__})") from None
