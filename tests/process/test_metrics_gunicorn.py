"""/metrics under gunicorn: totals add up across two real worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.obs.test_metrics import _hold_a_worker, _settled, value
from tests.support.fleet import serial, wait_delivered, webhook, write_rules
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port


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
