"""Small, shallow YAML is composed by libyaml's C composer (placer.yaml_compose.compose_small): the node graph, tags,
styles and marks must be exactly those of placer's own composer, and anything that fails there is read again by
placer's own, whose words the error keeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from placer.errors import ProfileError
from placer.yaml_compose import MAX_DEPTH, NOT_SMALL, Loader, compose, compose_small
from placer.yamldoc import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    p
    for p in [*ROOT.glob("profiles/*.yaml"), *ROOT.glob("tests/hostile/**/*.yaml"), *ROOT.glob("examples/**/*.yaml")]
    if p.is_file()
)


def _shape(node: Any, seen: dict[int, int] | None = None) -> Any:
    """A node graph as plain values: tag, style, value and both marks of every node; a node met again (an alias)
    as a reference to its first visit."""
    seen = {} if seen is None else seen
    if node is None:
        return None
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    marks = tuple((m.line, m.column, m.index) for m in (node.start_mark, node.end_mark))
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, node.flow_style, marks, [_shape(n, seen) for n in node.value])
    return (node.tag, node.flow_style, marks, [(_shape(k, seen), _shape(v, seen)) for k, v in node.value])


def _own(text: str) -> Any:
    loader = Loader(text)
    try:
        return compose(loader, lambda message, mark: ValueError(message))
    finally:
        loader.dispose()


def _same_or_refused(text: str) -> bool:
    """True when the C composer took the text (and agrees with placer's own); False when it left it."""
    small = compose_small(text)
    if small is NOT_SMALL:
        return False
    assert _shape(small) == _shape(_own(text))
    return True


def test_the_corpus_composes_alike() -> None:
    taken = 0
    for path in CORPUS:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        try:
            taken += _same_or_refused(text)
        except (yaml.YAMLError, UnicodeEncodeError, ValueError):
            assert compose_small(text) is NOT_SMALL  # placer's own composer refuses what C did not take
    assert taken >= 20


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # an alias: the very same node
        "a: *missing\n",  # undefined alias
        "a: &x 1\nb: &x 2\n",  # duplicate anchor
        "a: 1\n---\nb: 2\n",  # two documents
        "a: [1, 2\n",  # unclosed
        "a: !!binary aGk=\n",
        "",
        "# only a comment\n",
        "x: &a [*a]\n",  # recursive
    ],
)
def test_awkward_documents_compose_alike_or_are_left_to_placer(text: str) -> None:
    try:
        _same_or_refused(text)
    except yaml.YAMLError:
        assert compose_small(text) is NOT_SMALL


def _nested(levels: int) -> list[str]:
    """Documents nested ``levels`` collections deep, in every way YAML allows, with and without newlines."""
    return [
        "a: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n",
        "- " * levels + "a\n",
        "? " * levels + "a\n",
        "".join("a:\r" + " " * (i + 1) for i in range(levels)) + "b\n",
        "".join("a:\u2028" + " " * (i + 1) for i in range(levels)) + "b\n",
        "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "b\n",
        "x: " + "[a: " * ((levels + 1) // 2) + "b" + "]" * ((levels + 1) // 2) + "\n",  # two levels a bracket
        "".join("    " * i + "- k:\n" for i in range((levels + 1) // 2)) + "    " * ((levels + 1) // 2) + "b\n",
    ]


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100])
def test_documents_deeper_than_the_limit_get_placers_own_error(levels: int) -> None:
    """However the nesting is written (brackets, "- " or "? " on one line, other line breaks), the C composer's
    answer is dropped and placer's composer refuses the document, at the level where it passes the limit."""
    for text in _nested(levels):
        assert compose_small(text) is NOT_SMALL, text
        with pytest.raises(ProfileError) as refused:
            parse_yaml(text, "p.yaml", ProfileError)
        assert refused.value.message == f"nested more than {MAX_DEPTH} levels deep", text
        assert refused.value.location is not None and refused.value.location.field is None


def test_documents_within_the_limit_compose_alike() -> None:
    for levels in (1, 2, MAX_DEPTH - 2, MAX_DEPTH - 1):
        for text in _nested(levels):
            assert _same_or_refused(text) or levels == MAX_DEPTH - 1, text


def test_an_alias_deeper_than_its_anchor_is_refused_alike() -> None:
    """An anchored list just within the limit, aliased one level deeper: composed alike (the alias adds no
    collection), and refused by the reading that follows, on either path, with the path to the alias."""
    text = "x: &deep " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\ny: [[[*deep]]]\n"
    assert _same_or_refused(text)
    with pytest.raises(ProfileError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(text, "p.yaml", ProfileError)


def test_large_documents_are_left_to_placer() -> None:
    assert compose_small("a: [" + ", ".join("1" for _ in range(3000)) + "]\n") is NOT_SMALL
    assert compose_small("".join(f"k{i}: {i}\n" for i in range(600))) is NOT_SMALL


def test_errors_keep_placers_words() -> None:
    with pytest.raises(ProfileError, match=r"duplicate anchor 'x' \(first on line 1\)"):
        parse_yaml("a: &x 1\nb: &x 2\n", "p.yaml", ProfileError)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["1:30", "010", "0x1F", "yes", "~", "1e3", "-.inf", ".nan", "2026-01-02", "70B"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300)
@given(documents, st.booleans())
def test_generated_documents_compose_alike(data: object, flow: bool) -> None:
    text = yaml.safe_dump({"doc": data}, default_flow_style=flow, allow_unicode=True)
    _same_or_refused(text)
