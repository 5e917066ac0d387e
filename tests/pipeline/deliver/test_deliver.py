"""Deliver stage against real loopback servers (HTTP and SMTP), and the backoff schedule."""

from __future__ import annotations

import base64
import logging
import random
from collections.abc import Iterator

import pytest

from router.pipeline.deliver import Attempt, privacy_url, scrub, secrets_of, send
from router.pipeline.deliver.backoff import retry_delay
from tests.support.httpsink import HttpSink, unused_port
from tests.support.smtp import SmtpSink

CANARY = "CANARY-S3CRET"


def _send(url: str, title: str = "Cam-01 offline", body: str = "line 1\nline 2",
          timeout: float = 2.0) -> Attempt:
    return send(url, title, body, connect_timeout=timeout, read_timeout=timeout)


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with HttpSink() as s:
        yield s


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything at DEBUG, the level an operator might set when troubleshooting."""
    caplog.set_level(logging.DEBUG)
    for name in ("router", "router.sink", "router.pipeline"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# --- HTTP --------------------------------------------------------------------------


def test_json_target_receives_title_and_body(sink: HttpSink) -> None:
    attempt = _send(f"json://127.0.0.1:{sink.port}/hook")
    assert attempt.ok and attempt.outcome == "success" and not attempt.transient
    assert attempt.error is None
    assert attempt.target.startswith(f"json://127.0.0.1:{sink.port}/hook")
    assert attempt.elapsed > 0
    [request] = sink.requests
    assert request.method == "POST" and request.path == "/hook"
    payload = request.json()
    assert payload["title"] == "Cam-01 offline"
    assert payload["message"] == "line 1\nline 2"
    assert payload["type"] == "info"


def test_503_is_a_transient_failure_and_apprise_does_not_retry(sink: HttpSink) -> None:
    sink.script([503, 200])
    first = _send(f"json://127.0.0.1:{sink.port}/hook?retry=3")
    assert (first.ok, first.outcome, first.transient) == (False, "failure", True)
    assert first.error is not None and "503" in first.error
    assert len(sink.requests) == 1  # the router, not Apprise, owns retries
    second = _send(f"json://127.0.0.1:{sink.port}/hook")
    assert second.ok and len(sink.requests) == 2


def test_optional_flag_cannot_hide_a_failure(sink: HttpSink) -> None:
    sink.script([500])
    attempt = _send(f"json://127.0.0.1:{sink.port}/hook?optional=yes")
    assert attempt.outcome == "failure"


def test_connection_refused_is_a_transient_failure() -> None:
    attempt = _send(f"json://127.0.0.1:{unused_port()}/hook")
    assert (attempt.ok, attempt.outcome, attempt.transient) == (False, "failure", True)
    assert attempt.error is not None and "Connection error" in attempt.error


@pytest.mark.timeout(10)
def test_slow_target_times_out() -> None:
    with HttpSink(delay=2.0) as slow:
        attempt = send(f"json://127.0.0.1:{slow.port}/hook", "t", "b",
                       connect_timeout=0.5, read_timeout=0.5)
        assert len(slow.requests) == 1
    assert (attempt.ok, attempt.outcome, attempt.transient) == (False, "timeout", True)
    assert attempt.error is not None and "did not finish" in attempt.error
    # How long it took is for tests/bench; here the outcome says the timeout ended it.


def test_invalid_url_is_a_permanent_invalid_target() -> None:
    attempt = _send("foo://bar")
    assert (attempt.ok, attempt.outcome, attempt.transient) == (False, "invalid_target", False)
    assert attempt.target == "<invalid apprise url: scheme 'foo'>"
    assert attempt.error is not None and "unsupported scheme 'foo'" in attempt.error
    assert privacy_url("foo://bar") == "<invalid apprise url: scheme 'foo'>"
    assert privacy_url("not a url") == "<invalid apprise url>"
    assert _send("not a url").outcome == "invalid_target"


@pytest.mark.parametrize("url", ["json://[unclosed/x", "json://", "", "://nothing"])
def test_malformed_urls_are_invalid_targets_not_crashes(url: str) -> None:
    attempt = _send(url)
    assert attempt.outcome == "invalid_target" and attempt.error
    assert privacy_url(url).startswith("<invalid apprise url")


def test_known_scheme_with_bad_arguments_is_an_invalid_target() -> None:
    attempt = _send("slack://only-one-token")
    assert attempt.outcome == "invalid_target" and not attempt.transient
    assert attempt.error is not None and attempt.error.startswith("invalid slack:// URL: ")


# --- secrets -------------------------------------------------------------------------


def _assert_no_canary(attempts: list[Attempt], caplog: pytest.LogCaptureFixture) -> None:
    for attempt in attempts:
        assert CANARY not in attempt.target
        assert CANARY not in (attempt.error or "")
    for record in caplog.records:
        assert CANARY not in record.getMessage(), record.name
        assert CANARY not in str(record.__dict__), record.name
    assert CANARY not in caplog.text


def test_canary_secret_never_leaks(sink: HttpSink, all_logs: pytest.LogCaptureFixture) -> None:
    sink.script([503, 200, 200])
    refusing = unused_port()
    urls = [
        f"json://user:{CANARY}@127.0.0.1:{sink.port}/path",
        f"json://127.0.0.1:{sink.port}/path?-token={CANARY}&+X-Key={CANARY}",
        f"json://127.0.0.1:{sink.port}/{CANARY}",
        f"mailto://user:{CANARY}@127.0.0.1?smtp=127.0.0.1&port={refusing}"
        f"&from=router@example.com&to=oncall@example.com&mode=insecure",
        f"json://user:{CANARY}@127.0.0.1:{refusing}/path",
        f"foo://user:{CANARY}@host/{CANARY}",
        f"slack://{CANARY}/x",
        f"mailto://user:{CANARY}@",
    ]
    attempts = [_send(url, timeout=1.0) for url in urls]
    assert [a.outcome for a in attempts] == [
        "failure", "success", "success", "failure", "failure",
        "invalid_target", "invalid_target", "invalid_target"]
    assert attempts[0].error is not None and "503" in attempts[0].error
    assert "Connection error" in (attempts[3].error or "")
    # The secrets did reach the target: they were used, only never shown.
    auth = sink.requests[0].header("Authorization") or ""
    assert base64.b64decode(auth.split()[1]).decode() == f"user:{CANARY}"
    assert sink.requests[1].query["token"] == [CANARY]
    assert sink.requests[1].header("X-Key") == CANARY
    _assert_no_canary(attempts, all_logs)
    for url in urls:
        assert CANARY not in privacy_url(url)
    assert logging.getLogger("apprise").getEffectiveLevel() >= logging.INFO
    assert not [r for r in all_logs.records
                if r.name.startswith(("apprise", "urllib3")) and r.levelno < logging.INFO]


def test_secrets_of_and_scrub() -> None:
    secrets = secrets_of("slack://T1ABCDEF/B2GHIJKL/secretpart/#chan?footer=no&token=abcd&to=x@y.z")
    text = "failed for T1ABCDEF with B2GHIJKL and secretpart, token abcd, footer no"
    assert scrub(text, secrets) == (
        "failed for **** with **** and ****, token ****, footer no")
    # Host names and IP addresses stay readable; plain options too.
    mail = secrets_of("mailto://me:pw@mail.example.com?smtp=127.0.0.1&mode=insecure")
    assert "mail.example.com" not in mail and "127.0.0.1" not in mail
    # A short password is masked as a whole word only.
    assert scrub("pw rejected; pwned", mail) == "**** rejected; pwned"


# --- e-mail ------------------------------------------------------------------------------


def test_email_reaches_a_real_smtp_server() -> None:
    with SmtpSink() as smtp:
        url = (f"mailto://127.0.0.1?smtp=127.0.0.1&port={smtp.port}"
               "&from=router@example.com&to=oncall@example.com&mode=insecure")
        assert url == smtp.apprise_url()
        attempt = _send(url, title="[LIC-ABC123] Cam-01 offline", body="line 1\nline 2")
        assert attempt.ok, attempt.error
        [message] = smtp.wait_for(1)
    assert message.mail_from == "router@example.com"
    assert message.rcpt_tos == ["oncall@example.com"]
    assert message.subject == "[LIC-ABC123] Cam-01 offline"
    assert message.text.splitlines() == ["line 1", "line 2"]
    # Apprise's 5.5 s e-mail pacing is off.
    assert attempt.elapsed > 0


def test_email_with_login(all_logs: pytest.LogCaptureFixture) -> None:
    with SmtpSink(auth=("router", CANARY)) as smtp:
        good = _send(smtp.apprise_url())
        bad = _send(smtp.apprise_url().replace(CANARY, "wrong-password"))
        [message] = smtp.wait_for(1)
    assert good.ok and message.login == "router"
    assert bad.outcome == "failure" and bad.transient
    assert "****" in good.target
    _assert_no_canary([good, bad], all_logs)


# --- backoff -------------------------------------------------------------------------------


def test_backoff_stays_within_the_full_jitter_window() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        window = min(60.0, 2.0 * 2 ** (attempt - 1))
        for _ in range(200):
            delay = retry_delay(attempt, base=2.0, cap=60.0, rng=rng)
            assert 0.2 <= delay <= window


def test_backoff_caps_even_huge_attempt_numbers() -> None:
    rng = random.Random(1)
    assert all(retry_delay(n, base=1.0, cap=30.0, rng=rng) <= 30.0 for n in (40, 1075, 10**6))


def test_backoff_respects_retry_after() -> None:
    rng = random.Random(3)
    assert retry_delay(1, base=1.0, cap=10.0, retry_after=45.0, rng=rng) == 45.0
    assert all(retry_delay(1, base=1.0, cap=10.0, retry_after=0.5, rng=rng) >= 0.5
               for _ in range(100))


def test_backoff_never_returns_zero() -> None:
    class Zero(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return a

    assert retry_delay(1, base=5.0, cap=60.0, rng=Zero()) == 0.5
    assert retry_delay(1, base=5.0, cap=0.1, rng=Zero()) == 0.1  # the floor never exceeds cap


def test_backoff_is_deterministic_with_a_seeded_rng() -> None:
    first = [retry_delay(n, base=1.0, cap=300.0, rng=random.Random(42)) for n in range(1, 10)]
    again = [retry_delay(n, base=1.0, cap=300.0, rng=random.Random(42)) for n in range(1, 10)]
    assert first == again
    assert len(set(first)) == len(first)


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="attempt counts from 1"):
        retry_delay(0, base=1.0, cap=10.0)
    with pytest.raises(ValueError, match="positive"):
        retry_delay(1, base=0.0, cap=10.0)
