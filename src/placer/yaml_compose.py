"""Composing a YAML document into nodes with placer's limits: libyaml's C composer for a small, shallow document,
placer's own (no recursion, limits checked as it goes) for everything else. placer.yamldoc reads the nodes."""

from __future__ import annotations

from typing import Any

import yaml

MAX_NODES = 100_000
MAX_DEPTH = 64
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVED: dict[tuple[str, Any], Any] = {}  # (short plain scalar, implicit) -> its tag
_RESOLVED_KEPT = 4096


class Loader(_SafeLoader):  # type: ignore[misc]
    """The safe loader (libyaml's where present), its plain scalars' tags kept between documents: a fleet's
    profiles repeat the same keys and values, and the resolver tries its regular expressions on each (a pure
    function of the value and how it was written). Both composers ask it once per value."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or type(value) is not str or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) >= _RESOLVED_KEPT:
                _RESOLVED.clear()
            _RESOLVED[key] = tag
        return tag


NOT_SMALL: Any = object()
SMALL_TEXT = 4096  # characters: fewer values than MAX_NODES
# what a level of nesting needs at least one of: a line break, a bracket, a block "- " or a complex key "? "
_NESTERS = ("\n", "\r", "\x85", "\u2028", "\u2029", "[", "{", "-", "?")
SMALL_NESTING = 512  # at most this many of them: a C recursion this deep is harmless


def compose_small(text: str) -> Any:
    """libyaml's own composer (in C) for a small document that composes cleanly and nests less than MAX_DEPTH
    deep, else NOT_SMALL: a profile is such a document, and this halves its reading.

    Anything else is left to compose, which keeps placer's limits and says each problem in placer's words. The
    C composer recurses per level, so it only sees documents too short to nest deeper than SMALL_NESTING."""
    if _SafeLoader is yaml.SafeLoader or len(text) > SMALL_TEXT:
        return NOT_SMALL
    nesters = sum(text.count(c) for c in _NESTERS)
    if nesters > SMALL_NESTING:
        return NOT_SMALL
    loader = Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return NOT_SMALL
    finally:
        loader.dispose()
    return node if _depth(node) < MAX_DEPTH else NOT_SMALL


def _depth(root: yaml.Node | None) -> int:
    """How many collections deep the document goes, as compose counts while composing, without recursion: in
    document order (an anchored node is met where it is written, before any alias to it), each node once."""
    deepest = 0
    seen: set[int] = set()
    stack = [(root, 0)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        deepest = max(deepest, depth + 1)
        items = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        stack.extend((item, depth + 1) for item in reversed(items))
    return deepest


def compose(loader: Any, fail: Any) -> yaml.Node | None:
    """The document's node graph, built from the event stream without recursion (PyYAML's composer recurses, in C
    for libyaml, and a deep enough ``[[[…`` crashes the process), refusing excess depth and size as it goes."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # document start
    anchors: dict[str, yaml.Node] = {}
    open_: list[tuple[yaml.Node, list[yaml.Node]]] = []  # collections being read, with their items so far
    root: yaml.Node | None = None
    count = 0
    while root is None:
        event: Any = loader.get_event()
        start: Any = event.start_mark  # libyaml's marks are not PyYAML's class, but have the same fields
        end: Any = event.end_mark
        node: yaml.Node
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
            node = anchors[event.anchor]
        elif isinstance(event, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent):
            count += 1
            if count > MAX_NODES:
                raise fail(f"the document has more than {MAX_NODES:,} values", start)
            if event.anchor is not None and event.anchor in anchors:
                first = anchors[event.anchor].start_mark.line + 1
                raise yaml.composer.ComposerError(
                    None, None, f"found duplicate anchor {event.anchor!r} (first on line {first})", start
                )
            if isinstance(event, yaml.ScalarEvent):
                tag = (
                    event.tag
                    if event.tag not in (None, "!")
                    else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                )
                node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
            else:
                kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                tag = event.tag if event.tag not in (None, "!") else loader.resolve(kind, None, event.implicit)
                node = kind(tag, [], start, None, flow_style=event.flow_style)
                if len(open_) >= MAX_DEPTH:
                    raise fail(f"nested more than {MAX_DEPTH} levels deep", start)
            if event.anchor is not None:
                anchors[event.anchor] = node
            if not isinstance(event, yaml.ScalarEvent):
                open_.append((node, []))
                continue
        else:  # the end of a collection
            node, items = open_.pop()
            node.end_mark = end
            node.value = (
                items if isinstance(node, yaml.SequenceNode) else list(zip(items[::2], items[1::2], strict=True))
            )
        if open_:
            open_[-1][1].append(node)
        else:
            root = node
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        second: Any = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", None, "but found another document", second.start_mark
        )
    return root
