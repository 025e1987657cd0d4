"""Where a placement runs, in a launcher's own words: its cloud or backend, region, accelerator name and spot.

Each launcher module (``skypilot``, ``dstack``) declares what it supports as data (a :class:`Launcher`); this
module checks a placement against that table once, the same way for both, and raises
:class:`UnsupportedPlacement` naming why a launcher cannot run it and what it would need.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from placer.errors import UsageError
from placer.plan import Placement

RegionMap = Callable[[str], str | None]


def same_region(region: str) -> str | None:
    """placer's region name is the launcher's (AWS, GCP, Azure, Lambda and Nebius names)."""
    return region


def upper_region(region: str) -> str | None:
    """placer's country-code region, upper-cased (RunPod regions in SkyPilot: ``US``, ``CA``...)."""
    return region.upper()


# an AWS Local Zone named like a region: parent region, then the metro code (us-east-1-atl-1, us-west-2-lax-1)
_AWS_LOCAL_ZONE = re.compile(r"([a-z]{2}(?:-gov)?-[a-z]+-[0-9]+)-[a-z]+-[0-9]+[a-z]?")


def aws_local_zone_parent(region: str) -> str | None:
    """The parent region of an AWS Local Zone (``us-east-1-atl-1`` -> ``us-east-1``); None for a region."""
    match = _AWS_LOCAL_ZONE.fullmatch(region)
    return match.group(1) if match else None


def aws_region(region: str) -> str | None:
    """AWS regions as they are; a Local Zone, which launchers do not take as a region, as its parent region."""
    return aws_local_zone_parent(region) or region


def no_region(region: str) -> str | None:
    """placer's region is not one the launcher knows (an aggregate or an assumption): leave it open."""
    del region
    return None


@dataclass(frozen=True)
class Cloud:
    """One provider as a launcher knows it."""

    name: str  # the launcher's cloud (SkyPilot) or backend (dstack) name
    accelerators: Mapping[str, str]  # placer accelerator name -> the launcher's name on this cloud
    region: RegionMap = same_region
    # the shape of this cloud's own instance names: a placement's instance is pinned only when it has it
    # (None: placer's names for this cloud are its own, never the launcher's)
    instance_names: str | None = None
    spot: bool = True  # the launcher can ask this cloud for spot capacity
    # instance type -> the launcher's accelerator name where it differs from the chip's (GCP's a3-megagpu-8g
    # carries H100s SkyPilot calls H100-MEGA)
    instance_accelerators: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None  # said in the exported file's header


# the shapes of providers' own instance type names, shared by both launchers
AWS_INSTANCES = r"[a-z][a-z0-9-]*\.[0-9a-z]+"  # p5.48xlarge
GCP_INSTANCES = r"[a-z][a-z0-9]*-[a-z0-9-]+"  # a3-highgpu-8g
AZURE_INSTANCES = r"Standard_[A-Za-z0-9_]+"  # Standard_ND96isr_H100_v5
LAMBDA_INSTANCES = r"gpu_[0-9]+x_[a-z0-9_]+"  # gpu_8x_h100_sxm5
NEBIUS_INSTANCES = r"gpu-[a-z0-9-]+_[0-9]+gpu-[0-9]+vcpu-[0-9]+gb"  # gpu-h100-sxm_8gpu-128vcpu-1600gb


@dataclass(frozen=True)
class Launcher:
    key: str  # the --to value
    title: str
    docs: str  # the page documenting the format we emit
    clouds: Mapping[str, Cloud]  # keyed by placer provider name


@dataclass(frozen=True)
class Target:
    """A placement resolved for one launcher: everything a renderer needs, already in the launcher's terms."""

    placement: Placement
    cloud: Cloud
    region: str | None
    accelerator: str
    per_node: int  # accelerators per instance
    nodes: int  # instances (training nodes, or inference replicas)
    spot: bool
    instance_type: str | None  # the instance to pin, when placer's name for it is the cloud's own
    usd_per_instance_hour: float | None
    notes: tuple[str, ...] = field(default_factory=tuple)


class UnsupportedPlacement(UsageError):
    """The chosen launcher cannot run this placement (exit 2).

    A usage error, not invalid input (exit 3): the plan file is valid; it is the request — this placement, to
    this launcher — that cannot be honoured, and the fix is another ``--to`` or ``--alternative``.
    """


def resolve(placement: Placement, launcher: Launcher) -> Target:
    """Check ``placement`` against what ``launcher`` supports and translate it, or say why it cannot run."""
    who = f"{launcher.title} cannot run {placement.offer}"
    if placement.pricing == "per-token":
        raise UnsupportedPlacement(
            f"{who}: it is a hosted API billed per token, with no machine to launch",
            hint="call the provider's API directly; to self-host instead, export a GPU alternative",
        )
    if placement.pricing == "rental":
        raise UnsupportedPlacement(
            f"{who}: it is a rented Mac ({placement.accelerator or 'Apple silicon'}), and neither SkyPilot nor "
            "dstack launches macOS hosts",
            hint="rent the Macs from the provider and register them as runners with your CI system",
        )
    cloud = launcher.clouds.get(placement.provider)
    if cloud is None:
        supported = ", ".join(sorted(launcher.clouds))
        raise UnsupportedPlacement(
            f"{who}: {launcher.title} has no {placement.provider} cloud",
            hint=f"{launcher.title} export supports {supported}; {placement.provider} would need a "
            f"{launcher.title} integration, or capacity exposed as a Kubernetes cluster or SSH hosts",
        )
    if placement.accelerator is None or not placement.accelerator_count or not placement.instances:
        raise UnsupportedPlacement(f"{who}: the plan gives no accelerator type and count for it")
    name = cloud.instance_accelerators.get(placement.instance) or cloud.accelerators.get(placement.accelerator)
    if name is None:
        known = ", ".join(sorted(cloud.accelerators))
        raise UnsupportedPlacement(
            f"{who}: {launcher.title} has no name for {placement.accelerator} on {placement.provider}",
            hint=f"{launcher.title} export knows these accelerators on {placement.provider}: {known}",
        )
    spot = placement.pricing == "spot"
    if spot and not cloud.spot:
        raise UnsupportedPlacement(
            f"{who}: it is priced as spot, and {launcher.title} cannot request spot capacity on {placement.provider}",
            hint="export an on-demand alternative, or plan with `constraints: {spot: never}`",
        )
    per_node, rest = divmod(placement.accelerator_count, placement.instances)
    if rest or per_node < 1:
        raise UnsupportedPlacement(
            f"{who}: {placement.accelerator_count} accelerators do not split evenly over "
            f"{placement.instances} instances"
        )
    notes = [cloud.note] if cloud.note else []
    region = cloud.region(placement.region)
    parent = aws_local_zone_parent(placement.region) if placement.provider == "aws" else None
    if parent is not None and region == parent:
        notes.append(
            f"region {parent}: placer's {placement.region!r} is an AWS Local Zone, which {launcher.title} does not "
            f"take as a region; pinned to its parent region, where prices and capacity differ from the plan's. "
            f"To use the Local Zone, opt in to it and pick its zone ({placement.region}a) yourself"
        )
    if region is None:
        notes.append(
            f"region not pinned: placer's region {placement.region!r} is not a {launcher.title} region name "
            f"for {placement.provider}; add one if it matters"
        )
    pattern = cloud.instance_names
    instance = placement.instance if pattern and re.fullmatch(pattern, placement.instance) else None
    if pattern and instance is None:
        notes.append(
            f"instance not pinned: {placement.instance!r} is not a {placement.provider} instance type name; "
            "the launcher picks one with these accelerators"
        )
    if placement.pricing == "reserved":
        notes.append(
            "priced as reserved: the plan assumes a reservation or commitment you hold; the launcher asks for "
            "on-demand capacity, which that reservation then covers"
        )
    return Target(
        placement=placement,
        cloud=cloud,
        region=region,
        accelerator=name,
        per_node=per_node,
        nodes=placement.instances,
        spot=spot,
        instance_type=instance,
        usd_per_instance_hour=instance_hour_price(placement, per_node),
        notes=tuple(notes),
    )


def instance_hour_price(placement: Placement, per_node: int) -> float | None:
    """The planned price of one instance-hour (compute cost over accelerator-hours), rounded up to a cent.

    A hundredth of a cent of slack absorbs the rounding of the plan's own figures (four decimals in plan JSON),
    so $7.92 does not come back as $7.93.
    """
    hours = placement.time.accelerator_hours
    if not hours or placement.cost.compute_usd <= 0:
        return None
    cents = placement.cost.compute_usd / hours * per_node * 100
    return math.ceil(cents - 0.01) / 100
