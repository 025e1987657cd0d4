"""The catalog a plan actually uses: a base (embedded, or a pinned JSON snapshot), plus offers from provider
plugins, plus live prices cached by ``placer catalog refresh``, plus the user's own catalogs, in that order.

A pinned snapshot stays pinned: it already holds what plugins and live prices gave when it was taken, so
neither is layered on it again (two machines planning on one snapshot see the same prices); only the user
catalogs named explicitly still apply.

Every layer is reported as a source (name, as-of, offer count), so a plan can say where its prices came from
and warn when they are old. Reading caches and plugins is I/O, so it lives here, not in the planner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from placer.catalog.cache import CachedPrices, CorruptCache, read_cache
from placer.catalog.loader import load_catalog
from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer, Offer
from placer.errors import CatalogError
from placer.providers.registry import Registry, load_plugins
from placer.yamldoc import clip

SourceKind = Literal["embedded", "snapshot", "plugin", "live", "user"]
MAX_AGE_ENV = "PLACER_MAX_PRICE_AGE_DAYS"
DEFAULT_MAX_AGE_DAYS = 90


@dataclass(frozen=True)
class CatalogSource:
    name: str
    kind: SourceKind
    as_of: str
    offers: int


@dataclass
class AssembledCatalog:
    catalog: Catalog
    sources: list[CatalogSource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _merge_offer(old: Offer, new: Offer) -> Offer:
    """Fresh prices over known offers: a live source updates what it prices and keeps the rest."""
    if isinstance(old, GpuOffer) and isinstance(new, GpuOffer):
        return old.model_copy(update={"prices": {**old.prices, **new.prices}})
    if isinstance(old, MacOffer) and isinstance(new, MacOffer):
        fresh = {p.unit for p in new.plans}
        return old.model_copy(update={"plans": [*new.plans, *(p for p in old.plans if p.unit not in fresh)]})
    if isinstance(old, ApiOffer) and isinstance(new, ApiOffer):
        return new
    return new


def apply_cached_prices(base: Catalog, cached: CachedPrices) -> tuple[Catalog, int, int]:
    """(catalog, offers updated or added, offers skipped for unknown hardware or region)."""
    offers = {o.id: o for o in base.offers}
    used = skipped = 0
    for offer in cached.offers:
        hardware = offer.accelerator if isinstance(offer, GpuOffer) else getattr(offer, "chip", None)
        if (hardware is not None and hardware not in base.hardware) or (
            f"{offer.provider}/{offer.region}" not in base.regions
        ):
            skipped += 1
            continue
        offers[offer.id] = _merge_offer(offers[offer.id], offer) if offer.id in offers else offer
        used += 1
    return base.model_copy(update={"offers": list(offers.values())}), used, skipped


def _add_plugin_offers(
    base: Catalog, registry: Registry, note: Callable[[str], None]
) -> tuple[Catalog, list[CatalogSource]]:
    """Each plugin's offers join on their own: one that does not validate is dropped with a warning naming it."""
    sources: list[CatalogSource] = []
    catalog = base
    for provider in registry.all():
        if not (provider.offers or provider.hardware or provider.regions):
            continue
        try:
            # The catalog so far is valid: its parts go in as the model instances they are (pydantic takes them
            # as they are), and only the plugin's offers are validated afresh from their data, together with
            # the whole catalog's checks (duplicate ids, unknown hardware and regions).
            catalog = Catalog.model_validate(
                {
                    **{name: getattr(catalog, name) for name in Catalog.model_fields},
                    "offers": [*catalog.offers, *(o.model_dump() for o in provider.offers)],
                    "hardware": {**catalog.hardware, **provider.hardware},
                    "regions": {**catalog.regions, **provider.regions},
                }
            )
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            why = str(first["msg"]).removeprefix("Value error, ")
            note(f"plugin {provider.name!r} from package {provider.package} was skipped: invalid offer: {why}")
            continue
        as_of = median_price_date(provider.offers) or base.as_of
        sources.append(
            CatalogSource(f"plugin {provider.name} ({provider.package})", "plugin", as_of, len(provider.offers))
        )
    return catalog, sources


def median_price_date(offers: Sequence[Offer]) -> str | None:
    """A layer is as old as its prices, not its build date: the median of its dated prices."""
    dated = sorted(d for d in (_offer_as_of(o) for o in offers) if d != "unknown")
    return dated[len(dated) // 2] if dated else None


def _offer_as_of(offer: Offer) -> str:
    if isinstance(offer, GpuOffer):
        return max(p.as_of for p in offer.prices.values())
    if isinstance(offer, MacOffer):
        return max(p.price.as_of for p in offer.plans)
    return offer.input_usd_per_mtok.as_of


def assemble_catalog(
    files: Sequence[str | Path] = (),
    *,
    plugins: set[str] | None = None,
    use_cache: bool = True,
    cache_directory: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> AssembledCatalog:
    """Build the effective catalog. ``files``: a ``.json`` snapshot replaces the embedded base; YAML/CSV user
    catalogs layer on top in the order given."""
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        if warn is not None:
            warn(message)

    paths = list(files)  # as written: Path() would collapse the "//" of a URL, hiding its credentials from redaction
    snapshots = [p for p in paths if Path(p).suffix.lower() == ".json"]
    if len(snapshots) > 1:
        raise CatalogError(f"only one catalog snapshot (.json) can be the base; got {len(snapshots)}")
    if snapshots:
        from placer.catalog.files import load_catalog_file  # noqa: PLC0415 - located JSON errors

        base = load_catalog_file(snapshots[0])
    else:
        base = load_catalog()
    sources = [
        CatalogSource(
            str(snapshots[0]) if snapshots else "embedded catalog",
            "snapshot" if snapshots else "embedded",
            median_price_date(base.offers) or base.as_of,
            len(base.offers),
        )
    ]
    if snapshots:
        plugins, use_cache = set(), False  # pinned: see the module docstring
    registry = load_plugins(plugins, note)
    catalog, plugin_sources = _add_plugin_offers(base, registry, note)
    sources += plugin_sources

    if use_cache:
        for provider in registry.all():
            if provider.refresh is None:
                continue
            try:
                cached = read_cache(provider.name, cache_directory)
            except CorruptCache as exc:
                note(f"ignoring the {provider.name} price cache: {exc}")
                continue
            if cached is None:
                continue
            catalog, used, skipped = apply_cached_prices(catalog, cached)
            sources.append(CatalogSource(f"live {provider.name} prices", "live", cached.fetched_at[:10], used))
            if skipped:
                note(f"{skipped} cached {provider.name} offers skipped: unknown hardware or region")

    user_files = [p for p in paths if Path(p).suffix.lower() != ".json"]
    if user_files:
        from placer.catalog.layering import apply_user_catalog  # noqa: PLC0415 - only when used
        from placer.catalog.user import load_user_catalog  # noqa: PLC0415

        for path in user_files:
            user = load_user_catalog(path)
            before = {o.id: o for o in catalog.offers}
            catalog = apply_user_catalog(catalog, user)
            changed = sum(1 for o in catalog.offers if before.get(o.id) != o)
            sources.append(CatalogSource(str(path), "user", user.as_of or catalog.as_of, changed))
    return AssembledCatalog(catalog, sources, warnings)


def max_age_days(flag: int | None = None) -> int:
    if flag is not None:
        return flag
    raw = os.environ.get(MAX_AGE_ENV)
    if not raw:
        return DEFAULT_MAX_AGE_DAYS
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 6):  # 0 to 999,999 days; a sign is an error
        raise CatalogError(f"{MAX_AGE_ENV} must be a whole number of days from 0, got {clip(raw)!r}")
    return int(text)


def freshness_warnings(sources: Sequence[CatalogSource], today: date, limit_days: int) -> list[str]:
    """A warning per price source older than ``limit_days`` (undated sources are said to be undated)."""
    out = []
    for source in sources:
        when = _parse_day(source.as_of)
        if when is None:
            out.append(f"{source.name}: prices have no known date")
        elif (today - when).days > limit_days:
            out.append(
                f"{source.name}: prices are {(today - when).days} days old (as of {source.as_of}; the limit is "
                f"{limit_days} days): run `placer catalog refresh` or pin a newer catalog"
            )
    return out


def future_dated_warnings(catalog: Catalog, today: date) -> list[str]:
    """One warning when prices are dated after tomorrow (a day's grace for time zones): a typo or a wrong clock,
    and the age limit cannot judge them."""
    dates: dict[str, int] = {}
    for offer in catalog.offers:
        for as_of in _price_dates(offer):
            dates[as_of] = dates.get(as_of, 0) + 1
    future = {text: (day, n) for text, n in dates.items() if (day := _parse_day(text)) and day > today + ONE_DAY}
    if not future:
        return []
    count = sum(n for _, n in future.values())
    latest = max(future, key=lambda text: future[text][0])
    return [
        f"{count:,} price{'s are' if count != 1 else ' is'} dated after tomorrow (the latest {latest}): a typo or a "
        "wrong clock? Their age cannot be checked"
    ]


def _price_dates(offer: Offer) -> list[str]:
    if isinstance(offer, GpuOffer):
        return [p.as_of for p in offer.prices.values()]
    if isinstance(offer, MacOffer):
        return [p.price.as_of for p in offer.plans]
    return [offer.input_usd_per_mtok.as_of, offer.output_usd_per_mtok.as_of]


ONE_DAY = timedelta(days=1)


def _parse_day(text: str) -> date | None:
    parts = text.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        return date(year, month, day)
    except (ValueError, IndexError):
        return None
