"""Regressions from the review of the catalog work: each case crashed, leaked or silently misled before."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.conftest import run_placer

from placer.atomic import write_atomic
from placer.catalog.models import Price
from placer.errors import OutputError
from placer.providers.refresh import safe_url
from placer.providers.registry import GROUP, load_plugins


@pytest.mark.parametrize("usd", [1e308, 5e7, 1e-9])
def test_implausible_prices_are_refused(usd: float):
    with pytest.raises(ValidationError, match="implausible"):
        Price(usd=usd, source="x", as_of="2026")


def test_a_pool_priced_to_overflow_is_an_input_error(tmp_path: Path):
    cat = tmp_path / "pool.yaml"
    cat.write_text(
        "as_of: 2026-11-01\nsource: test\npools:\n  - name: p\n    region: us-east-1\n    provider: aws\n"
        "    accelerator: H100\n    accelerators: 8\n    per_instance: 8\n    interconnect: infiniband\n"
        "    usd_per_accelerator_hour: 1e308\n"
    )
    done = run_placer("catalog", "validate", str(cat))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("as_of", ["2026-13-01", "2026-02-30"])
def test_impossible_dates_are_refused(as_of: str):
    with pytest.raises(ValidationError, match="not a real date"):
        Price(usd=1.0, source="x", as_of=as_of)


def test_zero_marginal_needs_a_capacity():
    from placer.catalog.models import GpuOffer

    zero = Price(usd=0, source="x", as_of="2026", basis="zero-marginal")
    with pytest.raises(ValidationError, match="needs a capacity"):
        GpuOffer(
            id="internal/us-east/p", provider="internal", region="us-east", instance="p", accelerator="H100",
            accelerators_per_instance=8, accelerator_memory_gb=80, interconnect="infiniband",
            prices={"on-demand": zero},
        )  # fmt: skip


def test_urls_in_sources_lose_credentials_and_queries():
    assert (
        safe_url("https://me:S3CRET@prices.example.com:8443/api/x?token=abc#f")
        == "https://prices.example.com:8443/api/x"
    )


def test_writing_over_a_directory_is_a_clear_error(tmp_path: Path):
    with pytest.raises(OutputError, match="is a directory"):
        write_atomic(tmp_path, "x")
    done = run_placer("catalog", "snapshot", "-o", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"placer: error: cannot write {tmp_path}")


def test_unknown_plugin_names_warn():
    warnings: list[str] = []
    load_plugins({"acm"}, warnings.append, eps=[EntryPoint("acme", "tests.plugin_fixtures:register_one", GROUP)])
    assert warnings == ["no installed provider plugin named 'acm' (installed: acme)"]
