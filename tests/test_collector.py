"""The garbage collector's pauses, and planning that leaves no garbage only the collector could free."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from placer.batch import ReplanOptions, _plan_one
from placer.catalog.loader import embedded_catalog
from placer.collector import paused
from placer.shortlist import Shortlister

PROFILES = sorted((Path(__file__).resolve().parent.parent / "profiles").glob("*.yaml"))


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_turns_the_collector_off_for_the_block_and_back_on_after(collector_on):
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()


def test_paused_turns_it_back_on_when_the_block_fails(collector_on):
    with pytest.raises(KeyError), paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_paused_leaves_a_collector_that_was_off_off(collector_on):
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_planning_a_fleet_leaves_no_cycles_behind(collector_on):
    """A rejection kept as a value once held the frames it was raised through, and each profile's YAML reading
    made a loader that referred to itself: ~400 objects a profile that only the collector could free."""
    assert len(PROFILES) == 7
    engine = Shortlister(embedded_catalog())
    options = ReplanOptions()
    for path in PROFILES:  # the caches that live as long as the engine are made here
        _plan_one(str(path), engine, options)
    gc.collect()
    with paused():
        for path in PROFILES:
            entry = _plan_one(str(path), engine, options)
            assert entry.status != "error", entry.reasons
            entry.model_dump()
        assert gc.collect() == 0
