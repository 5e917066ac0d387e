"""End to end: the real `serve` process, a webhook over HTTP, notifications received by a
real HTTP server (json://) and a real SMTP server (mailto://)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from router.receive.sample import SAMPLE_WEBHOOK
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.slow


def test_webhook_reaches_http_and_smtp_targets(tmp_path: Path) -> None:
    with HttpSink() as sink, SmtpSink() as smtp:
        rules = tmp_path / "rules.yaml"
        rules.write_text(textwrap.dedent(f"""\
            defaults: {{group_wait: 0s}}
            receivers:
              hook:
                urls: ["json://127.0.0.1:{sink.port}/hook"]
              mail:
                urls: ["{smtp.apprise_url(to='oncall@example.com')}"]
            routes:
              - name: offline
                match: {{status: [offline]}}
                receivers: [hook, mail]
            """))
        port = free_port()
        env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
               "ROUTER_POLL_SECONDS": "0.05", "ROUTER_WEBHOOK_TOKEN": "e2e-token"}
        router = RouterProcess(["serve", "--host", "127.0.0.1", "--port", str(port),
                                "--rules", str(rules)], env, tmp_path).start()
        try:
            router.wait_http(f"http://127.0.0.1:{port}/healthz")
            answer = httpx.post(f"http://127.0.0.1:{port}/webhooks/visionalert",
                                json=SAMPLE_WEBHOOK,
                                headers={"Authorization": "Token e2e-token"}, timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "accepted"

            request = sink.wait_for(1, timeout=30)[0]
            sent = request.json()
            assert "Cam-01" in sent["title"] + sent["message"]
            assert "offline" in (sent["title"] + sent["message"]).lower()

            mail = smtp.wait_for(1, timeout=30)[0]
            assert mail.rcpt_tos == ["oncall@example.com"]
            assert "Cam-01" in mail.subject + mail.text
            assert "offline" in (mail.subject + mail.text).lower()

            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert ready.json()["status"] == "ready"
        finally:
            code = router.stop()
        assert code == 0, router.output
        assert len(sink.requests) == 1
        assert "e2e-token" not in router.output
