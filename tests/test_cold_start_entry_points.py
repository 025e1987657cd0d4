"""The on-disk cache of installed entry points (placer.providers.registry): it answers what importlib.metadata
would, follows installs and removals, survives a corrupt file and concurrent writers, and spares start-up the
metadata scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from tests.conftest import ROOT

from placer.providers import registry
from placer.providers.registry import (
    GROUP,
    PYDANTIC_GROUP,
    InstalledEntryPoint,
    entry_point_cache_path,
    installed_entry_points,
    load_plugins,
    pydantic_plugins_known_absent,
)


def install(site: Path, dist: str, entry_points_txt: str, *, version: str = "1.0") -> Path:
    """A distribution as pip leaves it: <name>-<version>.dist-info with METADATA and entry_points.txt."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points_txt))
    return info


def uninstall(info: Path) -> None:
    for child in info.iterdir():
        child.unlink()
    info.rmdir()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh site directory on sys.path holding one importable plugin module (not yet installed)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "coldstart_plugin.py").write_text(
        "from placer.providers.registry import Provider\n\n"
        "def register(registry):\n"
        "    registry.add(Provider(name='coldstart', description='test plugin'))\n"
    )
    monkeypatch.syspath_prepend(str(site))
    return site


PLUGIN = """
    [placer.providers.v1]
    coldstart = coldstart_plugin:register
"""


def names(group: str = GROUP) -> list[tuple[str, str, str]]:
    return sorted((e.name, e.value, e.package) for e in installed_entry_points(group))


def scanned(group: str = GROUP) -> list[tuple[str, str, str]]:
    return sorted((e.name, e.value, e.dist.name if e.dist else "") for e in entry_points(group=group))


def test_cached_entry_points_are_what_importlib_metadata_finds():
    first = names()  # a miss: scans and writes the cache
    assert entry_point_cache_path().is_file()
    assert first == names() == scanned()  # a hit gives the same answer
    assert {"aws", "azure", "lambda"} <= {n for n, _, _ in first}
    assert names(PYDANTIC_GROUP) == scanned(PYDANTIC_GROUP)


def test_installing_a_plugin_invalidates_the_cache(site: Path):
    before = names()
    assert "coldstart" not in {n for n, _, _ in before}
    info = install(site, "placer-coldstart", PLUGIN)
    after = names()
    assert ("coldstart", "coldstart_plugin:register", "placer-coldstart") in after
    assert after == scanned()
    provider = load_plugins({"coldstart"}).get("coldstart")
    assert provider is not None
    assert provider.package == "placer-coldstart"

    uninstall(info)
    assert names() == before
    warnings: list[str] = []
    assert load_plugins({"coldstart"}, warnings.append).names == []
    assert warnings and warnings[0].startswith("no installed provider plugin named 'coldstart'")


def test_upgrading_or_rewriting_entry_points_invalidates_the_cache(site: Path):
    info = install(site, "placer-coldstart", PLUGIN)
    assert ("coldstart", "coldstart_plugin:register", "placer-coldstart") in names()
    # the same distribution rewrites its entry points in place (an editable reinstall)
    (info / "entry_points.txt").write_text("[placer.providers.v1]\ncoldstart2 = coldstart_plugin:register\n")
    now = {n for n, _, _ in names()}
    assert "coldstart2" in now and "coldstart" not in now
    # an upgrade: the old .dist-info goes, a new one comes
    uninstall(info)
    install(site, "placer-coldstart", PLUGIN, version="2.0")
    assert ("coldstart", "coldstart_plugin:register", "placer-coldstart") in names()
    assert names() == scanned()


def test_a_corrupt_cache_file_is_ignored_and_rebuilt():
    expected = names()
    path = entry_point_cache_path()
    for garbage in (b"", b"{not json", b'{"version": 1}', b"[1, 2]", b'{"version": 1, "stamp": [], "groups": 3}',
                    b"\xff\xfe\x00binary"):  # fmt: skip
        path.write_bytes(garbage)
        assert names() == expected
        rebuilt = json.loads(path.read_text())
        assert rebuilt["version"] == registry.ENTRY_POINT_CACHE_VERSION
        assert rebuilt["stamp"] == registry.environment_stamp()


def test_a_cache_for_another_environment_state_is_not_used(site: Path):
    names()
    path = entry_point_cache_path()
    data = json.loads(path.read_text())
    data["groups"][GROUP] = [["phantom", "nowhere:register", "phantom-dist"]]
    data["stamp"] = [["elsewhere", []]]
    path.write_text(json.dumps(data))
    assert "phantom" not in {n for n, _, _ in names()}


def test_an_unwritable_cache_directory_only_costs_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("PLACER_CACHE_DIR", str(blocker))
    assert names() == scanned()


def test_concurrent_writers_leave_one_whole_cache_file(monkeypatch: pytest.MonkeyPatch):
    writes: list[Path] = []
    import placer.atomic

    real = placer.atomic.write_atomic

    def counting(path: str | Path, data: str | bytes, **kwargs: str) -> None:
        writes.append(Path(path))
        real(path, data, **kwargs)

    monkeypatch.setattr(placer.atomic, "write_atomic", counting)  # the cache writes through the atomic helper
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: names(), range(16)))
    assert all(r == results[0] for r in results)
    assert writes and all(w == entry_point_cache_path() for w in writes)
    assert json.loads(entry_point_cache_path().read_text())["stamp"] == registry.environment_stamp()
    assert [p.name for p in entry_point_cache_path().parent.iterdir()] == [entry_point_cache_path().name]


def test_concurrent_processes_agree_and_leave_no_temporary_files(tmp_path: Path):
    cache = tmp_path / "shared-cache"
    code = (
        "from placer.providers.registry import GROUP, installed_entry_points\n"
        "print(sorted((e.name, e.value, e.package) for e in installed_entry_points(GROUP)))\n"
    )
    env = {**os.environ, "PLACER_CACHE_DIR": str(cache)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outputs)) == 1
    files = list((cache / "entry-points").iterdir())
    assert len(files) == 1 and files[0].suffix == ".json"
    json.loads(files[0].read_text())


def test_a_warm_cache_keeps_importlib_metadata_out_of_the_process(tmp_path: Path):
    code = (
        "import sys\n"
        "from placer.providers.registry import GROUP, installed_entry_points\n"
        "assert {'aws', 'azure', 'lambda'} <= {e.name for e in installed_entry_points(GROUP)}\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    env = {**os.environ, "PLACER_CACHE_DIR": str(tmp_path)}
    cold = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert cold.stdout.strip() == "True"  # the first run scans
    assert warm.stdout.strip() == "False"  # the second reads the cache


def test_choosing_no_plugins_looks_for_none(monkeypatch: pytest.MonkeyPatch):
    def boom(group: str) -> list[InstalledEntryPoint]:
        raise AssertionError("scanned")

    monkeypatch.setattr(registry, "installed_entry_points", boom)
    assert load_plugins(set()).names == []


def test_cached_entry_points_load_like_importlib_ones():
    ep = InstalledEntryPoint("x", "tests.plugin_fixtures : register_one", GROUP, "tests")
    from tests import plugin_fixtures

    assert ep.load() is plugin_fixtures.register_one
    assert InstalledEntryPoint("m", "tests.plugin_fixtures", GROUP, "tests").load() is plugin_fixtures
    assert InstalledEntryPoint("e", "tests.plugin_fixtures:register_one [extra]", GROUP, "t").load() is (
        plugin_fixtures.register_one
    )
    with pytest.raises(ModuleNotFoundError):
        InstalledEntryPoint("bad", "no_such_module_xyz:register", GROUP, "t").load()
    warnings: list[str] = []
    load_plugins(warn=warnings.append, eps=[InstalledEntryPoint("bad", "no_such_module_xyz:register", GROUP, "pkg")])
    assert warnings[0].startswith("plugin 'bad' from package pkg failed to load: ModuleNotFoundError")


def test_pydantic_is_told_about_absent_plugins_only_when_there_are_none(site: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    if scanned(PYDANTIC_GROUP):
        pytest.skip("a pydantic plugin is installed in this environment")
    assert names(PYDANTIC_GROUP) == []
    with pydantic_plugins_known_absent():
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ  # restored

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "someplugin")  # the user's own setting wins
    with pydantic_plugins_known_absent():
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "someplugin"
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "someplugin"

    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    install(site, "pydantic-coldstart", "[pydantic]\ncoldstart = coldstart_plugin:register\n")
    with pydantic_plugins_known_absent():  # a pydantic plugin is installed: pydantic must find it
        assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ


def test_pydantic_is_left_alone_when_the_cache_fails(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)

    def broken(group: str) -> list[InstalledEntryPoint]:
        raise OSError("disk on fire")

    monkeypatch.setattr(registry, "installed_entry_points", broken)
    with pydantic_plugins_known_absent():
        assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ


def test_plugin_warnings_on_the_command_line_are_unchanged():
    done = subprocess.run(
        [sys.executable, "-m", "placer", "plan", "profiles/ios-app-ci.yaml", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PLACER_PLUGINS": "acm,aws"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("placer: warning: no installed provider plugin named 'acm' (installed: ")
