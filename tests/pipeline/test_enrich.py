"""The enrich stage against the simulator as a real HTTP server.

Each test accepts webhooks into a real store, claims them as the worker does
and calls the worker's entry point ``enrich_alert``. The router's clock is a
ManualClock started at the real time (the simulator stamps alerts with real
time); upstream waits advance it instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from router.clock import ManualClock
from router.model import Status
from router.pipeline.enrich import NOT_CONFIGURED, enrich_alert, pick
from router.pipeline.runtime import Runtime
from router.simulator import SimulatorConfig, SimulatorServer
from router.simulator.frames import camera_frame
from router.store.inbox import InboxClaim, claim_inbox
from router.upstream import build_upstream
from router.upstream.cache import AlertFact
from tests.simulator.wiring import (
    FakeSleep,
    api_requests,
    create_alert,
    fleet_scenario,
    sim_stats,
    upstream_settings,
)
from tests.support.ingest import store_webhook

ALERTS = "GET /v1/vision-alert/<int:license_id>/alerts/"
REFERENCE = "GET /v1/vision-alert/<int:license_id>/cameras/<serial>/reference/"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(rate_limit=0)) as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time())


@pytest.fixture
def site(make_runtime: Callable[..., Runtime], sim: SimulatorServer,
         clock: ManualClock) -> Callable[..., Runtime]:
    """A runtime enriching from ``sim``; keyword arguments override settings."""
    def build(**overrides: object) -> Runtime:
        runtime = make_runtime(clock=clock, **upstream_settings(sim, **overrides))
        runtime.upstream = build_upstream(runtime.settings, runtime.db, clock,
                                      sleep=FakeSleep(clock))
        return runtime

    return build


def receive(runtime: Runtime, body: dict[str, Any]) -> None:
    store_webhook(runtime.db, body, now=runtime.clock.now(), dedup_window=0)


def claim_all(runtime: Runtime) -> list[InboxClaim]:
    return claim_inbox(runtime.db, owner="test", now=runtime.clock.now(), lease=60, limit=500)


def test_scores_snapshot_reference_and_alert_id_come_from_the_api(
        site: Callable[..., Runtime], sim: SimulatorServer) -> None:
    runtime = site()
    alert = create_alert(sim, "LIC-ABC123", [
        {"serial": "Q2GV-ABCD-1234", "anomalies": {"Blur": 0.87, "Obstruction": 0.65}}])
    webhook = alert["webhook_payload"]
    webhook["cameras"][0].update(latest_image=None, reference_image=None, tags=[])
    receive(runtime, webhook)
    [claim] = claim_all(runtime)

    result = enrich_alert(runtime, claim)

    assert result.retry_in is None
    [event] = result.events
    upstream_cam = alert["cameras"][0]
    assert event.enriched and event.enrichment_note is None
    assert event.upstream_alert_id == alert["id"]
    assert event.anomalies == {"Blur": 0.87, "Obstruction": 0.65}
    assert event.status is Status.ANOMALY
    assert event.snapshot_url == upstream_cam["snapshot"]
    assert event.reference_url == upstream_cam["reference_image"]
    assert event.notes == "Installed at opening"  # from the camera directory
    assert event.tags == ("site-a", "floor-1")  # the webhook had none: directory's


def test_camera_without_reference_gets_it_from_the_reference_endpoint(
        site: Callable[..., Runtime], sim: SimulatorServer) -> None:
    runtime = site()
    alert = create_alert(sim, "LIC-ABC123", [{"serial": "Q2GV-EFGH-5678", "status": "offline"}])
    assert alert["cameras"][0]["reference_image"] is None
    upload = httpx.post(sim.base_url + "5/cameras/Q2GV-EFGH-5678/reference/",
                        headers={"Authorization": "Token demo-token"},
                        files={"upload": ("ref.jpg", camera_frame("x", "normal"), "image/jpeg")})
    assert upload.status_code == 201
    receive(runtime, alert["webhook_payload"])

    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events

    assert event.enriched and event.status is Status.OFFLINE
    assert event.reference_url is not None
    assert event.reference_url.startswith(sim.url + "/media/camera_reference/")
    assert sim_stats(sim)["requests"][REFERENCE] == 1
    # Cached with a TTL: the next alert of that camera asks no more.
    again = create_alert(sim, "LIC-ABC123", [{"serial": "Q2GV-EFGH-5678", "status": "offline"}])
    receive(runtime, again["webhook_payload"])
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert event.reference_url is not None and sim_stats(sim)["requests"][REFERENCE] == 1


def test_one_listing_serves_every_pending_alert_of_a_license(
        site: Callable[..., Runtime], sim: SimulatorServer, clock: ManualClock) -> None:
    runtime = site()
    cameras = ["Q2GV-ABCD-1234", "C1", "Q2GV-GLAR-0003", "Q2GV-MOVE-0004", "Q2GV-BLUR-0005"]
    for serial in cameras * 2:
        alert = create_alert(sim, "LIC-ABC123", [{"serial": serial,
                                                  "anomalies": {"Obstruction": 0.9}}])
        receive(runtime, alert["webhook_payload"])
    claims = claim_all(runtime)

    results = [enrich_alert(runtime, claim) for claim in claims]

    assert all(r.retry_in is None and r.events[0].enriched for r in results)
    ids = [r.events[0].upstream_alert_id for r in results]
    assert len(set(ids)) == 10  # each webhook matched its own alert (by snapshot)
    stats = sim_stats(sim)
    assert stats["requests"][ALERTS] == 1
    assert api_requests(stats) == 3  # licenses, alerts, cameras


def test_alert_not_listed_yet_is_retried_then_enriched(
        site: Callable[..., Runtime], sim: SimulatorServer, clock: ManualClock) -> None:
    runtime = site(enrich_retry_seconds=2.0)
    webhook = {"license": "LIC-ABC123", "anomaly": "Glare", "cameras": [
        {"serial": "Q2GV-GLAR-0003", "name": "West Gate", "anomaly": "Glare"}]}
    receive(runtime, webhook)
    [claim] = claim_all(runtime)

    early = enrich_alert(runtime, claim)
    assert early.retry_in == 2.0 and not early.events
    assert early.reason == "upstream alert not listed yet for camera(s) Q2GV-GLAR-0003"

    alert = create_alert(sim, "LIC-ABC123", [{"serial": "Q2GV-GLAR-0003",
                                              "anomalies": {"Glare": 0.81}}])
    assert enrich_alert(runtime, claim).retry_in is not None  # the listing is still fresh
    clock.advance(2.0)
    [event] = enrich_alert(runtime, claim).events
    assert event.enriched and event.upstream_alert_id == alert["id"]
    assert event.anomalies == {"Glare": 0.81}
    assert sim_stats(sim)["requests"][ALERTS] == 2


def test_a_camera_alerting_again_is_matched_to_its_new_alert(
        site: Callable[..., Runtime], sim: SimulatorServer, clock: ManualClock) -> None:
    runtime = site()
    old = create_alert(sim, "LIC-ABC123", [{"serial": "C1", "anomalies": {"Blur": 0.5}}])
    receive(runtime, old["webhook_payload"])
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert event.upstream_alert_id == old["id"]
    clock.advance(5)  # the cache holds C1's old alert; the new one is not listed yet
    new = create_alert(sim, "LIC-ABC123", [{"serial": "C1", "anomalies": {"Blur": 0.9}}])
    receive(runtime, new["webhook_payload"])
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert event.upstream_alert_id == new["id"] and event.anomalies == {"Blur": 0.9}
    assert sim_stats(sim)["requests"][ALERTS] == 2


def test_after_the_deadline_the_webhook_data_is_routed_with_the_reason(
        site: Callable[..., Runtime], clock: ManualClock) -> None:
    runtime = site(enrich_deadline=10)
    receive(runtime, {"license": "LIC-ABC123", "anomaly": "Blur", "cameras": [
        {"serial": "C1", "name": "Loading Dock", "anomaly": "Blur", "tags": ["dock"]}]})
    [claim] = claim_all(runtime)
    assert enrich_alert(runtime, claim).retry_in is not None
    clock.advance(10)
    [event] = enrich_alert(runtime, claim).events
    assert not event.enriched and event.upstream_alert_id is None
    assert event.anomalies == {"Blur": None} and event.tags == ("dock",)
    assert event.enrichment_note == ("no upstream alert listed for this camera within 10s "
                                     "(ROUTER_ENRICH_DEADLINE)")


def test_unknown_license_is_routed_at_once(site: Callable[..., Runtime],
                                           sim: SimulatorServer) -> None:
    runtime = site()
    receive(runtime, {"license": "LIC-NOPE", "cameras": [{"serial": "X"}]})
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert not event.enriched
    assert event.enrichment_note == ("license LIC-NOPE is not visible to the configured "
                                     "VisionAlert token")
    receive(runtime, {"license": "LIC-NOPE", "cameras": [{"serial": "Y"}]})
    enrich_alert(runtime, claim_all(runtime)[0])
    assert api_requests(sim_stats(sim)) == 1  # a miss does not re-list at once


def test_without_token_enrichment_is_skipped(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    receive(runtime, {"license": "LIC-ABC123", "cameras": [{"serial": "C1", "anomaly": "Blur"}]})
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert not event.enriched and event.enrichment_note == NOT_CONFIGURED


def test_new_camera_is_found_by_an_incremental_directory_walk(
        site: Callable[..., Runtime], sim: SimulatorServer, clock: ManualClock) -> None:
    # The cameras list is newest first: a new camera is on its first page.
    runtime = site(enrich_retry_seconds=1.0)
    first = create_alert(sim, "LIC-XYZ789", [{"serial": "D-0002", "status": "offline"}])
    receive(runtime, first["webhook_payload"])
    enrich_alert(runtime, claim_all(runtime)[0])
    created = httpx.post(sim.base_url + "create-log/", headers={"Authorization":
                         "Token demo-token"}, data={"camera_id": "NEW-1", "tag": "site-n"},
                         files={"upload": ("a.jpg", camera_frame("n", "normal"), "image/jpeg")})
    assert created.status_code == 201
    clock.advance(2)
    alert = create_alert(sim, "LIC-XYZ789", [{"serial": "NEW-1", "status": "offline"}])
    webhook = alert["webhook_payload"]
    webhook["cameras"][0]["tags"] = []
    receive(runtime, webhook)
    [event] = enrich_alert(runtime, claim_all(runtime)[0]).events
    assert event.enriched and event.tags == ("site-n",)
    cameras_calls = sim_stats(sim)["requests"]["GET /v1/vision-alert/<int:license_id>/cameras/"]
    assert cameras_calls == 2  # the full walk, then one page for the newcomer


def test_big_fleet_listing_follows_pages(make_runtime: Callable[..., Runtime],
                                         clock: ManualClock) -> None:
    config = SimulatorConfig(rate_limit=0, scenario=fleet_scenario(1, 5))
    with SimulatorServer(config) as sim:
        runtime = make_runtime(clock=clock, **upstream_settings(sim))
        runtime.upstream = build_upstream(runtime.settings, runtime.db, clock,
                                      sleep=FakeSleep(clock), page_size=2)
        for i in range(5):
            alert = create_alert(sim, "LIC-0", [{"serial": f"C{i:03d}",
                                                 "anomalies": {"Blur": 0.5}}])
            receive(runtime, alert["webhook_payload"])
        results = [enrich_alert(runtime, c) for c in claim_all(runtime)]
        assert all(r.events[0].enriched for r in results)
        assert sim_stats(sim)["requests"][ALERTS] == 3  # 5 alerts, pages of 2


def _fact(alert_id: int, created_ts: float, snapshot: str | None) -> AlertFact:
    return AlertFact(alert_id, "S", "", created_ts, "Anomaly", {}, snapshot, None)


def test_pick_matches_snapshot_path_else_newest_before_receipt() -> None:
    facts = [_fact(3, 300.0, "http://u/media/c.jpg?sig=2"), _fact(2, 200.0, None),
             _fact(1, 100.0, "http://u/media/a.jpg")]
    assert pick(facts, {"latest_image": "http://u/media/c.jpg?sig=1"}, 150.0) is facts[0]
    assert pick(facts, {"latest_image": "http://u/media/zzz.jpg"}, 999.0) is None
    assert pick(facts, {"latest_image": None}, 250.0) is facts[1]
    assert pick(facts, {}, 50.0) is facts[2]  # only later ones (clock skew): the closest
    assert pick([], {}, 50.0) is None
