"""Sharing a pinned catalog snapshot through S3, so a team or every CI run plans on the same prices.

boto3 is imported here only. The endpoint can be pointed elsewhere (``endpoint_url``, or boto3's own
``AWS_ENDPOINT_URL_S3``), which is how the tests use moto on loopback. Credentials never appear in messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from placer.atomic import write_atomic
from placer.catalog.loader import dump_catalog, parse_catalog_json
from placer.catalog.models import Catalog
from placer.errors import PriceSourceUnavailable, UsageError

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not bucket or not key or key.endswith("/"):
        raise UsageError(f"expected s3://BUCKET/KEY, got {url!r}")
    return bucket, key


def _client(session: Any | None, endpoint_url: str | None) -> Any:
    import boto3  # noqa: PLC0415 - only the commands that touch S3 pay for boto3

    return (session or boto3.Session()).client("s3", endpoint_url=endpoint_url)


def _failure(action: str, url: str, exc: Exception) -> PriceSourceUnavailable:
    from botocore.exceptions import ClientError, NoCredentialsError  # noqa: PLC0415

    if isinstance(exc, NoCredentialsError):
        why = "no AWS credentials found"
    elif isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        why = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    else:
        why = type(exc).__name__ + (f": {exc}" if "://" not in str(exc) or "@" not in str(exc) else "")
    return PriceSourceUnavailable(f"cannot {action} {url}: {why}")


def push(catalog: Catalog, url: str, *, session: Any | None = None, endpoint_url: str | None = None) -> int:
    """Upload the catalog snapshot; returns its size in bytes."""
    bucket, key = parse_s3_url(url)
    body = dump_catalog(catalog).encode("utf-8")
    try:
        _client(session, endpoint_url).put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            Metadata={"placer-schema": str(catalog.schema_version), "placer-as-of": catalog.as_of},
        )
    except Exception as exc:
        raise _failure("push to", url, exc) from None
    return len(body)


def pull(url: str, dest: Path, *, session: Any | None = None, endpoint_url: str | None = None) -> Catalog:
    """Download a snapshot, validate it, then write it atomically: a bad download never replaces a good file."""
    bucket, key = parse_s3_url(url)
    try:
        response = _client(session, endpoint_url).get_object(Bucket=bucket, Key=key)
        if int(response.get("ContentLength") or 0) > MAX_SNAPSHOT_BYTES:
            raise PriceSourceUnavailable(f"cannot pull {url}: larger than {MAX_SNAPSHOT_BYTES:,} bytes")
        raw = response["Body"].read(MAX_SNAPSHOT_BYTES + 1)
    except PriceSourceUnavailable:
        raise
    except Exception as exc:
        raise _failure("pull", url, exc) from None
    if len(raw) > MAX_SNAPSHOT_BYTES:
        raise PriceSourceUnavailable(f"cannot pull {url}: larger than {MAX_SNAPSHOT_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PriceSourceUnavailable(f"cannot pull {url}: not UTF-8 JSON") from None
    catalog = parse_catalog_json(text, url)  # raises CatalogError (exit 3) with the field
    write_atomic(dest, text)
    return catalog
