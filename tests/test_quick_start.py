"""``placer plan PROFILE [--format F]`` starts without typer (placer.cli.start); everything else goes to typer.
The two paths must be indistinguishable: the same stdout, stderr and exit code, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT

from placer.cli.plan_run import PlanRequest
from placer.cli.start import quick_plan

QUICK = [sys.executable, "-m", "placer"]
TYPER = [sys.executable, "-c", "from placer.cli.app import main; main()"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "p.yaml"], PlanRequest(Path("p.yaml"))),
        (["plan", "p.yaml", "-f", "json"], PlanRequest(Path("p.yaml"), "json")),
        (["plan", "-f", "json", "p.yaml"], PlanRequest(Path("p.yaml"), "json")),
        (["plan", "p.yaml", "--format", "table"], PlanRequest(Path("p.yaml"), "table")),
        (["plan", "p.yaml", "--format=json"], PlanRequest(Path("p.yaml"), "json")),
    ],
)
def test_the_everyday_plan_is_read_without_typer(args: list[str], expected: PlanRequest) -> None:
    assert quick_plan(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["plan"],
        ["--version"],
        ["check", "p.yaml"],
        ["plan", "--help"],
        ["plan", "p.yaml", "--help"],
        ["plan", "p.yaml", "q.yaml"],
        ["plan", "p.yaml", "-f", "yaml"],  # typer's usage error names the choices
        ["plan", "p.yaml", "-f"],
        ["plan", "p.yaml", "-f", "json", "-f", "table"],
        ["plan", "p.yaml", "-fjson"],
        ["plan", "p.yaml", "--objective", "time"],
        ["plan", "p.yaml", "--catalog", "c.json"],
        ["plan", "-", "-f", "json"],
        ["plan", "--", "p.yaml"],
        ["plan", ""],
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert quick_plan(args) is None


def _run(prefix: list[str], args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "120", "PLACER_CACHE_DIR": str(cwd / "cache")}
    done = subprocess.run([*prefix, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


def _profiles(tmp_path: Path) -> dict[str, Path]:
    over = (ROOT / "profiles" / "ios-app-ci.yaml").read_text().replace("max_usd: 2000", "max_usd: 1")
    infeasible = (  # scaleway rents Macs only
        "kind: training\nname: t\nmodel: {parameters: 8B}\ntraining: {tokens: 200B}\n"
        "constraints: {providers: [scaleway]}\n"
    )
    files = {
        "within": ROOT / "profiles" / "ios-app-ci.yaml",
        "chat": ROOT / "profiles" / "chat-70b-service.yaml",
        "over": tmp_path / "over.yaml",
        "broken": tmp_path / "broken.yaml",
        "infeasible": tmp_path / "infeasible.yaml",
        "missing": tmp_path / "missing.yaml",
    }
    files["over"].write_text(over)
    files["broken"].write_text("kind: training\nname: [unclosed\n")
    files["infeasible"].write_text(infeasible)
    return files


def test_the_quick_start_and_typer_print_the_same_bytes(tmp_path: Path) -> None:
    files = _profiles(tmp_path)
    seen_codes = set()
    for name, path in files.items():
        for fmt in ([], ["-f", "json"], ["--format=table"]):
            args = ["plan", str(path), *fmt]
            assert quick_plan(args) is not None
            quick, full = _run(QUICK, args, tmp_path), _run(TYPER, args, tmp_path)
            assert quick == full, (name, fmt)
            seen_codes.add(quick[0])
    assert seen_codes == {0, 3, 4, 5}, seen_codes  # planned, refused input, no placement, over budget


def test_the_installed_script_takes_the_quick_path() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "placer"]
    assert script.value == "placer.cli.start:main"
    assert (ROOT / "src" / "placer" / "__main__.py").read_text().startswith("from placer.cli.start import main")


def test_the_quick_path_never_imports_typer(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from placer.cli.start import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print('typer' in sys.modules, 'rich' in sys.modules, code, file=sys.stderr)\n"
    )
    json_run = _run(
        [sys.executable, "-c", probe], ["plan", str(ROOT / "profiles" / "ios-app-ci.yaml"), "-f", "json"], tmp_path
    )
    assert json_run[2].splitlines()[-1] == "False False 0"  # and JSON needs no rich either
    help_run = _run([sys.executable, "-c", probe], ["plan", "--help"], tmp_path)
    assert "Usage:" in help_run[1] and help_run[2].splitlines()[-1].startswith("True")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_closed_stdout_is_no_error_on_either_path(fmt: str, tmp_path: Path) -> None:
    profile = ROOT / "profiles" / "ios-app-ci.yaml"
    for prefix in (QUICK, TYPER):
        command = " ".join(f"'{part}'" for part in [*prefix, "plan", str(profile), "-f", fmt])
        done = subprocess.run(["sh", "-c", f"{command} >&-"], capture_output=True, text=True, timeout=60, check=False)
        assert (done.returncode, done.stderr) == (0, ""), (prefix, done.stderr)
