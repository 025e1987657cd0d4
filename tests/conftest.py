"""Shared fixtures: a frozen mini catalog (a subset of the embedded one) and profile helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from placer.catalog.loader import load_catalog
from placer.catalog.models import Catalog
from placer.profile import AnyProfile, parse_profile

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_CATALOG = FIXTURES / "mini_catalog.json"


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's price cache, catalogs or plugin choice; each may set its own."""
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("PLACER_PLUGINS", "none")
    monkeypatch.delenv("PLACER_CATALOG", raising=False)
    monkeypatch.delenv("PLACER_MAX_PRICE_AGE_DAYS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("PLACER_CONFIG", raising=False)


@pytest.fixture(scope="session")
def mini_catalog() -> Catalog:
    return load_catalog(MINI_CATALOG)


def profile_from(text: str) -> AnyProfile:
    return parse_profile(text, "test.yaml").profile


def run_placer(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, with the test's environment (hermetic_env) plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "placer", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
