"""Within the upstream's 1 request/second: the simulator enforces it (429 beyond) and
counts its 429 answers; the router must cause none, in one process or in two.

These tests run in real time (the rate limit is real): a few seconds each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from router.app import create_app
from router.clock import SystemClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.simulator import SimulatorConfig, SimulatorServer
from router.store.schema import camera_events
from tests.simulator.wiring import (
    api_requests,
    create_alert,
    drain,
    enriched_count,
    fleet_scenario,
    log_rules,
    pending,
    sim_stats,
    upstream_settings,
)
from tests.support.process import RouterProcess

pytestmark = pytest.mark.slow

LICENSES, CAMERAS = 2, 50


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(rate_limit=1.0, scenario=fleet_scenario(LICENSES, CAMERAS))
    with SimulatorServer(config) as server:
        yield server


def _fire(sim: SimulatorServer, n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` upstream alerts round-robin over the cameras; their webhook bodies."""
    bodies = []
    for i in range(start, start + n):
        camera = i % CAMERAS
        alert = create_alert(sim, f"LIC-{camera // (CAMERAS // LICENSES)}", [
            {"serial": f"C{camera:03d}", "anomalies": {"Obstruction": round(0.5 + i / 1000, 3)}}])
        bodies.append(alert["webhook_payload"] | {"_upstream_id": alert["id"]})
    return bodies


def _post(client: FlaskClient, body: dict[str, Any]) -> None:
    body = {k: v for k, v in body.items() if k != "_upstream_id"}
    assert client.post("/webhooks/visionalert", json=body).status_code == 200


def _notes(runtime: Runtime) -> list[str]:
    """Why events were not enriched (for failure messages)."""
    with runtime.db.read() as conn:
        return [d["enrichment_note"] for d in conn.execute(select(camera_events.c.data))
                .scalars() if not d["enriched"]]


def _matched(runtime: Runtime) -> list[int | None]:
    with runtime.db.read() as conn:
        return [d["upstream_alert_id"] for d in conn.execute(select(camera_events.c.data))
                .scalars()]


def test_200_webhooks_over_50_cameras_all_enriched_without_a_429(
        make_runtime: Callable[..., Runtime], rules_path: Path, sim: SimulatorServer) -> None:
    log_rules(rules_path, "log://")
    runtime = make_runtime(clock=SystemClock(), **upstream_settings(sim))
    client = create_app(runtime=runtime).test_client()
    bodies = _fire(sim, 200)
    for body in bodies:
        _post(client, body)

    drain(Worker(runtime), runtime, timeout=90)

    assert enriched_count(runtime) == (200, 200), _notes(runtime)[:3]
    assert sorted(m or 0 for m in _matched(runtime)) == sorted(b["_upstream_id"] for b in bodies)
    stats = sim_stats(sim)
    assert stats["responses_429"] == 0
    # licenses + one alerts listing and one directory walk per license
    assert api_requests(stats) == 5, stats["requests"]


def test_two_worker_processes_together_stay_within_the_limit(
        make_runtime: Callable[..., Runtime], rules_path: Path, sim: SimulatorServer,
        tmp_path: Path) -> None:
    log_rules(rules_path, "log://")
    settings = upstream_settings(sim, enrich_retry_seconds=0.5)
    runtime = make_runtime(clock=SystemClock(), **settings)
    env = {"ROUTER_DATABASE_URL": runtime.settings.database_url,
           "ROUTER_VISIONALERT_URL": sim.base_url, "ROUTER_VISIONALERT_TOKEN": "demo-token",
           "ROUTER_ENRICH_RETRY_SECONDS": "0.5", "ROUTER_POLL_SECONDS": "0.05",
           "ROUTER_LOG_FORMAT": "console"}
    workers = [RouterProcess(["worker", "--rules", str(rules_path)], env, tmp_path).start()
               for _ in range(2)]
    client = create_app(runtime=runtime).test_client()
    try:
        # Webhooks keep arriving while both workers run, so both keep needing fresh
        # listings and compete for the one request per second.
        for wave in range(4):
            for body in _fire(sim, 10, start=wave * 10):
                _post(client, body)
            time.sleep(0.7)
        deadline = time.monotonic() + 90
        while pending(runtime) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pending(runtime) == 0
    finally:
        for worker in workers:
            worker.stop()

    assert enriched_count(runtime) == (40, 40), _notes(runtime)[:3]
    assert sim_stats(sim)["responses_429"] == 0
    calls = [len(re.findall(r"VisionAlert API call", w.output)) for w in workers]
    assert min(calls) >= 1, calls  # both processes did call the API
    assert "Traceback" not in workers[0].output + workers[1].output
