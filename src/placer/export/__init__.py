"""Export one placement of a plan as a launcher's own configuration (SkyPilot, dstack), and the profile format
as a JSON Schema for editors.

placer is a planner, not a launcher: the files name the hardware, place and pricing the plan chose and record
its figures in a comment header; the commands to run are placeholders the user fills in.

    from placer.export import export_plan, read_plan
    print(export_plan(read_plan("plan.json"), "skypilot"))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from placer.errors import NoFeasiblePlacement, UsageError
from placer.export import dstack, skypilot
from placer.export.plan_file import parse_plan, read_plan
from placer.export.targets import Launcher, Target, UnsupportedPlacement, resolve
from placer.plan import Placement, Plan

LauncherName = Literal["skypilot", "dstack"]
LAUNCHERS: dict[str, tuple[Launcher, Callable[[Plan, Target, int], str]]] = {
    "skypilot": (skypilot.LAUNCHER, skypilot.render_skypilot),
    "dstack": (dstack.LAUNCHER, dstack.render_dstack),
}

__all__ = [
    "LAUNCHERS",
    "LauncherName",
    "UnsupportedPlacement",
    "export_plan",
    "parse_plan",
    "pick_placement",
    "read_plan",
]


def pick_placement(plan: Plan, alternative: int = 0) -> Placement:
    """The chosen placement (0) or ranked alternative N (1-based, as ``placer plan`` lists them)."""
    if plan.chosen is None:
        raise NoFeasiblePlacement(
            f"plan {plan.workload.name!r} has no chosen placement: every offer was rejected, so there is "
            "nothing to export",
            hint="run `placer plan` on the profile to see why each offer was rejected",
        )
    if alternative < 0:
        raise UsageError(f"--alternative must be 0 (the chosen placement) or more, got {alternative}")
    if alternative == 0:
        return plan.chosen
    if alternative > len(plan.alternatives):
        have = len(plan.alternatives)
        ranked = f"alternatives 1 to {have}" if have > 1 else ("alternative 1" if have else "no alternatives")
        raise UsageError(
            f"--alternative {alternative}: plan {plan.workload.name!r} has {ranked}",
            hint="0 exports the chosen placement",
        )
    return plan.alternatives[alternative - 1]


def export_plan(plan: Plan, launcher: str, alternative: int = 0) -> str:
    """The launcher configuration for one placement of ``plan``, as text (deterministic: same plan, same bytes)."""
    if launcher not in LAUNCHERS:
        raise UsageError(f"unknown launcher {launcher!r}; expected one of {', '.join(LAUNCHERS)}")
    spec, render = LAUNCHERS[launcher]
    placement = pick_placement(plan, alternative)
    try:
        target = resolve(placement, spec)
    except UnsupportedPlacement as exc:
        exc.hint = _better_hint(plan, launcher, alternative, exc)
        raise
    return render(plan, target, alternative)


def _exportable(placement: Placement, launcher: str) -> bool:
    try:
        resolve(placement, LAUNCHERS[launcher][0])
    except UnsupportedPlacement:
        return False
    return True


def _better_hint(plan: Plan, launcher: str, alternative: int, exc: UnsupportedPlacement) -> str | None:
    """Point at what would work: the other launcher for this placement, or the best placement this one can run."""
    tips = [exc.hint] if exc.hint else []
    placement = pick_placement(plan, alternative)
    others = [name for name in LAUNCHERS if name != launcher and _exportable(placement, name)]
    if others:
        tips.append(f"`--to {others[0]}` can export this placement")
    ranked = [(0, plan.chosen), *enumerate(plan.alternatives, start=1)]
    for index, candidate in ranked:
        if index != alternative and candidate is not None and _exportable(candidate, launcher):
            label = "the chosen placement" if index == 0 else f"alternative {index}"
            tips.append(f"{label} ({candidate.offer}) can go to {launcher}: `--alternative {index}`")
            break
    return "; ".join(tips) or None
