"""The example plugin loads through its entry point and its offers compete in plans."""

from placer.catalog.assemble import assemble_catalog
from placer.planner import make_plan
from placer.profile import parse_profile
from placer.providers.registry import load_plugins

FINETUNE = """
kind: training
name: finetune
model: {parameters: 8B}
training: {tokens: 5B}
resources: {count: 8, accelerators: [H100]}
constraints: {providers: [acme]}
"""


def test_registers_through_its_entry_point():
    registry = load_plugins({"acme"})
    provider = registry.get("acme")
    assert provider is not None
    assert provider.package == "placer-provider-acme"
    assert [o.id for o in provider.offers] == ["acme/us-central/h100x8"]


def test_its_offers_are_planned():
    catalog = assemble_catalog(plugins={"acme"}, use_cache=False).catalog
    plan = make_plan(parse_profile(FINETUNE).profile, catalog)
    assert plan.chosen is not None
    assert plan.chosen.offer == "acme/us-central/h100x8"
    assert plan.chosen.details["usd_per_accelerator_hour"] == 34.0 / 8
