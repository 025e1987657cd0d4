"""Data gravity for s3:// datasets: boto3 against moto in server mode on loopback (nothing leaves the machine).

Buckets: placer-ds-west (us-west-2) holds 1,050 objects of 1,000 bytes under train/ (more than one
ListObjectsV2 page) and two objects outside it; placer-ds-eu was created with the legacy constraint EU;
placer-ds-frankfurt is in eu-central-1, placer-ds-east in us-east-1 (a null constraint); placer-ds-empty
holds nothing. Credentials are sentinels that must never appear in any output.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.server import ThreadedMotoServer
from tests.conftest import MINI_CATALOG, ROOT, profile_from, run_placer
from tests.test_shortlist import assert_same_top

from placer.batch import ReplanOptions, replan
from placer.catalog.index import CatalogIndex
from placer.catalog.models import Catalog, GpuOffer
from placer.dataset import PATH, Datasets, DatasetSize, DatasetUnavailable, measure, plan_profile
from placer.errors import ExitCode, ProfileError
from placer.gate import CheckOptions, ProfileInput, check_profiles
from placer.placements import training
from placer.planner import PlanOptions, context_for, make_plan
from placer.profile import TrainingProfile, read_profile
from placer.s3_location import aws_region, bucket_problem, parse_location
from placer.shortlist import Shortlister

KEY_ID = "AKIASENTINELDATASET1"
SECRET = "sEnTiNeL-dAtAsEt-sEcReT-5a4b3c"
WEST = "s3://placer-ds-west/train/"
SMALL = "s3://placer-ds-west/eval/"  # one 5,000-byte object: for tests that run the CLI, where listing 1,050 costs
TRAIN_OBJECTS, OBJECT_BYTES = 1050, 1000

FINETUNE = """\
kind: training
name: finetune-7b
model: {parameters: 7e9}
training: {tokens: 1e11}
resources: {accelerators: [A100-80GB], count: 8}
"""


def _admin(endpoint: str, service: str = "s3") -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


def _seed(bucket: str, objects: dict[str, bytes]) -> None:
    """Put objects straight into the in-process moto backend the server answers from: 1,050 PUTs over
    HTTP take ~12 s here. Every read under test still goes over HTTP."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for key, body in objects.items():
        backend.put_object(bucket, key, body)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = _admin(endpoint)
    for bucket, constraint in [
        ("placer-ds-west", "us-west-2"),
        ("placer-ds-eu", "EU"),
        ("placer-ds-frankfurt", "eu-central-1"),
        ("placer-ds-empty", "us-west-2"),
    ]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": constraint})
    s3.create_bucket(Bucket="placer-ds-east")
    _seed("placer-ds-west", {f"train/{i:05d}.bin": b"x" * OBJECT_BYTES for i in range(TRAIN_OBJECTS)})
    s3.put_object(Bucket="placer-ds-west", Key="train-old/a.bin", Body=b"o" * 7000)
    s3.put_object(Bucket="placer-ds-west", Key="eval/b.bin", Body=b"e" * 5000)
    s3.put_object(Bucket="placer-ds-eu", Key="x", Body=b"e" * 10)
    s3.put_object(Bucket="placer-ds-frankfurt", Key="data/part-0", Body=b"f" * 2500)
    s3.put_object(Bucket="placer-ds-east", Key="d/0", Body=b"d" * 42)
    yield endpoint
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """boto3's default chain sees only the sentinel credentials and moto's endpoint; no instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return moto_endpoint


class Counting:
    """A real boto3 client that records which S3 calls it made (to a file too, so forked workers count)."""

    def __init__(self, client: Any, log: Path | None = None) -> None:
        self.client = client
        self.log = log
        self.calls: list[str] = []

    @property
    def meta(self) -> Any:
        return self.client.meta

    def _note(self, call: str) -> None:
        self.calls.append(call)
        if self.log is not None:
            with self.log.open("a") as handle:
                handle.write(call + "\n")

    def get_bucket_location(self, **kwargs: Any) -> Any:
        self._note(f"location {kwargs['Bucket']}")
        return self.client.get_bucket_location(**kwargs)

    def get_paginator(self, name: str) -> Any:
        self._note(name)
        return self.client.get_paginator(name)


@pytest.fixture
def west_catalog(tmp_path: Path) -> tuple[Catalog, Path]:
    """The mini catalog plus the A100 p4de in us-west-2 at its us-east-1 price: same offer, other region."""
    data = json.loads(MINI_CATALOG.read_text())
    east = next(o for o in data["offers"] if o["id"] == "aws/us-east-1/p4de.24xlarge")
    data["offers"].append({**east, "id": "aws/us-west-2/p4de.24xlarge", "region": "us-west-2"})
    path = tmp_path / "west-catalog.json"
    path.write_text(json.dumps(data))
    return Catalog.model_validate(data), path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def profile_text(data: str, name: str = "finetune-7b") -> str:
    return FINETUNE.replace("finetune-7b", name) + f"data: {data}\n"


# --- the URL and the profile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("s3://", "names no bucket"),
        ("s3:///train", "names no bucket"),
        ("s3://ab/x", "bucket name 'ab' is 2 characters long"),
        ("s3://" + "b" * 64, "is 64 characters long"),
        ("s3://My_Bucket/x", "may hold only lowercase letters, digits, dots and hyphens"),
        ("s3://-bucket/x", "start and end with a letter or digit"),
        ("s3://bucket-/x", "start and end with a letter or digit"),
        ("s3://my..bucket/x", "has two adjacent dots"),
        ("s3://192.168.5.4/x", "is formatted as an IP address"),
        ("s3://xn--bucket/x", "starts with 'xn--', which AWS reserves"),
        ("s3://amzn-s3-demo-bucket/x", "starts with 'amzn-s3-demo-', which AWS reserves"),
        ("s3://bucket/" + "k" * 1025, "longer than an S3 key can be (1024 bytes)"),
        ("s3://bucket/a\tb", "control character"),
        ("gs://bucket/train", "only s3:// URLs are measured, not gs://"),
    ],
)
def test_bad_locations_are_profile_errors_at_the_location_line(location: str, message: str):
    text = FINETUNE + f"data:\n  location: {json.dumps(location)}\n"
    with pytest.raises(ProfileError) as exc:
        profile_from(text)
    assert message in exc.value.message
    assert exc.value.location is not None and exc.value.location.line == 7
    assert exc.value.location.field == "data.location"
    assert exc.value.exit_code == ExitCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("location", "bucket", "prefix"),
    [
        ("s3://placer-ds-west", "placer-ds-west", ""),
        ("s3://placer-ds-west/", "placer-ds-west", ""),
        ("s3://placer-ds-west/train/", "placer-ds-west", "train/"),
        ("s3://my.bucket.example/a b/ü", "my.bucket.example", "a b/ü"),
        ("s3://alias-abc123-s3alias/x", "alias-abc123-s3alias", "x"),  # access point alias
        ("s3://base--usw2-az1--x-s3/x", "base--usw2-az1--x-s3", "x"),  # directory bucket
    ],
)
def test_good_locations_parse(location: str, bucket: str, prefix: str):
    where = parse_location(location)
    assert (where.bucket, where.prefix) == (bucket, prefix)
    assert where.url == f"s3://{bucket}/{prefix}"


@given(
    bucket=st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True).filter(
        lambda b: not b.startswith(("xn--", "sthree-"))
    ),
    prefix=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"), max_size=40),
)
def test_any_valid_bucket_and_prefix_round_trip(bucket: str, prefix: str):
    assert bucket_problem(bucket) is None
    where = parse_location(f"s3://{bucket}/{prefix}")
    assert (where.bucket, where.prefix) == (bucket, prefix)
    assert parse_location(where.url) == where


def test_size_is_optional_only_for_an_s3_location():
    assert profile_from(profile_text("{location: s3://placer-ds-west/train/}")).data.size_gb is None
    given = profile_from(profile_text("{location: s3://placer-ds-west/train/, size_gb: 12}"))
    assert given.data.size_gb == 12
    with pytest.raises(ProfileError) as exc:  # the error a profile without size_gb always got
        profile_from(profile_text("{location: aws/us-east-1}"))
    assert exc.value.message == "missing required key 'size_gb'"
    assert exc.value.location is not None and exc.value.location.field == "data.size_gb"


def test_aws_region_reads_get_bucket_location_constraints():
    assert aws_region(None) == "us-east-1"
    assert aws_region("") == "us-east-1"
    assert aws_region("EU") == "eu-west-1"
    assert aws_region("ap-south-1") == "ap-south-1"


def test_make_plan_refuses_an_unmeasured_location(mini_catalog: Catalog):
    with pytest.raises(ProfileError) as exc:
        make_plan(profile_from(profile_text("{location: s3://placer-ds-west/train/}")), mini_catalog)
    assert exc.value.path == PATH
    assert "must be measured before planning" in exc.value.message


# --- measuring ----------------------------------------------------------------------------------------------


def test_measure_lists_every_page_of_the_prefix_only(aws: str):
    client = Counting(boto3.client("s3"))
    found = measure(WEST, client)
    assert found == DatasetSize("placer-ds-west", "train/", "us-west-2", TRAIN_OBJECTS, TRAIN_OBJECTS * OBJECT_BYTES)
    assert found.size_gb == pytest.approx(0.00105)
    assert found.catalog_region == "aws/us-west-2"
    assert (
        found.note
        == "data: s3://placer-ds-west/train/ — 1,050 objects, 0.00105 GB, listed at plan time, in aws/us-west-2"
    )
    assert client.calls == ["location placer-ds-west", "list_objects_v2"]


def test_a_prefix_is_matched_as_text_and_an_empty_one_is_the_whole_bucket(aws: str):
    text_prefix = measure("s3://placer-ds-west/train")  # also train-old/, as `aws s3 ls --recursive` would
    assert (text_prefix.objects, text_prefix.bytes) == (TRAIN_OBJECTS + 1, TRAIN_OBJECTS * OBJECT_BYTES + 7000)
    whole = measure("s3://placer-ds-west")
    assert (whole.objects, whole.bytes) == (TRAIN_OBJECTS + 2, TRAIN_OBJECTS * OBJECT_BYTES + 12000)
    assert whole.url == "s3://placer-ds-west/" == parse_location("s3://placer-ds-west/").url


@pytest.mark.parametrize(
    ("url", "region", "objects", "size"),
    [
        ("s3://placer-ds-eu/", "eu-west-1", 1, 10),  # created with the legacy constraint EU
        ("s3://placer-ds-frankfurt/data/", "eu-central-1", 1, 2500),
        ("s3://placer-ds-east/d/", "us-east-1", 1, 42),  # GetBucketLocation answers null
    ],
)
def test_bucket_regions(aws: str, url: str, region: str, objects: int, size: int):
    found = measure(url)
    assert (found.region, found.objects, found.bytes) == (region, objects, size)
    assert found.note.endswith(f"listed at plan time, in aws/{region}")


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        ("s3://placer-ds-west/nothing/", "no objects under s3://placer-ds-west/nothing/", "prefix 'nothing/'"),
        ("s3://placer-ds-empty", "no objects under s3://placer-ds-empty/", "bucket 'placer-ds-empty'"),
        ("s3://placer-ds-absent/x/", "no such bucket 'placer-ds-absent' (for s3://placer-ds-absent/x/)", "bucket name"),
    ],
)
def test_nothing_there_is_invalid_input(aws: str, url: str, message: str, hint: str):
    with pytest.raises(ProfileError) as exc:
        measure(url)
    assert exc.value.message == message
    assert exc.value.hint is not None and hint in exc.value.hint
    assert exc.value.path == PATH
    assert exc.value.exit_code == ExitCode.INVALID_INPUT


def _auth(endpoint: str, count: str) -> None:
    """moto server mode's switch for IAM checks: after `count` unchecked requests, every request is checked."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=count.encode(), headers={"Content-Type": "text/plain"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def test_access_denied_is_unavailable_not_invalid(aws: str):
    iam = _admin(aws, "iam")
    iam.create_user(UserName="placer-no-rights")
    key = iam.create_access_key(UserName="placer-no-rights")["AccessKey"]
    reader = boto3.client(
        "s3",
        endpoint_url=aws,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    _auth(aws, "0")
    try:
        with pytest.raises(DatasetUnavailable) as exc:
            measure(WEST, reader)
    finally:
        _auth(aws, "inf")
    assert exc.value.message == f"cannot measure data.location {WEST}: access denied (AccessDenied)"
    assert exc.value.hint is not None and "s3:ListBucket and s3:GetBucketLocation" in exc.value.hint
    assert exc.value.exit_code == ExitCode.PRICES_UNAVAILABLE
    assert key["SecretAccessKey"] not in str(exc.value) + exc.value.hint


def test_unreachable_endpoint_is_unavailable(aws: str, monkeypatch: pytest.MonkeyPatch):
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(DatasetUnavailable) as exc:
        measure(WEST)
    assert exc.value.message == f"cannot measure data.location {WEST}: cannot connect to S3 at 127.0.0.1:{port}"
    assert exc.value.exit_code == ExitCode.PRICES_UNAVAILABLE


def test_no_credentials_is_unavailable(aws: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(DatasetUnavailable) as exc:
        measure(WEST)
    assert exc.value.message == f"cannot measure data.location {WEST}: no AWS credentials found"
    assert exc.value.hint is not None and "AWS_PROFILE" in exc.value.hint


# --- resolving profiles: each URL listed once, failures per profile -------------------------------------------


def test_resolve_fills_size_and_region_and_says_where_they_came_from(aws: str):
    datasets = Datasets(Counting(boto3.client("s3")))
    profile = profile_from(profile_text(f"{{location: {WEST}}}"))
    resolved = datasets.resolve(profile)
    assert resolved.profile.data is not None
    assert resolved.profile.data.location == "aws/us-west-2"
    assert resolved.profile.data.size_gb == pytest.approx(0.00105)
    assert resolved.note is not None and resolved.note.startswith(f"data: {WEST} — 1,050 objects")
    assert profile.data is not None and profile.data.location == WEST  # the input is not mutated
    plain = profile_from(profile_text("{size_gb: 5, location: aws/us-east-1}"))
    assert datasets.resolve(plain).profile is plain


def test_a_given_size_wins_and_nothing_is_listed(aws: str):
    client = Counting(boto3.client("s3"))
    resolved = Datasets(client).resolve(profile_from(profile_text(f"{{location: {WEST}, size_gb: 500}}")))
    assert client.calls == ["location placer-ds-west"]
    assert resolved.profile.data is not None
    assert (resolved.profile.data.size_gb, resolved.profile.data.location) == (500, "aws/us-west-2")
    assert resolved.note == f"data: {WEST} — 500.0 GB from the profile (not listed), in aws/us-west-2"


def test_each_url_is_listed_once_a_run_and_failures_are_per_profile(aws: str):
    client = Counting(boto3.client("s3"))
    datasets = Datasets(client)
    sized = profile_from(profile_text(f"{{location: {WEST}, size_gb: 500}}"))
    measured = profile_from(profile_text(f"{{location: {WEST}}}"))
    for profile in (sized, measured, measured):
        datasets.resolve(profile)
    assert client.calls == ["location placer-ds-west", "list_objects_v2"]
    absent = profile_from(profile_text("{location: s3://placer-ds-absent/x/}"))
    errors = []
    for _ in range(2):
        with pytest.raises(ProfileError) as exc:
            datasets.resolve(absent)
        errors.append(exc.value)
    assert client.calls == ["location placer-ds-west", "list_objects_v2", "location placer-ds-absent"]
    assert errors[0] is not errors[1]  # each profile points its own copy at its own line
    assert errors[0].message == errors[1].message


def test_check_lists_a_shared_dataset_once(aws: str, west_catalog: tuple[Catalog, Path], tmp_path: Path):
    catalog, _ = west_catalog
    client = Counting(boto3.client("s3"))
    texts = {
        "a-sized.yaml": profile_text(f"{{location: {WEST}, size_gb: 500}}", "a"),
        "b.yaml": profile_text(f"{{location: {WEST}}}", "b"),
        "c.yaml": profile_text(f"{{location: {WEST}}}", "c"),
        "d-absent.yaml": profile_text("{location: s3://placer-ds-absent/x/}", "d"),
    }
    items = []
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
        items.append(ProfileInput(str(tmp_path / name), document=read_profile(tmp_path / name)))
    report = check_profiles(items, catalog, CheckOptions(datasets=Datasets(client)))
    assert client.calls == ["location placer-ds-west", "list_objects_v2", "location placer-ds-absent"]
    assert [r.status for r in report.profiles] == ["none", "none", "none", "invalid"]
    bad = report.profiles[3]
    assert bad.line == 6  # the data line of d-absent.yaml
    assert (
        bad.error == f"{tmp_path / 'd-absent.yaml'}:6:18: data.location: no such bucket 'placer-ds-absent' "
        "(for s3://placer-ds-absent/x/)"
    )
    assert report.exit_code == ExitCode.INVALID_INPUT


def test_forked_replan_lists_each_dataset_once_in_the_parent(
    aws: str, west_catalog: tuple[Catalog, Path], tmp_path: Path
):
    catalog, _ = west_catalog
    log = tmp_path / "calls.log"
    paths = []
    for i in range(4):
        path = tmp_path / f"p{i}.yaml"
        path.write_text(profile_text(f"{{location: {SMALL}}}", f"p{i}"))
        paths.append(str(path))
    options = ReplanOptions(jobs=2, datasets=Datasets(Counting(boto3.client("s3"), log)))
    report = replan(paths, catalog, options)
    assert log.read_text().splitlines() == ["location placer-ds-west", "list_objects_v2"]
    assert [e.status for e in report.profiles] == ["none"] * 4
    # 5 kB is inside AWS's free internet tier: the cheapest compute wins, as make_plan decides
    alone = plan_profile(profile_from(profile_text(f"{{location: {SMALL}}}")), catalog)
    assert alone.chosen is not None and alone.chosen.offer == "crusoe/us-east/a100-80gb-sxm-x8"
    assert {e.chosen.offer for e in report.profiles if e.chosen} == {alone.chosen.offer}


# --- what the data costs each candidate ---------------------------------------------------------------------


def _by_offer(profile: TrainingProfile, catalog: Catalog) -> dict[str, Any]:
    index = CatalogIndex(catalog)
    ctx = context_for(profile, index)
    return {
        o.id: training.score(o, profile, ctx)[0]
        for o in catalog.offers
        if isinstance(o, GpuOffer) and o.accelerator == "A100-80GB"
    }


def test_egress_tier_and_copy_time_per_candidate(aws: str, west_catalog: tuple[Catalog, Path]):
    """50,000 GB in us-west-2. Hand-checked: the us-west-2 offer pays nothing; AWS us-east-1 pays AWS's
    inter-region $0.02/GB = $1,000; GCP and Crusoe pay AWS's internet tiers: 100 GB free, 10,140 GB at
    $0.09 = $912.60, 39,760 GB at $0.085 = $3,379.60, so $4,292.20. Every move takes 50,000 × 8 Gbit at
    10 Gbit/s = 40,000 s = 11.11 h, added to the training's wall time."""
    catalog, _ = west_catalog
    datasets = Datasets()
    with_data = datasets.resolve(profile_from(profile_text(f"{{location: {WEST}, size_gb: 50000}}"))).profile
    assert isinstance(with_data, TrainingProfile)
    without = profile_from(FINETUNE)
    assert isinstance(without, TrainingProfile)
    moved, stay = _by_offer(with_data, catalog), _by_offer(without, catalog)
    hours = 50000 * 8 / 10 / 3600
    expected = {
        "aws/us-west-2/p4de.24xlarge": (0.0, 0.0),
        "aws/us-east-1/p4de.24xlarge": (1000.0, hours),
        "gcp/us-central1/a2-ultragpu-8g": (4292.2, hours),
        "crusoe/us-east/a100-80gb-sxm-x8": (4292.2, hours),
    }
    assert set(moved) == set(expected)
    for offer, (usd, extra_hours) in expected.items():
        p, base = moved[offer], stay[offer]
        assert p.cost.egress_usd == pytest.approx(usd), offer
        assert p.cost.total_usd == pytest.approx(base.cost.total_usd + usd), offer
        assert p.cost.compute_usd == pytest.approx(base.cost.compute_usd), offer
        assert p.time.wall_hours == pytest.approx(base.time.wall_hours + extra_hours), offer
    assert (
        "data: inter-region transfer at $0.02/GB; copy takes 11.1 h" in moved["aws/us-east-1/p4de.24xlarge"].assumptions
    )
    assert (
        "data: internet egress tiers of aws; copy takes 11.1 h" in moved["gcp/us-central1/a2-ultragpu-8g"].assumptions
    )

    plan = plan_profile(profile_from(profile_text(f"{{location: {WEST}, size_gb: 50000}}")), catalog, datasets=datasets)
    # Crusoe's compute is cheap enough to pay the egress; the plan charges it exactly as above
    assert plan.chosen is not None and plan.chosen.offer == "crusoe/us-east/a100-80gb-sxm-x8"
    assert plan.chosen == moved["crusoe/us-east/a100-80gb-sxm-x8"]
    west = next(p for p in plan.alternatives if p.offer == "aws/us-west-2/p4de.24xlarge")
    assert west == moved["aws/us-west-2/p4de.24xlarge"]
    assert plan.assumptions[-1] == f"data: {WEST} — 50,000.0 GB from the profile (not listed), in aws/us-west-2"


def test_the_measured_size_is_what_is_charged(aws: str, west_catalog: tuple[Catalog, Path]):
    catalog, _ = west_catalog
    resolved = Datasets().resolve(profile_from(profile_text(f"{{location: {WEST}}}"))).profile
    assert isinstance(resolved, TrainingProfile)
    moved = _by_offer(resolved, catalog)
    assert moved["aws/us-east-1/p4de.24xlarge"].cost.egress_usd == pytest.approx(0.00105 * 0.02)
    assert moved["gcp/us-central1/a2-ultragpu-8g"].cost.egress_usd == 0.0  # inside AWS's free 100 GB


def test_the_shortlist_ranks_a_resolved_profile_as_make_plan_does(aws: str, west_catalog: tuple[Catalog, Path]):
    catalog, _ = west_catalog
    datasets = Datasets()
    for data in (f"{{location: {WEST}, size_gb: 50000}}", f"{{location: {WEST}}}"):
        resolved = datasets.resolve(profile_from(profile_text(data))).profile
        options = PlanOptions(alternatives=3)
        assert_same_top(make_plan(resolved, catalog, options), Shortlister(catalog).shortlist(resolved, options).plan)


# --- the CLI ------------------------------------------------------------------------------------------------


def _no_secrets(*outputs: str) -> None:
    for out in outputs:
        assert SECRET not in out
        assert KEY_ID not in out


def test_cli_plan_measures_the_bucket_and_is_deterministic(
    aws: str, west_catalog: tuple[Catalog, Path], tmp_path: Path
):
    _, catalog_path = west_catalog
    profile = tmp_path / "finetune.yaml"
    profile.write_text(profile_text(f"{{location: {SMALL}}}"))
    args = ("plan", str(profile), "--catalog", str(catalog_path), "--format", "json")
    first, second = run_placer(*args), run_placer(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    plan = json.loads(first.stdout)
    note = f"data: {SMALL} — 1 object, 5,000 bytes, listed at plan time, in aws/us-west-2"
    assert plan["assumptions"][-1] == note
    assert (plan["chosen"]["offer"], plan["chosen"]["cost"]["egress_usd"]) == ("crusoe/us-east/a100-80gb-sxm-x8", 0.0)
    west = next(p for p in plan["alternatives"] if p["offer"] == "aws/us-west-2/p4de.24xlarge")
    assert west["cost"]["egress_usd"] == 0.0
    table = run_placer("plan", str(profile), "--catalog", str(catalog_path))
    assert table.returncode == 0, table.stderr
    assert "1 object, 5,000 bytes, listed at plan time" in table.stdout
    _no_secrets(first.stdout, first.stderr, table.stdout, table.stderr)


@pytest.mark.parametrize(
    ("data", "env", "code", "message"),
    [
        (
            "{location: s3://placer-ds-absent/x/}",
            {},
            3,
            "6:18: data.location: no such bucket 'placer-ds-absent' (for s3://placer-ds-absent/x/)",
        ),
        (
            "{location: s3://placer-ds-west/nothing/}",
            {},
            3,
            "data.location: no objects under s3://placer-ds-west/nothing/",
        ),
        ("{location: s3://Bad_Bucket/x}", {}, 3, "data.location: bucket name 'Bad_Bucket' may hold only"),
        (
            f"{{location: {WEST}}}",
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:{port}", "AWS_MAX_ATTEMPTS": "1"},
            6,
            f"placer: error: cannot measure data.location {WEST}: cannot connect to S3 at 127.0.0.1:{{port}}",
        ),
    ],
)
def test_cli_plan_failures(aws: str, tmp_path: Path, data: str, env: dict[str, str], code: int, message: str):
    port = closed_port()
    profile = tmp_path / "finetune.yaml"
    profile.write_text(profile_text(data))
    done = run_placer("plan", str(profile), env={k: v.format(port=port) for k, v in env.items()})
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("placer: error: ")
    assert message.format(port=port) in done.stderr
    assert "Traceback" not in done.stderr
    _no_secrets(done.stderr)


def test_cli_plan_without_credentials_exits_6(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    profile = tmp_path / "finetune.yaml"
    profile.write_text(profile_text(f"{{location: {WEST}}}"))
    done = run_placer("plan", str(profile))
    assert done.returncode == 6
    assert (
        done.stderr.splitlines()[0] == f"placer: error: cannot measure data.location {WEST}: no AWS credentials found"
    )


def test_cli_check_and_replan_over_a_fleet_with_an_s3_dataset(
    aws: str, west_catalog: tuple[Catalog, Path], tmp_path: Path
):
    _, catalog_path = west_catalog
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    aws_only = "constraints: {providers: [aws]}\n"  # p4de in us-east-1 or us-west-2: the data decides
    (fleet / "a.yaml").write_text(profile_text(f"{{location: {SMALL}}}", "a") + aws_only)
    (fleet / "b.yaml").write_text(profile_text(f"{{location: {WEST}, size_gb: 50000}}", "b") + aws_only)
    (fleet / "c.yaml").write_text(profile_text("{location: aws/us-east-1, size_gb: 50000}", "c") + aws_only)
    chosen = {
        "a": "aws/us-west-2/p4de.24xlarge",  # by $0.0000001 of inter-region egress on 5 kB
        "b": "aws/us-west-2/p4de.24xlarge",  # by $1,000
        "c": "aws/us-east-1/p4de.24xlarge",
    }
    check = run_placer("check", str(fleet), "--catalog", str(catalog_path), "--format", "json")
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert {r["name"]: r["chosen"]["offer"] for r in report["profiles"]} == chosen
    for jobs in ("1", "2"):
        done = run_placer("replan", str(fleet), "--catalog", str(catalog_path), "-f", "json", "-j", jobs)
        assert done.returncode == 0, done.stderr
        entries = json.loads(done.stdout)["profiles"]
        assert {e["name"]: e["chosen"]["offer"] for e in entries} == chosen
        _no_secrets(done.stdout, done.stderr)
    _no_secrets(check.stdout, check.stderr)


def test_plan_of_a_profile_without_s3_data_never_imports_boto3():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "placer", "plan", "profiles/finetune-8b.yaml", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode in (0, 4, 5), done.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert "placer.dataset" in imported  # the resolution step ran ...
    assert not [m for m in imported if m.split(".")[0] in ("boto3", "botocore")]  # ... without boto3


def test_a_server_message_is_one_line_without_credentials(monkeypatch: pytest.MonkeyPatch):
    """S3's own error text goes into the message, but never a credential it echoes, and never on two lines."""
    from botocore.exceptions import ClientError

    from placer.dataset import _failure

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SENTINELsecretKEY0123456789")
    body = {
        "Error": {
            "Code": "SlowDown",
            "Message": "retry https://bob:pw@s3.example/x\nwith SENTINELsecretKEY0123456789 later",
        },
        "ResponseMetadata": {"HTTPStatusCode": 503},
    }
    error = _failure(ClientError(body, "ListObjectsV2"), parse_location("s3://bucket/p/"), None)
    assert error.exit_code == 6
    text = str(error)
    assert "SENTINEL" not in text and "bob:pw" not in text and "\n" not in text
    assert text.endswith("S3 answered SlowDown: retry https://***@s3.example/x with *** later")
