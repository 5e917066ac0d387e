"""/metrics: Prometheus text parsed with prometheus_client.parser.

In-process: names, zero series, bounded labels, queue gauges from the store.
Real processes: `serve` with 2 gunicorn workers adds up every process's samples.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from router.app import create_app
from router.pipeline.runtime import Runtime
from tests.support.fleet import serial, wait_delivered, webhook, write_rules
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def scrape(client: FlaskClient) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    return parse(answer.get_data(as_text=True))


def test_series_exist_at_zero_with_router_names(client: FlaskClient) -> None:
    samples = scrape(client)
    assert all(name.startswith("router_") for name, _ in samples)
    for reason in ("unauthorized", "too_large", "invalid_payload", "unavailable"):
        assert (("router_webhooks_rejected_total", frozenset({("reason", reason)}))
                in samples)
    # The receiver and route of the rules in force, before any traffic.
    assert value(samples, "router_delivery_attempts_total",
                 receiver="console", outcome="success") >= 0
    assert ("router_camera_events_total", frozenset({("route", "everything")})) in samples
    assert value(samples, "router_inbox_depth") == 0
    assert value(samples, "router_dead_letters") == 0
    assert value(samples, "router_store_up") == 1
    (build,) = [labels for name, labels in samples if name == "router_build_info"]
    assert dict(build)["version"]


def test_webhook_counters_and_queue_gauges(runtime: Runtime, client: FlaskClient) -> None:
    before = scrape(client)
    runtime.clock.advance(0)  # type: ignore[attr-defined]
    assert client.post("/webhooks/visionalert", json=webhook("E1")).status_code == 200
    assert client.post("/webhooks/visionalert", json=webhook("E1")).status_code == 200  # dup
    assert client.post("/webhooks/visionalert", data="not json",
                       content_type="application/json").status_code == 400
    assert client.post("/webhooks/visionalert", data=b"x" * (2 * 1024 * 1024),
                       content_type="application/json").status_code == 413
    runtime.clock.advance(42)  # type: ignore[attr-defined]
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after[key] - before.get(key, 0.0)

    assert delta("router_webhooks_received_total") == 4
    assert delta("router_webhooks_duplicate_total") == 1
    assert delta("router_webhooks_rejected_total", reason="invalid_payload") == 1
    assert delta("router_webhooks_rejected_total", reason="too_large") == 1
    assert value(after, "router_inbox_depth") == 1
    assert value(after, "router_inbox_oldest_pending_age_seconds") == 42


def test_no_serial_or_url_in_any_label(make_runtime: Callable[..., Runtime],
                                       rules_path: Path) -> None:
    with HttpSink() as sink:
        write_rules(rules_path, sink)
        runtime = make_runtime()
        from router.pipeline.worker import Worker

        client = create_app(runtime=runtime).test_client()
        assert client.post("/webhooks/visionalert", json=webhook("E77")).status_code == 200
        worker = Worker(runtime)
        while worker.step():
            worker.drain()
        sink.wait_for(1)
        text = client.get("/metrics").get_data(as_text=True)
        port = str(sink.port)
    labels = {v for _, ls in parse(text) for _, v in ls}
    assert "hook" in labels and "fleet" in labels
    assert not [v for v in labels if "E77" in v or "://" in v or port in v]


def test_store_outage_is_a_gauge_not_an_error(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    client = create_app(runtime=runtime).test_client()
    runtime.db.engine.dispose()
    Path(runtime.db.engine.url.database or "").unlink()
    Path(str(runtime.db.engine.url.database)).mkdir()  # a folder: SQLite cannot open it
    samples = scrape(client)
    assert value(samples, "router_store_up") == 0
    assert ("router_inbox_depth", frozenset()) not in samples


# -- real processes ------------------------------------------------------------------


def _hold_a_worker(port: int, body: bytes, token: str) -> socket.socket:
    """Open a webhook request and send part of its body: one sync worker waits on it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST /webhooks/visionalert HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            f"\r\nAuthorization: Token {token}\r\nContent-Length: {len(body)}"
            "\r\nConnection: close\r\n\r\n").encode()
    sock.sendall(head + body[:10])
    return sock


@pytest.mark.slow
def test_totals_add_up_across_two_gunicorn_workers(tmp_path: Path) -> None:
    port, count = free_port(), 40
    base = f"http://127.0.0.1:{port}"
    with HttpSink() as sink:
        env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
               "ROUTER_RULES_FILE": str(write_rules(tmp_path / "rules.yaml", sink)),
               "ROUTER_PORT": str(port), "ROUTER_WEB_WORKERS": "2", "ROUTER_LOG_FORMAT": "json",
               "ROUTER_POLL_SECONDS": "0.05", "ROUTER_WEBHOOK_TOKEN": "metrics-canary-token"}
        router = RouterProcess(["serve"], env, tmp_path).start()
        try:
            router.wait_http(f"{base}/healthz", timeout=60)
            auth = {"Authorization": "Token metrics-canary-token"}
            slow_body = json.dumps(webhook(serial(count))).encode()
            held = _hold_a_worker(port, slow_body, "metrics-canary-token")
            with httpx.Client(base_url=base, headers=auth, timeout=10) as http:
                for i in range(count):  # all served by the other worker meanwhile
                    assert http.post("/webhooks/visionalert",
                                     json=webhook(serial(i))).status_code == 200
                assert http.post("/webhooks/visionalert", json=webhook("E99999"),
                                 headers={"Authorization": "Token wrong"}).status_code == 401
                held.sendall(slow_body[10:])
                assert held.recv(4096).split(b"\r\n")[0].split()[1] == b"200"
                held.close()
                wait_delivered(sink, {serial(i) for i in range(count + 1)}, timeout=60)
                samples = _settled(http, count + 1)
        finally:
            router.stop()
    pids = {e["pid"] for e in router.events() if e.get("route") == "/webhooks/visionalert"}
    assert len(pids) == 2, "both gunicorn workers must have served webhooks"
    assert value(samples, "router_webhooks_received_total") == count + 2
    assert value(samples, "router_webhooks_rejected_total", reason="unauthorized") == 1
    assert value(samples, "router_camera_events_total", route="fleet") == count + 1
    assert value(samples, "router_notifications_total",
                 receiver="hook", outcome="created") == len(sink.requests)
    assert value(samples, "router_delivery_attempts_total",
                 receiver="hook", outcome="success") == len(sink.requests)
    assert value(samples, "router_deliveries_total",
                 receiver="hook", state="delivered") == len(sink.requests)
    assert value(samples, "router_delivery_duration_seconds_count",
                 receiver="hook") == len(sink.requests)
    assert value(samples, "router_inbox_depth") == 0
    assert value(samples, "router_dead_letters") == 0
    assert "metrics-canary-token" not in router.output


def _settled(http: httpx.Client, routed: int) -> Samples:
    """Scrape until the worker process has recorded its last delivery (it writes after sending)."""
    deadline = time.monotonic() + 30
    while True:
        samples = parse(http.get("/metrics").text)
        done = samples.get(("router_deliveries_total",
                            frozenset({("receiver", "hook"), ("state", "delivered")})), 0)
        events = samples.get(("router_camera_events_total", frozenset({("route", "fleet")})), 0)
        if (events == routed and done == value(samples, "router_notifications_total",
                                               receiver="hook", outcome="created")
                and value(samples, "router_deliveries_pending") == 0):
            return samples
        assert time.monotonic() < deadline, "metrics never settled"
        time.sleep(0.2)
