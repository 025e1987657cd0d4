"""JSON objects with a key written twice, refused as YAML's are: ``json`` and pydantic keep the last silently."""

from __future__ import annotations

import json
from typing import Any

from placer.errors import InputError, SourceLocation
from placer.yamldoc import clip, parse_yaml


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def check_json_keys(text: str, filename: str, error: type[InputError]) -> None:
    """Refuse a JSON object with a key twice, as YAML is refused: ``json`` and pydantic keep the last silently (a
    second ``"offers": []`` would empty a catalog). Costs one C-speed parse; the position comes from the YAML
    reader (JSON is YAML), only when there is a duplicate. Broken JSON is left to the caller's own messages."""
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as dup:
        try:
            parse_yaml(text, filename, error)
        except InputError as located:
            if "duplicate key" in located.message:
                raise located from None
        raise error(f"duplicate key {clip(dup.key)!r}", location=SourceLocation(filename)) from None
    except (ValueError, RecursionError):
        return
