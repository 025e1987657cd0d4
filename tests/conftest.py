"""Shared fixtures: a frozen mini catalog (a subset of the embedded one) and profile helpers."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def mini_catalog() -> Catalog:
    return load_catalog(MINI_CATALOG)


def profile_from(text: str) -> AnyProfile:
    return parse_profile(text, "test.yaml").profile


def run_placer(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "placer", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
