"""The provider registry and plugin loading (entry-point group ``placer.providers.v1``).

A plugin package declares, in its pyproject.toml::

    [project.entry-points."placer.providers.v1"]
    acme = "placer_acme:register"

and ``register(registry)`` calls ``registry.add(Provider(...))``. Built-in providers are declared the same way
in placer's own pyproject. ``PLACER_PLUGINS`` (or ``--plugins``) limits which entry points load: a
comma-separated list of names, or ``none``; CI pins it so that runs are reproducible.

Finding entry points means importing ``importlib.metadata`` and reading the metadata of every installed
distribution, which used to cost more than planning itself. So the scan is cached on disk
(``$PLACER_CACHE_DIR/entry-points/``, one file per Python environment), keyed by the name and modification
time of every ``*.dist-info`` / ``*.egg-info`` directory on ``sys.path`` and of the ``entry_points.txt`` in it.
Installing, upgrading or removing a distribution changes that key, and the next run scans again; a cache file
that cannot be read or does not match is ignored and rewritten (atomically, so concurrent runs are safe).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import import_module
from importlib.machinery import PathFinder
from pathlib import Path
from typing import TYPE_CHECKING, Any

from placer.errors import InputError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from placer.catalog.models import HardwareSpec, Region
    from placer.catalog.models import Offer as OfferT
    from placer.providers.refresh import RefreshContext

GROUP = "placer.providers.v1"
ENV = "PLACER_PLUGINS"
PYDANTIC_GROUP = "pydantic"  # pydantic's own plugins: see pydantic_plugins_known_absent
_CACHED_GROUPS = (GROUP, PYDANTIC_GROUP)
ENTRY_POINT_CACHE_VERSION = 1
# importlib.metadata.EntryPoint.pattern: module, optional ": attr.attr", optional "[extras]"
_ENTRY_POINT_VALUE = r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"

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


# --- installed entry points, cached ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalledEntryPoint:
    """An entry point as importlib.metadata found it, with its distribution's name (``package``)."""

    name: str
    value: str
    group: str
    package: str

    def load(self) -> Any:
        """What ``importlib.metadata.EntryPoint.load`` returns: the module, or the attribute it names."""
        match = re.match(_ENTRY_POINT_VALUE, self.value)
        if match is None:  # malformed: let importlib.metadata fail the way it always has
            from importlib.metadata import EntryPoint  # noqa: PLC0415 - rare

            return EntryPoint(self.name, self.value, self.group).load()
        found: Any = import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            found = getattr(found, attr)
        return found


def installed_entry_points(group: str) -> list[InstalledEntryPoint]:
    """The entry points of ``group`` (one of ``_CACHED_GROUPS``) in the installed distributions, as
    ``importlib.metadata.entry_points(group=...)`` lists them, from the on-disk cache while it is current."""
    return _installed()[group]


def _installed() -> dict[str, list[InstalledEntryPoint]]:
    stamp: list[Any] | None = None
    path: Path | None = None
    try:
        stamp, path = environment_stamp(), entry_point_cache_path()
    except (OSError, RuntimeError):  # e.g. no home directory to keep a cache in: scan, as without a cache
        stamp = None
    if stamp is not None and path is not None:
        cached = _read_entry_point_cache(path, stamp)
        if cached is not None:
            return cached
    found = _scan()
    if stamp is not None and path is not None:
        _write_entry_point_cache(path, stamp, found)
    return found


def _scan() -> dict[str, list[InstalledEntryPoint]]:
    from importlib.metadata import entry_points  # noqa: PLC0415 - the slow path, on a cache miss only

    out: dict[str, list[InstalledEntryPoint]] = {}
    for group in _CACHED_GROUPS:
        out[group] = [
            InstalledEntryPoint(ep.name, ep.value, ep.group, _package(ep)) for ep in entry_points(group=group)
        ]
    return out


def _package(ep: EntryPoint | InstalledEntryPoint) -> str:
    if isinstance(ep, InstalledEntryPoint):
        return ep.package
    return ep.dist.name if ep.dist is not None else ep.value.split(":")[0]


def environment_stamp() -> list[Any] | None:
    """What importlib.metadata reads to find distributions: for every ``sys.path`` entry, the name and mtime
    of each ``*.dist-info`` / ``*.egg-info`` in it and the mtime and size of its ``entry_points.txt`` (a zip
    on the path: its own mtime and size). None when distributions can come from somewhere else (a custom
    finder on ``sys.meta_path``, a ``sys.path`` entry that is not text): then there is no safe key and every
    run scans."""
    if any(f is not PathFinder and hasattr(f, "find_distributions") for f in sys.meta_path):
        return None
    stamp: list[Any] = []
    for entry in sys.path:
        if not isinstance(entry, str):  # bytes or path objects on sys.path: too unusual to key safely
            return None
        root = entry or "."
        try:
            children = os.scandir(root)
        except NotADirectoryError:
            try:
                st = os.stat(root)
            except OSError:
                continue
            stamp.append([entry, st.st_mtime_ns, st.st_size])
            continue
        except OSError:
            continue
        base_is_egg = os.path.basename(root).lower().endswith(".egg")
        dists: list[Any] = []
        with children:
            for child in children:
                low = child.name.lower()
                if not (low.endswith((".dist-info", ".egg-info")) or (base_is_egg and low == "egg-info")):
                    continue
                try:
                    st = child.stat()
                except OSError:
                    continue
                try:
                    ep_stat = os.stat(os.path.join(child.path, "entry_points.txt"))
                    eps: list[int] | None = [ep_stat.st_mtime_ns, ep_stat.st_size]
                except OSError:
                    eps = None
                dists.append([child.name, st.st_mtime_ns, eps])
        if dists:
            dists.sort()
            stamp.append([entry, dists])
    return stamp


def entry_point_cache_path() -> Path:
    """One file per Python environment, so that two virtualenvs do not keep overwriting each other's."""
    from placer.catalog.cache import cache_dir  # noqa: PLC0415 - placer.catalog.cache imports lazily itself

    environment = f"{sys.prefix}|{sys.implementation.cache_tag}"
    digest = 0xCBF29CE484222325  # FNV-1a: stable across runs (hash() is not), and no hashlib to import
    for byte in environment.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return cache_dir() / "entry-points" / f"{sys.implementation.cache_tag}-{digest:016x}.json"


def _read_entry_point_cache(path: Path, stamp: list[Any]) -> dict[str, list[InstalledEntryPoint]] | None:
    """The cached scan when it is for exactly this ``stamp``; None (a miss) for anything else, corrupt included."""
    try:
        data = json.loads(path.read_bytes())
        if data["version"] != ENTRY_POINT_CACHE_VERSION or data["stamp"] != stamp:
            return None
        groups = data["groups"]
        out = {
            group: [InstalledEntryPoint(str(n), str(v), group, str(p)) for n, v, p in groups[group]]
            for group in _CACHED_GROUPS
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return out


def _write_entry_point_cache(path: Path, stamp: list[Any], found: dict[str, list[InstalledEntryPoint]]) -> None:
    from placer.atomic import write_atomic  # noqa: PLC0415 - only on a miss
    from placer.errors import OutputError  # noqa: PLC0415

    payload = {
        "version": ENTRY_POINT_CACHE_VERSION,
        "stamp": stamp,
        "groups": {group: [[e.name, e.value, e.package] for e in eps] for group, eps in found.items()},
    }
    with suppress(OutputError):  # a read-only cache directory: stay correct, just scan again next time
        write_atomic(path, json.dumps(payload, separators=(",", ":")))


@contextmanager
def pydantic_plugins_known_absent() -> Iterator[None]:
    """Inside this block, spare pydantic its own entry-point scan when no pydantic plugin is installed.

    pydantic looks for plugins (entry-point group ``pydantic``) with a full importlib.metadata scan the first
    time it builds a model. When the entry-point cache above shows that group is empty, the outcome of that
    scan is known (no plugin), and pydantic's documented switch ``PYDANTIC_DISABLE_PLUGINS`` says the same
    thing for free. Nothing changes when a pydantic plugin is installed or the variable is already set; the
    environment is restored on the way out.
    """
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    skip = False
    if previous is None:
        try:
            skip = not installed_entry_points(PYDANTIC_GROUP)
        except Exception:  # an optimisation must never break a command: pydantic will scan as usual
            skip = False
    if skip:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if skip:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)


# --- loading -----------------------------------------------------------------------------------------------


def load_plugins(
    only: set[str] | None = None,
    warn: Callable[[str], None] | None = None,
    eps: Iterable[EntryPoint | InstalledEntryPoint] | None = None,
) -> Registry:
    """Load every entry point of the group (or ``only`` those); a failing plugin warns, never crashes."""
    registry = Registry()
    if only is not None and not only:  # "none": nothing to load, nothing to look for
        return registry
    found = sorted(eps if eps is not None else installed_entry_points(GROUP), key=lambda e: e.name)
    missing = sorted((only or set()) - {ep.name for ep in found})
    if missing and warn is not None:
        installed = ", ".join(ep.name for ep in found) or "none"
        warn(f"no installed provider plugin named {', '.join(map(repr, missing))} (installed: {installed})")
    for ep in found:
        if only is not None and ep.name not in only:
            continue
        package = _package(ep)
        registry.loading_package = package
        try:
            register = ep.load()
            register(registry)
        except PluginError:
            raise
        except Exception as exc:  # a broken plugin must not break planning
            if warn is not None:  # the plugin's message may hold its API key or a URL with credentials
                from placer.redact import one_line, redact  # noqa: PLC0415 - only when a plugin fails

                warn(
                    f"plugin {ep.name!r} from package {package} failed to load: "
                    f"{type(exc).__name__}: {one_line(redact(str(exc)), 2000)}"
                )
        finally:
            registry.loading_package = "placer"
    return registry
