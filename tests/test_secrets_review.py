"""Credential gaps found in review of issue 6 (defects 4 and 7): a plugin that fails to load with a credential in
its error, a user catalog whose ``source`` is a URL with a password, a URL given as PLACER_CONFIG or --catalog,
and the query-string mask keeping the punctuation after the value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import ROOT
from typer.testing import CliRunner

from placer.cli.app import app
from placer.redact import redact

SENTINEL = "SENTINEL_ACME_TOKEN_123"
PASSWORD = "s3cr3tpw" + "Zq81"


def _leaky_plugin(site: Path) -> None:
    site.mkdir()
    (site / "leaky_plugin.py").write_text(
        textwrap.dedent(
            """
            import os

            def register(registry):
                token = os.environ["ACME_API_TOKEN"]
                raise RuntimeError(f"GET https://svc:{token}@acme.example/v1 failed; sent Bearer {token}")
            """
        )
    )
    info = site / "leaky_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leaky-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[placer.providers.v1]\nleaky = leaky_plugin:register\n")


def test_a_plugin_failing_to_load_leaks_no_credential_to_stderr_or_the_plan(tmp_path: Path) -> None:
    _leaky_plugin(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT / "src")]),
        "ACME_API_TOKEN": SENTINEL,
        "PLACER_CACHE_DIR": str(tmp_path / "cache"),
        "PLACER_PLUGINS": "all",
    }
    env.pop("PLACER_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "placer", "plan", "profiles/finetune-8b.yaml", "-f", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "plugin 'leaky' from package leaky-plugin failed to load: RuntimeError" in done.stderr
    assert SENTINEL not in done.stderr and SENTINEL not in done.stdout
    warnings = json.loads(done.stdout)["warnings"]
    assert any("GET https://***@acme.example/v1 failed; sent Bearer ***" in w for w in warnings), warnings


def _user_catalog(tmp_path: Path) -> Path:
    text = (ROOT / "tests/hostile/user-yaml/ok-baseline.yaml").read_text()
    text = text.replace("source: hostile corpus rate card", f"source: https://bob:{PASSWORD}@rates.example/card.yaml")
    path = tmp_path / "rates.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["catalog", "list", "-f", "json"], "https://***@rates.example/card.yaml"),
        (["catalog", "list"], "rates.example"),  # the table shows the host only
        (["catalog", "show", "aws/us-east-1/p5.48xlarge"], "https://***@rates.example/card.yaml"),
        (["catalog", "show", "aws/us-east-1/p5.48xlarge", "-f", "json"], "https://***@rates.example/card.yaml"),
    ],
)
def test_a_user_catalog_source_url_is_shown_without_its_password(tmp_path: Path, args: list[str], shown: str) -> None:
    catalog = _user_catalog(tmp_path)
    result = CliRunner().invoke(app, [*args, "--catalog", str(catalog)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert shown in result.output.replace("\n", "")


@pytest.mark.parametrize("how", ["config", "catalog"])
def test_a_url_given_as_a_file_keeps_its_slashes_and_loses_its_password(how: str) -> None:
    url = f"https://alice:{PASSWORD}@h.example/c.yaml"
    args = ["plan", "profiles/finetune-8b.yaml"]
    env = {"PLACER_CONFIG": url} if how == "config" else {}
    if how == "catalog":
        args += ["--catalog", url]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", **env})
    assert result.exit_code == 3, result.output
    assert PASSWORD not in result.stderr
    assert "https://***@h.example/c.yaml" in result.stderr


def test_the_query_mask_keeps_the_punctuation_after_the_value() -> None:
    assert (
        redact("https://h/c.yaml?token=abc123: no such file", environ={}) == "https://h/c.yaml?token=***: no such file"
    )
    assert redact("(see https://h/?sig=abc123), then", environ={}) == "(see https://h/?sig=***), then"
    assert redact("x?token=abc&b=1", environ={}) == "x?token=***&b=1"
