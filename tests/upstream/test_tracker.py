"""The camera state tracker against a real simulator, on one manual clock: resolved
messages without a webhook, hold-down that sees recoveries, and the budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from router.pipeline.runtime import Runtime
from tests.support.httpsink import HttpSink
from tests.support.tracking import messages, serials_in, watched


def test_a_camera_back_to_normal_in_the_logs_is_resolved_without_a_webhook(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path, _rules(sink)) as site:
        site.alert("LIC-0", [{"serial": "C001", "status": "offline"}])
        site.advance(10)
        assert len(messages(sink)) == 1
        site.advance(5 * 60)  # still offline: the tracker reads its offline log only
        assert len(messages(sink)) == 1

        site.log("LIC-0", "C001", "normal")  # upstream only: VisionAlert posts nothing
        # within ROUTER_STATE_INTERVAL (60 s) + group_interval (60 s)
        site.advance(120)
        sent = messages(sink)
        assert len(sent) == 2
        assert "back to normal" in sent[1]["message"] and serials_in(sent[1]) == {"C001"}
        (incident,) = site.incidents()
        assert (incident.state, incident.resolution) == ("resolved", "tracker")
        site.advance(3600)
        assert len(messages(sink)) == 2  # resolved once


def test_hold_down_drops_a_nightly_two_minute_outage_seven_nights_running(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path,
                                     _rules(sink, route="hold_for: 20m")) as site:
        for _night in range(7):
            site.alert("LIC-0", [{"serial": "C002", "status": "offline"}])
            site.advance(14 * 60, step=60)  # the next log, inside the hold: normal again
            site.log("LIC-0", "C002", "normal")
            site.advance(10 * 60, step=60)
            site.advance(23 * 3600, step=3600)
        assert messages(sink) == []
        codes = [c for _, c in site.codes()]
        assert codes.count("suppressed_by_hold_down") == 7
        assert "repeat_interval_elapsed" not in codes and "first_notification" not in codes
        assert [i.state for i in site.incidents()] == ["resolved"] * 7


def test_the_hold_still_sends_a_camera_that_stays_down(
        make_runtime: Callable[..., Runtime], rules_path: Path) -> None:
    with HttpSink() as sink, watched(make_runtime, rules_path,
                                     _rules(sink, route="hold_for: 20m")) as site:
        site.alert("LIC-0", [{"serial": "C003", "status": "offline"}])
        site.advance(15 * 60, step=60)
        site.log("LIC-0", "C003", "offline")  # the next log: still offline
        site.advance(4 * 60, step=60)
        assert messages(sink) == []  # held
        site.advance(2 * 60, step=60)
        assert len(messages(sink)) == 1 and serials_in(messages(sink)[0]) == {"C003"}


def _rules(sink: HttpSink, route: str = "") -> str:
    return f"""\
receivers:
  hook: {{urls: ["json://127.0.0.1:{sink.port}/hook"]}}
routes:
  - name: cameras
    receivers: [hook]
    group_by: [camera]
    group_wait: 0s
    group_interval: 1m
    send_resolved: true
    {route}
"""
