"""placer: decide where an AI or Apple build workload should run.

The library API (the CLI is a thin layer over it)::

    from placer import load_profile, load_catalog, make_plan
    plan = make_plan(load_profile("profiles/ios-app-ci.yaml"), load_catalog())

Names are imported on first use so that ``import placer`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "load_profile": "placer.profile",
    "read_profile": "placer.profile",
    "parse_profile": "placer.profile",
    "load_catalog": "placer.catalog.loader",
    "make_plan": "placer.planner",
    "check_profiles": "placer.gate",
    "CheckOptions": "placer.gate",
    "PlanOptions": "placer.planner",
    "Plan": "placer.plan",
    "Catalog": "placer.catalog.models",
    "PlacerError": "placer.errors",
    "ExitCode": "placer.errors",
}
__all__ = [  # noqa: RUF022 - grouped as in _API
    "__version__",
    "load_profile",
    "read_profile",
    "parse_profile",
    "load_catalog",
    "make_plan",
    "check_profiles",
    "CheckOptions",
    "PlanOptions",
    "Plan",
    "Catalog",
    "PlacerError",
    "ExitCode",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'placer' has no attribute {name!r}")
