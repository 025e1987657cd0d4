"""`placer replan` as a script or a CI matrix runs it: the real CLI in a subprocess on a small fleet.

Exit codes, stdout vs stderr, what moved against a baseline (golden Markdown; regenerate with
PLACER_UPDATE_GOLDEN=1 and review the diff), shards that partition the fleet and merge back to the
unsharded report, a bad profile reported without stopping the batch, and parallel = serial.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
from tests.budget_profiles import NO_BUDGET, OVER, SERVICE, UNDER
from tests.conftest import MINI_CATALOG, run_placer
from tests.test_render import check_golden

from placer.batch import TAIL_CHUNK, Shard, _chunks, _taken, parse_shard
from placer.errors import UsageError

ENV = {"PLACER_MAX_PRICE_AGE_DAYS": "100000", "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""}


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Twelve profiles: copies of four shapes under different names and sizes, one over budget."""
    profiles = tmp_path / "fleet"
    profiles.mkdir()
    texts = {"over": OVER, "train": UNDER, "service": SERVICE, "ios": NO_BUDGET}
    for k in range(3):
        for name, text in texts.items():
            body = text.replace("name: ", f"name: n{k}-", 1)
            if k and name == "service":
                body = body.replace("requests_per_second: 2", f"requests_per_second: {2 + 3 * k}")
            (profiles / f"{name}-{k}.yaml").write_text(body)
    return tmp_path


def replan(cwd: Path, *args: str):
    return run_placer("replan", *args, "--catalog", str(MINI_CATALOG), "--no-progress", cwd=cwd, env=ENV)


def load(text: str) -> dict:  # type: ignore[type-arg]
    return json.loads(text)


def test_fleet_json_report_exit_code_and_timing_on_stderr(fleet: Path):
    done = replan(fleet, "fleet", "--format", "json", "--jobs", "1")
    assert done.returncode == 5, done.stderr
    report = load(done.stdout)
    assert report["report"] == "placer replan"
    assert report["totals"]["profiles"] == 12
    over = sorted(p["file"] for p in report["profiles"] if p["status"] == "over")
    assert over == [
        "fleet/over-0.yaml",
        "fleet/over-1.yaml",
        "fleet/over-2.yaml",
        "fleet/service-1.yaml",
        "fleet/service-2.yaml",
    ]  # the two busier services outgrow their $1,000 a month
    assert (report["totals"]["over"], report["totals"]["within"], report["totals"]["no_budget"]) == (5, 4, 3)
    assert report["totals"]["pairs"] == 12 * report["catalog"]["offers"]
    assert [p["file"] for p in report["profiles"]] == sorted(p["file"] for p in report["profiles"])
    over = next(p for p in report["profiles"] if p["file"] == "fleet/over-0.yaml")
    assert over["status"] == "over" and over["exit_code"] == 5 and over["line"] == 8
    assert over["chosen"]["offer"] and len(over["alternatives"]) <= 3
    assert over["candidates"] >= over["examined"] > 0
    # stdout is the report only; the timing line goes to stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("placer: re-planned 12 profiles × 20 offers in ")
    assert "profiles/s" in line and "with 1 job(s)" in line


def test_parallel_gives_the_same_report_as_serial(fleet: Path):
    serial = replan(fleet, "fleet", "-f", "json", "-j", "1")
    parallel = replan(fleet, "fleet", "-f", "json", "-j", "3")
    assert serial.returncode == parallel.returncode == 5
    assert serial.stdout == parallel.stdout


def test_a_bad_profile_is_reported_and_the_batch_goes_on(fleet: Path):
    (fleet / "fleet" / "broken.yaml").write_text("kind: training\nname: x\nmodel: {parameters: lots}\n")
    (fleet / "fleet" / "empty").mkdir()
    done = replan(fleet, "fleet", "fleet/empty", "missing.yaml", "-f", "json")
    assert done.returncode == 3
    report = load(done.stdout)
    assert report["totals"]["profiles"] == 15
    bad = {p["file"]: p for p in report["profiles"] if p["status"] == "invalid"}
    assert set(bad) == {"fleet/broken.yaml", "fleet/empty", "missing.yaml"}
    assert bad["fleet/broken.yaml"]["line"] == 3
    assert "model.parameters" in bad["fleet/broken.yaml"]["error"]
    assert sum(p["status"] == "within" for p in report["profiles"]) == 4  # the good ones were planned
    errors = [x for x in done.stderr.splitlines() if x.startswith("placer: error:")]
    assert len(errors) == 3
    assert "Traceback" not in done.stderr


def test_baseline_shows_what_moved(fleet: Path):
    base = replan(fleet, "fleet", "-f", "json", "-o", "base.json")
    assert base.returncode == 5
    assert (fleet / "base.json").exists()
    # prices change: a budget is cut so one profile is newly over, a load grows, a profile is added and one removed
    (fleet / "fleet" / "train-1.yaml").write_text(UNDER.replace("max_usd: 100000", "max_usd: 10"))
    (fleet / "fleet" / "service-0.yaml").write_text(
        SERVICE.replace("requests_per_second: 2", "requests_per_second: 30")
    )
    (fleet / "fleet" / "ios-2.yaml").unlink()
    (fleet / "fleet" / "new.yaml").write_text(NO_BUDGET.replace("small-ios", "brand-new"))
    done = replan(fleet, "fleet", "--baseline", "base.json", "-f", "markdown")
    assert done.returncode == 5
    check_golden("replan-moved.md", done.stdout)
    report = load(replan(fleet, "fleet", "--baseline", "base.json", "-f", "json").stdout)
    moved = report["totals"]["moved"]
    assert (moved["newly_over"], moved["new"], moved["missing"]) == (2, 1, 1)
    assert moved["cost_up"] >= 1
    assert report["moved"][0]["file"] == "fleet/service-0.yaml"  # the biggest cost change first
    assert report["missing"][0]["file"] == "fleet/ios-2.yaml"
    again = replan(fleet, "fleet", "--baseline", "base.json", "--max-increase-pct", "10", "-f", "json")
    assert (
        load(again.stdout)["profiles"][[p["file"] for p in report["profiles"]].index("fleet/service-0.yaml")]["gate"]
        == "fail"
    )


def test_shards_partition_the_fleet_and_merge_back(fleet: Path):
    whole = load(replan(fleet, "fleet", "-f", "json").stdout)
    files: list[str] = []
    for i in (1, 2, 3):
        done = replan(fleet, "fleet", "--shard", f"{i}/3", "-f", "json", "-o", f"s{i}.json")
        assert done.returncode in (0, 5), done.stderr
        files += [p["file"] for p in load((fleet / f"s{i}.json").read_text())["profiles"]]
    assert sorted(files) == [p["file"] for p in whole["profiles"]]  # each profile in exactly one shard
    merged = run_placer("replan", "--merge", "s1.json", "s2.json", "s3.json", "-f", "json", cwd=fleet, env=ENV)
    assert merged.returncode == whole["exit_code"]
    joined = load(merged.stdout)
    assert joined["profiles"] == whole["profiles"]
    assert joined["totals"] == whole["totals"]
    assert joined["shards"] == [1, 2, 3]


def test_merge_refuses_a_missing_or_doubled_shard(fleet: Path):
    for i in (1, 2):
        replan(fleet, "fleet", "--shard", f"{i}/3", "-f", "json", "-o", f"s{i}.json")
    missing = run_placer("replan", "--merge", "s1.json", "s2.json", cwd=fleet, env=ENV)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "placer: error: shard(s) 3/3 missing from the merge"
    doubled = run_placer("replan", "--merge", "s1.json", "s1.json", cwd=fleet, env=ENV)
    assert doubled.returncode == 2
    assert "shard 1/3 given twice" in doubled.stderr
    (fleet / "junk.json").write_text('{"report": "something else"}')
    junk = run_placer("replan", "--merge", "junk.json", cwd=fleet, env=ENV)
    assert junk.returncode == 3
    assert junk.stderr.startswith("placer: error: junk.json: not a placer replan report")


def test_table_output_summarises_and_nothing_is_planned_for_no_profiles(fleet: Path):
    done = replan(fleet, "fleet")
    assert done.returncode == 5
    assert done.stdout.startswith("placer replan: 12 profiles on 20 offers")
    assert "Failing:" in done.stdout
    nothing = replan(fleet, "fleet", "--exclude", "fleet/*")
    assert nothing.returncode == 2
    assert "nothing to re-plan" in nothing.stderr


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3"])
def test_bad_shard_is_a_usage_error(text: str):
    with pytest.raises(UsageError):
        parse_shard(text)


def test_shards_are_stable_and_cover_everything():
    paths = [f"profiles/team-{i}/p{i}.yaml" for i in range(500)]
    owners = [[s for s in range(1, 5) if Shard(s, 4).holds(p)] for p in paths]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(1 for o in owners if o == [s]) for s in range(1, 5)]
    assert min(sizes) > 80  # roughly even
    assert Shard(2, 4).holds("./profiles/team-1/p1.yaml") == Shard(2, 4).holds("profiles/team-1/p1.yaml")


def test_a_worker_gives_its_free_heap_back_every_few_hundred_profiles(fleet: Path, monkeypatch: pytest.MonkeyPatch):
    """Forked workers call glibc's malloc_trim once TRIM_EVERY profiles were planned since the last call (their
    heap's high-water mark would stay), not after every small chunk."""
    from placer import batch
    from placer.catalog.loader import load_catalog
    from placer.shortlist import Shortlister

    calls: list[int] = []
    trimmer = batch._Trimmer()
    trimmer.trim = calls.append
    monkeypatch.setattr(batch, "TRIM_EVERY", 4)
    monkeypatch.setattr(batch, "_TRIMMER", trimmer)
    monkeypatch.setattr(batch, "_WORKER", (Shortlister(load_catalog(MINI_CATALOG)), batch.ReplanOptions()))
    paths = sorted(str(p) for p in (fleet / "fleet").glob("*.yaml"))[:3]
    done = batch._work(paths)
    assert [e["file"] for e in done] == paths and calls == []  # 3 planned: not yet
    batch._work(paths[:1])
    assert calls == [0]  # 4: trimmed, and counting starts again
    batch._work(paths)
    assert calls == [0]
    monkeypatch.setattr(batch, "_TRIMMER", None)
    batch._trimmed_as_it_goes()  # what a worker runs first: glibc's malloc_trim, where there is glibc
    assert batch._TRIMMER is not None
    if platform.libc_ver()[0] == "glibc":
        assert batch._TRIMMER.trim is not None and batch._TRIMMER.trim(0) in (0, 1)


@pytest.mark.parametrize(("count", "size", "jobs"), [(10_000, 256, 2), (37, 2, 2), (1000, 64, 4), (5, 256, 1)])
def test_chunks_cover_the_fleet_in_order_and_shrink_towards_its_end(count: int, size: int, jobs: int) -> None:
    """Every profile once, in order; no chunk over the size; near the end, chunks shrink (so the workers finish
    together), down to TAIL_CHUNK, never below it but for the very last."""
    paths = [f"p{i}.yaml" for i in range(count)]
    chunks = [list(c) for c in _chunks(paths, size, jobs)]
    assert [p for c in chunks for p in c] == paths
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= size
    assert all(s >= min(size, TAIL_CHUNK) for s in sizes[:-1])
    assert sizes == sorted(sizes, reverse=True)
    if (
        size > TAIL_CHUNK and count >= 8 * jobs * size
    ):  # a fleet large enough to shrink: its last chunks are far smaller than the first
        assert sizes[0] == size and sizes[-2] == TAIL_CHUNK


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_budget_too_small_for_a_percentage_is_over_by_dollars_and_the_fleet_is_reported(fleet: Path, jobs: str):
    """over / 1e-306 × 100 is inf, which the report's numbers refuse: it was once a whole lost batch."""
    (fleet / "fleet" / "tiny.yaml").write_text(OVER.replace("name: big-train", "name: tiny").replace("1000", "1e-306"))
    done = replan(fleet, "fleet", "--format", "json", "--jobs", jobs)
    assert done.returncode == 5, done.stderr
    report = load(done.stdout)
    assert report["totals"]["profiles"] == 13
    tiny = next(p for p in report["profiles"] if p["file"] == "fleet/tiny.yaml")
    assert tiny["status"] == "over" and tiny["exit_code"] == 5
    assert tiny["budget"]["over_usd"] == tiny["chosen"]["cost"]["total_usd"] > 0
    assert tiny["budget"]["over_pct"] is None
    done = replan(fleet, "fleet/tiny.yaml", "--format", "markdown", "--jobs", jobs)
    assert done.returncode == 5, done.stderr
    assert "fleet/tiny.yaml`: over budget by $5,882: $5,882 per run" in done.stdout and "inf" not in done.stdout


def test_an_entry_a_worker_sends_that_is_not_valid_is_that_profiles_internal_error():
    entry = _taken({"file": "fleet/a.yaml", "status": "nonsense", "gate": "pass", "exit_code": 0})
    assert entry.file == "fleet/a.yaml"
    assert (entry.status, entry.gate, entry.exit_code) == ("error", "fail", 1)
    assert entry.error is not None and entry.error.startswith("internal error while planning fleet/a.yaml: ")
    assert "ValidationError" in entry.error and "status" in entry.error
