"""Pydantic's validation errors as one plain message at a file position, in the user's words ("must be a number,
got 'abc'", "unknown key 'tokns' — did you mean 'tokens'?"), for every input placer reads."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from placer.errors import InputError
from placer.yamldoc import YamlDocument, clip


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
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return "a date"
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
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the `kind:` that picks the model
        ctx = first.get("ctx") or {}
        tag_key = str(ctx.get("discriminator", "'kind'")).strip("'")
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        if kind == "union_tag_not_found":
            return error(f"missing required key {tag_key!r}{more}", location=doc.locate(loc))
        return error(
            f"unknown {tag_key} {clip(str(ctx.get('tag')))!r}; expected one of {expected}{more}",
            location=doc.locate([*loc, tag_key]),
        )
    msg = str(first["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg.replace("Input should be", "must be").replace("input should be", "must be")
    msg = re.sub(r" or instance of \w+", "", msg).replace("valid dictionary", "mapping of keys")
    msg = re.sub(r" for <class '[\w.]+'>", "", msg).replace(" or object to extract fields from", "")
    if kind not in ("value_error", "assertion_error") and "input" in first:
        value = first["input"]
        numeric_text = isinstance(value, str) and value != "" and value[0] in "-+.0123456789"
        if not isinstance(value, dict | list) and "got " not in msg:
            shown = "nothing (null)" if value is None else (value if numeric_text else repr(value))
            if isinstance(value, date):  # YAML reads 2026-01-01 as a date: show it as written
                shown = str(value)
            shown = clip(str(shown))
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
