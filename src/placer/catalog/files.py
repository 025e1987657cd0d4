"""Catalog files named on the command line: a catalog JSON (with file:line:col errors) and layered user catalogs."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from placer.catalog.layering import apply_user_catalog
from placer.catalog.loader import MAX_CATALOG_BYTES, embedded_catalog, parse_catalog_json
from placer.catalog.models import (
    Catalog,
)
from placer.catalog.user import (
    _OFFER_MODELS,
    USER_SUFFIXES,
    _Delegate,
    load_user_catalog,
)
from placer.errors import CatalogError, SourceLocation, UsageError
from placer.field_errors import validation_error
from placer.yamldoc import parse_yaml, read_text

# --- composing -------------------------------------------------------------------------------------


def load_catalog_file(path: str | Path) -> Catalog:
    """A catalog JSON file, with ``file:line:col`` for schema errors too (the loader gives only the field)."""
    text = read_text(path, CatalogError, limit=MAX_CATALOG_BYTES, kind="JSON")
    try:
        return parse_catalog_json(text, str(path))
    except CatalogError as exc:
        if exc.location is None or exc.location.line is not None:
            raise
        located = _locate_json_error(text, str(path), exc)
        if located is None:
            raise
        raise located from None


def _locate_json_error(text: str, name: str, exc: CatalogError) -> CatalogError | None:
    try:
        data = json.loads(text)
        Catalog.model_validate(data)
    except ValidationError as bad:
        try:
            doc = parse_yaml(text, name, CatalogError)  # JSON is YAML: positions for every value
        except CatalogError:
            return None
        if not bad.errors(include_url=False)[0]["loc"]:  # a catalog-level check: find the offer it names
            return CatalogError(exc.message, location=doc.locate(_offer_path(data, exc.message)), hint=exc.hint)

        def untagged(where: Sequence[str | int], *, key: bool = False) -> SourceLocation:
            where = list(where)
            if len(where) >= 3 and where[0] == "offers" and where[2] in _OFFER_MODELS:
                del where[2]  # the discriminator tag pydantic adds to the path
            return doc.locate(where, key=key)

        error = validation_error(bad, _Delegate(name, text, data, locator=untagged), CatalogError, Catalog)
        return CatalogError(error.message, location=error.location, hint=error.hint)
    except (ValueError, RecursionError):  # JSON only pydantic's parser reads: the unlocated message stands
        return None
    return None


def _offer_path(data: Any, message: str) -> list[str | int]:
    """The offer a catalog-level message ("offer 'x' names unknown hardware …") is about."""
    match = re.search(r"offer (?:id )?'([^']+)'", message)
    offers = data.get("offers") if isinstance(data, dict) else None
    if not match or not isinstance(offers, list):
        return []
    hits = [i for i, o in enumerate(offers) if isinstance(o, dict) and o.get("id") == match.group(1)]
    if not hits:
        return []
    if message.startswith("duplicate"):
        return ["offers", hits[-1], "id"]
    field_name = "region" if "region" in message else "accelerator" if "accelerator" in offers[hits[0]] else "chip"
    return ["offers", hits[0], field_name if "unknown" in message else "id"]


def compose_catalog(files: Sequence[str | Path], base: Catalog | None = None) -> Catalog:
    """The catalog ``--catalog FILE …`` describes: a ``.json`` replaces the base (default: the embedded catalog),
    then ``.yaml``/``.yml``/``.csv`` user catalogs layer on, in order."""
    catalog = base
    layered: list[str] = []
    seen_json: str | None = None
    for f in files:
        name = str(f)
        suffix = Path(f).suffix.lower()
        if suffix == ".json":
            if seen_json or layered:
                first = seen_json or layered[0]
                raise UsageError(
                    f"--catalog {name}: a catalog JSON replaces the base, so it must come first and only once "
                    f"(after {first})"
                )
            seen_json = name
            catalog = load_catalog_file(f)
        elif suffix in USER_SUFFIXES:
            layered.append(name)
            catalog = apply_user_catalog(catalog or embedded_catalog(), load_user_catalog(f))
        else:
            raise CatalogError(
                f"unknown catalog file type {suffix or '(no suffix)'!r}: expected .json, .yaml, .yml or .csv",
                location=SourceLocation(name),
            )
    return catalog if catalog is not None else embedded_catalog()
