"""The top of ``make_plan``'s ranking without pricing every offer: how ``placer replan`` scales to fleets.

``make_plan`` prices every offer so a plan can show every rejection. A fleet re-plan needs only each
profile's chosen placement and its alternatives, so this module finds exactly those, and proves it:

1. the profile's constraints filter the catalog's columns (array operations, no Python loop per offer);
2. every surviving (offer, pricing) pair gets a cheap *lower bound* on its cost and on its time or latency
   (ideal accelerator-hours for training; compute and memory floors on replicas for serving; the
   queue-free farm for builds), computed for all pairs at once;
3. pairs are examined in order of those bounds, and one physical estimate serves every pair that shares
   its *key* (the same hardware shape, context and pricing class: price only scales the cost);
4. a pair is placed in the ranking only once no unexamined pair's bound can rank before it, so the
   result is make_plan's own ranking, cut short (tests hold the two equal).

Placements of the chosen and the alternatives are then built by the same scorers ``make_plan`` uses.
What a shortlist does not have: the per-offer rejection list (only counts by reason, for the offers it
examined or filtered out) and the hint that an assumed-price offer would be cheaper.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np

from placer.catalog.columns import API, GPU, MAC, PRICINGS, Bools, Floats, Ints, OfferColumns, build_columns
from placer.catalog.models import ApiOffer, Catalog, GpuOffer, MacOffer, Region
from placer.estimate import inference as inference_model
from placer.estimate import training as training_model
from placer.estimate.apple_build import BuildLoad, job_minutes
from placer.estimate.egress import Egress, egress
from placer.estimate.queueing import TooManyServers, min_servers
from placer.placements import apple_build, inference, training
from placer.placements.common import Context, Rejected, pricing_options
from placer.plan import BudgetVerdict, CatalogRef, Placement, Plan, RejectionGroup, WorkloadRef
from placer.planner import (
    _KIND_REJECTS,
    PlanOptions,
    _check_names,
    _context,
    _filter,
    _metric,
    _plan_assumptions,
    _reference_speed,
    _warnings,
)
from placer.profile import AnyProfile, AppleBuildProfile, InferenceProfile, Objective, TrainingProfile

PER_TOKEN, RENTAL = 3, 4
PRICING_NAMES = (*PRICINGS, "per-token", "rental")
# what the plan shows the best of side by side (planner._family): a pricing, a way of serving, a kind of farm
FAMILIES = (*PRICINGS, "self-hosted", "hosted-api", "farm", "elastic")
SELF_HOSTED, HOSTED_API, FARM, ELASTIC = 3, 4, 5, 6
SAFETY = 1 - 1e-9  # bounds are shaded down so that rounding never lifts one above the exact figure
FIRST_WAVE = 64

RankKey = tuple[int, float, float, int, str, str]


@dataclass(frozen=True)
class Exact:
    cost: float
    metric: float
    instances: int


@dataclass
class Shortlist:
    """A plan cut to the chosen placement and its alternatives, with how much work finding them took."""

    plan: Plan
    candidates: int  # (offer, pricing) pairs that passed the profile's constraints
    examined: int  # pairs priced exactly; the rest provably could not enter the shortlist
    estimates: int  # physical estimates run (one serves every pair of a key)


@dataclass
class _Pairs:
    row: Ints
    pricing: Ints
    family: Ints  # index into FAMILIES
    assumed: Bools
    key: Ints
    cost_lb: Floats
    metric_lb: Floats
    egress_usd: Floats
    egress_hours: Floats
    rtt50: Floats = field(default_factory=lambda: np.zeros(0))  # per region code: users' mean RTT
    rtt95: Floats = field(default_factory=lambda: np.zeros(0))  # and worst
    serving: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # GPU serving shape (× zero price)


@dataclass
class _Counts:
    groups: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, code: str, count: int, example: str) -> None:
        if count:
            had, first = self.groups.get(code, (0, example))
            self.groups[code] = (had + count, first)

    def summary(self) -> list[RejectionGroup]:
        items = sorted(self.groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [RejectionGroup(code=code, count=count, example=example) for code, (count, example) in items]


class _Stream:
    """One family's pairs in order of their bound: (over-budget, assumed) group first, then the bound.
    Sorted a wave at a time, so a profile decided by its first few pairs never sorts the rest."""

    def __init__(self, members: Ints, group: Ints, primary: Floats, secondary: Floats, dead: Bools) -> None:
        self.dead = dead  # pairs rejected in bulk (their whole shape or key): skipped, never examined
        self.primary = primary
        self.secondary = secondary
        self.group = group
        self.rest = [members[group[members] == g] for g in range(4)]
        self.g = 0
        self.wave = FIRST_WAVE
        self.buffer: list[int] = []

    def _fill(self) -> None:
        while not self.buffer and self.g < 4:
            rest = self.rest[self.g]
            rest = rest[~self.dead[rest]]
            if rest.size == 0:
                self.g += 1
                continue
            k = min(self.wave, rest.size)
            self.wave *= 2
            if k < rest.size:  # the k smallest, and every pair tied with the largest of them
                values = self.primary[rest]
                edge = np.partition(values, k - 1)[k - 1]
                inside = values <= edge
                take, self.rest[self.g] = rest[inside], rest[~inside]
            else:
                take, self.rest[self.g] = rest, rest[:0]
            ordered = take[np.lexsort((self.secondary[take], self.primary[take]))]
            self.buffer = ordered[::-1].tolist()

    def peek(self) -> tuple[int, float, float] | None:
        while True:
            self._fill()
            if not self.buffer or not self.dead[self.buffer[-1]]:
                break
            self.buffer.pop()
        if not self.buffer:
            return None
        j = self.buffer[-1]
        return int(self.group[j]), float(self.primary[j]), float(self.secondary[j])

    def pop(self) -> int:
        return self.buffer.pop()


class Shortlister:
    """Built once per catalog (columns, lookups, caches), then asked for one shortlist per profile."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.columns: OfferColumns = build_columns(catalog)
        self.index = self.columns.index
        self._regions_ok: dict[tuple[str, ...], Bools] = {}
        self._rtt_rows: dict[str, Floats] = {}
        instance = []
        for o in self.columns.offers:
            instance.append(o.provider_model if isinstance(o, ApiOffer) else o.instance)
        self._instance = instance

    # --- public -----------------------------------------------------------------------------------------

    def shortlist(
        self, profile: AnyProfile, options: PlanOptions | None = None, *, file: str | None = None
    ) -> Shortlist:
        options = options or PlanOptions()
        allowed = _check_names(profile, self.index)
        ctx = _context(profile, self.index)
        reference_speed = _reference_speed(profile, self.index)
        objective: Objective = options.objective or profile.objective
        counts = _Counts()
        alive = self._filter(profile, allowed, counts)
        pairs = self._pairs(profile, ctx, reference_speed, alive, counts)
        search = _Search(self, profile, ctx, reference_speed, pairs, counts)
        limit = profile.budget.max_usd if profile.budget else None
        chosen, shown = search.run(objective, limit, options.alternatives)
        placements = [search.placement(j) for j in ([chosen, *shown] if chosen is not None else [])]
        feasible = {j for j, e in search.exact.items() if e is not None}
        total = placements[0].cost.total_usd if placements else None
        status = "none" if limit is None or total is None else ("over" if total > limit else "within")
        plan = Plan(
            workload=WorkloadRef(name=profile.name, kind=profile.kind, file=file),
            catalog=CatalogRef(
                as_of=self.catalog.as_of,
                offers_considered=self.columns.size,
                sources=list(options.sources),
                offers_feasible=len({int(pairs.row[j]) for j in feasible}),
                assumed_prices=sum(1 for j in feasible if pairs.assumed[j]),
            ),
            objective=objective,
            chosen=placements[0] if placements else None,
            alternatives=placements[1:],
            rejected=[],
            rejected_summary=counts.summary(),
            budget=BudgetVerdict(
                limit_usd=limit,
                total_usd=total,
                period="run" if isinstance(profile, TrainingProfile) else "month",
                status=status,
            ),
            assumptions=_plan_assumptions(profile, self.catalog),
            warnings=[*options.warnings, *_warnings(placements[:1])],
        )
        return Shortlist(plan, candidates=len(pairs.row), examined=search.examined, estimates=search.estimates)

    # --- filtering --------------------------------------------------------------------------------------

    def _example(self, mask: Bools, attribute: Ints, reason: Callable[[int], str]) -> str:
        """The reason of the most common value among the masked rows (e.g. the provider most rejected)."""
        values = attribute[mask]
        common = int(np.bincount(values - values.min()).argmax() + values.min())
        row = int(np.flatnonzero(mask & (attribute == common))[0])
        return reason(row)

    def _filter(self, profile: AnyProfile, allowed: set[str] | None, counts: _Counts) -> Bools:
        """Rows that pass the profile's constraints, in make_plan's order; the others are counted by reason."""
        cols = self.columns
        offers = cols.offers

        def why(row: int) -> str:
            try:
                _filter(offers[row], profile, self.index, allowed)
            except Rejected as exc:
                return exc.reason
            return "passes"  # pragma: no cover - only rejected rows are asked

        def reject(mask: Bools, code: str, attribute: Ints, reason: Callable[[int], str] = why) -> None:
            count = int(mask.sum())
            if count:
                counts.add(code, count, self._example(mask, attribute, reason))

        wrong_kind = np.isin(cols.kind, [{"gpu": GPU, "api": API, "mac": MAC}[k] for k in _KIND_REJECTS[profile.kind]])
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
            out = alive & ~self._region_mask(tuple(c.regions))[cols.region]
            reject(out, "region", cols.region_name)
            alive &= ~out
        if allowed is not None:
            hw_ok = np.array([k in allowed for k in cols.hardware_keys], dtype=np.bool_)
            out = alive & (cols.hardware >= 0) & ~hw_ok[np.maximum(cols.hardware, 0)]
            reject(out, "accelerator", cols.hardware)
            alive &= ~out
        return alive

    def _region_mask(self, patterns: tuple[str, ...]) -> Bools:
        mask = self._regions_ok.get(patterns)
        if mask is None:
            keys = self.columns.region_keys
            mask = np.array([self.index.region_matches(list(patterns), *k.split("/", 1)) for k in keys], dtype=np.bool_)
            self._regions_ok[patterns] = mask
        return mask

    # --- pairs and their bounds ---------------------------------------------------------------------------

    def _pairs(
        self, profile: AnyProfile, ctx: Context, reference_speed: float, alive: Bools, counts: _Counts
    ) -> _Pairs:
        cols = self.columns
        rows: list[Ints] = []
        pricing: list[Ints] = []
        if isinstance(profile, TrainingProfile | InferenceProfile):
            gpu = alive & (cols.kind == GPU)
            if isinstance(profile, InferenceProfile) and not profile.inference.self_hosted:
                self._reject_by_scorer(gpu, "serving", profile, ctx, counts)
                gpu = gpu & False
            wanted = [PRICINGS.index(p) for p in _wanted_pricings(profile)]
            has = np.zeros_like(gpu)
            for p in wanted:
                has |= ~np.isnan(cols.price[p])
            none = gpu & ~has
            if none.any():
                first = int(np.flatnonzero(none)[0])
                try:
                    pricing_options(cols.offers[first], profile.constraints)  # type: ignore[arg-type]
                    example = "no wanted price"  # pragma: no cover
                except Rejected as exc:
                    example = exc.reason
                counts.add("pricing", int(none.sum()), example)
            for p in wanted:
                take = np.flatnonzero(gpu & ~np.isnan(cols.price[p]))
                rows.append(take)
                pricing.append(np.full(take.size, p, dtype=np.int64))
        if isinstance(profile, InferenceProfile):
            api = alive & (cols.kind == API)
            wanted_models = {inference.model_key(n) for n in profile.inference.accept_models}
            if profile.model.name:
                wanted_models.add(inference.model_key(profile.model.name))
            model_ok = np.array([k in wanted_models for k in cols.model_keys], dtype=np.bool_)
            if not profile.inference.hosted_api:
                self._reject_by_scorer(api, "serving", profile, ctx, counts)
                api = api & False
            wrong = api & ~model_ok[np.maximum(cols.model, 0)]
            if wrong.any():
                self._reject_by_scorer(wrong, "model", profile, ctx, counts, cols.model)
            take = np.flatnonzero(api & ~wrong)
            rows.append(take)
            pricing.append(np.full(take.size, PER_TOKEN, dtype=np.int64))
        if isinstance(profile, AppleBuildProfile):
            take = np.flatnonzero(alive & (cols.kind == MAC))
            rows.append(take)
            pricing.append(np.full(take.size, RENTAL, dtype=np.int64))
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        price_code = np.concatenate(pricing) if pricing else np.zeros(0, dtype=np.int64)
        moves = self._moves(ctx)
        rel = self._relation(ctx, row)
        egress_usd = np.array([m.usd if m else 0.0 for m in moves])[rel]
        egress_hours = np.array([m.hours if m else 0.0 for m in moves])[rel]
        pairs = _Pairs(
            row=row,
            pricing=price_code,
            family=np.zeros(row.size, dtype=np.int64),
            assumed=np.zeros(row.size, dtype=np.bool_),
            key=np.zeros(row.size, dtype=np.int64),
            cost_lb=np.zeros(row.size),
            metric_lb=np.zeros(row.size),
            egress_usd=egress_usd,
            egress_hours=egress_hours,
        )
        if isinstance(profile, TrainingProfile):
            self._training_bounds(profile, pairs, rel)
        elif isinstance(profile, InferenceProfile):
            self._inference_bounds(profile, ctx, pairs, rel)
        else:
            self._build_bounds(profile, reference_speed, pairs)
        pairs.cost_lb = np.nan_to_num(pairs.cost_lb, nan=0.0) * SAFETY
        pairs.metric_lb = np.nan_to_num(pairs.metric_lb, nan=0.0) * SAFETY
        return pairs

    def _reject_by_scorer(
        self,
        mask: Bools,
        code: str,
        profile: AnyProfile,
        ctx: Context,
        counts: _Counts,
        attribute: Ints | None = None,
    ) -> None:
        if not mask.any():
            return
        cols = self.columns

        def why(row: int) -> str:
            offer = cols.offers[row]
            try:
                if isinstance(offer, ApiOffer) and isinstance(profile, InferenceProfile):
                    inference.score_api(offer, profile, ctx)
                elif isinstance(offer, GpuOffer) and isinstance(profile, InferenceProfile):
                    inference.gpu_figures(offer, profile, ctx)
            except Rejected as exc:
                return exc.reason
            return code  # pragma: no cover

        counts.add(code, int(mask.sum()), self._example(mask, attribute if attribute is not None else cols.kind, why))

    def _moves(self, ctx: Context) -> list[Egress | None]:
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

    def _relation(self, ctx: Context, row: Ints) -> Ints:
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

    def _training_bounds(self, profile: TrainingProfile, pairs: _Pairs, rel: Ints) -> None:
        cols = self.columns
        row, p = pairs.row, pairs.pricing
        precision = profile.model.precision
        rate = np.full(len(cols.hardware_keys), np.nan)
        for h, key in enumerate(cols.hardware_keys):
            hw = self.catalog.hardware.get(key)
            if hw is None or not hw.trains_llms:
                continue
            peak, mfu = hw.peak_tflops.get(precision), profile.training.mfu or hw.mfu.get(precision)
            if peak is not None and mfu is not None:
                rate[h] = peak * 1e12 * mfu * 3600  # FLOPs per accelerator-hour at full scaling and goodput
        acc_hours = profile.flops / rate[cols.hardware[row]]
        per = cols.per_instance[row]
        price = cols.price[p, row]
        pairs.cost_lb = acc_hours / per * price + pairs.egress_usd
        if profile.resources.count is not None:
            most = np.ceil(profile.resources.count / per) * per
        else:
            cap = np.minimum(np.floor(profile.resources.max_count / per), cols.max_instances[row])
            cap = np.where(cols.ethernet_or_small[row], np.minimum(cap, training_model.ETHERNET_MAX_INSTANCES), cap)
            most = np.maximum(cap, 1) * per
        pairs.metric_lb = acc_hours / most + pairs.egress_hours
        spot = np.where(p == PRICINGS.index("spot"), cols.spot_class[row], 0)
        n_spot = int(cols.spot_class.max(initial=0)) + 1
        pairs.key = ((cols.shape[row] * 3 + p) * n_spot + spot) * 3 + rel
        pairs.family = p.copy()
        pairs.assumed = cols.assumed[p, row]

    def _rtts(self, ctx: Context, region_codes: Ints) -> tuple[Floats, Floats]:
        """Mean and worst RTT from the profile's users to each region, as ``user_rtt`` computes them."""
        keys = self.columns.region_keys
        if not ctx.user_regions:
            return np.zeros(len(keys)), np.zeros(len(keys))
        rows = [self._rtt_row(user) for user in ctx.user_regions]
        total = rows[0].copy()
        for row in rows[1:]:
            total = total + row  # summed in the users' order, as sum() does
        return total / len(rows), np.max(np.stack(rows), axis=0)

    def _rtt_row(self, user: Region) -> Floats:
        """RTT from one user place to every region of the catalog, computed once per place and kept."""
        row = self._rtt_rows.get(user.key)
        if row is None:
            row = np.zeros(len(self.columns.region_keys))
            for code, key in enumerate(self.columns.region_keys):
                here = self.catalog.regions.get(key)
                if here is not None:
                    row[code] = self.index.rtt(user, here).ms
            self._rtt_rows[user.key] = row
        return row

    def _inference_bounds(self, profile: InferenceProfile, ctx: Context, pairs: _Pairs, rel: Ints) -> None:
        cols = self.columns
        spec = profile.inference
        row, p = pairs.row, pairs.pricing
        r50, r95 = self._rtts(ctx, cols.region[row])
        pairs.rtt50, pairs.rtt95 = r50, r95
        rtt95 = r95[cols.region[row]]
        gpu = p < PER_TOKEN
        model = inference.model_shape(profile)
        # GPU pairs: replicas × tensor-parallel ≥ what memory, prefill compute and decode compute need
        bw = np.full(len(cols.hardware_keys), np.nan)
        peak = np.full(len(cols.hardware_keys), np.nan)
        for h, key in enumerate(cols.hardware_keys):
            hw = self.catalog.hardware.get(key)
            if hw is None or hw.mem_bw_tbps is None or "bf16" not in hw.peak_tflops:
                continue
            bf16 = hw.peak_tflops["bf16"]
            bw[h] = hw.mem_bw_tbps
            peak[h] = hw.peak_tflops.get("fp8", bf16) if model.precision == "fp8" else bf16
        hwc = np.maximum(cols.hardware[row], 0)
        flops = peak[hwc] * 1e12
        per = cols.per_instance[row]
        mem = cols.memory_gb[row]
        context = spec.input_tokens + spec.output_tokens
        mean_ctx = spec.input_tokens + spec.output_tokens / 2
        kv = model.kv_bytes_per_token
        tp_min = np.full(row.size, np.nan)
        tp_max = np.ones(row.size)
        for tp in (16, 8, 4, 2, 1):
            fits = (tp <= per) & ((inference_model.USABLE_MEMORY * tp * mem * 1e9 - model.weight_bytes) >= context * kv)
            tp_min = np.where(fits, tp, tp_min)
        for tp in (1, 2, 4, 8, 16):
            tp_max = np.where(tp <= per, tp, tp_max)
        prefill = 2 * model.active_parameters * spec.input_tokens + model.attention_flops(spec.input_tokens)
        decode = 2 * model.active_parameters + model.attention_flops_per_token(mean_ctx)
        util = inference_model.MAX_UTILISATION
        need = np.maximum(
            tp_min,
            np.maximum(
                spec.requests_per_second * prefill / (flops * inference_model.EFF_PREFILL * util),
                spec.requests_per_second * spec.output_tokens * decode / (flops * inference_model.EFF_COMPUTE * util),
            ),
        )
        instances = np.maximum(1.0, np.ceil(need / per - 1e-9))
        hours = inference_model.HOURS_PER_MONTH * spec.hours_per_day / 24
        gpu_price = cols.price[np.minimum(p, 2), row]
        gpu_cost = instances * (gpu_price * hours) + pairs.egress_usd
        # no configuration is faster than the widest tensor-parallel group at batch 1 (its step is a lower bound)
        step = np.maximum(
            (model.weight_bytes + mean_ctx * kv) / (tp_max * bw[hwc] * 1e12 * inference_model.EFF_BANDWIDTH),
            decode / (tp_max * flops * inference_model.EFF_COMPUTE),
        )
        gpu_p95 = rtt95 + (prefill / (tp_max * flops * inference_model.EFF_PREFILL) + spec.output_tokens * step) * 1000
        # APIs: the estimate is a formula, so the bound is the figure itself (shaded by SAFETY)
        seconds = inference_model.HOURS_PER_MONTH * 3600 * spec.hours_per_day / 24
        requests = spec.mean_requests_per_second * seconds
        api_cost = requests * spec.input_tokens / 1e6 * cols.input_price[row] + (
            requests * spec.output_tokens / 1e6 * cols.output_price[row]
        )
        api_p95 = (
            rtt95
            + inference_model.API_P95_TTFT_FACTOR * cols.ttft_ms[row]
            + spec.output_tokens / cols.tokens_per_s[row] * 1000
        )
        pairs.cost_lb = np.where(gpu, gpu_cost, api_cost)
        pairs.metric_lb = np.where(gpu, gpu_p95, api_p95)
        # one estimate per (shape, zero price, user RTT) for GPUs; an API is its own key
        zero = (gpu_price == 0).astype(np.int64)
        gpu_key = (cols.shape[row] * 2 + zero) * len(cols.region_keys) + cols.region[row]
        pairs.key = np.where(gpu, gpu_key, -1 - row)
        pairs.serving = np.where(gpu, cols.shape[row] * 2 + zero, -1)
        pairs.family = np.where(gpu, SELF_HOSTED, HOSTED_API).astype(np.int64)
        pairs.assumed = np.where(gpu, cols.assumed[np.minimum(p, 2), row], cols.api_assumed[row])

    def _build_bounds(self, profile: AppleBuildProfile, reference_speed: float, pairs: _Pairs) -> None:
        cols = self.columns
        b = profile.build
        row = pairs.row
        load = BuildLoad(
            jobs_per_day=b.jobs_per_day,
            minutes_per_job=b.minutes_per_job,
            reference_speed=reference_speed,
            max_queue_wait_minutes=b.max_queue_wait_minutes,
            working_hours_per_day=b.working_hours_per_day,
            working_days_per_month=b.working_days_per_month,
        )
        minutes = np.full(len(cols.hardware_keys), np.nan)
        machines = np.full(len(cols.hardware_keys), np.nan)
        for h in np.unique(cols.hardware[row]).tolist():
            hw = self.catalog.hardware.get(cols.hardware_keys[h])
            if hw is None or hw.build_speed is None:
                continue
            minutes[h] = job_minutes(load, hw.build_speed)
            with suppress(TooManyServers):  # the scorer rejects such a farm when it is examined
                machines[h] = min_servers(
                    b.jobs_per_day / b.working_hours_per_day, minutes[h] / 60, b.max_queue_wait_minutes / 60, 0.95
                )
        job = minutes[np.maximum(cols.hardware[row], 0)]
        elastic = cols.elastic[row]
        days = b.working_days_per_month
        leased = np.full(row.size, np.inf)
        if b.working_hours_per_day < 24:
            lease = np.maximum(np.nan_to_num(cols.hour_min_lease[row], nan=0.0), b.working_hours_per_day)
            leased = np.nan_to_num(days * lease * cols.hour_price[row], nan=np.inf)
        per_machine = np.fmin(np.nan_to_num(cols.held_month[row], nan=np.inf), leased)
        farm = machines[np.maximum(cols.hardware[row], 0)] * np.where(np.isinf(per_machine), 0.0, per_machine)
        startup = cols.startup_minutes[row]
        runner = b.jobs_per_day * days * (job + startup) * cols.minute_price[row]
        pairs.cost_lb = np.where(elastic, runner, farm)
        pairs.metric_lb = np.where(elastic, startup + job, job) * 60_000
        pairs.key = -1 - row
        pairs.family = np.where(elastic, ELASTIC, FARM).astype(np.int64)
        pairs.assumed = cols.mac_assumed[row]


def _groups(values: Ints) -> tuple[Ints, Ints, Ints]:
    """np.unique(values, return_index=True, return_inverse=True) for small non-negative ints, without a sort."""
    size = int(values.max(initial=-1)) + 1
    first = np.full(size, -1, dtype=np.int64)
    first[values[::-1]] = np.arange(values.size - 1, -1, -1)  # the last write wins: each value's first index
    present = np.flatnonzero(first >= 0)
    position = np.full(size, -1, dtype=np.int64)
    position[present] = np.arange(present.size)
    return present, first[present], position[values]


def _wanted_pricings(profile: TrainingProfile | InferenceProfile) -> list[str]:
    c = profile.constraints
    if c.spot == "only":
        return ["spot"]
    wanted = ["on-demand"]
    if c.spot == "allow":
        wanted.append("spot")
    if c.reserved == "allow":
        wanted.append("reserved")
    return wanted


class _Search:
    """Examines pairs in bound order and yields make_plan's ranking one verified placement at a time."""

    def __init__(
        self,
        engine: Shortlister,
        profile: AnyProfile,
        ctx: Context,
        reference_speed: float,
        pairs: _Pairs,
        counts: _Counts,
    ) -> None:
        self.engine = engine
        self.profile = profile
        self.ctx = ctx
        self.reference_speed = reference_speed
        self.pairs = pairs
        self.counts = counts
        self.exact: dict[int, Exact | None] = {}
        self.keyed: dict[int, tuple[float, int, float] | Rejected] = {}  # GPU key -> (scale, instances, metric)
        self.placed: dict[int, Placement] = {}
        self.examined = 0
        self.estimates = 0
        self.dead = np.zeros(len(pairs.row), dtype=np.bool_)
        self.looked = np.zeros(len(pairs.row), dtype=np.bool_)
        self.served: dict[int, tuple[int, float] | Rejected] = {}  # serving shape -> (instances, p95 at no RTT)
        self.slo_floor: dict[int, float] = {}  # serving shape -> least user RTT at which the SLO was missed

    # --- exact figures ------------------------------------------------------------------------------------

    def _offer(self, j: int) -> GpuOffer | ApiOffer | MacOffer:
        return self.engine.columns.offers[int(self.pairs.row[j])]

    def _price(self, j: int) -> float:
        return float(self.engine.columns.price[int(self.pairs.pricing[j]), int(self.pairs.row[j])])

    def _key_estimate(self, j: int) -> tuple[float, int, float] | Rejected:
        """(the factor price multiplies, instances, metric before the copy) for pair j's key."""
        key = int(self.pairs.key[j])
        known = self.keyed.get(key)
        if known is not None:
            return known
        self.estimates += 1
        offer = self._offer(j)
        assert isinstance(offer, GpuOffer)
        pricing = PRICINGS[int(self.pairs.pricing[j])]
        result: tuple[float, int, float] | Rejected
        try:
            if isinstance(self.profile, TrainingProfile):
                hw, peak, mfu = training.figures(offer, self.profile, self.ctx)
                move = self.engine._moves(self.ctx)[int(self.engine._relation(self.ctx, self.pairs.row[j : j + 1])[0])]
                rate = training.spot_rate(offer, self.ctx)[0] if pricing == "spot" else 0.0
                acc = training.accelerator(offer, hw, peak, mfu, self._price(j), rate)
                try:
                    est = training_model.estimate(acc, training.job(self.profile, move))
                except training_model.Infeasible as exc:
                    raise Rejected(exc.reason, exc.code) from None
                result = (est.wall_hours, est.instances, est.wall_hours)
            else:
                assert isinstance(self.profile, InferenceProfile)
                _, bandwidth, peak = inference.gpu_figures(offer, self.profile, self.ctx)
                code = int(self.engine.columns.region[int(self.pairs.row[j])])
                load = inference.load(self.profile, float(self.pairs.rtt50[code]), float(self.pairs.rtt95[code]))
                figures = inference.hardware(offer, bandwidth, peak, self._price(j))
                try:
                    serving = inference_model.estimate(inference.model_shape(self.profile), load, figures)
                except inference_model.Infeasible as exc:
                    raise Rejected(exc.reason, exc.code) from None
                result = (float(serving.instances), serving.instances, serving.p95_ms)
        except Rejected as exc:
            result = exc
        self.keyed[key] = result
        return result

    def _kill(self, mask: Bools, rejected: Rejected) -> None:
        """Reject every pair in ``mask`` not yet looked at, for one reason that holds for all of them."""
        fresh = mask & ~self.dead & ~self.looked
        self.counts.add(rejected.code, int(fresh.sum()), rejected.reason)
        self.dead |= mask

    def _served(self, j: int) -> tuple[int, float] | Rejected:
        """The serving estimate of pair j's shape with users at no distance: (instances, p95 without RTT).

        A nearer user never needs more: so a shape that fails here fails everywhere, and where RTT + this
        p95 still meets the SLO, the same configuration is the cheapest at that RTT too."""
        group = int(self.pairs.serving[j])
        known = self.served.get(group)
        if known is not None:
            return known
        self.estimates += 1
        offer = self._offer(j)
        assert isinstance(offer, GpuOffer)
        assert isinstance(self.profile, InferenceProfile)
        result: tuple[int, float] | Rejected
        try:
            _, bandwidth, peak = inference.gpu_figures(offer, self.profile, self.ctx)
            figures = inference.hardware(offer, bandwidth, peak, self._price(j))
            try:
                est = inference_model.estimate(
                    inference.model_shape(self.profile), inference.load(self.profile, 0.0, 0.0), figures
                )
            except inference_model.Infeasible as exc:
                raise Rejected(exc.reason, exc.code) from None
            result = (est.instances, est.p95_ms)
        except Rejected as exc:
            result = exc
            self._kill(self.pairs.serving == group, exc)
        self.served[group] = result
        return result

    def _serving(self, j: int) -> Exact | None:
        assert isinstance(self.profile, InferenceProfile)
        spec = self.profile.inference
        base = self._served(j)
        if isinstance(base, Rejected):
            self.counts.add(base.code, 1, base.reason)
            return None
        instances, p95 = base
        price, extra = self._price(j), float(self.pairs.egress_usd[j])
        hours = inference_model.HOURS_PER_MONTH * spec.hours_per_day / 24
        rtt95 = float(self.pairs.rtt95[int(self.engine.columns.region[int(self.pairs.row[j])])])
        slo = spec.slo.p95_latency_ms
        if slo is None or rtt95 + p95 <= slo:
            return Exact(instances * (price * hours) + extra, rtt95 + p95, instances)
        group = int(self.pairs.serving[j])
        if rtt95 >= self.slo_floor.get(group, np.inf):
            self.counts.add("slo", 1, f"p95 latency over the SLO of {slo:,.0f} ms from {rtt95:,.0f} ms away")
            return None
        got = self._key_estimate(j)
        if isinstance(got, Rejected):
            if got.code == "slo":
                self.slo_floor[group] = min(self.slo_floor.get(group, np.inf), rtt95)
            self.counts.add(got.code, 1, got.reason)
            return None
        _, instances, metric = got
        return Exact(instances * (price * hours) + extra, metric, instances)

    def figures(self, j: int) -> Exact | None:
        """Pair j's exact cost, metric and instance count (as make_plan's placement has them), or None."""
        if j in self.exact:
            return self.exact[j]
        self.examined += 1
        self.looked[j] = True
        value: Exact | None = None
        if self.pairs.pricing[j] < PER_TOKEN and isinstance(self.profile, InferenceProfile):
            value = self._serving(j)
        elif self.pairs.pricing[j] < PER_TOKEN:
            got = self._key_estimate(j)
            if isinstance(got, Rejected):
                self.counts.add(got.code, 1, got.reason)
                self._kill(self.pairs.key == self.pairs.key[j], got)
            else:
                wall, instances, _ = got
                compute = wall * instances * self._price(j)  # the order training.estimate multiplies in
                moved = float(self.pairs.egress_hours[j])
                metric = wall + moved if self._moved() else wall
                value = Exact(compute + float(self.pairs.egress_usd[j]), metric, instances)
        else:
            self.estimates += 1
            try:
                placement = self._score(j)[0]
            except Rejected as exc:
                self.counts.add(exc.code, 1, exc.reason)
            else:
                self.placed[j] = placement
                value = Exact(placement.cost.total_usd, _metric(placement), placement.instances or 0)
        self.exact[j] = value
        return value

    def _moved(self) -> bool:
        return self.ctx.data_region is not None

    def _score(self, j: int) -> list[Placement]:
        offer, profile = self._offer(j), self.profile
        if isinstance(offer, ApiOffer) and isinstance(profile, InferenceProfile):
            return inference.score_api(offer, profile, self.ctx)
        if isinstance(offer, MacOffer) and isinstance(profile, AppleBuildProfile):
            return apple_build.score(offer, profile, self.ctx, self.reference_speed)
        if isinstance(offer, GpuOffer) and isinstance(profile, TrainingProfile):
            return training.score(offer, profile, self.ctx)
        if isinstance(offer, GpuOffer) and isinstance(profile, InferenceProfile):
            return inference.score_gpu(offer, profile, self.ctx)
        raise AssertionError("pair of an offer kind this workload does not use")  # pragma: no cover

    def placement(self, j: int) -> Placement:
        """The placement make_plan builds for pair j, from the same scorer."""
        if j in self.placed:
            return self.placed[j]
        pricing = PRICING_NAMES[int(self.pairs.pricing[j])]
        placement = next(p for p in self._score(j) if p.pricing == pricing)
        figures = self.exact[j]
        if figures is None or placement.cost.total_usd != figures.cost:
            raise AssertionError(f"shortlist and scorer disagree on {placement.offer} ({pricing})")
        return placement

    # --- ranking -------------------------------------------------------------------------------------------

    def _dedupe(self, j: int) -> tuple[str, str, str]:
        row = int(self.pairs.row[j])
        return (
            self.engine.columns.offers[row].provider,
            self.engine._instance[row],
            PRICING_NAMES[int(self.pairs.pricing[j])],
        )

    def _order(
        self, primary_lb: Floats, group_lb: Ints, key: Callable[[int, Exact], RankKey], secondary_lb: Floats
    ) -> Callable[[Sequence[int]], tuple[RankKey, int] | None]:
        """A generator-like function: each call returns the next pair in rank order among the given families."""
        family = self.pairs.family
        families = np.unique(family).tolist()
        streams = {
            f: _Stream(np.flatnonzero(family == f), group_lb, primary_lb, secondary_lb, self.dead) for f in families
        }
        heaps: dict[int, list[tuple[RankKey, int]]] = {f: [] for f in families}

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
                figures = self.figures(j)
                if figures is not None:
                    heapq.heappush(heaps[f], (key(j, figures), j))

        return step

    def _minimum(self, bounds: Floats, pick: Callable[[Exact], float]) -> float | None:
        """The least exact figure over all pairs (the balanced objective normalises by it)."""
        zero = np.zeros(len(self.pairs.row), dtype=np.int64)

        def key(j: int, e: Exact) -> RankKey:
            return (0, pick(e), 0.0, 0, "", "")

        first = self._order(bounds, zero, key, np.zeros(len(self.pairs.row)))(np.unique(self.pairs.family).tolist())
        return first[0][1] if first else None

    def _prime(self) -> None:
        """One estimate per GPU key (training) or serving shape (inference), before any ranking: it turns the
        analytic bounds of every pair sharing it into (near-)exact ones, and rejects a failing shape in bulk,
        so the search pops little more than the shortlist itself."""
        pairs = self.pairs
        gpu = np.flatnonzero(pairs.pricing < PER_TOKEN)
        if gpu.size == 0:
            return
        price = self.engine.columns.price[pairs.pricing[gpu], pairs.row[gpu]]
        if isinstance(self.profile, InferenceProfile):
            groups, first, where = _groups(pairs.serving[gpu])
            counts = np.full(groups.size, np.nan)
            base = np.full(groups.size, np.nan)
            for g, at in enumerate(first.tolist()):
                got = self._served(int(gpu[at]))
                if not isinstance(got, Rejected):
                    counts[g], base[g] = got
            hours = inference_model.HOURS_PER_MONTH * self.profile.inference.hours_per_day / 24
            scale = counts[where.reshape(-1)] * hours
            # where RTT + the shape's p95 meets the SLO (or there is none), that sum is the pair's p95
            p95 = pairs.rtt95[self.engine.columns.region[pairs.row[gpu]]] + base[where.reshape(-1)]
            slo = self.profile.inference.slo.p95_latency_ms
            sure = ~np.isnan(p95) & ((p95 <= slo) if slo is not None else True)
            pairs.metric_lb[gpu] = np.where(sure, np.fmax(pairs.metric_lb[gpu], p95 * SAFETY), pairs.metric_lb[gpu])
        else:
            keys, first, where = _groups(pairs.key[gpu])
            hours_of = np.full(keys.size, np.nan)
            wall_of = np.full(keys.size, np.nan)
            for k, at in enumerate(first.tolist()):
                trained = self._key_estimate(int(gpu[at]))
                if isinstance(trained, Rejected):
                    self._kill(pairs.key == keys[k], trained)
                else:
                    hours_of[k], wall_of[k] = trained[0] * trained[1], trained[2]
            scale = hours_of[where.reshape(-1)]
            wall = wall_of[where.reshape(-1)]
            pairs.metric_lb[gpu] = np.fmax(pairs.metric_lb[gpu], (wall + pairs.egress_hours[gpu]) * SAFETY)
        refined = (scale * price + pairs.egress_usd[gpu]) * SAFETY
        pairs.cost_lb[gpu] = np.fmax(pairs.cost_lb[gpu], refined)
        slo = self.profile.inference.slo.p95_latency_ms if isinstance(self.profile, InferenceProfile) else None
        if slo is not None:  # too far from the users for even the fastest configuration: rejected in bulk
            far = np.zeros(len(pairs.row), dtype=np.bool_)
            far[gpu] = pairs.metric_lb[gpu] > slo
            self._kill(far, Rejected(f"p95 latency over the SLO of {slo:,.0f} ms even at batch 1", "slo"))

    def run(self, objective: Objective, limit: float | None, count: int) -> tuple[int | None, list[int]]:
        pairs = self.pairs
        if len(pairs.row) == 0:
            return None, []
        self._prime()
        over_lb = (pairs.cost_lb > limit) if limit is not None else np.zeros(len(pairs.row), dtype=np.bool_)
        group = over_lb.astype(np.int64) * 2 + pairs.assumed.astype(np.int64)
        offers = self.engine.columns.offers

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
            least_cost = self._minimum(pairs.cost_lb, lambda e: e.cost)
            least_metric = self._minimum(pairs.metric_lb, lambda e: e.metric)
            if least_cost is None or least_metric is None:
                return None, []
            c0, m0 = least_cost or 1.0, least_metric or 1.0
            primary = pairs.cost_lb / c0 + pairs.metric_lb / m0
            secondary = pairs.cost_lb

            def key(j: int, e: Exact) -> RankKey:
                return (grouped(j, e), e.cost / c0 + e.metric / m0, e.cost, *tail(j, e))

        step = self._order(primary, group, key, secondary)
        everyone: list[int] = np.unique(pairs.family).tolist()
        first = step(everyone)
        if first is None:
            return None, []
        chosen = first[1]
        seen = {self._dedupe(chosen)}
        families = {int(pairs.family[chosen])}
        shown: list[int] = []
        active: Sequence[int] = everyone
        while count > 0 and active:
            item = step(active)
            if item is None:
                break
            j = item[1]
            dedupe = self._dedupe(j)
            if dedupe in seen:
                continue
            if len(shown) < count or int(pairs.family[j]) not in families:
                seen.add(dedupe)
                families.add(int(pairs.family[j]))
                shown.append(j)
            if len(shown) >= count:
                active = [f for f in everyone if f not in families]
        return chosen, shown


def shortlist(
    profile: AnyProfile, catalog: Catalog, options: PlanOptions | None = None, *, file: str | None = None
) -> Shortlist:
    """One profile; for many, build a Shortlister once and call its ``shortlist`` per profile."""
    return Shortlister(catalog).shortlist(profile, options, file=file)
