"""Apple build farm estimates: chip speed, Erlang C sizing, the 24-hour lease minimum, elastic runners."""

import pytest

from placer.estimate.apple_build import BuildLoad, Plan, estimate_elastic, estimate_farm, job_minutes

IOS = BuildLoad(
    jobs_per_day=120,
    minutes_per_job=18,
    reference_speed=1.0,
    max_queue_wait_minutes=5,
    working_hours_per_day=10,
    working_days_per_month=22,
)


def test_faster_chip_shortens_jobs():
    assert job_minutes(IOS, 2.0) == 9.0


def test_farm_size_and_daily_leases_by_hand():
    est = estimate_farm(IOS, 1.0, [Plan("hour", 0.30, 24)])
    assert est.machines == 7  # see test_estimate_queueing: c = 6 waits 10.3 min at p95
    # Per working day each of 7 Macs is billed the 24-hour minimum: 7 × 22 × 24 = 3,696 h at $0.30
    assert est.paid_hours == 3696
    assert est.monthly_usd == pytest.approx(3696 * 0.30)
    assert est.minimum_billing_waste_hours == 7 * 22 * (24 - 10)
    assert est.busy_hours == pytest.approx(120 * 22 * 0.3)


def test_monthly_plan_wins_when_cheaper():
    est = estimate_farm(IOS, 1.0, [Plan("hour", 0.30, 24), Plan("month", 100, 730)])
    assert est.monthly_usd == 700
    assert "month" in est.billing


def test_round_the_clock_work_holds_machines_all_month():
    always = BuildLoad(240, 18, 1.0, 5, 24, 30)
    est = estimate_farm(always, 1.0, [Plan("hour", 0.30, 24)])
    assert est.paid_hours == est.machines * 730
    assert est.minimum_billing_waste_hours == 0


def test_elastic_runner_pays_job_minutes_only():
    # 120 jobs × 22 days × (18 / 0.5 + 1 start-up) min = 97,680 min at $0.062
    est = estimate_elastic(IOS, 0.5, 0.062, 1.0)
    assert est.monthly_usd == pytest.approx(120 * 22 * 37 * 0.062)
    assert est.p95_turnaround_min == 37
