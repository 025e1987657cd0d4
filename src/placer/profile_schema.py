"""The profile format as a JSON Schema (draft-07), generated from the pydantic models in ``placer.profile``.

An editor's YAML extension uses it for completion and validation, so it must tell the truth about what placer
accepts. Pydantic's schema alone does not: a number field read through ``parse_human_number`` also accepts
``"70B"`` or ``"2T"`` (and YAML 1.1 reads ``70e9`` as text), and bounds set after such a validator come out as
``gt``/``le``, which are not JSON Schema keywords. This module fixes both, from the validators themselves.
Draft-07, with ``definitions`` and ``#/definitions/...`` references, because the editors' validator (the Red
Hat YAML language server in VS Code) applies draft-07 rules. Unknown keys are refused
(``additionalProperties: false``) as placer refuses them; rules that span fields (``tokens`` or ``flops``,
average below peak) stay with placer, which reports them with file:line:col.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from placer import numbers
from placer.profile import KINDS, Profile

SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
REF_TEMPLATE = "#/definitions/{model}"  # draft-07's home for shared schemas (2020-12 renamed it $defs)
SCHEMA_ID = "urn:placer:schema:profile:v1"

# What parse_human_number accepts as text: digits (with _ or thousands commas), a fraction, an exponent, then a
# size suffix (k, M, B/G, T, P). parse_plain_number refuses the suffix. Both ignore surrounding whitespace.
_MANTISSA = r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?"
HUMAN_NUMBER_PATTERN = rf"^\s*{_MANTISSA}\s*[kKmMbBgGtTpP]?\s*$"
PLAIN_NUMBER_PATTERN = rf"^\s*{_MANTISSA}\s*$"

_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
_NUMERIC = ("number", "integer")


class _ProfileSchema(GenerateJsonSchema):
    """Pydantic's generator, told that placer's number parsers take text as well as numbers."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        text = _text_form(schema["function"]["function"])
        return inner if text is None else {"anyOf": [inner, text]}


def _text_form(function: Any) -> dict[str, str] | None:
    """The text a number parser from ``placer.numbers`` accepts: sizes for ``parse_human_number``; plain
    numbers for the others (``parse_plain_number`` and the parsers built on it, such as a count's)."""
    if getattr(function, "__module__", None) != numbers.__name__:
        return None
    if function is numbers.parse_human_number:
        return {
            "type": "string",
            "pattern": HUMAN_NUMBER_PATTERN,
            "description": "a number as text: 70e9, 70B, 2T, 1.5e21, 1_000 (k, M, B, T, P suffixes)",
        }
    return {
        "type": "string",
        "pattern": PLAIN_NUMBER_PATTERN,
        "description": "a number as text: 1e3, 1_000, 1,000 (no size suffix)",
    }


def _fix_bounds(node: Any) -> None:
    """Move pydantic's raw ``gt``/``ge``/``lt``/``le`` into the numeric branch as JSON Schema keywords."""
    if isinstance(node, list):
        for item in node:
            _fix_bounds(item)
        return
    if not isinstance(node, dict):
        return
    bounds = {_BOUNDS[key]: node.pop(key) for key in list(node) if key in _BOUNDS}
    if bounds:
        targets = (
            [node]
            if node.get("type") in _NUMERIC
            else [
                member
                for member in node.get("anyOf", [])
                if isinstance(member, dict) and member.get("type") in _NUMERIC
            ]
        )
        if not targets:
            raise ValueError(f"bounds {bounds} on a schema with no numeric branch: {node}")
        for target in targets:
            target.update(bounds)
    for key, value in node.items():
        if key in ("properties", "definitions", "$defs"):
            for child in value.values():
                _fix_bounds(child)
        elif key not in ("default", "enum", "const", "required"):
            _fix_bounds(value)
    if isinstance(node.get("anyOf"), list):  # an optional human number: one flat anyOf, not one inside another
        flat: list[Any] = []
        for member in node["anyOf"]:
            nested = isinstance(member, dict) and list(member) == ["anyOf"]
            flat.extend(member["anyOf"] if nested else [member])
        node["anyOf"] = flat


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a profile: the three kinds as a union discriminated on ``kind``."""
    generated = TypeAdapter(Profile).json_schema(schema_generator=_ProfileSchema, ref_template=REF_TEMPLATE)
    generated["definitions"] = generated.pop("$defs", {})
    _fix_bounds(generated)
    generated.pop("discriminator", None)  # OpenAPI's keyword; each branch's `kind` const already discriminates
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "placer workload profile",
        "description": "A workload for `placer plan`: training, inference or apple-build, chosen by `kind`. "
        "Unknown keys are errors. Generated by `placer schema` from placer's own models.",
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": list(KINDS), "description": "The kind of workload."}},
        **generated,
    }


def profile_schema_json() -> str:
    """The schema as JSON text: two-space indent, keys in the models' order, one trailing newline."""
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"
