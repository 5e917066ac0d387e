"""The worker in-process, on an injected clock: routing, fan-out, retries, records."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from router.app import create_app
from router.clock import ManualClock
from router.pipeline.runtime import Runtime
from router.pipeline.worker import HOUSEKEEPING_SECONDS, Worker
from router.receive.sample import SAMPLE_WEBHOOK
from router.store.schema import alerts, attempts, decisions, dedup, deliveries, notifications
from tests.support.httpsink import HttpSink
from tests.support.sends import wait_for_sends


def _site(make_runtime: Callable[..., Runtime], rules_path: Path, rules: str,
          **overrides: object) -> tuple[Runtime, FlaskClient, Worker, ManualClock]:
    # Every event goes out at the next flush: these tests are about routing and delivery.
    rules_path.write_text("defaults: {group_wait: 0s}\n" + textwrap.dedent(rules))
    clock = ManualClock()
    runtime = make_runtime(clock=clock, **overrides)
    return runtime, create_app(runtime=runtime).test_client(), Worker(runtime), clock


def _run(worker: Worker) -> None:
    """Route everything pending and finish every send it starts."""
    while worker.step():
        wait_for_sends(worker)


def _camera(serial: str, anomaly: str, tags: list[str]) -> dict[str, object]:
    return {"serial": serial, "name": f"Cam-{serial}", "anomaly": anomaly, "tags": tags}


def test_routing_fans_out_to_every_matching_receiver(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as a, HttpSink() as b, HttpSink() as noc:
        runtime, client, worker, _ = _site(make_runtime, rules_path, f"""\
            receivers:
              site-a: {{urls: ["json://127.0.0.1:{a.port}/a"]}}
              blur-team: {{urls: ["json://127.0.0.1:{b.port}/b"]}}
              noc: {{urls: ["json://127.0.0.1:{noc.port}/noc"]}}
            routes:
              - name: site-a-obstruction
                match: {{tags: {{any: [site-a]}}, anomalies: {{any: [Obstruction]}}}}
                receivers: [site-a]
                continue: true
              - name: obstruction
                match: {{anomalies: {{any: [obstruction]}}}}
                receivers: [blur-team]
              - name: everything-else
                receivers: [noc]
            """)
        body = {"license": "LIC-1", "anomaly": "Anomaly", "cameras": [
            _camera("S1", "Obstruction", ["site-a"]),   # site-a, then blur-team (continue)
            _camera("S2", "Obstruction", ["site-b"]),   # blur-team only
            _camera("S3", "Offline", ["site-a"]),       # catch-all
        ]}
        assert client.post("/webhooks/visionalert", json=body).status_code == 200
        _run(worker)

        assert len(a.requests) == 1
        site_a = a.requests[0].json()["message"]
        assert "Cam-S1" in site_a and "Cam-S2" not in site_a and "Cam-S3" not in site_a
        blur = b.requests[0].json()["message"]
        assert len(b.requests) == 1 and "Cam-S1" in blur and "Cam-S2" in blur
        assert len(noc.requests) == 1 and "Cam-S3" in noc.requests[0].json()["message"]

        with runtime.db.read() as conn:
            routed = conn.execute(select(decisions.c.route, decisions.c.receiver)
                                  .where(decisions.c.outcome == "routed")
                                  .order_by(decisions.c.id)).all()
            sent = conn.execute(select(decisions.c.code).where(decisions.c.outcome == "notified")
                                .order_by(decisions.c.id)).scalars().all()
            done = conn.execute(select(alerts.c.inbox_state)).scalars().all()
        assert [tuple(r) for r in routed] == [
            ("site-a-obstruction", "site-a"), ("obstruction", "blur-team"),
            ("obstruction", "blur-team"), ("everything-else", "noc")]
        assert done == ["done"]
        assert sent == ["first_notification"] * 4


def test_unrouted_event_is_recorded_with_reason(make_runtime: Callable[..., Runtime],
                                                rules_path: Path) -> None:
    runtime, client, worker, _ = _site(make_runtime, rules_path, """\
        receivers:
          offline-team: {urls: ["log://"]}
        routes:
          - name: offline
            match: {status: [offline]}
            receivers: [offline-team]
        """)
    body = {"license": "LIC-1", "cameras": [_camera("S1", "Blur", [])]}
    client.post("/webhooks/visionalert", json=body)
    _run(worker)
    with runtime.db.read() as conn:
        row = conn.execute(select(decisions.c.outcome, decisions.c.reason)).one()
        assert conn.execute(select(notifications)).first() is None
    assert row.outcome == "unrouted"
    assert row.reason.startswith("no route matched (offline: status")


def test_duplicate_webhook_gives_one_notification(make_runtime: Callable[..., Runtime],
                                                  rules_path: Path) -> None:
    with HttpSink() as sink:
        _, client, worker, clock = _site(make_runtime, rules_path, f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
            routes:
              - receivers: [hook]
            """)
        for _ in range(3):
            client.post("/webhooks/visionalert", json=SAMPLE_WEBHOOK)
            clock.advance(60)
            _run(worker)
        assert len(sink.requests) == 1


def test_target_failing_twice_then_succeeding_is_delivered(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink([503, 503, 200]) as sink, HttpSink() as healthy:
        runtime, client, worker, clock = _site(make_runtime, rules_path, f"""\
            receivers:
              hook:
                urls: ["json://127.0.0.1:{sink.port}/hook",
                       "json://127.0.0.1:{healthy.port}/ok"]
            routes:
              - receivers: [hook]
            """, retry_base_seconds=10, retry_max_seconds=100)
        client.post("/webhooks/visionalert", json=SAMPLE_WEBHOOK)
        _run(worker)
        assert len(sink.requests) == 1 and len(healthy.requests) == 1
        _run(worker)  # not due yet: the backoff holds the retry back
        assert len(sink.requests) == 1
        for expected in (2, 3):
            clock.advance(100)
            _run(worker)
            assert len(sink.requests) == expected
        clock.advance(1000)
        _run(worker)
        assert len(sink.requests) == 3 and len(healthy.requests) == 1

        with runtime.db.read() as conn:
            rows = conn.execute(
                select(deliveries.c.state, deliveries.c.attempts, deliveries.c.target)
                .order_by(deliveries.c.target_index)).all()
            tries = conn.execute(
                select(attempts.c.number, attempts.c.outcome, attempts.c.error)
                .where(attempts.c.delivery_id == select(deliveries.c.id).where(
                    deliveries.c.target_index == 0).scalar_subquery())
                .order_by(attempts.c.number)).all()
        assert [(r.state, r.attempts) for r in rows] == [("delivered", 3), ("delivered", 1)]
        assert rows[0].target.startswith("json://127.0.0.1:")
        assert [(t.number, t.outcome) for t in tries] == [
            (1, "failure"), (2, "failure"), (3, "success")]
        assert tries[0].error and tries[2].error is None


def test_always_failing_target_becomes_dead_after_max_attempts(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink(default=500) as sink:
        runtime, client, worker, clock = _site(make_runtime, rules_path, f"""\
            receivers:
              hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
            routes:
              - receivers: [hook]
                repeat_interval: 30d  # no reminder within the retries
            """, delivery_max_attempts=3)
        client.post("/webhooks/visionalert", json=SAMPLE_WEBHOOK)
        for _ in range(6):
            _run(worker)
            clock.advance(10_000)
        assert len(sink.requests) == 3
        with runtime.db.read() as conn:
            assert conn.execute(select(deliveries.c.state)).scalar_one() == "dead"


def test_the_worker_forgets_dedup_keys_past_the_window(make_runtime: Callable[..., Runtime],
                                                       rules_path: Path) -> None:
    runtime, client, worker, clock = _site(make_runtime, rules_path, """\
        receivers:
          quiet: {urls: []}
        routes:
          - receivers: [quiet]
        """, dedup_window=600)

    def keys() -> list[str]:
        with runtime.db.read() as conn:
            return list(conn.execute(select(dedup.c.key)).scalars())

    client.post("/webhooks/visionalert", json=SAMPLE_WEBHOOK)
    worker.step()
    assert len(keys()) == 1  # within the window: kept
    clock.advance(601 + HOUSEKEEPING_SECONDS)
    worker.step()
    assert keys() == []
    again = client.post("/webhooks/visionalert", json=SAMPLE_WEBHOOK)
    assert again.json is not None and "duplicate" not in again.json
