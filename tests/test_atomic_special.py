"""Targets that are not regular files (review of issue 6, defect 2): a device, a FIFO or standard output is written
in place, as a shell redirection would, never replaced by a regular file; ``-o -`` is standard output."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import ROOT

from placer.atomic import write_atomic


def test_dev_null_stays_a_device() -> None:
    before = os.stat("/dev/null")
    write_atomic("/dev/null", "{}\n")  # as root, a rename would have replaced the device with a file
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join()
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]  # no temporary file beside it


def _placer(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PLACER_PLUGINS": "none", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "placer", *args], cwd=cwd, env=env, capture_output=True, check=False)


def test_schema_to_dev_stdout_through_a_pipe(tmp_path: Path) -> None:
    done = _placer("schema", "-o", "/dev/stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b'{\n  "$schema"')
    assert list(tmp_path.iterdir()) == []


def test_dash_is_standard_output_not_a_file_named_dash(tmp_path: Path) -> None:
    done = _placer("schema", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.startswith(b'{\n  "$schema"')
    assert not (tmp_path / "-").exists()
