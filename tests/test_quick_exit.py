"""placer replan's process ends without freeing its report, once everything is written: same output, same exit
code, atexit handlers run; and a process started with stderr closed keeps its stdout clean."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from placer.cli import quick_exit

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted(str(p) for p in (ROOT / "profiles").glob("*.yaml"))

# placer's entry point in a process that says when it is ended by os._exit (the interpreter then frees nothing),
# and that has an atexit handler of its own.
PROBE = (
    "import atexit, os, sys\n"
    "def _exit(code, real=os._exit, write=os.write):\n"
    "    write(2, b'os._exit %d\\n' % code)\n"
    "    real(code)\n"
    "os._exit = _exit\n"
    "atexit.register(lambda: print('atexit ran', file=sys.stderr))\n"
    "from placer.cli.start import main\n"
    "main()\n"
)


def _probe(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False
    )


def test_replan_ends_without_freeing_but_with_its_output_exit_code_and_atexit_handlers(tmp_path: Path) -> None:
    done = _probe(["replan", *PROFILES, "--format", "json"], tmp_path)
    report = json.loads(done.stdout)  # all of it, flushed before the end
    assert len(report["profiles"]) == len(PROFILES)
    assert done.returncode == report["exit_code"] == 5  # a bundled profile is over its budget
    lines = done.stderr.splitlines()
    assert lines[-3].startswith("placer: re-planned 7 profiles")
    assert lines[-2:] == ["atexit ran", "os._exit 5"]  # handlers first; then the heap is not torn down


def test_replan_to_a_file_ends_the_same_way(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = _probe(["replan", *PROFILES, "--format", "json", "-o", str(out)], tmp_path)
    assert (done.returncode, done.stdout) == (5, "")
    assert len(json.loads(out.read_text(encoding="utf-8"))["profiles"]) == len(PROFILES)
    assert done.stderr.splitlines()[-3:] == [f"placer: wrote the json report to {out}", "atexit ran", "os._exit 5"]


def test_other_commands_end_as_python_ends(tmp_path: Path) -> None:
    done = _probe(["check", PROFILES[0], "--format", "json"], tmp_path)
    assert done.returncode in (0, 5)
    assert done.stderr.splitlines()[-1] == "atexit ran"
    assert "os._exit" not in done.stderr  # the interpreter's own end


def test_a_replan_with_stderr_closed_writes_its_whole_report_to_stdout() -> None:
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "placer", "replan", *PROFILES, "-f", "json"])
    done = subprocess.run(["sh", "-c", f"{command} 2>&-"], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 5
    assert len(json.loads(done.stdout)["profiles"]) == len(PROFILES)  # no message mixed in, no crash


def test_a_replan_with_stdout_closed_ends_as_before() -> None:
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "placer", "replan", *PROFILES, "-f", "json"])
    done = subprocess.run(["sh", "-c", f"{command} >&-"], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 5
    assert done.stderr.startswith("placer: re-planned 7 profiles")


@pytest.fixture
def wanted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quick_exit, "_WANTED", False)
    quick_exit.skip_freeing()
    assert quick_exit._WANTED


def test_leave_returns_when_no_command_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quick_exit, "_WANTED", False)
    quick_exit.leave(0)  # still here


@pytest.mark.parametrize("code", ["a message", 2.5, [1]])
def test_leave_returns_for_a_code_python_would_print(wanted: None, code: object) -> None:
    quick_exit.leave(code)  # still here: the usual exit prints it and exits 1


def test_leave_returns_while_another_thread_runs(wanted: None) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=False)
    worker.start()
    try:
        quick_exit.leave(0)  # still here: the usual exit waits for that thread
    finally:
        stop.set()
        worker.join()


def test_leave_returns_when_the_output_cannot_be_flushed(wanted: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def flush(self) -> None:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", Broken())
    quick_exit.leave(0)  # still here: the usual exit reports a broken pipe its own way
