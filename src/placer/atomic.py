"""Atomic file writes: a crash or kill mid-write leaves the old file whole, never a half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from placer.errors import OutputError


def write_atomic(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write to a temporary file in the same directory, fsync it, then rename it over ``path``."""
    target = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else data
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "is a directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
