"""Atomic file writes: a crash or kill mid-write leaves the old file whole, never a half-written one.

Every file placer writes (price caches, snapshots, pulled snapshots, reports, the job summary, the entry-point
cache) goes through :func:`write_atomic`. The data goes to ``.NAME.XXXXXXXX.tmp`` beside the target and is renamed
over it. An exception removes the temporary file; a SIGKILL cannot, and leaves that one ``.tmp`` file behind:
stale temporary files are ignored (nothing in placer reads them) and never replace the target.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from placer.errors import OutputError


def _umask() -> int:
    """The process umask, read without changing it (Linux); elsewhere set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """An existing file keeps its mode; a new one gets what open() would give it (0666 less the umask), not
    mkstemp's private 0600, so a teammate or a later job step can read a report placer wrote."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def write_atomic(path: str | Path, data: str | bytes, *, encoding: str = "utf-8", make_parents: bool = True) -> None:
    """Write to a temporary file in the same directory, fsync it, then rename it over ``path`` (over the file a
    symlink points to, as open() would, so the link stays a link), and fsync the folder so the rename lasts.

    ``-`` is standard output, and a target that exists but is not a regular file (``/dev/null``, ``/dev/stdout``,
    a FIFO, a terminal) is written in place, as a shell redirection would: renaming over it would replace the
    device with a file (run as root, ``-o /dev/null`` would destroy /dev/null). Missing folders are made, unless
    ``make_parents`` is false (a file someone else is meant to have set up, such as a CI job summary).
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    if str(path) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    if _is_special(path):
        _write_in_place(path, raw)
        return
    target = Path(path)
    if target.is_symlink():
        with contextlib.suppress(OSError, RuntimeError):  # a symlink loop: replace the link itself
            target = target.resolve()
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "is a directory")
        if make_parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        elif not target.parent.is_dir():
            raise OutputError(f"cannot write {target}: no such folder {target.parent}")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"cannot write {target}: part of its folder path is a file") from None
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(target))
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
    _fsync_folder(target.parent)


def _is_special(path: str | Path) -> bool:
    """An existing target that is neither a regular file nor a folder: a device, FIFO, socket or terminal."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: /dev/stdout is a link to the process's fd 1
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _write_in_place(path: str | Path, raw: bytes) -> None:
    try:
        with open(path, "wb") as handle:
            handle.write(raw)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _fsync_folder(folder: Path) -> None:
    """The rename is durable only once the folder's entry is on disk (POSIX); a system that cannot fsync a
    folder (Windows, some network file systems) has done what it can."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
