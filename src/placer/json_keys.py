"""JSON objects with a key written twice, refused as YAML's are: ``json`` and pydantic keep the last silently."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from placer.errors import InputError, SourceLocation
from placer.yamldoc import clip, parse_yaml


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def check_json_keys(text: str, filename: str, error: type[InputError]) -> None:
    """Refuse a JSON object with a key twice, as YAML is refused: ``json`` and pydantic keep the last silently (a
    second ``"offers": []`` would empty a catalog). Costs one C-speed parse; the position comes from the YAML
    reader (JSON is YAML), only when there is a duplicate. Broken JSON is left to the caller's own messages."""
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as dup:
        try:
            parse_yaml(text, filename, error)
        except InputError as located:
            if "duplicate key" in located.message:
                raise located from None
        raise error(f"duplicate key {clip(dup.key)!r}", location=SourceLocation(filename)) from None
    except (ValueError, RecursionError):
        return


T = TypeVar("T")
FORK_ABOVE = 4 * 2**20  # characters of JSON: below this a fork costs more than the parse it moves aside
_DUPLICATE = 3  # the exit code of a forked check that found a key twice


def check_json_keys_while(text: str, filename: str, error: type[InputError], work: Callable[[], T]) -> T:
    """check_json_keys, and ``work`` (the parse that follows it) at the same time: for a large file, where fork
    is at hand, the check runs in a forked child on another CPU (a 50,000-offer catalog: 0.3 s of the 0.8 s it
    takes to load). Its verdict is awaited before work's result or error is given, so a duplicate key is still
    the error reported, in the same words; a child that cannot say is checked for here."""
    child = _check_aside(text) if len(text) > FORK_ABOVE else None
    if child is None:
        check_json_keys(text, filename, error)
        return work()
    try:
        result = work()
    except Exception:
        if _verdict(child) != 0:
            check_json_keys(text, filename, error)
        raise
    except BaseException:  # Ctrl-C: the child is not waited for (it may have ended, even been reaped, already)
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        raise
    if _verdict(child) != 0:
        check_json_keys(text, filename, error)
    return result


def _check_aside(text: str) -> int | None:
    """A forked child's pid, which exits 0 when no object has a key twice (or the JSON is broken: the caller's
    own parse says how), _DUPLICATE when one has; None without fork or a second CPU."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1  # Linux: this process's own
    if not hasattr(os, "fork") or cpus < 2:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 0
        try:
            json.loads(text, object_pairs_hook=_unique_pairs)
        except _DuplicateKey:
            code = _DUPLICATE
        except BaseException:  # broken JSON (the caller's parse says how), or Ctrl-C: nothing to say
            pass
        os._exit(code)
    return pid


def _verdict(pid: int) -> int:
    """The child's exit code; -1 when it died otherwise (a signal), so the check is done again here."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else (a SIGCHLD handler): no verdict
        return -1
    return os.waitstatus_to_exitcode(status)
