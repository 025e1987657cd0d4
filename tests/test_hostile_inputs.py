"""Hostile inputs through the real CLI: every file in ``tests/hostile/`` (malformed YAML/JSON/CSV, wrong types, huge
numbers, NaN and infinity, negative and zero prices, duplicate ids and keys, alias bombs, YAML tags, binary and
non-UTF-8 bytes, empty files, lists where mappings belong, …) and the cases built here at run time (over the size
limit, 10,000- and 100,000-level nesting, a directory, a missing or unreadable file) is ONE message on stderr naming
the file (and the line and field where the input has them), exit 3, nothing on stdout, no traceback.

The messages are golden: ``tests/golden/hostile.txt`` holds case → stderr (regenerate with PLACER_UPDATE_GOLDEN=1 and
review the diff). Files named ``ok-*`` are hostile-looking inputs placer accepts by design: UTF-8 with a byte-order
mark, CRLF line ends, a CSV with a header and no rows, non-ASCII text.

How each kind reaches the CLI: a profile is ``placer plan FILE``; a user catalog (YAML or CSV) and a catalog JSON are
``placer plan tests/hostile/profile/ok-plan.yaml --catalog FILE``; a config file is ``$PLACER_CONFIG``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from placer.catalog.files import load_catalog_file
from placer.catalog.layering import apply_user_catalog
from placer.catalog.loader import MAX_CATALOG_BYTES, embedded_catalog
from placer.catalog.user import load_user_catalog
from placer.cli.app import app
from placer.errors import ExitCode, InputError
from placer.profile import read_profile
from placer.yamldoc import MAX_BYTES, dotted_path

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "tests" / "hostile"
GOLDEN = REPO / "tests" / "golden" / "hostile.txt"
PLAN_PROFILE = "tests/hostile/profile/ok-plan.yaml"
KINDS = ("profile", "user-yaml", "user-csv", "catalog-json", "config")
SUFFIX = {"profile": ".yaml", "user-yaml": ".yaml", "user-csv": ".csv", "catalog-json": ".json", "config": ".yaml"}
TMP = "<tmp>"

# after the one "placer: error:" line only these may follow: the source line, the caret, a hint
_DETAIL = re.compile(r"^  (\d+ \| .*|\s* \| *\^|hint: .+)$")
# Python and pydantic showing through instead of a message written for a person
_NOISE = re.compile(
    r"Traceback|<class '|ValidationError|pydantic|Input should|For further information|errors\.pydantic|"
    r"<unicode string>|codec can't|internal error|\bline \d+, column \d+"
)
# problems with the file as a whole: there is no line to name
_FILE_LEVEL = re.compile(
    r": (file is empty|binary file \(contains NUL bytes\)|UTF-(16|32) text|no such file|is a directory|"
    r"permission denied|file is [\d,]+ bytes; the limit is|a user catalog is a \.yaml)"
)


def command(kind: str, path: str) -> tuple[list[str], dict[str, str]]:
    """The placer command line (and environment) that reads ``path`` as an input of ``kind``."""
    if kind == "profile":
        return ["plan", path], {}
    if kind == "config":
        return ["plan", PLAN_PROFILE], {"PLACER_CONFIG": path}
    return ["plan", PLAN_PROFILE, "--catalog", path], {}


def invoke(kind: str, path: str) -> Result:
    args, env = command(kind, path)
    return CliRunner().invoke(app, args, env={"COLUMNS": "200", **env})


def run_process(kind: str, path: str) -> subprocess.CompletedProcess[str]:
    """The real ``python -m placer`` process (for cases that must not be able to take the test run down)."""
    args, env = command(kind, path)
    return subprocess.run(
        [sys.executable, "-m", "placer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def corpus(accepted: bool) -> list[str]:
    return sorted(
        f"{p.parent.name}/{p.name}"
        for kind in KINDS
        for p in (HOSTILE / kind).iterdir()
        if p.is_file() and p.name.startswith("ok-") == accepted
    )


# --- cases built at run time: big, or about the file system rather than the bytes -------------------------------


@dataclass(frozen=True)
class Generated:
    name: str
    make: Callable[[Path, str], Path]  # (tmp_path, kind) -> the path to give placer
    kinds: tuple[str, ...] = KINDS
    process: bool = False  # run in a real process: a regression here could crash the interpreter


def _file(name: str, content: Callable[[str], bytes]) -> Callable[[Path, str], Path]:
    def make(tmp: Path, kind: str) -> Path:
        path = tmp / f"{name}{SUFFIX[kind]}"
        path.write_bytes(content(kind))
        return path

    return make


def _over_limit(tmp: Path, kind: str) -> Path:
    path = tmp / f"over-size-limit{SUFFIX[kind]}"
    if kind == "catalog-json":  # 256 MiB + 1: a sparse file, nothing is written to disk
        with path.open("wb") as handle:
            handle.truncate(MAX_CATALOG_BYTES + 1)
    else:  # a real file: a comment line per 100 bytes, just over the limit
        path.write_bytes(b"# " + b"x" * 97 + b"\n" + (b"#" * 99 + b"\n") * (MAX_BYTES // 100))
    return path


def _nested(levels: int) -> Callable[[str], bytes]:
    def content(kind: str) -> bytes:
        deep = "[" * levels + "]" * levels
        if kind == "catalog-json":
            return f'{{"schema_version": 1, "offers": {deep}}}\n'.encode()
        return f"key: {deep}\n".encode()

    return content


def _unreadable(tmp: Path, kind: str) -> Path:
    path = tmp / f"unreadable{SUFFIX[kind]}"
    good = HOSTILE / kind / ("ok-plan.yaml" if kind == "profile" else f"ok-baseline{SUFFIX[kind]}")
    path.write_bytes(good.read_bytes())
    path.chmod(0)
    try:
        path.read_bytes()
    except PermissionError:
        return path
    # root (os.geteuid() == 0, with its usual capabilities) reads a file whatever its mode
    pytest.skip(f"this user (uid {os.geteuid()}) can read a file with mode 000")


def _directory(tmp: Path, kind: str) -> Path:
    path = tmp / f"a-directory{SUFFIX[kind]}"
    path.mkdir()
    return path


GENERATED = [
    Generated("over-size-limit", _over_limit),
    Generated("deep-nesting-10000", _file("deep-nesting-10000", _nested(10_000)), KINDS[:2] + KINDS[3:]),
    Generated("deep-nesting-100000", _file("deep-nesting-100000", _nested(100_000)), KINDS[:2] + KINDS[3:], True),
    Generated("directory", _directory),
    Generated("missing-file", lambda tmp, kind: tmp / f"missing{SUFFIX[kind]}"),
    Generated("unreadable", _unreadable),
]
GENERATED_CASES = [
    pytest.param(case, kind, id=f"{kind}/{case.name} (generated)") for case in GENERATED for kind in case.kinds
]


# --- the golden file: "### case" then the stderr it gives ------------------------------------------------------


def read_golden() -> dict[str, str]:
    if not GOLDEN.exists():
        return {}
    entries: dict[str, str] = {}
    name: str | None = None
    for line in GOLDEN.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("### "):
            name = line[4:].rstrip("\n")
            entries[name] = ""
        elif name is not None:
            entries[name] += line
    return {k: v.removesuffix("\n") for k, v in entries.items()}  # the blank line between entries


def write_golden(entries: dict[str, str]) -> None:
    head = (
        "# Hostile inputs: the one message each gives on stderr (tests/test_hostile_inputs.py).\n"
        "# Regenerate with PLACER_UPDATE_GOLDEN=1 and review the diff. <tmp> is the test's temporary folder.\n\n"
    )
    GOLDEN.write_text(head + "".join(f"### {k}\n{entries[k]}\n" for k in sorted(entries)), encoding="utf-8")


def check_golden(case: str, stderr: str) -> None:
    entries = read_golden()
    if os.environ.get("PLACER_UPDATE_GOLDEN"):
        entries[case] = stderr
        write_golden(entries)
        return
    assert case in entries, f"no golden message for {case}; run with PLACER_UPDATE_GOLDEN=1"
    assert stderr == entries[case]


def assert_one_message(result: Result | subprocess.CompletedProcess[str], shown_path: str) -> None:
    """Exit 3, nothing on stdout, one error naming the file (and its line unless the problem is the whole file)."""
    stderr, stdout = result.stderr, result.stdout
    if isinstance(result, subprocess.CompletedProcess):
        code = result.returncode
    else:
        code = result.exit_code
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert code == ExitCode.INVALID_INPUT, stderr
    assert stdout == ""
    assert not _NOISE.search(stderr), stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", stderr), "a control character reached the terminal"
    lines = stderr.splitlines()
    assert lines and lines[0].startswith(f"placer: error: {shown_path}"), stderr
    assert stderr.count("placer: error:") == 1
    for line in lines[1:]:
        assert _DETAIL.match(line), f"unexpected stderr line: {line!r}"
    if not _FILE_LEVEL.search(lines[0]):
        assert re.match(rf"placer: error: {re.escape(shown_path)}:\d+[:\s]", lines[0]), f"no line number: {lines[0]}"


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # corpus paths are relative, so the messages (and the golden file) are the same anywhere


@pytest.mark.parametrize("case", corpus(accepted=False))
def test_hostile_file_is_one_message_and_exit_3(case: str) -> None:
    kind = case.split("/", maxsplit=1)[0]
    path = f"tests/hostile/{case}"
    result = invoke(kind, path)
    # a config names other files (catalogs: [...]); the message names the one that is wrong
    shown = "tests/hostile/config/does-not-exist.yaml" if case == "config/missing-catalog.yaml" else path
    assert_one_message(result, shown)
    check_golden(case, result.stderr)


@pytest.mark.parametrize(("generated", "kind"), GENERATED_CASES)
def test_generated_hostile_input_is_one_message_and_exit_3(generated: Generated, kind: str, tmp_path: Path) -> None:
    path = str(generated.make(tmp_path, kind))
    result = run_process(kind, path) if generated.process else invoke(kind, path)
    assert_one_message(result, path)
    check_golden(f"{kind}/{generated.name} (generated)", result.stderr.replace(str(tmp_path), TMP))


@pytest.mark.parametrize("case", corpus(accepted=True))
def test_hostile_looking_but_valid_file_is_accepted(case: str) -> None:
    result = invoke(case.split("/", maxsplit=1)[0], f"tests/hostile/{case}")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "placer: error" not in result.stderr
    assert result.stdout  # the plan


def test_an_offer_id_repeated_across_layers_is_one_message_naming_the_later_file() -> None:
    """By design (README, "Your prices"), a user catalog adds offers; one already in the catalog below it, from an
    earlier layer too, is an error (its prices change through overrides:)."""
    later = "tests/hostile/layers/same-offer-again.yaml"
    args = ["plan", PLAN_PROFILE, "--catalog", "tests/hostile/layers/offers.csv", "--catalog", later]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert_one_message(result, later)
    check_golden("layers/same-offer-again.yaml (after layers/offers.csv)", result.stderr)


@pytest.mark.parametrize(
    "case", ["profile/tab-indent.yaml", "user-csv/nan-price.csv", "catalog-json/nan-price.json", "config/nan-age.yaml"]
)
def test_the_real_process_prints_the_same_message(case: str) -> None:
    kind = case.split("/", maxsplit=1)[0]
    done = run_process(kind, f"tests/hostile/{case}")
    assert_one_message(done, f"tests/hostile/{case}")
    assert done.stderr == read_golden()[case]


# --- every numeric slot refuses NaN and infinity (library level: a message naming the file, line and field) -------

NON_FINITE_YAML = (".nan", ".inf", "-.inf")
PROFILES_WITH_EVERY_NUMBER = {
    "training": """\
kind: training
name: t
model: {parameters: 70000000000, active_parameters: 7000000000, layers: 80, kv_heads: 8, head_dim: 128}
training: {tokens: 2000000000000, mfu: 0.4, checkpoint_interval_minutes: 30, restart_minutes: 10}
resources: {count: 8, max_count: 64}
data: {size_gb: 500, location: aws/us-east-1}
deadline_hours: 720
budget: {max_usd: 5000000}
""",
    "inference": """\
kind: inference
name: i
model: {parameters: 70000000000}
inference:
  requests_per_second: 20
  average_requests_per_second: 10
  input_tokens: 1000
  output_tokens: 300
  slo: {p95_latency_ms: 3000}
  hours_per_day: 12
""",
    "apple-build": """\
kind: apple-build
name: b
build: {jobs_per_day: 120, minutes_per_job: 18, max_queue_wait_minutes: 5, working_hours_per_day: 10,
  working_days_per_month: 22, min_memory_gb: 16}
""",
    "flops": "kind: training\nname: f\nmodel: {parameters: 70000000000}\ntraining: {flops: 1.0e+24}\n",
}


def _numeric_leaves(data: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _numeric_leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _numeric_leaves(v, (*path, i))]
    return [path] if isinstance(data, int | float) and not isinstance(data, bool) else []


def _replaced(data: object, path: tuple[str | int, ...], value: object) -> object:
    copy = json.loads(json.dumps(data, default=str))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _refused(load: Callable[[Path], object], path: Path, field: str) -> None:
    with pytest.raises(InputError) as info:
        load(path)
    error = info.value
    assert error.exit_code == ExitCode.INVALID_INPUT
    assert error.location is not None
    assert error.location.file == str(path)
    assert error.location.line is not None, str(error)
    assert error.location.field == field, str(error)


@pytest.mark.parametrize("kind", PROFILES_WITH_EVERY_NUMBER)
def test_every_number_in_a_profile_refuses_nan_and_infinity(kind: str, tmp_path: Path) -> None:
    base = yaml.safe_load(PROFILES_WITH_EVERY_NUMBER[kind])
    read_profile(_write(tmp_path / "base.yaml", PROFILES_WITH_EVERY_NUMBER[kind]))  # the base itself is valid
    leaves = _numeric_leaves(base)
    assert len(leaves) >= 2
    for leaf in leaves:
        for token in NON_FINITE_YAML:
            text = yaml.safe_dump(_replaced(base, leaf, "@"), sort_keys=False).replace("'@'", token)
            _refused(read_profile, _write(tmp_path / "p.yaml", text), dotted_path(leaf))


def test_every_number_in_a_user_catalog_refuses_nan_and_infinity(tmp_path: Path) -> None:
    text = (HOSTILE / "user-yaml" / "ok-baseline.yaml").read_text(encoding="utf-8")
    base = yaml.safe_load(text)
    embedded = embedded_catalog()

    def load(path: Path) -> object:
        return apply_user_catalog(embedded, load_user_catalog(path))

    leaves = _numeric_leaves(base)
    assert len(leaves) >= 10
    for leaf in leaves:
        for token in NON_FINITE_YAML:
            mutated = yaml.safe_dump(_replaced(base, leaf, "@"), sort_keys=False).replace("'@'", token)
            _refused(load, _write(tmp_path / "u.yaml", mutated), dotted_path(leaf))


@pytest.mark.parametrize(
    "column",
    [
        "on_demand_usd",
        "spot_usd",
        "reserved_usd",
        "accelerator_memory_gb",
        "accelerators_per_instance",
        "max_instances",
    ],
)
def test_every_number_in_a_csv_catalog_refuses_nan_and_infinity(column: str, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((HOSTILE / "user-csv" / "ok-baseline.csv").read_text(encoding="utf-8"))))
    for token in ("nan", "inf", "-inf", "NaN", "Infinity"):
        out = io.StringIO()
        writer = csv.DictWriter(out, [*rows[0].keys(), "reserved_usd", "max_instances"], lineterminator="\n")
        writer.writeheader()
        writer.writerow({**rows[0], "reserved_usd": "20", "max_instances": "4", column: token})
        _refused(load_user_catalog, _write(tmp_path / "u.csv", out.getvalue()), column)


def test_every_number_in_a_catalog_json_refuses_nan_and_infinity(tmp_path: Path) -> None:
    base = json.loads((HOSTILE / "catalog-json" / "ok-baseline.json").read_text(encoding="utf-8"))
    leaves = _numeric_leaves(base)
    assert len(leaves) >= 50
    for leaf in leaves:
        for value in (float("nan"), float("inf"), -float("inf")):
            text = json.dumps(_replaced(base, leaf, value), indent=1)
            _refused(load_catalog_file, _write(tmp_path / "c.json", text), dotted_path(leaf))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_golden_file_has_no_stale_cases() -> None:
    known = set(corpus(accepted=False)) | {f"{kind}/{g.name} (generated)" for g in GENERATED for kind in g.kinds}
    known.add("layers/same-offer-again.yaml (after layers/offers.csv)")
    entries = read_golden()
    if os.environ.get("PLACER_UPDATE_GOLDEN"):
        write_golden({k: v for k, v in entries.items() if k in known})
        return
    assert set(entries) <= known, f"golden entries without a case: {sorted(set(entries) - known)}"


def test_every_kind_has_the_core_cases() -> None:
    """The corpus keeps the cases the hostile-input issue lists, for every kind of input that can have them."""
    names = {case.split("/")[1].rsplit(".", 1)[0] for case in corpus(accepted=False)}
    for kind in KINDS:
        own = {p.stem for p in (HOSTILE / kind).iterdir()}
        for required in ("empty", "whitespace-only", "png-header", "nul-bytes", "latin-1", "utf-16-bom"):
            assert required in own, f"{kind} lacks {required}"
        assert "ok-utf-8-bom" in own, f"{kind} lacks ok-utf-8-bom (a UTF-8 byte-order mark is accepted)"
    for required in ("alias-bomb", "duplicate-key", "multi-document", "python-object-tag", "custom-tag", "tab-indent"):
        assert required in names
