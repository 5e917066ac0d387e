"""Shared by the admin API, dashboard, link and browser tests (no tests of its own).

``Site`` is a router on a temporary SQLite store with an injected clock, a real
HTTP sink as the working target, a refused loopback port as the broken one,
and canary secrets in every place a secret can live.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from tests.support.httpsink import HttpSink, unused_port
from tests.support.sends import wait_for_sends

ADMIN = "canary-admin-7f3a9c1e5b"
WEBHOOK = "canary-webhook-2d8e4f"
UPSTREAM = "canary-visionalert-91ab"
LINK_KEY = "canary-linkkey-55cd"
TARGET_TOKEN = "canary-target-c0ffee42"
TARGET_PASSWORD = "canary-pass-9q8w7e"
CANARIES = (ADMIN, WEBHOOK, UPSTREAM, LINK_KEY, TARGET_TOKEN, TARGET_PASSWORD)
START = 1_800_000_000.0  # 2027-01-15T08:00:00Z

RULES = """\
defaults:
  # Send at once: these tests are about what is shown, not about grouping.
  group_wait: 0s
  group_interval: 1s
receivers:
  noc:
    urls: ["json://127.0.0.1:{sink}/noc?-token={token}"]
  broken:
    urls: ["json://ops:{password}@127.0.0.1:{dead}/down"]
routes:
  - name: offline
    match:
      status: [offline]
    receivers: [noc, broken]
  - name: everything-else
    receivers: [noc]
"""


def camera(serial: str, anomaly: str = "Offline", tags: tuple[str, ...] = ("site-a",),
           **extra: Any) -> dict[str, Any]:
    return {"serial": serial, "name": f"Cam-{serial}", "anomaly": anomaly,
            "tags": list(tags), **extra}


def webhook(license_code: str, *cameras: dict[str, Any],
            anomaly: str = "Anomaly") -> dict[str, Any]:
    return {"license": license_code, "user": "ops@example.com", "anomaly": anomaly,
            "cameras": list(cameras)}


@dataclass
class Site:
    runtime: Runtime
    app: Flask
    client: FlaskClient
    worker: Worker
    clock: ManualClock
    sink: HttpSink

    def post(self, body: dict[str, Any]) -> int:
        """Deliver a webhook as VisionAlert would; the alert id."""
        resp = self.client.post("/webhooks/visionalert", json=body,
                                headers={"Authorization": f"Token {WEBHOOK}"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return int(resp.get_json()["alert_id"])

    def run(self) -> None:
        """Route everything pending and finish every send it starts."""
        while self.worker.step():
            wait_for_sends(self.worker)

    def api(self, path: str, token: str | None = ADMIN, method: str = "GET",
            **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def build_site(make_runtime: Callable[..., Runtime], rules_path: Path, sink: HttpSink,
               clock: Any = None, **overrides: Any) -> Site:
    rules_path.write_text(textwrap.dedent(RULES).format(
        sink=sink.port, token=TARGET_TOKEN, dead=unused_port(), password=TARGET_PASSWORD))
    clock = clock or ManualClock(START)
    # No VisionAlert token: enrichment stays off unless a test points it at a simulator.
    settings: dict[str, Any] = {"admin_token": ADMIN, "webhook_token": WEBHOOK,
                                "link_secret": LINK_KEY,
                                "delivery_max_attempts": 1, "target_connect_timeout": 2.0,
                                "target_read_timeout": 5.0}
    settings.update(overrides)
    runtime = make_runtime(clock=clock, **settings)
    app = create_app(runtime=runtime)
    return Site(runtime, app, app.test_client(), Worker(runtime), clock, sink)


@pytest.fixture
def site(make_runtime: Callable[..., Runtime], rules_path: Path) -> Iterator[Site]:
    with HttpSink() as sink:
        s = build_site(make_runtime, rules_path, sink)
        yield s
        s.worker.shutdown()


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"secret {canary[:12]}... leaked"
