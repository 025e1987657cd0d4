"""Files that are not plain regular UTF-8-named files (review of issue 6, defects 1 and 5): ``/dev/zero``, a pipe
on ``/dev/stdin`` and FIFOs are read at most limit + 1 bytes (one message, exit 3, never a hang or a memory blow-up);
a folder given to ``check`` takes only its regular files; a file name that is not UTF-8 does not break JSON."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.conftest import ROOT
from typer.testing import CliRunner

from placer.cli.app import app
from placer.errors import ProfileError
from placer.yamldoc import MAX_BYTES, read_text

BAD_NAME = os.fsdecode(b"bad\xffname.yaml")


def _placer(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PLACER_PLUGINS": "none", "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "placer", *args], input=stdin, cwd=cwd, env=env, capture_output=True, check=False,
        timeout=300,  # a safety net against the hang this guards, not a timing assertion
    )  # fmt: skip


def test_dev_zero_is_over_the_limit_not_read_forever() -> None:
    done = _placer("plan", "/dev/zero")
    assert done.returncode == 3
    assert done.stderr.decode() == f"placer: error: /dev/zero: file is over the limit of {MAX_BYTES:,} bytes\n"


def test_a_pipe_on_dev_stdin_past_the_limit_is_refused() -> None:
    done = _placer("plan", "/dev/stdin", stdin=b"# padding\n" * 300_000)  # 3 MB
    assert done.returncode == 3
    assert b"/dev/stdin: file is over the limit of 1,000,000 bytes" in done.stderr
    assert done.stdout == b""


def test_a_profile_piped_on_dev_stdin_plans() -> None:
    done = _placer("plan", "/dev/stdin", "-f", "json", stdin=(ROOT / "profiles/finetune-8b.yaml").read_bytes())
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["workload"]["file"] == "/dev/stdin"


def test_read_text_of_a_fifo_reads_at_most_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "big.yaml"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle, contextlib.suppress(BrokenPipeError):
            handle.write(b"a: 1\n" * 1000)  # 5,000 bytes, more than the limit of 100

    writer = threading.Thread(target=write)
    writer.start()
    with pytest.raises(ProfileError) as caught:
        read_text(fifo, ProfileError, limit=100)
    writer.join()
    assert caught.value.message == "file is over the limit of 100 bytes"


def test_a_fifo_in_a_folder_given_to_check_is_skipped_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "finetune.yaml").write_bytes((ROOT / "profiles/finetune-8b.yaml").read_bytes())
    os.mkfifo(folder / "pipe.yaml")  # nothing ever writes to it: opening it would block forever
    done = _placer("check", str(folder), "-f", "json")
    assert done.returncode == 0, done.stderr.decode()
    assert [p["file"] for p in json.loads(done.stdout)["profiles"]] == [f"{folder}/finetune.yaml"]


@pytest.mark.parametrize("command", ["plan", "check", "replan"])
def test_a_file_name_that_is_not_utf_8_serializes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (tmp_path / BAD_NAME).write_bytes((ROOT / "profiles/finetune-8b.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [command, BAD_NAME, "-f", "json"], env={"PLACER_PLUGINS": "none"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    files = [data["workload"]["file"]] if command == "plan" else [p["file"] for p in data["profiles"]]
    assert files == ["bad\ufffdname.yaml"]
