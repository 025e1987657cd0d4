"""The profile format as a JSON Schema (draft-07), generated from the pydantic models in ``placer.profile``.

An editor's YAML extension uses it for completion and validation, so it must tell the truth about what placer
accepts. Pydantic's schema alone does not: a number field read through ``parse_human_number`` also accepts
``"70B"`` or ``"2T"`` (and YAML 1.1 reads ``70e9`` as text), and bounds set after such a validator come out as
``gt``/``le``, which are not JSON Schema keywords. This module fixes both, from the validators themselves.
Draft-07, with ``definitions`` and ``#/definitions/...`` references, because the editors' validator (the Red
Hat YAML language server in VS Code) applies draft-07 rules. Unknown keys are refused
(``additionalProperties: false``) as placer refuses them. Of the rules that span fields, ``tokens`` or ``flops``
(exactly one) and ``size_gb`` unless the location is ``s3://`` are stated; the others (average below peak) stay
with placer, which reports them with file:line:col.
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


_COMMON = {
    "name": "The workload's name, shown in plans and reports.",
    "description": "Free text for people; placer ignores it.",
    "data": "Where the input data lives and how big it is: each offer is charged copying it there (egress, hours).",
    "constraints": "Which providers, regions and pricing models may be used.",
    "resources": "Accelerator types acceptable and, optionally, how many.",
    "deadline_hours": "Wall-clock hours a training run must finish in, data copy included (other kinds ignore it).",
    "objective": "How to rank feasible placements: cheapest (cost), fastest (time) or a balance of both.",
    "kind": "The kind of workload.",
    "model": "The model: size, precision and (optionally) its shape.",
}
# Hover text for editors: one line per key, the unit and the default where a person needs them.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "TrainingProfile": {
        **_COMMON,
        "budget": "Budget per run, in USD.",
        "training": "How much training: tokens (or flops), MFU and checkpointing.",
    },
    "InferenceProfile": {
        **_COMMON,
        "budget": "Budget per month, in USD.",
        "inference": "The load to serve: request rates, token counts, users' regions and the latency SLO.",
    },
    "AppleBuildProfile": {
        **_COMMON,
        "budget": "Budget per month, in USD.",
        "build": "The build/test load: jobs a day, minutes per job on a reference chip, queue wait allowed.",
    },
    "Budget": {"max_usd": "The most this may cost in USD: per run for training, per month for inference and builds."},
    "ModelSpec": {
        "name": "Model name, e.g. llama-3.3-70b; hosted APIs serving it may stand in.",
        "parameters": "Total parameters, e.g. 70B or 70e9.",
        "active_parameters": "Parameters active per token, for mixture-of-experts models.",
        "precision": "Weights and compute precision.",
        "layers": "Transformer layers (default: estimated from the parameter count).",
        "kv_heads": "Key/value heads, for the KV-cache size (default: estimated).",
        "head_dim": "Attention head dimension (default: estimated).",
    },
    "TrainingSpec": {
        "tokens": "Training tokens, e.g. 2T; give this or flops.",
        "flops": "Total training FLOPs, e.g. 1.5e24; give this or tokens.",
        "mfu": "Model FLOPs utilisation, 0-1 (default: published figures per accelerator and precision).",
        "checkpoint_interval_minutes": "Minutes between checkpoints (default 30, an assumption): a failure or "
        "preemption redoes half of one.",
        "restart_minutes": "Minutes to restart after a failure or preemption (default 10, an assumption).",
    },
    "InferenceSpec": {
        "requests_per_second": "Peak requests per second: replicas are sized for it.",
        "average_requests_per_second": "Average requests per second: per-token API costs are priced on it "
        "(default: the peak).",
        "input_tokens": "Prompt tokens per request.",
        "output_tokens": "Generated tokens per request.",
        "user_regions": "Where the users are (e.g. us-east, eu-west): latency includes the round trip from them.",
        "slo": "The latency objective.",
        "hours_per_day": "Hours a day the service runs (default 24).",
        "accept_models": "Hosted models that may stand in for this one (per-token APIs).",
        "self_hosted": "Consider GPU offers serving the model yourself (default true).",
        "hosted_api": "Consider per-token hosted APIs (default true).",
    },
    "Slo": {"p95_latency_ms": "95th-percentile request latency limit in milliseconds, round trip included."},
    "BuildSpec": {
        "jobs_per_day": "Build/test jobs a day.",
        "minutes_per_job": "Minutes per job on the reference chip.",
        "reference_chip": "The Apple chip the minutes were measured on, e.g. M4.",
        "max_queue_wait_minutes": "Longest acceptable p95 wait in the queue, in minutes.",
        "working_hours_per_day": "Hours a day jobs arrive (default 10).",
        "working_days_per_month": "Working days a month (default 22).",
        "min_memory_gb": "Least memory a Mac must have, in GB.",
    },
    "Constraints": {
        "providers": "Only these providers, e.g. [aws, lambda].",
        "exclude_providers": "Never these providers.",
        "regions": 'Region patterns allowed, e.g. ["us-*", "eu-west"] (glob on region, provider/region or geo).',
        "spot": "Spot or preemptible capacity: never (default), allow, or only.",
        "reserved": "Reserved or committed-use prices: never (default) or allow.",
    },
    "DataSpec": {
        "location": "A catalog region (aws/us-east-1) or s3://bucket/prefix (listed at plan time when no size).",
        "size_gb": "Data size in GB (10^9 bytes); may be left out for an s3:// location.",
    },
    "Resources": {
        "accelerators": "Acceptable accelerator types, e.g. [H100, H200]; a family name covers its variants.",
        "count": "Accelerators for the job; omitted = placer chooses the fewest that meet the deadline.",
        "max_count": "The most accelerators placer may choose (default 16384).",
    },
}


def _cross_field_rules(definitions: dict[str, Any]) -> None:
    """Rules spanning two keys that draft-07 can state, so an editor flags them as placer does."""
    definitions["TrainingSpec"]["oneOf"] = [{"required": ["tokens"]}, {"required": ["flops"]}]
    definitions["DataSpec"]["if"] = {"properties": {"location": {"pattern": "^[sS]3://"}}}
    definitions["DataSpec"]["else"] = {"required": ["size_gb"]}  # only an s3:// location may leave it out


def _describe(definitions: dict[str, Any]) -> None:
    for name, definition in definitions.items():
        texts = DESCRIPTIONS.get(name, {})
        for key, prop in definition.get("properties", {}).items():
            if key in texts:
                prop["description"] = texts[key]


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a profile: the three kinds as a union discriminated on ``kind``."""
    generated = TypeAdapter(Profile).json_schema(schema_generator=_ProfileSchema, ref_template=REF_TEMPLATE)
    generated["definitions"] = generated.pop("$defs", {})
    _describe(generated["definitions"])
    _cross_field_rules(generated["definitions"])
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
