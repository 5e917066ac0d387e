"""A canary secret in every kind of target URL never shows in logs, attempts, notes,
`explain` output or error messages, whether the send succeeds or the vendor refuses it."""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from router.channels.images import ImageFetcher
from router.channels.render import render_for_target
from router.pipeline.deliver import Attempt, privacy_url, send_rendered
from router.pipeline.explain import explain
from router.rules.loader import load_rules
from tests.channels.golden.samples import SINGLE
from tests.support.httpsink import HttpSink, Reply
from tests.support.smtp import SmtpSink
from tests.support.tls import TlsSink
from tests.support.vendor import VendorSink

CANARY = "C4NARYs3cr3tZ9"
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _vendor_urls() -> list[str]:
    return [
        f"slack://T1ABCDEFG/B2HIJKLMN/{CANARY}/#oncall",
        f"slack://xoxb-1234-{CANARY}/#oncall?blocks=yes",
        f"twilio://AC{'a' * 32}:{CANARY}@+15550001111/+15550002222",
        f"vonage://abcd1234:{CANARY}@15550001111/15550002222",
        f"sns://AKIAIOSFODNN7EXAMPLE/{CANARY}/us-east-1/+15550002222",
    ]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def media() -> Iterator[HttpSink]:
    with HttpSink(default=Reply(200, b"\xff\xd8\xff" + b"x" * 100,
                                {"Content-Type": "image/jpeg"})) as sink:
        yield sink


def _send(url: str, fetcher: ImageFetcher | None = None) -> Attempt:
    rendered = render_for_target(url, [SINGLE], receiver="r", route="x")
    return send_rendered(url, rendered, connect_timeout=1, read_timeout=2, images=fetcher)


def _clean(attempts: list[Attempt], caplog: pytest.LogCaptureFixture) -> None:
    for attempt in attempts:
        assert CANARY not in attempt.target
        assert CANARY not in (attempt.error or "")
        assert CANARY not in " ".join(attempt.notes)
    for record in caplog.records:
        assert CANARY not in record.getMessage(), record.name
        assert CANARY not in str(record.__dict__), record.name


@pytest.mark.parametrize("status", [200, 401])
def test_vendor_targets_never_show_the_canary(status: int,
                                              all_logs: pytest.LogCaptureFixture) -> None:
    # A refusing vendor echoes the request (with the secret) in its error body.
    echo = Reply(status, f'{{"ok": false, "error": "bad token {CANARY}"}}'.encode(),
                 {"Content-Type": "application/json"})
    routes = {"/": echo} if status != 200 else {
        "/services/": Reply(200, b"ok"),
        "/api/": Reply(200, b'{"ok": true, "channel": "C1", "ts": "1"}'),
        "/2010-04-01/": Reply(201, b"{}"), "/sms/json": Reply(200, b"{}"), "/": Reply(200)}
    with VendorSink(routes) as vendor, vendor.redirect():
        attempts = [_send(url) for url in _vendor_urls()]
        sent = vendor.requests
    assert [a.ok for a in attempts] == [status == 200] * 5
    assert any(CANARY in (r.path + r.body.decode("latin-1") + json.dumps(r.headers))
               for r in sent)  # the secret was used...
    _clean(attempts, all_logs)  # ...and never shown


def test_email_teams_and_json_targets_never_show_the_canary(
        all_logs: pytest.LogCaptureFixture, media: HttpSink) -> None:
    fetcher = ImageFetcher(["127.0.0.1"], explicit=["127.0.0.1"])
    with SmtpSink(auth=("router", CANARY)) as smtp, TlsSink() as teams, HttpSink([500]) as hook:
        urls = [smtp.apprise_url(), smtp.apprise_url().replace(CANARY, CANARY + "x"),
                f"workflows://127.0.0.1:{teams.port}/wf1/{CANARY}/?verify=no",
                f"json://user:{CANARY}@127.0.0.1:{hook.port}/hook?+X-Token={CANARY}",
                f"mailto://user:{CANARY}@127.0.0.1:1?smtp=127.0.0.1&port=1&mode=insecure",
                f"workflows://bad/{CANARY}"]
        attempts = [_send(url, fetcher) for url in urls]
    assert [a.outcome for a in attempts] == [
        "success", "failure", "success", "failure", "invalid_target", "invalid_target"]
    _clean(attempts, all_logs)
    assert all(CANARY not in privacy_url(url) for url in urls + _vendor_urls())


def test_explain_output_never_shows_the_canary(tmp_path: Path) -> None:
    urls = [*_vendor_urls(), f"mailto://u:{CANARY}@example.com?to=a@example.com",
            f"workflows://example.com/wf/{CANARY}", f"json://u:{CANARY}@example.com/x"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(textwrap.dedent(f"""\
        receivers:
          all:
            urls: {json.dumps(urls)}
        routes:
          - receivers: [all]
        """))
    out = json.dumps(explain(load_rules(rules), [SINGLE], datetime(2026, 4, 10, tzinfo=UTC)))
    assert "receivers" in out or "targets" in out
    assert CANARY not in out
