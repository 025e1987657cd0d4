"""Keeping credentials out of everything placer shows: error messages, warnings, tracebacks and logs.

Secrets reach text in three ways, and each is scrubbed: a known value (the credentials placer reads from the
environment, or one a caller passes in) is replaced wherever it appears; a URL's user info and its
credential-like query parameters (``api_key=``, ``token=``, ``sig=``...) are masked; an ``Authorization``-like
header (``Authorization: Bearer …``, ``'X-Amz-Security-Token': b'…'``) and bare ``Bearer`` tokens and AWS access
key ids are masked. Text from a server is also made one printable line, so it cannot forge output lines or
terminal escapes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

MASK = "***"

# The credentials placer itself reads (boto3's standard variables; the Lambda provider's API key).
SECRET_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "LAMBDA_API_KEY")
# Any other variable named like a credential (a plugin's API key) is treated as one too.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MIN_SECRET_CHARS = 4  # shorter values are too common as substrings to mask without mangling the message
_MIN_GUESSED_CHARS = 8  # for variables only *named* like a credential

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#'\"<>]+@")
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;][\w.%-]*?(?:key|token|secret|passw(?:or)?d|pwd|signature|sig|credential|auth|session)[\w.%-]*=)"
    # the value stops before punctuation that ends the sentence around the URL ("…?token=abc: no such file")
    r"[^&#\s'\"<>]*?(?=[:,;.)\]]*(?:[&#\s'\"<>]|$))",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|x-amz-security-token|x-api-key|api-key|set-cookie|cookie)"
    r"(?P<sep>['\"]?\s*[:=]\s*(?-i:b)?['\"]?)[^'\"\r\n,;}]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(?P<name>bearer)\s+[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The credential values in the environment: SECRET_ENV, and long values (not paths) of variables named
    like one."""
    env = os.environ if environ is None else environ
    found = {env.get(name, "").strip() for name in SECRET_ENV}
    found.update(
        v.strip()
        for k, v in env.items()
        if _SECRET_NAME.search(k) and len(v.strip()) >= _MIN_GUESSED_CHARS and not v.startswith(("/", "~"))
    )  # a path (AWS_SHARED_CREDENTIALS_FILE...) names where a secret is, and masking it would blur messages
    return sorted((v for v in found if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = (), *, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with credentials masked: the ``secrets`` given, those in the environment, URL user info and
    credential query parameters, authorization headers, bearer tokens and AWS access key ids."""
    values = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
    values.update(secret_values(environ))
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return redact_text(text)


def redact_text(text: str) -> str:
    """``text`` with the credentials its own shape gives away masked (URL user info, credential query parameters,
    authorization headers, bearer tokens, AWS key ids), whatever the environment: for data, not messages."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['name']}{MASK}", text)
    text = _HEADER.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m['name']} {MASK}", text)
    return _AWS_KEY_ID.sub(MASK, text)


def one_line(text: str, limit: int | None = None) -> str:
    """Server-supplied text as one printable line (control characters and newlines become spaces), cut to
    ``limit`` characters."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: max(0, limit - 1)].rstrip() + "…"
    return flat


def __getattr__(name: str) -> object:
    """``RedactingFilter`` and ``guard_logs`` lived here before placer.log_guard: still found under this name, but
    imported only when asked for, so that redacting does not import logging."""
    if name in ("RedactingFilter", "guard_logs"):
        from placer import log_guard  # noqa: PLC0415 - see the docstring

        return getattr(log_guard, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
