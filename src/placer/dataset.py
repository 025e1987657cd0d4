"""Data gravity for datasets in S3: how big ``s3://bucket/prefix`` is and which AWS region holds it.

``Datasets.resolve`` turns ``data: {location: s3://bucket/prefix}`` into what the planner prices
(``size_gb`` and ``aws/<region>``), so every candidate is charged that region's egress tier and copy time:

- no ``size_gb``: every object under the prefix is listed (``list_objects_v2``, all pages) and the sizes
  summed; the bucket's region comes from ``get_bucket_location``;
- ``size_gb`` given: it wins and nothing is listed; only the bucket's region is looked up (one request).
  To plan with no network at all, write ``location: aws/<region>`` as before.

The prefix is matched as text, as ``aws s3 ls --recursive`` does (``s3://b/train`` also covers
``train-old/``; end it with ``/`` for one folder). A prefix with nothing under it is an error, not 0 GB: it
is almost always a typo, and 0 GB would silently drop every egress charge. GB are 10^9 bytes, the unit of
the catalog's egress prices. Plans stay deterministic: the assumption names URL, objects, size and region
and says "listed at plan time", never a clock. Within a run each URL is listed once (a fleet planned in
forked workers is measured in the parent first, ``prefetch``).

Exit codes (the documented ones only): 3, invalid input, when the profile must change: a malformed URL, a
bucket that does not exist, a prefix with nothing under it. 6, a source the plan needs is unavailable, when
the profile is fine but this machine cannot read the bucket now: no credentials, access denied, S3
unreachable, timing out or failing. As with unreachable live prices, the same profile plans elsewhere, later,
or with ``size_gb`` and ``aws/<region>`` written in.

boto3 is imported only when an ``s3://`` location is resolved. The endpoint follows boto3's own settings
(``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``), which is how the tests reach moto on loopback. Messages
name the URL and the profile field, never a credential.
"""

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from placer.errors import PlacerError, PriceSourceUnavailable, ProfileError
from placer.planner import PlanOptions, make_plan
from placer.profile import AnyProfile, read_profile
from placer.s3_location import S3Location, aws_region, is_s3, parse_location

if TYPE_CHECKING:
    from placer.catalog.models import Catalog
    from placer.plan import Plan

FIELD = "data.location"
PATH: tuple[str | int, ...] = ("data", "location")
BYTES_PER_GB = 1e9  # the catalog's egress prices are per decimal GB
T = TypeVar("T")
_DENIED = {
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AccountProblem",
}


class DatasetUnavailable(PriceSourceUnavailable):
    """An s3:// dataset cannot be read from here, now (exit 6, as for prices): the profile itself is fine."""


# --- measuring -------------------------------------------------------------------------------------------


class DatasetSize(NamedTuple):
    """What is stored under an S3 prefix, and where."""

    bucket: str
    prefix: str
    region: str  # AWS region name, e.g. us-west-2
    objects: int
    bytes: int

    @property
    def url(self) -> str:
        return S3Location(self.bucket, self.prefix).url

    @property
    def size_gb(self) -> float:
        return self.bytes / BYTES_PER_GB

    @property
    def catalog_region(self) -> str:
        return f"aws/{self.region}"

    @property
    def note(self) -> str:
        objects = f"{self.objects:,} object{'' if self.objects == 1 else 's'}"
        return f"data: {self.url} — {objects}, {gb(self.size_gb)}, listed at plan time, in {self.catalog_region}"


def gb(size: float) -> str:
    """A size in GB as a person reads it: 512.3 GB, 0.00105 GB; bytes below a megabyte."""
    if size >= 1:
        return f"{size:,.1f} GB"
    if size >= 1e-3:
        return f"{size:.3g} GB"
    return f"{size * BYTES_PER_GB:,.0f} bytes"


def s3_client() -> Any:
    """An S3 client from boto3's default chain (credentials, region, ``AWS_ENDPOINT_URL[_S3]``)."""
    import boto3  # noqa: PLC0415 - only a profile with an s3:// location pays for boto3
    from botocore.config import Config  # noqa: PLC0415

    # standard retries (3 attempts unless AWS_MAX_ATTEMPTS says otherwise), and no minute-long hang
    config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard"})
    return boto3.session.Session().client("s3", config=config)


def _endpoint(client: Any) -> str:
    """Where the client sends requests, without any user:password a URL might carry."""
    url = str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "")
    parts = urlsplit(url)
    host = parts.hostname or "S3"
    return f"{host}:{parts.port}" if parts.port else host


def _failure(exc: Exception, where: S3Location, client: Any) -> PlacerError:
    """A boto3 failure as a placer error naming the URL and the field; see the module docstring for codes."""
    from botocore.exceptions import (  # noqa: PLC0415
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    from placer.redact import one_line, redact  # noqa: PLC0415 - only a failure needs it

    what = f"cannot measure {FIELD} {where.url}"
    offline = f"or give data.size_gb and location: aws/<region> to plan without reading {where.url}"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return DatasetUnavailable(
            f"{what}: no AWS credentials found",
            hint=f"set AWS_PROFILE or the AWS_* credential variables, {offline}",
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket" or (status == 404 and not code):
            return ProfileError(
                f"no such bucket {where.bucket!r} (for {where.url})",
                path=PATH,
                hint="check the bucket name; S3 bucket names are global and lowercase",
            )
        if code in _DENIED or status == 403:
            return DatasetUnavailable(
                f"{what}: access denied ({code or status})",
                hint=f"measuring needs s3:ListBucket and s3:GetBucketLocation on {where.bucket}; {offline}",
            )
        # the server's words, as one line without credentials (an endpoint may echo a signed URL or a key id)
        message = one_line(redact(str(error.get("Message") or "")), 300)
        return DatasetUnavailable(f"{what}: S3 answered {code or status}" + (f": {message}" if message else ""))
    network = f"check the network and the S3 endpoint (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), {offline}"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return DatasetUnavailable(f"{what}: S3 at {_endpoint(client)} timed out", hint=network)
    if isinstance(exc, EndpointConnectionError):
        return DatasetUnavailable(f"{what}: cannot connect to S3 at {_endpoint(client)}", hint=network)
    return DatasetUnavailable(f"{what}: {type(exc).__name__}", hint=network)


def _call(where: S3Location, client: Any, action: Any) -> Any:
    try:
        return action()
    except PlacerError:
        raise
    except Exception as exc:  # every botocore failure becomes a typed error; never a traceback
        raise _failure(exc, where, client) from None


def bucket_region(where: S3Location, client: Any) -> str:
    response = _call(where, client, lambda: client.get_bucket_location(Bucket=where.bucket))
    return aws_region(response.get("LocationConstraint"))


def _list(where: S3Location, client: Any) -> tuple[int, int]:
    objects = size = 0
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=where.prefix)
    for page in pages:
        for item in page.get("Contents", ()):
            objects += 1
            size += int(item.get("Size") or 0)
    return objects, size


def sized(where: S3Location, region: str, client: Any) -> DatasetSize:
    """Every object under the prefix, counted and summed; a prefix holding nothing is an error (exit 3)."""
    objects, size = _call(where, client, lambda: _list(where, client))
    if objects == 0:
        inside = f"bucket {where.bucket!r}" if not where.prefix else f"prefix {where.prefix!r}"
        raise ProfileError(
            f"no objects under {where.url}",
            path=PATH,
            hint=f"the {inside} holds nothing (prefixes are case-sensitive); fix the URL, or give data.size_gb",
        )
    return DatasetSize(where.bucket, where.prefix, region, objects, size)


def measure(url: str, client: Any | None = None) -> DatasetSize:
    """List every object under ``url`` and sum their sizes; find the bucket's region.

    ``client`` is an S3 client (boto3's ``client("s3")`` or one made for a test); by default one is made
    from boto3's own configuration.
    """
    try:
        where = parse_location(url)
    except ValueError as exc:
        raise ProfileError(str(exc), path=PATH) from None
    client = client if client is not None else s3_client()
    return sized(where, bucket_region(where, client), client)


# --- resolving profiles ----------------------------------------------------------------------------------


class Resolved:
    """A profile as the planner takes it (size and catalog region filled), and where the figures came from."""

    __slots__ = ("note", "profile")

    def __init__(self, profile: AnyProfile, note: str | None = None) -> None:
        self.profile = profile
        self.note = note

    def annotate(self, plan: "Plan") -> "Plan":
        """The plan with the data's provenance among its assumptions."""
        if self.note is None:
            return plan
        return plan.model_copy(update={"assumptions": [*plan.assumptions, self.note]})


class Datasets:
    """The s3:// datasets of one run: each URL listed once, each bucket located once, failures remembered.

    Not thread-safe; a fleet planned in forked workers calls ``prefetch`` in the parent first.
    """

    def __init__(self, client: Any | None = None) -> None:
        self._client = client
        self._sizes: dict[S3Location, DatasetSize | PlacerError] = {}
        self._regions: dict[str, str | PlacerError] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def measure(self, where: S3Location) -> DatasetSize:
        if where not in self._sizes:
            try:
                self._sizes[where] = sized(where, self.region(where), self.client)
            except PlacerError as exc:
                self._sizes[where] = exc
        return self._fresh(self._sizes[where])

    def region(self, where: S3Location) -> str:
        if where.bucket not in self._regions:
            try:
                self._regions[where.bucket] = bucket_region(where, self.client)
            except PlacerError as exc:
                self._regions[where.bucket] = exc
        return self._fresh(self._regions[where.bucket])

    @staticmethod
    def _fresh(found: T | PlacerError) -> T:
        if isinstance(found, PlacerError):
            # a copy: callers point an error at their own profile's line, and must not move another's
            raise copy.copy(found)
        return found

    def resolve(self, profile: AnyProfile) -> Resolved:
        """The profile with an s3:// location replaced by its size and ``aws/<region>``; others unchanged."""
        data = profile.data
        if data is None or not is_s3(data.location):
            return Resolved(profile)
        try:
            where = parse_location(data.location)
        except ValueError as exc:  # a profile built without validation
            raise ProfileError(str(exc), path=PATH) from None
        if data.size_gb is None:
            found = self.measure(where)
            size, region, note = found.size_gb, found.region, found.note
        else:
            size, region = data.size_gb, self.region(where)
            note = f"data: {where.url} — {gb(size)} from the profile (not listed), in aws/{region}"
        filled = data.model_copy(update={"size_gb": size, "location": f"aws/{region}"})
        return Resolved(profile.model_copy(update={"data": filled}), note)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Measure every dataset the profiles at ``paths`` name, before a fleet forks its workers.

        Only files that mention ``s3://`` are parsed. A profile that cannot be read, or a dataset that
        cannot be measured, is left for the worker planning it to report (a failure is remembered too).
        """

        for path in paths:
            try:
                with open(path, "rb") as handle:
                    if b"s3://" not in handle.read().lower():
                        continue
                self.resolve(read_profile(path).profile)
            except (OSError, PlacerError):
                continue


def plan_profile(
    profile: AnyProfile,
    catalog: "Catalog",
    options: PlanOptions | None = None,
    *,
    file: str | None = None,
    datasets: Datasets | None = None,
) -> "Plan":
    """``make_plan`` for a profile whose data may sit at an s3:// URL: resolve it, plan, say where it came from."""

    resolved = (datasets or Datasets()).resolve(profile)
    return resolved.annotate(make_plan(resolved.profile, catalog, options, file=file))
