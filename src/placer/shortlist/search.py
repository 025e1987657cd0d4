"""The exact figures of (offer, pricing) pairs for one profile: one physical estimate per key or serving shape,
shared by every pair of it, and rejections in bulk where one reason holds for many pairs. The order in which
pairs are asked for is placer.shortlist.ranking's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from placer.catalog.columns import PRICINGS, Bools, Floats, Ints
from placer.catalog.models import ApiOffer, GpuOffer, MacOffer
from placer.estimate import inference as inference_model
from placer.estimate import training as training_model
from placer.placements import apple_build, inference, training
from placer.placements.common import Context, Rejected
from placer.plan import Placement
from placer.planner import ranking_metric
from placer.profile import AnyProfile, AppleBuildProfile, InferenceProfile, TrainingProfile
from placer.shortlist.market import Market
from placer.shortlist.pairs import PER_TOKEN, PRICING_NAMES, SAFETY, Counts, Pairs
from placer.shortlist.stream import group_index


@dataclass(frozen=True)
class Exact:
    cost: float
    metric: float
    instances: int


class Search:
    """One profile's pairs: their exact figures on demand, the placements make_plan builds for them, and what was
    rejected (``dead``) or no longer needs pricing (``gone``: dead, or a copy of a product already ranked)."""

    def __init__(
        self,
        market: Market,
        profile: AnyProfile,
        ctx: Context,
        reference_speed: float,
        pairs: Pairs,
        counts: Counts,
    ) -> None:
        self.market = market
        self.moves = market.moves(ctx)
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
        self.gone = np.zeros(len(pairs.row), dtype=np.bool_)  # dead, or a duplicate of a pair already ranked
        self.looked = np.zeros(len(pairs.row), dtype=np.bool_)
        self.served: dict[int, tuple[int, float] | Rejected] = {}  # serving shape -> (instances, p95 at no RTT)
        self.slo_floor: dict[int, float] = {}  # serving shape -> least user RTT at which the SLO was missed
        self._shared_at: dict[tuple[str, str], inference_model.SharedWork] = {}  # users' RTT -> estimates there
        self._jobs: dict[int, training_model.TrainingJob] = {}  # relation to the data's region -> the job

    # --- exact figures ------------------------------------------------------------------------------------

    def _offer(self, j: int) -> GpuOffer | ApiOffer | MacOffer:
        return self.market.columns.offers[int(self.pairs.row[j])]

    def _price(self, j: int) -> float:
        return float(self.market.columns.price[int(self.pairs.pricing[j]), int(self.pairs.row[j])])

    def _key_estimate(self, j: int) -> tuple[float, int, float] | Rejected:
        """(the factor price multiplies, instances, metric before the copy) for pair j's key."""
        key = self._key_of(j)
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
                rate = training.spot_source(offer, self.ctx)[0] if pricing == "spot" else 0.0
                acc = training.accelerator(offer, hw, peak, mfu, self._price(j), rate)
                try:
                    est = training_model.estimate(acc, self._job(int(self.pairs.rel[j])))
                except training_model.Infeasible as exc:
                    raise Rejected(exc.reason, exc.code) from None
                result = (est.wall_hours, est.instances, est.wall_hours)
            else:
                assert isinstance(self.profile, InferenceProfile)
                _, bandwidth, peak = inference.gpu_figures(offer, self.profile, self.ctx)
                code = int(self.market.columns.region[int(self.pairs.row[j])])
                shared = self.shared_at(float(self.pairs.rtt50[code]), float(self.pairs.rtt95[code]))
                figures = inference.hardware(offer, bandwidth, peak, self._price(j))
                try:
                    serving = inference_model.estimate(shared.model, shared.load, figures, shared)
                except inference_model.Infeasible as exc:
                    raise Rejected(exc.reason, exc.code) from None
                result = (float(serving.instances), serving.instances, serving.p95_ms)
        except Rejected as exc:
            result = exc.kept()
        self.keyed[key] = result
        return result

    def _job(self, rel: int) -> training_model.TrainingJob:
        """The training job with the data's copy for this relation to its region: one per relation, not per key."""
        job = self._jobs.get(rel)
        if job is None:
            assert isinstance(self.profile, TrainingProfile)
            job = self._jobs[rel] = training.job(self.profile, self.moves[rel])
        return job

    def _key_of(self, j: int) -> int:
        """Pair j's key: training's are listed with the pairs; a GPU serving pair's is (serving shape, users' RTT),
        which only the region decides."""
        if isinstance(self.profile, InferenceProfile):
            region = int(self.market.columns.region[int(self.pairs.row[j])])
            return int(self.pairs.serving[j]) * len(self.market.columns.region_keys) + region
        return int(self.pairs.key[j])

    def shared_at(self, rtt50: float, rtt95: float) -> inference_model.SharedWork:
        """The estimates with users this far share their per-accelerator work (kept by the RTTs' bits, so 0.0
        and -0.0 are two places)."""
        assert isinstance(self.profile, InferenceProfile)
        key = (rtt50.hex(), rtt95.hex())
        shared = self._shared_at.get(key)
        if shared is None:
            load = inference.load(self.profile, rtt50, rtt95)
            shared = self._shared_at[key] = inference_model.SharedWork(inference.model_shape(self.profile), load)
        return shared

    def _kill(self, mask: Bools, rejected: Rejected) -> None:
        """Reject every pair in ``mask`` not yet looked at, for one reason that holds for all of them."""
        fresh = mask & ~self.dead & ~self.looked
        self.counts.add(rejected.code, int(fresh.sum()), rejected.reason)
        self.dead |= mask
        self.gone |= mask

    def _served(self, j: int, kill: bool = True) -> tuple[int, float] | Rejected:
        """The serving estimate of pair j's shape with users at no distance: (instances, p95 without RTT).

        A nearer user never needs more: so a shape that fails here fails everywhere, and where RTT + this
        p95 still meets the SLO, the same configuration is the cheapest at that RTT too. A failing shape's
        pairs are rejected with it, unless the caller (priming, many shapes at once) does that itself."""
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
            shared = self.shared_at(0.0, 0.0)  # users at no distance
            try:
                est = inference_model.estimate(shared.model, shared.load, figures, shared)
            except inference_model.Infeasible as exc:
                raise Rejected(exc.reason, exc.code) from None
            result = (est.instances, est.p95_ms)
        except Rejected as exc:
            result = exc.kept()
            if kill:
                shape = np.zeros(len(self.pairs.row), dtype=np.bool_)
                shape[: self.pairs.n_gpu] = self.pairs.serving == group
                self._kill(shape, exc)
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
        rtt95 = float(self.pairs.rtt95[int(self.market.columns.region[int(self.pairs.row[j])])])
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
                if isinstance(self.profile, AppleBuildProfile):
                    self._kill_like_builds(j, exc)
            else:
                self.placed[j] = placement
                value = Exact(placement.cost.total_usd, ranking_metric(placement), placement.instances or 0)
        self.exact[j] = value
        return value

    def _kill_like_builds(self, j: int, rejected: Rejected) -> None:
        """A Mac rejected for its memory, or a farm too large for its chip, says the same of every Mac pair that
        reaches that check with the same figure: those are rejected in bulk, in the scorer's words."""
        assert isinstance(self.profile, AppleBuildProfile)
        cols, rows = self.market.columns, self.pairs.row
        chips, memory, timed = cols.hardware[rows], self._mac_memory, self._timed
        need = self.profile.build.min_memory_gb
        if rejected.code == "memory":
            same = np.isnan(memory) if np.isnan(memory[j]) else memory == memory[j]
            self._kill(timed & same, rejected)
        elif rejected.code == "capacity":
            fits = np.ones(rows.size, dtype=np.bool_) if need is None else ~np.isnan(memory) & (memory >= need)
            leases = ~np.isnan(cols.held_month[rows])
            self._kill((chips == chips[j]) & ~cols.elastic[rows] & fits & leases, rejected)

    @cached_property
    def _mac_memory(self) -> Floats:
        """Each pair's Mac memory in GB, NaN when not listed."""
        offers = self.market.columns.offers
        return np.array([_memory(offers[r]) for r in self.pairs.row.tolist()], dtype=np.float64)

    @cached_property
    def _timed(self) -> Bools:
        """Pairs past the build scorer's first check: their chip has a build-speed figure."""
        cols, hardware = self.market.columns, self.market.catalog.hardware
        known = [(hw := hardware.get(k)) is not None and hw.build_speed is not None for k in cols.hardware_keys]
        return np.array([*known, False], dtype=np.bool_)[cols.hardware[self.pairs.row]]  # -1 (no chip): False

    def _moved(self) -> bool:
        return self.ctx.data_region is not None

    def _score(self, j: int, only: str | None = None) -> list[Placement]:
        offer, profile = self._offer(j), self.profile
        if isinstance(offer, ApiOffer) and isinstance(profile, InferenceProfile):
            return inference.score_api(offer, profile, self.ctx)
        if isinstance(offer, MacOffer) and isinstance(profile, AppleBuildProfile):
            return apple_build.score(offer, profile, self.ctx, self.reference_speed)
        if isinstance(offer, GpuOffer) and isinstance(profile, TrainingProfile):
            return training.score(offer, profile, self.ctx, only)
        if isinstance(offer, GpuOffer) and isinstance(profile, InferenceProfile):
            return inference.score_gpu(offer, profile, self.ctx, self.shared_at, only)
        raise AssertionError("pair of an offer kind this workload does not use")  # pragma: no cover

    def placement(self, j: int) -> Placement:
        """The placement make_plan builds for pair j, from the same scorer."""
        if j in self.placed:
            return self.placed[j]
        pricing = PRICING_NAMES[int(self.pairs.pricing[j])]
        placement = next(p for p in self._score(j, pricing) if p.pricing == pricing)
        figures = self.exact[j]
        if figures is None or placement.cost.total_usd != figures.cost:
            raise AssertionError(f"shortlist and scorer disagree on {placement.offer} ({pricing})")
        return placement

    def _reject_whole(self, where: Ints, groups: int, failures: list[tuple[int, Rejected]]) -> None:
        """Reject every GPU pair of each failed group (shape or key; ``where`` is each GPU pair's group), counted in
        the order the groups failed, in one pass: _kill's count, as nothing is examined or rejected while priming."""
        if not failures:
            return
        sizes = np.bincount(where, minlength=groups)
        failed = np.zeros(groups, dtype=np.bool_)
        for g, rejected in failures:
            self.counts.add(rejected.code, int(sizes[g]), rejected.reason)
            failed[g] = True
        gpu = slice(0, self.pairs.n_gpu)
        self.dead[gpu] |= failed[where]
        self.gone[gpu] |= failed[where]

    def prime(self) -> None:
        """One estimate per GPU key (training) or serving shape (inference), before any ranking: it turns the
        analytic bounds of every pair sharing it into (near-)exact ones, and rejects a failing shape in bulk,
        so the search pops little more than the shortlist itself."""
        pairs = self.pairs
        n_gpu = pairs.n_gpu
        if n_gpu == 0:
            return
        gpu = slice(0, n_gpu)  # build_pairs lists GPU pairs first: a view, not a gather
        price = pairs.gpu_price
        if isinstance(self.profile, InferenceProfile):
            groups, first, where = group_index(pairs.serving[gpu])
            where = where.reshape(-1)
            counts = np.full(groups.size, np.nan)
            base = np.full(groups.size, np.nan)
            failures: list[tuple[int, Rejected]] = []
            for g, at in enumerate(first.tolist()):
                got = self._served(at, kill=False)
                if isinstance(got, Rejected):
                    failures.append((g, got))
                else:
                    counts[g], base[g] = got
            self._reject_whole(where, groups.size, failures)
            hours = inference_model.HOURS_PER_MONTH * self.profile.inference.hours_per_day / 24
            instances = counts[where]
            scale = instances * hours
            # where RTT + the shape's p95 meets the SLO (or there is none), that sum is the pair's p95
            p95 = pairs.rtt95_gpu + base[where]
            slo = self.profile.inference.slo.p95_latency_ms
            sure = (p95 <= slo) if slo is not None else ~np.isnan(p95)  # NaN (a rejected shape) is never sure
            # ... and its cost is _serving's, computed in the same order: exact bounds, so pairs tied on one
            # figure are told apart by the other without pricing each
            exact_cost = instances * (price * hours) + pairs.egress_usd[gpu]
            np.copyto(pairs.metric_lb[gpu], p95, where=sure)
            bound = scale * price
            bound += pairs.egress_usd[gpu]
            bound *= SAFETY
            np.fmax(pairs.cost_lb[gpu], bound, out=pairs.cost_lb[gpu])
            np.copyto(pairs.cost_lb[gpu], exact_cost, where=sure)
        else:
            keys, first, where = group_index(pairs.key[gpu])
            where = where.reshape(-1)
            hours_of = np.full(keys.size, np.nan)
            wall_of = np.full(keys.size, np.nan)
            failures = []
            for k, at in enumerate(first.tolist()):
                trained = self._key_estimate(at)
                if isinstance(trained, Rejected):
                    failures.append((k, trained))
                else:
                    hours_of[k], wall_of[k] = trained[0] * trained[1], trained[2]
            self._reject_whole(where, keys.size, failures)
            scale = hours_of[where]
            wall = wall_of[where]
            # a primed key's figures are figures()'s own, computed in the same order: exact bounds, so pairs
            # tied on one figure (the same shape's wall time in every region) are told apart by the other
            known = ~np.isnan(wall)
            metric = wall + pairs.egress_hours[gpu]
            cost = scale * price + pairs.egress_usd[gpu]
            np.copyto(pairs.metric_lb[gpu], metric, where=known)
            np.copyto(pairs.cost_lb[gpu], cost, where=known)
        slo = self.profile.inference.slo.p95_latency_ms if isinstance(self.profile, InferenceProfile) else None
        if slo is not None:  # too far from the users for even the fastest configuration: rejected in bulk
            far = np.zeros(len(pairs.row), dtype=np.bool_)
            far[gpu] = pairs.metric_lb[gpu] > slo
            self._kill(far, Rejected(f"p95 latency over the SLO of {slo:,.0f} ms even at batch 1", "slo"))


def _memory(offer: GpuOffer | ApiOffer | MacOffer) -> float:
    return np.nan if not isinstance(offer, MacOffer) or offer.memory_gb is None else offer.memory_gb
