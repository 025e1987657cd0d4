"""Credentials never appear in output, logs, errors, tracebacks, caches or plans.

Sentinel values stand in for the credentials placer reads (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN for boto3; LAMBDA_API_KEY for Lambda; Azure's Retail Prices API needs none) and for credentials a
user may put in an endpoint URL (``https://user:pass@host``, ``?api_key=``, ``?token=``). Every fault of the
matrix runs again with ``--traceback`` and DEBUG logging; tracebacks are checked for locals with a local variable
holding a sentinel that nothing would mask.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.test_faults import MATRIX, S3_INVALID, run_case
from typer.testing import CliRunner

from placer.catalog import s3 as s3_module
from placer.catalog.models import Offer
from placer.cli.app import app
from placer.errors import PriceSourceUnavailable
from placer.log_guard import RedactingFilter
from placer.providers.refresh import RefreshContext, refresh_providers
from placer.providers.registry import Provider, Registry
from placer.redact import MASK, one_line, redact
from servers.base import Reply
from servers.context import Recorder, make_ctx
from servers.harness import (
    AWS_SECRET,
    AWS_SESSION_TOKEN,
    LAMBDA_KEY,
    Outcome,
    assert_leaks_nothing,
    credentials_env,
    make_source,
    run_cli,
    serving,
)

# Never in the environment and shaped like nothing redact() knows: only *not printing* keeps these out.
LOCAL_SECRET = "held-only-in-a-local-" + "Vb7Nm2Qx9"
URL_PASSWORD = "url-password-" + "Kj4Hg8Fd1"
URL_TOKEN = "url-token-" + "Rt5Yu7Io3"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    credentials_env(monkeypatch, tmp_path)


@pytest.mark.parametrize(("source_name", "name"), MATRIX)
def test_no_fault_leaks_a_credential_even_with_traceback_and_debug_logs(
    source_name: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _source, _server, outcome, _before = run_case(monkeypatch, tmp_path, source_name, name, True, "--traceback")
    assert_leaks_nothing(outcome, tmp_path, caplog)
    if source_name == "s3":  # a failed pull is an error: --traceback shows where it was raised
        assert outcome.exit_code == (3 if name in S3_INVALID else 6)
        assert "Traceback (most recent call last)" in outcome.stderr
    else:  # a failed refresh is a warning the runner handled: nothing to trace
        assert outcome.exit_code == 0 and len(outcome.lines) == 1
    if source_name in ("aws", "s3"):  # boto3 logged its signed requests, masked
        assert "'Authorization': b'***" in caplog.text


def _explode_in(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def pull(url: str, dest: Path, **_: object) -> None:
        api_key = LOCAL_SECRET  # a local a traceback with locals would print
        assert api_key
        raise error

    monkeypatch.setattr(s3_module, "pull", pull)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RuntimeError("a bug, not the user's fault"), id="internal-error"),
        pytest.param(PriceSourceUnavailable("pull s3://b/k failed: SlowDown (HTTP 503)"), id="typed-error"),
    ],
)
def test_traceback_shows_frames_but_never_locals(
    error: Exception, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _explode_in(monkeypatch, error)
    result = CliRunner().invoke(app, ["catalog", "pull", "s3://b/k", "-o", str(tmp_path / "x.json"), "--traceback"])
    assert result.exit_code == (1 if isinstance(error, RuntimeError) else 6)
    assert "Traceback (most recent call last)" in result.stderr
    assert ", in pull" in result.stderr  # the real frame is there...
    assert LOCAL_SECRET not in result.stderr + result.stdout  # ...its locals are not
    assert "api_key =" not in result.stderr


def test_an_exception_escaping_every_handler_shows_no_locals(tmp_path: Path) -> None:
    """typer's pretty exceptions are off: an exception outside the handler gets Python's plain traceback."""
    script = (
        "from placer.cli.app import app\n"
        "@app.command('explode')\n"
        "def explode() -> None:\n"
        "    credential = 'held-only-in-a-local-' + 'Vb7Nm2Qx9'\n"
        "    raise RuntimeError('escaped')\n"
        "app(prog_name='placer')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "explode"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 1
    assert "RuntimeError: escaped" in done.stderr
    assert LOCAL_SECRET not in done.stderr
    assert app.pretty_exceptions_show_locals is False  # were pretty exceptions turned on, still no locals


def test_the_internal_error_message_masks_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _explode_in(
        monkeypatch,
        RuntimeError(
            f"GET https://bob:{URL_PASSWORD}@prices.example/v1?region=x&api_key={URL_TOKEN} sent "
            f"{{'Authorization': 'Bearer {LAMBDA_KEY}'}} and {AWS_SECRET}"
        ),
    )
    result = CliRunner().invoke(app, ["catalog", "pull", "s3://b/k", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "placer: internal error: RuntimeError: GET https://***@prices.example/v1?region=x&api_key=*** sent "
        "{'Authorization': '***'} and ***"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("fault", ["none", "http-503", "endpoint-down"])
def test_credentials_in_an_endpoint_url_reach_no_message_cache_or_plan(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_source("azure", tmp_path)
    with serving(source, (lambda s: lambda page, nth: source.error_reply(503)) if fault == "http-503" else None) as srv:
        port = _free_port() if fault == "endpoint-down" else srv.url.rsplit(":", 1)[1]
        endpoint = f"http://bob:{URL_PASSWORD}@127.0.0.1:{port}/api/retail/prices?api_key={URL_TOKEN}&token={URL_TOKEN}"
        outcome = run_cli(monkeypatch, source, srv, "--endpoint", f"azure={endpoint}")
        plan = CliRunner().invoke(
            app, ["plan", str(ROOT / "profiles/finetune-8b.yaml"), "--format", "json", "--plugins", "azure"]
        )
    if fault == "none":
        assert outcome.exit_code == 0 and outcome.lines == ["azure: 6 offers cached"]
        assert plan.exit_code in (0, 4), plan.stderr
        assert "live azure prices" in plan.stdout
    else:
        assert outcome.exit_code == 6
        assert outcome.lines[0].startswith(f"placer: error: azure: refresh failed: GET http://127.0.0.1:{port}/api/")
    everything = Outcome(plan.exit_code, outcome.stdout + plan.stdout, outcome.stderr + plan.stderr, [], None)
    for secret in (URL_PASSWORD, URL_TOKEN):
        assert secret not in everything.stdout + everything.stderr + caplog.text
        assert not [p for p in tmp_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert_leaks_nothing(everything, tmp_path, caplog)


def test_a_plugin_error_carrying_credentials_is_masked_in_the_report(tmp_path: Path) -> None:
    def leaky(ctx: RefreshContext) -> list[Offer]:
        raise ConnectionError(
            f"GET https://bob:{URL_PASSWORD}@api.example/v1/prices?token={URL_TOKEN} failed\n"
            f"Authorization: Bearer {URL_TOKEN}\nX-Amz-Security-Token: {AWS_SESSION_TOKEN}"
        )

    registry = Registry()
    registry.add(Provider(name="leaky", refresh=leaky))
    report = refresh_providers(registry, None, make_ctx(Recorder()), cache_directory=tmp_path)
    assert report.results[0].message == (
        "leaky: refresh failed: ConnectionError: GET https://***@api.example/v1/prices?token=*** failed "
        "Authorization: *** X-Amz-Security-Token: ***; no cached prices to fall back on"
    )


def test_a_server_echoing_the_lambda_key_in_an_error_is_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = make_source("lambda", tmp_path)
    echo = Reply.json({"error": {"message": f"bad key {LAMBDA_KEY}"}}, status=403, headers={"X-Echo": LAMBDA_KEY})
    with serving(source, lambda s: lambda n, nth: echo) as server:
        outcome = run_cli(monkeypatch, source, server, "--traceback")
    assert outcome.exit_code == 6
    assert outcome.lines == [
        f"placer: error: lambda: refresh failed: GET {server.url}/api/v1/instance-types failed: HTTP 403 Forbidden "
        "(check LAMBDA_API_KEY); no cached prices to fall back on"
    ]
    assert server.requests[0].headers["authorization"] == f"Bearer {LAMBDA_KEY}"  # it was sent, never shown
    assert_leaks_nothing(outcome, tmp_path, caplog)


# --- redact() itself, on hand-written inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pa55@host.example:8443/p?q=1", "https://***@host.example:8443/p?q=1"),
        ("see http://token123@github.example/x", "see http://***@github.example/x"),
        ("/prices?api_key=abc123&region=eu&token=xyz", "/prices?api_key=***&region=eu&token=***"),
        ("?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA%2F", "?X-Amz-Signature=***&X-Amz-Credential=***"),
        ("Authorization: Bearer abc.def.ghi", "Authorization: ***"),
        (
            "{'authorization': b'AWS4-HMAC-SHA256 Credential=X/2026', 'Host': 'h'}",
            "{'authorization': b'***', 'Host': 'h'}",
        ),
        ("sent Bearer eyJhbGciOi.J9", "sent Bearer ***"),
        ("key id AKIAABCDEFGHIJKLMNOP in use", "key id *** in use"),
        ("x-amz-security-token:FQoGZXIvYXdzE", "x-amz-security-token:***"),
        # Ordinary messages are left alone.
        ("azure: GET http://127.0.0.1:80/api/retail/prices (page 3) failed", None),
        ("profile input_tokens: 1000; did you mean 'output_tokens'?", None),
        ("HTTP 401 Unauthorized (set LAMBDA_API_KEY to a valid Lambda Cloud API key)", None),
    ],
)
def test_redact_masks_credentials_and_nothing_else(text: str, expected: str | None) -> None:
    assert redact(text, environ={}) == (text if expected is None else expected)


def test_redact_masks_the_values_of_credential_variables() -> None:
    env = {
        "AWS_SECRET_ACCESS_KEY": "s3cr3t-value",
        "HF_TOKEN": "hf_abcdefgh12",
        "PATH": "/usr/bin",
        "MY_KEY": "short",
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/me/key.json",
    }
    assert redact("a s3cr3t-value b hf_abcdefgh12 c /usr/bin d short e /home/me/key.json", environ=env) == (
        f"a {MASK} b {MASK} c /usr/bin d short e /home/me/key.json"  # MY_KEY: too short; a path is no secret
    )
    assert redact("the key abc is fine", ["abc"], environ={}) == "the key abc is fine"  # under 4 characters
    assert redact("the key abcd is gone", ["abcd"], environ={}) == f"the key {MASK} is gone"


def test_one_line_flattens_server_text() -> None:
    assert one_line("bad\r\nline\x1b[31m red\ttab") == "bad line [31m red tab"
    assert one_line("x" * 10, 5) == "xxxx…"


def test_the_log_filter_masks_a_record_with_arguments() -> None:
    record = logging.LogRecord(
        "botocore.endpoint", logging.DEBUG, __file__, 1, "headers=%s", ({"Authorization": f"Bearer {URL_TOKEN}"},), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "headers={'Authorization': '***'}"


def test_the_log_guard_is_still_found_under_its_old_module_without_importing_logging_early() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import placer.redact as r\n"
        "before = 'logging' in sys.modules\n"
        "from placer.redact import RedactingFilter, guard_logs\n"
        "from placer import log_guard\n"
        "print(before, RedactingFilter is log_guard.RedactingFilter, guard_logs is log_guard.guard_logs)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True", "True"]
