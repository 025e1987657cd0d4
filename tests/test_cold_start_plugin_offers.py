"""Plugin offers join the catalog without re-validating the whole catalog, with the same result and the same
warnings as a full re-validation (the reference below is the former implementation)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError
from tests.conftest import MINI_CATALOG

from placer.catalog.assemble import _add_plugin_offers, assemble_catalog
from placer.catalog.models import Catalog, GpuOffer, Price, Region
from placer.providers.registry import Provider, Registry

BASE = Catalog.model_validate_json(MINI_CATALOG.read_text())
SOURCE = "https://example.com/rate-card (test)"
REGION = Region(key="acme/us-central", geo="us-central", lat=41.26, lon=-95.94, label="ACME Omaha")


def reference(base: Catalog, registry: Registry, note: Callable[[str], None]) -> Catalog:
    """Every offer dumped and the whole catalog validated again, plugin by plugin."""
    catalog = base
    for provider in registry.all():
        if not (provider.offers or provider.hardware or provider.regions):
            continue
        try:
            catalog = Catalog.model_validate(
                {
                    **catalog.model_dump(),
                    "offers": [o.model_dump() for o in (*catalog.offers, *provider.offers)],
                    "hardware": {**catalog.hardware, **provider.hardware},
                    "regions": {**catalog.regions, **provider.regions},
                }
            )
        except ValidationError as exc:
            why = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
            note(f"plugin {provider.name!r} from package {provider.package} was skipped: invalid offer: {why}")
    return catalog


def gpu(offer_id: str = "acme/us-central/h100x8", *, usd: float = 34.0, accelerator: str = "H100",
        region: str = "us-central", construct: bool = False) -> GpuOffer:  # fmt: skip
    fields = {
        "id": offer_id,
        "provider": offer_id.split("/", 1)[0],
        "region": region,
        "instance": offer_id.rsplit("/", 1)[-1],
        "accelerator": accelerator,
        "accelerators_per_instance": 8,
        "accelerator_memory_gb": 80,
        "interconnect": "infiniband",
        "max_instances": 4,
    }
    if construct:  # a plugin that skipped validation: only the catalog's checks can catch it
        price = Price.model_construct(usd=usd, source=SOURCE, as_of="2026-11-01", basis="list")
        return GpuOffer.model_construct(**fields, kind="gpu", prices={"on-demand": price})
    return GpuOffer(**fields, prices={"on-demand": Price(usd=usd, source=SOURCE, as_of="2026-11-01")})


def registry_of(*providers: Provider) -> Registry:
    registry = Registry()
    for provider in providers:
        registry.loading_package = f"placer-provider-{provider.name}"
        registry.add(provider)
    return registry


BASE_ID = BASE.offers[0].id
H100 = BASE.hardware["H100"]
CASES = {
    "valid offers and a new region": [Provider("acme", offers=(gpu(),), regions={REGION.key: REGION})],
    "unknown region": [Provider("acme", offers=(gpu(),))],
    "unknown hardware": [Provider("acme", offers=(gpu(accelerator="Z9"),), regions={REGION.key: REGION})],
    "invalid price": [Provider("acme", offers=(gpu(usd=-1.0, construct=True),), regions={REGION.key: REGION})],
    "duplicate of a base offer": [
        Provider(BASE.offers[0].provider, offers=(gpu(BASE_ID, region=BASE.offers[0].region),))
    ],
    "duplicate and unknown hardware at once": [
        Provider(BASE.offers[0].provider, offers=(gpu(BASE_ID, accelerator="Z9", region=BASE.offers[0].region),))
    ],
    "duplicate within the plugin": [
        Provider("acme", offers=(gpu(), gpu()), regions={REGION.key: REGION}),
    ],
    "hardware only": [Provider("acme", hardware={"H100-X": H100.model_copy(update={"name": "H100 X"})})],
    "a bad plugin between good ones": [
        Provider("acme", offers=(gpu(),), regions={REGION.key: REGION}),
        Provider("bad", offers=(gpu("bad/us-central/x", usd=0.0, construct=True),)),
        Provider(
            "zed",
            offers=(gpu("zed/us-central/y"),),
            regions={"zed/us-central": REGION.model_copy(update={"key": "zed/us-central"})},
        ),
    ],
    "nothing to add": [Provider("empty")],
}


@pytest.mark.parametrize("providers", CASES.values(), ids=CASES.keys())
def test_plugin_offers_merge_as_a_full_revalidation_would(providers: list[Provider]):
    registry = registry_of(*providers)
    expected_notes: list[str] = []
    expected = reference(BASE, registry, expected_notes.append)
    notes: list[str] = []
    merged, sources = _add_plugin_offers(BASE, registry, notes.append)
    assert notes == expected_notes
    assert merged == expected
    assert merged.model_dump_json() == expected.model_dump_json()
    assert [s.name for s in sources] == [
        f"plugin {p.name} ({p.package})"
        for p in registry.all()
        if (p.offers or p.hardware or p.regions) and not any(f"plugin {p.name!r}" in n for n in notes)
    ]


def test_the_unchanged_base_offers_are_reused_not_rebuilt():
    registry = registry_of(Provider("acme", offers=(gpu(),), regions={REGION.key: REGION}))
    merged, _ = _add_plugin_offers(BASE, registry, lambda _: None)
    assert all(a is b for a, b in zip(merged.offers, BASE.offers, strict=False))
    assert merged.offers[-1] == gpu() and merged.offers[-1] is not gpu()


def test_the_example_plugin_still_joins_the_embedded_catalog():
    assembled = assemble_catalog(plugins={"acme"}, use_cache=False)
    assert any(o.id == "acme/us-central/h100x8" for o in assembled.catalog.offers)
    assert [s.kind for s in assembled.sources] == ["embedded", "plugin"]
    assert assembled.warnings == []
