"""A threaded ``http.server`` on 127.0.0.1 with an OS-assigned port, answering each request through a handler
function, with fault injection per reply."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    raw_query: str = ""  # as sent, before percent-decoding

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What to answer, and how to misbehave while doing it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering: past the client timeout, a timeout
    reset: bool = False  # close the socket with RST instead of answering (after truncate_at bytes, if set)
    truncate_at: int | None = None  # announce the full Content-Length, send only this many bytes, then close
    stall_after: int | None = None  # send the headers and this many body bytes, then stall for stall_s
    stall_s: float = 0.0
    trickle_s: float = 0.0  # send the body a few bytes at a time, pausing this long between writes

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            **kw,
        )


Handler = Callable[[Seen], Reply]


class _QuietServer(ThreadingHTTPServer):
    """Records instead of printing the errors of a request the client gave up on: a handler thread still
    stalling or trickling after its test ended must not write into the next test's captured stderr."""

    errors: list[BaseException]

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            self.errors.append(error)


class FakeServer:
    """``with FakeServer(handler) as server: server.url`` -- every request is recorded in ``server.requests``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []  # raised while serving (clients that gave up), never printed
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.errors = self.errors
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms a reply.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    raw_query=parts.query,
                )
                server._record(seen)
                reply = server.handler(seen)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.reset and reply.truncate_at is None:
                    self._reset()
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self._send_body(reply)
                except OSError:  # the client gave up (a timeout test): nothing to answer
                    self.close_connection = True
                    return
                if reply.reset:
                    self._reset()
                elif reply.truncate_at is not None:
                    self.close_connection = True

            def _send_body(self, reply: Reply) -> None:
                body = reply.body if reply.truncate_at is None else reply.body[: reply.truncate_at]
                if reply.stall_after is not None:
                    self.wfile.write(body[: reply.stall_after])
                    self.wfile.flush()
                    time.sleep(reply.stall_s)
                    body = body[reply.stall_after :]
                step = 8 if reply.trickle_s else len(body) or 1
                for start in range(0, len(body), step):
                    self.wfile.write(body[start : start + step])
                    self.wfile.flush()
                    if reply.trickle_s:
                        time.sleep(reply.trickle_s)

            def _reset(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve

            def finish(self) -> None:
                with contextlib.suppress(OSError, ValueError):
                    super().finish()

        return _Handler


def scripted(*replies: Reply | None) -> Callable[[int, int], Reply | None]:
    """A fault function answering the 1st, 2nd... request it is asked about with ``replies`` in order (None:
    answer normally), then normally."""
    queue = list(replies)
    lock = threading.Lock()

    def fault(key: int, nth: int) -> Reply | None:
        with lock:
            return queue.pop(0) if queue else None

    return fault


class Schedule:
    """Faults by key (a page or request number) and by how many times that key was asked for (1-based):
    ``fault(key, nth) -> Reply | None``; None answers normally."""

    def __init__(self, fault: Callable[[int, int], Reply | None] | None = None) -> None:
        self.fault = fault
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    def next(self, key: int) -> Reply | None:
        with self._lock:
            nth = self._counts[key] = self._counts.get(key, 0) + 1
        return self.fault(key, nth) if self.fault is not None else None
