"""A threaded ``http.server`` on 127.0.0.1 with an OS-assigned port, answering each request through a handler
function, with fault injection per reply."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
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
    reset: bool = False  # close the socket with RST instead of answering
    truncate_at: int | None = None  # announce the full Content-Length, send only this many bytes, then close

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            **kw,
        )


Handler = Callable[[Seen], Reply]


class FakeServer:
    """``with FakeServer(handler) as server: server.url`` -- every request is recorded in ``server.requests``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
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
                if reply.reset:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.connection.close()
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body if reply.truncate_at is None else reply.body[: reply.truncate_at])
                    self.wfile.flush()
                except OSError:  # the client gave up (a timeout test): nothing to answer
                    self.close_connection = True
                    return
                if reply.truncate_at is not None:
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve

            def finish(self) -> None:
                with contextlib.suppress(OSError, ValueError):
                    super().finish()

        return _Handler


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
