"""YAML documents that remember where every value came from, so errors can say file:line:col.

Shared by profiles, user catalogs, config and policy files (and, for positions, catalog JSON). Guards against
hostile input: size limit, binary and non-UTF-8 bytes, duplicate keys, tags that would build Python objects, alias
bombs ("billion laughs") by bounding expanded nodes, and deep nesting, checked while the events stream in (libyaml's
own composer recurses in C, and a 100,000-level ``[[[…`` crashes the interpreter).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from placer.errors import InputError, SourceLocation
from placer.yaml_compose import MAX_DEPTH, MAX_NODES, NOT_SMALL, Loader, compose, compose_small

MAX_BYTES = 1_000_000
MAX_EXCERPT = 200  # longest source line echoed under an error; longer ones are cut (or dropped if the caret is past it)

# tags a plain YAML value resolves to; any other tag was written on purpose (!!python/object, !!binary, !custom)
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge")
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    length: int = 1


@dataclass
class YamlDocument:
    """Parsed data plus the position of every key and value, keyed by path tuple."""

    filename: str
    text: str
    data: Any
    values: dict[Path_, Mark] = field(default_factory=dict)
    keys: dict[Path_, Mark] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        """The best position for ``path``: the deepest prefix that exists in the file."""
        dotted = dotted_path(path)
        probe: Path_ = tuple(path)
        while probe:
            mark = (self.keys.get(probe) if key else None) or self.values.get(probe)
            if mark is not None:
                return self._at(mark, dotted)
            probe = probe[:-1]
            key = False
        mark = self.values.get(())
        return self._at(mark, dotted) if mark else SourceLocation(self.filename, field=dotted or None)

    def _at(self, mark: Mark, dotted: str) -> SourceLocation:
        source = excerpt(self.text.splitlines(), mark.line, mark.column)
        return SourceLocation(self.filename, mark.line, mark.column, clip(dotted) or None, source)


def excerpt(lines: Sequence[str], line: int, column: int | None) -> str | None:
    """The source line to echo under an error: cut when very long, left out when the caret would be far off, and
    never with a control character (an ESC from the file must not reach the terminal)."""
    if not 0 < line <= len(lines):
        return None
    source = printable(lines[line - 1])
    if len(source) <= MAX_EXCERPT:
        return source
    if column is not None and column > MAX_EXCERPT - 20:
        return None
    return source[:MAX_EXCERPT] + " …"


def clip(text: str, limit: int = 60) -> str:
    """A field path or value shown in a message, cut short (a 10,000-digit number is not worth echoing), and
    printable."""
    text = printable(text)
    return text if len(text) <= limit else f"{text[: limit - 20]}…"


def printable(text: str) -> str:
    """Control characters (but tab) as "?", one for one, so a caret under the text still lines up."""
    return _CONTROL.sub("?", text)


def dotted_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: str | Path, error: type[InputError], limit: int | None = MAX_BYTES, kind: str = "YAML") -> str:
    """Read a UTF-8 text file (of at most ``limit`` bytes), turning every OS and encoding failure into ``error``.

    At most ``limit + 1`` bytes are read, whatever the size the file claims: ``/dev/zero``, ``/dev/stdin`` and a
    FIFO have no size to check first, and are read like a file (one named on the command line is read as
    ``cat`` would; folders are expanded to regular files only, see ``placer.cli.check``).
    A UTF-8 byte-order mark is accepted (editors on Windows write one); UTF-16/32 and binary files are refused.
    """
    name = str(path)
    try:
        if stat.S_ISDIR(os.stat(path).st_mode):
            raise error("is a directory, not a file", location=SourceLocation(name))
        with open(path, "rb") as handle:
            raw = handle.read() if limit is None else handle.read(limit + 1)
            if limit is not None and len(raw) > limit:
                info = os.fstat(handle.fileno())
                if stat.S_ISREG(info.st_mode):
                    raise error(
                        f"file is {info.st_size:,} bytes; the limit is {limit:,}", location=SourceLocation(name)
                    )
                raise error(f"file is over the limit of {limit:,} bytes", location=SourceLocation(name))
    except FileNotFoundError:
        raise error("no such file", location=SourceLocation(name)) from None
    except PermissionError:
        raise error("permission denied", location=SourceLocation(name)) from None
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", location=SourceLocation(name)) from None
    return decode(raw, name, error, kind)


def decode(raw: bytes, name: str, error: type[InputError], kind: str = "YAML") -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise error(
                f"{encoding} text (it starts with a {encoding} byte-order mark), expected UTF-8",
                location=SourceLocation(name),
                hint="save the file as UTF-8",
            )
    if b"\x00" in raw:
        raise error(f"binary file (contains NUL bytes), expected {kind} text", location=SourceLocation(name))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x})", location=SourceLocation(name, line)
        ) from None


def parse_yaml(text: str, filename: str, error: type[InputError]) -> YamlDocument:
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise error("file is empty", location=SourceLocation(filename))
    lines = text.splitlines()
    try:
        node = compose_small(text)
        if node is NOT_SMALL:
            loader = Loader(text)
            try:
                node = compose(loader, lambda message, mark: _at_mark(error, message, filename, lines, mark))
            finally:
                loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
            problem += f" ({exc.context.strip()} on line {exc.context_mark.line + 1})"
        raise _at_mark(error, f"not valid YAML: {problem}", filename, lines, mark) from None
    except yaml.reader.ReaderError as exc:  # a character YAML forbids (control characters, U+FFFE, …)
        before = text[: exc.position]
        at = yaml.Mark("", exc.position, before.count("\n"), exc.position - (before.rfind("\n") + 1), None, 0)
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise _at_mark(error, f"not valid YAML: character U+{code:04X} is not allowed", filename, lines, at) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above carries a mark or a position
        raise error(f"not valid YAML: {exc}", location=SourceLocation(filename)) from None
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
        raise error("file is empty", location=SourceLocation(filename))
    doc = YamlDocument(filename, text, None)
    builder = _Builder(doc, error)
    doc.data = builder.build(node, ())
    return doc


def _at_mark(error: type[InputError], message: str, filename: str, lines: list[str], mark: Any) -> InputError:
    if mark is None:
        return error(message, location=SourceLocation(filename))
    line, column = mark.line + 1, mark.column + 1
    return error(message, location=SourceLocation(filename, line, column, None, excerpt(lines, line, column)))


_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_LEADING_ZERO_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")


def _yaml11_trap(text: str) -> str | None:
    """YAML 1.1 number forms a person does not mean: ``1:30`` is base 60 (90), ``010`` is octal (8)."""
    if _SEXAGESIMAL.match(text):
        return "YAML 1.1 reads this as a base-60 number; write the plain number (or quote it if it is text)"
    if _LEADING_ZERO_OCTAL.match(text):
        return "YAML 1.1 reads a leading zero as octal; write the number without it"
    return None


class _Builder:
    def __init__(self, doc: YamlDocument, error: type[InputError]) -> None:
        self.doc = doc
        self.error = error
        self.count = 0
        self.active: set[int] = set()  # collections on the current path, to catch recursive aliases
        self.constructor = yaml.constructor.SafeConstructor()  # no reader or parser: they would make a cycle

    def _mark(self, node: yaml.Node) -> Mark:
        start, end = node.start_mark, node.end_mark
        length = end.index - start.index if end.line == start.line else 1
        return Mark(start.line + 1, start.column + 1, max(1, length))

    def _fail(self, message: str, node: yaml.Node, path: Path_, hint: str | None = None) -> InputError:
        return self.error(message, location=self.doc._at(self._mark(node), dotted_path(path)), hint=hint)

    def _check_tag(self, node: yaml.Node, path: Path_) -> None:
        if node.tag not in _PLAIN_TAGS:
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._fail(
                f"unsupported YAML tag {clip(shown)!r}",
                node,
                path,
                hint="placer reads plain YAML values: remove the tag",
            )

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(f"document expands to more than {MAX_NODES:,} values (alias bomb?)", node, path)
        self.doc.values.setdefault(path, self._mark(node))
        self._check_tag(node, path)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.active:
            raise self._fail("recursive YAML alias (a value contains itself)", node, path)
        if len(path) >= MAX_DEPTH:
            raise self._fail(f"nested more than {MAX_DEPTH} levels deep", node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        if node.tag == _STR:  # what SafeConstructor.construct_yaml_str returns, without its bookkeeping
            return node.value
        if node.tag in _NUMBER_TAGS and not node.style:  # plain, not quoted (libyaml says "", PyYAML None)
            trap = _yaml11_trap(node.value)
            if trap:
                raise self._fail(f"bad value {clip(node.value, 30)!r}: {trap}", node, path)
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, LookupError, TypeError, AttributeError, OverflowError) as exc:
            # 2026-02-30 (a date YAML cannot build), !!int seven, !!bool maybe, an integer of 4,300+ digits
            name = node.tag.rsplit(":", 1)[-1]
            if "integer string conversion" in str(exc):
                problem = "number too large"
            elif name == "timestamp" and isinstance(exc, ValueError):
                problem = f"not a real date ({exc})"
            else:
                problem = f"not a valid {name}"
            raise self._fail(f"bad value {clip(node.value, 30)!r}: {problem}", node, path) from None

    def _mapping(self, node: yaml.Node, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._fail("YAML merge keys (<<) are not supported", key_node, path)
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail("a key must be plain text, not a list or mapping", key_node, path)
            self._check_tag(key_node, path)
            key = key_node.value  # as written: `on:` is the key 'on', not True, and `~:` is '~', not None
            child = (*path, key)
            if key in out:
                raise self._fail(f"duplicate key {clip(key)!r}", key_node, child)
            self.doc.keys[child] = self._mark(key_node)
            out[key] = self.build(value_node, child)
        return out
