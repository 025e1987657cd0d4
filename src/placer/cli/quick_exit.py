"""The end of a ``placer`` process that holds a fleet's report: its output is written, so the process ends
without freeing the report, the catalog and the market object by object.

Freeing them is the interpreter's last work, and all of it is waste in a process about to end: 0.19 s of a
10,000-profile replan on one CPU (0.22 s from the last output to the end, 0.03 s when skipped; measured by
timestamps). mypy ends the same way, for the same reason. atexit handlers still run (they may flush a log or
remove a temporary directory), and the exit code is the one SystemExit carries.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

_WANTED = False


def skip_freeing() -> None:
    """Asked by a command whose output is complete (placer replan): its process may end as soon as it returns."""
    global _WANTED  # noqa: PLW0603 - one switch for the process
    _WANTED = True


def leave(code: object) -> None:
    """End the process now with ``code`` (a SystemExit's) when skip_freeing() was asked; else return, and so do
    when the code is not a number, another thread still runs, or the output cannot be flushed: the usual exit
    then reports it in the usual way."""
    if not _WANTED or not (code is None or isinstance(code, int)):
        return
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return  # the usual exit waits for such a thread; so must this one
    if not _flushed():  # a closed or broken stream: the usual exit handles it
        return
    atexit._run_exitfuncs()
    _flushed()  # whatever a handler printed
    os._exit(0 if code is None else code & 0xFF)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None when the process started with that descriptor closed
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
