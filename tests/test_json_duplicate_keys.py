"""A key twice in a JSON object is refused like a key twice in YAML (review of issue 6, defect 6): ``json`` and
pydantic would keep the last silently, so a second ``"offers": []`` emptied a catalog that still validated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from placer import json_keys
from placer.catalog.loader import load_catalog
from placer.cli.app import app
from placer.errors import CatalogError, InputError
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


CATALOG_JSON = Path("tests/hostile/catalog-json")


def _load_error(path: Path) -> str:
    try:
        load_catalog(path)
    except CatalogError as exc:
        return f"{exc.location}: {exc.message}"
    return "loaded"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the check is moved aside by fork only")
@pytest.mark.parametrize("path", sorted(CATALOG_JSON.glob("*.json")), ids=lambda p: p.name)
def test_a_large_catalogs_key_check_in_a_forked_child_says_what_the_check_here_says(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = _load_error(path)
    monkeypatch.setattr(json_keys, "FORK_ABOVE", 0)  # every file counts as large
    assert _load_error(path) == here


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2, reason="one CPU")
@pytest.mark.parametrize("name", ["duplicate-key-offers.json", "ok-baseline.json", "negative-price.json"])
def test_on_several_cpus_a_large_catalogs_key_check_is_forked(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    forks: list[int] = []
    real_fork = os.fork

    def counted() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counted)
    here = _load_error(CATALOG_JSON / name)
    assert forks == []  # a small file is checked here
    monkeypatch.setattr(json_keys, "FORK_ABOVE", 0)
    assert _load_error(CATALOG_JSON / name) == here
    assert forks == [1]


@pytest.mark.parametrize("how", ["no fork", "a child killed"])
def test_a_key_check_that_cannot_be_forked_or_dies_is_done_here(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_keys, "FORK_ABOVE", 0)
    if how == "no fork":

        def no_fork() -> int:
            raise OSError("no more processes")

        monkeypatch.setattr(os, "fork", no_fork)
    else:
        monkeypatch.setattr(json_keys, "_verdict", lambda pid: os.waitpid(pid, 0) and -9)
    assert _load_error(CATALOG_JSON / "duplicate-key-offers.json").endswith(": duplicate key 'offers'")
    assert _load_error(Path("tests/fixtures/mini_catalog.json")) == "loaded"
