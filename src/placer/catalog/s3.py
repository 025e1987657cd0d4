"""Sharing a pinned catalog snapshot through S3, so a team or every CI run plans on the same prices.

boto3 is imported here only. The endpoint can be pointed elsewhere (``endpoint_url``, or boto3's own
``AWS_ENDPOINT_URL_S3``), which is how the tests use moto on loopback. Calls follow the refresh policy
(``placer.providers.aws_call``: the context's timeouts, retries with backoff and ``Retry-After``). A pull is
validated before it is written, atomically: a failed or bad download leaves the local file byte-identical.
Credentials never appear in messages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from placer.atomic import write_atomic
from placer.catalog.loader import dump_catalog, parse_catalog_json
from placer.catalog.models import Catalog
from placer.errors import CatalogError, PriceSourceUnavailable, UsageError

if TYPE_CHECKING:
    from placer.providers.refresh import RefreshContext

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024


def parse_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not bucket or not key or key.endswith("/"):
        raise UsageError(f"expected s3://BUCKET/KEY, got {url!r}")
    return bucket, key


def _context(ctx: RefreshContext | None) -> RefreshContext:
    from placer.providers.refresh import RefreshContext  # noqa: PLC0415

    return ctx if ctx is not None else RefreshContext()


def _client(session: Any | None, endpoint_url: str | None, ctx: RefreshContext, action: str) -> tuple[Any, list[str]]:
    import boto3  # noqa: PLC0415 - only the commands that touch S3 pay for boto3
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    from placer.log_guard import guard_logs  # noqa: PLC0415
    from placer.providers.aws_call import client_config, frozen_secrets  # noqa: PLC0415
    from placer.redact import redact  # noqa: PLC0415

    try:
        chosen = session or boto3.Session()
        secrets = frozen_secrets(chosen)
        client = chosen.client("s3", endpoint_url=endpoint_url, config=client_config(ctx))
    except (BotoCoreError, ValueError) as exc:
        detail = redact(str(exc))
        raise PriceSourceUnavailable(f"cannot {action}: cannot set up the S3 client: {detail}") from None
    guard_logs()
    return client, secrets


def push(
    catalog: Catalog,
    url: str,
    *,
    session: Any | None = None,
    endpoint_url: str | None = None,
    ctx: RefreshContext | None = None,
) -> int:
    """Upload the catalog snapshot; returns its size in bytes."""
    from placer.providers.aws_call import CallFailed, call  # noqa: PLC0415

    bucket, key = parse_s3_url(url)
    body = dump_catalog(catalog).encode("utf-8")
    context = _context(ctx)
    client, secrets = _client(session, endpoint_url, context, f"push to {url}")
    metadata = {"placer-schema": str(catalog.schema_version), "placer-as-of": catalog.as_of}
    try:
        call(
            context,
            lambda: client.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType="application/json", Metadata=metadata
            ),
            secrets,
        )
    except CallFailed as exc:
        raise PriceSourceUnavailable(exc.describe(f"push to {url}")) from None
    return len(body)


def _kept(dest: Path) -> str:
    return f"{dest} left unchanged" if dest.exists() else f"nothing written to {dest}"


def pull(
    url: str,
    dest: Path,
    *,
    session: Any | None = None,
    endpoint_url: str | None = None,
    ctx: RefreshContext | None = None,
) -> Catalog:
    """Download a snapshot, validate it, then write it atomically: a bad download never replaces a good file.

    The source failing (no such bucket or key, access denied, timeouts, 5xx after retries...) is
    PriceSourceUnavailable (exit 6); an object that is not a valid catalog is CatalogError (exit 3).
    """
    from placer.providers.aws_call import CallFailed, CutShort, NotRetried, call  # noqa: PLC0415

    bucket, key = parse_s3_url(url)
    context = _context(ctx)
    client, secrets = _client(session, endpoint_url, context, f"pull {url}")

    def fetch() -> bytes:
        response = client.get_object(Bucket=bucket, Key=key)
        announced = int(response.get("ContentLength") or 0)
        if announced > MAX_SNAPSHOT_BYTES:
            response["Body"].close()
            raise NotRetried(f"larger than {MAX_SNAPSHOT_BYTES:,} bytes")
        raw: bytes = response["Body"].read(MAX_SNAPSHOT_BYTES + 1)
        if len(raw) > MAX_SNAPSHOT_BYTES:
            raise NotRetried(f"larger than {MAX_SNAPSHOT_BYTES:,} bytes")
        if announced and len(raw) != announced:  # botocore does not check a sized read
            raise CutShort(f"received {len(raw):,} of {announced:,} bytes")
        return raw

    try:
        raw = call(context, fetch, secrets)
    except CallFailed as exc:
        raise PriceSourceUnavailable(f"{exc.describe(f'pull {url}')}; {_kept(dest)}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{url}: not UTF-8 JSON; {_kept(dest)}") from None
    try:
        catalog = parse_catalog_json(text, url)
    except CatalogError as exc:
        # The object's own line is not echoed: it is remote text, and may hold terminal escapes.
        where = replace(exc.location, source_line=None) if exc.location is not None else None
        raise CatalogError(f"{exc.message}; {_kept(dest)}", location=where, hint=exc.hint) from None
    write_atomic(dest, text)
    return catalog
