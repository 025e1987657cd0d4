"""The config file: located errors, relative catalog paths, and precedence of flags and environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import MINI_CATALOG, run_placer

from placer.config import ConfigError, load_config


def test_absent_default_config_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_config().catalogs == []


def test_catalog_paths_are_relative_to_the_config(tmp_path: Path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("catalogs: [team/pinned.json]\nplugins: none\nmax_price_age_days: 10\n")
    config = load_config(cfg)
    assert config.catalogs == [tmp_path / "team" / "pinned.json"]
    assert (config.plugins, config.max_price_age_days) == ("none", 10)


def test_unknown_key_is_located_with_a_hint(tmp_path: Path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("catalogs: []\nplugin: none\n")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert str(exc.value) == f"{cfg}:2:1: plugin: unknown key 'plugin'"
    assert exc.value.hint == "did you mean 'plugins'?"


def test_explicit_missing_config_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLACER_CONFIG", str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError):
        load_config()


def test_plan_uses_the_configured_catalog(tmp_path: Path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"catalogs: [{MINI_CATALOG}]\n")
    done = run_placer("plan", "profiles/ios-app-ci.yaml", "--format", "json", env={"PLACER_CONFIG": str(cfg)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["catalog"]["offers_considered"] == 20


def test_bad_config_is_exit_3_naming_the_file(tmp_path: Path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("max_price_age_days: -1\n")
    done = run_placer("plan", "profiles/ios-app-ci.yaml", env={"PLACER_CONFIG": str(cfg)})
    assert done.returncode == 3
    assert done.stderr.startswith(f"placer: error: {cfg}:1:21: max_price_age_days: must be greater than or equal to 0")
