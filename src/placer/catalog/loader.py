"""Loading catalogs: the embedded default (built by scripts/build_catalog.py) or a catalog JSON file."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from placer.catalog.models import Catalog
from placer.errors import CatalogError, SourceLocation

EMBEDDED = "catalog.json"


@lru_cache(maxsize=1)
def embedded_catalog() -> Catalog:
    """The catalog shipped inside the package: works offline, every price sourced or labelled."""
    text = resources.files("placer.catalog.data").joinpath(EMBEDDED).read_text(encoding="utf-8")
    return parse_catalog_json(text, f"<embedded {EMBEDDED}>")


def parse_catalog_json(text: str, name: str) -> Catalog:
    try:
        return Catalog.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            try:
                json.loads(text)
            except json.JSONDecodeError as bad:
                lines = text.splitlines()
                src = lines[bad.lineno - 1] if 0 < bad.lineno <= len(lines) else None
                where = SourceLocation(name, bad.lineno, bad.colno, None, src)
                raise CatalogError(f"not valid JSON: {bad.msg}", location=where) from None
        field = ".".join(str(p) for p in first["loc"])
        raise CatalogError(
            str(first["msg"]).removeprefix("Value error, "), location=SourceLocation(name, field=field or None)
        ) from None
    except json.JSONDecodeError as exc:  # pragma: no cover - pydantic reports JSON errors itself
        raise CatalogError(f"not valid JSON: {exc.msg}", location=SourceLocation(name, exc.lineno)) from None


def dump_catalog(catalog: Catalog) -> str:
    """A full catalog snapshot as deterministic JSON (what ``placer catalog pull`` and ``--catalog`` read)."""
    return json.dumps(catalog.model_dump(mode="json"), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The embedded catalog, or a catalog JSON file written by ``placer catalog`` / the build script."""
    if path is None:
        return embedded_catalog()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError("no such file", location=SourceLocation(str(p))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", location=SourceLocation(str(p))) from None
    return parse_catalog_json(text, str(p))
