"""Polling mode in a real `serve --poll` process: alerts reach a receiver with no webhook."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from router.simulator import SimulatorConfig, SimulatorServer
from tests.simulator.wiring import (
    log_rules,
)
from tests.support.httpsink import HttpSink
from tests.support.process import RouterProcess, free_port
from tests.upstream.test_poll import BODY, CAMERAS, _fire, _received


@pytest.mark.slow
def test_serve_poll_feeds_alerts_without_any_webhook(tmp_path: Path) -> None:
    with SimulatorServer(SimulatorConfig(rate_limit=0)) as sim, HttpSink() as sink:
        rules = tmp_path / "rules.yaml"
        log_rules(rules, f"json://127.0.0.1:{sink.port}/hook", body=BODY)
        port = free_port()
        env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
               "ROUTER_VISIONALERT_URL": sim.base_url, "ROUTER_VISIONALERT_TOKEN": "demo-token",
               "ROUTER_POLL_INTERVAL": "1", "ROUTER_POLL_SECONDS": "0.05",
               "ROUTER_VISIONALERT_RPS": "20"}  # the limit itself is tested elsewhere
        router = RouterProcess(["serve", "--poll", "--host", "127.0.0.1", "--port", str(port),
                                "--rules", str(rules)], env, tmp_path).start()
        try:
            router.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
            ids = _fire(sim, CAMERAS[:2])
            sink.wait_for(1, timeout=90)  # generous: the worker process may start slowly
            deadline = time.monotonic() + 30
            while len(_received(sink)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            code = router.stop()
        assert code == 0, router.output
        assert sorted(_received(sink)) == sorted((s, i, "True") for s, i in ids.items())
        assert "demo-token" not in router.output
