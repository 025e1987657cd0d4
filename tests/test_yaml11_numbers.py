"""YAML 1.1 number forms nobody means (base 60, leading-zero octal) and a hostile price-age variable: exit 3."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from placer.cli.app import app
from placer.errors import CatalogError, ProfileError
from placer.yamldoc import parse_yaml

BUILD = """kind: apple-build
name: ios
build:
  jobs_per_day: 40
  minutes_per_job: {minutes}
  reference_chip: M4
  max_queue_wait_minutes: 10
"""


@pytest.mark.parametrize(
    ("written", "why"),
    [("1:30", "base-60"), ("1:30:00", "base-60"), ("-2:05.5", "base-60"), ("010", "octal"), ("0_17", "octal")],
)
def test_yaml11_traps_are_refused_where_written(written: str, why: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_yaml(BUILD.format(minutes=written), "p.yaml", ProfileError)
    message = str(caught.value)
    assert message.startswith("p.yaml:5:20: build.minutes_per_job: bad value")
    assert why in message


@pytest.mark.parametrize("written", ["90", "0", "0.5", "10.0", "1e3", "'1:30'", '"010"', "0x1F"])
def test_plain_numbers_and_quoted_text_still_load(written: str) -> None:
    doc = parse_yaml(BUILD.format(minutes=written), "p.yaml", ProfileError)
    assert doc.data["build"]["minutes_per_job"] is not None


def test_cli_exit_3_with_the_place(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ios.yaml"
    path.write_text(BUILD.format(minutes="1:30"))
    result = CliRunner().invoke(app, ["plan", str(path)])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"{path}:5:20: build.minutes_per_job: bad value '1:30'" in result.stderr


@pytest.mark.parametrize("raw", ["-5", "+5", "5.5", "1" * 5000, "ten", "٣"])
def test_bad_price_age_variable_is_an_input_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from placer.catalog.assemble import MAX_AGE_ENV, max_age_days

    monkeypatch.setenv(MAX_AGE_ENV, raw)
    with pytest.raises(CatalogError) as caught:
        max_age_days()
    assert len(str(caught.value)) < 200  # a 5,000-digit value is clipped, not echoed
    monkeypatch.setenv(MAX_AGE_ENV, " 30 ")
    assert max_age_days() == 30


@given(st.text(max_size=80), st.tuples(st.booleans(), st.booleans()))
def test_kept_scalar_tags_are_the_resolvers(value: str, implicit: tuple[bool, bool]) -> None:
    """Tags are kept per (short scalar, implicit) across documents: asked twice, both are the resolver's own."""
    import yaml

    from placer import yaml_compose

    loader = yaml_compose.Loader("")
    try:
        fresh = yaml_compose._SafeLoader.resolve(loader, yaml.ScalarNode, value, implicit)  # the resolver, unkept
        assert loader.resolve(yaml.ScalarNode, value, implicit) == fresh
        assert loader.resolve(yaml.ScalarNode, value, implicit) == fresh
    finally:
        loader.dispose()
