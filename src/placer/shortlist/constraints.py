"""The profile's constraints (kind, providers, regions, accelerators) as a filter on a market's rows, computed
with array operations and kept per set of constraints: a fleet repeats a few sets many times."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from placer.catalog.columns import API, GPU, MAC, Bools, Ints
from placer.placements.common import Rejected
from placer.planner import KIND_REJECTS, filter_offer
from placer.profile import AnyProfile
from placer.shortlist.market import Market
from placer.shortlist.pairs import Counts

FILTERS_KEPT = 2048  # constraint sets whose filtered rows a market keeps (a bit per offer each)


def filter_rows(market: Market, profile: AnyProfile, allowed: set[str] | None, counts: Counts) -> Bools:
    """Rows that pass the profile's constraints, in make_plan's order; the others are counted by reason.

    A fleet repeats a few sets of constraints many times: each set is filtered once per catalog and kept."""
    c = profile.constraints
    signature = (
        profile.kind,
        tuple(c.providers or ()),
        tuple(c.exclude_providers),
        tuple(c.regions or ()),
        None if allowed is None else tuple(sorted(allowed)),
    )
    known = market.filters.get(signature)
    if known is None:
        own = Counts()
        alive = _filter_rows(market, profile, allowed, own)
        if len(market.filters) >= FILTERS_KEPT:  # a fleet of all-different constraints: keep the newest
            del market.filters[next(iter(market.filters))]
        market.filters[signature] = (np.packbits(alive), dict(own.groups))  # a bit per offer: 6 KB per 50,000
    else:
        alive = np.unpackbits(known[0], count=market.columns.size).view(np.bool_)
    for code, (count, example) in market.filters[signature][1].items():
        counts.add(code, count, example)
    return alive


def _filter_rows(market: Market, profile: AnyProfile, allowed: set[str] | None, counts: Counts) -> Bools:
    cols = market.columns
    offers = cols.offers

    def why(row: int) -> str:
        try:
            filter_offer(offers[row], profile, market.index, allowed)
        except Rejected as exc:
            return exc.reason
        return "passes"  # pragma: no cover - only rejected rows are asked

    def reject(mask: Bools, code: str, attribute: Ints, reason: Callable[[int], str] = why) -> None:
        count = int(mask.sum())
        if count:
            counts.add(code, count, market.example(mask, attribute, reason))

    wrong_kind = np.isin(cols.kind, [{"gpu": GPU, "api": API, "mac": MAC}[k] for k in KIND_REJECTS[profile.kind]])
    reject(wrong_kind, "kind", cols.kind)
    alive = ~wrong_kind
    c = profile.constraints
    ok = np.ones(len(cols.providers), dtype=np.bool_)
    if c.providers:
        wanted = {p.lower() for p in c.providers}
        ok &= np.array([p in wanted for p in cols.providers], dtype=np.bool_)
    if c.exclude_providers:
        excluded = {p.lower() for p in c.exclude_providers}
        ok &= np.array([p not in excluded for p in cols.providers], dtype=np.bool_)
    out = alive & ~ok[cols.provider]
    reject(out, "provider", cols.provider)
    alive &= ~out
    if c.regions:
        out = alive & ~market.region_mask(tuple(c.regions))[cols.region]
        reject(out, "region", cols.region_name)
        alive &= ~out
    if allowed is not None:
        hw_ok = np.array([k in allowed for k in cols.hardware_keys], dtype=np.bool_)
        out = alive & (cols.hardware >= 0) & ~hw_ok[np.maximum(cols.hardware, 0)]
        reject(out, "accelerator", cols.hardware)
        alive &= ~out
    return alive
