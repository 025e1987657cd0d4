"""Read a plan back from the JSON ``placer plan --format json`` wrote, with file:line:col for every problem.

``json`` parses the data (JSON's own number rules); positions for pydantic's errors come from reading the same
text as YAML (JSON is YAML flow syntax), so a bad field points at its line just as a bad profile key does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from placer.errors import InputError, SourceLocation
from placer.field_errors import validation_error
from placer.json_keys import check_json_keys
from placer.plan import PLAN_SCHEMA_VERSION, Plan
from placer.yamldoc import MAX_BYTES, YamlDocument, parse_yaml, read_text

MAX_PLAN_BYTES = 50 * MAX_BYTES  # a plan lists every rejected offer: far bigger than any profile


def read_plan(path: str | Path) -> Plan:
    """Read and validate a plan JSON file; every problem is an InputError (exit 3) naming file and field."""
    name = str(path)
    return parse_plan(read_text(path, InputError, limit=MAX_PLAN_BYTES), name)


def parse_plan(text: str, filename: str = "<plan>") -> Plan:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        source = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else None
        raise InputError(
            f"not valid JSON: {exc.msg}",
            location=SourceLocation(filename, exc.lineno, exc.colno, None, source),
            hint="PLAN is the output of `placer plan --format json`, or a profile (.yaml)",
        ) from None
    check_json_keys(text, filename, InputError)
    if not isinstance(data, dict) or "chosen" not in data or "workload" not in data:
        raise InputError(
            "not a plan: expected the JSON object `placer plan --format json` writes (workload, chosen, ...)",
            location=SourceLocation(filename),
        )
    version = data.get("schema_version")
    if version != PLAN_SCHEMA_VERSION:
        raise InputError(
            f"{version!r} is not a plan schema version this placer reads (it reads {PLAN_SCHEMA_VERSION})",
            location=_locate(text, filename, data, ("schema_version",)),
            hint="plan the profile again with this placer",
        )
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, _document(text, filename, data), InputError, Plan) from None


def _document(text: str, filename: str, data: Any) -> YamlDocument:
    """Positions of every key and value in the file; without them (not YAML-readable), just the file name."""
    try:
        doc = parse_yaml(text, filename, InputError)
    except InputError:
        doc = YamlDocument(filename, text, data)
    doc.data = data
    return doc


def _locate(text: str, filename: str, data: Any, path: tuple[str | int, ...]) -> SourceLocation:
    return _document(text, filename, data).locate(path)
