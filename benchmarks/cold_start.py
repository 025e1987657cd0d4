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
# The stack under each output, before any of placer's own code: the JSON plan also reads YAML (PyYAML), the table
# also renders with rich. Each is a floor no placer change can go below while the design keeps these libraries.
FLOORS = {
    "pydantic + one model": PYDANTIC_FLOOR,
    "  + PyYAML (json)": PYDANTIC_FLOOR + "\nimport yaml",
    "  + PyYAML + rich (table)": PYDANTIC_FLOOR + "\nimport yaml\nimport rich.console, rich.table",
}


def floors(runs: int) -> dict[str, float]:
    """The median start-up of each floor in FLOORS."""
    return {name: statistics.median(sample([sys.executable, "-c", code], runs)) for name, code in FLOORS.items()}


def sample(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=env)
        out.append(time.perf_counter() - start)
        if done.returncode not in (0, 4, 5):
            sys.exit(f"{' '.join(cmd)} failed with {done.returncode}: {done.stderr.decode()[-500:]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", default="profiles/ios-app-ci.yaml")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    warm = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # see the module docstring
    sample([sys.executable, "-c", "pass"], 2, warm)  # warm the page cache for both
    sample([sys.executable, "-m", "placer", "plan", args.profile], 2, warm)
    sample([sys.executable, "-m", "placer", "plan", args.profile, "--format", "json"], 1, warm)
    for code in FLOORS.values():
        sample([sys.executable, "-c", code], 1, warm)
    bare = sample([sys.executable, "-c", "pass"], args.runs)
    under = floors(args.runs)
    cases = {
        "table": [sys.executable, "-m", "placer", "plan", args.profile],
        "json": [sys.executable, "-m", "placer", "plan", args.profile, "--format", "json"],
    }
    base = statistics.median(bare)
    print(f"python -c pass             median {base * 1000:7.1f} ms  runs={args.runs}")
    for name, floor in under.items():
        print(f"{name:26} median {floor * 1000:7.1f} ms  = {floor / base:4.1f}× (a floor: no placer code)")
    for name, cmd in cases.items():
        times = sample(cmd, args.runs)
        med = statistics.median(times)
        print(
            f"placer plan ({name:5})       median {med * 1000:7.1f} ms  = {med / base:4.1f}× bare start-up  "
            f"samples: {', '.join(f'{t * 1000:.0f}' for t in times)} ms"
        )


if __name__ == "__main__":
    main()
