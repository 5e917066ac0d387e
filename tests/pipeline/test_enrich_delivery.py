"""Enriched (or, when the upstream fails, unenriched) notifications reach a real HTTP
receiver: webhook -> receive -> worker (enrich from the simulator over HTTP) -> json://.

The router runs on a ManualClock that the loop advances while idle, so the
60-second style deadlines pass without waiting; the simulator keeps real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import Worker
from router.simulator import SimulatorConfig, SimulatorServer
from router.simulator.frames import camera_frame
from router.store.schema import alerts, camera_events, deliveries
from router.upstream import build_upstream
from tests.simulator.wiring import (
    FakeSleep,
    create_alert,
    drain,
    log_rules,
    upstream_settings,
)
from tests.support.httpsink import HttpSink, unused_port

BODY = ("{% for e in events %}[{{ e.serial }}] upstream={{ e.upstream_alert_id }} "
        "enriched={{ e.enriched }} {{ e | summary }} snapshot={{ e.snapshot_url }} "
        "reference={{ e.reference_url }} note={{ e.enrichment_note }}\n{% endfor %}")


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(rate_limit=0)) as server:
        yield server


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with HttpSink() as s:
        yield s


def _router(make_runtime: Callable[..., Runtime], rules_path: Path, sink: HttpSink,
            **settings: object) -> tuple[Runtime, Worker, ManualClock]:
    log_rules(rules_path, f"json://127.0.0.1:{sink.port}/hook", body=BODY)
    clock = ManualClock(time.time())
    runtime = make_runtime(clock=clock, **settings)
    runtime.upstream = build_upstream(runtime.settings, runtime.db, clock,
                                  sleep=FakeSleep(clock))
    return runtime, Worker(runtime), clock


def _post(runtime: Runtime, body: dict[str, Any]) -> None:
    answer = create_app(runtime=runtime).test_client().post("/webhooks/visionalert", json=body)
    assert answer.status_code == 200, answer.json


def _messages(sink: HttpSink) -> str:
    return "\n".join(r.json()["message"] for r in sink.requests)


def test_scores_snapshot_reference_and_alert_id_reach_the_receiver(
        make_runtime: Callable[..., Runtime], rules_path: Path, sim: SimulatorServer,
        sink: HttpSink) -> None:
    runtime, worker, clock = _router(make_runtime, rules_path, sink, **upstream_settings(sim))
    alert = create_alert(sim, "LIC-ABC123", [
        {"serial": "Q2GV-ABCD-1234", "anomalies": {"Blur": 0.87, "Obstruction": 0.65}},
        {"serial": "Q2GV-EFGH-5678", "status": "offline"}])  # a camera without reference
    reference = httpx.post(sim.base_url + "5/cameras/Q2GV-EFGH-5678/reference/",
                           headers={"Authorization": "Token demo-token"},
                           files={"upload": ("r.jpg", camera_frame("r", "normal"), "image/jpeg")})
    assert reference.status_code == 201
    webhook = alert["webhook_payload"]
    for cam in webhook["cameras"]:  # as documented: the webhook may carry no images
        cam.update(latest_image=None, reference_image=None)
    _post(runtime, webhook)

    drain(worker, runtime, clock=clock, until=lambda: len(sink.requests) >= 1)

    text = _messages(sink)
    scored, offline = alert["cameras"]
    assert f"[Q2GV-ABCD-1234] upstream={alert['id']} enriched=True Blur 87%, Obstruction 65%" \
        in text
    assert f"snapshot={scored['snapshot']} reference={scored['reference_image']}" in text
    assert f"[Q2GV-EFGH-5678] upstream={alert['id']} enriched=True" in text
    current = httpx.get(sim.base_url + "5/cameras/Q2GV-EFGH-5678/reference/",
                        headers={"Authorization": "Token demo-token"}).json()
    assert offline["reference_image"] is None
    assert f"reference={current['reference_image']} note=None" in text
    with runtime.db.read() as conn:
        stored = conn.execute(select(camera_events.c.enriched, camera_events.c.data)).all()
    assert [row.enriched for row in stored] == [True, True]
    assert stored[0].data["anomalies"] == {"Blur": 0.87, "Obstruction": 0.65}


FAULTS: dict[str, tuple[dict[str, Any] | None, dict[str, object], str]] = {
    "down": (None, {"visionalert_url": "refused"}, "connection refused"),
    "slow": ({"latency": 1.0}, {"visionalert_timeout": 0.2}, "timed out"),
    "5xx": ({"next_errors": 10_000}, {}, "VisionAlert API error 503"),
    "429": ({"next_429": 10_000, "retry_after": 3}, {}, "429, Retry-After 3s"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_failing_upstream_delivers_unenriched_after_the_deadline(
        fault: str, make_runtime: Callable[..., Runtime], rules_path: Path,
        sim: SimulatorServer, sink: HttpSink) -> None:
    faults, settings, reason = FAULTS[fault]
    values = upstream_settings(sim, enrich_deadline=20, visionalert_attempts=2, **settings)
    if values["visionalert_url"] == "refused":
        values["visionalert_url"] = f"http://127.0.0.1:{unused_port()}/v1/vision-alert/"
    runtime, worker, clock = _router(make_runtime, rules_path, sink, **values)
    alert = create_alert(sim, "LIC-ABC123", [{"serial": "C1", "anomalies": {"Glare": 0.7}}])
    if faults:
        httpx.put(sim.url + "/_sim/faults", json=faults)
    received = clock.now()
    _post(runtime, alert["webhook_payload"])

    drain(worker, runtime, clock=clock, until=lambda: len(sink.requests) >= 1)

    httpx.delete(sim.url + "/_sim/faults")
    text = _messages(sink)
    assert "[C1] upstream=None enriched=False Glare" in text
    assert "note=VisionAlert API unavailable: " in text and reason in text
    with runtime.db.read() as conn:
        entry = conn.execute(select(alerts.c.inbox_state, alerts.c.claims, alerts.c.last_error,
                                    alerts.c.done_at)).one()
        event = conn.execute(select(camera_events.c.enriched, camera_events.c.data)).one()
        sent = conn.execute(select(deliveries.c.state)).scalars().all()
    assert entry.inbox_state == "done" and entry.claims > 1  # retried before giving up
    assert entry.done_at >= received + 20  # held until the deadline, not dropped
    assert reason in entry.last_error or "circuit open" in entry.last_error
    assert not event.enriched and reason in event.data["enrichment_note"]
    assert sent == ["delivered"]


def test_transient_failures_are_retried_and_the_alert_enriched(
        make_runtime: Callable[..., Runtime], rules_path: Path, sim: SimulatorServer,
        sink: HttpSink) -> None:
    runtime, worker, clock = _router(make_runtime, rules_path, sink,
                                     **upstream_settings(sim, visionalert_attempts=2))
    alert = create_alert(sim, "LIC-ABC123", [{"serial": "C1", "anomalies": {"Glare": 0.7}}])
    httpx.put(sim.url + "/_sim/faults", json={"next_errors": 3, "error_status": 502})
    _post(runtime, alert["webhook_payload"])

    drain(worker, runtime, clock=clock, until=lambda: len(sink.requests) >= 1)

    assert f"[C1] upstream={alert['id']} enriched=True Glare 70%" in _messages(sink)
    with runtime.db.read() as conn:
        entry = conn.execute(select(alerts.c.claims, alerts.c.last_error)).one()
    assert entry.claims == 2 and "502" in entry.last_error
