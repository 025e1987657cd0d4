"""Apple build/test farms: job time scales with chip speed; the farm is sized with Erlang C;
the macOS licence's 24-hour minimum lease decides how Macs can be billed.

Billing options compared for c machines over a month:
- hold them all month (hourly × 730, daily × 30.4, monthly plan),
- lease them per working day (each lease billed at least 24 h; cheaper when builds stop at weekends),
- elastic per-minute runners: pay for job minutes only, no farm, no queue of our own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from placer.catalog.models import HOURS_PER_UNIT
from placer.estimate.queueing import min_servers, wait_quantile

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
WAIT_QUANTILE = 0.95


@dataclass(frozen=True)
class BuildLoad:
    jobs_per_day: float
    minutes_per_job: float  # on the reference chip
    reference_speed: float
    max_queue_wait_minutes: float
    working_hours_per_day: float
    working_days_per_month: float


@dataclass(frozen=True)
class Plan:
    unit: str  # minute | hour | day | week | month
    usd: float
    min_lease_hours: float


@dataclass(frozen=True)
class BuildEstimate:
    machines: int
    job_minutes: float
    p50_turnaround_min: float
    p95_turnaround_min: float
    monthly_usd: float
    billing: str  # how the machines are paid for
    paid_hours: float
    busy_hours: float
    utilisation: float
    minimum_billing_waste_hours: float  # paid only because of the lease minimum


def job_minutes(load: BuildLoad, chip_speed: float) -> float:
    return load.minutes_per_job * load.reference_speed / chip_speed


def farm_size(load: BuildLoad, chip_speed: float) -> int:
    """Macs for the farm: the fewest whose 95th-percentile queue wait stays within the profile's limit."""
    arrivals_per_h = load.jobs_per_day / load.working_hours_per_day
    return min_servers(
        arrivals_per_h, job_minutes(load, chip_speed) / 60, load.max_queue_wait_minutes / 60, WAIT_QUANTILE
    )


def estimate_farm(load: BuildLoad, chip_speed: float, plans: list[Plan]) -> BuildEstimate:
    minutes = job_minutes(load, chip_speed)
    service_h = minutes / 60
    arrivals_per_h = load.jobs_per_day / load.working_hours_per_day
    machines = farm_size(load, chip_speed)
    wait50 = wait_quantile(machines, arrivals_per_h, service_h, 0.5) * 60
    wait95 = wait_quantile(machines, arrivals_per_h, service_h, WAIT_QUANTILE) * 60
    busy = load.jobs_per_day * load.working_days_per_month * service_h

    options: list[tuple[float, str, float, float]] = []  # (usd, billing, paid hours, waste hours)
    for plan in plans:
        if plan.unit == "minute":
            continue
        per_hour = plan.usd / _hours(plan.unit)
        held = max(HOURS_PER_MONTH, plan.min_lease_hours)
        unit_hours = _hours(plan.unit)
        units = math.ceil(held / unit_hours - 1e-9)
        options.append(
            (
                machines * units * plan.usd,
                f"held all month, billed per {plan.unit}",
                machines * units * unit_hours,
                0.0,
            )
        )
        if plan.unit in ("hour", "minute") and load.working_hours_per_day < 24:
            lease_h = max(plan.min_lease_hours, load.working_hours_per_day)
            paid = machines * load.working_days_per_month * lease_h
            waste = machines * load.working_days_per_month * (lease_h - load.working_hours_per_day)
            options.append(
                (
                    paid * per_hour,
                    f"leased per working day, hourly, {lease_h:g} h billed for {load.working_hours_per_day:g} h used",
                    paid,
                    waste,
                )
            )
    if not options:
        raise ValueError("no lease plan to size a farm with")
    usd, billing, paid, waste = min(options)
    return BuildEstimate(
        machines=machines,
        job_minutes=minutes,
        p50_turnaround_min=wait50 + minutes,
        p95_turnaround_min=wait95 + minutes,
        monthly_usd=usd,
        billing=billing,
        paid_hours=paid,
        busy_hours=busy,
        utilisation=busy / paid if paid else 0.0,
        minimum_billing_waste_hours=waste,
    )


def estimate_elastic(
    load: BuildLoad, chip_speed: float, usd_per_minute: float, startup_minutes: float
) -> BuildEstimate:
    minutes = job_minutes(load, chip_speed)
    billed = load.jobs_per_day * load.working_days_per_month * (minutes + startup_minutes)
    busy = load.jobs_per_day * load.working_days_per_month * minutes / 60
    return BuildEstimate(
        machines=0,
        job_minutes=minutes,
        p50_turnaround_min=startup_minutes + minutes,
        p95_turnaround_min=startup_minutes + minutes,
        monthly_usd=billed * usd_per_minute,
        billing="per job-minute (elastic runners)",
        paid_hours=billed / 60,
        busy_hours=busy,
        utilisation=busy / (billed / 60) if billed else 0.0,
        minimum_billing_waste_hours=0.0,
    )


def _hours(unit: str) -> float:
    return HOURS_PER_UNIT[unit]
