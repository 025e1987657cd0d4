#!/usr/bin/env python3
"""Fuzz placer's input loaders: every mutated input must load, or be refused with ONE clear message.

Usage: python scripts/fuzz_loaders.py [--cases 10000] [--seed 0] [--loader NAME ...] [--out fuzz-failures]
                                      [--timeout 2]

Seeds are the bundled profiles, the example user catalogs (YAML and CSV), the hostile-input corpus
(tests/hostile/) and a small catalog JSON from it. Each case takes a seed and applies one to three mutations,
structured (delete, duplicate, rename or retype a key; a hostile scalar such as .nan, 1e400, a 400-digit integer,
-1, 0, 999999999999T, 2026-02-30 or a YAML tag; a list where a mapping belongs and back; deep nesting; an alias
bomb) or byte-level (bit flips, truncation, inserted random bytes or unicode, NUL, BOM, tabs, control characters,
a second document), writes it to a file and feeds it to the in-process loader:

  profile       placer.profile.read_profile
  user-yaml     placer.catalog.user.load_user_catalog, then applied to tests/fixtures/mini_catalog.json
  user-csv      the same, for a .csv user catalog
  catalog-json  placer.catalog.files.load_catalog_file (what --catalog FILE.json reads)
  config        placer.config.load_config

A case passes when the loader returns, or raises a PlacerError with exit code 3 whose message names the file and
renders as one stderr message (one line, then only source/caret/hint lines; no traceback, no Python or pydantic
repr). Anything else (another exception, a wrong exit code, a message not naming the file, more than --timeout
seconds) is a failure: the input is saved to --out with a note of what happened, and the exit code is 1.

--cases is the total, shared evenly by the loaders chosen. The same seed gives the same cases.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import os
import random
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from placer.catalog.files import load_catalog_file  # noqa: E402
from placer.catalog.layering import apply_user_catalog  # noqa: E402
from placer.catalog.loader import load_catalog  # noqa: E402
from placer.catalog.models import Catalog  # noqa: E402
from placer.catalog.user import load_user_catalog  # noqa: E402
from placer.cli.handler import error_message  # noqa: E402
from placer.config import load_config  # noqa: E402
from placer.errors import ExitCode, InputError, PlacerError  # noqa: E402
from placer.profile import read_profile  # noqa: E402

HOSTILE = REPO / "tests" / "hostile"
MINI_CATALOG = REPO / "tests" / "fixtures" / "mini_catalog.json"
SUFFIX = {"profile": ".yaml", "user-yaml": ".yaml", "user-csv": ".csv", "catalog-json": ".json", "config": ".yaml"}

# after the one "placer: error:" line only these may follow: the source line, the caret, a hint
_DETAIL = re.compile(r"^  (\d+ \| .*|\s* \| *\^|hint: .+)$")
_NOISE = re.compile(
    r"Traceback|<class '|ValidationError|pydantic|Input should|For further information|<unicode string>|"
    r"codec can't|[\x00-\x08\x0b-\x1f\x7f]"
)

HOSTILE_SCALARS = (
    ".nan", "NaN", ".inf", "-.inf", "inf", "-Infinity", "1e400", "-1e400", "1.0e+400", "1" + "0" * 400,
    "1" + "0" * 5000, "-1", "0", "-0.0", "0.0", "1e-400", "999999999999T", "70B", "2T", "1.5e21", "1_000", "1,000",
    "0x1F", "0o17", "190:20:30", "yes", "no", "on", "~", "null", "''", '""', "2026-02-30", "2026-13-01", "2026",
    "!!python/object/apply:os.system ['true']", "!custom 5", "!!binary aGk=", "!!int x", "!!float x",
    "!!bool maybe", "!!set {a}", "*undefined", "&anchor 1", "[]", "{}", "[[[[[[]]]]]]", "'\\x00'", '"\\u0000"',
    '"\\e[31m"', "x" * 3000, "\U0001f680" * 40, "é", "\u202e", "'", '"', "[", "{", "- a", ": b", "? c", "#", "|",
    ">", "%YAML 1.1", "---", "...", "@", "`",
)  # fmt: skip
JSON_SCALARS = (
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400, "1" + "0" * 5000, "-1", "0", "0.0", "-0",
    "1e-400", "null", "true", "false", '""', '"NaN"', '"inf"', '"1e400"', "[]", "{}", '"\\u0000"', '"\\ud800"',
    "[[[[[[[[[[]]]]]]]]]]", '"' + "x" * 3000 + '"', "01", "+1", ".5", "1.", "0x10", "'x'", "undefined",
)  # fmt: skip
CSV_CELLS = (
    "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1" + "0" * 400, "1" + "0" * 5000, "-1", "0", "", " ",
    "1_000", "1,000", "0x10", "8.5", "H100", "h100", "carrier-pigeon", "2026-02-30", "2026", "unknown", '"',
    'a"b', "\x00", "\t", "x" * 3000, "\U0001f680", "é", "=cmd|' /C calc'!A0", "#", "a,b", "a\nb",
)  # fmt: skip
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


class Hang(BaseException):
    """Raised by the timer when one case runs past --timeout (a BaseException, so no loader can swallow it)."""


@dataclass
class Tally:
    cases: int = 0
    loaded: int = 0
    rejected: int = 0
    failed: int = 0
    slowest: float = 0.0


@dataclass
class Report:
    tallies: dict[str, Tally] = field(default_factory=dict)
    failures: list[Path] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.tallies.values())


Loader = Callable[[Path], object]


def default_loaders() -> dict[str, Loader]:
    base = load_catalog(MINI_CATALOG)

    def user(path: Path) -> Catalog:
        return apply_user_catalog(base, load_user_catalog(path))

    return {
        "profile": read_profile,
        "user-yaml": user,
        "user-csv": user,
        "catalog-json": load_catalog_file,
        "config": load_config,
    }


def seeds(kind: str) -> tuple[list[bytes], list[bytes]]:
    """The inputs each loader's cases start from: valid ones (real examples, the corpus's ok-* files) and the hostile
    corpus of that kind."""
    good: list[Path] = []
    if kind == "profile":
        good += sorted((REPO / "profiles").glob("*.yaml"))
    elif kind == "user-yaml":
        good += [REPO / "examples" / "catalogs" / "acme.yaml"]
    elif kind == "user-csv":
        good += [REPO / "examples" / "catalogs" / "extra-offers.csv"]
    corpus = sorted(p for p in (HOSTILE / kind).glob("*") if p.is_file() and p.stat().st_size < 20_000)
    good += [p for p in corpus if p.name.startswith("ok-")]
    valid = [p.read_bytes() for p in good]
    if kind == "config":
        valid += [
            b"catalogs: [team.yaml, ../shared/prices.csv]\nplugins: acme,aws\nmax_price_age_days: 30\n",
            b"# my placer config\nplugins: none\n",
        ]
    return valid, [p.read_bytes() for p in corpus if not p.name.startswith("ok-")]


# --- mutations ---------------------------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = (), seen: set[int] | None = None) -> Iterator[tuple[Any, ...]]:
    """Every path into a parsed document, each shared object (a YAML alias) and cycle visited once."""
    seen = set() if seen is None else seen
    yield prefix
    if isinstance(data, dict | list) and id(data) not in seen and len(prefix) < 100:
        seen.add(id(data))
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for k, v in items:
            yield from _paths(v, (*prefix, k), seen)


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 2 else 7)
    if pick == 0:
        return rng.choice([0, -1, 1, 10**30, 10**400, -(10**20), 7])
    if pick == 1:
        return rng.choice([0.0, -1.5, float("nan"), float("inf"), -float("inf"), 1e308, 5e-324])
    if pick == 2:
        return rng.choice(["", "x", "70B", "nan", "1e400", "2026-02-30", "é" * 10, "a" * 500, "\x1b[31m", "~"])
    if pick == 3:
        return rng.choice([True, False])
    if pick == 4:
        return None
    if pick in (5, 6):
        return rng.choice(["H100", "us-east", "on-demand", "training", "kind", "aws"])
    if pick == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["kind", "name", "id", "usd", "x", "offers"]): _random_value(rng, depth + 1)}


def mutate_data(data: Any, rng: random.Random) -> Any:
    """One structured change somewhere in a parsed document: delete, duplicate or rename a key, retype a value,
    wrap or unwrap it, or nest it deeply."""
    paths = [p for p in itertools.islice(_paths(data), 5000) if p]
    if not paths:
        return _random_value(rng)
    path = rng.choice(paths)
    parent = _get(data, path[:-1])
    key = path[-1]
    value = parent[key]
    op = rng.randrange(8)
    if op == 0:
        del parent[key]
    elif op == 1 and isinstance(parent, dict):
        parent[f"{key}_"] = value  # a typo'd twin
    elif op == 1 and isinstance(parent, list):
        parent.append(value)  # a duplicate entry (duplicate ids)
    elif op == 2:
        parent[key] = _random_value(rng)
    elif op == 3:
        parent[key] = [value]
    elif op == 4:
        parent[key] = {"value": value} if not isinstance(value, dict) else list(value.values())
    elif op == 5:
        nested: Any = value
        for _ in range(rng.choice([5, 70, 300])):
            nested = [nested]
        parent[key] = nested
    elif op == 6 and isinstance(parent, dict):
        parent[
            rng.choice(["kind", "id", "offers", "as_of", "source", "prices", "usd", "catalogs", str(key).upper()])
        ] = value
    else:
        parent[key] = rng.choice([0, -1, 10**400, float("nan"), float("inf"), "", None, [], {}])
    return data


def structured(kind: str, raw: bytes, rng: random.Random) -> bytes | None:
    """Parse, mutate, serialise again; None when the seed does not parse."""
    try:
        text = raw.decode("utf-8-sig")
        if kind == "catalog-json":
            data = json.loads(text)
            for _ in range(rng.randint(1, 3)):
                data = mutate_data(data, rng)
            return json.dumps(data, indent=rng.choice([None, 1]), allow_nan=True).encode()
        if kind == "user-csv":
            rows = list(csv.reader(io.StringIO(text)))
            if not rows:
                return None
            for _ in range(rng.randint(1, 3)):
                row = rng.choice(rows[1:] if len(rows) > 1 and rng.random() < 0.9 else rows)
                op = rng.randrange(5)
                if op == 0 and row:
                    row[rng.randrange(len(row))] = rng.choice(CSV_CELLS)
                elif op == 1:
                    rows.append(list(rng.choice(rows)))  # a duplicate row (duplicate id)
                elif op == 2 and row:
                    del row[rng.randrange(len(row))]
                elif op == 3:
                    row.insert(rng.randrange(len(row) + 1), rng.choice(CSV_CELLS))
                else:
                    rows.insert(rng.randint(1, len(rows)), [rng.choice(CSV_CELLS)])
            out = io.StringIO()
            csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows(rows)
            return out.getvalue().encode()
        data = yaml.safe_load(text)
        for _ in range(rng.randint(1, 3)):
            data = mutate_data(data, rng)
        return yaml.safe_dump(
            data, allow_unicode=rng.random() < 0.5, default_flow_style=rng.choice([None, True])
        ).encode()
    except Exception:  # a seed the generator's own parsers cannot read (most of the hostile corpus): damage bytes
        return None


def raw_token(kind: str, raw: bytes, rng: random.Random) -> bytes:
    """A hostile token written straight into the text, where a value stands (unquoted, as a person would type it)."""
    text = raw.decode("utf-8", "replace")
    if kind == "catalog-json":
        spots = [m.span(1) for m in re.finditer(r':\s*("[^"\n]*"|-?[0-9][0-9.eE+-]*|true|false|null)', text)]
        token = rng.choice(JSON_SCALARS)
    elif kind == "user-csv":
        body = text.find("\n") + 1  # cells of the rows (the header's names are mostly left alone)
        spots = [m.span() for m in re.finditer(r"(?<=,)[^,\n]*", text) if m.start() >= body or rng.random() < 0.05]
        token = rng.choice(CSV_CELLS)
    else:
        spots = [m.span(1) for m in re.finditer(r"(?m)^[ -]*[\w./-]+:[ \t]+([^\n#]+)", text)]
        token = rng.choice(HOSTILE_SCALARS)
    if not spots:
        return (text + token).encode()
    start, end = rng.choice(spots)
    return (text[:start] + token + text[end:]).encode()


def byte_level(raw: bytes, rng: random.Random) -> bytes:
    """Damage below the format: bits, truncation, insertions, encodings, stray documents and control bytes."""
    data = bytearray(raw)
    op = rng.randrange(12)
    at = rng.randrange(len(data) + 1)
    if op == 0 and data:
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        del data[at:]
    elif op == 2:
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif op == 3:
        data[at:at] = "".join(chr(rng.choice([rng.randrange(0x20, 0xD800), rng.randrange(0xE000, 0x110000)])) for _ in
                              range(rng.randint(1, 8))).encode("utf-8", "surrogatepass")  # fmt: skip
    elif op == 4:
        data[at:at] = rng.choice([b"\x00", b"\t", b"\r", b"\x1b[31m", b"\x07", b"\xef\xbb\xbf", b"\xff\xfe", b"\x85"])
    elif op == 5 and data:
        end = min(len(data), at + rng.randint(1, 200))
        data[at:at] = data[at:end]  # a duplicated stretch: duplicate keys, lines, rows
    elif op == 6:
        end = min(len(data), at + rng.randint(1, 200))
        del data[at:end]
    elif op == 7:
        data += rng.choice([b"\n---\n", b"\n...\n", b"\n--- !x\n", b"\n%YAML 1.2\n---\n"]) + bytes(raw[: len(raw) // 2])
    elif op == 8:
        data = bytearray(BOMB.encode()) + data
    elif op == 9:
        data = bytearray(rng.choice([raw.decode("utf-8", "replace").encode("utf-16"), raw.decode(
            "utf-8", "replace").encode("latin-1", "replace"), b"\x89PNG\r\n\x1a\n" + raw]))  # fmt: skip
    elif op == 10:
        lines = data.split(b"\n")
        i = rng.randrange(len(lines))
        lines[i] = rng.choice([b"\t", b"  ", b" ", b"- ", b""]) + lines[i]  # indentation damage
        data = bytearray(b"\n".join(lines))
    else:
        data = bytearray(rng.choice([b"", b" \n", b"# only a comment\n", b"---\n", b"~\n", b"[]\n", b"{}\n", b"0\n"]))
    return bytes(data)


def make_case(kind: str, pool: tuple[list[bytes], list[bytes]], rng: random.Random) -> bytes:
    valid, hostile = pool
    data = rng.choice(valid if valid and (rng.random() < 0.8 or not hostile) else hostile or [b""])
    for _ in range(rng.choice([1, 1, 1, 1, 2, 2, 3])):
        pick = rng.random()
        if pick < 0.4:
            data = structured(kind, data, rng) or byte_level(data, rng)
        elif pick < 0.7:
            data = raw_token(kind, data, rng)
        else:
            data = byte_level(data, rng)
    return data


# --- running -----------------------------------------------------------------------------------------------------


def check_outcome(path: Path, error: BaseException | None) -> str | None:
    """None when the case passes (it loaded, or it was refused the right way); otherwise what went wrong."""
    if error is None:
        return None
    if not isinstance(error, PlacerError):
        return f"{type(error).__name__} instead of a PlacerError"
    if error.exit_code != ExitCode.INVALID_INPUT:
        return f"{type(error).__name__} with exit code {int(error.exit_code)}, not 3"
    if not isinstance(error, InputError) or error.location is None or error.location.file != str(path):
        return f"the message does not name the file: {error}"
    text = error_message(error)  # exactly what the CLI prints on stderr
    lines = text.splitlines()
    if not lines[0].startswith(f"placer: error: {path}") or text.count("placer: error:") != 1:
        return f"not one message naming the file:\n{text}"
    if any(not _DETAIL.match(line) for line in lines[1:]):
        return f"more than one message line:\n{text}"
    if _NOISE.search(text):
        return f"Python or pydantic noise in the message:\n{text}"
    return None


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fuzz(
    loaders: dict[str, Loader], cases: int, seed: int, out: Path, timeout: float = 2.0, workdir: Path | None = None
) -> Report:
    """Run ``cases`` cases shared by ``loaders``; failures are saved to ``out`` (created when the first one is)."""
    report = Report()
    start = time.perf_counter()
    names = list(loaders)
    share = {name: cases // len(names) + (1 if i < cases % len(names) else 0) for i, name in enumerate(names)}
    with tempfile.TemporaryDirectory(prefix="placer-fuzz-", dir=workdir) as tmp:
        for name in names:
            tally = report.tallies.setdefault(name, Tally())
            pool = seeds(name)
            path = Path(tmp) / f"case{SUFFIX.get(name, '.txt')}"
            for i in range(share[name]):
                rng = random.Random(f"{seed}/{name}/{i}")  # each case reproducible on its own
                data = make_case(name, pool, rng)
                path.write_bytes(data)
                error: BaseException | None = None
                began = time.perf_counter()
                try:
                    with time_limit(timeout):
                        loaders[name](path)
                except Hang as exc:
                    error = exc
                except Exception as exc:
                    error = exc
                took = time.perf_counter() - began
                tally.cases += 1
                tally.slowest = max(tally.slowest, took)
                problem = f"took {took:.2f} s (limit {timeout:g} s)" if isinstance(error, Hang) or took > timeout else (
                    check_outcome(path, error)
                )  # fmt: skip
                if problem is None:
                    if error is None:
                        tally.loaded += 1
                    else:
                        tally.rejected += 1
                    continue
                tally.failed += 1
                report.failures.append(save_failure(out, name, i, seed, data, problem, error))
    report.wall_seconds = time.perf_counter() - start
    return report


def save_failure(
    out: Path, name: str, index: int, seed: int, data: bytes, problem: str, error: BaseException | None
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    case = out / f"{name}-seed{seed}-{index}{SUFFIX.get(name, '.txt')}"
    case.write_bytes(data)
    detail = "".join(traceback.format_exception(error)) if error is not None else ""
    note = f"loader: {name}\nseed: {seed}\ncase: {index}\nproblem: {problem}\n\n{detail}"
    case.with_name(case.name + ".txt").write_text(note, encoding="utf-8")
    return case


def print_report(report: Report, seed: int, timeout: float) -> None:
    total = Tally()
    print(f"placer loader fuzz: seed {seed}, {timeout:g} s limit per case")
    print(f"{'loader':<14}{'cases':>9}{'loaded':>9}{'rejected':>10}{'failed':>8}{'slowest':>10}")
    for name, t in report.tallies.items():
        print(f"{name:<14}{t.cases:>9,}{t.loaded:>9,}{t.rejected:>10,}{t.failed:>8,}{t.slowest:>9.3f}s")
        total.cases += t.cases
        total.loaded += t.loaded
        total.rejected += t.rejected
        total.failed += t.failed
        total.slowest = max(total.slowest, t.slowest)
    print(
        f"{'total':<14}{total.cases:>9,}{total.loaded:>9,}{total.rejected:>10,}{total.failed:>8,}{total.slowest:>9.3f}s"
    )
    print(f"wall time {report.wall_seconds:.1f} s")
    for path in report.failures[:20]:
        print(f"FAILED: {path} (see {path.name}.txt)")
    if len(report.failures) > 20:
        print(f"... and {len(report.failures) - 20} more in {report.failures[0].parent}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000, help="total cases, shared by the loaders (10,000)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same cases (0)")
    parser.add_argument("--loader", action="append", choices=list(SUFFIX), help="only this loader; repeatable")
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where failing inputs are saved")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds one case may take (2)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    # a runaway case fails with MemoryError instead of taking the machine's memory (address space, so generous)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
    # the loaders see a clean environment: no user config, plugins or price cache of the machine running this
    os.environ["PLACER_PLUGINS"] = "none"
    os.environ.pop("PLACER_CONFIG", None)
    os.environ.pop("PLACER_CATALOG", None)
    loaders = default_loaders()
    chosen = {name: loaders[name] for name in (args.loader or list(loaders))}
    report = fuzz(chosen, args.cases, args.seed, args.out, args.timeout)
    print_report(report, args.seed, args.timeout)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
