"""User catalogs: your own offers, negotiated prices, discounts and private pools, layered on a base catalog.

A user catalog is a YAML file (or a CSV file of GPU offers only)::

    as_of: 2026-11-01                        # default as_of of the prices this file sets
    source: "ACME negotiated rate card 2026" # default source of the prices this file sets
    discounts: {aws: 28%, gcp: 0.15}         # per provider: "28%" or a fraction below 1
    overrides:                               # new prices for existing offers, by id
      - offer: meta/us-east/h100-pool
        prices: {on-demand: 28.0}            # GPU: per instance-hour by pricing model (on-demand, spot, reserved)
                                             # Mac: per plan unit (hour, day, month…); API: input/output per M tokens
    pools:                                   # private GPU pools; id = "{provider}/{region}/{name}"
      - name: rsc-h100
        provider: internal                   # the default
        region: us-east                      # "{provider}/{region}" must be a region (below or in the base catalog)
        accelerator: H100
        accelerators: 2048                   # capacity: max_instances = accelerators / per_instance
        per_instance: 8
        interconnect: infiniband
        usd_per_accelerator_hour: 2.10       # or `marginal_cost: zero` (the only way to a price of zero)
    regions:
      internal/us-east: {geo: us-east, lat: 39.0, lon: -77.5, label: "ACME DC1"}
    offers: [...]                            # full offer objects as in catalog.json; a duplicate id is an error

CSV files hold one GPU offer per row, header (any order; ``reserved_usd``, ``max_instances``, ``basis`` and
``notes`` may be added)::

    id,provider,region,instance,accelerator,accelerators_per_instance,accelerator_memory_gb,interconnect,on_demand_usd,spot_usd,source,as_of

An empty ``id`` becomes ``{provider}/{region}/{instance}``; an empty price cell means "no such price". Errors name
``file:row:column`` with rows counted like a spreadsheet (the header is row 1).

How a user catalog is applied (:func:`apply_user_catalog`), in this order:

1. regions, added offers and pools join the catalog (a duplicate id, unknown hardware or region is an error);
2. overrides replace prices (``Price.source``/``as_of`` become this file's; ``original`` records the replaced price);
3. discounts scale every price of the provider **that this file did not write**: an override, a pool or an added
   offer states the price actually paid, so a discount never applies to it (no double discount). Prices from the
   base or from an earlier layer are discounted; they keep their source and ``original`` records the list price.

:mod:`placer.catalog.user_csv` reads CSV, :mod:`placer.catalog.layering` applies a user catalog, and
:func:`placer.catalog.files.compose_catalog` layers several files (a catalog JSON replaces the embedded base).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from placer.catalog.models import (
    MAX_MEMORY_GB,
    ApiOffer,
    GpuOffer,
    Interconnect,
    MacOffer,
    Price,
    PricingModel,
)
from placer.catalog.user_fields import (
    AsOf,
    Count,
    Discount,
    PoolUsd,
    Text,
    Usd,
    _bare_region,
    _marginal_cost,
    _plain,
)
from placer.errors import CatalogError, SourceLocation
from placer.field_errors import describe, validation_error
from placer.yamldoc import YamlDocument, clip, parse_yaml, read_text

AnyOffer = GpuOffer | ApiOffer | MacOffer
Path_ = tuple[str | int, ...]
USER_SUFFIXES = (".yaml", ".yml", ".csv")
OVERRIDE_BASIS = "user"  # basis of a price an override sets (unless it names its own)
POOL_BASIS = "internal"  # basis of a priced private pool
_OFFER_MODELS: dict[str, type[GpuOffer] | type[MacOffer] | type[ApiOffer]] = {
    "gpu": GpuOffer,
    "mac": MacOffer,
    "api": ApiOffer,
}
_PRICING: tuple[str, ...] = get_args(PricingModel)
_API_SIDES = {"input": "input_usd_per_mtok", "output": "output_usd_per_mtok"}


class Locator(Protocol):
    """Turns a path inside a user catalog (``("pools", 0, "region")``) into a file position."""

    def __call__(self, path: Sequence[str | int], /, *, key: bool = False) -> SourceLocation: ...


def _prices(offer: AnyOffer) -> list[Price]:
    if isinstance(offer, GpuOffer):
        return list(offer.prices.values())
    if isinstance(offer, MacOffer):
        return [p.price for p in offer.plans]
    return [offer.input_usd_per_mtok, offer.output_usd_per_mtok]


# --- the file's schema -----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class OverrideSpec(_Strict):
    offer: Text
    prices: dict[str, Usd] = Field(min_length=1)
    basis: Text = OVERRIDE_BASIS
    source: Text | None = None
    as_of: AsOf | None = None


class PoolSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    provider: str = Field(default="internal", pattern=r"^[a-z0-9][a-z0-9-]*$")
    region: Annotated[str, BeforeValidator(_bare_region), Field(min_length=1)]
    accelerator: Text
    accelerators: Count
    per_instance: Count
    interconnect: Interconnect
    accelerator_memory_gb: float | None = Field(default=None, gt=0, le=MAX_MEMORY_GB)
    usd_per_accelerator_hour: PoolUsd | None = None
    marginal_cost: Annotated[Literal["zero"], BeforeValidator(_marginal_cost)] | None = None
    pricing: PricingModel = "on-demand"
    basis: Text = POOL_BASIS
    instance: Text | None = None
    notes: str | None = None
    source: Text | None = None
    as_of: AsOf | None = None

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.region}/{self.name}"


class RegionSpec(_Strict):
    geo: Text
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    label: Text
    aws_proxy: str | None = None
    assumption: str | None = None


class UserCatalogSpec(_Strict):
    as_of: AsOf | None = None
    source: Text | None = None
    description: str | None = None
    discounts: dict[str, Discount] = Field(default_factory=dict)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    pools: list[PoolSpec] = Field(default_factory=list)
    regions: dict[str, RegionSpec] = Field(default_factory=dict)
    offers: list[Any] = Field(default_factory=list)  # validated one by one against their kind's model


@dataclass(frozen=True)
class UserCatalog:
    """A validated user catalog, remembering its file (for provenance notes and error positions)."""

    path: str
    spec: UserCatalogSpec
    offers: tuple[AnyOffer, ...]
    locate: Locator = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def as_of(self) -> str | None:
        """The file's ``as_of``; for a file without one (a CSV), the newest date among its prices."""
        if self.spec.as_of is not None:
            return self.spec.as_of
        dates = [p.as_of for o in self.offers for p in _prices(o) if p.as_of != "unknown"]
        return max(dates) if dates else None

    @property
    def source(self) -> str | None:
        return self.spec.source

    @property
    def discounts(self) -> MappingProxyType[str, float]:
        return MappingProxyType(self.spec.discounts)

    def summary(self) -> str:
        parts = [
            _count(len(self.offers), "offer"),
            _count(len(self.spec.pools), "pool"),
            _count(len(self.spec.overrides), "override"),
            _count(len(self.spec.discounts), "discount"),
        ]
        if self.spec.regions:
            parts.append(_count(len(self.spec.regions), "region"))
        return ", ".join(parts)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass
class _Delegate(YamlDocument):
    """A YamlDocument whose positions come from a locator, under a path prefix (one offer of many)."""

    locator: Locator | None = None
    prefix: Path_ = ()

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        assert self.locator is not None
        return self.locator((*self.prefix, *path), key=key)


def _validate_offer(item: dict[str, Any], path: Path_, locate: Locator, filename: str) -> AnyOffer:
    kind = item.get("kind")
    if kind is None:
        raise CatalogError("missing required key 'kind' (gpu, mac or api)", location=locate(path))
    if not isinstance(kind, str) or kind not in _OFFER_MODELS:  # a list or mapping here is not hashable
        raise CatalogError(
            f"unknown kind {clip(repr(kind))}; expected gpu, mac or api",
            location=locate((*path, "kind")),
            hint=_did_you_mean(str(kind), list(_OFFER_MODELS)),
        )
    model = _OFFER_MODELS[kind]
    try:
        return model.model_validate(_plain(item))
    except ValidationError as exc:
        doc = _Delegate(filename, "", item, locator=locate, prefix=path)
        raise validation_error(exc, doc, CatalogError, model) from None


def _did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    options = sorted(set(choices))
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in options}
        found = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)]
    return f"did you mean {found[0]!r}?" if found else None


# --- reading ---------------------------------------------------------------------------------------


def parse_user_catalog(text: str, filename: str) -> UserCatalog:
    """Validate a YAML user catalog on its own (checks that need the base catalog happen when applied)."""
    doc = parse_yaml(text, filename, CatalogError)
    data = doc.data
    if not isinstance(data, dict):
        raise CatalogError(
            f"expected a mapping of user catalog keys (as_of, source, discounts, overrides, pools, regions, offers), "
            f"found {describe(data)}",
            location=doc.locate(()),
        )
    try:
        spec = UserCatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, doc, CatalogError, UserCatalogSpec) from None
    offers: list[AnyOffer] = []
    for i, item in enumerate(spec.offers):
        if not isinstance(item, dict):
            raise CatalogError(
                f"an offer is a mapping of keys (id, provider, region, kind, ...), found {describe(item)}",
                location=doc.locate(("offers", i)),
            )
        offers.append(_validate_offer(item, ("offers", i), doc.locate, filename))
    user = UserCatalog(filename, spec, tuple(offers), doc.locate)
    _check_file(user)
    return user


def _check_file(user: UserCatalog) -> None:
    spec, locate = user.spec, user.locate
    for section, items in (("overrides", spec.overrides), ("pools", spec.pools)):
        for i, item in enumerate(items):
            for name in ("source", "as_of"):
                if getattr(item, name) is None and getattr(spec, name) is None:
                    raise CatalogError(
                        f"missing {name}: give `{name}:` at the top of the file or in this entry",
                        location=locate((section, i)),
                    )
    first_override: dict[str, int] = {}
    for i, ov in enumerate(spec.overrides):
        if ov.offer in first_override:
            line = locate(("overrides", first_override[ov.offer], "offer")).line
            raise CatalogError(
                f"offer {ov.offer!r} is overridden twice (first on line {line})",
                location=locate(("overrides", i, "offer")),
            )
        first_override[ov.offer] = i
    for i, pool in enumerate(spec.pools):
        if pool.usd_per_accelerator_hour is not None and pool.marginal_cost is not None:
            raise CatalogError(
                "give usd_per_accelerator_hour or marginal_cost: zero, not both",
                location=locate(("pools", i, "marginal_cost"), key=True),
            )
        if pool.usd_per_accelerator_hour is None and pool.marginal_cost is None:
            raise CatalogError(
                "a pool needs a price: usd_per_accelerator_hour (greater than zero) or marginal_cost: zero",
                location=locate(("pools", i)),
            )
        if pool.accelerators % pool.per_instance:
            raise CatalogError(
                f"accelerators ({pool.accelerators}) must be a whole number of instances of "
                f"per_instance ({pool.per_instance})",
                location=locate(("pools", i, "accelerators")),
            )
    line_word = "row" if getattr(locate, "row_based", False) else "line"
    first_id: dict[str, Path_] = {}
    ids = [(o.id, ("offers", i, "id")) for i, o in enumerate(user.offers)]
    ids += [(p.id, ("pools", i, "name")) for i, p in enumerate(spec.pools)]
    for offer_id, path in ids:
        if offer_id in first_id:
            line = locate(first_id[offer_id]).line
            raise CatalogError(f"duplicate offer id {offer_id!r} (first on {line_word} {line})", location=locate(path))
        first_id[offer_id] = path


# --- loading either format ---------------------------------------------------------------------


def load_user_catalog(path: str | Path) -> UserCatalog:
    """Read and validate a user catalog: ``.yaml``/``.yml`` (everything) or ``.csv`` (GPU offers)."""
    suffix = Path(path).suffix.lower()
    if suffix not in USER_SUFFIXES:
        hint = "a catalog JSON is a base catalog, not a user catalog" if suffix == ".json" else None
        raise CatalogError(
            f"a user catalog is a .yaml, .yml or .csv file, not {suffix or 'a file without a suffix'}",
            location=SourceLocation(str(path)),
            hint=hint,
        )
    text = read_text(path, CatalogError, kind="CSV" if suffix == ".csv" else "YAML")
    if suffix == ".csv":
        from placer.catalog.user_csv import parse_user_csv  # noqa: PLC0415 - the CSV reader builds on this module

        return parse_user_csv(text, str(path))
    return parse_user_catalog(text, str(path))
