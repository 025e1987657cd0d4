"""scripts/fuzz_loaders.py: a short seeded run over every loader finds nothing, and the harness itself catches what
it is there to catch (a stray exception, a wrong exit code, a message not naming the file, a hang), saving the input.

The long run is by hand: ``python scripts/fuzz_loaders.py --cases 10000 [--seed N]``.
"""

from __future__ import annotations

import importlib.util
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from placer.errors import CatalogError, SourceLocation, UsageError

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "fuzz_loaders.py"


@pytest.fixture(scope="module")
def fuzz_loaders() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_loaders", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_loaders"] = module
    spec.loader.exec_module(module)
    return module


def test_a_short_run_over_every_loader_finds_nothing(tmp_path: Path) -> None:
    out = tmp_path / "failures"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--cases", "200", "--seed", "7", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[2:] if line[:1].isalpha()}
    for loader in ("profile", "user-yaml", "user-csv", "catalog-json", "config"):
        cases, loaded, rejected, failed = (int(n.replace(",", "")) for n in rows[loader][:4])
        assert cases == 40
        assert loaded + rejected == cases
        assert failed == 0
    assert rows["total"][0] == "200"
    assert rows["total"][3] == "0"
    assert re.search(r"^wall time \d+\.\d s$", done.stdout, re.MULTILINE)
    assert not out.exists()  # nothing to reproduce


def test_the_same_seed_gives_the_same_cases(fuzz_loaders: ModuleType) -> None:
    pool = fuzz_loaders.seeds("profile")
    first = [fuzz_loaders.make_case("profile", pool, random.Random(f"3/profile/{i}")) for i in range(20)]
    again = [fuzz_loaders.make_case("profile", pool, random.Random(f"3/profile/{i}")) for i in range(20)]
    assert first == again
    assert len(set(first)) > 10  # and they differ from one another


def _raises(error: BaseException) -> Callable[[Path], None]:
    def loader(path: Path) -> None:
        raise error

    return loader


def test_failures_are_counted_and_saved_with_what_happened(fuzz_loaders: ModuleType, tmp_path: Path) -> None:
    def other_file(path: Path) -> None:
        raise CatalogError("bad", location=SourceLocation(str(path) + ".other", 1))

    loaders = {
        "profile": _raises(ValueError("boom")),  # not a PlacerError: a crash
        "user-yaml": _raises(UsageError("flags")),  # a PlacerError, but exit 2
        "catalog-json": other_file,  # exit 3, but the message names another file
        "config": lambda path: None,  # loads: passes
    }
    report = fuzz_loaders.fuzz(loaders, cases=8, seed=1, out=tmp_path / "out")
    assert {name: (t.cases, t.loaded, t.rejected, t.failed) for name, t in report.tallies.items()} == {
        "profile": (2, 0, 0, 2),
        "user-yaml": (2, 0, 0, 2),
        "catalog-json": (2, 0, 0, 2),
        "config": (2, 2, 0, 0),
    }
    saved = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert saved == sorted(
        [f"{name}-seed1-{i}{suffix}" for name, suffix in [("profile", ".yaml"), ("user-yaml", ".yaml"),
                                                            ("catalog-json", ".json")] for i in (0, 1)]
        + [f"{name}-seed1-{i}{suffix}.txt" for name, suffix in [("profile", ".yaml"), ("user-yaml", ".yaml"),
                                                                 ("catalog-json", ".json")] for i in (0, 1)]
    )  # fmt: skip
    notes = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.txt")}
    assert "problem: ValueError instead of a PlacerError" in notes["profile-seed1-0.yaml.txt"]
    assert "ValueError: boom" in notes["profile-seed1-0.yaml.txt"]  # with its traceback
    assert "problem: UsageError with exit code 2, not 3" in notes["user-yaml-seed1-0.yaml.txt"]
    assert "problem: the message does not name the file" in notes["catalog-json-seed1-0.json.txt"]
    # the saved input is the case itself: the loader saw those bytes
    assert (tmp_path / "out" / "profile-seed1-0.yaml").read_bytes() == fuzz_loaders.make_case(
        "profile", fuzz_loaders.seeds("profile"), random.Random("1/profile/0")
    )


def test_a_message_that_is_not_one_clean_line_fails(fuzz_loaders: ModuleType, tmp_path: Path) -> None:
    def noisy(path: Path) -> None:
        raise CatalogError("Input should be a valid integer\nand more", location=SourceLocation(str(path), 2, 3))

    report = fuzz_loaders.fuzz({"user-csv": noisy}, cases=1, seed=0, out=tmp_path)
    assert report.failed == 1
    assert "problem: more than one message line" in (tmp_path / "user-csv-seed0-0.csv.txt").read_text()


def test_a_hang_is_stopped_and_reported(fuzz_loaders: ModuleType, tmp_path: Path) -> None:
    def hangs(path: Path) -> None:
        time.sleep(30)

    report = fuzz_loaders.fuzz({"profile": hangs}, cases=1, seed=0, out=tmp_path, timeout=0.2)
    assert report.tallies["profile"].failed == 1
    assert "problem: took" in (tmp_path / "profile-seed0-0.yaml.txt").read_text()
