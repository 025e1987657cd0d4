"""``placer catalog refresh [PROVIDER…]``: fetch live prices into the cache; a failure keeps the last good cache."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from placer.cli.handler import errors_to_exit_codes, want_traceback
from placer.cli.options import PluginsOption, TracebackOption
from placer.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from placer.providers.refresh import ProviderRefresh


def _endpoints(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, url = value.partition("=")
        if not sep or not name or not url:
            raise UsageError(f"--endpoint takes PROVIDER=URL, got {value!r}")
        out[name] = url
    return out


def _line(result: ProviderRefresh) -> str:
    """One stderr line per provider: what was cached, or what failed and which cache (if any) is kept."""
    skipped = f", {result.skipped_total} items skipped" if result.skipped_total else ""
    if result.ok:
        return f"{result.provider}: {result.offers_written} offers cached{skipped}"
    detail = result.message.removeprefix(f"{result.provider}: ").removeprefix("refresh failed: ")
    level = "error" if result.unavailable else "warning"
    return f"placer: {level}: {result.provider}: refresh failed: {detail}"


def refresh(
    providers: Annotated[
        list[str] | None, typer.Argument(help="Providers to refresh (default: every one with live prices).")
    ] = None,
    endpoint: Annotated[
        list[str] | None, typer.Option(help="PROVIDER=URL: fetch from another endpoint (mirrors, tests); repeatable.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 20.0,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Retries per request (backing off).")] = 4,
    plugins: PluginsOption = None,
    show_traceback: TracebackOption = False,
) -> None:
    """Fetch live list prices into the cache (AWS Pricing API, Azure Retail Prices, Lambda, plugins)."""
    from placer.cli.sources import plugin_choice
    from placer.providers.refresh import RefreshContext, refresh_providers
    from placer.providers.registry import load_plugins
    from placer.redact import redact
    from placer.render.progress import fetch_progress, wants_progress

    with errors_to_exit_codes(want_traceback(show_traceback), []):
        registry = load_plugins(
            plugin_choice(plugins), lambda m: print(f"placer: warning: {redact(m)}", file=sys.stderr)
        )
        with fetch_progress(wants_progress()) as progress:
            ctx = RefreshContext(
                timeout_s=timeout, max_retries=retries, endpoints=_endpoints(endpoint), progress=progress
            )
            report = refresh_providers(registry, providers or None, ctx)
        for result in report.results:
            print(redact(_line(result)), file=sys.stderr)
    if report.unavailable:
        raise typer.Exit(int(ExitCode.PRICES_UNAVAILABLE))
