"""The catalog as the shortlist sees it: its columns and the lookups every profile repeats, kept between profiles."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from placer.catalog.columns import API, GPU, PRICINGS, Bools, Floats, Ints, OfferColumns, build_columns
from placer.catalog.models import ApiOffer, Catalog, Region
from placer.estimate.egress import Egress, egress
from placer.placements.common import Context

USER_RTTS_KEPT = 128  # lists of user places whose RTT rows a market keeps (two floats per region each)


class Market:
    """Built once per catalog: columns, region-pattern masks and per-user RTT rows (cached across profiles)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.columns: OfferColumns = build_columns(catalog)
        self.index = self.columns.index
        # filter_rows' answers by constraint set: (rows alive as packed bits, rejection counts by code)
        self.filters: dict[tuple[object, ...], tuple[npt.NDArray[np.uint8], dict[str, tuple[int, str]]]] = {}
        self.priced: Bools = ~np.isnan(self.columns.price)  # [pricing, row]: the offer has that price
        self.rtt_rows: dict[str, Floats] = {}
        self.user_rtts: dict[tuple[str, ...], tuple[Floats, Floats]] = {}  # user places -> rtts()
        instance = []
        for o in self.columns.offers:
            instance.append(o.provider_model if isinstance(o, ApiOffer) else o.instance)
        self.instance = instance
        # one code per (provider, instance): a plan shows each at most once per pricing, whatever its regions
        products: dict[tuple[str, str], int] = {}
        pairs = zip(self.columns.offers, instance, strict=True)
        self.product: Ints = np.array(
            [products.setdefault((o.provider, name), len(products)) for o, name in pairs], dtype=np.int64
        )
        # each product's rows, ascending: product_order[product_start[k] : product_start[k + 1]]
        self.product_order: Ints = np.argsort(self.product, kind="stable")
        self.product_start: Ints = np.concatenate(
            [np.zeros(1, dtype=np.int64), np.cumsum(np.bincount(self.product, minlength=len(products)))]
        )
        # a row of each GPU shape (its hardware, accelerators and memory), so per-shape figures are computed once
        shape = self.columns.shape
        first = np.full(int(shape.max(initial=-1)) + 1, -1, dtype=np.int64)
        gpu = np.flatnonzero(shape >= 0)
        first[shape[gpu[::-1]]] = gpu[::-1]  # the last write wins: each shape's first row
        self.shape_rows: Ints = first
        self.pattern_ok: dict[str, Bools] = {}  # region pattern -> the region codes it matches
        self.api_rows: Ints = np.flatnonzero(self.columns.kind == API)  # the hosted APIs' rows: a few thousand
        cols = self.columns
        # [pricing, row]: a GPU pair's serving group (serving shape × zero price) and training key before the data's
        # place (shape × spot × interruption class: on-demand and reserved share theirs, the price only scales cost)
        self.serving_code: Ints = cols.serving_shape * 2 + (cols.price == 0)
        is_spot = (np.arange(len(PRICINGS)) == PRICINGS.index("spot"))[:, None]
        n_spot = int(cols.spot_class.max(initial=0)) + 1
        spot = np.where(is_spot, cols.spot_class, 0)
        self.training_key: Ints = ((cols.shape * 2 + is_spot) * n_spot + spot) * 3
        self.is_gpu: Bools = self.columns.kind == GPU

    def product_rows(self, row: int) -> Ints:
        """The rows of the product (provider, instance) that ``row`` offers, ascending: its copies in every region."""
        k = int(self.product[row])
        return self.product_order[int(self.product_start[k]) : int(self.product_start[k + 1])]

    def example(self, mask: Bools, attribute: Ints, reason: Callable[[int], str]) -> str:
        """The reason of the most common value among the masked rows (e.g. the provider most rejected)."""
        return self.example_of(np.flatnonzero(mask), attribute, reason)

    def example_of(self, rows: Ints, attribute: Ints, reason: Callable[[int], str]) -> str:
        """example() for rows given in ascending order: the first of them with the most common value (the least
        value among equally common ones)."""
        values = attribute[rows]
        common = int(np.bincount(values - values.min()).argmax() + values.min())
        return reason(int(rows[np.argmax(values == common)]))

    def region_mask(self, patterns: tuple[str, ...]) -> Bools:
        """Region codes any of the patterns matches, as CatalogIndex.region_matches decides."""
        mask = np.zeros(len(self.columns.region_keys), dtype=np.bool_)
        for pattern in patterns:
            known = self.pattern_ok.get(pattern)
            if known is None:
                matching = self.index.regions_matching(pattern)
                known = np.array([k in matching for k in self.columns.region_keys], dtype=np.bool_)
                self.pattern_ok[pattern] = known
            mask |= known
        return mask

    def moves(self, ctx: Context) -> list[Egress | None]:
        """The data copy for each relation to the data's region: same region, same provider, other provider."""
        src = ctx.data_region
        if src is None:
            return [None, None, None]
        provider = src.key.split("/", 1)[0]
        internet = self.index.egress_tiers(provider, "internet")
        inter = self.index.egress_tiers(provider, "inter-region")
        size = ctx.data_size_gb
        return [
            egress(size, True, True, internet, inter),
            egress(size, False, True, internet, inter),
            egress(size, False, False, internet, inter),
        ]

    def relation(self, ctx: Context, row: Ints) -> Ints:
        cols = self.columns
        src = ctx.data_region
        if src is None:
            return np.zeros(row.size, dtype=np.int64)
        provider = src.key.split("/", 1)[0]
        region_code = cols.region_keys.index(src.key) if src.key in cols.region_keys else -1
        provider_code = cols.providers.index(provider) if provider in cols.providers else -1
        same_region = cols.region[row] == region_code
        same_provider = cols.provider[row] == provider_code
        return np.where(same_region, 0, np.where(same_provider, 1, 2)).astype(np.int64)

    def rtts(self, ctx: Context) -> tuple[Floats, Floats]:
        """Mean and worst RTT from the profile's users to each region, as ``user_rtt`` computes them; kept per
        list of user places (a fleet repeats a few), read-only."""
        users = tuple(user.key for user in ctx.user_regions)
        known = self.user_rtts.get(users)
        if known is not None:
            return known
        keys = self.columns.region_keys
        if not ctx.user_regions:
            mean, worst = np.zeros(len(keys)), np.zeros(len(keys))
        else:
            rows = [self.rtt_row(user) for user in ctx.user_regions]
            total = rows[0].copy()
            for row in rows[1:]:
                total = total + row  # summed in the users' order, as sum() does
            mean, worst = total / len(rows), np.max(np.stack(rows), axis=0)
        mean.setflags(write=False)
        worst.setflags(write=False)
        if len(self.user_rtts) >= USER_RTTS_KEPT:
            del self.user_rtts[next(iter(self.user_rtts))]
        self.user_rtts[users] = (mean, worst)
        return mean, worst

    def rtt_row(self, user: Region) -> Floats:
        """RTT from one user place to every region of the catalog, computed once per place and kept."""
        row = self.rtt_rows.get(user.key)
        if row is None:
            row = np.zeros(len(self.columns.region_keys))
            for code, key in enumerate(self.columns.region_keys):
                here = self.catalog.regions.get(key)
                if here is not None:
                    row[code] = self.index.rtt(user, here).ms
            self.rtt_rows[user.key] = row
        return row
