"""Loading catalogs: the embedded default (built by scripts/build_catalog.py) or a catalog JSON file."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from placer.catalog.models import CATALOG_SCHEMA_VERSION, Catalog
from placer.collector import paused
from placer.errors import CatalogError, SourceLocation
from placer.field_errors import validation_error
from placer.json_keys import check_json_keys_while
from placer.yamldoc import YamlDocument, clip, dotted_path, excerpt, read_text

EMBEDDED = "catalog.json"
# A snapshot of every provider's live prices is tens of MB (the fleet benchmark's 50,000 offers: ~35 MB); a file
# this much larger is not a catalog, and reading it would only exhaust memory.
MAX_CATALOG_BYTES = 256 * 2**20


@lru_cache(maxsize=1)
def embedded_catalog() -> Catalog:
    """The catalog shipped inside the package: works offline, every price sourced or labelled."""
    text = resources.files("placer.catalog.data").joinpath(EMBEDDED).read_text(encoding="utf-8")
    return parse_catalog_json(text, f"<embedded {EMBEDDED}>", check_keys=False)  # built and tested by placer


def parse_catalog_json(text: str, name: str, *, check_keys: bool = True) -> Catalog:
    """Validate catalog JSON; errors name the file (and the line and column when the JSON itself is broken)."""
    if not text.strip():
        raise CatalogError("file is empty", location=SourceLocation(name))
    try:
        with paused():  # hundreds of thousands of objects, none in a cycle
            if check_keys:
                catalog = check_json_keys_while(text, name, CatalogError, lambda: Catalog.model_validate_json(text))
            else:
                catalog = Catalog.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise _json_error(text, name, str(first["msg"])) from None
        if not first["loc"] and first["type"] == "model_type":
            found = text.lstrip()[:1]
            kind = {"[": "a list", '"': "text", "n": "null"}.get(
                found, "a number" if found in "-0123456789" else "a value"
            )
            raise CatalogError(
                f"expected a catalog (a JSON object of schema_version, as_of, offers, ...), found {kind}",
                location=_position(text, name, len(text) - len(text.lstrip())),
            ) from None
        # the field, in the same words as a located error (files.load_catalog_file adds the line when it can)
        raise validation_error(exc, _Unplaced(name, "", None), CatalogError, Catalog) from None
    if catalog.schema_version != CATALOG_SCHEMA_VERSION:
        at = re.search(r'"schema_version"\s*:\s*', text)
        raise CatalogError(
            f"version {clip(str(catalog.schema_version), 30)} is not one this placer reads "
            f"(it reads {CATALOG_SCHEMA_VERSION})",
            location=_position(text, name, at.end(), "schema_version") if at else SourceLocation(name),
            hint="write it again with this placer's `placer catalog snapshot`, or upgrade placer",
        )
    return catalog


class _Unplaced(YamlDocument):
    """Field paths without file positions (JSON read by pydantic's parser), minus the offer-kind tag pydantic adds."""

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        parts = list(path)
        if len(parts) >= 3 and parts[0] == "offers" and parts[2] in ("gpu", "mac", "api"):
            del parts[2]
        return SourceLocation(self.filename, field=dotted_path(parts) or None)


def _json_error(text: str, name: str, pydantic_message: str) -> CatalogError:
    """Broken JSON, in the words of Python's parser when it agrees (they are the clearer), else pydantic's."""
    try:
        json.loads(text)
    except json.JSONDecodeError as bad:
        message = bad.msg.removesuffix(" at")  # "Invalid control character at"
        if text[bad.pos : bad.pos + 1] in ("\n", "\r") and message == "Invalid control character":
            message = "a string is not closed before the end of its line"
        if not text[bad.pos :].strip():
            message = f"the file ends too early ({message[:1].lower()}{message[1:]})"
        return CatalogError(f"not valid JSON: {message}", location=_position(text, name, bad.pos))
    except (RecursionError, ValueError):  # nested deeper than Python recurses, or an integer of 4,300+ digits
        pass
    # pydantic's parser stops earlier than Python's (nesting, integer size): "Invalid JSON: … at line L column C"
    match = re.fullmatch(r"(?:Invalid JSON: )?(.*?)(?: at line (\d+) column (\d+))?", pydantic_message, re.DOTALL)
    detail, line, column = match.groups() if match else (pydantic_message, None, None)
    detail = {"recursion limit exceeded": "nested too deeply", "number out of range": "number too large"}.get(
        detail, detail
    )
    where = SourceLocation(name)
    if line is not None and column is not None:
        lines = text.splitlines()
        number, col = int(line), max(1, int(column))
        where = SourceLocation(name, number, col, None, excerpt(lines, number, col))
    return CatalogError(f"not valid JSON: {detail}", location=where)


def _position(text: str, name: str, offset: int, field: str | None = None) -> SourceLocation:
    """The file position of a character offset, with its source line to echo."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceLocation(name, line, column, field, excerpt(text.splitlines(), line, column))


def dump_catalog(catalog: Catalog) -> str:
    """A full catalog snapshot as deterministic JSON (what ``placer catalog pull`` and ``--catalog`` read)."""
    return json.dumps(catalog.model_dump(mode="json"), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The embedded catalog, or a catalog JSON file written by ``placer catalog`` / the build script."""
    if path is None:
        return embedded_catalog()
    return parse_catalog_json(read_text(path, CatalogError, limit=MAX_CATALOG_BYTES, kind="JSON"), str(path))
