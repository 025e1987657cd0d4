"""The real ``placer`` process on bad input: exit code 3, nothing on stdout, one error on stderr, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from placer.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]

GOOD = dedent(
    """\
    kind: training
    name: pretrain
    model:
      parameters: 70B
    training:
      tokens: 2T
    """
)

# the lines that may follow the one "placer: error:" line: source, caret, hint
_DETAIL = re.compile(r"^  (\d+ \| .*|\s* \| *\^|hint: .+)$")


def run_placer(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PLACER_TRACEBACK"}
    return subprocess.run(
        [sys.executable, "-m", "placer", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_error(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 3, empty stdout, one error line plus detail lines; returns the first stderr line."""
    assert "Traceback" not in result.stderr
    assert result.returncode == ExitCode.INVALID_INPUT, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines, "stderr is empty"
    assert lines[0].startswith("placer: error: ")
    assert result.stderr.count("placer: error:") == 1
    for line in lines[1:]:
        assert _DETAIL.match(line), f"unexpected stderr line: {line!r}"
    return lines[0]


def _write(text: str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _write_bytes(data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "bad.yaml"
        path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    ("make", "where", "message"),
    [
        pytest.param(
            _write(GOOD.replace("70B", "fast")),
            ":4:15: model.parameters:",
            "expected a number such as 70e9, 70B or 2T, got 'fast'",
            id="wrong-type",
        ),
        pytest.param(_write(GOOD + "objectiv: cost\n"), ":7:1: objectiv:", "unknown key 'objectiv'", id="unknown-key"),
        pytest.param(
            _write(GOOD.replace("2T", "-2T")),
            ":6:11: training.tokens:",
            "must be greater than 0, got -2T",
            id="negative",
        ),
        pytest.param(_write(""), ": ", "file is empty", id="empty"),
        pytest.param(_write("kind: [unclosed\n"), ":2:1:", "not valid YAML: ", id="not-yaml"),
        pytest.param(lambda tmp_path: tmp_path / "missing.yaml", ": ", "no such file", id="missing"),
        pytest.param(
            _write_bytes(b"kind: training\nname: caf\xe9\n"), ":2:", "not UTF-8 text (invalid byte 0xe9)", id="latin-1"
        ),
        pytest.param(lambda tmp_path: tmp_path, ": ", "is a directory, not a file", id="directory"),
        pytest.param(
            _write("kind: training\nname: x\nmodel: &m {parameters: 70B, self: *m}\ntraining: {tokens: 2T}\n"),
            ":3:",
            "",
            id="recursive-alias",
        ),
    ],
)
def test_bad_profile_is_one_error_and_exit_3(
    tmp_path: Path, make: Callable[[Path], Path], where: str, message: str
) -> None:
    path = make(tmp_path)
    first = assert_one_error(run_placer("plan", str(path)))
    assert first.startswith(f"placer: error: {path}{where}")
    assert message in first


def test_unknown_nested_key_golden(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(GOOD.replace("  parameters: 70B", "  paramters: 70B"), encoding="utf-8")
    result = run_placer("plan", str(path))
    expected = (
        f"placer: error: {path}:4:3: model.paramters: unknown key 'paramters' (and 1 more problem)\n"
        "  4 |   paramters: 70B\n"
        "    |   ^\n"
        "  hint: did you mean 'parameters'?\n"
    )
    assert result.stderr == expected
    assert result.stdout == ""
    assert result.returncode == 3


def test_bad_flag_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run_placer("plan", "--format", "xml", str(path))
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == ""
    assert "xml" in result.stderr
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = run_placer("--version")
    assert result.returncode == 0
    assert result.stdout == "placer 0.1.0\n"
    assert result.stderr == ""


def test_no_arguments_prints_usage() -> None:
    result = run_placer()
    assert result.returncode in (0, 2)
    assert "Usage" in result.stdout + result.stderr
    assert "plan" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_traceback_flag_shows_the_traceback_and_keeps_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(GOOD + "objectiv: cost\n", encoding="utf-8")
    result = run_placer("plan", "--traceback", str(path))
    assert result.returncode == ExitCode.INVALID_INPUT
    assert result.stdout == ""
    assert "Traceback" in result.stderr
    assert f"placer: error: {path}:7:1: objectiv: unknown key 'objectiv'" in result.stderr
