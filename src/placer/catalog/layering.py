"""Applying a user catalog to a base catalog (see placer.catalog.user for the order and the discount rule)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from placer.catalog.models import (
    ZERO_MARGINAL,
    Catalog,
    GpuOffer,
    MacOffer,
    Price,
    Region,
)
from placer.catalog.user import (
    _API_SIDES,
    _PRICING,
    AnyOffer,
    OverrideSpec,
    Path_,
    PoolSpec,
    UserCatalog,
    _did_you_mean,
)
from placer.catalog.user_fields import _tidy
from placer.errors import CatalogError

# --- applying --------------------------------------------------------------------------------------


@dataclass
class _Layer:
    base: Catalog
    user: UserCatalog
    offers: list[AnyOffer] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    own: set[tuple[str, str]] = field(default_factory=set)  # (offer id, price key) this file set

    def __post_init__(self) -> None:
        self.offers = list(self.base.offers)
        self.index = {o.id: i for i, o in enumerate(self.offers)}
        self.regions = dict(self.base.regions)

    def fail(self, message: str, path: Path_, *, key: bool = False, hint: str | None = None) -> CatalogError:
        return CatalogError(message, location=self.user.locate(path, key=key), hint=hint)

    def add(self, offer: AnyOffer, path: Path_, id_field: str) -> None:
        if offer.id in self.index:
            raise self.fail(
                f"duplicate offer id {offer.id!r}: the catalog already has it",
                (*path, id_field),
                hint="to change its prices, use overrides: in a YAML user catalog",
            )
        hw_field = "accelerator" if isinstance(offer, GpuOffer) else "chip" if isinstance(offer, MacOffer) else None
        hw = getattr(offer, hw_field) if hw_field else None
        if hw is not None and hw not in self.base.hardware:
            raise self.fail(
                f"unknown hardware {hw!r}", (*path, str(hw_field)), hint=_did_you_mean(hw, self.base.hardware)
            )
        key = f"{offer.provider}/{offer.region}"
        if key not in self.regions:
            near = [k for k in self.regions if k.startswith(f"{offer.provider}/")]
            hint = _did_you_mean(key, near) or (
                f"add it under regions: in a YAML user catalog, e.g. {key}: {{geo: us-east, lat: 39.0, lon: -77.5, "
                f"label: ...}}"
            )
            raise self.fail(f"unknown region {key!r}", (*path, "region"), hint=hint)
        self.index[offer.id] = len(self.offers)
        self.offers.append(offer)
        self.own.update((offer.id, k) for k in _price_keys(offer))


def _price_keys(offer: AnyOffer) -> list[str]:
    if isinstance(offer, GpuOffer):
        return list(offer.prices)
    if isinstance(offer, MacOffer):
        return [p.unit for p in offer.plans]
    return list(_API_SIDES)


def _unit(offer: AnyOffer, key: str) -> str:
    if isinstance(offer, GpuOffer):
        return "hour"
    if isinstance(offer, MacOffer):
        return key
    return f"M {key} tokens"


def apply_user_catalog(base: Catalog, user: UserCatalog) -> Catalog:
    """A new catalog: ``base`` with ``user`` layered on (see the module docstring for the order). Pure."""
    layer = _Layer(base, user)
    spec = user.spec
    for key, region in spec.regions.items():
        if key in layer.regions:
            raise layer.fail(
                f"region {key!r} is already in the catalog", ("regions", key), key=True, hint="remove it here"
            )
        layer.regions[key] = Region(key=key, **region.model_dump())
    for i, offer in enumerate(user.offers):
        layer.add(offer, ("offers", i), "id")
    for i, pool in enumerate(spec.pools):
        layer.add(_pool_offer(layer, pool, i), ("pools", i), "name")
    for i, ov in enumerate(spec.overrides):
        _override(layer, ov, i)
    _discount_all(layer)
    description = f"{base.description}; with {user.name}" if base.description else f"with {user.name}"
    fields = {name: getattr(base, name) for name in Catalog.model_fields}
    try:
        return Catalog.model_validate(
            {**fields, "offers": layer.offers, "regions": layer.regions, "description": description}
        )
    except ValidationError as exc:  # pragma: no cover - the checks above catch what the model checks
        first = exc.errors(include_url=False)[0]
        raise CatalogError(str(first["msg"]).removeprefix("Value error, "), location=user.locate(())) from None


def _pool_offer(layer: _Layer, pool: PoolSpec, i: int) -> GpuOffer:
    user, spec = layer.user, layer.user.spec
    hardware = layer.base.hardware.get(pool.accelerator)
    if hardware is None:
        raise layer.fail(
            f"unknown hardware {pool.accelerator!r}",
            ("pools", i, "accelerator"),
            hint=_did_you_mean(pool.accelerator, layer.base.hardware),
        )
    source = pool.source or spec.source
    as_of = pool.as_of or spec.as_of
    assert source is not None  # checked when the file was read
    assert as_of is not None
    instances = pool.accelerators // pool.per_instance
    if pool.usd_per_accelerator_hour is None:
        price = Price(
            usd=0.0,
            source=source,
            as_of=as_of,
            basis=ZERO_MARGINAL,
            original=f"private pool at zero marginal cost ({user.name})",
        )
    else:
        rate = pool.usd_per_accelerator_hour
        try:
            price = Price(
                usd=_tidy(rate * pool.per_instance),
                source=source,
                as_of=as_of,
                basis=pool.basis,
                original=f"USD {rate:g}/accelerator-hour × {pool.per_instance} per instance ({user.name})",
            )
        except ValidationError as exc:
            why = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            path = ("pools", i, "usd_per_accelerator_hour")
            raise layer.fail(f"{why} (per instance of {pool.per_instance})", path) from None
    notes = pool.notes or (
        f"private pool from {user.name}: {pool.accelerators:,} accelerators = {instances:,} instances "
        f"of {pool.per_instance}"
    )
    return GpuOffer(
        id=pool.id,
        provider=pool.provider,
        region=pool.region,
        instance=pool.instance or pool.name,
        accelerator=pool.accelerator,
        accelerators_per_instance=pool.per_instance,
        accelerator_memory_gb=pool.accelerator_memory_gb or hardware.memory_gb,
        interconnect=pool.interconnect,
        max_instances=instances,
        prices={pool.pricing: price},
        notes=notes,
    )


def _override(layer: _Layer, ov: OverrideSpec, i: int) -> None:
    user, spec = layer.user, layer.user.spec
    at = layer.index.get(ov.offer)
    if at is None:
        hint = _did_you_mean(ov.offer, layer.index) or "`placer catalog list` shows the offers"
        raise layer.fail(f"unknown offer {ov.offer!r}", ("overrides", i, "offer"), hint=hint)
    offer = layer.offers[at]
    source, as_of = ov.source or spec.source, ov.as_of or spec.as_of
    assert source is not None  # checked when the file was read
    assert as_of is not None

    def new_price(key: str, old: Price | None) -> Price:
        layer.own.add((offer.id, key))
        note = (
            f"replaces {old.basis} USD {old.usd:g}/{_unit(offer, key)} ({user.name})"
            if old is not None
            else f"added by {user.name}"
        )
        return Price(usd=ov.prices[key], source=source, as_of=as_of, basis=ov.basis, original=note)

    if isinstance(offer, GpuOffer):
        allowed: Sequence[str] = _PRICING
    elif isinstance(offer, MacOffer):
        allowed = [p.unit for p in offer.plans]
    else:
        allowed = list(_API_SIDES)
    for key in ov.prices:
        if key not in allowed:
            what = {"gpu": "pricing", "mac": "plan unit", "api": "token side"}[offer.kind]
            raise layer.fail(
                f"unknown {what} {key!r} for {offer.kind} offer {offer.id}; expected {', '.join(allowed)}",
                ("overrides", i, "prices", key),
                key=True,
                hint=_did_you_mean(key, allowed),
            )
    updated: AnyOffer
    if isinstance(offer, GpuOffer):
        prices: dict[str, Price] = {str(k): p for k, p in offer.prices.items()}
        for key in ov.prices:
            prices[key] = new_price(key, prices.get(key))
        updated = offer.model_copy(update={"prices": prices})
    elif isinstance(offer, MacOffer):
        plans = [
            p.model_copy(update={"price": new_price(p.unit, p.price)}) if p.unit in ov.prices else p
            for p in offer.plans
        ]
        updated = offer.model_copy(update={"plans": plans})
    else:
        update = {_API_SIDES[k]: new_price(k, getattr(offer, _API_SIDES[k])) for k in ov.prices}
        updated = offer.model_copy(update=update)
    layer.offers[at] = updated


def _discount_all(layer: _Layer) -> None:
    discounts = layer.user.spec.discounts
    providers = {o.provider for o in layer.offers}
    for provider in discounts:
        if provider not in providers:
            raise layer.fail(
                f"unknown provider {provider!r}",
                ("discounts", provider),
                key=True,
                hint=_did_you_mean(provider, providers) or f"providers: {', '.join(sorted(providers))}",
            )
    for at, offer in enumerate(layer.offers):
        fraction = discounts.get(offer.provider, 0.0)
        if fraction:
            layer.offers[at] = _discounted(layer, offer, fraction)


def _discounted(layer: _Layer, offer: AnyOffer, fraction: float) -> AnyOffer:
    name = layer.user.name

    def cut(key: str, old: Price) -> Price:
        if (offer.id, key) in layer.own or old.basis == ZERO_MARGINAL:
            return old
        note = f"{old.basis} USD {old.usd:g}/{_unit(offer, key)} less {fraction * 100:g} % ({name})"
        if old.original:
            note += f"; {old.original}"
        cheaper = {**old.model_dump(), "usd": _tidy(old.usd * (1 - fraction)), "original": note}
        try:
            return Price.model_validate(cheaper)  # re-validated: a discount must not make a price implausible
        except ValidationError as exc:
            why = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            raise layer.fail(f"discount on {offer.id}: {why}", ("discounts", offer.provider)) from None

    if isinstance(offer, GpuOffer):
        return offer.model_copy(update={"prices": {k: cut(k, p) for k, p in offer.prices.items()}})
    if isinstance(offer, MacOffer):
        plans = [p.model_copy(update={"price": cut(p.unit, p.price)}) for p in offer.plans]
        return offer.model_copy(update={"plans": plans})
    return offer.model_copy(update={attr: cut(side, getattr(offer, attr)) for side, attr in _API_SIDES.items()})
