"""`placer schema`: the profile format's JSON Schema tells the truth about what placer accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import ROOT, run_placer

from placer.errors import ProfileError
from placer.numbers import parse_human_number, parse_plain_number
from placer.profile import parse_profile
from placer.profile_schema import (
    HUMAN_NUMBER_PATTERN,
    PLAIN_NUMBER_PATTERN,
    profile_schema,
    profile_schema_json,
)

PROFILES = sorted((ROOT / "profiles").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = profile_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, data: Any) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def every_message(errs: Any) -> list[str]:
    """Messages of errors and, recursively, of their context (oneOf and anyOf report their branches there)."""
    return [m for e in errs for m in [e.message, *every_message(e.context)]]


def test_header_names_the_dialect_and_the_kinds():
    schema = profile_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == "urn:placer:schema:profile:v1"
    assert schema["title"] and schema["description"]
    assert schema["properties"]["kind"]["enum"] == ["training", "inference", "apple-build"]
    branches = [schema["definitions"][ref["$ref"].split("/")[-1]] for ref in schema["oneOf"]]
    assert [b["properties"]["kind"]["const"] for b in branches] == ["training", "inference", "apple-build"]


def test_every_object_refuses_unknown_keys():
    for name, definition in profile_schema()["definitions"].items():
        assert definition["type"] == "object", name
        assert definition["additionalProperties"] is False, name


def test_enums_for_precision_objective_and_spot():
    defs = profile_schema()["definitions"]
    assert defs["ModelSpec"]["properties"]["precision"]["enum"] == ["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
    assert defs["TrainingProfile"]["properties"]["objective"]["enum"] == ["cost", "time", "balanced"]
    assert defs["Constraints"]["properties"]["spot"]["enum"] == ["never", "allow", "only"]


def test_bounds_are_json_schema_keywords():
    text = profile_schema_json()
    for raw in ('"gt"', '"ge"', '"lt"', '"le"', '"discriminator"'):
        assert raw not in text
    parameters = profile_schema()["definitions"]["ModelSpec"]["properties"]["parameters"]["anyOf"]
    assert parameters[0] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1e15}
    assert parameters[1]["pattern"] == HUMAN_NUMBER_PATTERN


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_every_bundled_profile_validates(validator: jsonschema.Draft7Validator, path: Path):
    assert errors(validator, yaml.safe_load(path.read_text())) == []


@pytest.fixture
def finetune() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "profiles" / "finetune-8b.yaml").read_text())
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(modle=d.pop("model")), "Additional properties are not allowed ('modle' was unexpected)"),
        (lambda d: d["model"].update(precison="bf16"), "('precison' was unexpected)"),
        (lambda d: d["model"].update(precision="bf17"), "'bf17' is not one of"),
        (lambda d: d.update(objective="cheapest"), "'cheapest' is not one of"),
        (lambda d: d.update(kind="trainin"), "'trainin' is not one of"),
        (lambda d: d["model"].update(parameters="seventy billion"), "does not match"),
        (lambda d: d["training"].update(checkpoint_interval_minutes="15m"), "does not match"),
        (lambda d: d["model"].update(parameters=-8), "less than or equal to the minimum of 0"),
        (lambda d: d.pop("training"), "'training' is a required property"),
        (lambda d: d["training"].update(flops=1e22), "is valid under each of"),
        (lambda d: d["training"].pop("tokens"), "is not valid under any of the given schemas"),
        (lambda d: d.update(data={"location": "aws/us-east-1"}), "'size_gb' is a required property"),
    ],
)
def test_mistakes_fail_schema_validation_as_they_fail_placer(
    validator: jsonschema.Draft7Validator, finetune: dict[str, Any], change: Any, message: str
):
    change(finetune)
    found = errors(validator, finetune)
    assert found, "the schema accepted a profile placer refuses"
    every = every_message(validator.iter_errors(finetune))
    assert any(message in m for m in every), every
    with pytest.raises(ProfileError):
        parse_profile(yaml.safe_dump(finetune), "p.yaml")


@pytest.mark.parametrize("value", ["70B", "2T", "70e9", "1.5e11", "1_000", "1,000,000", " 8b ", ".5T", 70000000000])
def test_human_numbers_pass_as_placer_reads_them(
    validator: jsonschema.Draft7Validator, finetune: dict[str, Any], value: Any
):
    finetune["model"]["parameters"] = value
    assert errors(validator, finetune) == []
    parse_profile(yaml.safe_dump(finetune), "p.yaml")


@pytest.mark.parametrize(
    ("where", "value"),
    [(("resources", "count"), "8"), (("resources", "count"), "1e3"), (("training", "restart_minutes"), "2.5")],
)
def test_plain_numbers_as_text_pass_as_placer_reads_them(
    validator: jsonschema.Draft7Validator, finetune: dict[str, Any], where: tuple[str, str], value: str
):
    finetune[where[0]][where[1]] = value
    assert errors(validator, finetune) == []
    parse_profile(yaml.safe_dump(finetune), "p.yaml")


NUMBERISH = st.text(alphabet="0123456789.,_eE+- kKmMbBgGtTpPx", max_size=12)


@settings(max_examples=300, deadline=None)
@given(text=NUMBERISH)
def test_patterns_agree_with_the_parsers(text: str):
    """What placer's parsers accept as text, the schema's patterns accept, and the other way round (except a
    number too large for a float, which the pattern cannot see)."""
    for pattern, parse in ((HUMAN_NUMBER_PATTERN, parse_human_number), (PLAIN_NUMBER_PATTERN, parse_plain_number)):
        matches = re.search(pattern, text) is not None
        try:
            parse(text)
        except ValueError as exc:
            refused = str(exc)
        else:
            refused = ""
        if matches and refused:
            assert "finite" in refused or "too large" in refused, (text, refused)
        else:
            assert matches == (not refused), (pattern, text)


def test_output_is_deterministic_json():
    first, second = profile_schema_json(), profile_schema_json()
    assert first == second
    assert first.endswith("}\n")
    assert json.loads(first) == profile_schema()


def test_cli_prints_and_writes_the_schema(tmp_path: Path):
    done = run_placer("schema")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == profile_schema_json()
    out = tmp_path / "placer-profile.schema.json"
    written = run_placer("schema", "-o", str(out))
    assert (written.returncode, written.stdout, written.stderr) == (0, "", "")
    assert out.read_text() == done.stdout


def test_cli_unwritable_output_is_a_usage_error(tmp_path: Path):
    done = run_placer("schema", "-o", str(tmp_path))  # a directory
    assert done.returncode == 2
    assert done.stdout == ""
    assert "cannot write" in done.stderr


def test_draft_07_for_the_editors_validator():
    """The Red Hat YAML language server validates with draft-07: no 2020-12 keywords, every $ref resolves."""
    text = profile_schema_json()
    for keyword in ("$defs", "prefixItems", "unevaluatedProperties", "dependentRequired", "$dynamicRef"):
        assert f'"{keyword}"' not in text
    schema = json.loads(text)
    refs = re.findall(r'"\$ref": "([^"]+)"', text)
    assert refs and all(ref.startswith("#/definitions/") for ref in refs)
    assert all(ref.removeprefix("#/definitions/") in schema["definitions"] for ref in refs)


def test_every_property_has_hover_text() -> None:
    """Editors show a property's description on hover: every key a person can write has one."""
    missing = [
        f"{name}.{key}"
        for name, definition in profile_schema()["definitions"].items()
        for key, prop in definition.get("properties", {}).items()
        if not (isinstance(prop, dict) and prop.get("description"))
    ]
    assert missing == []


@pytest.mark.parametrize(
    "data",
    [
        {"location": "s3://datasets/train/"},
        {"location": "S3://datasets/train/"},
        {"location": "s3://datasets/train/", "size_gb": 500},
        {"location": "aws/us-east-1", "size_gb": 500},
    ],
)
def test_data_rules_pass_what_placer_takes(
    validator: jsonschema.Draft7Validator, finetune: dict[str, Any], data: dict[str, Any]
):
    finetune["data"] = data
    assert errors(validator, finetune) == []
    finetune["training"] = {"flops": 1e22}
    assert errors(validator, finetune) == []
