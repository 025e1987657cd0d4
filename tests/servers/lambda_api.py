"""A loopback Lambda Cloud API: ``GET /api/v1/instance-types`` answering ``{"data": {...}}`` for a valid
``Authorization: Bearer`` key and ``{"error": {"code", "message", "suggestion"}}`` otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from servers.base import FakeServer, Reply, Schedule, Seen

PATH = "/api/v1/instance-types"


def instance_type(
    name: str,
    cents: int,
    regions: list[str],
    *,
    gpus: int,
    description: str = "",
) -> tuple[str, dict[str, Any]]:
    """One entry of the ``data`` map in the documented shape."""
    return name, {
        "instance_type": {
            "name": name,
            "description": description or name,
            "gpu_description": description or name,
            "price_cents_per_hour": cents,
            "specs": {"vcpus": 26 * gpus, "memory_gib": 225 * gpus, "storage_gib": 2750 * gpus, "gpus": gpus},
        },
        "regions_with_capacity_available": [{"name": r, "description": f"Region {r}"} for r in regions],
    }


class LambdaCloudFake(FakeServer):
    """Serves ``types``; requires ``Bearer {api_key}`` when ``api_key`` is set; ``fault(request_number, 1)``."""

    def __init__(
        self,
        types: dict[str, Any],
        api_key: str | None = None,
        fault: Callable[[int, int], Reply | None] | None = None,
    ) -> None:
        self.types = types
        self.api_key = api_key
        self.schedule = Schedule(fault)
        self.count = 0
        super().__init__(self._answer)

    def _answer(self, seen: Seen) -> Reply:
        if seen.method != "GET" or seen.path != PATH:
            return Reply.json({"error": {"code": "global/not-found", "message": "Not found"}}, status=404)
        self.count += 1
        fault = self.schedule.next(self.count)
        if fault is not None:
            return fault
        got = seen.headers.get("authorization", "")
        if self.api_key is not None and got != f"Bearer {self.api_key}":
            # Like a careless server, echo what was sent: the client must never repeat a response body.
            return Reply.json(
                {"error": {"code": "global/invalid-api-key", "message": f"API key was invalid: {got!r}"}},
                status=401,
            )
        return Reply.json({"data": self.types})
