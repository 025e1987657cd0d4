"""Comparing two catalogs: offers added and removed, and every price that changed, in USD and per cent.

Prices are compared item by item (:func:`placer.catalog.query.priced_items`): a GPU offer per pricing model
(on-demand, spot, reserved; USD per instance-hour), a Mac offer per plan unit, an API offer per token side (USD per
million tokens). A price present on one side only is listed with the other side ``null``. Everything is sorted by
offer id, then price key, so the same two catalogs always give the same diff.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer
from placer.catalog.query import PricedItem, priced_items

DIFF_SCHEMA_VERSION = 1
AnyOffer = GpuOffer | ApiOffer | MacOffer


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class OfferRef(_Frozen):
    id: str
    kind: str
    provider: str
    region: str


class PriceChange(_Frozen):
    offer: str
    kind: str
    key: str  # pricing model (gpu), plan unit (mac) or token side (api)
    unit: str  # what one USD figure buys: "instance-hour", "month", "M input tokens"…
    old_usd: float | None  # None: the price is new
    new_usd: float | None  # None: the price was removed
    delta_usd: float | None
    delta_pct: float | None  # None when there is nothing to compare against (or the old price was zero)
    old_as_of: str | None
    new_as_of: str | None


class CatalogDiff(_Frozen):
    schema_version: int = DIFF_SCHEMA_VERSION
    old_as_of: str
    new_as_of: str
    old_offers: int
    new_offers: int
    added: list[OfferRef]
    removed: list[OfferRef]
    price_changes: list[PriceChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.price_changes)


def _ref(offer: AnyOffer) -> OfferRef:
    return OfferRef(id=offer.id, kind=offer.kind, provider=offer.provider, region=offer.region)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _change(offer: AnyOffer, key: str, old: PricedItem | None, new: PricedItem | None) -> PriceChange | None:
    o = old.price.usd if old else None
    n = new.price.usd if new else None
    if o is not None and n is not None and _same(o, n):
        return None
    delta = n - o if o is not None and n is not None else None
    pct = delta / o * 100 if delta is not None and o else None
    item = new or old
    assert item is not None
    return PriceChange(
        offer=offer.id,
        kind=offer.kind,
        key=key,
        unit=item.unit,
        old_usd=o,
        new_usd=n,
        delta_usd=delta,
        delta_pct=pct,
        old_as_of=old.price.as_of if old else None,
        new_as_of=new.price.as_of if new else None,
    )


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    before = {o.id: o for o in old.offers}
    after = {o.id: o for o in new.offers}
    changes: list[PriceChange] = []
    for offer_id in sorted(before.keys() & after.keys()):
        was = {i.key: i for i in priced_items(before[offer_id])}
        now = {i.key: i for i in priced_items(after[offer_id])}
        for key in sorted(was.keys() | now.keys()):
            change = _change(after[offer_id], key, was.get(key), now.get(key))
            if change is not None:
                changes.append(change)
    return CatalogDiff(
        old_as_of=old.as_of,
        new_as_of=new.as_of,
        old_offers=len(old.offers),
        new_offers=len(new.offers),
        added=[_ref(after[i]) for i in sorted(after.keys() - before.keys())],
        removed=[_ref(before[i]) for i in sorted(before.keys() - after.keys())],
        price_changes=changes,
    )
