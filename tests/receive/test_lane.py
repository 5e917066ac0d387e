"""The webhook lane: which requests it answers itself, and that its answers, log line
and counters are the Flask view's. (tests/receive/test_receive.py runs every receive case
through both entry points.)"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from router.app import create_app
from router.obs import logs
from router.pipeline.runtime import Runtime
from router.receive import view as webhooks
from router.receive.lane import WebhookLane
from router.receive.sample import SAMPLE_WEBHOOK
from router.store.schema import alerts
from tests.obs.test_metrics import scrape, value
from tests.support.entry import ENTRIES, make_app

URL = "/webhooks/visionalert"


class Spy:
    """Wraps the Flask app behind the lane and records the paths it is handed."""

    def __init__(self, app: Flask) -> None:
        lane = app.wsgi_app
        assert isinstance(lane, WebhookLane)
        self.inner = lane.inner
        self.seen: list[str] = []
        lane.inner = self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.seen.append(f"{environ['REQUEST_METHOD']} {environ.get('CONTENT_TYPE', '')}")
        return self.inner(environ, start_response)  # type: ignore[no-any-return]


def _alerts(runtime: Runtime) -> int:
    with runtime.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(alerts)).scalar_one())


def test_json_webhooks_never_reach_flask(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    spy = Spy(app)
    client = app.test_client()
    assert client.post(URL, json=SAMPLE_WEBHOOK).status_code == 200
    assert client.post(f"{URL}/any-token", json=SAMPLE_WEBHOOK).status_code == 200
    assert client.post(URL, data=b"[]", content_type="application/json").status_code == 400
    assert client.post(URL, data=json.dumps(SAMPLE_WEBHOOK)).status_code == 200  # no type
    assert spy.seen == []


def test_everything_else_goes_to_flask(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(max_body_bytes=2048, dedup_window=0)
    app = create_app(runtime=runtime)
    spy = Spy(app)
    client = app.test_client()
    text = json.dumps(SAMPLE_WEBHOOK)
    form = client.post(URL, data={"json": text}, content_type="multipart/form-data")
    assert form.status_code == 200
    big = client.post(URL, data="x" * 4096, content_type="application/json")
    assert big.status_code == 413
    chunked = client.post(URL, input_stream=io.BytesIO(text.encode()),
                          content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"},
                          # as gunicorn marks a chunked body it has de-chunked
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 200, chunked.json
    assert client.get(URL).status_code == 405
    assert client.post(f"{URL}/a/b", json=SAMPLE_WEBHOOK).status_code == 404
    assert client.get("/healthz").status_code == 200
    assert len(spy.seen) == 6
    assert _alerts(runtime) == 2


def test_a_body_shorter_than_announced_is_400_and_stores_nothing(runtime: Runtime) -> None:
    # A sender that hangs up mid-body: gunicorn's input then ends early.
    text = json.dumps(SAMPLE_WEBHOOK).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": URL, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(text)), "wsgi.input": io.BytesIO(text[:20]),
               "wsgi.url_scheme": "http"}
    statuses: list[str] = []
    body = b"".join(create_app(runtime=runtime).wsgi_app(
        environ, lambda status, _headers, _exc=None: statuses.append(status)))
    assert statuses == ["400 BAD REQUEST"]
    assert json.loads(body)["error"] == (
        f"body ended after 20 of the {len(text)} bytes its Content-Length announced")
    assert _alerts(runtime) == 0


def _locked(*_args: Any, **_kwargs: Any) -> Any:
    raise sqlite3.OperationalError("database is locked")
    yield  # a generator, like Database._cursor_on


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_store_outage_is_503_with_retry_after_on_both_paths(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, entry: str) -> None:
    # The driver's own error, inside the store: the store raises StoreUnavailable.
    monkeypatch.setattr(runtime.db, "_cursor_on", _locked)
    app = make_app(runtime, entry)
    answer = app.test_client().post(URL, json=SAMPLE_WEBHOOK)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json == {"error": "store unavailable: nothing was stored; retry later",
                           "detail": {}}


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_unexpected_error_is_a_logged_json_500_on_both_paths(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        entry: str) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(webhooks, "accept_alert", boom)
    app = make_app(runtime, entry)
    with caplog.at_level(logging.ERROR):
        answer = app.test_client().post(URL, json=SAMPLE_WEBHOOK)
    assert answer.status_code == 500
    assert answer.json is not None
    assert answer.json["detail"] == {"code": "Internal Server Error"}
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("entry", ENTRIES)
def test_log_line_and_counters_match_the_flask_hooks(runtime: Runtime, entry: str) -> None:
    stream = io.StringIO()
    logs.configure("json", "INFO")
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    app = make_app(runtime, entry)
    client = app.test_client()
    before = scrape(client)
    ok = client.post(f"{URL}/tok-123", json=SAMPLE_WEBHOOK, headers={"X-Request-ID": "r-1"})
    bad = client.post(URL, data=b"{", content_type="application/json")
    assert ok.headers["X-Request-ID"] == "r-1" and len(bad.headers["X-Request-ID"]) == 32
    first, second = [line for line in _lines(stream) if line["route"].startswith(URL)]
    assert {k: first[k] for k in ("msg", "request_id", "method", "route", "status")} == {
        "msg": "request", "request_id": "r-1", "method": "POST",
        "route": "/webhooks/visionalert/<token>", "status": 200}
    assert first["alert_id"] == ok.json["alert_id"] and first["bytes"] == len(ok.data)
    assert "tok-123" not in stream.getvalue()
    assert second["status"] == 400 and second["route"] == URL and second["rejected"]
    assert "alert_id" not in second  # the first request's fields did not leak
    after = scrape(client)
    assert value(after, "router_webhooks_received_total") == value(
        before, "router_webhooks_received_total") + 2
    invalid = {"reason": "invalid_payload"}
    assert value(after, "router_webhooks_rejected_total", **invalid) == value(
        before, "router_webhooks_rejected_total", **invalid) + 1
