"""``placer catalog snapshot|push|pull``: pin the effective catalog to a file or share it through S3."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import CatalogOption, PluginsOption, TracebackOption

EndpointFlag = Annotated[
    str | None, typer.Option(help="S3 endpoint URL (default: AWS, or $AWS_ENDPOINT_URL_S3).", show_default=False)
]
TimeoutFlag = Annotated[float, typer.Option(min=0.1, help="Seconds per request.")]
RetriesFlag = Annotated[int, typer.Option(min=0, max=10, help="Retries per request (backing off).")]


def snapshot(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the snapshot (JSON).")],
    catalog: CatalogOption = None,
    plugins: PluginsOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Write the effective catalog (embedded + plugins + live prices + your catalogs) as one pinned JSON file."""
    from placer.atomic import write_atomic
    from placer.catalog.loader import dump_catalog
    from placer.cli.sources import effective_catalog

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        effective, _, _ = effective_catalog(catalog, plugins, None)
        write_atomic(output, dump_catalog(effective))
        print(f"wrote {len(effective.offers)} offers (as of {effective.as_of}) to {output}", file=sys.stderr)


def push(
    snapshot_file: Annotated[Path, typer.Argument(help="A catalog snapshot (JSON) to upload.", show_default=False)],
    url: Annotated[str, typer.Argument(help="s3://BUCKET/KEY", show_default=False)],
    endpoint_url: EndpointFlag = None,
    timeout: TimeoutFlag = 20.0,
    retries: RetriesFlag = 4,
    show_traceback: TracebackOption = False,
) -> None:
    """Upload a catalog snapshot to S3 so a team or CI plans on the same prices."""
    from placer.catalog import s3
    from placer.catalog.loader import load_catalog
    from placer.providers.refresh import RefreshContext

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        ctx = RefreshContext(timeout_s=timeout, max_retries=retries)
        size = s3.push(load_catalog(snapshot_file), url, endpoint_url=endpoint_url, ctx=ctx)
        print(f"pushed {snapshot_file} ({size:,} bytes) to {url}", file=sys.stderr)


def pull(
    url: Annotated[str, typer.Argument(help="s3://BUCKET/KEY", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the snapshot.")],
    endpoint_url: EndpointFlag = None,
    timeout: TimeoutFlag = 20.0,
    retries: RetriesFlag = 4,
    show_traceback: TracebackOption = False,
) -> None:
    """Download a pinned catalog snapshot from S3 (validated before it replaces the local file)."""
    from placer.catalog import s3
    from placer.providers.refresh import RefreshContext

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        ctx = RefreshContext(timeout_s=timeout, max_retries=retries)
        pulled = s3.pull(url, output, endpoint_url=endpoint_url, ctx=ctx)
        print(f"pulled {len(pulled.offers)} offers (as of {pulled.as_of}) to {output}", file=sys.stderr)
