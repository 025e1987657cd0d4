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


@pytest.fixture
def keeping(collector_on: None) -> Iterator[None]:
    from placer.collector import keeping_what_is_built

    with keeping_what_is_built():
        yield
    gc.unfreeze()  # the test process's heap is not placer's to keep


def _collections_after_a_paused_build() -> tuple[int, list[int]]:
    """(objects frozen by the block, the collections that ran as it ended and just after)."""
    gc.collect()
    before = gc.get_freeze_count()
    ran: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            ran.append(info["generation"])

    with paused():
        built = [{"offer": i, "prices": [float(i)]} for i in range(5000)]
        assert not gc.isenabled()
        gc.callbacks.append(record)
    try:
        assert gc.isenabled()
        [[] for _ in range(10)]  # a few allocations: a collection now due would run here
    finally:
        gc.callbacks.remove(record)
    assert len(built) == 5000
    return gc.get_freeze_count() - before, ran


def test_a_paused_block_leaves_nothing_for_the_next_collection_in_placers_process(keeping):
    """What the block built is frozen before the collector is back on, so no pass visits it (a 50,000-offer
    catalog cost 0.12 s of collection right after its pause, a fleet's entries 0.22 s)."""
    frozen, ran = _collections_after_a_paused_build()
    assert frozen >= 2 * 5000  # each dict and its list
    assert ran == []


def test_a_library_user_s_process_is_never_frozen(collector_on):
    """Only placer's own entry point asks for it: elsewhere a pause only defers the collector, which visits what
    the block built as soon as it is back on."""
    frozen, ran = _collections_after_a_paused_build()
    assert frozen == 0
    assert ran and ran[0] == 0


def test_the_switch_is_placers_only_while_its_entry_point_runs(collector_on):
    from placer import collector

    with collector.keeping_what_is_built():
        with collector.keeping_what_is_built():
            assert collector._KEEP_BUILT
        assert collector._KEEP_BUILT  # nests
    assert not collector._KEEP_BUILT
    with pytest.raises(KeyError), collector.keeping_what_is_built():
        raise KeyError("x")
    assert not collector._KEEP_BUILT


# A process that runs placer's entry point in-process, as a wrapper script or a test runner can: each command's
# exit code, then the collector's state and placer's switch as the host sees them afterwards.
HOST = (
    "import gc, sys\n"
    "from placer import collector\n"
    "from placer.cli.start import main\n"
    "codes = []\n"
    "for args in sys.argv[1:]:\n"
    "    sys.argv = ['placer', *args.split('|')]\n"
    "    try:\n        main()\n    except SystemExit as exc:\n        codes.append(exc.code)\n"
    "print(codes, gc.isenabled(), collector._KEEP_BUILT, gc.get_freeze_count() > 1000, file=sys.stderr)\n"
)


def test_placers_entry_point_keeps_what_it_builds_and_gives_a_host_its_state_back() -> None:
    import subprocess
    import sys

    profiles = Path(__file__).resolve().parent.parent / "profiles"
    runs = [
        f"plan|{profiles / 'ios-app-ci.yaml'}|-f|json",  # the quick path, collector off while it plans
        f"replan|{profiles}|-f|json",
        f"check|{profiles / 'ios-app-ci.yaml'}|-f|json",
    ]
    done = subprocess.run([sys.executable, "-c", HOST, *runs], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "[0, 5, 0] True False True", done.stderr


def test_a_parallel_fleet_leaves_a_callers_frozen_objects_frozen(collector_on, tmp_path: Path) -> None:
    """plan_fleet freezes the heap so forked workers share its pages; it used to unfreeze everything afterwards,
    the caller's own frozen objects (and placer's kept catalog) included."""
    from placer.batch import plan_fleet

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert before > 0
        entries = plan_fleet([str(p) for p in PROFILES], embedded_catalog(), ReplanOptions(jobs=2))
        assert len(entries) == len(PROFILES)
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()


def test_a_parallel_fleet_in_a_process_with_nothing_frozen_leaves_nothing_frozen(collector_on) -> None:
    from placer.batch import plan_fleet

    gc.unfreeze()
    plan_fleet([str(p) for p in PROFILES], embedded_catalog(), ReplanOptions(jobs=2))
    assert gc.get_freeze_count() == 0
