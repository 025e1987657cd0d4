"""Catalog snapshots through S3: boto3 against moto in server mode on loopback (nothing leaves the machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from tests.conftest import MINI_CATALOG, run_placer

from placer.catalog.loader import dump_catalog
from placer.catalog.models import Catalog
from placer.catalog.s3 import parse_s3_url, pull, push
from placer.errors import CatalogError, PriceSourceUnavailable, UsageError

SECRET = "sEnTiNeL-sEcReT-9f8e7d"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    session = boto3.Session()
    client = session.client("s3", endpoint_url=moto_endpoint)
    if "team-catalogs" not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket="team-catalogs")
    return session


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.model_validate_json(MINI_CATALOG.read_text())


def test_push_then_pull_round_trips_byte_for_byte(s3, moto_endpoint, catalog, tmp_path: Path):
    size = push(catalog, "s3://team-catalogs/pinned/2026-11.json", session=s3, endpoint_url=moto_endpoint)
    dest = tmp_path / "pinned.json"
    pulled = pull("s3://team-catalogs/pinned/2026-11.json", dest, session=s3, endpoint_url=moto_endpoint)
    assert pulled == catalog
    assert dest.read_text() == dump_catalog(catalog)
    assert size == len(dest.read_bytes())
    head = s3.client("s3", endpoint_url=moto_endpoint).head_object(Bucket="team-catalogs", Key="pinned/2026-11.json")
    assert head["Metadata"] == {"placer-schema": "1", "placer-as-of": catalog.as_of}


def test_missing_key_keeps_the_local_file_and_says_why(s3, moto_endpoint, tmp_path: Path):
    dest = tmp_path / "pinned.json"
    dest.write_text("previous good snapshot")
    with pytest.raises(PriceSourceUnavailable) as exc:
        pull("s3://team-catalogs/nope.json", dest, session=s3, endpoint_url=moto_endpoint)
    assert "NoSuchKey" in str(exc.value)
    assert dest.read_text() == "previous good snapshot"
    assert SECRET not in str(exc.value)


def test_invalid_snapshot_is_rejected_before_writing(s3, moto_endpoint, tmp_path: Path):
    client = s3.client("s3", endpoint_url=moto_endpoint)
    bad = json.loads(MINI_CATALOG.read_text())
    gpu = next(o for o in bad["offers"] if o["kind"] == "gpu")
    gpu["prices"]["on-demand"]["usd"] = -1
    client.put_object(Bucket="team-catalogs", Key="bad.json", Body=json.dumps(bad).encode())
    dest = tmp_path / "pinned.json"
    dest.write_text("previous good snapshot")
    with pytest.raises(CatalogError) as exc:
        pull("s3://team-catalogs/bad.json", dest, session=s3, endpoint_url=moto_endpoint)
    assert "greater than zero" in str(exc.value)
    assert dest.read_text() == "previous good snapshot"


def test_missing_bucket_on_push(s3, moto_endpoint, catalog):
    with pytest.raises(PriceSourceUnavailable) as exc:
        push(catalog, "s3://no-such-bucket/x.json", session=s3, endpoint_url=moto_endpoint)
    assert "NoSuchBucket" in str(exc.value)
    assert SECRET not in str(exc.value)


@pytest.mark.parametrize("url", ["https://b/k.json", "s3://bucket", "s3://bucket/", "s3:///key"])
def test_bad_urls_are_usage_errors(url: str):
    with pytest.raises(UsageError):
        parse_s3_url(url)


def test_cli_push_pull_and_plan_on_the_pinned_snapshot(s3, moto_endpoint, tmp_path: Path):
    env = {"AWS_ENDPOINT_URL_S3": moto_endpoint}
    snapshot = tmp_path / "snap.json"
    done = run_placer("catalog", "snapshot", "--output", str(snapshot), env=env)
    assert done.returncode == 0, done.stderr
    done = run_placer("catalog", "push", str(snapshot), "s3://team-catalogs/ci/pinned.json", env=env)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    pulled = tmp_path / "pulled.json"
    done = run_placer("catalog", "pull", "s3://team-catalogs/ci/pinned.json", "--output", str(pulled), env=env)
    assert done.returncode == 0, done.stderr
    assert pulled.read_bytes() == snapshot.read_bytes()
    plan = run_placer("plan", "profiles/ios-app-ci.yaml", "--catalog", str(pulled), "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["catalog"]["sources"][0]["kind"] == "snapshot"


def test_cli_pull_failure_exits_6(s3, moto_endpoint, tmp_path: Path):
    done = run_placer(
        "catalog", "pull", "s3://team-catalogs/absent.json", "--output", str(tmp_path / "x.json"),
        env={"AWS_ENDPOINT_URL_S3": moto_endpoint},
    )  # fmt: skip
    assert done.returncode == 6
    assert done.stdout == ""
    assert "NoSuchKey" in done.stderr
    assert SECRET not in done.stderr
