"""Logs: JSON lines, a request id per request, one line per request, fields bound
through the pipeline, and never a secret (canary values planted everywhere)."""

from __future__ import annotations

import io
import json
import logging
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.obs import logs
from router.obs.redact import MASK
from router.pipeline.runtime import Runtime
from tests.support.fleet import webhook
from tests.support.httpsink import HttpSink
from tests.support.sends import wait_for_sends

CANARY_WEBHOOK = "canary-webhook-7f3a9"
CANARY_ADMIN = "canary-admin-51c2e"
CANARY_UPSTREAM = "canary-upstream-0d4b1"
CANARY_TARGET = "canary-target-pass-88e1"
CANARIES = (CANARY_WEBHOOK, CANARY_ADMIN, CANARY_UPSTREAM, CANARY_TARGET)


def _configure(stream: io.StringIO, secrets: list[str] | None = None) -> None:
    logs.configure("json", "INFO", secrets or [])
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    yield buffer
    root.handlers[:], root.level = saved
    logs.new_context()


def test_bound_fields_join_every_line_until_replaced(stream: io.StringIO) -> None:
    _configure(stream)
    log = logging.getLogger("t")
    logs.new_context(alert_id=7)
    logs.bind(camera_serial="S1")
    log.info("one", extra={"step": "route"})
    with logs.bound(delivery_id=3):
        log.info("two")
    log.info("three")
    logs.new_context(delivery_id=9)
    log.info("four")
    one, two, three, four = _lines(stream)
    assert (one["alert_id"], one["camera_serial"], one["step"]) == (7, "S1", "route")
    assert two["delivery_id"] == 3 and "delivery_id" not in three
    assert "alert_id" not in four and four["delivery_id"] == 9
    assert {"ts", "level", "logger", "msg", "pid"} <= one.keys()


def test_console_format_is_one_readable_line(stream: io.StringIO) -> None:
    logs.configure("console", "INFO")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logs.new_context(alert_id=5)
    logging.getLogger("t").info("alert routed", extra={"cameras": 2})
    (line,) = stream.getvalue().splitlines()
    assert "alert routed" in line and "alert_id=5" in line and "cameras=2" in line


def test_request_id_is_accepted_or_generated_and_returned(
        runtime: Runtime, stream: io.StringIO) -> None:
    _configure(stream)
    client = create_app(runtime=runtime).test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = client.get("/healthz")
    hostile = client.get("/healthz", headers={"X-Request-ID": "x\" y" * 50})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert len(made.headers["X-Request-ID"]) == 32
    assert hostile.headers["X-Request-ID"] != "x\" y" * 50
    lines = _lines(stream)
    assert [line["request_id"] for line in lines] == [
        "abc-123", made.headers["X-Request-ID"], hostile.headers["X-Request-ID"]]


def test_one_line_per_request_with_the_alert(runtime: Runtime, stream: io.StringIO) -> None:
    _configure(stream)
    client = create_app(runtime=runtime).test_client()
    ok = client.post("/webhooks/visionalert", json=webhook("E5"),
                     headers={"X-Request-ID": "req-1"})
    bad = client.post("/webhooks/visionalert", data="[]", content_type="application/json")
    lines = _lines(stream)
    assert len(lines) == 2
    first, second = lines
    assert (first["msg"], first["status"], first["route"]) == (
        "request", 200, "/webhooks/visionalert")
    assert first["request_id"] == "req-1" and first["alert_id"] == ok.json["alert_id"]
    assert first["method"] == "POST" and first["duration_ms"] >= 0
    assert second["status"] == bad.status_code == 400 and second["rejected"]


def test_no_secret_reaches_the_logs(make_runtime: Callable[..., Runtime], rules_path: Path,
                                    stream: io.StringIO,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from router.pipeline.worker import Worker

    # The VisionAlert API (a loopback stand-in) refuses the canary token.
    with HttpSink([500, 200]) as sink, HttpSink(default=401) as upstream:
        monkeypatch.setenv("HOOK_PASSWORD", CANARY_TARGET)
        rules_path.write_text(textwrap.dedent(f"""\
            receivers:
              hook:
                urls: ["json://user:${{HOOK_PASSWORD}}@127.0.0.1:{sink.port}/hook"]
            routes:
              - name: all
                receivers: [hook]
                group_wait: 0s
            """))
        runtime = make_runtime(webhook_token=CANARY_WEBHOOK, admin_token=CANARY_ADMIN,
                               visionalert_token=CANARY_UPSTREAM,
                               visionalert_url=upstream.url("/v1/vision-alert/"),
                               log_level="DEBUG")
        logs.configure("json", "DEBUG", [])  # no masking: nothing may need it
        logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
        client = create_app(runtime=runtime).test_client()
        client.post(f"/webhooks/visionalert/{CANARY_WEBHOOK}", json=webhook("E1"))
        client.post(f"/webhooks/visionalert/{CANARY_WEBHOOK}x", json=webhook("E2"))
        client.post("/webhooks/visionalert", json=webhook("E3"),
                    headers={"Authorization": f"Token {CANARY_WEBHOOK}"})
        client.get(f"/api/v1/alerts?token={CANARY_ADMIN}",
                   headers={"Authorization": f"Bearer {CANARY_ADMIN}"})
        client.get(f"/nope/{CANARY_ADMIN}")
        worker = Worker(runtime)
        for _ in range(3):  # first send fails (500) and is retried
            while worker.step():
                wait_for_sends(worker)
            runtime.clock.advance(60)  # type: ignore[attr-defined]
        assert len(sink.wait_for(2)) >= 2
        assert upstream.requests  # the token was used, and refused
    output = stream.getvalue()
    events = [json.loads(line) for line in output.splitlines()]
    assert any(e.get("route") == "/webhooks/visionalert/<token>" for e in events)
    assert any(e.get("camera_serial") == "E1" for e in events)  # bound through the pipeline
    for canary in CANARIES:
        assert canary not in output, canary


def test_configured_secrets_are_masked_anyway(stream: io.StringIO) -> None:
    _configure(stream, secrets=[CANARY_ADMIN, "abc"])
    logging.getLogger("t").warning("oops %s", CANARY_ADMIN, extra={"x": CANARY_ADMIN})
    (line,) = _lines(stream)
    assert CANARY_ADMIN not in json.dumps(line) and line["x"] == MASK
