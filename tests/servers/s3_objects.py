"""A loopback S3 answering path-style ``GetObject`` (``GET /{bucket}/{key}``) from a dict of objects, with S3's
XML errors (``NoSuchBucket``, ``NoSuchKey``, ``SlowDown``...). moto is the real S3 in the tests; this one exists
for what moto cannot do: misbehave on the wire (stalls, resets, cut-short bodies, 5xx, 429)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import unquote

from servers.base import FakeServer, Reply, Schedule, Seen


def s3_error(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> Reply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fake</RequestId></Error>"
    )
    return Reply(
        status=status,
        body=body.encode(),
        headers={"Content-Type": "application/xml", "x-amz-request-id": "fake", **(headers or {})},
    )


def s3_object(body: bytes, **kw: object) -> Reply:
    """A 200 GetObject answer for ``body`` (with its ETag), misbehaving as ``kw`` says (see Reply)."""
    headers = {
        "Content-Type": "application/json",
        "ETag": f'"{hashlib.md5(body).hexdigest()}"',
        "Last-Modified": "Sun, 22 Nov 2026 10:00:00 GMT",
        "x-amz-request-id": "fake",
    }
    return Reply(status=200, body=body, headers=headers, **kw)  # type: ignore[arg-type]


class S3ObjectsFake(FakeServer):
    """Serves ``objects`` (``"bucket/key" -> bytes``); ``fault(request_number, 1)`` may replace any answer."""

    def __init__(self, objects: dict[str, bytes], fault: Callable[[int, int], Reply | None] | None = None) -> None:
        self.objects = objects
        self.schedule = Schedule(fault)
        self.count = 0
        super().__init__(self._answer)

    def _answer(self, seen: Seen) -> Reply:
        self.count += 1
        fault = self.schedule.next(self.count)
        if fault is not None:
            return fault
        if seen.method != "GET":
            return s3_error("MethodNotAllowed", "only GetObject here", 405)
        bucket, _, key = unquote(seen.path).lstrip("/").partition("/")
        if not any(name.startswith(f"{bucket}/") for name in self.objects):
            return s3_error("NoSuchBucket", "The specified bucket does not exist", 404)
        body = self.objects.get(f"{bucket}/{key}")
        if body is None:
            return s3_error("NoSuchKey", "The specified key does not exist.", 404)
        return s3_object(body)
