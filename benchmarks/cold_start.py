"""Cold-start time of ``placer plan`` beside the interpreter's bare start-up, median of N runs.

    python benchmarks/cold_start.py [--runs 7] [--profile profiles/ios-app-ci.yaml]

Each run is a fresh process (the same way a person or a CI step runs placer). Prints the medians,
the ratio, and every sample, so a figure in a note can be reproduced.

The warm-up runs let the interpreter write its bytecode cache even when PYTHONDONTWRITEBYTECODE is set, as
``pip install`` would have compiled it: otherwise every timed run would also compile each module edited since
the cache was last written, and the figure would measure the compiler. The timed runs use the environment as
it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The floor under any command that reads a profile: pydantic imported and one model built, nothing of placer's
# (without pydantic's plugin scan, which placer also skips when no pydantic plugin is installed).
PYDANTIC_FLOOR = (
    "import os\nos.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'\n"
    "from pydantic import BaseModel\nclass Floor(BaseModel):\n    x: int\nFloor(x=1)"
)
# The libraries under each output, imported as any program imports them, before any of placer's own code: the JSON
# plan also reads YAML (PyYAML), the table also renders with rich. placer's code cannot start faster than these
# short of patching the libraries themselves (pydantic's plugin loader imports importlib.metadata even with its
# plugins off: about 19 ms, which a stand-in for that private module would save).
FLOORS = {
    "pydantic + one model": PYDANTIC_FLOOR,
    "  + PyYAML (json)": PYDANTIC_FLOOR + "\nimport yaml",
    "  + PyYAML + rich (table)": PYDANTIC_FLOOR + "\nimport yaml\nimport rich.console, rich.table",
}


def commands(profile: str) -> dict[str, list[str]]:
    """Every command timed, by the name it is printed under: the bare interpreter first."""
    plan = [sys.executable, "-m", "placer", "plan", profile]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        **{name: [sys.executable, "-c", code] for name, code in FLOORS.items()},
        "placer plan (table)": plan,
        "placer plan (json)": [*plan, "--format", "json"],
    }


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
    took = time.perf_counter() - start
    if done.returncode not in (0, 4, 5):
        sys.exit(f"{' '.join(cmd)} failed with {done.returncode}: {done.stderr.decode()[-500:]}")
    return took


def sample_rounds(cmds: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """``runs`` rounds, each running every command once, in an order rotated from round to round: a shared machine
    that slows down for a few seconds then slows every command alike, which a block of runs per command does not
    (the ratios were off by a quarter that way). Two warm-up runs of each first, which fill the page cache and
    write the bytecode cache even under PYTHONDONTWRITEBYTECODE (see the module docstring)."""
    warm = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for cmd in cmds.values():
        for _ in range(2):
            run_once(cmd, warm)
    names = list(cmds)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(runs):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(run_once(cmds[name]))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", default="profiles/ios-app-ci.yaml")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")
    times = sample_rounds(commands(args.profile), args.runs)
    base = statistics.median(times["python -c pass"])
    print(f"medians of {args.runs} interleaved rounds")
    for name, samples in times.items():
        med = statistics.median(samples)
        kind = "" if name == "python -c pass" else "(a floor: no placer code)" if name in FLOORS else "bare start-up"
        print(
            f"{name:26} median {med * 1000:7.1f} ms  = {med / base:4.1f}× {kind:26} samples: "
            + ", ".join(f"{t * 1000:.0f}" for t in samples)
            + " ms"
        )


if __name__ == "__main__":
    main()
