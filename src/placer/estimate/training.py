"""Training time and cost: C = 6·N·D over n accelerators at a calibrated MFU, with fabric and goodput losses.

    wall = C · (1 + lost) / (n · peak · MFU · scaling)

``lost`` is the share of time redone after failures (Llama 3 405B: 466 interruptions in 54 days on
16,384 GPUs) and spot preemptions, each costing half a checkpoint interval plus a restart. ``spot_overhead``
states the preemption part on its own, for the spot-versus-on-demand trade a plan shows.
MFU figures from published runs were measured at scale on RDMA fabrics, so InfiniBand and RoCE take no
extra scaling loss; other fabrics do, and plain Ethernet is not credible for training beyond a few nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from placer.catalog.models import Interconnect

BYTES_PER_PARAM_ADAM = 16.0  # bf16 weights + grads, fp32 master weights + two Adam moments
MEMORY_HEADROOM = 0.8  # share of accelerator memory left for states; the rest holds activations
FAILURES_PER_ACCEL_HOUR = 466 / (16384 * 54 * 24)  # Llama 3 405B run (arXiv 2407.21783)
FABRIC_SCALING: dict[Interconnect, float] = {
    "infiniband": 1.0,
    "roce": 1.0,
    "efa": 0.97,
    "tcpx": 0.93,
    "ethernet": 0.8,
}
ETHERNET_MAX_INSTANCES = 4
SMALL_INSTANCE = 4  # instances with fewer accelerators have no NVLink domain worth sharding a big model across
DEFAULT_TARGET_HOURS = 720.0
HOURS_PER_MONTH = 730.0  # spot interruption rates are per instance-month
DEFAULT_CHECKPOINT_INTERVAL_MINUTES = 30.0  # assumption: large runs checkpoint every 15-100 min
DEFAULT_RESTART_MINUTES = 10.0  # assumption: reschedule, reload the checkpoint, re-form the collectives

ASSUMPTIONS = (
    f"memory: {BYTES_PER_PARAM_ADAM:g} bytes/parameter (mixed-precision Adam), fully sharded, "
    f"{1 - MEMORY_HEADROOM:.0%} of memory kept for activations",
    f"failures: {FAILURES_PER_ACCEL_HOUR:.3g} per accelerator-hour (Llama 3 405B: 466 in 54 days on 16,384 GPUs)",
    "multi-node scaling: InfiniBand/RoCE 1.0 (published MFU already measured at scale on them), "
    "EFA 0.97, TCPX 0.93, Ethernet 0.8; Ethernet-only offers and instances of fewer than "
    f"{SMALL_INSTANCE} accelerators at most {ETHERNET_MAX_INSTANCES} instances (assumptions)",
)


@dataclass(frozen=True)
class Accelerator:
    name: str
    peak_tflops: float  # dense, at the training precision
    mfu: float
    memory_gb: float
    per_instance: int
    interconnect: Interconnect
    usd_per_instance_hour: float
    max_instances: int | None = None
    spot_interruptions_per_month: float = 0.0


@dataclass(frozen=True)
class TrainingJob:
    flops: float
    parameters: float  # total (memory)
    count: int | None = None
    deadline_hours: float | None = None
    max_count: int = 16384
    checkpoint_interval_minutes: float = DEFAULT_CHECKPOINT_INTERVAL_MINUTES
    restart_minutes: float = DEFAULT_RESTART_MINUTES
    setup_hours: float = 0.0  # before training starts (copying the data in): counts against the deadline


@dataclass(frozen=True)
class TrainingEstimate:
    accelerators: int
    instances: int
    wall_hours: float
    accelerator_hours: float
    compute_usd: float
    scaling: float
    goodput: float
    memory_needed_gb: float
    target_hours: float | None


class Infeasible(Exception):
    """The job cannot run on this offer; the message is the rejection reason, with the numbers."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def scaling(instances: int, interconnect: Interconnect) -> float:
    return 1.0 if instances <= 1 else FABRIC_SCALING[interconnect]


def hours_per_interruption(job: TrainingJob) -> float:
    """Wall hours one interruption costs: on average half a checkpoint interval redone, plus the restart."""
    return (job.checkpoint_interval_minutes / 2 + job.restart_minutes) / 60


def lost_share(accelerators: int, instances: int, job: TrainingJob, spot_per_month: float) -> float:
    """Share of extra wall time spent redoing work after failures and preemptions."""
    per_event_h = hours_per_interruption(job)
    events_per_hour = accelerators * FAILURES_PER_ACCEL_HOUR + instances * spot_per_month / HOURS_PER_MONTH
    return events_per_hour * per_event_h


@dataclass(frozen=True)
class SpotOverhead:
    """What preemptions are expected to cost a spot run (already inside its wall time and cost)."""

    interruptions: float  # expected over the run: instances × wall hours × rate per instance-hour
    lost_hours: float  # wall hours redone or spent restarting: interruptions × (interval / 2 + restart)
    usd: float  # lost hours on every instance of the run, at the spot price


def spot_overhead(
    instances: int, wall_hours: float, per_month: float, job: TrainingJob, usd_per_instance_hour: float
) -> SpotOverhead:
    """The expected preemption overhead of ``instances`` spot instances running for ``wall_hours``.

    A preemption stalls the whole synchronous job, so its lost hours are paid on every instance."""
    interruptions = instances * wall_hours * per_month / HOURS_PER_MONTH
    lost_hours = interruptions * hours_per_interruption(job)
    return SpotOverhead(interruptions, lost_hours, lost_hours * instances * usd_per_instance_hour)


def wall_hours(instances: int, acc: Accelerator, job: TrainingJob) -> tuple[float, float, float]:
    n = instances * acc.per_instance
    s = scaling(instances, acc.interconnect)
    lost = lost_share(n, instances, job, acc.spot_interruptions_per_month)
    ideal = job.flops / (n * acc.peak_tflops * 1e12 * acc.mfu * s) / 3600
    return ideal * (1 + lost), s, 1 / (1 + lost)


def estimate(acc: Accelerator, job: TrainingJob) -> TrainingEstimate:
    """The estimate of ``job`` on ``acc``; Infeasible (range) when the figures are so extreme that the arithmetic
    leaves the finite floats (int(inf), ceil(nan)): that offer is rejected, the plan goes on."""
    try:
        return _estimate(acc, job)
    except (OverflowError, ValueError, ZeroDivisionError) as exc:
        raise Infeasible(f"the figures are out of range for an estimate ({exc})", "range") from None


def _estimate(acc: Accelerator, job: TrainingJob) -> TrainingEstimate:
    need_gb = BYTES_PER_PARAM_ADAM * job.parameters / 1e9
    if not (math.isfinite(need_gb) and math.isfinite(job.flops)):
        raise Infeasible("the job's size overflows the estimate", "capacity")
    min_accels = max(1, math.ceil(need_gb / (acc.memory_gb * MEMORY_HEADROOM)))
    min_instances = math.ceil(min_accels / acc.per_instance)
    cap = job.max_count // acc.per_instance
    if acc.max_instances is not None:
        cap = min(cap, acc.max_instances)
    if acc.interconnect == "ethernet" or acc.per_instance < SMALL_INSTANCE:
        cap = min(cap, ETHERNET_MAX_INSTANCES)
    target: float | None = None
    if job.deadline_hours is not None and job.setup_hours >= job.deadline_hours:
        raise Infeasible(
            f"copying the data in takes {job.setup_hours:,.0f} h, past the {job.deadline_hours:,.0f} h deadline",
            "deadline",
        )

    if job.count is not None:
        instances = math.ceil(job.count / acc.per_instance)
        if instances * acc.per_instance < min_accels:
            raise Infeasible(
                f"{job.count} × {acc.memory_gb:g} GB cannot hold {need_gb:,.0f} GB of training state "
                f"(needs ≥ {min_accels} accelerators)",
                "memory",
            )
        if instances > cap:
            raise Infeasible(_cap_reason(acc, instances, cap), "capacity")
    else:
        if min_instances > cap:
            raise Infeasible(
                f"training state needs {min_accels:,} × {acc.memory_gb:g} GB accelerators: "
                + _cap_reason(acc, min_instances, cap),
                "capacity",
            )
        target = (job.deadline_hours or DEFAULT_TARGET_HOURS) - job.setup_hours
        if wall_hours(cap, acc, job)[0] > target:
            best = wall_hours(cap, acc, job)[0]
            raise Infeasible(
                f"misses the {target:,.0f} h target by {best - target:,.0f} h even on "
                f"{cap * acc.per_instance:,} accelerators",
                "deadline",
            )
        lo, hi = min_instances, cap  # wall time falls as instances grow: bisect for the fewest
        while lo < hi:
            mid = (lo + hi) // 2
            if wall_hours(mid, acc, job)[0] <= target:
                hi = mid
            else:
                lo = mid + 1
        instances = lo

    wall, s, goodput = wall_hours(instances, acc, job)
    if job.deadline_hours is not None and wall + job.setup_hours > job.deadline_hours:
        late = wall + job.setup_hours - job.deadline_hours
        setup = f" + {job.setup_hours:,.0f} h copying data" if job.setup_hours else ""
        raise Infeasible(
            f"misses the deadline by {late:,.0f} h ({wall:,.0f} h on {instances * acc.per_instance:,} "
            f"accelerators{setup})",
            "deadline",
        )
    n = instances * acc.per_instance
    return TrainingEstimate(
        accelerators=n,
        instances=instances,
        wall_hours=wall,
        accelerator_hours=wall * n,
        compute_usd=wall * instances * acc.usd_per_instance_hour,
        scaling=s,
        goodput=goodput,
        memory_needed_gb=need_gb,
        target_hours=target,
    )


def _cap_reason(acc: Accelerator, wanted: int, cap: int) -> str:
    if acc.interconnect == "ethernet" and cap == ETHERNET_MAX_INSTANCES:
        why = f"Ethernet-only offers are limited to {ETHERNET_MAX_INSTANCES} instances for training"
    elif acc.per_instance < SMALL_INSTANCE and cap == ETHERNET_MAX_INSTANCES:
        why = (
            f"instances of fewer than {SMALL_INSTANCE} accelerators are limited to {ETHERNET_MAX_INSTANCES} "
            "for training"
        )
    else:
        why = f"capacity is {cap:,} instances"
    return f"needs {wanted:,} instances; {why}"
