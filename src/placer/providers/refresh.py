"""Live price refresh: the context a provider's refresh gets, its errors, and the orchestration that keeps
the last good cache when a refresh fails.

A provider's ``refresh(ctx)`` returns offers or raises :class:`RefreshFailed`. :func:`refresh_providers` runs
several, writes each success to the price cache atomically, and leaves a failed provider's previous cache file
byte-identical. It raises nothing for a failed provider: the :class:`RefreshReport` says what happened, and the
caller decides the exit code (6 only when a provider failed *and* has no usable cache).
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from placer.catalog.cache import CachedPrices, CorruptCache, read_cache, write_cache
from placer.catalog.models import ApiOffer, GpuOffer, MacOffer, Offer
from placer.errors import PlacerError, PriceSourceUnavailable, UsageError

if TYPE_CHECKING:
    from placer.providers.registry import Provider, Registry

Progress = Callable[[str, int, int | None], None]  # (provider, pages or items done, total if known)


class RefreshFailed(PriceSourceUnavailable):
    """One provider's refresh failed (timeout, 5xx, 429 after retries, malformed page): exit 6 if no cache."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RefreshContext:
    """Everything a refresh may touch, injected so tests can point it at loopback servers.

    ``endpoint_url`` overrides the provider's public endpoint (``endpoints`` per provider name wins over it);
    ``http_client`` (an httpx.Client) and ``boto3_session`` are created lazily by the provider when not given;
    ``sleep`` is time.sleep and ``now`` the UTC clock except in tests. A refresh counts the source items it
    refuses (zero prices, unknown SKUs...) with :meth:`skip`; the runner gives each provider its own count.
    """

    endpoint_url: str | None = None
    timeout_s: float = 20.0
    max_retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    progress: Progress | None = None
    http_client: Any = None
    boto3_session: Any = None
    sleep: Callable[[float], None] = time.sleep
    regions: list[str] = field(default_factory=list)  # limit to these provider regions (empty = provider default)
    endpoints: dict[str, str] = field(default_factory=dict)  # provider name -> endpoint URL override
    now: Callable[[], datetime] = utc_now
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count, filled by the provider's refresh

    def endpoint_for(self, provider: str) -> str | None:
        return self.endpoints.get(provider) or self.endpoint_url

    def skip(self, reason: str, count: int = 1) -> None:
        """Record source items that were refused (never used), by reason."""
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def report_progress(self, provider: str, done: int, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress(provider, done, total)

    def today(self) -> str:
        """The as-of date (UTC, YYYY-MM-DD) for prices fetched now."""
        return self.now().astimezone(timezone.utc).date().isoformat()

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): backoff_s doubling, capped at max_backoff_s."""
        return min(self.backoff_s * 2.0 ** (attempt - 1), self.max_backoff_s)


def usable_usd(value: object) -> float | None:
    """A price the source gave as a number or numeric string, if it is finite and positive; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) and number > 0 else None


# --- orchestration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRefresh:
    """What happened to one provider in one refresh run."""

    provider: str
    ok: bool
    offers_written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    message: str = ""
    cache_path: Path | None = None
    fetched_at: str | None = None  # of the cache written now (ok) or of the older cache kept (failed)
    cache_kept: bool = False  # failed, and an older usable cache remains

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def unavailable(self) -> bool:
        """Failed with no usable cache to fall back on: the CLI exits 6 for this."""
        return not self.ok and not self.cache_kept


@dataclass(frozen=True)
class RefreshReport:
    results: list[ProviderRefresh]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[ProviderRefresh]:
        return [r for r in self.results if not r.ok]

    @property
    def unavailable(self) -> list[ProviderRefresh]:
        return [r for r in self.results if r.unavailable]

    def get(self, provider: str) -> ProviderRefresh | None:
        return next((r for r in self.results if r.provider == provider), None)


def _select(registry: Registry, names: list[str] | None) -> list[Provider]:
    refreshable = [p for p in registry.all() if p.refresh is not None]
    if names is None:
        return refreshable
    chosen: list[Provider] = []
    for name in dict.fromkeys(names):
        provider = registry.get(name)
        if provider is None:
            known = [p.name for p in refreshable]
            guess = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            raise UsageError(
                f"unknown price provider {name!r}",
                hint=f"{hint}providers with a live refresh: {', '.join(known) or 'none loaded (see --plugins)'}",
            )
        if provider.refresh is None:
            raise UsageError(f"provider {name!r} has no live price refresh")
        chosen.append(provider)
    return chosen


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_offers(name: str, offers: object) -> list[Offer]:
    if not isinstance(offers, list):
        raise RefreshFailed(f"{name}: refresh returned {type(offers).__name__}, not a list of offers")
    seen: set[str] = set()
    for offer in offers:
        if not isinstance(offer, GpuOffer | MacOffer | ApiOffer):
            raise RefreshFailed(f"{name}: refresh returned {type(offer).__name__}, not an offer")
        if offer.provider != name:
            raise RefreshFailed(f"{name}: refresh returned offer {offer.id!r} of provider {offer.provider!r}")
        if offer.id in seen:
            raise RefreshFailed(f"{name}: refresh returned offer {offer.id!r} twice")
        seen.add(offer.id)
    if not offers:
        raise RefreshFailed(f"{name}: the price source returned no usable offers")
    return offers


def _sources(offers: list[Offer]) -> str:
    found: set[str] = set()
    for offer in offers:
        if isinstance(offer, GpuOffer):
            found.update(p.source for p in offer.prices.values())
        elif isinstance(offer, ApiOffer):
            found.update((offer.input_usd_per_mtok.source, offer.output_usd_per_mtok.source))
        else:
            found.update(plan.price.source for plan in offer.plans)
    return ", ".join(sorted(found))


def _previous(name: str, directory: Path | None) -> tuple[str | None, str]:
    """(fetched_at of the usable older cache or None, a sentence about it)."""
    try:
        older = read_cache(name, directory)
    except CorruptCache as exc:
        return None, f"the cached prices cannot be used ({exc})"
    if older is None:
        return None, "no cached prices to fall back on"
    return older.fetched_at, f"keeping the cached prices fetched at {older.fetched_at}"


class _Failed(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _fetch_and_cache(
    provider: Provider, ctx: RefreshContext, clock: Callable[[], datetime], cache_directory: Path | None
) -> tuple[list[Offer], str, Path]:
    """Fetch one provider's offers and cache them; _Failed says why not (the fetch, or writing the cache)."""
    assert provider.refresh is not None  # _select keeps only providers with a refresh
    try:
        offers = _check_offers(provider.name, provider.refresh(ctx))
    except RefreshFailed as exc:
        raise _Failed(exc.message) from None
    except Exception as exc:  # a failing provider (or plugin bug) must not stop the others
        raise _Failed(f"{provider.name}: refresh failed: {type(exc).__name__}: {exc}") from None
    fetched_at = _iso(clock())
    entry = CachedPrices(provider=provider.name, fetched_at=fetched_at, source=_sources(offers), offers=offers)
    try:
        path = write_cache(entry, cache_directory)
    except (OSError, PlacerError) as exc:
        raise _Failed(f"{provider.name}: could not write the price cache: {exc}") from None
    return offers, fetched_at, path


def refresh_providers(
    registry: Registry,
    names: list[str] | None,
    ctx: RefreshContext,
    cache_directory: Path | None = None,
    now: Callable[[], datetime] | None = None,
) -> RefreshReport:
    """Refresh each named provider (all with a refresh when ``names`` is None) into the price cache.

    An unknown name is a UsageError (with "did you mean"), raised before anything is fetched. A provider that
    fails is recorded and its previous cache file is left untouched; the others still run.
    """
    providers = _select(registry, names)
    clock = now or ctx.now
    results: list[ProviderRefresh] = []
    for provider in providers:
        own = replace(ctx, now=clock, skipped={})
        try:
            offers, fetched_at, path = _fetch_and_cache(provider, own, clock, cache_directory)
        except _Failed as failed:
            from placer.redact import one_line, redact  # noqa: PLC0415 - only a failure needs it

            problem = failed.problem
            kept_at, about_cache = _previous(provider.name, cache_directory)
            results.append(
                ProviderRefresh(
                    provider=provider.name,
                    ok=False,
                    skipped=dict(own.skipped),
                    message=f"{one_line(redact(problem))}; {about_cache}",
                    fetched_at=kept_at,
                    cache_kept=kept_at is not None,
                )
            )
            continue
        skipped = dict(own.skipped)
        note = f", {sum(skipped.values())} source items skipped" if skipped else ""
        results.append(
            ProviderRefresh(
                provider=provider.name,
                ok=True,
                offers_written=len(offers),
                skipped=skipped,
                message=f"{provider.name}: {len(offers)} offers cached{note}",
                cache_path=path,
                fetched_at=fetched_at,
            )
        )
    return RefreshReport(results)


def safe_url(url: str) -> str:
    """The URL for messages: scheme, host, port and path; no user info, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
