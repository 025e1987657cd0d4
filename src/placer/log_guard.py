"""Credentials kept out of the network libraries' logs: a filter on their loggers masks each record's message
with placer.redact. Apart from placer.redact so that reading a catalog, which redacts its price sources, does not
import logging (a few ms of every start)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from placer.redact import redact


class RedactingFilter(logging.Filter):
    """Masks credentials in a log record's message (botocore logs request headers at DEBUG, for instance)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_GUARDED_PREFIXES = ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore")


def guard_logs(prefixes: Iterable[str] = _GUARDED_PREFIXES) -> None:
    """Attach a RedactingFilter to every logger of the network libraries placer uses (those existing now:
    call after the library is imported and its client built). A logger's own filters see every record it
    creates, whatever handler the application configured; placer configures none itself."""
    wanted = tuple(prefixes)
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".", 1)[0] in wanted]
    for name in [*wanted, *names]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
