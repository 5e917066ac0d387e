"""The notification lifecycle in-process on a manual clock: grouping, the storm, repeat
interval, changed conditions, resolved messages and hold-down."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from router.model.cameras import CameraLog
from router.pipeline.runtime import Runtime
from router.store import tracked
from router.store.schema import camera_events, decisions, deliveries
from router.store.schema_groups import group_items
from tests.support.httpsink import HttpSink
from tests.support.site import Site, camera


def _serials(text: str) -> set[str]:
    return set(re.findall(r"Cam-(S\d+)", text))


def _normal_log(site: Site, serial: str, log_id: int) -> tracked.RoundResult:
    """What the state tracker records when the license logs show ``serial`` normal."""
    now = site.clock.now()
    return tracked.record_round(
        site.db, account="test", license_id=1, license="LIC-1",
        logs=[CameraLog("LIC-1", serial, log_id, now - 1, "normal", {})], newest=None, now=now)


def _hook(sink: HttpSink, name: str = "hook") -> str:
    return f'{name}: {{urls: ["json://127.0.0.1:{sink.port}/{name}"]}}'


def test_storm_of_3000_offline_cameras_is_one_message_per_receiver(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as noc, HttpSink() as ops:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(noc, "noc")}
              {_hook(ops, "ops")}
            routes:
              - name: offline
                match: {{status: [offline]}}
                receivers: [noc, ops]
            """)  # default timing: group_by license, group_wait 30s
        for hook in range(100):
            site.post(*(camera(f"S{hook * 30 + i}") for i in range(30)))
            site.advance(0.25)  # 100 webhooks over 25 s: within one group_wait
        assert noc.requests == [] and ops.requests == []
        site.advance(6)  # 30 s after the first webhook was routed

        for sink in (noc, ops):
            assert len(sink.requests) == 1
            sent = sink.requests[0].json()
            text = sent["title"] + sent["message"]
            assert "3000" in text or len(_serials(text)) == 3000
        with site.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(camera_events)).scalar() == 3000
            states = dict(conn.execute(select(group_items.c.state, func.count())
                                       .group_by(group_items.c.state)).all())
            notified = conn.execute(select(func.count()).select_from(decisions)
                                    .where(decisions.c.code == "first_notification")).scalar()
        assert states == {"notified": 6000}  # every camera event, for both receivers
        assert notified == 6000


def test_group_interval_batches_later_events(make_runtime: Callable[..., Runtime],
                                             rules_path: Path) -> None:
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(sink)}
            routes:
              - receivers: [hook]
                group_wait: 30s
                group_interval: 5m
            """)
        site.post(camera("S1"))
        site.run()
        site.advance(29)
        assert sink.requests == []
        site.advance(1)
        assert [_serials(r.json()["message"]) for r in sink.requests] == [{"S1"}]
        site.advance(10)
        site.post(camera("S2"))
        site.post(camera("S3"))
        site.run()
        site.advance(289)  # 299 s after the first flush
        assert len(sink.requests) == 1
        site.advance(1)
        assert [_serials(r.json()["message"]) for r in sink.requests][1] == {"S2", "S3"}


def test_repeat_interval_and_changed_condition(make_runtime: Callable[..., Runtime],
                                               rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(sink)}
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
                group_interval: 1m
                repeat_interval: 1h
            """)
        site.post(camera("S1"))
        site.run()
        site.advance(20 * 60)
        site.post(camera("S1"))  # same condition, 20 minutes later
        site.run()
        assert len(sink.requests) == 1
        site.advance(41 * 60)  # the reminder is due: no webhook needed
        assert len(sink.requests) == 2
        site.post(camera("S1"))  # same condition, just after the reminder: quiet
        site.run()
        assert len(sink.requests) == 2
        site.advance(60)
        site.post(camera("S1", anomaly="Blur"))  # offline -> blurred: changed
        site.advance(60)  # group_interval after the last flush
        assert len(sink.requests) == 3
        assert "Blur" in sink.requests[2].json()["message"]
        assert site.codes() == [
            ("S1", "first_notification"), ("S1", "suppressed_by_repeat_interval"),
            ("S1", "repeat_interval_elapsed"), ("S1", "suppressed_by_repeat_interval"),
            ("S1", "condition_changed")]


def test_resolved_message_from_a_later_alert_and_from_the_cameras_endpoint(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(sink)}
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
                send_resolved: true
            """)
        site.post(camera("S1"), camera("S2"))
        site.run()
        assert len(sink.requests) == 2
        site.advance(60)
        site.post(camera("S1", anomaly="Normal"))  # a later alert shows S1 normal
        site.advance(300)  # group_interval after the first flush
        assert _normal_log(site, "S2", 7).resolved_messages == 1
        assert _normal_log(site, "S2", 7).applied == 0  # the same log read again: nothing
        site.advance(300)
        site.advance(3600)
        assert len(sink.requests) == 4
        kinds = [(n.kind, n.camera_event_ids) for n in site.notifications()]
        assert [k for k, _ in kinds] == ["firing", "firing", "resolved", "resolved"]
        assert [_serials(r.json()["message"]) for r in sink.requests[2:]] == [{"S1"}, {"S2"}]
        assert site.codes()[-2:] == [("S1", "resolved"), ("S2", "resolved")]


def test_resolved_only_when_asked_and_only_to_those_told(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(sink)}
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
            """)  # send_resolved defaults to false
        site.post(camera("S1"))
        site.run()
        site.post(camera("S1", anomaly="Normal"), camera("S9", anomaly="Normal"))
        site.advance(3600)
        assert len(sink.requests) == 1


def test_hold_down_drops_a_camera_back_to_normal_in_time(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              {_hook(sink)}
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
                hold_for: 2m
            """)
        site.post(camera("S1"), camera("S2"))  # both offline; only S2 stays offline
        site.run()
        site.advance(60)
        site.post(camera("S1", anomaly="Normal"))
        site.run()
        site.advance(59)
        assert sink.requests == []
        site.advance(1)
        assert [_serials(r.json()["message"]) for r in sink.requests] == [{"S2"}]
        site.advance(3600)
        assert len(sink.requests) == 1
        assert sorted(site.codes("hook")) == [("S1", "suppressed_by_hold_down"),
                                        ("S2", "first_notification")]
        with site.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(deliveries)).scalar() == 1
