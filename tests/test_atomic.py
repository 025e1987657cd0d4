"""Atomic writes keep the file's permissions: a new file is readable as open() would make it, an existing one
keeps its mode (a report on a shared volume must be readable by the job that merges it)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from placer.atomic import write_atomic
from placer.errors import OutputError


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


def test_the_commit_is_a_rename_a_reader_of_the_old_file_keeps_the_old_bytes(tmp_path: Path):
    # a copy over the target (shutil.copyfile) would truncate the inode the reader holds and rewrite it in place
    target = tmp_path / "pinned.json"
    target.write_bytes(b'{"old": true}\n')
    before = target.stat().st_ino
    with target.open("rb") as reader:
        write_atomic(target, '{"new": true}\n')
        assert reader.read() == b'{"old": true}\n'
    assert target.read_bytes() == b'{"new": true}\n'
    assert target.stat().st_ino != before
    assert [p.name for p in tmp_path.iterdir()] == ["pinned.json"]  # no temporary file left


def test_the_folder_is_fsynced_after_the_rename(tmp_path: Path, monkeypatch):
    synced: list[tuple[str, bool]] = []  # (what, whether the target was already renamed into place)
    real_fsync = os.fsync
    target = tmp_path / "report.json"

    def fsync(fd: int) -> None:
        kind = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append((kind, target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(target, "{}\n")
    assert synced == [("file", False), ("folder", True)]


def test_missing_folders_are_made_unless_told_not_to(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.json"
    with pytest.raises(OutputError, match="no such folder"):
        write_atomic(target, "x", make_parents=False)
    assert not (tmp_path / "a").exists()
    write_atomic(target, "x")
    assert target.read_text() == "x"
