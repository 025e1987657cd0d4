"""make_plan's ranking, read off a Search one verified placement at a time: pairs leave per-family streams in
order of their bounds, are priced exactly, and a pair is placed only once no unexamined bound can rank before it.
The chosen placement, then the alternatives (each (provider, instance, pricing) once), then the best of every
family not yet shown, as planner._alternatives picks them."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

from placer.catalog.columns import Bytes, Floats, Ints
from placer.profile import InferenceProfile, Objective, TrainingProfile
from placer.shortlist.pairs import FAMILIES, HOSTED_API, PRICING_NAMES, SELF_HOSTED
from placer.shortlist.search import Exact, Search
from placer.shortlist.stream import FIRST_WAVE, BoundStream

RankKey = tuple[int, float, float, int, str, str]
Step = Callable[[Sequence[int]], tuple[RankKey, int] | None]


def rank(search: Search, objective: Objective, limit: float | None, count: int) -> tuple[int | None, list[int]]:
    """(the chosen pair, the pairs shown after it), as make_plan ranks them; (None, []) when none is feasible."""
    pairs = search.pairs
    if len(pairs.row) == 0:
        return None, []
    search.prime()
    over_lb = (pairs.cost_lb > limit) if limit is not None else np.zeros(len(pairs.row), dtype=np.bool_)
    group = over_lb.astype(np.uint8) * 2 + pairs.assumed  # bytes: (over budget, assumed price), 0 to 3
    offers = search.market.columns.offers

    def tail(j: int, e: Exact) -> tuple[int, str, str]:
        return e.instances, offers[int(pairs.row[j])].id, PRICING_NAMES[int(pairs.pricing[j])]

    def grouped(j: int, e: Exact) -> int:
        over = limit is not None and e.cost > limit
        return int(over) * 2 + int(pairs.assumed[j])

    if objective == "cost":
        primary, secondary = pairs.cost_lb, pairs.metric_lb

        def key(j: int, e: Exact) -> RankKey:
            return (grouped(j, e), e.cost, e.metric, *tail(j, e))

    elif objective == "time":
        primary, secondary = pairs.metric_lb, pairs.cost_lb

        def key(j: int, e: Exact) -> RankKey:
            return (grouped(j, e), e.metric, e.cost, *tail(j, e))

    else:
        least_cost = _minimum(search, pairs.cost_lb, lambda e: e.cost)
        least_metric = _minimum(search, pairs.metric_lb, lambda e: e.metric)
        if least_cost is None or least_metric is None:
            return None, []
        c0, m0 = least_cost or 1.0, least_metric or 1.0
        primary = pairs.cost_lb / c0 + pairs.metric_lb / m0
        secondary = pairs.cost_lb

        def key(j: int, e: Exact) -> RankKey:
            return (grouped(j, e), e.cost / c0 + e.metric / m0, e.cost, *tail(j, e))

    members = _members(search)
    step = _order(search, members, primary, group, key, secondary)
    everyone = sorted(members)
    first = step(everyone)
    if first is None:
        return None, []
    chosen = first[1]
    # A plan shows each (provider, instance, pricing) once. Once one is ranked, its copies in other regions are
    # dropped from the streams instead of being priced on the way to the next distinct alternative.
    market = search.market

    def product(j: int) -> int:
        return int(market.product[int(pairs.row[j])]) * len(PRICING_NAMES) + int(pairs.pricing[j])

    def ranked(j: int) -> None:
        seen.add(product(j))
        start, end = pairs.spans[int(pairs.pricing[j])]
        rows = pairs.row[start:end]  # this pricing's pairs, rows ascending: the copies are found by search
        copies = market.product_rows(int(pairs.row[j]))
        at = np.minimum(np.searchsorted(rows, copies), rows.size - 1)
        search.gone[start + at[rows[at] == copies]] = True

    seen: set[int] = set()
    ranked(chosen)
    families = {int(pairs.family[chosen])}
    shown: list[int] = []
    active: Sequence[int] = everyone
    while count > 0 and active:
        item = step(active)
        if item is None:
            break
        j = item[1]
        if product(j) in seen:  # priced before its product was ranked: it waited in a heap
            continue
        if len(shown) < count or int(pairs.family[j]) not in families:
            ranked(j)
            families.add(int(pairs.family[j]))
            shown.append(j)
        if len(shown) >= count:
            active = [f for f in everyone if f not in families]
    return chosen, shown


def _members(search: Search) -> dict[int, Ints]:
    """Each family present and its pairs, ascending. Training's families are its pricings and serving's are
    self-hosted (the GPU pairs, first) and hosted APIs, so each lies together: a range, found without a pass over
    the pairs. A build's farms and runners are interleaved."""
    pairs = search.pairs
    if isinstance(search.profile, TrainingProfile):
        spans = pairs.spans  # a training pair's family is its pricing
    elif isinstance(search.profile, InferenceProfile):
        spans = {SELF_HOSTED: (0, pairs.n_gpu), HOSTED_API: (pairs.n_gpu, len(pairs.row))}
    else:
        family = pairs.family
        present = np.flatnonzero(np.bincount(family, minlength=len(FAMILIES))).tolist()
        return {f: np.flatnonzero(family == f) for f in present}
    return {f: np.arange(start, end) for f, (start, end) in spans.items() if end > start}


def _order(
    search: Search,
    members: dict[int, Ints],
    primary_lb: Floats,
    group_lb: Bytes,
    key: Callable[[int, Exact], RankKey],
    secondary_lb: Floats,
) -> Step:
    """A generator-like function: each call returns the next pair in rank order among the given families."""
    family = search.pairs.family
    streams = {f: BoundStream(rows, group_lb, primary_lb, secondary_lb, search.gone) for f, rows in members.items()}
    heaps: dict[int, list[tuple[RankKey, int]]] = {f: [] for f in members}

    def step(active: Sequence[int]) -> tuple[RankKey, int] | None:
        while True:
            best_heap: tuple[RankKey, int] | None = None
            for f in active:
                if heaps[f] and (best_heap is None or heaps[f][0] < best_heap):
                    best_heap = heaps[f][0]
            best_stream: tuple[tuple[int, float, float], int] | None = None
            for f in active:
                head = streams[f].peek()
                if head is not None and (best_stream is None or head < best_stream[0]):
                    best_stream = (head, f)
            if best_heap is not None and (best_stream is None or best_heap[0][:3] < best_stream[0]):
                return heapq.heappop(heaps[int(family[best_heap[1]])])
            if best_stream is None:
                return None
            f = best_stream[1]
            j = streams[f].pop()
            figures = search.figures(j)
            if figures is not None:
                heapq.heappush(heaps[f], (key(j, figures), j))

    return step


def _minimum(search: Search, bounds: Floats, pick: Callable[[Exact], float]) -> float | None:
    """The least exact figure over all pairs (the balanced objective normalises by it): pairs are examined in
    order of their bound, a few at a time, until the least figure found is no more than the next bound."""
    left = np.flatnonzero(~search.gone)
    best: float | None = None
    take = FIRST_WAVE
    while left.size:
        if take < left.size:
            near = np.argpartition(bounds[left], take - 1)[:take]
            batch = left[near]
            left = np.delete(left, near)
        else:
            batch, left = left, left[:0]
        for j in batch[np.argsort(bounds[batch], kind="stable")].tolist():
            if best is not None and best <= bounds[j]:
                return best
            if search.gone[j]:  # rejected in bulk with its key meanwhile: counted there
                continue
            exact = search.figures(j)
            if exact is not None and (best is None or pick(exact) < best):
                best = pick(exact)
        left = left[~search.gone[left]]
        if best is not None and (left.size == 0 or best <= bounds[left].min()):
            return best
        take *= 4
    return best
