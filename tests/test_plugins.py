"""Provider plugins: entry-point loading, duplicates, failures that warn, selection, and the example package."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest
from tests.conftest import run_placer

from placer.providers.registry import GROUP, PluginError, load_plugins, wanted_plugins


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def test_duplicate_provider_names_are_an_error():
    with pytest.raises(PluginError) as exc:
        load_plugins(
            eps=[ep("a", "tests.plugin_fixtures:register_one"), ep("b", "tests.plugin_fixtures:register_again")]
        )
    assert "provider 'dup' is registered twice" in exc.value.message


def test_a_broken_plugin_warns_with_its_package_and_the_rest_load():
    warnings: list[str] = []
    registry = load_plugins(
        warn=warnings.append,
        eps=[ep("bad", "no_such_module_xyz:register"), ep("boom", "tests.plugin_fixtures:register_broken"),
             ep("ok", "tests.plugin_fixtures:register_one")],
    )  # fmt: skip
    assert registry.names == ["dup"]
    assert warnings[0].startswith("plugin 'bad' from package no_such_module_xyz failed to load: ModuleNotFoundError")
    assert warnings[1] == (
        "plugin 'boom' from package tests.plugin_fixtures failed to load: RuntimeError: boom while registering"
    )


def test_only_selected_plugins_load():
    registry = load_plugins({"ok"}, eps=[ep("ok", "tests.plugin_fixtures:register_one"), ep("bad", "nope:register")])
    assert registry.names == ["dup"]


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("all", None), ("none", set()), ("acme, aws", {"acme", "aws"})]
)
def test_plugin_selection(value, expected, monkeypatch):
    monkeypatch.delenv("PLACER_PLUGINS", raising=False)
    assert wanted_plugins(value) == expected


def test_builtin_providers_register_like_plugins():
    registry = load_plugins({"aws", "azure", "lambda"})
    assert registry.names == ["aws", "azure", "lambda"]
    assert all(p.refresh is not None and p.package == "placer" for p in registry.all())


def test_example_plugin_offers_appear_in_plans():
    # The example package is installed by the README's test command (pip install ... -e examples/...).
    profile = "examples/placer-provider-acme/tests/finetune-acme.yaml"
    done = run_placer("plan", profile, "--format", "json", env={"PLACER_PLUGINS": "acme"})
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["chosen"]["offer"] == "acme/us-central/h100x8"
    assert any(s["kind"] == "plugin" and s["name"].startswith("plugin acme") for s in plan["catalog"]["sources"])
    off = run_placer("plan", profile, env={"PLACER_PLUGINS": "none"})
    assert off.returncode == 3
    assert "unknown provider 'acme'" in off.stderr
