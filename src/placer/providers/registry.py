"""The provider registry and plugin loading (entry-point group ``placer.providers.v1``).

A plugin package declares, in its pyproject.toml::

    [project.entry-points."placer.providers.v1"]
    acme = "placer_acme:register"

and ``register(registry)`` calls ``registry.add(Provider(...))``. Built-in providers are declared the same way
in placer's own pyproject. ``PLACER_PLUGINS`` (or ``--plugins``) limits which entry points load: a
comma-separated list of names, or ``none``; CI pins it so that runs are reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from placer.errors import InputError

if TYPE_CHECKING:
    from placer.catalog.models import HardwareSpec, Region
    from placer.catalog.models import Offer as OfferT
    from placer.providers.refresh import RefreshContext

GROUP = "placer.providers.v1"
ENV = "PLACER_PLUGINS"

RefreshFn = Callable[["RefreshContext"], "list[OfferT]"]


class PluginError(InputError):
    """A plugin registered something invalid (a duplicate provider name, bad offers): exit 3."""


@dataclass(frozen=True)
class Provider:
    """What a provider contributes: static offers (a private pool, a rate card) and/or a live price refresh."""

    name: str
    description: str = ""
    offers: tuple[OfferT, ...] = ()
    hardware: Mapping[str, HardwareSpec] = field(default_factory=dict)
    regions: Mapping[str, Region] = field(default_factory=dict)
    refresh: RefreshFn | None = None
    package: str = "placer"


class Registry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}
        self.loading_package = "placer"

    def add(self, provider: Provider) -> None:
        if provider.name in self._providers:
            first = self._providers[provider.name].package
            raise PluginError(
                f"provider {provider.name!r} is registered twice (by {first} and by {self.loading_package})"
            )
        if provider.package == "placer" and self.loading_package != "placer":
            provider = Provider(**{**provider.__dict__, "package": self.loading_package})
        self._providers[provider.name] = provider

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._providers)

    def all(self) -> list[Provider]:
        return [self._providers[n] for n in self.names]


def wanted_plugins(flag: str | None = None) -> set[str] | None:
    """None means all; an empty set means none."""
    value = flag if flag is not None else os.environ.get(ENV)
    if value is None or value.strip() in ("", "all"):
        return None
    if value.strip() == "none":
        return set()
    return {v.strip() for v in value.split(",") if v.strip()}


def load_plugins(
    only: set[str] | None = None,
    warn: Callable[[str], None] | None = None,
    eps: Iterable[EntryPoint] | None = None,
) -> Registry:
    """Load every entry point of the group (or ``only`` those); a failing plugin warns, never crashes."""
    registry = Registry()
    found = sorted(eps if eps is not None else entry_points(group=GROUP), key=lambda e: e.name)
    missing = sorted((only or set()) - {ep.name for ep in found})
    if missing and warn is not None:
        installed = ", ".join(ep.name for ep in found) or "none"
        warn(f"no installed provider plugin named {', '.join(map(repr, missing))} (installed: {installed})")
    for ep in found:
        if only is not None and ep.name not in only:
            continue
        package = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
        registry.loading_package = package
        try:
            register = ep.load()
            register(registry)
        except PluginError:
            raise
        except Exception as exc:  # a broken plugin must not break planning
            if warn is not None:
                warn(f"plugin {ep.name!r} from package {package} failed to load: {type(exc).__name__}: {exc}")
        finally:
            registry.loading_package = "placer"
    return registry
