"""A kill mid-write leaves the old file: every command that writes a file is SIGKILLed half-way through writing it.

The child runs the real CLI with one change: the file object ``write_atomic`` writes the target's temporary file
through writes the first half of the data, tells the parent (a pipe) and waits. The parent then SIGKILLs it, so
the kill lands deterministically mid-write, with no timing involved. Afterwards the target is the old content
byte for byte. The half-written temporary file (``.NAME.XXXXXXXX.tmp``) is left behind: nothing survives a
SIGKILL to remove it. It is ignored: the next run writes its own temporary file, replaces the target, and
neither it nor any reader opens the stale one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import MINI_CATALOG, ROOT

from placer.catalog.cache import read_cache
from servers.azure_prices import AzureRetailPricesFake, item
from servers.s3_objects import S3ObjectsFake

CHILD = r"""
import os, sys, time

SIGNAL_FD = int(os.environ["KILL_TEST_FD"])
TARGET = os.path.basename(os.environ["KILL_TEST_TARGET"])
real_fdopen = os.fdopen


class HalfThenWait:
    def __init__(self, handle, path):
        self._handle, self._path = handle, path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def fileno(self):
        return self._handle.fileno()

    def flush(self):
        self._handle.flush()

    def write(self, data):
        half = len(data) // 2
        self._handle.write(data[:half])
        self._handle.flush()
        os.write(SIGNAL_FD, f"{self._path}\t{half}\t{len(data)}\n".encode())
        time.sleep(3600)  # the parent kills us here
        return self._handle.write(data[half:])


def fdopen(fd, *args, **kwargs):
    handle = real_fdopen(fd, *args, **kwargs)
    path = os.readlink(f"/proc/self/fd/{fd}")
    name = os.path.basename(path)
    if name.startswith(f".{TARGET}.") and name.endswith(".tmp"):
        return HalfThenWait(handle, path)
    return handle


os.fdopen = fdopen
from placer.cli.app import main

sys.argv = ["placer", *sys.argv[1:]]
main()
"""

AZURE_ITEMS = [item("Standard_ND96isr_H100_v5", f"region{n:03d}", 90.0 + n) for n in range(200)]


@dataclass
class Writer:
    """A command that writes ``target``; ``check`` validates what a complete run wrote."""

    args: list[str]
    target: Path
    old: bytes
    env: dict[str, str]
    check: Callable[[Path], None]


def _old_cache() -> bytes:
    offer = {
        "id": "azure/eastus/standard_nd96isr_h100_v5", "provider": "azure", "region": "eastus", "kind": "gpu",
        "instance": "Standard_ND96isr_H100_v5", "accelerator": "H100", "accelerators_per_instance": 8,
        "accelerator_memory_gb": 80, "interconnect": "infiniband",
        "prices": {"on-demand": {"usd": 97.0, "source": "https://prices.azure.com/api/retail/prices",
                                  "as_of": "2026-11-01"}},
    }  # fmt: skip
    doc = {"schema_version": 1, "provider": "azure", "fetched_at": "2026-11-01T08:30:00Z", "source": "x",
           "offers": [offer]}  # fmt: skip
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


@contextmanager
def writer(kind: str, tmp_path: Path) -> Iterator[Writer]:
    cache = tmp_path / "cache"
    base = {"PLACER_CACHE_DIR": str(cache), "PLACER_PLUGINS": "none", "GITHUB_STEP_SUMMARY": "", "CI": "1"}
    if kind == "snapshot":  # the whole embedded catalog, ~400 kB of JSON
        target = tmp_path / "pinned.json"
        yield Writer(
            ["catalog", "snapshot", "-o", str(target)], target, MINI_CATALOG.read_bytes(), base,
            lambda p: json.loads(p.read_bytes())["offers"],
        )  # fmt: skip
    elif kind == "refresh":  # the Azure price cache, 200 offers
        target = cache / "prices" / "azure.json"
        with AzureRetailPricesFake(AZURE_ITEMS, page_size=100) as server:
            yield Writer(
                ["catalog", "refresh", "azure", "--plugins", "azure", "--endpoint", f"azure={server.endpoint}"],
                target, _old_cache(), base,
                lambda p: read_cache("azure", cache),
            )  # fmt: skip
    elif kind == "pull":  # a snapshot pulled from S3
        target = tmp_path / "pulled.json"
        env = {**base, "AWS_ACCESS_KEY_ID": "AKIDKILLTEST", "AWS_SECRET_ACCESS_KEY": "kill-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}  # fmt: skip
        with S3ObjectsFake({"team/pinned.json": MINI_CATALOG.read_bytes()}) as server:
            yield Writer(
                ["catalog", "pull", "s3://team/pinned.json", "-o", str(target), "--endpoint-url", server.url],
                target, b'{"older": "snapshot"}\n', env,
                lambda p: json.loads(p.read_bytes())["offers"],
            )  # fmt: skip
    elif kind == "report":  # a budget gate report
        target = tmp_path / "report.json"
        yield Writer(
            ["check", str(ROOT / "profiles"), "--format", "json", "--output", str(target)],
            target, b'{"older": "report"}\n', base,
            lambda p: json.loads(p.read_bytes())["profiles"],
        )  # fmt: skip
    else:  # the GitHub job summary, which placer appends to
        target = tmp_path / "summary.md"
        yield Writer(
            ["check", str(ROOT / "profiles")], target, b"## an earlier step\n",
            {**base, "GITHUB_STEP_SUMMARY": str(target)},
            lambda p: p.read_bytes().startswith(b"## an earlier step\n\n"),
        )  # fmt: skip


def _kill_mid_write(w: Writer) -> tuple[Path, int, int]:
    """Run the child until it has written half the temporary file, SIGKILL it; (temp path, half, total)."""
    read_end, write_end = os.pipe()
    env = {**os.environ, **w.env, "KILL_TEST_FD": str(write_end), "KILL_TEST_TARGET": str(w.target)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *w.args],
        cwd=ROOT, env=env, pass_fds=(write_end,), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 120)
        message = os.read(read_end, 4096).decode() if ready else ""
        if not message:  # the child ended (or hung) without writing: show why
            child.kill()
            _, err = child.communicate()
            raise AssertionError(f"the child never reached the write: {err.decode()[-2000:]}")
        assert w.target.read_bytes() == w.old  # mid-write, the target is still the old file
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finally:
        os.close(read_end)
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    temp, half, total = message.strip().split("\t")
    return Path(temp), int(half), int(total)


@pytest.mark.parametrize("kind", ["snapshot", "refresh", "pull", "report", "summary"])
def test_a_kill_mid_write_leaves_the_old_file(kind: str, tmp_path: Path) -> None:
    with writer(kind, tmp_path) as w:
        w.target.parent.mkdir(parents=True, exist_ok=True)
        w.target.write_bytes(w.old)
        temp, half, total = _kill_mid_write(w)

        assert w.target.read_bytes() == w.old  # byte for byte
        assert temp.parent == w.target.parent and temp.name.startswith(f".{w.target.name}.")
        assert temp.stat().st_size == half < total  # what the kill interrupted: half a file, never renamed
        if kind == "snapshot":
            assert total > 100_000  # a large output

        # The stale temporary file is ignored: the next run replaces the target and leaves the stale file alone.
        stale = temp.read_bytes()
        inode = w.target.stat().st_ino
        reader = w.target.open("rb")  # holds the old file: a rename leaves it whole, a copy over it would not
        done = subprocess.run(
            [sys.executable, "-m", "placer", *w.args], cwd=ROOT, env={**os.environ, **w.env},
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
    with reader:
        assert reader.read() == w.old
    assert done.returncode in (0, 5), done.stderr.decode()  # 5: a profile over budget in `check`
    assert w.target.read_bytes() != w.old
    assert w.target.stat().st_ino != inode  # committed by a rename, not by rewriting the old file in place
    assert w.check(w.target)
    temps = sorted(p.name for p in w.target.parent.iterdir() if p.name.startswith(f".{w.target.name}."))
    assert temps == [temp.name] and temp.read_bytes() == stale
