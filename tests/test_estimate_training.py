"""Training estimates on hand-checked cases, including the published Llama 2 70B figure."""

import pytest

from placer.estimate import training
from placer.estimate.training import Accelerator, Infeasible, TrainingJob, estimate

LLAMA2_FLOPS = 6 * 70e9 * 2e12  # 8.4e23
PUBLISHED_GPU_HOURS = 1_720_320  # Llama 2 paper, 70B on A100-80GB


def a100(interconnect="infiniband", per_instance=8, price=8 * 2.30, **kw) -> Accelerator:
    return Accelerator("A100-80GB", 312, 0.40, 80, per_instance, interconnect, price, **kw)


def test_llama2_70b_fixed_count_by_hand():
    est = estimate(a100(), TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, count=2048))
    ideal_gpu_hours = LLAMA2_FLOPS / (312e12 * 0.40) / 3600  # 1,869,658
    events_per_hour = 2048 * 466 / (16384 * 54 * 24)
    lost = events_per_hour * (15 + 10) / 60  # half a 30-min checkpoint interval + a 10-min restart
    assert est.accelerators == 2048 and est.instances == 256
    assert est.wall_hours == pytest.approx(ideal_gpu_hours / 2048 * (1 + lost), rel=1e-9)
    assert est.accelerator_hours == pytest.approx(1_904_672, rel=1e-5)
    assert est.compute_usd == pytest.approx(est.wall_hours * 256 * 18.40, rel=1e-12)


@pytest.mark.parametrize("deadline", [720, 840, 1440])
def test_llama2_70b_within_15_percent_of_published(deadline):
    est = estimate(a100(), TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, deadline_hours=deadline))
    assert est.wall_hours <= deadline
    assert abs(est.accelerator_hours / PUBLISHED_GPU_HOURS - 1) < 0.15


def test_deadline_picks_fewest_instances():
    job = TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, deadline_hours=840)
    est = estimate(a100(), job)
    slower, _, _ = training.wall_hours(est.instances - 1, a100(), job)
    assert slower > 840 >= est.wall_hours


def test_memory_floor_sets_minimum_count():
    # 16 bytes/param × 70e9 = 1,120 GB; 80 GB × 0.8 usable → 18 accelerators at least.
    with pytest.raises(Infeasible) as exc:
        estimate(a100(), TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, count=16))
    assert exc.value.code == "memory"
    assert "needs ≥ 18 accelerators" in exc.value.reason


def test_ethernet_is_capped_for_multinode_training():
    with pytest.raises(Infeasible) as exc:
        estimate(a100("ethernet"), TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, count=2048))
    assert exc.value.code == "capacity"
    assert "Ethernet-only" in exc.value.reason


def test_misses_deadline_even_at_capacity():
    job = TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, deadline_hours=100)
    with pytest.raises(Infeasible) as exc:
        estimate(a100(max_instances=64), job)
    assert exc.value.code == "deadline"
    assert "512 accelerators" in exc.value.reason


def test_single_instance_has_no_fabric_loss():
    est = estimate(a100("ethernet"), TrainingJob(flops=6 * 1e9 * 1e10, parameters=1e9, count=8))
    assert est.scaling == 1.0


def test_spot_preemptions_lengthen_the_run():
    job = TrainingJob(flops=LLAMA2_FLOPS, parameters=70e9, count=2048)
    on_demand = estimate(a100(), job)
    spot = estimate(a100(spot_interruptions_per_month=0.175), job)
    # extra events: 256 instances × 0.175 / 730 per hour, each costing 25 minutes
    extra = 256 * 0.175 / 730 * 25 / 60
    lost = 1 / on_demand.goodput - 1
    assert spot.wall_hours / on_demand.wall_hours == pytest.approx((1 + lost + extra) / (1 + lost), rel=1e-9)
