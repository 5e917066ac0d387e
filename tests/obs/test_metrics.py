"""/metrics: Prometheus text parsed with prometheus_client.parser.

In-process: names, zero series, bounded labels, queue gauges from the store.
Real processes: `serve` with 2 gunicorn workers adds up every process's samples.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from router.app import create_app
from router.pipeline.runtime import Runtime
from tests.support.fleet import webhook, write_rules
from tests.support.httpsink import HttpSink
from tests.support.sends import wait_for_sends

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
            wait_for_sends(worker)
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
