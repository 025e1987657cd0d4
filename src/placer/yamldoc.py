"""YAML documents that remember where every value came from, so errors can say file:line:col.

Shared by profiles (and later user catalogs and config). Guards against hostile input: size limit,
non-UTF-8 bytes, duplicate keys, and alias bombs ("billion laughs") by bounding expanded nodes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from placer.errors import InputError, SourceLocation

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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
        lines = self.text.splitlines()
        source = lines[mark.line - 1] if 0 < mark.line <= len(lines) else None
        return SourceLocation(self.filename, mark.line, mark.column, dotted or None, source)


def dotted_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: str | Path, error: type[InputError], limit: int | None = MAX_BYTES) -> str:
    """Read a UTF-8 text file (of at most ``limit`` bytes), turning every OS and encoding failure into ``error``."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise error("is a directory, not a file", location=SourceLocation(name))
        size = p.stat().st_size
        if limit is not None and size > limit:
            raise error(f"file is {size:,} bytes; the limit is {limit:,}", location=SourceLocation(name))
        raw = p.read_bytes()
    except FileNotFoundError:
        raise error("no such file", location=SourceLocation(name)) from None
    except PermissionError:
        raise error("permission denied", location=SourceLocation(name)) from None
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", location=SourceLocation(name)) from None
    return decode(raw, name, error)


def decode(raw: bytes, name: str, error: type[InputError]) -> str:
    if b"\x00" in raw:
        raise error("binary file (contains NUL bytes), expected YAML text", location=SourceLocation(name))
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
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        loc = SourceLocation(filename)
        if mark is not None:
            lines = text.splitlines()
            src = lines[mark.line] if mark.line < len(lines) else None
            loc = SourceLocation(filename, mark.line + 1, mark.column + 1, None, src)
        raise error(f"not valid YAML: {problem}", location=loc) from None
    except yaml.YAMLError as exc:
        raise error(f"not valid YAML: {exc}", location=SourceLocation(filename)) from None
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
        raise error("file is empty", location=SourceLocation(filename))
    doc = YamlDocument(filename, text, None)
    builder = _Builder(doc, error)
    doc.data = builder.build(node, ())
    return doc


class _Builder:
    def __init__(self, doc: YamlDocument, error: type[InputError]) -> None:
        self.doc = doc
        self.error = error
        self.count = 0
        self.active: set[int] = set()  # collections on the current path, to catch recursive aliases
        self.constructor = yaml.SafeLoader("")

    def _mark(self, node: yaml.Node) -> Mark:
        start, end = node.start_mark, node.end_mark
        length = end.index - start.index if end.line == start.line else 1
        return Mark(start.line + 1, start.column + 1, max(1, length))

    def _fail(self, message: str, node: yaml.Node, path: Path_) -> InputError:
        return self.error(message, location=self.doc._at(self._mark(node), dotted_path(path)))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(f"document expands to more than {MAX_NODES:,} values (alias bomb?)", node, path)
        self.doc.values.setdefault(path, self._mark(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                return self.constructor.construct_object(node)
            except yaml.YAMLError as exc:
                raise self._fail(f"bad value: {exc}", node, path) from None
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

    def _mapping(self, node: yaml.Node, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._fail("YAML merge keys (<<) are not supported", key_node, path)
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail("a key must be plain text, not a list or mapping", key_node, path)
            key = str(self.constructor.construct_object(key_node))
            child = (*path, key)
            if key in out:
                raise self._fail(f"duplicate key {key!r}", key_node, child)
            self.doc.keys[child] = self._mark(key_node)
            out[key] = self.build(value_node, child)
        return out


def describe(value: Any) -> str:
    """A YAML value's kind in the user's words, not Python's."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return "a value"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def validation_error(
    exc: ValidationError,
    doc: YamlDocument,
    error: type[InputError],
    model: type[BaseModel] | None = None,
    strip_tag: bool = False,
) -> InputError:
    """The first pydantic error, as one plain message pointing at the file position."""
    errors = exc.errors(include_url=False)
    # an unknown key is usually the cause of a "missing" one (a typo), so report it first
    first = min(errors, key=lambda e: 0 if e["type"] == "extra_forbidden" else 1)
    loc: list[str | int] = list(first["loc"])
    if strip_tag and loc and isinstance(loc[0], str):
        loc = loc[1:]
    # pydantic adds validator names ("function-after[...]") to some paths
    loc = [p for p in loc if not (isinstance(p, str) and ("[" in p and p.endswith("]")))]
    kind = first["type"]
    more = f" (and {_plural(len(errors) - 1, 'more problem')})" if len(errors) > 1 else ""
    if kind == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1], doc.data) if model else []
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = (
            f"did you mean {guess[0]!r}?"
            if guess
            else (f"allowed keys here: {', '.join(allowed)}" if allowed else None)
        )
        return error(f"unknown key {name!r}{more}", location=doc.locate(loc, key=True), hint=hint)
    if kind == "missing":
        return error(f"missing required key {str(loc[-1])!r}{more}", location=doc.locate(loc))
    msg = str(first["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg.replace("Input should be", "must be").replace("input should be", "must be")
    msg = re.sub(r" or instance of \w+", "", msg).replace("valid dictionary", "mapping of keys")
    if kind not in ("value_error", "assertion_error") and "input" in first:
        value = first["input"]
        numeric_text = isinstance(value, str) and value != "" and value[0] in "-+.0123456789"
        if not isinstance(value, dict | list) and "got " not in msg:
            shown = "nothing (null)" if value is None else (value if numeric_text else repr(value))
            if isinstance(value, date):  # YAML reads 2026-01-01 as a date: show it as written
                shown = str(value)
            msg = f"{msg[0].lower()}{msg[1:]}, got {shown}"
    return error(msg + more, location=doc.locate(loc))


def _allowed_keys(model: type[BaseModel], path: Sequence[str | int], data: Any) -> list[str]:
    """Keys the model accepts at ``path`` (walking nested models), for "did you mean"."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", {})
    return sorted(fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
