"""Reading workload profiles: valid examples parse, and every mistake is one ProfileError at file:line:col."""

from __future__ import annotations

import re
import time
from pathlib import Path
from textwrap import dedent

import pytest

from placer.errors import ExitCode, ProfileError
from placer.profile import (
    AppleBuildProfile,
    InferenceProfile,
    TrainingProfile,
    load_profile,
    parse_profile,
    read_profile,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "profiles").glob("*.yaml"))

TRAINING = dedent(
    """\
    kind: training
    name: pretrain
    model:
      parameters: 70B
    training:
      tokens: 2T
    """
)

INFERENCE = dedent(
    """\
    kind: inference
    name: chat
    model:
      parameters: 8B
    inference:
      requests_per_second: 40
      input_tokens: 3000
      output_tokens: 250
    """
)


def exactly(message: str) -> str:
    """A pytest.raises pattern that matches ``message`` and nothing else."""
    return f"^{re.escape(message)}$"


def error_for(text: str) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "p.yaml")
    err = info.value
    assert err.exit_code is ExitCode.INVALID_INPUT
    return err


def assert_at(err: ProfileError, line: int | None, column: int | None, field: str | None) -> None:
    assert err.location is not None
    assert err.location.file == "p.yaml"
    assert (err.location.line, err.location.column, err.location.field) == (line, column, field)


# --- the example profiles -------------------------------------------------------------------------


def test_there_are_examples_of_every_kind() -> None:
    assert len(EXAMPLES) >= 6
    kinds = {read_profile(path).profile.kind for path in EXAMPLES}
    assert kinds == {"training", "inference", "apple-build"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_profile_parses(path: Path) -> None:
    doc = read_profile(path)
    assert doc.path == str(path)
    assert isinstance(doc.profile, TrainingProfile | InferenceProfile | AppleBuildProfile)
    assert doc.profile.name
    assert load_profile(path) == doc.profile


def test_minimal_profiles_get_defaults() -> None:
    training = parse_profile(TRAINING, "p.yaml").profile
    assert isinstance(training, TrainingProfile)
    assert training.objective == "cost"
    assert training.constraints.spot == "never"
    assert training.model.precision == "bf16"
    assert training.training.checkpoint_interval_minutes == 30.0

    inference = parse_profile(INFERENCE, "p.yaml").profile
    assert isinstance(inference, InferenceProfile)
    assert inference.inference.user_regions == ["us-east"]
    assert inference.inference.mean_requests_per_second == 40.0

    build = parse_profile("kind: apple-build\nname: ci\nbuild: {jobs_per_day: 120, minutes_per_job: 18}\n").profile
    assert isinstance(build, AppleBuildProfile)
    assert build.build.reference_chip == "M4"


# --- numbers and compute ---------------------------------------------------------------------------


def test_human_numbers_in_a_profile_are_exact() -> None:
    profile = parse_profile(TRAINING, "p.yaml").profile
    assert isinstance(profile, TrainingProfile)
    assert profile.model.parameters == 7e10
    assert profile.training.tokens == 2e12
    assert profile.flops == 6 * 7e10 * 2e12


def test_yaml_string_exponents_and_underscores_are_numbers() -> None:
    # PyYAML reads 70e9 as a *string*; 1_000 as an int
    text = TRAINING.replace("70B", "70e9").replace("2T", "2.0e12") + "resources:\n  max_count: 1_000\n"
    profile = parse_profile(text, "p.yaml").profile
    assert isinstance(profile, TrainingProfile)
    assert profile.model.parameters == 7e10
    assert profile.training.tokens == 2e12
    assert profile.resources.max_count == 1000


def test_moe_flops_use_active_parameters() -> None:
    text = TRAINING.replace("  parameters: 70B", "  parameters: 400B\n  active_parameters: 17B").replace("2T", "10T")
    profile = parse_profile(text, "p.yaml").profile
    assert isinstance(profile, TrainingProfile)
    assert profile.model.compute_parameters == 17e9
    assert profile.flops == 6 * 17e9 * 10e12


def test_given_flops_are_used_as_is() -> None:
    profile = parse_profile(TRAINING.replace("tokens: 2T", "flops: 1.5e21"), "p.yaml").profile
    assert isinstance(profile, TrainingProfile)
    assert profile.flops == 1.5e21


# --- validation errors point at file:line:col and the dotted field -----------------------------------


def test_unknown_top_level_key_suggests_the_right_one() -> None:
    err = error_for(TRAINING + "objectiv: cost\n")
    assert str(err) == "p.yaml:7:1: objectiv: unknown key 'objectiv'"
    assert err.hint == "did you mean 'objective'?"
    assert_at(err, 7, 1, "objectiv")
    assert err.location is not None
    assert err.location.source_line == "objectiv: cost"


def test_unknown_nested_key_points_at_the_key() -> None:
    err = error_for(TRAINING.replace("  parameters: 70B", "  paramters: 70B"))
    # the typo also makes 'parameters' missing; the unknown key is reported first
    assert str(err) == "p.yaml:4:3: model.paramters: unknown key 'paramters' (and 1 more problem)"
    assert err.hint == "did you mean 'parameters'?"
    assert_at(err, 4, 3, "model.paramters")


def test_unknown_key_without_a_close_match_lists_allowed_keys() -> None:
    err = error_for(TRAINING + "budget:\n  zzz: 1\n")
    assert err.message.startswith("unknown key 'zzz'")
    assert err.hint == "allowed keys here: max_usd"
    assert_at(err, 8, 3, "budget.zzz")


def test_wrong_type() -> None:
    err = error_for(INFERENCE.replace("requests_per_second: 40", "requests_per_second: fast"))
    assert str(err) == (
        "p.yaml:6:24: inference.requests_per_second: expected a number such as 70e9, 70B or 2T, got 'fast'"
    )
    assert_at(err, 6, 24, "inference.requests_per_second")
    assert err.hint is None


def test_negative_number() -> None:
    err = error_for(TRAINING.replace("70B", "-70e9"))
    assert "greater than 0" in err.message
    assert str(err) == "p.yaml:4:15: model.parameters: must be greater than 0, got -70e9"
    assert_at(err, 4, 15, "model.parameters")


@pytest.mark.parametrize(
    ("text", "line", "column", "field"),
    [
        (TRAINING.replace("2T", "0"), 6, 11, "training.tokens"),
        (TRAINING + "budget: {max_usd: 0}\n", 7, 19, "budget.max_usd"),
        (TRAINING + "deadline_hours: 0\n", 7, 17, "deadline_hours"),
    ],
)
def test_zero_is_rejected_where_a_positive_number_is_needed(text: str, line: int, column: int, field: str) -> None:
    err = error_for(text)
    assert err.message == "must be greater than 0, got 0"
    assert_at(err, line, column, field)


@pytest.mark.parametrize(("literal", "shown"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")])
def test_non_finite_numbers_are_rejected(literal: str, shown: str) -> None:
    err = error_for(TRAINING.replace("70B", literal))
    assert str(err) == f"p.yaml:4:15: model.parameters: expected a finite number, got {shown}"


def test_boolean_is_not_a_number() -> None:
    err = error_for(TRAINING.replace("2T", "yes"))
    assert str(err) == "p.yaml:6:11: training.tokens: expected a number, got true"


def test_missing_required_section() -> None:
    err = error_for(TRAINING.split("training:\n")[0])
    assert err.message == "missing required key 'training'"
    assert_at(err, 1, 1, "training")


def test_missing_required_nested_key() -> None:
    err = error_for(INFERENCE.replace("  output_tokens: 250\n", ""))
    assert err.message == "missing required key 'output_tokens'"
    assert err.location is not None
    assert err.location.field == "inference.output_tokens"
    assert err.location.line == 6  # the inference mapping starts here


def test_missing_kind() -> None:
    err = error_for(TRAINING.replace("kind: training\n", ""))
    assert err.message == "missing required key 'kind' (one of training, inference, apple-build)"
    assert_at(err, 1, 1, None)


def test_unknown_kind_suggests_the_right_one() -> None:
    err = error_for(TRAINING.replace("kind: training", "kind: trainig"))
    assert str(err) == "p.yaml:1:7: kind: unknown kind 'trainig'; expected one of training, inference, apple-build"
    assert err.hint == "did you mean 'training'?"


def test_unknown_kind_with_no_close_match_has_no_hint() -> None:
    err = error_for(TRAINING.replace("kind: training", "kind: zzz"))
    assert err.message.startswith("unknown kind 'zzz'")
    assert err.hint is None


def test_tokens_and_flops_together() -> None:
    err = error_for(TRAINING + "  flops: 1e24\n")
    assert err.message == "give exactly one of tokens or flops"
    assert err.location is not None
    assert (err.location.line, err.location.field) == (6, "training")


def test_neither_tokens_nor_flops() -> None:
    err = error_for(TRAINING.replace("  tokens: 2T\n", "  mfu: 0.4\n"))
    assert err.message == "give exactly one of tokens or flops"


def test_active_parameters_cannot_exceed_parameters() -> None:
    err = error_for(TRAINING.replace("  parameters: 70B", "  parameters: 70B\n  active_parameters: 80B"))
    assert err.message == "active_parameters cannot exceed parameters"
    assert_at(err, 4, 3, "model")


def test_average_rate_cannot_exceed_peak() -> None:
    err = error_for(INFERENCE + "  average_requests_per_second: 50\n")
    assert err.message == "average_requests_per_second cannot exceed requests_per_second (the peak)"
    assert err.location is not None
    assert err.location.field == "inference"


def test_fractional_count_is_rejected() -> None:
    err = error_for(TRAINING + "resources:\n  count: 1.5\n")
    assert_at(err, 8, 10, "resources.count")
    assert err.message.startswith("must be a valid integer")


def test_wrong_type_inside_a_list_names_the_index() -> None:
    err = error_for(TRAINING + "resources:\n  accelerators: [H100, 5]\n")
    assert str(err) == "p.yaml:8:24: resources.accelerators[1]: must be a valid string, got 5"


def test_duplicate_key_is_reported_at_the_second_occurrence() -> None:
    err = error_for(TRAINING + "name: other\n")
    assert str(err) == "p.yaml:7:1: name: duplicate key 'name'"
    assert err.location is not None
    assert err.location.source_line == "name: other"


def test_duplicate_nested_key() -> None:
    err = error_for(TRAINING + "  tokens: 3T\n")
    assert str(err) == "p.yaml:7:3: training.tokens: duplicate key 'tokens'"


def test_top_level_list() -> None:
    err = error_for("- kind: training\n- name: x\n")
    assert str(err) == "p.yaml:1:1: expected a mapping of profile keys (kind, name, ...), found a list"


def test_top_level_scalar() -> None:
    err = error_for("hello\n")
    assert err.message.startswith("expected a mapping of profile keys (kind, name, ...), found ")
    assert_at(err, 1, 1, None)


def test_list_where_a_mapping_belongs() -> None:
    err = error_for(TRAINING.replace("model:\n  parameters: 70B", "model: [1, 2]"))
    assert_at(err, 3, 8, "model")
    assert err.message == "must be a mapping of keys"


def test_empty_section() -> None:
    err = error_for(TRAINING.replace("model:\n  parameters: 70B", "model:"))
    assert_at(err, 3, 7, "model")
    assert err.message == "must be a mapping of keys, got nothing (null)"


@pytest.mark.parametrize("text", ["", "\n", "   \n\t\n", "# just a comment\n\n  # another\n"])
def test_empty_file(text: str) -> None:
    err = error_for(text)
    assert err.message == "file is empty"
    assert str(err) == "p.yaml: file is empty"


@pytest.mark.parametrize("text", ["---\n", "~\n", "null\n"])
def test_null_document_is_not_described_with_python_type_names(text: str) -> None:
    err = error_for(text)
    assert err.message == "file is empty"


def test_not_yaml() -> None:
    err = error_for("kind: [unclosed\n")
    assert err.message.startswith("not valid YAML: ")
    assert err.location is not None
    assert err.location.line == 2  # the flow sequence is still open at the end of the file
    assert str(err).startswith("p.yaml:2:1: not valid YAML: ")


def test_not_yaml_points_at_the_bad_line() -> None:
    err = error_for("kind: training\nname: x\n\tmodel: y\n")
    assert err.message.startswith("not valid YAML: ")
    assert err.location is not None
    assert err.location.line == 3
    assert err.location.source_line == "\tmodel: y"


def test_more_than_one_document() -> None:
    err = error_for(TRAINING + "---\nkind: inference\n")
    assert err.message.startswith("not valid YAML: ")
    assert err.location is not None
    assert err.location.line == 7


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    start = time.perf_counter()
    err = error_for("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 5
    assert "alias bomb" in err.message
    assert err.message == "document expands to more than 100,000 values (alias bomb?)"


def test_merge_key_is_refused() -> None:
    text = "base: &b {parameters: 70B}\nkind: training\nname: x\nmodel:\n  <<: *b\ntraining: {tokens: 2T}\n"
    err = error_for(text)
    assert err.message == "YAML merge keys (<<) are not supported"
    assert_at(err, 5, 3, "model")


def test_windows_line_endings_keep_positions() -> None:
    err = error_for((TRAINING + "objectiv: cost\n").replace("\n", "\r\n"))
    assert str(err) == "p.yaml:7:1: objectiv: unknown key 'objectiv'"


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n"])
def test_recursive_alias_is_an_input_error(text: str) -> None:
    err = error_for(text)
    assert err.message == "recursive YAML alias (a value contains itself)"
    assert err.location is not None
    assert err.location.line == 1


def test_deeply_nested_yaml_is_an_input_error() -> None:
    err = error_for("a: " + "[" * 2000 + "]" * 2000 + "\n")
    assert err.message == "nested more than 64 levels deep"


def test_fractional_count_message_says_got_once() -> None:
    # regression: the value used to be appended to a message that already said "got ..."
    err = error_for(TRAINING + "resources:\n  count: 1.5\n")
    assert err.message.count("got") == 1


def test_empty_string_is_shown_quoted() -> None:
    # regression: an empty string used to be shown as nothing at all ("got ")
    err = error_for(TRAINING.replace("name: pretrain", "name: ''"))
    assert_at(err, 2, 7, "name")
    assert err.message.endswith("got ''")


# --- reading files ---------------------------------------------------------------------------------


def read_error(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        read_profile(path)
    err = info.value
    assert err.exit_code is ExitCode.INVALID_INPUT
    assert str(path) in str(err)
    return err


def test_read_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = read_error(path)
    assert str(err) == f"{path}: no such file"


def test_read_directory(tmp_path: Path) -> None:
    err = read_error(tmp_path)
    assert str(err) == f"{tmp_path}: is a directory, not a file"


def test_read_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 1_000_001)
    err = read_error(path)
    assert str(err) == f"{path}: file is 1,000,001 bytes; the limit is 1,000,000"


def test_read_file_exactly_at_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "padded.yaml"
    body = TRAINING.encode()
    path.write_bytes(body + b"#" * (1_000_000 - len(body) - 1) + b"\n")
    assert path.stat().st_size == 1_000_000
    assert read_profile(path).profile.name == "pretrain"


def test_read_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"kind: training\x00\x01\x02")
    err = read_error(path)
    assert str(err) == f"{path}: binary file (contains NUL bytes), expected YAML text"


def test_read_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: training\nname: caf\u00e9\n".encode("latin-1"))
    err = read_error(path)
    assert str(err) == f"{path}:2: not UTF-8 text (invalid byte 0xe9)"
    assert err.location is not None
    assert err.location.line == 2


def test_read_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TRAINING.replace("pretrain", "caf\u00e9").encode())
    assert read_profile(path).profile.name == "caf\u00e9"


def test_read_errors_carry_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(TRAINING + "objectiv: cost\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=exactly(f"{path}:7:1: objectiv: unknown key 'objectiv'")):
        read_profile(path)
