"""An exported launcher file: a comment header recording the plan's figures, then the YAML the launcher reads.

PyYAML writes the body (``safe_dump`` semantics: plain data only, strings quoted whenever YAML would read them
as something else), so the file round-trips through ``yaml.safe_load``; the header is comments the launcher
ignores. Same plan in, same bytes out: no clock, no versions, insertion-ordered keys.
"""

from __future__ import annotations

from typing import Any

import yaml

from placer.export.targets import Launcher, Target
from placer.plan import Plan


class Block(str):
    """A multi-line script, written as a YAML literal block (``|``), the way the launchers' docs write them."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # list items indented under their key, as the launchers' docs show them
        super().increase_indent(flow, False)


def _block(dumper: yaml.SafeDumper, value: Block) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


_Dumper.add_representer(Block, _block)


def dump_yaml(body: dict[str, Any]) -> str:
    text: str = yaml.dump(
        body, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096
    )
    return text


def render(header: list[str], body: dict[str, Any]) -> str:
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return comments + "\n" + dump_yaml(body)


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def placement_label(plan: Plan, index: int) -> str:
    if index == 0:
        return "the chosen placement"
    return f"alternative {index} of {len(plan.alternatives)}"


def figures(plan: Plan, target: Target, index: int) -> list[str]:
    """The plan's facts behind this file: what was chosen, what it costs and takes, and from which prices."""
    p = target.placement
    period = "per run" if p.cost.period == "run" else "per month"
    where = f"{p.provider} {p.region}"
    lines = [
        f"Placement: {placement_label(plan, index)}: {p.offer} ({p.pricing})",
        f"  {target.nodes} x {p.instance} with {target.per_node} x {p.accelerator} each "
        f"({p.accelerator_count} accelerators) in {where}",
        f"Cost: {_usd(p.cost.total_usd)} {period} (compute {_usd(p.cost.compute_usd)}, "
        f"egress {_usd(p.cost.egress_usd)}, other {_usd(p.cost.other_usd)})",
    ]
    if target.usd_per_instance_hour is not None:
        lines.append(f"  planned price: {_usd(target.usd_per_instance_hour)} per instance-hour")
    time = []
    if p.time.wall_hours is not None:
        time.append(f"{p.time.wall_hours:,.2f} h wall")
    if p.time.accelerator_hours is not None:
        unit = "accelerator-hours" if p.cost.period == "run" else "accelerator-hours per month"
        time.append(f"{p.time.accelerator_hours:,.1f} {unit}")
    if time:
        lines.append("Time: " + ", ".join(time))
    if p.latency.p50_ms is not None and p.latency.p95_ms is not None:
        lines.append(f"Latency: p50 {p.latency.p50_ms:,.0f} ms, p95 {p.latency.p95_ms:,.0f} ms")
    budget = plan.budget
    if budget.status == "none" or budget.limit_usd is None:
        lines.append("Budget: none set")
    else:
        per = "per run" if budget.period == "run" else "per month"
        lines.append(f"Budget: {_usd(budget.limit_usd)} {per}, {budget.status}")
    lines.append(
        f"Catalog: prices as of {plan.catalog.as_of}, {plan.catalog.offers_considered} offers considered, "
        f"objective {plan.objective}"
    )
    lines.extend(f"  source: {s.name} ({s.kind}, as of {s.as_of})" for s in plan.catalog.sources)
    lines.extend(f"Assumes: {a}" for a in p.assumptions)
    lines.extend(f"Warning: {w}" for w in plan.warnings)
    lines.extend(f"Note: {n}" for n in target.notes)
    return lines


def header(plan: Plan, target: Target, index: int, launcher: Launcher, what: str, how: list[str]) -> list[str]:
    """The full header: what this file is, how to use it, then :func:`figures`."""
    lines = [
        f"{launcher.title} {what} for {plan.workload.name!r} ({plan.workload.kind}), written by `placer export`.",
        "placer plans; it does not launch. Replace the placeholder commands with your job, review, then:",
        *(f"  {line}" for line in how),
        f"Format: {launcher.docs}",
        "",
    ]
    return lines + figures(plan, target, index)
