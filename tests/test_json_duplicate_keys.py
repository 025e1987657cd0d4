"""A key twice in a JSON object is refused like a key twice in YAML (review of issue 6, defect 6): ``json`` and
pydantic would keep the last silently, so a second ``"offers": []`` emptied a catalog that still validated."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from placer.cli.app import app
from placer.errors import InputError
from placer.export.plan_file import parse_plan


def test_catalog_validate_refuses_a_second_offers_key() -> None:
    result = CliRunner().invoke(app, ["catalog", "validate", "tests/hostile/catalog-json/duplicate-key-offers.json"])
    assert result.exit_code == 3
    assert "duplicate-key-offers.json:123:2: offers: duplicate key 'offers'" in result.stderr


def test_a_plan_file_with_a_key_twice_is_refused_with_its_line() -> None:
    text = '{\n "schema_version": 1,\n "workload": {},\n "chosen": null,\n "chosen": null\n}\n'
    with pytest.raises(InputError) as caught:
        parse_plan(text, "plan.json")
    assert caught.value.message == "duplicate key 'chosen'"
    assert caught.value.location is not None and caught.value.location.line == 5
