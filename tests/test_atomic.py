"""Atomic writes keep the file's permissions: a new file is readable as open() would make it, an existing one
keeps its mode (a report on a shared volume must be readable by the job that merges it)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from placer.atomic import write_atomic


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644


def test_an_existing_file_keeps_its_mode(tmp_path: Path):
    target = tmp_path / "summary.md"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
