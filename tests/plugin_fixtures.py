"""Register callbacks used by tests/test_plugins.py through hand-made entry points."""

from placer.providers.registry import Provider, Registry


def register_one(registry: Registry) -> None:
    registry.add(Provider(name="dup", description="first"))


def register_again(registry: Registry) -> None:
    registry.add(Provider(name="dup", description="second"))


def register_broken(registry: Registry) -> None:
    raise RuntimeError("boom while registering")
